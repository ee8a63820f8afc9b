/* Robustness: tens of thousands of mutated segments (seeded) through the
   TCP fuzzing entry — valid templates (SYN with options, ACK, data, FIN,
   RST, SYN-ACK), many made relative to a live connection so they reach
   its state machine, with bytes flipped, fields set to extremes, options
   scrambled, truncated or extended — and the clock jumped now and then.
   Nothing may crash or leak (run under ASan/Valgrind), and the stack
   still opens connections and echoes afterwards. */
#include <config.h>
#include "fuzz_tcp.h"
#include "layers/tcp_private.h"
#include "check_main.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t template_of(unsigned kind, uint8_t *out, GRand *rng)
{
  static const uint8_t flags[] = {
    NET_TCP_SYN, NET_TCP_ACK, NET_TCP_ACK | NET_TCP_PSH, NET_TCP_ACK | NET_TCP_FIN,
    NET_TCP_RST, NET_TCP_RST | NET_TCP_ACK, NET_TCP_SYN | NET_TCP_ACK,
  };
  struct net_tcp_hdr_out_s h = {
    .sport = (uint16_t)g_rand_int_range(rng, 1, 65536),
    .dport = 7,
    .seq = g_rand_int_range(rng, 0, 3000),
    .ack = g_rand_int_range(rng, 0, 3000),
    .flags = flags[kind % sizeof(flags)],
    .wnd = (uint16_t)g_rand_int(rng),
    .opts = (uint8_t)(g_rand_int(rng) & 7),
    .mss = (uint16_t)g_rand_int(rng),
    .wscale = (uint8_t)g_rand_int_range(rng, 0, 20),
    .tsval = g_rand_int(rng),
    .tsecr = g_rand_int(rng),
  };
  size_t hl = net_tcp_write_header(out, &h);
  size_t len = (kind % 3 == 0) ? (size_t)g_rand_int_range(rng, 0, 1500) : 0;
  for (size_t i = 0; i < len; i++)
    out[hl + i] = (uint8_t)('a' + i % 26);
  return hl + len;
}

static size_t mutate(uint8_t *seg, size_t len, GRand *rng)
{
  unsigned n = (unsigned)g_rand_int_range(rng, 0, 4);
  for (unsigned k = 0; k < n && len; k++)
    switch (g_rand_int_range(rng, 0, 6))
      {
      case 0:   /* flip a byte */
        seg[g_rand_int_range(rng, 0, (gint32)len)] ^= (uint8_t)g_rand_int_range(rng, 1, 256);
        break;
      case 1:   /* data offset anything */
        if (len > 12)
          seg[12] = (uint8_t)(g_rand_int_range(rng, 0, 16) << 4);
        break;
      case 2:   /* flags anything */
        if (len > 13)
          seg[13] = (uint8_t)g_rand_int(rng);
        break;
      case 3:   /* truncate */
        len = (size_t)g_rand_int_range(rng, 0, (gint32)len + 1);
        break;
      case 4:   /* scramble the options */
        for (size_t i = 20; i < len && i < 60; i++)
          if (g_rand_boolean(rng))
            seg[i] = (uint8_t)g_rand_int_range(rng, 0, 12);
        break;
      default:  /* window or urgent pointer extremes */
        if (len > 19)
          {
            seg[14] = seg[15] = g_rand_boolean(rng) ? 0xff : 0;
            seg[18] = seg[19] = 0xff;
          }
        break;
      }
  return len;
}

START_TEST(mutated_segments)
{
  const char *env = getenv("TCP_TEST_SEED");
  guint32 seed = env && *env ? (guint32)strtoul(env, NULL, 0) : 4242;
  fprintf(stderr, "seed=%u (set TCP_TEST_SEED to reproduce)\n", seed);
  const char *w = getenv("NET_TEST_WRAPPER");
  unsigned rounds = w && !strcmp(w, "valgrind") ? 4000 : 40000;
  GRand *rng = g_rand_new_with_seed(seed);
  uint8_t in[2048];

  fuzz_tcp_setup();
  for (unsigned r = 0; r < rounds; r++)
    {
      size_t len = template_of((unsigned)g_rand_int(rng), in + 1, rng);
      len = mutate(in + 1, len, rng);
      /* Mostly the live connection, in its window; clock jumps rare. */
      uint8_t ctl = (uint8_t)g_rand_int(rng);
      if (g_rand_int_range(rng, 0, 4))
        ctl = (uint8_t)((ctl & ~3u) | 4u);
      if (g_rand_int_range(rng, 0, 10))
        ctl &= (uint8_t)~0x38u;
      in[0] = ctl;
      fuzz_tcp_input(in, len + 1);
    }
  g_rand_free(rng);
  fprintf(stderr, "sent %llu segments; drops: checksum %llu, short %llu, offset %llu, "
          "option %llu, window %llu; challenge ACKs %llu, resets %llu\n",
          (unsigned long long)fuzz_tcp_sent(),
          (unsigned long long)fuzz_tcp_stat("drop_bad_checksum"),
          (unsigned long long)fuzz_tcp_stat("drop_short"),
          (unsigned long long)fuzz_tcp_stat("drop_bad_offset"),
          (unsigned long long)fuzz_tcp_stat("drop_bad_option"),
          (unsigned long long)fuzz_tcp_stat("drop_out_of_window"),
          (unsigned long long)fuzz_tcp_stat("challenge_acks"),
          (unsigned long long)fuzz_tcp_stat("resets_received"));
  /* Every kind of path was reached. */
  ck_assert_uint_gt(fuzz_tcp_stat("drop_bad_checksum"), 0);
  ck_assert_uint_gt(fuzz_tcp_stat("drop_bad_offset") + fuzz_tcp_stat("drop_short"), 0);
  ck_assert_uint_gt(fuzz_tcp_stat("challenge_acks"), 0);
  ck_assert_uint_gt(fuzz_tcp_stat("passive_opens"), 10);
  /* Still working. */
  ck_assert(fuzz_tcp_echo_check(1000));
  ck_assert_uint_eq(fuzz_tcp_teardown(), 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("tcp-fuzz-smoke");
  TCase *tc = tcase_create("mutated");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, mutated_segments);
  suite_add_tcase(s, tc);
  return net_check_run(s);
}
