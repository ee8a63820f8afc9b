/* The checksum routines the hot path leans on, against plain byte-wise
   references on random input: net_csum_pseudo_ipv4() (computed from the
   numbers) against the sum of a literal pseudo-header, and net_csum_add()
   over every alignment and length around its 32-byte rounds. */
#include <config.h>
#include <net/checksum.h>
#include "check_main.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_pseudo_header)
{
  GRand *rng = g_rand_new_with_seed(6);
  for (unsigned i = 0; i < 200000; i++)
    {
      uint32_t src = g_rand_int(rng), dst = g_rand_int(rng);
      uint8_t proto = (uint8_t)g_rand_int(rng);
      /* Lengths of every size, and the edges. */
      uint32_t len = i % 4 == 0 ? g_rand_int(rng) : i % 4 == 1 ? 0xffff
                     : i % 4 == 2 ? 0 : (uint32_t)g_rand_int_range(rng, 0, 65536);
      uint8_t ph[12] = {
        (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
        (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
        0, proto, (uint8_t)(len >> 8), (uint8_t)len,
      };
      /* The field carries 16 bits of length (TCP/UDP lengths fit). */
      uint32_t want = net_csum_add(0, ph, sizeof(ph));
      uint32_t got = net_csum_pseudo_ipv4(src, dst, proto, len & 0xffff);
      ck_assert_msg(net_csum_fold(got) == net_csum_fold(want),
                    "src %08x dst %08x proto %u len %u", src, dst, proto, len);
      /* As a seed for what follows, the partial sum behaves the same. */
      uint8_t data[7];
      for (size_t k = 0; k < sizeof(data); k++)
        data[k] = (uint8_t)g_rand_int(rng);
      ck_assert_uint_eq(net_csum_fold(net_csum_add(got, data, sizeof(data))),
                        net_csum_fold(net_csum_add(want, data, sizeof(data))));
    }
  g_rand_free(rng);
}
END_TEST

/* RFC 1071 the slow way: 16-bit words in memory order, end-around carry. */
static uint16_t slow_sum(const uint8_t *p, size_t len)
{
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    {
      uint16_t w;
      memcpy(&w, p + i, 2);
      sum += w;
    }
  if (len & 1)
    {
      uint16_t w = 0;
      memcpy(&w, p + len - 1, 1);
      sum += w;
    }
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

START_TEST(test_rounds_and_tails)
{
  GRand *rng = g_rand_new_with_seed(9);
  uint8_t *mem = malloc(4096 + 64);
  for (size_t align = 0; align < 8; align++)
    for (size_t len = 0; len <= 300; len++)
      for (unsigned fill = 0; fill < 3; fill++)
        {
          uint8_t *p = mem + align;
          for (size_t i = 0; i < len; i++)
            p[i] = fill == 0 ? 0xff : fill == 1 ? (uint8_t)i : (uint8_t)g_rand_int(rng);
          uint32_t seed = fill == 0 ? 0xffffffffu : g_rand_int(rng);
          uint16_t want = slow_sum(p, len);
          uint32_t s = seed;
          s = (s & 0xffff) + (s >> 16);
          s = (s & 0xffff) + (s >> 16);
          uint32_t both = want + s;
          both = (both & 0xffff) + (both >> 16);
          ck_assert_msg(net_csum_fold(net_csum_add(seed, p, len)) == (uint16_t)~both,
                        "align %zu len %zu fill %u", align, len, fill);
        }
  free(mem);
  g_rand_free(rng);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("csum");
  TCase *tc = tcase_create("csum");
  tcase_add_test(tc, test_pseudo_header);
  tcase_add_test(tc, test_rounds_and_tails);
  suite_add_tcase(s, tc);
  return net_check_run(s);
}
