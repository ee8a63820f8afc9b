/* Known limit, expected to fail until TCP bounds the receive memory of
 * all its sessions together (listed in XFAIL_TESTS; see
 * doc/robustness.md, "Known limits").
 *
 * A remote peer that sends and never reads can pin every packet buffer
 * of a stack in its default configuration.  Each connection to the TCP
 * echo server holds up to its receive window (256 KiB) of data the echo
 * cannot send back, plus the echo's send queue; a handful of connections
 * exceed the pools (4096 small and 2048 large buffers), and from then on
 * nothing gets a buffer: not the next connection, not an ARP reply, not
 * a frame from the driver.  Send queues are bounded together
 * (snd_mem_max) and so are out-of-order queues (ooo_mem_max); in-order
 * data held for applications are not.
 *
 * The peer is the fuzz harness's (tests/fuzz/fuzz.h): raw segments, so
 * the peer itself holds no memory of the stack.  The test asserts what
 * should hold: with 16 such connections the pools never run out and a
 * well-behaved connection opened afterwards is still echoed. */
#include <config.h>
#include "../fuzz/fuzz.h"
#include <net/buffer.h>
#include "check_main.h"
#include <stdlib.h>

const char fz_target_name[] = "pinned-memory";

/* Not a fuzz target: the harness needs the symbol declared. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return 0;
}

static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };

/* Open a connection from peer port @p port to the echo port. */
static struct fz_flow_s *peer_connect(struct fz_stack_s *s, uint16_t port)
{
  struct fz_flow_s *f = fz_flow(s, FZ_TCP_ECHO_PORT, port);
  ck_assert_ptr_nonnull(f);
  fz_tcp_send(s, f, 0x02, 1000, 0, 65535, mss, sizeof mss, NULL, 0, false);
  ck_assert(f->synced);
  return f;
}

START_TEST(test_stalled_peers_pin_memory)
{
  static uint8_t data[1400];
  struct fz_stack_s s;
  fz_stack_init(&s, FZ_WITH_TCP | FZ_DEFAULT_POOLS);
  /* Connections that send 320 KiB in order with a zero window: their
     echo can never leave. */
  for (uint16_t c = 0; c < 16; c++)
    {
      struct fz_flow_s *f = peer_connect(&s, (uint16_t)(40000 + c));
      for (uint32_t off = 0; off < 320 * 1024; off += sizeof data)
        fz_tcp_send(&s, f, 0x10, 1001 + off, f->stack_nxt, 0, NULL, 0, data,
                    sizeof data, false);
      f->used = false;   /* make room in the harness's flow table */
    }
  /* A well-behaved peer: reads its echo (acknowledges it, window open). */
  struct fz_flow_s *good = peer_connect(&s, 50000);
  fz_tcp_send(&s, good, 0x10, 1001, good->stack_nxt, 65535, NULL, 0, NULL, 0, false);
  uint32_t sent = 0;
  for (unsigned i = 0; i < 64; i++)
    {
      fz_tcp_send(&s, good, 0x18, 1001 + sent, good->stack_nxt, 65535, NULL, 0,
                  data, sizeof data, false);
      sent += sizeof data;
      fz_time_step(&s, 2);
    }
  struct net_buffer_pool_stats_s small, large;
  net_buffer_pool_stats(net_scheduler_small_pool(s.sched), &small);
  net_buffer_pool_stats(net_scheduler_large_pool(s.sched), &large);
  ck_assert_msg(small.failures == 0 && large.failures == 0,
                "pools ran out: %llu small and %llu large allocations refused",
                (unsigned long long)small.failures,
                (unsigned long long)large.failures);
  /* Everything it sent was taken and echoed. */
  ck_assert_uint_eq(good->stack_ack - 1001, sent);
  ck_assert_uint_eq(good->stack_nxt - good->stack_iss - 1, sent);
  fz_stack_fini(&s);
}
END_TEST

int main(void)
{
  Suite *su = suite_create("pinned-memory");
  TCase *tc = tcase_create("pinned-memory");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_stalled_peers_pin_memory);
  suite_add_tcase(su, tc);
  return net_check_run(su);
}
