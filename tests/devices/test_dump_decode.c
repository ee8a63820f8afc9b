/* Dumper decoders: golden lines for crafted valid frames, malformed and
   truncated frames printed as such, no read past the end (every prefix of
   every frame is decoded from an exactly-sized heap copy, so ASan and
   Valgrind catch any overread), and the pcap writer's file format. */
#include <config.h>
#include <net/layer/dumper.h>
#include "check_main.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include "frames.h"

static char line[1024];

static const char *sum(const uint8_t *f, size_t len)
{
  net_dump_summary(line, sizeof line, NET_DUMP_LINK_ETHERNET, f, len, 0);
  return line;
}

START_TEST(test_arp)
{
  uint8_t f[64];
  size_t n = tf_eth(f, net_mac_broadcast, tf_mac_a, 0x0806);
  static const uint8_t zero[6];
  n += tf_arp(f + n, 1, tf_mac_a, TF_IP_A, zero, 0x0a000009);
  ck_assert_str_eq(sum(f, n), "ARP, Request who-has 10.0.0.9 tell 10.0.0.1, length 28");
  n = tf_eth(f, tf_mac_a, tf_mac_b, 0x0806);
  n += tf_arp(f + n, 2, tf_mac_b, TF_IP_B, tf_mac_a, TF_IP_A);
  memset(f + n, 0, 60 - n);   /* padded to the minimum frame */
  ck_assert_str_eq(sum(f, 60), "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:0b, length 46");
  net_dump_summary(line, sizeof line, NET_DUMP_LINK_ETHERNET, f, 60,
                   NET_DUMP_LINK_HEADER);
  ck_assert_str_eq(line, "02:00:00:00:00:0b > 02:00:00:00:00:0a, ethertype ARP "
                   "(0x0806), length 60: ARP, Reply 10.0.0.2 is-at "
                   "02:00:00:00:00:0b, length 46");
}
END_TEST

START_TEST(test_icmp_echo)
{
  uint8_t f[200];
  size_t n = tf_icmp_echo_frame(f, 8, 0x1234, 7, 56);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 7, length 64");
  n = tf_icmp_echo_frame(f, 0, 1, 2, 0);
  memset(f + n, 0, 60 - n);
  ck_assert_str_eq(sum(f, 60), "IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 2, length 8");
  f[14 + 20 + 8 - 1] ^= 1;   /* corrupt the sequence number */
  ck_assert_str_eq(sum(f, 60), "IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 3, length 8 [bad icmp cksum fffc]");
}
END_TEST

START_TEST(test_udp)
{
  uint8_t f[200];
  size_t n = tf_udp_frame(f, 5353, 7, "hello", 5);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.5353 > 10.0.0.2.7: UDP, length 5");
  f[n - 1] ^= 0xff;
  ck_assert_ptr_nonnull(strstr(sum(f, n), "[bad udp cksum"));
  n = tf_udp_frame(f, 1, 2, "", 0);
  f[14 + 20 + 5] = 4;      /* UDP length 4 < 8 */
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.1 > 10.0.0.2.2: UDP [bad udp length 4]");
}
END_TEST

START_TEST(test_tcp)
{
  uint8_t f[200];
  static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
                                      0, 0, 0, 0, 1, 3, 3, 7 };
  size_t n = tf_tcp_frame(f, 40000, 7, 1000, 0, 0x02, 64240, syn_opts,
                          sizeof syn_opts, NULL, 0);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.40000 > 10.0.0.2.7: Flags [S], seq 1000, win 64240, "
                   "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
  n = tf_tcp_frame(f, 7, 40000, 5000, 1001, 0x12, 65535, NULL, 0, NULL, 0);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.7 > 10.0.0.2.40000: Flags [S.], seq 5000, ack 1001, win 65535, length 0");
  n = tf_tcp_frame(f, 40000, 7, 1001, 5001, 0x18, 502, NULL, 0, "data!", 5);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.40000 > 10.0.0.2.7: Flags [P.], seq 1001:1006, ack 5001, win 502, length 5");
  n = tf_tcp_frame(f, 40000, 7, 1006, 5001, 0x10, 502, NULL, 0, NULL, 0);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.40000 > 10.0.0.2.7: Flags [.], ack 5001, win 502, length 0");
  n = tf_tcp_frame(f, 40000, 7, 1006, 5001, 0x11, 502, NULL, 0, NULL, 0);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.40000 > 10.0.0.2.7: Flags [F.], seq 1006, ack 5001, win 502, length 0");
  n = tf_tcp_frame(f, 1, 2, 3, 0, 0x04, 0, NULL, 0, NULL, 0);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.1 > 10.0.0.2.2: Flags [R], seq 3, win 0, length 0");
  static const uint8_t sack[] = { 1, 1, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20 };
  n = tf_tcp_frame(f, 1, 2, 3, 4, 0x10, 9, sack, sizeof sack, NULL, 0);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], ack 4, win 9, "
                   "options [nop,nop,sack 1 {10:20}], length 0");
  static const uint8_t bad_opt[] = { 2, 9, 0, 0 };
  n = tf_tcp_frame(f, 1, 2, 3, 4, 0x10, 9, bad_opt, sizeof bad_opt, NULL, 0);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], ack 4, win 9, "
                   "options [[bad opt]], length 0");
  n = tf_tcp_frame(f, 1, 2, 3, 4, 0x10, 9, NULL, 0, NULL, 0);
  f[14 + 20 + 12] = 0x30;   /* data offset 12 < 20 */
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.1 > 10.0.0.2.2: [bad tcp offset 12]");
  f[14 + 20 + 12] = 0xf0;   /* data offset 60 > segment */
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1.1 > 10.0.0.2.2: [truncated tcp]");
}
END_TEST

START_TEST(test_ip_malformed)
{
  uint8_t f[200];
  size_t n = tf_udp_frame(f, 1, 2, "x", 1);
  uint8_t *ip = f + 14;
  ip[0] = 0x43;
  ck_assert_str_eq(sum(f, n), "IP [bad ihl 12], length 29");
  ip[0] = 0x65;
  ck_assert_str_eq(sum(f, n), "IP [bad ip version 6], length 29");
  ip[0] = 0x45;
  ck_assert_str_eq(sum(f, 14 + 19), "IP [truncated ip], length 19");
  ck_assert_str_eq(sum(f, n - 1), "IP 10.0.0.1 > 10.0.0.2: [truncated ip] total length 29, 28 captured");
  tf_put16(ip + 2, 10);
  ck_assert_str_eq(sum(f, n), "IP 10.0.0.1 > 10.0.0.2: [bad ip total length 10]");
  tf_put16(ip + 2, 29);
  ip[8] = 0;   /* TTL 0, checksum now wrong too */
  ck_assert_ptr_nonnull(strstr(sum(f, n), "UDP, length 1 [ttl 0] [bad ip cksum"));
  ck_assert_str_eq(sum(f, 5), "[truncated ether], length 5");
  ck_assert_str_eq(sum(f, 0), "[truncated ether], length 0");
  ck_assert_str_eq(sum(NULL, 0), "[truncated ether], length 0");
}
END_TEST

START_TEST(test_fragments)
{
  uint8_t f[200];
  size_t n = tf_eth(f, tf_mac_b, tf_mac_a, 0x0800);
  n += tf_ip(f + n, TF_IP_A, TF_IP_B, 1, 16, 77, 0x2000);   /* MF, offset 0 */
  uint8_t *c = f + n;
  memset(c, 0, 16);
  c[0] = 8;
  tf_put16(c + 4, 9);
  tf_put16(c + 6, 1);
  ck_assert_str_eq(sum(f, n + 16), "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 9, seq 1, length 16 (frag 77:16@0+)");
  n = tf_eth(f, tf_mac_b, tf_mac_a, 0x0800);
  n += tf_ip(f + n, TF_IP_A, TF_IP_B, 1, 16, 77, 185);      /* offset 1480 */
  ck_assert_str_eq(sum(f, n + 16), "IP 10.0.0.1 > 10.0.0.2: ip-proto-1 (frag 77:16@1480)");
}
END_TEST

START_TEST(test_icmp_errors)
{
  uint8_t f[200];
  /* Port unreachable quoting a UDP datagram to port 9. */
  uint8_t inner[28];
  tf_udp_frame(f, 4242, 9, "", 0);
  memcpy(inner, f + 14, 28);
  size_t n = tf_eth(f, tf_mac_a, tf_mac_b, 0x0800);
  n += tf_ip(f + n, TF_IP_B, TF_IP_A, 1, 8 + 28, 5, 0);
  uint8_t *c = f + n;
  memset(c, 0, 8);
  c[0] = 3;
  c[1] = 3;
  memcpy(c + 8, inner, 28);
  uint16_t s = net_csum(c, 36);
  memcpy(c + 2, &s, 2);
  ck_assert_str_eq(sum(f, n + 36), "IP 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port 9 unreachable, length 36");
  c[1] = 1;
  ck_assert_ptr_nonnull(strstr(sum(f, n + 36), "ICMP host 10.0.0.2 unreachable, length 36"));
  c[0] = 11;
  c[1] = 0;
  ck_assert_ptr_nonnull(strstr(sum(f, n + 36), "ICMP time exceeded in-transit, length 36"));
}
END_TEST

START_TEST(test_other_ethertypes)
{
  uint8_t f[64] = { 0 };
  tf_eth(f, tf_mac_b, tf_mac_a, 0x86dd);
  ck_assert_str_eq(sum(f, 60), "IP6, length 46");
  tf_eth(f, tf_mac_b, tf_mac_a, 0x88b5);
  ck_assert_str_eq(sum(f, 60), "ethertype 0x88b5, length 46");
  tf_eth(f, tf_mac_b, tf_mac_a, 46);
  ck_assert_str_eq(sum(f, 60), "802.3, length 46");
  tf_eth(f, tf_mac_b, tf_mac_a, 0x8100);
  tf_put16(f + 14, 0x2005);
  tf_put16(f + 16, 0x0806);
  ck_assert_str_eq(sum(f, 60), "vlan 5, p 1, ARP, hardware 0, protocol 0x0000, op 0, length 42");
  ck_assert_str_eq(sum(f, 16), "802.1Q [truncated vlan], length 16");
}
END_TEST

/* Every prefix of every crafted frame, from an exactly-sized allocation:
   the decoder must print something and never read beyond. */
START_TEST(test_every_truncation)
{
  uint8_t frames[8][200];
  size_t lens[8];
  static const uint8_t opts[] = { 2, 4, 5, 0xb4, 1, 3, 3, 7, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0 };
  static const uint8_t zero[6];
  lens[0] = tf_tcp_frame(frames[0], 1, 2, 3, 4, 0x12, 5, opts, sizeof opts, "abc", 3);
  lens[1] = tf_udp_frame(frames[1], 1, 2, "abcdef", 6);
  lens[2] = tf_icmp_echo_frame(frames[2], 8, 1, 1, 20);
  lens[3] = tf_eth(frames[3], net_mac_broadcast, tf_mac_a, 0x0806);
  lens[3] += tf_arp(frames[3] + lens[3], 1, tf_mac_a, TF_IP_A, zero, TF_IP_B);
  lens[4] = tf_tcp_frame(frames[4], 1, 2, 3, 4, 0x10, 5, NULL, 0, NULL, 0);
  for (unsigned k = 0; k < 5; k++)
    for (size_t len = 0; len <= lens[k]; len++)
      {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, frames[k], len);
        size_t want = net_dump_summary(line, sizeof line, NET_DUMP_LINK_ETHERNET,
                                       copy, len, NET_DUMP_LINK_HEADER);
        ck_assert_uint_gt(want, 0);
        ck_assert_uint_eq(strlen(line), want);
        if (len < lens[k] && len >= 14)
          ck_assert_msg(strstr(line, "truncated") || strstr(line, "bad"),
                        "frame %u cut at %zu: %s", k, len, line);
        net_dump_summary(line, sizeof line, NET_DUMP_LINK_IPV4,
                         len > 14 ? copy + 14 : copy, len > 14 ? len - 14 : 0, 0);
        free(copy);
      }
}
END_TEST

/* Random bytes behind valid-looking headers: no crash, no overread. */
START_TEST(test_random_garbage)
{
  GRand *r = g_rand_new_with_seed(12345);
  for (unsigned i = 0; i < 20000; i++)
    {
      size_t len = (size_t)g_rand_int_range(r, 0, 120);
      uint8_t *f = malloc(len ? len : 1);
      for (size_t j = 0; j < len; j++)
        f[j] = (uint8_t)g_rand_int(r);
      if (len > 14)
        {
          f[12] = 0x08;
          f[13] = (i & 1) ? 0x00 : 0x06;
        }
      if (len > 15 && (i & 2))
        f[14] = 0x45;
      if (len > 24 && (i & 4))
        f[23] = (uint8_t)((i >> 3) % 3 == 0 ? 6 : (i >> 3) % 3 == 1 ? 17 : 1);
      size_t want = net_dump_summary(line, sizeof line, NET_DUMP_LINK_ETHERNET,
                                     f, len, NET_DUMP_LINK_HEADER);
      ck_assert_uint_eq(strlen(line), want);
      free(f);
    }
  g_rand_free(r);
}
END_TEST

START_TEST(test_small_output_buffer)
{
  uint8_t f[200];
  size_t n = tf_udp_frame(f, 5353, 7, "hello", 5);
  char small[10];
  size_t want = net_dump_summary(small, sizeof small, NET_DUMP_LINK_ETHERNET, f, n, 0);
  ck_assert_uint_eq(want, strlen("IP 10.0.0.1.5353 > 10.0.0.2.7: UDP, length 5"));
  ck_assert_str_eq(small, "IP 10.0.0");
  ck_assert_uint_eq(net_dump_summary(NULL, 0, NET_DUMP_LINK_ETHERNET, f, n, 0), want);
}
END_TEST

START_TEST(test_hex)
{
  uint8_t d[19];
  for (unsigned i = 0; i < sizeof d; i++)
    d[i] = (uint8_t)(i * 17);
  char out[256];
  size_t n = net_dump_hex(out, sizeof out, d, sizeof d);
  ck_assert_str_eq(out, "\t0x0000:  0011 2233 4455 6677 8899 aabb ccdd eeff\n"
                   "\t0x0010:  1021 32\n");
  ck_assert_uint_eq(n, strlen(out));
  ck_assert_uint_eq(net_dump_hex(out, sizeof out, d, 0), 0);
  ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_pcap_format)
{
  char *path = g_strdup_printf("test_dump_decode-%d.pcap", (int)getpid());
  struct net_pcap_writer_s *w;
  ck_assert_int_eq(net_pcap_open(path, NULL, NET_DUMP_LINK_ETHERNET, 64, &w), 0);
  uint8_t f[200];
  size_t n = tf_udp_frame(f, 1, 2, "abc", 3);
  ck_assert_int_eq(net_pcap_write(w, 5 * NET_NSEC_PER_SEC + 123456789, f, n), 0);
  uint8_t big[100] = { 0 };
  ck_assert_int_eq(net_pcap_write(w, 6 * NET_NSEC_PER_SEC, big, sizeof big), 0);
  ck_assert_int_eq(net_pcap_close(w), 0);

  gchar *data;
  gsize len;
  ck_assert(g_file_get_contents(path, &data, &len, NULL));
  ck_assert_uint_eq(len, 24 + 16 + n + 16 + 64);
  uint32_t h[6];
  memcpy(h, data, 24);
  ck_assert_uint_eq(h[0], 0xa1b23c4d);
  ck_assert_uint_eq(h[1], 2u | 4u << 16);
  ck_assert_uint_eq(h[4], 64);
  ck_assert_uint_eq(h[5], 1);
  uint32_t r[4];
  memcpy(r, data + 24, 16);
  ck_assert_uint_eq(r[0], 5);
  ck_assert_uint_eq(r[1], 123456789);
  ck_assert_uint_eq(r[2], n);
  ck_assert_uint_eq(r[3], n);
  ck_assert_mem_eq(data + 40, f, n);
  memcpy(r, data + 40 + n, 16);
  ck_assert_uint_eq(r[2], 64);      /* cut at snaplen */
  ck_assert_uint_eq(r[3], 100);
  g_free(data);
  unlink(path);
  g_free(path);
  ck_assert_int_eq(net_pcap_open("/nonexistent-dir/x.pcap", NULL,
                                 NET_DUMP_LINK_ETHERNET, 0, &w), -ENOENT);
  ck_assert_ptr_null(w);
  ck_assert_uint_eq(net_pcap_linktype(NET_DUMP_LINK_IPV4), 228);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("dump_decode");
  TCase *tc = tcase_create("decode");
  tcase_add_test(tc, test_arp);
  tcase_add_test(tc, test_icmp_echo);
  tcase_add_test(tc, test_udp);
  tcase_add_test(tc, test_tcp);
  tcase_add_test(tc, test_ip_malformed);
  tcase_add_test(tc, test_fragments);
  tcase_add_test(tc, test_icmp_errors);
  tcase_add_test(tc, test_other_ethertypes);
  tcase_add_test(tc, test_every_truncation);
  tcase_add_test(tc, test_random_garbage);
  tcase_add_test(tc, test_small_output_buffer);
  tcase_add_test(tc, test_hex);
  tcase_add_test(tc, test_pcap_format);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
