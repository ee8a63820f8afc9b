/* MAC and IPv4 address parsing and formatting (net/addr.h), including
   malformed input. */
#include <config.h>
#include <net/addr.h>
#include "check_main.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

/* ---- MAC --------------------------------------------------------------- */

START_TEST(test_mac_format)
{
  char out[18];
  memset(out, 'x', sizeof(out));
  const uint8_t mac[NET_MAC_LEN] = {0x00, 0x1a, 0x2b, 0x3c, 0xfe, 0xff};
  ck_assert_ptr_eq(net_mac_format(mac, out), out);
  ck_assert_str_eq(out, "00:1a:2b:3c:fe:ff");
  ck_assert_str_eq(net_mac_format(net_mac_broadcast, out), "ff:ff:ff:ff:ff:ff");
  const uint8_t zero[NET_MAC_LEN] = {0};
  ck_assert_str_eq(net_mac_format(zero, out), "00:00:00:00:00:00");
}
END_TEST

START_TEST(test_mac_parse_valid)
{
  uint8_t mac[NET_MAC_LEN];
  ck_assert_int_eq(net_mac_parse("00:1a:2b:3c:fe:ff", mac), 0);
  const uint8_t want[NET_MAC_LEN] = {0x00, 0x1a, 0x2b, 0x3c, 0xfe, 0xff};
  ck_assert_mem_eq(mac, want, NET_MAC_LEN);
  ck_assert_int_eq(net_mac_parse("00:1A:2B:3C:FE:FF", mac), 0);
  ck_assert_mem_eq(mac, want, NET_MAC_LEN);
  ck_assert_int_eq(net_mac_parse("FF:ff:Ff:fF:ff:ff", mac), 0);
  ck_assert_mem_eq(mac, net_mac_broadcast, NET_MAC_LEN);
}
END_TEST

START_TEST(test_mac_round_trip)
{
  GRand *rng = g_rand_new_with_seed(42);
  for (int i = 0; i < 1000; i++)
    {
      uint8_t mac[NET_MAC_LEN], back[NET_MAC_LEN];
      char text[18];
      for (int j = 0; j < NET_MAC_LEN; j++)
        mac[j] = (uint8_t)g_rand_int(rng);
      ck_assert_int_eq(net_mac_parse(net_mac_format(mac, text), back), 0);
      ck_assert_mem_eq(mac, back, NET_MAC_LEN);
    }
  g_rand_free(rng);
}
END_TEST

static const char *const bad_macs[] = {
  "",
  "01:02:03:04:05",             /* five octets */
  "01:02:03:04:05:06:07",       /* seven octets */
  "01:02:03:04:05:06:",         /* trailing separator */
  "01:02:03:04:05:06 ",         /* trailing junk */
  " 01:02:03:04:05:06",         /* leading junk */
  "01:02:03:04:05:6",           /* short last octet */
  "1:2:3:4:5:6",                /* octets must have two digits */
  "001:02:03:04:05:6",          /* right length, wrong layout */
  "01-02-03-04-05-06",          /* other separators */
  "01.02.03.04.05.06",
  "0102.0304.0506",
  "01:02:03:04:05:0g",          /* not hex */
  "0x:02:03:04:05:06",
  "01::02:03:04:05:6",
  "01:02:03:04:05:06\n",
  "\xff\xfe:02:03:04:05:06",    /* bytes above 0x7f */
};

START_TEST(test_mac_parse_malformed)
{
  const char *text = bad_macs[_i];
  uint8_t mac[NET_MAC_LEN], before[NET_MAC_LEN];
  memset(mac, 0x5a, sizeof(mac));
  memcpy(before, mac, sizeof(mac));
  ck_assert_msg(net_mac_parse(text, mac) == -EINVAL, "accepted \"%s\"", text);
  /* Nothing written on failure. */
  ck_assert_mem_eq(mac, before, NET_MAC_LEN);
}
END_TEST

START_TEST(test_mac_parse_null)
{
  uint8_t mac[NET_MAC_LEN];
  ck_assert_int_eq(net_mac_parse(NULL, mac), -EINVAL);
  ck_assert_int_eq(net_mac_parse("01:02:03:04:05:06", NULL), -EINVAL);
}
END_TEST

/* ---- IPv4 -------------------------------------------------------------- */

START_TEST(test_ipv4_format)
{
  char out[16];
  ck_assert_ptr_eq(net_ipv4_format(0, out), out);
  ck_assert_str_eq(out, "0.0.0.0");
  ck_assert_str_eq(net_ipv4_format(0xffffffffu, out), "255.255.255.255");
  ck_assert_str_eq(net_ipv4_format(0xc0a80114u, out), "192.168.1.20");
  ck_assert_str_eq(net_ipv4_format(0x0a000001u, out), "10.0.0.1");
  ck_assert_str_eq(net_ipv4_format(0x7f000001u, out), "127.0.0.1");
}
END_TEST

START_TEST(test_ipv4_parse_valid)
{
  uint32_t a = 0;
  unsigned len = 99;
  ck_assert_int_eq(net_ipv4_parse("192.168.1.20", &a, &len), 0);
  ck_assert_uint_eq(a, 0xc0a80114u);
  ck_assert_uint_eq(len, 32);
  ck_assert_int_eq(net_ipv4_parse("0.0.0.0", &a, NULL), 0);
  ck_assert_uint_eq(a, 0);
  ck_assert_int_eq(net_ipv4_parse("255.255.255.255", &a, NULL), 0);
  ck_assert_uint_eq(a, 0xffffffffu);
  ck_assert_int_eq(net_ipv4_parse("10.0.0.0/8", &a, &len), 0);
  ck_assert_uint_eq(a, 0x0a000000u);
  ck_assert_uint_eq(len, 8);
  ck_assert_int_eq(net_ipv4_parse("1.2.3.4/0", &a, &len), 0);
  ck_assert_uint_eq(a, 0x01020304u);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(net_ipv4_parse("1.2.3.4/32", &a, &len), 0);
  ck_assert_uint_eq(len, 32);
  ck_assert_int_eq(net_ipv4_parse("100.64.0.10/10", &a, &len), 0);
  ck_assert_uint_eq(a, 0x6440000au);
  ck_assert_uint_eq(len, 10);
}
END_TEST

START_TEST(test_ipv4_round_trip)
{
  GRand *rng = g_rand_new_with_seed(43);
  for (int i = 0; i < 1000; i++)
    {
      uint32_t addr = g_rand_int(rng), back = ~addr;
      char text[16];
      ck_assert_int_eq(net_ipv4_parse(net_ipv4_format(addr, text), &back, NULL), 0);
      ck_assert_uint_eq(addr, back);
    }
  g_rand_free(rng);
}
END_TEST

static const char *const bad_ipv4[] = {
  "",
  "1.2.3",                      /* three octets */
  "1.2.3.4.5",                  /* five octets */
  "256.1.1.1",                  /* octet out of range */
  "1.2.3.256",
  "1000.1.1.1",
  "1.2.3.4/33",                 /* prefix out of range */
  "1.2.3.4/100",
  "1.2.3.4/",                   /* empty prefix */
  "1.2.3.4/8/8",
  "1.2.3.4/-1",
  "1.2.3.4/+8",
  "1.2.3.4/ 8",
  "1.2.3.4/08",                 /* leading zeros: octal to inet_aton */
  "1.2.3.4x",                   /* trailing junk */
  "1.2.3.4 ",
  "1.2.3.4\n",
  "1.2.3.4.",
  " 1.2.3.4",                   /* leading junk */
  ".1.2.3",
  "1..2.3",
  "1.2..3",
  "1.2.3.",
  "-1.2.3.4",
  "+1.2.3.4",
  "01.2.3.4",
  "1.2.3.04",
  "1.2.3.010",
  "0x1.2.3.4",
  "1,2,3,4",
  "a.b.c.d",
  "16909060",                   /* inet_aton's single-number form */
  "1.2.3.4:80",
};

START_TEST(test_ipv4_parse_malformed)
{
  const char *text = bad_ipv4[_i];
  uint32_t a = 0x5a5a5a5a;
  unsigned len = 77;
  ck_assert_msg(net_ipv4_parse(text, &a, &len) == -EINVAL, "accepted \"%s\"", text);
  ck_assert_uint_eq(a, 0x5a5a5a5a);
  ck_assert_uint_eq(len, 77);
}
END_TEST

START_TEST(test_ipv4_parse_null)
{
  uint32_t a = 0x5a5a5a5a;
  unsigned len = 77;
  ck_assert_int_eq(net_ipv4_parse(NULL, &a, &len), -EINVAL);
  ck_assert_int_eq(net_ipv4_parse("1.2.3.4", NULL, &len), -EINVAL);
  /* A prefix where none is allowed. */
  ck_assert_int_eq(net_ipv4_parse("1.2.3.4/24", &a, NULL), -EINVAL);
  ck_assert_uint_eq(a, 0x5a5a5a5a);
  ck_assert_uint_eq(len, 77);
}
END_TEST

START_TEST(test_ipv4_mask)
{
  ck_assert_uint_eq(net_ipv4_mask(0), 0);
  ck_assert_uint_eq(net_ipv4_mask(1), 0x80000000u);
  ck_assert_uint_eq(net_ipv4_mask(8), 0xff000000u);
  ck_assert_uint_eq(net_ipv4_mask(24), 0xffffff00u);
  ck_assert_uint_eq(net_ipv4_mask(31), 0xfffffffeu);
  ck_assert_uint_eq(net_ipv4_mask(32), 0xffffffffu);
}
END_TEST

static Suite *addr_suite(void)
{
  Suite *s = suite_create("addr");
  TCase *tc = tcase_create("mac");
  tcase_add_test(tc, test_mac_format);
  tcase_add_test(tc, test_mac_parse_valid);
  tcase_add_test(tc, test_mac_round_trip);
  tcase_add_loop_test(tc, test_mac_parse_malformed, 0, G_N_ELEMENTS(bad_macs));
  tcase_add_test(tc, test_mac_parse_null);
  suite_add_tcase(s, tc);

  tc = tcase_create("ipv4");
  tcase_add_test(tc, test_ipv4_format);
  tcase_add_test(tc, test_ipv4_parse_valid);
  tcase_add_test(tc, test_ipv4_round_trip);
  tcase_add_loop_test(tc, test_ipv4_parse_malformed, 0, G_N_ELEMENTS(bad_ipv4));
  tcase_add_test(tc, test_ipv4_parse_null);
  tcase_add_test(tc, test_ipv4_mask);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(addr_suite());
}
