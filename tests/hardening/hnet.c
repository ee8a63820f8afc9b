/* Two stacks over the pair device, and a streaming application (hnet.h). */
#include <config.h>
#include "hnet.h"
#include <net/buffer.h>
#include <net/task.h>
#include <net/layer/ethernet.h>
#include <net/layer/udp.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t HN_MAC[2][6] = { { 0x02, 0, 0, 0, 0, 0x01 },
                               { 0x02, 0, 0, 0, 0, 0x02 } };

static atomic_uint hn_critical_count;

unsigned hn_criticals(void)
{
  return atomic_load(&hn_critical_count);
}

/* Criticals are counted (checked at the end); the rest is noise at the
   rates these tests run (HN_VERBOSE shows it). */
static void hn_log(const gchar *domain, GLogLevelFlags level,
                   const gchar *message, gpointer data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      atomic_fetch_add(&hn_critical_count, 1);
      fprintf(stderr, "critical: %s\n", message);
    }
  else if (getenv("HN_VERBOSE"))
    fprintf(stderr, "%s\n", message);
}

double hn_scale(void)
{
  const char *w = getenv("NET_TEST_WRAPPER");
  return w && !strcmp(w, "valgrind") ? 0.05 : 1.0;
}

uint64_t hn_stat(struct net_layer_s *layer, const char *name)
{
  struct net_stat_s st[128];
  size_t n = MIN(net_layer_stats(layer, st, G_N_ELEMENTS(st)), G_N_ELEMENTS(st));
  for (size_t i = 0; i < n; i++)
    if (!strcmp(st[i].name, name))
      return st[i].value;
  ck_abort_msg("no counter %s in %s", name, net_layer_type_name(layer));
  return 0;
}

size_t hn_pool_in_use(struct net_buffer_pool_s *pool)
{
  struct net_buffer_pool_stats_s st;
  net_buffer_pool_stats(pool, &st);
  return st.in_use;
}

void hn_run(struct hn_net_s *n)
{
  net_scheduler_run_until_idle(n->sched);
}

void hn_run_for(struct hn_net_s *n, net_time_t ns)
{
  net_scheduler_run_for(n->sched, ns);
}

void hn_inject(struct hn_net_s *n, int i, const uint8_t *frame, size_t len)
{
  struct net_buffer_s *b = net_scheduler_buffer_alloc(n->sched, 64, len);
  ck_assert_ptr_nonnull(b);
  memcpy(net_buffer_put(b, len), frame, len);
  net_ethernet_inject(n->node[i].eth, b, net_scheduler_time(n->sched));
}

void hn_inject_ipv4(struct hn_net_s *n, const uint8_t *pkt, size_t len)
{
  uint8_t f[14 + 2048];
  ck_assert_uint_le(len, sizeof f - 14);
  memcpy(f, HN_MAC[1], 6);
  memcpy(f + 6, HN_MAC[0], 6);
  f[12] = NET_ETHERTYPE_IPV4 >> 8;
  f[13] = NET_ETHERTYPE_IPV4 & 0xff;
  memcpy(f + 14, pkt, len);
  hn_inject(n, 1, f, 14 + len);
}

/* The UDP port 9 endpoint: drops what it receives. */
static void hn_sink_task(struct net_layer_s *layer, struct net_task_s *task)
{
  net_task_destroy(task);
}

static void hn_sink_destroyed(struct net_layer_s *layer)
{
  free(layer);
}

static const struct net_layer_handler_s hn_sink_handler = {
  .type_name = "hn-sink",
  .destroyed = hn_sink_destroyed,
  .task_handle = hn_sink_task,
};

void hn_udp_send(struct hn_net_s *n, int i, uint32_t dst, uint16_t port,
                 size_t len)
{
  struct net_layer_s *ep = n->node[i].udp_port9;
  struct net_buffer_s *b = net_layer_buffer_alloc(ep, len);
  ck_assert_ptr_nonnull(b);
  memset(net_buffer_put(b, len), 0x5a, len);
  struct net_task_s *t = net_scheduler_task_alloc(n->sched);
  ck_assert_ptr_nonnull(t);
  struct net_addr_s d = { .ipv4 = dst, .port = port,
                          .valid = NET_ADDR_IPV4 | NET_ADDR_PORT };
  ck_assert_int_eq(net_task_outbound_push(t, net_layer_parent(ep), ep, NULL, &d, b), 0);
}

/* ---- stacks ----------------------------------------------------------- */

static void hn_node_init(struct hn_net_s *n, int i, struct net_device_s *dev,
                         const struct hn_params_s *p)
{
  struct hn_node_s *nd = &n->node[i];
  nd->dev = dev;
  struct net_ethernet_params_s ep = { .no_fastpath = p && p->no_fastpath };
  memcpy(ep.mac, HN_MAC[i], 6);
  ck_assert_int_eq(net_device_layer_create(dev, NET_LAYER_ETHERNET, &ep, NULL,
                                           NULL, &nd->eth), 0);
  struct net_inet_config_s ic = p ? p->inet : (struct net_inet_config_s){ 0 };
  ic.ipv4.addrs[0].addr = i ? HN_SERVER_IP : HN_CLIENT_IP;
  if (!ic.ipv4.addrs[0].prefix_len)
    ic.ipv4.addrs[0].prefix_len = 24;
  ic.ipv4.addr_count = 1;
  ic.ipv4.gateway = i ? HN_CLIENT_IP : 0;
  ck_assert_int_eq(net_inet_create(nd->eth, &ic, &nd->inet), 0);
  struct net_tcp_config_s tc = p ? p->tcp : (struct net_tcp_config_s){ 0 };
  tc.seed = (uint64_t)i + 1;
  ck_assert_int_eq(net_tcp_create(n->sched, &tc, &nd->tcp), 0);
  ck_assert_int_eq(net_layer_bind(nd->inet.ipv4, &(uint8_t){ NET_IPPROTO_TCP },
                                  nd->tcp), 0);
  nd->udp_port9 = malloc(sizeof *nd->udp_port9);
  ck_assert_ptr_nonnull(nd->udp_port9);
  ck_assert_int_eq(net_layer_init(nd->udp_port9, &hn_sink_handler, n->sched,
                                  NULL, NULL), 0);
  ck_assert_int_eq(net_layer_bind(nd->inet.udp, &(struct net_udp_bind_s){
                                    .local_port = 9 }, nd->udp_port9), 0);
  net_layer_refdec(nd->udp_port9);
}

void hn_net_init(struct hn_net_s *n, const struct hn_params_s *p)
{
  memset(n, 0, sizeof *n);
  n->log_handler = g_log_set_handler(NET_LOG_DOMAIN, G_LOG_LEVEL_MASK
                                     | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                                     hn_log, NULL);
  struct net_scheduler_options_s so = p ? p->sched : (struct net_scheduler_options_s){ 0 };
  if (p && p->threaded)
    n->sched = net_scheduler_threaded_create(&so);
  else
    {
      so.clock = NET_CLOCK_VIRTUAL;
      n->sched = net_scheduler_loop_create(NULL, &so);
    }
  ck_assert_ptr_nonnull(n->sched);
  struct net_device_s *a, *b;
  struct net_pair_params_s wire = { .delay = p ? p->delay : 0 };
  ck_assert_int_eq(net_pair_create(n->sched, &wire, &wire, &a, &b), 0);
  hn_node_init(n, 0, a, p);
  hn_node_init(n, 1, b, p);
  struct net_layer_s *echo;
  ck_assert_int_eq(net_udp_echo_create(n->sched, &echo), 0);
  ck_assert_int_eq(net_layer_bind(n->node[1].inet.udp,
                                  &(struct net_udp_bind_s){ .local_port = 7 },
                                  echo), 0);
  net_layer_refdec(echo);
  n->apps = g_ptr_array_new();
  n->refs = g_ptr_array_new();
  hn_run(n);
}

/* Every reference the harness holds. */
static void hn_release(struct hn_net_s *n)
{
  for (guint i = 0; i < n->refs->len; i++)
    net_layer_refdec(g_ptr_array_index(n->refs, i));
  for (guint i = 0; i < n->apps->len; i++)
    net_layer_refdec(&((struct hn_app_s *)g_ptr_array_index(n->apps, i))->layer);
  g_ptr_array_free(n->refs, TRUE);
  g_ptr_array_free(n->apps, TRUE);
  for (int i = 0; i < 2; i++)
    {
      struct hn_node_s *nd = &n->node[i];
      net_layer_refdec(nd->tcp);
      net_inet_release(&nd->inet);
      net_layer_refdec(nd->eth);
      net_device_refdec(nd->dev);
    }
}

void hn_net_fini(struct hn_net_s *n)
{
  hn_release(n);
  hn_run(n);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(n->sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  ck_assert_uint_eq(st.live_tasks, 0);
  ck_assert_uint_eq(hn_pool_in_use(net_scheduler_small_pool(n->sched)), 0);
  ck_assert_uint_eq(hn_pool_in_use(net_scheduler_large_pool(n->sched)), 0);
  net_scheduler_destroy(n->sched);
  g_log_remove_handler(NET_LOG_DOMAIN, n->log_handler);
  ck_assert_uint_eq(hn_criticals(), 0);
}

void hn_net_abandon(struct hn_net_s *n)
{
  hn_release(n);
  net_scheduler_destroy(n->sched);
  g_log_remove_handler(NET_LOG_DOMAIN, n->log_handler);
  ck_assert_uint_eq(hn_criticals(), 0);
}

/* ---- application ------------------------------------------------------ */

static uint8_t hn_pattern(uint64_t seed, uint64_t i)
{
  uint64_t z = (i >> 3) * UINT64_C(0x9e3779b97f4a7c15) + seed;
  return (uint8_t)((z ^ (z >> 29)) >> (8 * (i & 7)));
}

static void hn_app_receive(struct hn_app_s *a, struct net_buffer_s *b)
{
  const uint8_t *p = net_buffer_data(b);
  size_t len = net_buffer_len(b);
  if (a->echo_check && !a->rx_bad)
    for (size_t i = 0; i < len; i++)
      if (p[i] != hn_pattern(a->seed, a->rx_bytes + i))
        {
          a->rx_bad = a->rx_bytes + i + 1;
          break;
        }
  a->rx_bytes += len;
  if (a->stalled)
    {
      g_queue_push_tail(&a->held, b);
      a->held_bytes += len;
      return;
    }
  if (net_layer_parent(&a->layer))
    net_tcp_recv_done(&a->layer, net_layer_parent(&a->layer), len);
  net_buffer_refdec(b);
}

static void hn_app_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct hn_app_s *a = net_container_of(layer, struct hn_app_s, layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    hn_app_receive(a, net_task_packet_steal_buffer(task));
  else if (task->type == NET_TASK_NOTIFICATION)
    switch (task->notification.opcode)
      {
      case NET_TCP_EV_CONNECTED:
        a->connected = true;
        hn_app_pump(a);
        break;
      case NET_TCP_EV_WRITABLE:
        hn_app_pump(a);
        break;
      case NET_TCP_EV_PEER_CLOSED:
        a->peer_closed = true;
        break;
      case NET_TCP_EV_CLOSED:
        a->closed = true;
        a->closed_err = task->notification.err;
        break;
      default:
        break;
      }
  net_task_destroy(task);
}

static void hn_app_drop_held(struct hn_app_s *a)
{
  struct net_buffer_s *b;
  while ((b = g_queue_pop_head(&a->held)))
    net_buffer_refdec(b);
  a->held_bytes = 0;
}

static void hn_app_dangling(struct net_layer_s *layer)
{
  hn_app_drop_held(net_container_of(layer, struct hn_app_s, layer));
}

static void hn_app_destroyed(struct net_layer_s *layer)
{
  struct hn_app_s *a = net_container_of(layer, struct hn_app_s, layer);
  hn_app_drop_held(a);
  free(a);
}

static const struct net_layer_handler_s hn_app_handler = {
  .type_name = "hn-app",
  .destroyed = hn_app_destroyed,
  .task_handle = hn_app_task,
  .dangling = hn_app_dangling,
};

struct hn_app_s *hn_app_new(struct hn_net_s *n, uint64_t seed, uint64_t tx_total)
{
  struct hn_app_s *a = calloc(1, sizeof *a);
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(net_layer_init(&a->layer, &hn_app_handler, n->sched, NULL,
                                  NULL), 0);
  a->seed = seed;
  a->tx_total = tx_total;
  g_queue_init(&a->held);
  g_ptr_array_add(n->apps, a);   /* the creator's reference */
  return a;
}

void hn_app_pump(struct hn_app_s *a)
{
  struct net_layer_s *session = net_layer_parent(&a->layer);
  while (session && a->tx_queued < a->tx_total)
    {
      size_t chunk = (size_t)MIN(a->tx_total - a->tx_queued, (uint64_t)1400);
      struct net_buffer_s *b = net_layer_buffer_alloc(&a->layer, chunk);
      if (!b)
        return;   /* pool exhausted: the test pumps again later */
      uint8_t *p = net_buffer_put(b, chunk);
      for (size_t i = 0; i < chunk; i++)
        p[i] = hn_pattern(a->seed, a->tx_queued + i);
      if (net_tcp_send(&a->layer, session, b) != 0)
        {
          net_buffer_refdec(b);
          return;   /* -EAGAIN: WRITABLE follows */
        }
      a->tx_queued += chunk;
    }
}

void hn_app_resume(struct hn_app_s *a)
{
  a->stalled = false;
  if (net_layer_parent(&a->layer) && a->held_bytes)
    net_tcp_recv_done(&a->layer, net_layer_parent(&a->layer), (size_t)a->held_bytes);
  hn_app_drop_held(a);
}

struct hn_app_s *hn_connect(struct hn_net_s *n, uint16_t port, uint64_t tx,
                            uint64_t seed,
                            const struct net_tcp_session_options_s *opt)
{
  struct hn_app_s *a = hn_app_new(n, seed, tx);
  a->echo_check = true;
  struct net_tcp_connect_params_s cp = {
    .remote = { .addr = HN_SERVER_IP, .port = port },
    .options = opt,
    .app = &a->layer,
  };
  struct net_layer_s *session;
  ck_assert_int_eq(net_tcp_connect(n->node[0].tcp, &cp, NULL, NULL, &session), 0);
  g_ptr_array_add(n->refs, session);
  return a;
}

struct hn_listen_s
{
  struct hn_net_s *net;
  bool stalled;
};

/* Delegate of a listener: what its apps are like. */
struct hn_listener_s
{
  struct hn_net_s *net;
  struct hn_listen_params_s params;
};

static int hn_accept(void *delegate, struct net_layer_s *listener,
                     struct net_layer_s *session)
{
  struct hn_listener_s *l = delegate;
  struct hn_app_s *a = hn_app_new(l->net, l->params.seed, 0);
  a->stalled = l->params.stalled;
  a->echo_check = l->params.check;
  return net_layer_bind(session, NULL, &a->layer);
}

static void hn_listener_release(void *delegate, struct net_layer_s *layer)
{
  free(delegate);
}

static const struct net_tcp_listener_delegate_vtable_s hn_listener_vtable = {
  .base = { .release = hn_listener_release },
  .accept = hn_accept,
};

void hn_listen(struct hn_net_s *n, const struct hn_listen_params_s *p)
{
  struct net_tcp_session_options_s o = { 0 };
  if (p->options)
    o = *p->options;
  o.manual_recv = p->stalled;
  struct net_tcp_listen_params_s lp = {
    .local = { .port = p->port }, .backlog = p->backlog, .accept_max = 4096,
    .options = &o,
  };
  struct hn_listener_s *l = calloc(1, sizeof *l);
  ck_assert_ptr_nonnull(l);
  l->net = n;
  l->params = *p;
  l->params.options = NULL;
  struct net_layer_s *listener;
  ck_assert_int_eq(net_tcp_listen(n->node[1].tcp, &lp, l, &hn_listener_vtable,
                                  &listener), 0);
  g_ptr_array_add(n->refs, listener);
}
