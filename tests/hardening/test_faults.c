/* Faults while traffic flows, on the loop scheduler (virtual clock) and
 * on the threaded one: two stacks over the pair device (hnet.h) with TCP
 * echo streams, pings and UDP datagrams in flight, then
 *  - the server's tcp layer is unbound from IPv4, later bound again;
 *  - the server's IPv4 layer is unbound from Ethernet, later bound again;
 *  - the clients' applications are unbound from their sessions (close);
 *  - the scheduler is destroyed with everything still in flight.
 * Each time: no crash, no g_critical, the tasks to and from the unbound
 * layer are cancelled, the rest of the stack keeps working, and at the
 * end no layer, task or buffer is left (ASan and Valgrind see the
 * rest).  The TAP device disappearing is tests/hardening/tap-vanish.sh. */
#include <config.h>
#include "hnet.h"
#include "../fuzz/packet.h"
#include <net/layer/ethernet.h>
#include <net/layer/tcp_echo.h>
#include "check_main.h"
#include <stdlib.h>
#include <string.h>

/* _i of a loop test: 0 loop scheduler, 1 threaded (2 workers). */
static void net_up(struct hn_net_s *n, int threaded)
{
  struct hn_params_s p = { .threaded = threaded != 0,
                           .sched = { .workers = threaded ? 2 : 0 },
                           .delay = threaded ? 0 : NET_NSEC_PER_MSEC };
  hn_net_init(n, &p);
  struct net_layer_s *l;
  ck_assert_int_eq(net_tcp_echo_listen(n->node[1].tcp, 7, NULL, &l), 0);
  g_ptr_array_add(n->refs, l);
}

/* Let traffic flow for @p ms milliseconds (virtual or real), then wait
   for the workers to be idle so that the test may look at the apps. */
static void flow(struct hn_net_s *n, unsigned ms)
{
  hn_run_for(n, ms * NET_NSEC_PER_MSEC);
  hn_run(n);
}

static void inject_ping(struct hn_net_s *n, uint16_t seq)
{
  uint8_t pkt[20 + 64] = { 0 };
  uint8_t *icmp = pkt + 20;
  icmp[0] = 8;
  fz_wr16(icmp + 4, 0x4242);
  fz_wr16(icmp + 6, seq);
  size_t len = fz_build_ipv4(pkt, HN_CLIENT_IP, HN_SERVER_IP, 1, 0, NULL, 64);
  fz_fix_ipv4(pkt, len, FZ_CTL_FIX_CSUM);
  hn_inject_ipv4(n, pkt, len);
}

/* More of everything, queued but not run yet: pings and UDP datagrams
   towards the server, stream data from the clients. */
static void queue_traffic(struct hn_net_s *n)
{
  for (uint16_t i = 0; i < 32; i++)
    inject_ping(n, i);
  for (unsigned i = 0; i < 8; i++)
    hn_udp_send(n, 0, HN_SERVER_IP, 7, 1000);
}

/* Wait until @p a got its whole stream back: up to 5 minutes of virtual
   time, or about 20 s of real time on the threaded scheduler. */
static void wait_echoed(struct hn_net_s *n, struct hn_app_s *a)
{
  for (unsigned i = 0; i < 2000 && a->rx_bytes < a->tx_total; i++)
    flow(n, 10);
  ck_assert_uint_eq(a->rx_bytes, a->tx_total);
  ck_assert_uint_eq(a->rx_bad, 0);
}

static uint64_t cancelled(struct hn_net_s *n)
{
  struct net_scheduler_stats_s st;
  net_scheduler_stats(n->sched, &st);
  return st.cancelled;
}

/* The server answers pings (IPv4 and ICMP work). */
static void check_pingable(struct hn_net_s *n)
{
  struct net_layer_s *icmp = n->node[1].inet.icmp;
  uint64_t replies = hn_stat(icmp, "tx_echo_replies");
  inject_ping(n, 999);
  flow(n, 5);
  ck_assert_uint_eq(hn_stat(icmp, "tx_echo_replies"), replies + 1);
}

static void start_streams(struct hn_net_s *n)
{
  for (unsigned i = 0; i < 4; i++)
    hn_connect(n, 7, 1024 * 1024, i + 1, NULL);
  flow(n, 5);
}

/* ---- faults from inside the scheduler --------------------------------- */

/* A layer that injects a fault from scheduler context after @c rounds
   trips through the run queue, so that the fault lands while the tasks
   queued before it are at different stages of their way up or down. */
struct fault_s
{
  struct net_layer_s layer;
  struct hn_net_s *net;
  void (*fn)(struct hn_net_s *n);
  unsigned rounds;
  uint64_t cancelled_before;
};

static void fault_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct fault_s *f = net_container_of(layer, struct fault_s, layer);
  net_task_destroy(task);
  if (f->rounds--)
    {
      struct net_task_s *t = net_scheduler_task_alloc(layer->scheduler);
      ck_assert_ptr_nonnull(t);
      net_task_notification_push(t, layer, layer, 1, 0, 0);
      return;
    }
  f->cancelled_before = cancelled(f->net);
  f->fn(f->net);
}

static void fault_destroyed(struct net_layer_s *layer)
{
  free(net_container_of(layer, struct fault_s, layer));
}

static const struct net_layer_handler_s fault_handler = {
  .type_name = "fault",
  .destroyed = fault_destroyed,
  .task_handle = fault_task,
};

/* Queue traffic, then the fault behind it; returns the fault layer
   (referenced: release with net_layer_refdec). */
static struct fault_s *fault_inject(struct hn_net_s *n, unsigned rounds,
                                    void (*fn)(struct hn_net_s *n))
{
  struct fault_s *f = calloc(1, sizeof *f);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(net_layer_init(&f->layer, &fault_handler, n->sched, NULL,
                                  NULL), 0);
  f->net = n;
  f->fn = fn;
  f->rounds = rounds;
  queue_traffic(n);
  struct net_task_s *t = net_scheduler_task_alloc(n->sched);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(net_task_notification_push(t, &f->layer, &f->layer, 1, 0, 0), 0);
  return f;
}

/* A packet task from @p source to @p target, left queued: an IPv4
   packet holding a TCP SYN to the echo port, going up (INBOUND, with
   @p pull header bytes already pulled) or down (OUTBOUND). */
static void push_packet(struct hn_net_s *n, struct net_layer_s *target,
                        struct net_layer_s *source, bool inbound, size_t pull)
{
  uint8_t pkt[40] = { 0 };
  fz_build_ipv4(pkt, HN_CLIENT_IP, HN_SERVER_IP, 6, 0, NULL, 20);
  fz_wr16(pkt + 20, 40001);
  fz_wr16(pkt + 22, 7);
  pkt[32] = 5 << 4;
  pkt[33] = 0x02;
  fz_fix_ipv4(pkt, sizeof pkt, FZ_CTL_FIX_CSUM);
  struct net_buffer_s *b = net_scheduler_buffer_alloc(n->sched, 64, sizeof pkt);
  ck_assert_ptr_nonnull(b);
  memcpy(net_buffer_put(b, sizeof pkt), pkt, sizeof pkt);
  struct net_addr_s src = { .ipv4 = HN_CLIENT_IP, .valid = NET_ADDR_IPV4 };
  struct net_addr_s dst = { .ipv4 = HN_SERVER_IP, .valid = NET_ADDR_IPV4 | NET_ADDR_MAC };
  struct net_task_s *t = net_scheduler_task_alloc(n->sched);
  ck_assert_ptr_nonnull(t);
  net_buffer_pull(b, pull);
  if (inbound)
    ck_assert_int_eq(net_task_inbound_push(t, target, source, 0, &src, &dst, b), 0);
  else
    ck_assert_int_eq(net_task_outbound_push(t, target, source, &src, &dst, b), 0);
}

/* The fault: tasks to and from the layer are certainly queued, then it
   is unbound. */
static void unbind_tcp(struct hn_net_s *n)
{
  struct net_layer_s *ip = n->node[1].inet.ipv4, *tcp = n->node[1].tcp;
  push_packet(n, tcp, ip, true, 20);
  push_packet(n, ip, tcp, false, 20);
  net_layer_unbind(ip, tcp);
}

static void unbind_ipv4(struct hn_net_s *n)
{
  struct net_layer_s *eth = n->node[1].eth, *ip = n->node[1].inet.ipv4;
  push_packet(n, ip, eth, true, 0);
  push_packet(n, eth, ip, false, 0);
  net_layer_unbind(eth, ip);
}

static void unbind_apps(struct hn_net_s *n)
{
  /* Closing by unbinding: FIN after what was queued, RST for what the
     echo still sends. */
  for (guint i = 0; i < n->apps->len; i++)
    {
      struct hn_app_s *a = g_ptr_array_index(n->apps, i);
      net_layer_unbind(net_layer_parent(&a->layer), &a->layer);
    }
}

/* _i: bit 0 the scheduler (0 loop, 1 threaded), the rest how many trips
   through the run queue the fault waits. */
static struct fault_s *fault_run(struct hn_net_s *n, int i,
                                 void (*fn)(struct hn_net_s *n))
{
  net_up(n, i & 1);
  start_streams(n);
  struct fault_s *f = fault_inject(n, (unsigned)i >> 1, fn);
  flow(n, 100);
  return f;
}

START_TEST(test_unbind_tcp_in_flight)
{
  struct hn_net_s n;
  struct fault_s *f = fault_run(&n, _i, unbind_tcp);
  struct net_layer_s *ip = n.node[1].inet.ipv4, *tcp = n.node[1].tcp;
  /* The tasks queued to and from it died (on the threaded scheduler a
     worker may deliver them first).  Without its tcp child the server
     refuses TCP (protocol unreachable); everything else still works. */
  if (!(_i & 1))
    ck_assert_uint_ge(cancelled(&n), f->cancelled_before + 2);
  push_packet(&n, ip, n.node[1].eth, true, 0);
  flow(&n, 5);
  ck_assert_uint_gt(hn_stat(ip, "drop_no_protocol"), 0);
  check_pingable(&n);
  /* Bound again, with its listeners and sessions: new connections work. */
  ck_assert_int_eq(net_layer_bind(ip, &(uint8_t){ NET_IPPROTO_TCP }, tcp), 0);
  wait_echoed(&n, hn_connect(&n, 7, 64 * 1024, 99, NULL));
  net_layer_refdec(&f->layer);
  hn_net_fini(&n);
}
END_TEST

START_TEST(test_unbind_ipv4_in_flight)
{
  struct hn_net_s n;
  struct fault_s *f = fault_run(&n, _i, unbind_ipv4);
  struct net_layer_s *eth = n.node[1].eth, *ip = n.node[1].inet.ipv4;
  if (!(_i & 1))
    ck_assert_uint_ge(cancelled(&n), f->cancelled_before + 2);
  inject_ping(&n, 1000);
  flow(&n, 5);
  ck_assert_uint_gt(hn_stat(eth, "drop_no_handler"), 0);
  ck_assert_int_eq(net_layer_bind(eth, &(uint16_t){ NET_ETHERTYPE_IPV4 }, ip), 0);
  check_pingable(&n);
  wait_echoed(&n, hn_connect(&n, 7, 64 * 1024, 99, NULL));
  net_layer_refdec(&f->layer);
  hn_net_fini(&n);
}
END_TEST

START_TEST(test_unbind_apps_in_flight)
{
  struct hn_net_s n;
  struct fault_s *f = fault_run(&n, _i, unbind_apps);
  check_pingable(&n);
  if (!(_i & 1))
    {
      /* Every connection ends, on both sides. */
      flow(&n, 5 * 60 * 1000);
      ck_assert_uint_eq(hn_stat(n.node[0].tcp, "sessions"), 0);
      ck_assert_uint_eq(hn_stat(n.node[1].tcp, "sessions"), 0);
    }
  wait_echoed(&n, hn_connect(&n, 7, 64 * 1024, 99, NULL));
  net_layer_refdec(&f->layer);
  hn_net_fini(&n);
}
END_TEST

START_TEST(test_shutdown_in_flight)
{
  struct hn_net_s n;
  net_up(&n, _i & 1);
  start_streams(&n);
  flow(&n, 20);
  queue_traffic(&n);
  /* Everything at once, after (_i >> 1) trips of the loop scheduler:
     the scheduler cancels what is queued and armed, the layers go as
     their last references do. */
  if (!(_i & 1))
    for (int k = 0; k < _i >> 1; k++)
      net_scheduler_run_for(n.sched, NET_NSEC_PER_MSEC / 4);
  hn_net_abandon(&n);
}
END_TEST

/* ---- a parent destroyed under a running child ------------------------ */

/* The child holds its parent's pointer (as every layer does, weakly) and
   pushes to it after the parent's last reference went, while the
   parent's destruction runs on the other worker. */
struct gone_s
{
  struct net_layer_s layer;
  atomic_int running, released;
};

static void gone_parent_task(struct net_layer_s *layer, struct net_task_s *task)
{
  net_task_destroy(task);
}

static void gone_destroyed(struct net_layer_s *layer)
{
  free(net_container_of(layer, struct gone_s, layer));
}

static const struct net_layer_handler_s gone_parent_handler = {
  .type_name = "gone-parent",
  .destroyed = gone_destroyed,
  .task_handle = gone_parent_task,
};

static void gone_child_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct gone_s *c = net_container_of(layer, struct gone_s, layer);
  struct net_layer_s *parent = net_layer_parent(layer);
  net_task_destroy(task);
  atomic_store(&c->running, 1);
  for (unsigned i = 0; i < 2000 && !atomic_load(&c->released); i++)
    g_usleep(1000);
  g_usleep(20000);   /* the parent's destruction starts meanwhile */
  struct net_task_s *t = net_scheduler_task_alloc(layer->scheduler);
  ck_assert_ptr_nonnull(t);
  /* Refused (the parent is gone), quietly: no critical, no leak. */
  ck_assert_int_lt(net_task_notification_push(t, parent, layer, 1, 0, 0), 0);
}

static const struct net_layer_handler_s gone_child_handler = {
  .type_name = "gone-child",
  .destroyed = gone_destroyed,
  .task_handle = gone_child_task,
};

static struct gone_s *gone_new(struct net_scheduler_s *sched,
                               const struct net_layer_handler_s *h)
{
  struct gone_s *g = calloc(1, sizeof *g);
  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(net_layer_init(&g->layer, h, sched, NULL, NULL), 0);
  return g;
}

START_TEST(test_parent_gone_under_child)
{
  unsigned criticals = hn_criticals();
  struct hn_net_s n;
  net_up(&n, 1);
  struct gone_s *p = gone_new(n.sched, &gone_parent_handler);
  struct gone_s *c = gone_new(n.sched, &gone_child_handler);
  ck_assert_int_eq(net_layer_bind(&p->layer, NULL, &c->layer), 0);
  net_layer_refdec(&c->layer);
  struct net_task_s *t = net_scheduler_task_alloc(n.sched);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(net_task_notification_push(t, &c->layer, NULL, 1, 0, 0), 0);
  for (unsigned i = 0; i < 5000 && !atomic_load(&c->running); i++)
    g_usleep(1000);
  ck_assert(atomic_load(&c->running));
  net_layer_refdec(&p->layer);
  atomic_store(&c->released, 1);
  hn_run(&n);
  ck_assert_uint_eq(hn_criticals(), criticals);
  hn_net_fini(&n);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("faults");
  TCase *tc = tcase_create("faults");
  tcase_set_timeout(tc, 600);
  /* Even _i: loop scheduler, odd: threaded; _i / 2 rounds of delay. */
  tcase_add_loop_test(tc, test_unbind_tcp_in_flight, 0, 8);
  tcase_add_loop_test(tc, test_unbind_ipv4_in_flight, 0, 8);
  tcase_add_loop_test(tc, test_unbind_apps_in_flight, 0, 8);
  tcase_add_loop_test(tc, test_shutdown_in_flight, 0, 8);
  tcase_add_test(tc, test_parent_gone_under_child);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
