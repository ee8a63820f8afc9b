/* TCP over the real stack: two libnetwork stacks (pair device, Ethernet,
 * ARP, IPv4, TCP) in one process.  On the loop scheduler with a virtual
 * clock: transfers at 0/1/5/20% loss with duplication and reordering,
 * RST from a closed port, simultaneous open, zero window, half-close,
 * 200 concurrent sessions.  On the threaded scheduler (real clock): many
 * sessions in parallel, over the stack and over the test wire; built a
 * second time as test_tcp_threaded with the test-wire case only, for
 * CI's ThreadSanitizer run.  Seeded;
 * TCP_TEST_SEED reproduces a run. */
#include <config.h>
#include "sim.h"
#include "check_main.h"
#include <stdio.h>

#define MS NET_NSEC_PER_MSEC
#define SEC NET_NSEC_PER_SEC

static struct tapp_s *app(GPtrArray *a, unsigned i)
{
  return i < a->len ? g_ptr_array_index(a, i) : NULL;
}

#ifndef TCP_THREADED_ONLY
static bool all_closed(struct sim_s *sim, void *ctx)
{
  (void)ctx;
  for (guint i = 0; i < sim->client_apps->len; i++)
    if (!app(sim->client_apps, i)->closed)
      return false;
  for (guint i = 0; i < sim->server_apps->len; i++)
    if (!app(sim->server_apps, i)->closed)
      return false;
  return true;
}

static bool no_sessions(struct sim_s *sim, void *ctx)
{
  (void)ctx;
  return sim_sessions(sim, 0) == 0 && sim_sessions(sim, 1) == 0;
}

static void check_pair(struct sim_s *sim, struct tapp_s *c, struct tapp_s *s,
                       uint64_t c2s, uint64_t s2c)
{
  sim_check_exact(sim, c, s, c2s, s2c);
  ck_assert_int_eq(c->closed_err, 0);
  ck_assert_int_eq(s->closed_err, 0);
}

static const double loss_rates[] = { 0, 0.01, 0.05, 0.20 };

START_TEST(stack_transfer)
{
  uint64_t seed = sim_seed(500 + (uint64_t)_i);
  double loss = loss_rates[_i];
  uint64_t bytes = (uint64_t)(2e6 * sim_scale());
  struct net_pair_params_s pp = {
    .delay = 5 * MS, .jitter = loss > 0 ? 2 * MS : 0, .loss = loss,
    .duplicate = loss > 0 ? 0.02 : 0, .reorder = loss > 0 ? 0.05 : 0,
    .reorder_delay = 8 * MS,
  };
  struct sim_s *sim = sim_new_stack(seed, &pp, NULL, false);
  struct sim_server_s srv = { .tx_total = bytes, .shutdown_after = true };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  struct tapp_s *c = sim_connect(sim, 7, bytes, true, NULL);
  bool ok = sim_run(sim, all_closed, NULL, 24 * 3600 * SEC);
  sim_dump(sim);
  ck_assert_msg(ok, "not finished (seed %llu, loss %.2f)", (unsigned long long)seed, loss);
  check_pair(sim, c, app(sim->server_apps, 0), bytes, bytes);
  ck_assert(sim_run(sim, no_sessions, NULL, 600 * SEC));
  sim_free(sim);
}
END_TEST

START_TEST(stack_refused)
{
  struct net_pair_params_s pp = { .delay = 1 * MS };
  struct sim_s *sim = sim_new_stack(sim_seed(510), &pp, NULL, false);
  struct tapp_s *c = sim_connect(sim, 9, 0, false, NULL);
  ck_assert(sim_run(sim, all_closed, NULL, 10 * SEC));
  ck_assert_int_eq(c->closed_err, -ECONNREFUSED);
  sim_free(sim);
}
END_TEST

START_TEST(stack_simultaneous_open)
{
  struct net_pair_params_s pp = { .delay = 10 * MS };
  struct sim_s *sim = sim_new_stack(sim_seed(511), &pp, NULL, false);
  struct net_layer_s *sess[2];
  for (int i = 0; i < 2; i++)
    {
      struct tapp_s *a = tapp_new(sim->sched, 100 + (uint64_t)i, 300000, 101 - (uint64_t)i);
      a->shutdown_after = true;
      struct net_tcp_connect_params_s cp = {
        .remote = { .addr = i ? WIRE_ADDR0 : WIRE_ADDR1, .port = i ? 5000 : 6000 },
        .local = { .port = i ? 6000 : 5000 },
        .app = tapp_layer(a),
      };
      ck_assert_int_eq(net_tcp_connect(sim->tcp[i], &cp, NULL, NULL, &sess[i]), 0);
      g_ptr_array_add(i ? sim->server_apps : sim->client_apps, a);
      g_ptr_array_add(sim->client_sessions, sess[i]);
    }
  ck_assert(sim_run(sim, all_closed, NULL, 60 * SEC));
  check_pair(sim, app(sim->client_apps, 0), app(sim->server_apps, 0), 300000, 300000);
  ck_assert_uint_eq(app(sim->client_apps, 0)->connected, 1);
  ck_assert_uint_eq(app(sim->server_apps, 0)->connected, 1);
  sim_free(sim);
}
END_TEST

START_TEST(stack_zero_window_half_close)
{
  struct net_pair_params_s pp = { .delay = 2 * MS };
  struct sim_s *sim = sim_new_stack(sim_seed(512), &pp, NULL, false);
  struct sim_server_s srv = {
    .manual = true, .paused = true, .options = { .rcv_buf = 32768 },
    .tx_total = 200000, .shutdown_after = true, .start_on_peer_closed = true,
  };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  struct tapp_s *c = sim_connect(sim, 7, 500000, true, NULL);
  sim_run(sim, NULL, NULL, 30 * SEC);
  struct tapp_s *s = app(sim->server_apps, 0);
  ck_assert_uint_eq(s->rx_bytes, 32768);
  ck_assert_uint_gt(sim_info(c).zero_window_probes, 0);
  tapp_resume(s);
  ck_assert(sim_run(sim, all_closed, NULL, 120 * SEC));
  check_pair(sim, c, s, 500000, 200000);
  sim_free(sim);
}
END_TEST

START_TEST(stack_concurrent)
{
  uint64_t seed = sim_seed(513);
  unsigned n = (unsigned)(200 * sim_scale()) + 2;
  struct net_pair_params_s pp = { .delay = 1 * MS, .jitter = 1 * MS, .loss = 0.005 };
  struct sim_s *sim = sim_new_stack(seed, &pp, NULL, false);
  struct sim_server_s srv = {
    .tx_total = 20000, .shutdown_after = true, .backlog = 512, .accept_max = 512,
  };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  for (unsigned i = 0; i < n; i++)
    sim_connect(sim, 7, 20000, true, NULL);
  ck_assert(sim_run(sim, all_closed, NULL, 3600 * SEC));
  sim_dump(sim);
  ck_assert_uint_eq(sim->server_apps->len, n);
  for (guint i = 0; i < n; i++)
    {
      struct tapp_s *c = app(sim->client_apps, i), *s = app(sim->server_apps, i);
      ck_assert_msg(c->rx_bytes == 20000 && !c->rx_bad && !c->closed_err,
                    "client %u (seed %llu)", i, (unsigned long long)seed);
      ck_assert_msg(s->rx_bytes == 20000 && !s->rx_bad && !s->closed_err,
                    "server %u (seed %llu)", i, (unsigned long long)seed);
    }
  sim_free(sim);
}
END_TEST

#endif

/* Threaded scheduler, real clock: sessions run on all workers at once,
   over the whole stack (_i = 0) or the test wire (_i = 1). */
START_TEST(threaded_parallel)
{
  uint64_t seed = sim_seed(520);
  unsigned n = (unsigned)(40 * sim_scale()) + 4;
  uint64_t bytes = (uint64_t)(200000 * sim_scale()) + 1000;
  struct sim_s *sim = _i == 0 ? sim_new_stack(seed, NULL, NULL, true)
                              : sim_new_wire(seed, NULL, NULL, NULL, true);
  struct sim_server_s srv = { .tx_total = bytes, .shutdown_after = true };
  ck_assert_int_eq(sim_listen(sim, 7, &srv), 0);
  unsigned base = atomic_load(&tapp_closed_total);
  for (unsigned i = 0; i < n; i++)
    sim_connect_from(sim, 7, (uint16_t)(20000 + i), bytes, true);
  /* Bounded wait on real time: every app reports CLOSED. */
  for (int t = 0; t < 6000 && atomic_load_explicit(&tapp_closed_total, memory_order_acquire)
                                < base + 2 * n; t++)
    net_scheduler_run_for(sim->sched, 10 * MS);
  if (atomic_load(&tapp_closed_total) != base + 2 * n)
    sim_dump(sim);
  ck_assert_uint_eq(atomic_load_explicit(&tapp_closed_total, memory_order_acquire),
                    base + 2 * n);
  ck_assert_uint_eq(sim->server_apps->len, n);
  /* Apps are quiet now: their counters can be read. */
  for (guint i = 0; i < n; i++)
    {
      struct tapp_s *c = app(sim->client_apps, i), *s = app(sim->server_apps, i);
      ck_assert_msg(c->rx_bytes == bytes && !c->rx_bad && !c->closed_err,
                    "client %u (seed %llu)", i, (unsigned long long)seed);
      ck_assert_msg(s->rx_bytes == bytes && !s->rx_bad && !s->closed_err,
                    "server %u (seed %llu)", i, (unsigned long long)seed);
    }
  sim_free(sim);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp-stack");
  TCase *tc;
#ifndef TCP_THREADED_ONLY
  tc = tcase_create("loop");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, stack_transfer, 0, 4);
  tcase_add_test(tc, stack_refused);
  tcase_add_test(tc, stack_simultaneous_open);
  tcase_add_test(tc, stack_zero_window_half_close);
  tcase_add_test(tc, stack_concurrent);
  suite_add_tcase(s, tc);
#endif
  tc = tcase_create("threaded");
  tcase_set_timeout(tc, 120);
#ifdef TCP_THREADED_ONLY
  /* The ThreadSanitizer build runs this: TCP alone over the test wire. */
  tcase_add_loop_test(tc, threaded_parallel, 1, 2);
#else
  tcase_add_loop_test(tc, threaded_parallel, 0, 2);
#endif
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
