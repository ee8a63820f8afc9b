/* Robustness: tens of thousands of mutated frames (seeded) through the
   fuzzing entry of the suite — valid templates of every kind (ping,
   fragments, UDP, ICMP errors, ARP) with bytes flipped, fields set to
   extremes, truncated or extended — and the clock jumped now and then.
   Nothing may crash or leak (run under ASan/Valgrind), memory held by
   reassembly goes back to zero, and the stack still answers afterwards. */
#include <config.h>
#include "check_main.h"
#include "fuzz_inet.h"
#include "harness.h"
#include <string.h>

#define OUR 0x0a000002u
#define PEER 0x0a000001u

static size_t template_of(unsigned kind, uint8_t *out, GRand *rng)
{
  static const uint8_t zero[6];
  static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  uint8_t body[1600];
  size_t n;
  uint16_t id = (uint16_t)g_rand_int_range(rng, 0, 8);
  switch (kind % 7)
    {
    case 0:   /* ping */
      n = hbuild_icmp_echo(body, 8, 1, id, "0123456789abcdef", 16);
      return hbuild_ipv4(out, PEER, OUR, 1, id, 0, 64, body, n);
    case 1:   /* a fragment of a UDP datagram to the echo */
      {
        uint16_t off = (uint16_t)g_rand_int_range(rng, 0, 4);
        bool more = g_rand_boolean(rng);
        memset(body, (int)off, 64);
        return hbuild_ipv4(out, PEER, OUR, 17, id, (uint16_t)(off * 8 | (more ? 0x2000 : 0)),
                           64, body, more ? 64 : (size_t)g_rand_int_range(rng, 0, 64));
      }
    case 2:   /* UDP to the echo, the sink or a closed port */
      {
        static const uint16_t ports[3] = {7, 9, 1234};
        n = hbuild_udp(body, PEER, OUR, 5000, ports[id % 3], "payload!", 8);
        return hbuild_ipv4(out, PEER, OUR, 17, id, 0, 64, body, n);
      }
    case 3:   /* an ICMP error quoting one of our datagrams */
      {
        uint8_t inner[64];
        uint8_t udp[16];
        size_t ul = hbuild_udp(udp, OUR, PEER, 9, 5000, "q", 1);
        size_t il = hbuild_ipv4(inner, OUR, PEER, 17, 1, 0, 64, udp, ul);
        body[0] = (uint8_t)(id % 2 ? 3 : 11);
        body[1] = (uint8_t)(id % 5);
        memset(body + 2, 0, 6);
        memcpy(body + 8, inner, il);
        uint16_t c = net_csum(body, 8 + il);
        memcpy(body + 2, &c, 2);
        return hbuild_ipv4(out, PEER, OUR, 1, id, 0, 64, body, 8 + il);
      }
    case 4:   /* ARP request or reply */
      return hbuild_arp(out, (uint16_t)(1 + id % 2), peer_mac, PEER + id % 3, zero, OUR);
    case 5:   /* an unknown protocol */
      return hbuild_ipv4(out, PEER, OUR, (uint8_t)(50 + id), id, 0, 64, "zzzz", 4);
    default:  /* a header with options */
      {
        n = hbuild_ipv4(out, PEER, OUR, 1, id, 0, 64, NULL, 0);
        uint8_t echo[24];
        size_t el = hbuild_icmp_echo(echo, 8, 1, 1, "opts", 4);
        out[0] = 0x47;
        memcpy(out + 20, (const uint8_t[]){7, 7, 4, 0, 0, 0, 0, 1}, 8);
        memcpy(out + 28, echo, el);
        out[2] = 0;
        out[3] = (uint8_t)(28 + el);
        out[10] = out[11] = 0;
        uint16_t c = net_csum(out, 28);
        memcpy(out + 10, &c, 2);
        return 28 + el;
      }
    }
}

static size_t mutate(uint8_t *p, size_t n, GRand *rng)
{
  unsigned ops = (unsigned)g_rand_int_range(rng, 0, 4);
  for (unsigned i = 0; i < ops; i++)
    switch (g_rand_int_range(rng, 0, 5))
      {
      case 0:   /* flip a byte */
        if (n)
          p[g_rand_int_range(rng, 0, (gint32)n)] ^= (uint8_t)g_rand_int_range(rng, 1, 256);
        break;
      case 1:   /* extreme value */
        if (n)
          p[g_rand_int_range(rng, 0, (gint32)n)] = g_rand_boolean(rng) ? 0xff : 0;
        break;
      case 2:   /* truncate */
        n = (size_t)g_rand_int_range(rng, 0, (gint32)n + 1);
        break;
      case 3:   /* extend with junk */
        {
          size_t extra = (size_t)g_rand_int_range(rng, 0, 40);
          for (size_t k = 0; k < extra; k++)
            p[n + k] = (uint8_t)g_rand_int(rng);
          n += extra;
        }
        break;
      default:  /* keep it valid: checksum errors are not all we test */
        break;
      }
  return n;
}

START_TEST(mutated_frames)
{
  GRand *rng = g_rand_new_with_seed(20261122u + (guint32)_i);
  fuzz_inet_setup();
  static uint8_t frame[2048];
  for (unsigned i = 0; i < 20000; i++)
    {
      unsigned kind = (unsigned)g_rand_int_range(rng, 0, 7);
      size_t n = template_of(kind, frame + 1, rng);
      n = mutate(frame + 1, n, rng);
      uint8_t ctl = (uint8_t)((kind == 4 ? 1 : 0) | (g_rand_int_range(rng, 0, 8) == 0 ? 2 : 0));
      if (g_rand_int_range(rng, 0, 200) == 0)
        ctl |= (uint8_t)(g_rand_int_range(rng, 1, 4) << 2);
      frame[0] = ctl;
      fuzz_inet_input(frame, n + 1);
    }
  /* Everything incomplete expires; the stack still answers a ping. */
  uint8_t last[2] = {0x0c, 0};
  fuzz_inet_input(last, 1);
  ck_assert_uint_eq(fuzz_inet_stat("ipv4", "reasm_bytes"), 0);
  ck_assert_uint_eq(fuzz_inet_stat("ipv4", "reasm_datagrams"), 0);
  ck_assert_uint_gt(fuzz_inet_stat("ipv4", "rx_delivered"), 0);
  ck_assert_uint_gt(fuzz_inet_stat("ipv4", "drop_bad_checksum"), 0);
  uint64_t replies = fuzz_inet_stat("icmp", "tx_echo_replies");
  size_t n = template_of(0, frame + 1, rng);
  frame[0] = 0;
  fuzz_inet_input(frame, n + 1);
  ck_assert_uint_eq(fuzz_inet_stat("icmp", "tx_echo_replies"), replies + 1);
  ck_assert_uint_eq(fuzz_inet_teardown(), 0);
  g_rand_free(rng);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("fuzz_smoke");
  TCase *tc = tcase_create("mutations");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, mutated_frames, 0, 2);
  suite_add_tcase(s, tc);
  return net_check_run(s);
}
