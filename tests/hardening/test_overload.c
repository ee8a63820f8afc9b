/* Overload and exhaustion: the stack degrades, counts, stays within its
 * bounds and recovers.  Two stacks over the pair device on a virtual
 * clock (hnet.h), so every run is the same and hours cost seconds:
 *  - packet pools exhausted during TCP transfers: drops counted, the
 *    transfers complete byte-exact once the buffers return;
 *  - the scheduler's task limit reached: counted, and TCP still completes;
 *  - 100,000 SYNs from random sources while echo connections run;
 *  - 1,000 connections whose reader stalls (zero window): memory stays
 *    bounded, then everything is delivered once the readers resume;
 *  - 1,000 clients of the echo server that never read: the TCP layers'
 *    global receive and send memory bounds hold, echo connections opened
 *    meanwhile complete;
 *  - a fragment flood: reassembly memory stays under its bound;
 *  - a flood of unknown neighbours, both ways: ARP and next-hop tables
 *    stay under their bounds.
 * Bounds are asserted on pool and table statistics, never on time.  Under
 * Valgrind (NET_TEST_WRAPPER=valgrind) the counts are scaled down
 * (hn_scale()). */
#include <config.h>
#include "hnet.h"
#include "../fuzz/packet.h"
#include <net/buffer.h>
#include <net/layer/ethernet.h>
#include <net/layer/tcp_echo.h>
#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rng(void)
{
  uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return (uint32_t)(z ^ (z >> 31));
}

static unsigned scaled(unsigned count, unsigned min)
{
  unsigned n = (unsigned)(count * hn_scale());
  return n < min ? min : n;
}

/* A random unicast source outside 10.0.0.0/8 (what a flood spoofs). */
static uint32_t random_source(void)
{
  return 0xc6120000u | (rng() & 0x1ffff);   /* 198.18.0.0/15 */
}

static void echo_listen(struct hn_net_s *n)
{
  struct net_layer_s *l;
  ck_assert_int_eq(net_tcp_echo_listen(n->node[1].tcp, 7, NULL, &l), 0);
  g_ptr_array_add(n->refs, l);
}

static bool all_echoed(struct hn_net_s *n)
{
  for (guint i = 0; i < n->apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n->apps, i);
      hn_app_pump(a);
      if (a->rx_bytes < a->tx_total)
        return false;
    }
  return true;
}

/* Run by 10 ms steps until every client got its stream back, at most
   @p limit of virtual time. */
static void run_until_echoed(struct hn_net_s *n, net_time_t limit)
{
  for (net_time_t t = 0; t < limit && !all_echoed(n); t += 10 * NET_NSEC_PER_MSEC)
    hn_run_for(n, 10 * NET_NSEC_PER_MSEC);
  for (guint i = 0; i < n->apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n->apps, i);
      if (!a->tx_total)
        continue;
      ck_assert_msg(a->rx_bytes == a->tx_total, "app %u got %llu of %llu bytes",
                    i, (unsigned long long)a->rx_bytes,
                    (unsigned long long)a->tx_total);
      ck_assert_uint_eq(a->rx_bad, 0);
    }
}

static uint64_t pool_failures(struct net_buffer_pool_s *pool)
{
  struct net_buffer_pool_stats_s st;
  net_buffer_pool_stats(pool, &st);
  return st.failures;
}

static size_t pool_high_water(struct net_buffer_pool_s *pool)
{
  struct net_buffer_pool_stats_s st;
  net_buffer_pool_stats(pool, &st);
  return st.high_water;
}

/* ---- pool exhaustion -------------------------------------------------- */

START_TEST(test_pool_exhaustion)
{
  struct hn_net_s n;
  /* Without the fast path: it frees a received segment's buffer within
     the scheduler step that received it, so the stack keeps going on
     recycled buffers between two rounds of hoarding. */
  struct hn_params_s p = { .sched = { .small_buffers = 256, .large_buffers = 1024 },
                           .delay = NET_NSEC_PER_MSEC, .no_fastpath = true };
  struct net_tcp_session_options_s copt = { .snd_buf = 32 * 1024 };
  hn_net_init(&n, &p);
  echo_listen(&n);
  for (unsigned i = 0; i < 4; i++)
    hn_connect(&n, 7, 1024 * 1024, i + 1, &copt);
  hn_run_for(&n, 20 * NET_NSEC_PER_MSEC);

  /* Take every free buffer of both pools, again and again as the stack
     releases some: it has none left. */
  struct net_buffer_pool_s *pools[2] = { net_scheduler_small_pool(n.sched),
                                         net_scheduler_large_pool(n.sched) };
  GPtrArray *hoard = g_ptr_array_new();
  uint64_t failures = pool_failures(pools[0]) + pool_failures(pools[1]);
  for (unsigned i = 0; i < 4; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      ck_assert_uint_lt(a->rx_bytes, a->tx_total);   /* still going */
    }
  for (unsigned i = 0; i < 200; i++)
    {
      struct net_buffer_s *b;
      for (unsigned k = 0; k < 2; k++)
        while ((b = net_buffer_alloc(pools[k], 0)))
          g_ptr_array_add(hoard, b);
      all_echoed(&n);
      hn_run_for(&n, 10 * NET_NSEC_PER_MSEC);
    }

  /* The streams stopped short, every failed allocation was counted, no
     connection gave up. */
  for (unsigned i = 0; i < 4; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      ck_assert_uint_lt(a->rx_bytes, a->tx_total);
      ck_assert(!a->closed);
    }
  ck_assert_uint_gt(pool_failures(pools[0]) + pool_failures(pools[1]), failures);
  uint64_t drops = 0;
  for (int i = 0; i < 2; i++)
    drops += hn_stat(n.node[i].tcp, "drop_no_buffer");
  ck_assert_uint_gt(drops, 0);

  /* The buffers return: every stream completes, byte-exact. */
  for (guint i = 0; i < hoard->len; i++)
    net_buffer_refdec(g_ptr_array_index(hoard, i));
  g_ptr_array_free(hoard, TRUE);
  run_until_echoed(&n, 5 * 60 * NET_NSEC_PER_SEC);
  hn_net_fini(&n);
}
END_TEST

/* ---- task limit --------------------------------------------------------- */

/* A scheduler allowed only 128 live tasks, eight echo streams, and the
   applications refilling from outside the scheduler (their sends need
   tasks too): allocations fail and are counted, and every stream still
   completes. */
START_TEST(test_task_limit)
{
  struct hn_net_s n;
  struct hn_params_s p = { .sched = { .task_limit = 128 },
                           .delay = NET_NSEC_PER_MSEC };
  hn_net_init(&n, &p);
  echo_listen(&n);
  for (unsigned i = 0; i < 8; i++)
    hn_connect(&n, 7, 256 * 1024, i + 1, NULL);
  run_until_echoed(&n, 5 * 60 * NET_NSEC_PER_SEC);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(n.sched, &st);
  ck_assert_uint_gt(st.alloc_failures, 0);
  hn_net_fini(&n);
}
END_TEST

/* ---- SYN flood -------------------------------------------------------- */

static void inject_syn(struct hn_net_s *n, uint16_t dport)
{
  static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
  uint8_t pkt[20 + 24] = { 0 };
  uint8_t *t = pkt + 20;
  fz_wr16(t, (uint16_t)(1024 + rng() % 60000));
  fz_wr16(t + 2, dport);
  fz_wr32(t + 4, rng());
  t[12] = 6 << 4;
  t[13] = 0x02;
  fz_wr16(t + 14, 65535);
  memcpy(t + 20, mss, sizeof mss);
  size_t len = fz_build_ipv4(pkt, random_source(), HN_SERVER_IP, 6, 0, NULL, 24);
  fz_fix_ipv4(pkt, len, FZ_CTL_FIX_CSUM);
  hn_inject_ipv4(n, pkt, len);
}

START_TEST(test_syn_flood)
{
  const unsigned conns = 8, backlog = 128, per_ms = 1000;
  const unsigned syns = scaled(100000, 2000);
  const uint64_t tx = (uint64_t)(2 * 1024 * 1024 * hn_scale());
  /* Send and receive buffers of 64 KiB: the echo streams alone cannot
     exhaust the pools, so any shortage would be the flood's doing. */
  struct hn_params_s p = { .delay = NET_NSEC_PER_MSEC,
                           .tcp = { .session = { .rcv_buf = 65536,
                                                 .snd_buf = 65536 } } };
  struct hn_net_s n;
  hn_net_init(&n, &p);
  echo_listen(&n);
  rng_state = 7;
  for (unsigned i = 0; i < conns; i++)
    hn_connect(&n, 7, tx, i + 1, NULL);
  hn_run_for(&n, 10 * NET_NSEC_PER_MSEC);
  ck_assert_uint_eq(hn_stat(n.node[1].tcp, "established"), conns);

  struct net_layer_s *stcp = n.node[1].tcp;
  uint64_t max_sessions = 0, rx_before[8];
  for (unsigned i = 0; i < conns; i++)
    rx_before[i] = ((struct hn_app_s *)g_ptr_array_index(n.apps, i))->rx_bytes;
  for (unsigned i = 0; i < syns; i++)
    {
      inject_syn(&n, 7);
      if ((i + 1) % per_ms)
        continue;
      hn_run_for(&n, NET_NSEC_PER_MSEC);
      all_echoed(&n);
      max_sessions = MAX(max_sessions, hn_stat(stcp, "sessions"));
    }
  /* The backlog held, the rest got stateless SYN cookies, and every echo
     connection made progress during the flood. */
  ck_assert_uint_le(max_sessions, conns + backlog);
  ck_assert_uint_gt(hn_stat(stcp, "syn_cookies_sent"), 0);
  ck_assert_uint_le(hn_stat(stcp, "passive_opens"), conns + 2 * backlog);
  for (unsigned i = 0; i < conns; i++)
    ck_assert_uint_gt(((struct hn_app_s *)g_ptr_array_index(n.apps, i))->rx_bytes,
                      rx_before[i]);
  run_until_echoed(&n, 2 * 60 * NET_NSEC_PER_SEC);
  /* Memory stayed small: no pool ever ran short. */
  ck_assert_uint_eq(pool_failures(net_scheduler_small_pool(n.sched)), 0);
  ck_assert_uint_eq(pool_failures(net_scheduler_large_pool(n.sched)), 0);

  /* Half-open connections give up (SYN-ACK retries): only the echo
     connections are left. */
  hn_run_for(&n, 3 * 60 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hn_stat(stcp, "sessions"), conns + 0u);
  hn_net_fini(&n);
}
END_TEST

/* ---- stalled readers -------------------------------------------------- */

START_TEST(test_stalled_readers)
{
  const unsigned conns = scaled(1000, 50);
  const uint32_t rcv_buf = 4096, snd_buf = 8192;
  const uint64_t total = 16 * 1024;
  struct hn_params_s p = { .sched = { .small_buffers = 8192,
                                      .large_buffers = 16384 } };
  struct hn_net_s n;
  hn_net_init(&n, &p);
  struct net_tcp_session_options_s sopt = { .rcv_buf = rcv_buf };
  /* The readers check every byte against the clients' pattern (seed 42). */
  hn_listen(&n, &(struct hn_listen_params_s){ .port = 80, .backlog = 1024,
                                              .options = &sopt, .stalled = true,
                                              .check = true, .seed = 42 });
  struct net_tcp_session_options_s copt = { .snd_buf = snd_buf };
  for (unsigned i = 0; i < conns; i++)
    hn_connect(&n, 80, total, 42, &copt);
  hn_run_for(&n, 30 * NET_NSEC_PER_SEC);
  all_echoed(&n);
  hn_run_for(&n, 10 * NET_NSEC_PER_SEC);

  /* Every reader holds at most its window, every writer at most its
     send buffer: the rest waits in the applications, not in the stack. */
  struct net_buffer_pool_s *large = net_scheduler_large_pool(n.sched);
  size_t buf_size = net_buffer_pool_buffer_size(large);
  unsigned servers = 0;
  for (guint i = 0; i < n.apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      if (a->tx_total)
        {
          ck_assert(a->connected);
          ck_assert_uint_lt(a->tx_queued, total);
          continue;
        }
      servers++;
      ck_assert(a->stalled);
      ck_assert_uint_gt(a->held_bytes, 0);
      ck_assert_uint_le(a->held_bytes, rcv_buf);
    }
  ck_assert_uint_eq(servers, conns);
  ck_assert_uint_gt(hn_stat(n.node[0].tcp, "zero_window_probes"), 0);
  /* Per connection: the send buffer (its capacity, one buffer more when
     a single one exceeds it) plus the window held by the reader. */
  size_t bound = conns * ((snd_buf + rcv_buf) / buf_size + 4);
  size_t in_use = hn_pool_in_use(large);
  ck_assert_msg(in_use <= bound, "%zu large buffers in use, bound %zu",
                in_use, bound);
  ck_assert_uint_eq(pool_failures(large), 0);

  /* Minutes of zero-window probing grow nothing and drop nobody. */
  hn_run_for(&n, 5 * 60 * NET_NSEC_PER_SEC);
  ck_assert_uint_le(hn_pool_in_use(large), in_use);
  for (guint i = 0; i < n.apps->len; i++)
    ck_assert(!((struct hn_app_s *)g_ptr_array_index(n.apps, i))->closed);

  /* The readers resume: every stream arrives whole and in order. */
  for (guint i = 0; i < n.apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      if (!a->tx_total)
        hn_app_resume(a);
    }
  bool done = false;
  for (unsigned step = 0; step < 600 && !done; step++)
    {
      hn_run_for(&n, 100 * NET_NSEC_PER_MSEC);
      all_echoed(&n);
      done = true;
      for (guint i = 0; i < n.apps->len && done; i++)
        {
          struct hn_app_s *a = g_ptr_array_index(n.apps, i);
          done = a->tx_total || a->rx_bytes == total;
        }
    }
  for (guint i = 0; i < n.apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      if (!a->tx_total)
        {
          ck_assert_uint_eq(a->rx_bytes, total);
          ck_assert_uint_eq(a->rx_bad, 0);
        }
    }
  hn_net_fini(&n);
}
END_TEST

/* ---- stalled peers of an echo server ---------------------------------- */

/* 1,000 clients of the echo server whose application never reads (zero
   window): every echo is stuck, so each connection would pin its whole
   receive window (256 KiB by default) on the server, plus the echo's send
   queue, plus what the clients hold.  The layers' global bounds
   (rcv_mem_max, snd_mem_max) keep the packet pools from running out, and
   echo connections opened meanwhile complete byte-exact. */
START_TEST(test_stalled_peers_echo)
{
  const unsigned conns = scaled(1000, 50), good = 8;
  const uint64_t total = 32 * 1024, good_total = 256 * 1024;
  /* Receive and send memory of each node: 2 KB per connection, far
     below what the connections try to pin (32 KiB each). */
  const size_t mem = conns * (size_t)2048;
  struct hn_params_s p = {
    .sched = { .small_buffers = 8192, .large_buffers = 16384 },
    .tcp = { .snd_mem_max = mem, .rcv_mem_max = mem },
  };
  struct hn_net_s n;
  hn_net_init(&n, &p);
  struct net_layer_s *stcp = n.node[1].tcp;
  echo_listen(&n);
  struct net_tcp_session_options_s stalled = { .manual_recv = true };
  for (unsigned i = 0; i < conns; i++)
    {
      struct hn_app_s *a = hn_connect(&n, 7, total, i + 1, &stalled);
      a->stalled = true;
    }
  hn_run_for(&n, 30 * NET_NSEC_PER_SEC);
  all_echoed(&n);
  hn_run_for(&n, 10 * NET_NSEC_PER_SEC);

  /* Memory hit the bound and stayed there. */
  struct net_buffer_pool_s *large = net_scheduler_large_pool(n.sched);
  size_t buf_size = net_buffer_pool_buffer_size(large);
  ck_assert_uint_gt(hn_stat(stcp, "drop_rcv_memory"), 0);
  ck_assert_uint_eq(hn_stat(stcp, "rcv_mem_state"), 2);
  /* The limit, plus one segment for each connection that held nothing
     when it came (the progress guarantee). */
  ck_assert_uint_le(hn_stat(stcp, "rcv_mem"), mem + conns * buf_size);
  /* Both nodes: send queues and receive memory (their bounds) and per
     connection one buffer of each beyond them. */
  size_t bound = 2 * (2 * mem) / buf_size + 4 * conns + 256;
  size_t in_use = hn_pool_in_use(large);
  fprintf(stderr, "stalled echo peers: %u connections, %zu large buffers in use "
          "(bound %zu, pool %zu), server rcv_mem %llu\n", conns, in_use, bound,
          (size_t)16384, (unsigned long long)hn_stat(stcp, "rcv_mem"));
  ck_assert_msg(in_use <= bound, "%zu large buffers in use, bound %zu",
                in_use, bound);
  ck_assert_uint_eq(pool_failures(large), 0);

  /* Echo connections opened now still complete, byte-exact, while the
     stalled ones hold what they hold (and probe zero windows). */
  for (unsigned i = 0; i < good; i++)
    hn_connect(&n, 7, good_total, 5000 + i, NULL);
  uint64_t dropped = hn_stat(stcp, "drop_rcv_memory");
  for (net_time_t t = 0; t < 10 * 60 * NET_NSEC_PER_SEC; t += 10 * NET_NSEC_PER_MSEC)
    {
      bool done = true;
      all_echoed(&n);
      for (guint i = conns; i < n.apps->len && done; i++)
        {
          struct hn_app_s *a = g_ptr_array_index(n.apps, i);
          done = a->tx_total == good_total && a->rx_bytes == good_total;
        }
      if (done)
        break;
      hn_run_for(&n, 10 * NET_NSEC_PER_MSEC);
    }
  unsigned echoed = 0;
  for (guint i = 0; i < n.apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      if (a->tx_total != good_total)
        continue;
      ck_assert_uint_eq(a->rx_bytes, good_total);
      ck_assert_uint_eq(a->rx_bad, 0);
      echoed++;
    }
  ck_assert_uint_eq(echoed, good);
  ck_assert_uint_eq(pool_failures(large), 0);
  ck_assert_uint_le(hn_stat(stcp, "rcv_mem"), mem + conns * buf_size);

  /* Minutes of retransmissions into windows offered before the memory
     ran out (a right edge is never taken back): dropped, counted,
     answered with ACKs; nobody gives up, nothing grows. */
  hn_run_for(&n, 3 * 60 * NET_NSEC_PER_SEC);
  ck_assert_uint_gt(hn_stat(stcp, "drop_rcv_memory"), dropped);
  ck_assert_uint_le(hn_pool_in_use(large), bound);
  for (guint i = 0; i < n.apps->len; i++)
    ck_assert(!((struct hn_app_s *)g_ptr_array_index(n.apps, i))->closed);
  ck_assert_uint_eq(pool_failures(large), 0);

  /* The readers resume: every stream comes back whole and in order. */
  for (guint i = 0; i < n.apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      if (a->stalled)
        hn_app_resume(a);
    }
  bool done = false;
  for (unsigned step = 0; step < 3000 && !done; step++)
    {
      hn_run_for(&n, 100 * NET_NSEC_PER_MSEC);
      done = all_echoed(&n);
    }
  for (guint i = 0; i < n.apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n.apps, i);
      ck_assert_uint_eq(a->rx_bytes, a->tx_total);
      ck_assert_uint_eq(a->rx_bad, 0);
    }
  ck_assert_uint_eq(hn_stat(stcp, "rcv_mem"), 0);
  hn_net_fini(&n);
}
END_TEST

/* ---- fragment flood --------------------------------------------------- */

/* A 3000-byte UDP datagram to the echo port, in three fragments. */
static void inject_udp_fragments(struct hn_net_s *n, uint16_t id)
{
  uint8_t l4[3000], pkt[1600];
  memset(l4, 0, sizeof l4);
  fz_wr16(l4, 4000);
  fz_wr16(l4 + 2, 7);
  fz_wr16(l4 + 4, sizeof l4);        /* checksum 0: none */
  static const size_t cut[4] = { 0, 1480, 2960, 3000 };
  for (unsigned i = 0; i < 3; i++)
    {
      size_t len = fz_build_ipv4(pkt, HN_CLIENT_IP, HN_SERVER_IP, 17,
                                 (uint16_t)((i < 2 ? 0x2000 : 0) | cut[i] / 8),
                                 l4 + cut[i], cut[i + 1] - cut[i]);
      fz_wr16(pkt + 4, id);
      fz_fix_ipv4(pkt, len, FZ_CTL_FIX_CSUM);
      hn_inject_ipv4(n, pkt, len);
    }
}

START_TEST(test_fragment_flood)
{
  const size_t mem_max = 64 * 1024;
  const unsigned datagrams_max = 32;
  const unsigned count = scaled(20000, 1000);
  struct hn_params_s p = { .inet = { .ipv4 = { .reasm_mem_max = mem_max,
                                               .reasm_max_datagrams = datagrams_max } } };
  struct hn_net_s n;
  hn_net_init(&n, &p);
  struct net_layer_s *ip = n.node[1].inet.ipv4;
  struct net_buffer_pool_s *large = net_scheduler_large_pool(n.sched);
  size_t base = hn_pool_in_use(large);
  /* What reassembly may hold, and a few frames on their way. */
  size_t bound = base + mem_max / net_buffer_pool_buffer_size(large) + 4;
  rng_state = 11;

  uint8_t payload[1480], pkt[1600];
  memset(payload, 0xab, sizeof payload);
  for (unsigned i = 0; i < count; i++)
    {
      /* First fragments of datagrams that never complete. */
      size_t len = fz_build_ipv4(pkt, random_source(), HN_SERVER_IP, 17, 0x2000,
                                 payload, sizeof payload);
      fz_wr16(pkt + 4, (uint16_t)rng());
      fz_fix_ipv4(pkt, len, FZ_CTL_FIX_CSUM);
      hn_inject_ipv4(&n, pkt, len);
      if (i % 50)
        continue;
      hn_run(&n);
      ck_assert_uint_le(hn_stat(ip, "reasm_bytes"), mem_max);
      ck_assert_uint_le(hn_stat(ip, "reasm_datagrams"), datagrams_max);
      ck_assert_uint_le(hn_pool_in_use(large), bound);
      if (i % 5000 == 0)
        {
          /* A real datagram in the middle of the flood still gets
             through when its fragments arrive together. */
          uint64_t ok = hn_stat(ip, "reasm_ok");
          inject_udp_fragments(&n, (uint16_t)i);
          hn_run(&n);
          ck_assert_uint_eq(hn_stat(ip, "reasm_ok"), ok + 1);
        }
    }
  hn_run(&n);
  ck_assert_uint_gt(hn_stat(ip, "reasm_evicted"), 0);
  ck_assert_uint_gt(hn_stat(n.node[1].inet.udp, "rx_delivered"), 0);
  /* Everything left times out: memory back to where it was. */
  hn_run_for(&n, 60 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hn_stat(ip, "reasm_bytes"), 0);
  ck_assert_uint_eq(hn_stat(ip, "reasm_datagrams"), 0);
  ck_assert_uint_le(hn_pool_in_use(large), base);
  hn_net_fini(&n);
}
END_TEST

/* ---- unknown neighbours ------------------------------------------------ */

static void inject_arp_request(struct hn_net_s *n, uint32_t spa)
{
  uint8_t f[42];
  memcpy(f, net_mac_broadcast, 6);
  f[6] = 0x02;                         /* a random unicast MAC */
  for (unsigned i = 7; i < 12; i++)
    f[i] = (uint8_t)rng();
  fz_wr16(f + 12, NET_ETHERTYPE_ARP);
  fz_build_arp(f + 14, 1, f + 6, spa, NULL, HN_SERVER_IP);
  hn_inject(n, 1, f, sizeof f);
}

START_TEST(test_neighbour_flood)
{
  const unsigned cache_max = 256, neigh_max = 256;
  const unsigned count = scaled(20000, 1000);
  /* A /16: thousands of on-link neighbours to ask for. */
  struct hn_params_s p = { .inet = { .ipv4 = { .addrs = { { .prefix_len = 16 } } } } };
  struct hn_net_s n;
  hn_net_init(&n, &p);
  struct net_layer_s *arp = n.node[1].inet.arp, *ip = n.node[1].inet.ipv4;
  rng_state = 13;

  /* Requests from thousands of hosts we never heard of: each is
     answered, the cache keeps the most recent ones. */
  for (unsigned i = 0; i < count; i++)
    {
      inject_arp_request(&n, 0x0a000000u | (rng() & 0xffff) | 0x100);
      if (i % 100 == 0)
        {
          hn_run(&n);
          ck_assert_uint_le(hn_stat(arp, "cache_entries"), cache_max);
        }
    }
  hn_run(&n);
  ck_assert_uint_le(hn_stat(arp, "cache_entries"), cache_max);
  ck_assert_uint_gt(hn_stat(arp, "cache_evicted"), 0);
  ck_assert_uint_eq(hn_stat(arp, "tx_replies"), count);

  /* Datagrams to thousands of neighbours that never answer: the next-hop
     table and the cache stay bounded, and say so. */
  struct net_buffer_pool_s *small = net_scheduler_small_pool(n.sched);
  const unsigned sends = scaled(5000, 4 * neigh_max);
  for (unsigned i = 0; i < sends; i++)
    {
      hn_udp_send(&n, 1, 0x0a000000u | ((i * 7919u) & 0xffff) | 0x200, 9, 32);
      if (i % 100 == 0)
        {
          hn_run(&n);
          ck_assert_uint_le(hn_stat(arp, "cache_entries"), cache_max);
          ck_assert_uint_le(hn_stat(ip, "neigh_entries"), neigh_max);
        }
    }
  hn_run(&n);
  ck_assert_uint_gt(hn_stat(ip, "drop_neigh_table_full")
                    + hn_stat(arp, "query_nobufs"), 0);
  ck_assert_uint_le(pool_high_water(small), 2048);

  /* The failures time out; the real neighbour is still reachable. */
  hn_run_for(&n, 2 * 60 * NET_NSEC_PER_SEC);
  ck_assert_uint_le(hn_stat(ip, "neigh_entries"), 1);
  uint64_t echoed = hn_stat(n.node[1].inet.udp, "tx_packets");
  hn_udp_send(&n, 0, HN_SERVER_IP, 7, 100);
  hn_run(&n);
  ck_assert_uint_eq(hn_stat(n.node[1].inet.udp, "tx_packets"), echoed + 1);
  hn_net_fini(&n);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("overload");
  TCase *tc = tcase_create("overload");
  /* Generous: Valgrind and sanitizer builds on a loaded machine. */
  tcase_set_timeout(tc, 900);
  tcase_add_test(tc, test_pool_exhaustion);
  tcase_add_test(tc, test_task_limit);
  tcase_add_test(tc, test_syn_flood);
  tcase_add_test(tc, test_stalled_readers);
  tcase_add_test(tc, test_stalled_peers_echo);
  tcase_add_test(tc, test_fragment_flood);
  tcase_add_test(tc, test_neighbour_flood);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
