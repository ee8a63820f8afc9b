/* Simulated two-stack TCP tests: handshake, transfers with loss,
 * duplication and reordering, close, timers, limits.  Virtual clock,
 * seeded; the seed is printed (TCP_TEST_SEED reproduces a run). */
#include <config.h>
#include "sim.h"
#include <net/layer/tcp_echo.h>
#include "check_main.h"
#include <stdio.h>

#define MS NET_NSEC_PER_MSEC
#define SEC NET_NSEC_PER_SEC

static struct tapp_s *server_app(struct sim_s *sim, unsigned i)
{
  return i < sim->server_apps->len ? g_ptr_array_index(sim->server_apps, i) : NULL;
}

static bool all_closed(struct sim_s *sim, void *ctx)
{
  (void)ctx;
  for (guint i = 0; i < sim->client_apps->len; i++)
    if (!((struct tapp_s *)g_ptr_array_index(sim->client_apps, i))->closed)
      return false;
  for (guint i = 0; i < sim->server_apps->len; i++)
    if (!((struct tapp_s *)g_ptr_array_index(sim->server_apps, i))->closed)
      return false;
  return sim->server_apps->len > 0 || sim->client_apps->len > 0;
}

static bool client_closed(struct sim_s *sim, void *ctx)
{
  (void)ctx;
  return ((struct tapp_s *)g_ptr_array_index(sim->client_apps, 0))->closed;
}

static bool no_sessions(struct sim_s *sim, void *ctx)
{
  (void)ctx;
  return sim_sessions(sim, 0) == 0 && sim_sessions(sim, 1) == 0;
}

/* Exact both ways and closed in order on both sides. */
static void check_exact(struct sim_s *sim, struct tapp_s *c, struct tapp_s *s,
                        uint64_t c2s, uint64_t s2c)
{
  sim_check_exact(sim, c, s, c2s, s2c);
  ck_assert_int_eq(c->closed_err, 0);
  ck_assert_int_eq(s->closed_err, 0);
  ck_assert_uint_eq(c->peer_closed, 1);
  ck_assert_uint_eq(s->peer_closed, 1);
}

START_TEST(transfer_no_loss)
{
  uint64_t seed = sim_seed(1);
  struct wire_params_s wp = { .delay = 1 * MS };
  struct sim_s *sim = sim_new(seed, &wp, NULL);
  struct sim_server_s srv = { .tx_total = 100000, .shutdown_after = true };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  struct tapp_s *c = sim_connect(sim, 7, 100000, true, NULL);
  ck_assert(sim_run(sim, all_closed, NULL, 100 * SEC));
  check_exact(sim, c, server_app(sim, 0), 100000, 100000);
  ck_assert_uint_eq(c->connected, 1);
  sim_dump(sim);
  /* The active closer (whoever sent FIN first) waits 2 MSL. */
  ck_assert(sim_run(sim, no_sessions, NULL, 200 * SEC));
  sim_free(sim);
}
END_TEST

/* Bulk transfer both ways at a loss rate, with duplication and
   reordering; byte-exact and orderly closed. */
static void lossy_transfer(uint64_t seed, double loss, uint64_t bytes)
{
  struct wire_params_s wp = {
    .delay = 5 * MS, .jitter = 10 * MS,
    .loss = loss, .dup = loss > 0 ? 0.02 : 0, .reorder = loss > 0 ? 0.05 : 0,
  };
  struct sim_s *sim = sim_new(seed, &wp, NULL);
  struct sim_server_s srv = { .tx_total = bytes, .shutdown_after = true };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  struct tapp_s *c = sim_connect(sim, 7, bytes, true, NULL);
  bool ok = sim_run(sim, all_closed, NULL, 24 * 3600 * SEC);
  sim_dump(sim);
  ck_assert_msg(ok, "transfer did not finish (seed %llu, loss %.2f)",
                (unsigned long long)seed, loss);
  check_exact(sim, c, server_app(sim, 0), bytes, bytes);
  ck_assert(sim_run(sim, no_sessions, NULL, 300 * SEC));
  sim_free(sim);
}

static const double loss_rates[] = { 0, 0.01, 0.05, 0.20 };

START_TEST(transfer_lossy)
{
  uint64_t bytes = (uint64_t)(10e6 * sim_scale());
  lossy_transfer(sim_seed(100 + (uint64_t)_i), loss_rates[_i], bytes);
}
END_TEST

/* The echo application over a lossy wire, against a client that stops
   reading: the echo stops consuming, the windows close, nothing grows
   without bound; once the client reads again everything comes back
   byte-exact. */
START_TEST(echo_flow_control)
{
  uint64_t seed = sim_seed(400);
  /* More than every buffer on the way can hold, whatever the scale. */
  uint64_t bytes = (uint64_t)(3e6 * sim_scale());
  if (bytes < 2000000)
    bytes = 2000000;
  struct wire_params_s wp = { .delay = 5 * MS, .loss = 0.01, .reorder = 0.02,
                              .jitter = 5 * MS };
  struct sim_s *sim = sim_new(seed, &wp, NULL);
  struct net_tcp_echo_stats_s stats = { 0 };
  ck_assert_int_eq(net_tcp_echo_listen(sim->tcp[1], 7, &stats, &sim->listener), 0);
  struct net_tcp_session_options_s opt = { .manual_recv = true };
  struct tapp_s *c = sim_connect(sim, 7, bytes, true, &opt);
  c->rx_seed = c->tx_seed;   /* an echo */
  c->paused = true;
  sim_run(sim, NULL, NULL, 60 * SEC);
  /* Stalled: the client holds one receive buffer, the server one send
     buffer and one receive window's worth, the client still has data. */
  ck_assert_uint_le(c->rx_bytes, 256 * 1024);
  ck_assert_uint_lt(c->tx_sent, bytes);
  ck_assert_uint_le(sim_stat(sim, 1, "send_mem"), 512 * 1024 + 4096);
  ck_assert_uint_eq(atomic_load(&stats.active), 1);
  tapp_resume(c);
  ck_assert(sim_run(sim, client_closed, NULL, 3600 * SEC));
  sim_dump(sim);
  ck_assert_msg(c->rx_bytes == bytes && !c->rx_bad && !c->closed_err,
                "echo: %llu/%llu bytes, bad at %llu, err %d (seed %llu)",
                (unsigned long long)c->rx_bytes, (unsigned long long)bytes,
                (unsigned long long)c->rx_bad, c->closed_err,
                (unsigned long long)seed);
  ck_assert_uint_eq(atomic_load(&stats.bytes), bytes);
  ck_assert_uint_eq(atomic_load(&stats.connections), 1);
  ck_assert(sim_run(sim, no_sessions, NULL, 300 * SEC));
  ck_assert_uint_eq(atomic_load(&stats.active), 0);
  sim_free(sim);
}
END_TEST

/* Many connections at once, each both ways, on one pair of stacks. */
START_TEST(concurrent_sessions)
{
  uint64_t seed = sim_seed(200);
  unsigned n = (unsigned)(1000 * sim_scale());
  struct wire_params_s wp = { .delay = 2 * MS, .jitter = 3 * MS, .reorder = 0.02,
                              .loss = 0.005 };
  struct sim_s *sim = sim_new(seed, &wp, NULL);
  struct sim_server_s srv = {
    .tx_total = 10000, .shutdown_after = true, .backlog = 2048, .accept_max = 2048,
  };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  for (unsigned i = 0; i < n; i++)
    sim_connect(sim, 7, 10000, true, NULL);
  sim_idle(sim);
  ck_assert_uint_eq(sim_sessions(sim, 0), n);
  bool ok = sim_run(sim, all_closed, NULL, 3600 * SEC);
  sim_dump(sim);
  for (guint i = 0; !ok && i < sim->client_apps->len; i++)
    {
      struct tapp_s *c = g_ptr_array_index(sim->client_apps, i);
      if (c->closed || !net_layer_parent(&c->layer))
        continue;
      struct net_tcp_info_s ci = sim_info(c);
      fprintf(stderr, "client %u: %s tx %llu/%llu rx %llu una %u nxt %u wnd %u cwnd %u "
              "rcv_nxt %u peer_closed %u no_buffer %u\n", i, net_tcp_state_name(ci.state),
              (unsigned long long)c->tx_sent, (unsigned long long)c->tx_total,
              (unsigned long long)c->rx_bytes, ci.snd_una, ci.snd_nxt, ci.snd_wnd,
              ci.cwnd, ci.rcv_nxt, c->peer_closed, c->no_buffer);
    }
  for (guint i = 0; !ok && i < sim->server_apps->len; i++)
    {
      struct tapp_s *s = g_ptr_array_index(sim->server_apps, i);
      if (s->closed_err)
        fprintf(stderr, "server %u port %u: closed %d at %.3f, tx %llu rx %llu peer_closed %u\n", i,
                (unsigned)((s->rx_seed - sim->seed * 31) / 2),
                s->closed_err, s->closed_at / 1e9, (unsigned long long)s->tx_sent,
                (unsigned long long)s->rx_bytes, s->peer_closed);
      if (s->closed || !net_layer_parent(&s->layer))
        continue;
      struct net_tcp_info_s si = sim_info(s);
      fprintf(stderr, "server %u: %s tx %llu/%llu rx %llu una %u nxt %u wnd %u cwnd %u "
              "rcv_nxt %u peer_closed %u no_buffer %u eagain %u writable %u\n", i,
              net_tcp_state_name(si.state),
              (unsigned long long)s->tx_sent, (unsigned long long)s->tx_total,
              (unsigned long long)s->rx_bytes, si.snd_una, si.snd_nxt, si.snd_wnd,
              si.cwnd, si.rcv_nxt, s->peer_closed, s->no_buffer, s->eagain, s->writable);
    }
  ck_assert_msg(ok, "not all closed (seed %llu)", (unsigned long long)seed);
  ck_assert_uint_eq(sim->server_apps->len, n);
  /* Match every client with its server by port: streams are per port. */
  for (guint i = 0; i < sim->client_apps->len; i++)
    {
      struct tapp_s *c = g_ptr_array_index(sim->client_apps, i);
      ck_assert_msg(c->rx_bytes == 10000 && !c->rx_bad && c->closed_err == 0,
                    "client %u: %llu bytes, bad %llu, err %d (seed %llu)", i,
                    (unsigned long long)c->rx_bytes, (unsigned long long)c->rx_bad,
                    c->closed_err, (unsigned long long)seed);
    }
  for (guint i = 0; i < sim->server_apps->len; i++)
    {
      struct tapp_s *s = g_ptr_array_index(sim->server_apps, i);
      ck_assert_msg(s->rx_bytes == 10000 && !s->rx_bad && s->closed_err == 0,
                    "server %u: %llu bytes, bad %llu, err %d (seed %llu)", i,
                    (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_bad,
                    s->closed_err, (unsigned long long)seed);
    }
  ck_assert_uint_eq(sim_stat(sim, 1, "passive_opens"), n);
  ck_assert(sim_run(sim, no_sessions, NULL, 300 * SEC));
  sim_free(sim);
}
END_TEST

/* A tiny reassembly bound under heavy reordering: out-of-order segments
   beyond it are dropped (and counted), the transfer still completes. */
START_TEST(reassembly_bound)
{
  uint64_t seed = sim_seed(300);
  struct wire_params_s wp = { .delay = 5 * MS, .jitter = 20 * MS, .reorder = 0.3 };
  struct net_tcp_config_s cfg = { .ooo_max = 8192 };
  struct sim_s *sim = sim_new(seed, &wp, &cfg);
  struct sim_server_s srv = { .tx_total = 1000000, .shutdown_after = true };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  struct tapp_s *c = sim_connect(sim, 7, 1000000, true, NULL);
  ck_assert(sim_run(sim, all_closed, NULL, 3600 * SEC));
  sim_dump(sim);
  check_exact(sim, c, server_app(sim, 0), 1000000, 1000000);
  ck_assert_uint_gt(sim_stat(sim, 0, "drop_ooo_memory") + sim_stat(sim, 1, "drop_ooo_memory"), 0);
  sim_free(sim);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp-sim");
  TCase *tc = tcase_create("transfer");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, transfer_no_loss);
  tcase_add_loop_test(tc, transfer_lossy, 0, 4);
  tcase_add_test(tc, reassembly_bound);
  tcase_add_test(tc, echo_flow_control);
  tcase_add_test(tc, concurrent_sessions);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
