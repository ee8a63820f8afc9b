/* The Internet checksum (net/checksum.h) against RFC 1071's example, real
   headers, and a naive 16-bit big-endian reference on random data. */
#include <config.h>
#include <net/checksum.h>
#include "check_main.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

/* RFC 1071 written out literally: big-endian 16-bit words, the odd byte
   padded with a zero, carries folded, complemented.  Returns the two
   checksum bytes in wire order as hi << 8 | lo. */
static uint16_t naive_csum(const uint8_t *p, size_t len)
{
  uint64_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (len & 1)
    sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* The library's result is in memory order: the bytes as they go on the
   wire.  Read them back the same way the naive reference returns them. */
static uint16_t wire(uint16_t csum)
{
  uint8_t b[2];
  memcpy(b, &csum, 2);
  return (uint16_t)(b[0] << 8 | b[1]);
}

START_TEST(test_rfc1071_example)
{
  /* RFC 1071 section 3: the sum of these bytes is ddf2 (before the
     complement), so the checksum is 220d. */
  static const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  ck_assert_uint_eq(wire(net_csum(data, sizeof(data))), 0x220d);
  ck_assert_uint_eq(naive_csum(data, sizeof(data)), 0x220d);
  /* The same sum, accumulated in pieces (RFC 1071 2(C)). */
  uint32_t sum = net_csum_add(0, data, 2);
  sum = net_csum_add(sum, data + 2, 4);
  sum = net_csum_add(sum, data + 6, 2);
  ck_assert_uint_eq(wire(net_csum_fold(sum)), 0x220d);
}
END_TEST

START_TEST(test_small_cases)
{
  static const uint8_t zero[64];
  /* Empty and all-zero data sum to 0, checksum ffff. */
  ck_assert_uint_eq(net_csum(zero, 0), 0xffff);
  ck_assert_uint_eq(net_csum(zero, sizeof(zero)), 0xffff);
  ck_assert_uint_eq(net_csum_fold(0), 0xffff);
  /* An odd byte is the high half of a zero-padded word. */
  static const uint8_t one[] = {0x12};
  ck_assert_uint_eq(wire(net_csum(one, 1)), (uint16_t)~0x1200);
  static const uint8_t three[] = {0x12, 0x34, 0x56};
  ck_assert_uint_eq(wire(net_csum(three, 3)), (uint16_t)~(0x1234 + 0x5600));
  /* Carries wrap around: ffff + 0001 = 0001 (one's complement). */
  static const uint8_t wrap[] = {0xff, 0xff, 0x00, 0x01};
  ck_assert_uint_eq(wire(net_csum(wrap, 4)), 0xfffe);
  /* All ones: the sum is "negative zero", the checksum 0. */
  uint8_t ones[1501];
  memset(ones, 0xff, sizeof(ones));
  ck_assert_uint_eq(net_csum(ones, 1500), 0);
  ck_assert_uint_eq(wire(net_csum(ones, 1501)), naive_csum(ones, 1501));
  /* Folding keeps every carry of a full 32-bit partial sum. */
  ck_assert_uint_eq(net_csum_fold(0xffffffffu), 0);
  ck_assert_uint_eq(net_csum_fold(0x0001fffeu), 0);
  ck_assert_uint_eq(net_csum_fold(0x00010000u), 0xfffe);
}
END_TEST

START_TEST(test_ipv4_header)
{
  /* 192.168.0.1 -> 192.168.0.199, UDP, total length 115, DF, TTL 64:
     checksum b861. */
  uint8_t hdr[20] = {
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
  };
  /* A received header with its checksum verifies to 0. */
  ck_assert_uint_eq(net_csum(hdr, sizeof(hdr)), 0);
  /* Computing it: field zeroed, result stored with memcpy. */
  hdr[10] = hdr[11] = 0;
  uint16_t c = net_csum(hdr, sizeof(hdr));
  memcpy(hdr + 10, &c, 2);
  ck_assert_uint_eq(hdr[10], 0xb8);
  ck_assert_uint_eq(hdr[11], 0x61);
  /* Any single-bit error is detected. */
  for (unsigned bit = 0; bit < 160; bit++)
    {
      hdr[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      ck_assert_uint_ne(net_csum(hdr, sizeof(hdr)), 0);
      hdr[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}
END_TEST

START_TEST(test_udp_pseudo_header)
{
  /* UDP 192.168.0.1:40000 -> 192.168.0.199:53, 19 bytes of payload (odd):
     checksum 4bec (computed independently with the textbook algorithm). */
  static const char payload[] = "hello, libnetwork!\n";
  uint8_t udp[8 + 19] = {0x9c, 0x40, 0x00, 0x35, 0x00, 27, 0x00, 0x00};
  memcpy(udp + 8, payload, 19);
  uint32_t src = 0xc0a80001, dst = 0xc0a800c7;

  uint32_t sum = net_csum_pseudo_ipv4(src, dst, 17, sizeof(udp));
  uint16_t c = net_csum_fold(net_csum_add(sum, udp, sizeof(udp)));
  ck_assert_uint_eq(wire(c), 0x4bec);

  /* Same as summing a literal pseudo-header followed by the datagram. */
  uint8_t whole[12 + sizeof(udp)] = {192, 168, 0, 1, 192, 168, 0, 199, 0, 17, 0, 27};
  memcpy(whole + 12, udp, sizeof(udp));
  ck_assert_uint_eq(naive_csum(whole, sizeof(whole)), 0x4bec);

  /* The receiver's check: checksum in place, the total folds to 0. */
  memcpy(udp + 6, &c, 2);
  ck_assert_uint_eq(net_csum_fold(net_csum_add(sum, udp, sizeof(udp))), 0);

  /* Length and protocol are part of the pseudo-header. */
  ck_assert_uint_ne(net_csum_pseudo_ipv4(src, dst, 6, sizeof(udp)), sum);
  ck_assert_uint_ne(net_csum_fold(net_csum_pseudo_ipv4(src, dst, 17, 28)),
                    net_csum_fold(sum));
}
END_TEST

START_TEST(test_random_against_naive)
{
  /* Every length 0..2000, random bytes, random alignment, random seed
     sums, and a random split with an even first piece. */
  enum { MAXLEN = 2000 };
  GRand *rng = g_rand_new_with_seed(20240601);
  uint8_t *mem = malloc(MAXLEN + 16);
  ck_assert_ptr_nonnull(mem);

  for (size_t len = 0; len <= MAXLEN; len++)
    {
      uint8_t *p = mem + g_rand_int_range(rng, 0, 8);
      for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)g_rand_int(rng);
      uint16_t want = naive_csum(p, len);

      ck_assert_msg(wire(net_csum(p, len)) == want, "len %zu", len);

      size_t split = len ? (size_t)g_rand_int_range(rng, 0, (gint32)len + 1) & ~(size_t)1 : 0;
      uint32_t sum = net_csum_add(0, p, split);
      sum = net_csum_add(sum, p + split, len - split);
      ck_assert_msg(wire(net_csum_fold(sum)) == want, "len %zu split %zu", len, split);

      /* Prefixing an even run of bytes = seeding with their sum. */
      uint8_t prefix[6];
      for (size_t i = 0; i < sizeof(prefix); i++)
        prefix[i] = (uint8_t)g_rand_int(rng);
      uint8_t *joined = malloc(sizeof(prefix) + len + 1);
      memcpy(joined, prefix, sizeof(prefix));
      memcpy(joined + sizeof(prefix), p, len);
      uint32_t seeded = net_csum_add(net_csum_add(0, prefix, sizeof(prefix)), p, len);
      ck_assert_msg(wire(net_csum_fold(seeded)) == naive_csum(joined, sizeof(prefix) + len),
                    "seeded len %zu", len);
      free(joined);
    }
  free(mem);
  g_rand_free(rng);
}
END_TEST

START_TEST(test_large_and_saturated)
{
  /* 1 MiB of 0xff and of random bytes: many carries, no overflow of the
     accumulator, and an arbitrary 32-bit seed. */
  enum { LEN = 1 << 20 };
  uint8_t *p = malloc(LEN + 1);
  ck_assert_ptr_nonnull(p);
  memset(p, 0xff, LEN + 1);
  ck_assert_uint_eq(net_csum(p, LEN), 0);
  ck_assert_uint_eq(wire(net_csum(p, LEN + 1)), naive_csum(p, LEN + 1));
  ck_assert_uint_eq(net_csum_fold(net_csum_add(0xffffffffu, p, LEN)), 0);

  GRand *rng = g_rand_new_with_seed(7);
  for (size_t i = 0; i <= LEN; i++)
    p[i] = (uint8_t)g_rand_int(rng);
  ck_assert_uint_eq(wire(net_csum(p, LEN + 1)), naive_csum(p, LEN + 1));
  /* A seed of 0xffffffff folds to ffff, one's complement "negative zero":
     adding it changes nothing, except that a zero sum (checksum ffff)
     becomes ffff (checksum 0). */
  uint16_t seeded = net_csum_fold(net_csum_add(0xffffffffu, p, LEN));
  uint16_t plain = net_csum(p, LEN);
  ck_assert(seeded == plain || (plain == 0xffff && seeded == 0));
  g_rand_free(rng);
  free(p);
}
END_TEST

static Suite *checksum_suite(void)
{
  Suite *s = suite_create("checksum");
  TCase *tc = tcase_create("rfc1071");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_rfc1071_example);
  tcase_add_test(tc, test_small_cases);
  tcase_add_test(tc, test_ipv4_header);
  tcase_add_test(tc, test_udp_pseudo_header);
  tcase_add_test(tc, test_random_against_naive);
  tcase_add_test(tc, test_large_and_saturated);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(checksum_suite());
}
