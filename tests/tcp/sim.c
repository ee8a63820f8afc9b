/* Two-stack simulation harness (see sim.h). */
#include <config.h>
#include "sim.h"
#include <check.h>
#include <net/task.h>
#include <net/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t sim_seed(uint64_t dflt)
{
  const char *env = getenv("TCP_TEST_SEED");
  uint64_t seed = env && *env ? strtoull(env, NULL, 0) : dflt;
  fprintf(stderr, "seed=%llu (set TCP_TEST_SEED to reproduce)\n",
          (unsigned long long)seed);
  return seed;
}

double sim_scale(void)
{
  const char *env = getenv("TCP_TEST_SCALE");
  const char *wrapper = getenv("NET_TEST_WRAPPER");
  /* Under Valgrind the heaviest cases shrink tenfold unless told. */
  double dflt = wrapper && !strcmp(wrapper, "valgrind") ? 0.1 : 1.0;
  double s = env && *env ? strtod(env, NULL) : dflt;
  return s > 0 && s <= 1 ? s : dflt;
}

uint64_t sim_c2s_seed(const struct sim_s *sim, uint16_t client_port)
{
  return sim->seed * 31 + (uint64_t)client_port * 2;
}

uint64_t sim_s2c_seed(const struct sim_s *sim, uint16_t client_port)
{
  return sim->seed * 31 + (uint64_t)client_port * 2 + 1;
}

static void sim_init_common(struct sim_s *sim)
{
  sim->server_apps = g_ptr_array_new();
  sim->client_apps = g_ptr_array_new();
  sim->client_sessions = g_ptr_array_new();
}

struct sim_s *sim_new(uint64_t seed, const struct wire_params_s *wp,
                      const struct net_tcp_config_s *cfg)
{
  return sim_new2(seed, wp, cfg, cfg);
}

struct sim_s *sim_new2(uint64_t seed, const struct wire_params_s *wp,
                       const struct net_tcp_config_s *cfg0,
                       const struct net_tcp_config_s *cfg1)
{
  return sim_new_wire(seed, wp, cfg0, cfg1, false);
}

struct sim_s *sim_new_wire(uint64_t seed, const struct wire_params_s *wp,
                           const struct net_tcp_config_s *cfg0,
                           const struct net_tcp_config_s *cfg1, bool threaded)
{
  struct sim_s *sim = calloc(1, sizeof(*sim));
  struct net_scheduler_options_s so = {
    .clock = threaded ? NET_CLOCK_MONOTONIC : NET_CLOCK_VIRTUAL,
    .large_buffers = 8192,
    .small_buffers = 8192,
    .workers = 2,
  };
  struct wire_params_s p = wp ? *wp : (struct wire_params_s){ 0 };

  sim->seed = seed;
  sim->threaded = threaded;
  sim->sched = threaded ? net_scheduler_threaded_create(&so)
                        : net_scheduler_loop_create(NULL, &so);
  ck_assert_ptr_nonnull(sim->sched);
  p.seed = seed;
  sim->wire = wire_new(sim->sched, &p);
  ck_assert_ptr_nonnull(sim->wire);
  for (int i = 0; i < 2; i++)
    {
      const struct net_tcp_config_s *cfg = i ? cfg1 : cfg0;
      struct net_tcp_config_s c = cfg ? *cfg : (struct net_tcp_config_s){ 0 };
      c.seed = seed + 1 + (uint64_t)i;
      ck_assert_int_eq(net_tcp_create(sim->sched, &c, &sim->tcp[i]), 0);
      ck_assert_int_eq(wire_attach(sim->wire, i, sim->tcp[i]), 0);
    }
  sim_init_common(sim);
  return sim;
}

struct sim_s *sim_new_stack(uint64_t seed, const struct net_pair_params_s *pp,
                            const struct net_tcp_config_s *cfg, bool threaded)
{
  struct sim_s *sim = calloc(1, sizeof(*sim));
  struct net_scheduler_options_s so = {
    .clock = threaded ? NET_CLOCK_MONOTONIC : NET_CLOCK_VIRTUAL,
    .large_buffers = 8192,
    .small_buffers = 8192,
    .workers = 2,
  };
  struct net_pair_params_s dir[2] = { { 0 }, { 0 } };
  static const uint32_t addr[2] = { WIRE_ADDR0, WIRE_ADDR1 };

  sim->seed = seed;
  sim->threaded = threaded;
  sim->sched = threaded ? net_scheduler_threaded_create(&so)
                        : net_scheduler_loop_create(NULL, &so);
  ck_assert_ptr_nonnull(sim->sched);
  for (int i = 0; i < 2; i++)
    {
      if (pp)
        dir[i] = *pp;
      dir[i].seed = seed * 2 + (uint64_t)i;
    }
  ck_assert_int_eq(net_pair_create(sim->sched, &dir[0], &dir[1], &sim->dev[0],
                                   &sim->dev[1]), 0);
  for (int i = 0; i < 2; i++)
    {
      ck_assert_int_eq(net_device_layer_create(sim->dev[i], NET_LAYER_ETHERNET, NULL,
                                               NULL, NULL, &sim->eth[i]), 0);
      struct net_inet_config_s ic = { .ipv4 = { .addr_count = 1 } };
      ic.ipv4.addrs[0].addr = addr[i];
      ic.ipv4.addrs[0].prefix_len = 24;
      ck_assert_int_eq(net_inet_create(sim->eth[i], &ic, &sim->inet[i]), 0);
      struct net_tcp_config_s c = cfg ? *cfg : (struct net_tcp_config_s){ 0 };
      c.seed = seed + 1 + (uint64_t)i;
      ck_assert_int_eq(net_tcp_create(sim->sched, &c, &sim->tcp[i]), 0);
      uint8_t proto = NET_IPPROTO_TCP;
      ck_assert_int_eq(net_layer_bind(sim->inet[i].ipv4, &proto, sim->tcp[i]), 0);
    }
  sim_init_common(sim);
  return sim;
}

static int sim_accept(void *delegate, struct net_layer_s *listener,
                      struct net_layer_s *session)
{
  struct sim_s *sim = delegate;
  struct net_tcp_info_s info;
  if (sim->server.refuse)
    return -ECONNREFUSED;
  ck_assert_int_eq(net_tcp_session_info(session, &info), 0);
  uint16_t cport = info.tuple.remote_port;
  struct tapp_s *a = tapp_new(listener->scheduler, sim_s2c_seed(sim, cport),
                              sim->server.tx_total, sim_c2s_seed(sim, cport));
  if (!a)
    return -ENOMEM;
  a->shutdown_after = sim->server.shutdown_after;
  a->start_on_peer_closed = sim->server.start_on_peer_closed;
  a->close_on_peer_closed = sim->server.close_on_peer_closed;
  a->manual = sim->server.manual;
  a->paused = sim->server.paused;
  a->accepted = 1;
  if (sim->server.chunk_min)
    a->chunk_min = sim->server.chunk_min;
  if (sim->server.chunk_max)
    a->chunk_max = sim->server.chunk_max;
  int err = net_layer_bind(session, NULL, tapp_layer(a));
  if (err)
    {
      net_layer_refdec(tapp_layer(a));
      return err;
    }
  g_ptr_array_add(sim->server_apps, a);   /* keeps the creator's reference */
  return 0;
}

static const struct net_tcp_listener_delegate_vtable_s sim_listener_vtable = {
  .accept = sim_accept,
};

int sim_listen(struct sim_s *sim, uint16_t port, const struct sim_server_s *srv)
{
  sim->server = *srv;
  struct net_tcp_config_s cfg;
  ck_assert_int_eq(net_tcp_get_config(sim->tcp[1], &cfg), 0);
  struct net_tcp_session_options_s opt = srv->options;
  if (!opt.rcv_buf)
    opt.rcv_buf = cfg.session.rcv_buf;
  if (!opt.snd_buf)
    opt.snd_buf = cfg.session.snd_buf;
  opt.manual_recv = srv->manual;
  struct net_tcp_listen_params_s lp = {
    .local = { .port = port },
    .backlog = srv->backlog,
    .accept_max = srv->accept_max,
    .options = &opt,
  };
  return net_tcp_listen(sim->tcp[1], &lp, sim, &sim_listener_vtable, &sim->listener);
}

struct tapp_s *sim_connect_from(struct sim_s *sim, uint16_t port,
                                uint16_t local_port, uint64_t tx_total,
                                bool shutdown_after)
{
  struct tapp_s *a = tapp_new(sim->sched, sim_c2s_seed(sim, local_port), tx_total,
                              sim_s2c_seed(sim, local_port));
  ck_assert_ptr_nonnull(a);
  a->shutdown_after = shutdown_after;
  struct net_tcp_connect_params_s cp = {
    .remote = { .addr = WIRE_ADDR1, .port = port },
    .local = { .port = local_port },
    .app = tapp_layer(a),
  };
  struct net_layer_s *session;
  int err = net_tcp_connect(sim->tcp[0], &cp, NULL, NULL, &session);
  ck_assert_msg(err == 0, "connect: %d (seed %llu)", err, (unsigned long long)sim->seed);
  g_ptr_array_add(sim->client_apps, a);
  g_ptr_array_add(sim->client_sessions, session);
  return a;
}

struct tapp_s *sim_connect(struct sim_s *sim, uint16_t port, uint64_t tx_total,
                           bool shutdown_after,
                           const struct net_tcp_session_options_s *opt)
{
  struct tapp_s *a = tapp_new(sim->sched, 0, tx_total, 0);
  ck_assert_ptr_nonnull(a);
  a->shutdown_after = shutdown_after;
  a->manual = opt && opt->manual_recv;
  struct net_tcp_connect_params_s cp = {
    .remote = { .addr = WIRE_ADDR1, .port = port },
    .options = opt,
    .app = tapp_layer(a),
  };
  struct net_layer_s *session;
  int err = net_tcp_connect(sim->tcp[0], &cp, NULL, NULL, &session);
  ck_assert_msg(err == 0, "connect: %d (seed %llu)", err,
                (unsigned long long)sim->seed);
  struct net_tcp_info_s info;
  ck_assert_int_eq(net_tcp_session_info(session, &info), 0);
  a->tx_seed = sim_c2s_seed(sim, info.tuple.local_port);
  a->rx_seed = sim_s2c_seed(sim, info.tuple.local_port);
  a->rng = a->tx_seed;
  g_ptr_array_add(sim->client_apps, a);
  g_ptr_array_add(sim->client_sessions, session);
  return a;
}

bool sim_run(struct sim_s *sim, bool (*done)(struct sim_s *sim, void *ctx),
             void *ctx, net_time_t limit)
{
  net_time_t end = net_scheduler_time(sim->sched) + limit;
  for (;;)
    {
      net_scheduler_run_until_idle(sim->sched);
      if (done && done(sim, ctx))
        return true;
      if (net_scheduler_time(sim->sched) >= end)
        return done ? done(sim, ctx) : true;
      net_scheduler_run_for(sim->sched, 10 * NET_NSEC_PER_MSEC);
    }
}

uint64_t sim_stat(const struct sim_s *sim, int side, const char *name)
{
  struct net_stat_s st[64];
  size_t n = net_layer_stats(sim->tcp[side], st, G_N_ELEMENTS(st));
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(st); i++)
    if (!strcmp(st[i].name, name))
      return st[i].value;
  ck_abort_msg("no tcp stat %s", name);
  return 0;
}

void sim_inject(struct sim_s *sim, int to, uint32_t src,
                const struct net_tcp_hdr_out_s *h, const void *payload,
                size_t len)
{
  uint8_t seg[2048];
  ck_assert_uint_le(len + NET_TCP_HEADER_MAX, sizeof(seg));
  size_t hl = net_tcp_write_header(seg, h);
  if (len)
    memcpy(seg + hl, payload, len);
  net_tcp_checksum_fill(seg, hl + len, src, to ? WIRE_ADDR1 : WIRE_ADDR0);
  wire_inject(sim->wire, to, src, seg, hl + len);
}

void sim_check_exact(const struct sim_s *sim, const struct tapp_s *c,
                     const struct tapp_s *s, uint64_t c2s, uint64_t s2c)
{
  ck_assert_msg(c && s, "apps missing (seed %llu)", (unsigned long long)sim->seed);
  ck_assert_msg(s->rx_bytes == c2s && !s->rx_bad,
                "server got %llu/%llu bytes, bad at %llu (seed %llu)",
                (unsigned long long)s->rx_bytes, (unsigned long long)c2s,
                (unsigned long long)s->rx_bad, (unsigned long long)sim->seed);
  ck_assert_msg(c->rx_bytes == s2c && !c->rx_bad,
                "client got %llu/%llu bytes, bad at %llu (seed %llu)",
                (unsigned long long)c->rx_bytes, (unsigned long long)s2c,
                (unsigned long long)c->rx_bad, (unsigned long long)sim->seed);
  ck_assert_uint_eq(c->order_errors, 0);
  ck_assert_uint_eq(s->order_errors, 0);
}

struct net_tcp_info_s sim_info(struct tapp_s *a)
{
  struct net_tcp_info_s info = { 0 };
  ck_assert_ptr_nonnull(net_layer_parent(&a->layer));
  ck_assert_int_eq(net_tcp_session_info(net_layer_parent(&a->layer), &info), 0);
  return info;
}

void sim_idle(struct sim_s *sim)
{
  net_scheduler_run_until_idle(sim->sched);
}

void sim_dump(const struct sim_s *sim)
{
  if (!getenv("TCP_TEST_VERBOSE"))
    return;
  for (int side = 0; side < 2; side++)
    {
      struct net_stat_s st[64];
      size_t n = net_layer_stats(sim->tcp[side], st, G_N_ELEMENTS(st));
      fprintf(stderr, "tcp[%d] @%.3fs:", side,
              (double)net_scheduler_time(sim->sched) / NET_NSEC_PER_SEC);
      for (size_t i = 0; i < n && i < G_N_ELEMENTS(st); i++)
        if (st[i].value)
          fprintf(stderr, " %s=%llu", st[i].name, (unsigned long long)st[i].value);
      fprintf(stderr, "\n");
    }
  struct net_buffer_pool_stats_s ps;
  net_buffer_pool_stats(net_scheduler_large_pool(sim->sched), &ps);
  fprintf(stderr, "large pool: in use %zu, high water %zu of %zu, failures %llu\n",
          ps.in_use, ps.high_water, ps.capacity, (unsigned long long)ps.failures);
  net_buffer_pool_stats(net_scheduler_small_pool(sim->sched), &ps);
  fprintf(stderr, "small pool: in use %zu, high water %zu of %zu, failures %llu\n",
          ps.in_use, ps.high_water, ps.capacity, (unsigned long long)ps.failures);
  if (!sim->wire)
    return;
  struct wire_stats_s ws;
  wire_stats(sim->wire, &ws);
  fprintf(stderr, "wire: sent %llu/%llu lost %llu dup %llu reordered %llu filtered %llu\n",
          (unsigned long long)ws.sent[0], (unsigned long long)ws.sent[1],
          (unsigned long long)ws.lost, (unsigned long long)ws.duplicated,
          (unsigned long long)ws.reordered, (unsigned long long)ws.filtered);
}

size_t sim_sessions(const struct sim_s *sim, int side)
{
  return (size_t)sim_stat(sim, side, "sessions");
}

static void sim_free_common(struct sim_s *sim)
{
  for (guint i = 0; i < sim->client_apps->len; i++)
    net_layer_refdec(tapp_layer(g_ptr_array_index(sim->client_apps, i)));
  for (guint i = 0; i < sim->server_apps->len; i++)
    net_layer_refdec(tapp_layer(g_ptr_array_index(sim->server_apps, i)));
  net_scheduler_run_until_idle(sim->sched);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(sim->sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  ck_assert_uint_eq(st.live_tasks, 0);
  net_scheduler_destroy(sim->sched);
  g_ptr_array_free(sim->server_apps, TRUE);
  g_ptr_array_free(sim->client_apps, TRUE);
  g_ptr_array_free(sim->client_sessions, TRUE);
  free(sim);
}

static void sim_free_stack(struct sim_s *sim)
{
  if (sim->listener)
    {
      net_layer_unbind(sim->tcp[1], sim->listener);
      net_layer_refdec(sim->listener);
    }
  for (guint i = 0; i < sim->client_sessions->len; i++)
    net_layer_refdec(g_ptr_array_index(sim->client_sessions, i));
  for (int i = 0; i < 2; i++)
    {
      net_layer_refdec(sim->tcp[i]);
      net_inet_release(&sim->inet[i]);
      net_layer_unbind_all(sim->eth[i]);
      net_layer_refdec(sim->eth[i]);
      net_device_refdec(sim->dev[i]);
    }
  /* Frames still on the wire keep their layer until they arrived. */
  if (sim->threaded)
    net_scheduler_run_until_idle(sim->sched);
  else
    net_scheduler_run_for(sim->sched, 100 * NET_NSEC_PER_SEC);
  sim_free_common(sim);
}

void sim_free(struct sim_s *sim)
{
  if (!sim->wire)
    {
      sim_free_stack(sim);
      return;
    }
  if (sim->listener)
    {
      net_layer_unbind(sim->tcp[1], sim->listener);
      net_layer_refdec(sim->listener);
    }
  for (guint i = 0; i < sim->client_sessions->len; i++)
    net_layer_refdec(g_ptr_array_index(sim->client_sessions, i));
  wire_free(sim->wire);
  for (int i = 0; i < 2; i++)
    net_layer_refdec(sim->tcp[i]);
  /* Segments still on the wire hold it until their delay is over. */
  if (sim->threaded)
    net_scheduler_run_until_idle(sim->sched);
  else
    net_scheduler_run_for(sim->sched, 100 * NET_NSEC_PER_SEC);
  sim_free_common(sim);
}
