/* Peers that send and never read must not pin every packet buffer.
 *
 * Each connection to the TCP echo server holds up to its receive window
 * (256 KiB) of data the echo cannot send back, plus the echo's send
 * queue; without a bound across connections a handful of them exceed
 * the pools (4096 small and 2048 large buffers), and from then on
 * nothing gets a buffer: not the next connection, not an ARP reply, not
 * a frame from the driver.  Send queues are bounded together
 * (snd_mem_max), and so is receive memory, in-order and out-of-order
 * (rcv_mem_max, accounted by buffer capacity; doc/robustness.md).
 *
 * The peer is the fuzz harness's (tests/fuzz/fuzz.h): raw segments, so
 * the peer itself holds no memory of the stack.  With 16 such
 * connections the pools never run out and a well-behaved connection
 * opened afterwards (it sends within the window offered) is still
 * echoed. */
#include <config.h>
#include "../fuzz/fuzz.h"
#include <net/buffer.h>
#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fz_target_name[] = "pinned-memory";

/* Not a fuzz target: the harness needs the symbol declared. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return 0;
}

/* Named counter of a layer (fails when it does not exist). */
static uint64_t stat_of(struct net_layer_s *layer, const char *name)
{
  struct net_stat_s st[128];
  size_t n = net_layer_stats(layer, st, 128);
  for (size_t i = 0; i < n && i < 128; i++)
    if (!strcmp(st[i].name, name))
      return st[i].value;
  ck_abort_msg("no counter %s", name);
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
  /* A well-behaved peer: reads its echo (acknowledges it, window open)
     and sends within the window the stack offers, from what the stack
     acknowledged; a closed window is probed with one byte. */
  struct fz_flow_s *good = peer_connect(&s, 50000);
  fz_tcp_send(&s, good, 0x10, 1001, good->stack_nxt, 65535, NULL, 0, NULL, 0, false);
  const uint32_t sent = 64 * sizeof data;
  for (unsigned i = 0; i < 4096 && good->stack_ack - 1001 < sent; i++)
    {
      uint32_t acked = good->stack_ack - 1001;
      uint32_t len = sent - acked;
      if (len > sizeof data)
        len = sizeof data;
      if (len > good->stack_wnd)
        len = good->stack_wnd ? good->stack_wnd : 1;
      fz_tcp_send(&s, good, 0x18, 1001 + acked, good->stack_nxt, 65535, NULL, 0,
                  data, len, false);
      fz_time_step(&s, 2);
    }
  struct net_buffer_pool_stats_s small, large;
  net_buffer_pool_stats(net_scheduler_small_pool(s.sched), &small);
  net_buffer_pool_stats(net_scheduler_large_pool(s.sched), &large);
  ck_assert_msg(small.failures == 0 && large.failures == 0,
                "pools ran out: %llu small and %llu large allocations refused",
                (unsigned long long)small.failures,
                (unsigned long long)large.failures);
  /* The bound was reached, and held: the limit plus at most one buffer
     for each connection that held nothing when its data came. */
  struct net_tcp_config_s cfg;
  ck_assert_int_eq(net_tcp_get_config(s.tcp, &cfg), 0);
  ck_assert_uint_gt(stat_of(s.tcp, "rcv_window_clamped"), 0);
  ck_assert_uint_le(stat_of(s.tcp, "rcv_mem"), cfg.rcv_mem_max + 17 * large.buffer_size);
  fprintf(stderr, "pinned: rcv_mem %llu (max %zu), large buffers in use %zu of %zu, "
          "high water %zu\n", (unsigned long long)stat_of(s.tcp, "rcv_mem"),
          cfg.rcv_mem_max, large.in_use, large.capacity, large.high_water);
  /* Everything it sent was taken and echoed. */
  ck_assert_uint_eq(good->stack_ack - 1001, sent);
  ck_assert_uint_eq(good->stack_nxt - good->stack_iss - 1, sent);

  /* One more stalled peer, at the hard limit: the window it is offered
     lets a segment in, then closes (never below what was offered), and
     its zero-window probes are answered with the same ACK and window. */
  for (unsigned i = 0; i < FZ_FLOWS; i++)
    s.flows[i].used = false;   /* the pinned ones' retransmissions took them */
  struct fz_flow_s *late = peer_connect(&s, 50001);
  fz_tcp_send(&s, late, 0x10, 1001, late->stack_nxt, 0, NULL, 0, NULL, 0, false);
  ck_assert_uint_gt(late->stack_wnd, 0);
  for (unsigned i = 0; i < 16 && late->stack_wnd; i++)
    {
      uint32_t len = late->stack_wnd < sizeof data ? late->stack_wnd : sizeof data;
      fz_tcp_send(&s, late, 0x18, late->stack_ack, late->stack_nxt, 0, NULL, 0,
                  data, len, false);
      fz_time_step(&s, 2);
    }
  ck_assert_uint_eq(late->stack_wnd, 0);
  ck_assert_uint_gt(late->stack_ack, 1001);
  uint32_t ack = late->stack_ack;
  for (unsigned i = 0; i < 3; i++)
    {
      uint64_t frames = s.tx_frames;
      fz_tcp_send(&s, late, 0x10, ack, late->stack_nxt, 0, NULL, 0, data, 1, false);
      fz_time_step(&s, 4);
      ck_assert_uint_gt(s.tx_frames, frames);
      ck_assert_uint_eq(late->stack_ack, ack);
      ck_assert_uint_eq(late->stack_wnd, 0);
    }
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
