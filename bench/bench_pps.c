/* Packets per second through the real stack, no root needed (a benchmark,
 * not a test: it prints figures and asserts nothing).
 *
 * Two stacks, A (10.0.0.1) and B (10.0.0.2), on one loop scheduler with a
 * virtual clock, joined by the in-memory pair device:
 *
 *   link  a generator layer under Ethernet A sends raw frames to a sink
 *         under Ethernet B: the cost of the device and the Ethernet layer,
 *         the BASELINE every other figure is divided by;
 *   udp   a UDP endpoint of A sends datagrams to one of B:
 *         ethernet -> ipv4 -> udp;
 *   tcp   an application on A streams to an application on B over one
 *         connection: ethernet -> ipv4 -> tcp -> session -> app, with the
 *         ACKs going back the same way;
 *   rr    1-byte ping-pong between an application on A and the TCP echo
 *         of B (Nagle off): what one transaction costs both stacks, the
 *         processing part of a round-trip latency;
 *   conn  connections one after the other from A to the TCP echo of B,
 *         each connect, 64 bytes echoed, close (the peers' conn mode):
 *         what a short connection costs both stacks.
 *
 *   bench_pps                      every mode and variant, each against
 *                                  the link baseline of the same run
 *   bench_pps MODE N [VARIANT...]  one run of N packets (N payload-sized
 *                                  segments for tcp), for callgrind-pps.sh
 *
 * Variants: "direct" (the loop scheduler's direct dispatch), "offload"
 * (the pair announces checksum and TCP segmentation offloads: TCP sends
 * 64 KiB super-segments with the checksum left undone, as to a virtual
 * machine's NIC), "slow" (the Ethernet layers without their fast path:
 * every segment climbs ethernet -> ipv4 -> tcp -> session).  Figures
 * are medians of several runs; the clock is the wall clock, the
 * scheduler's virtual clock only drives the protocol timers.  With
 * BENCH_STATS set in the environment, a single run prints the non-zero
 * counters of both stacks on stderr.
 */
#include <config.h>
#include <net/buffer.h>
#include <net/dev/pair.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/layer/tcp_echo.h>
#include <net/scheduler.h>
#include <net/task.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define BENCH_ETHERTYPE 0x88b5   /* IEEE 802 local experimental */
#define BENCH_PORT 9
#define LINK_PAYLOAD 1500
#define UDP_PAYLOAD 1472
/* Packets a generator sends per turn before letting the others run. */
#define GEN_BURST 32
#define OP_KICK (NET_OP_LAYER_BASE + 0x7f00)

enum mode_e { MODE_LINK, MODE_UDP, MODE_TCP, MODE_RR, MODE_CONN };

struct variant_s
{
  bool direct;
  bool offload;
  bool slow;      /* no fast path: every frame through the layer tree */
};

/* ---- generator and sink layers ------------------------------------- */

struct gen_s
{
  struct net_layer_s layer;
  enum mode_e mode;
  uint64_t left;          /* packets (link, udp) or bytes (tcp) to send */
  uint8_t peer_mac[NET_MAC_LEN];
  bool shut;
  uint64_t done;          /* rr: transactions completed */
};

struct sink_s
{
  struct net_layer_s layer;
  uint64_t packets;
  uint64_t bytes;
};

static void gen_kick(struct gen_s *g)
{
  struct net_task_s *t = net_scheduler_task_alloc(g->layer.scheduler);
  if (t)
    net_task_notification_push(t, &g->layer, &g->layer, OP_KICK, 0, 0);
}

static struct net_buffer_s *payload(struct net_layer_s *layer, size_t len)
{
  struct net_buffer_s *buf = net_layer_buffer_alloc(layer, len);
  if (buf)
    memset(net_buffer_put(buf, len), 0x5a, len);
  return buf;
}

/* Link and UDP: a burst of packets, then come back after the others. */
static void gen_burst(struct gen_s *g)
{
  for (unsigned i = 0; i < GEN_BURST && g->left > 0; i++)
    {
      size_t len = g->mode == MODE_LINK ? LINK_PAYLOAD : UDP_PAYLOAD;
      struct net_buffer_s *buf = payload(&g->layer, len);
      struct net_task_s *t = net_scheduler_task_alloc(g->layer.scheduler);
      if (!buf || !t)
        {
          net_buffer_refdec(buf);
          if (t)
            net_task_destroy(t);
          break;
        }
      struct net_addr_s dst = { 0 };
      if (g->mode == MODE_LINK)
        {
          memcpy(dst.mac, g->peer_mac, NET_MAC_LEN);
          dst.valid = NET_ADDR_MAC;
        }
      else
        {
          dst.ipv4 = ADDR_B;
          dst.port = BENCH_PORT;
          dst.valid = NET_ADDR_IPV4 | NET_ADDR_PORT;
        }
      net_task_outbound_push(t, net_layer_parent(&g->layer), &g->layer, NULL, &dst, buf);
      g->left--;
    }
  if (g->left)
    gen_kick(g);
}

/* TCP: fill the send buffer, wait for WRITABLE, shut down at the end.
   Writes are one MSS, or as much as one super-segment carries when the
   device segments (as a bulk sender on a TSO NIC writes big buffers). */
static void gen_stream(struct gen_s *g)
{
  struct net_layer_s *session = net_layer_parent(&g->layer);
  size_t mss = g->layer.context.mtu;
  size_t chunk = mss;
  if (g->layer.context.offloads & NET_OFFLOAD_TSO4)
    chunk = (NET_IPV4_MAX_DATAGRAM - NET_IPV4_HEADER_LEN - NET_TCP_HEADER_MAX)
            / mss * mss;
  while (session && g->left > 0)
    {
      size_t len = g->left < chunk ? (size_t)g->left : chunk;
      struct net_buffer_s *buf = payload(&g->layer, len);
      if (!buf)
        break;
      if (net_tcp_send(&g->layer, session, buf) != 0)
        {
          net_buffer_refdec(buf);
          return;
        }
      g->left -= len;
    }
  if (session && g->left == 0 && !g->shut)
    {
      g->shut = true;
      net_tcp_shutdown(&g->layer, session);
    }
}

/* CONN: one short connection: 64 bytes out, back, then close. */
struct conn_app_s
{
  struct net_layer_s layer;
  size_t got;
  bool closed;
};

static void conn_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct conn_app_s *c = net_container_of(layer, struct conn_app_s, layer);
  struct net_layer_s *session = net_layer_parent(layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      c->got += net_buffer_len(task->packet.buffer);
      if (c->got >= 64 && session)
        net_tcp_shutdown(layer, session);
    }
  else if (task->type == NET_TASK_NOTIFICATION && session
           && task->notification.opcode == NET_TCP_EV_CONNECTED)
    {
      struct net_buffer_s *buf = payload(layer, 64);
      if (buf && net_tcp_send(layer, session, buf) != 0)
        net_buffer_refdec(buf);
    }
  else if (task->type == NET_TASK_NOTIFICATION
           && (task->notification.opcode == NET_TCP_EV_PEER_CLOSED
               || task->notification.opcode == NET_TCP_EV_CLOSED))
    c->closed = true;
  net_task_destroy(task);
}

static void layer_free(struct net_layer_s *layer);

static const struct net_layer_handler_s conn_handler = {
  .type_name = "bench-conn",
  .destroyed = layer_free,
  .task_handle = conn_task_handle,
};

/* RR: one byte out; the next goes when the echo is back. */
static void gen_ping(struct gen_s *g)
{
  struct net_layer_s *session = net_layer_parent(&g->layer);
  if (!session || g->left == 0)
    return;
  struct net_buffer_s *buf = payload(&g->layer, 1);
  if (buf && net_tcp_send(&g->layer, session, buf) == 0)
    g->left--;
  else if (buf)
    net_buffer_refdec(buf);
}

static void gen_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct gen_s *g = net_container_of(layer, struct gen_s, layer);
  if (g->mode == MODE_RR && task->type == NET_TASK_INBOUND)
    {
      bool echoed = task->packet.buffer && net_buffer_len(task->packet.buffer);
      net_task_destroy(task);
      if (echoed)
        {
          g->done++;
          gen_ping(g);
        }
      return;
    }
  bool go = task->type == NET_TASK_NOTIFICATION
            && (task->notification.opcode == OP_KICK
                || task->notification.opcode == NET_TCP_EV_CONNECTED
                || task->notification.opcode == NET_TCP_EV_WRITABLE);
  net_task_destroy(task);
  if (!go)
    return;
  if (g->mode == MODE_TCP)
    gen_stream(g);
  else if (g->mode == MODE_RR)
    gen_ping(g);
  else
    gen_burst(g);
}

static void sink_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct sink_s *s = net_container_of(layer, struct sink_s, layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      s->packets++;
      s->bytes += net_buffer_len(task->packet.buffer);
    }
  net_task_destroy(task);
}

static void layer_free(struct net_layer_s *layer)
{
  free(layer);
}

static const struct net_layer_handler_s gen_handler = {
  .type_name = "bench-gen",
  .destroyed = layer_free,
  .task_handle = gen_task_handle,
};

static const struct net_layer_handler_s sink_handler = {
  .type_name = "bench-sink",
  .destroyed = layer_free,
  .task_handle = sink_task_handle,
};

static struct gen_s *gen_new(struct net_scheduler_s *sched, enum mode_e mode,
                             uint64_t left)
{
  struct gen_s *g = calloc(1, sizeof(*g));
  net_layer_init(&g->layer, &gen_handler, sched, NULL, NULL);
  g->mode = mode;
  g->left = left;
  return g;
}

static struct sink_s *sink_new(struct net_scheduler_s *sched)
{
  struct sink_s *s = calloc(1, sizeof(*s));
  net_layer_init(&s->layer, &sink_handler, sched, NULL, NULL);
  return s;
}

/* The listener binds a sink under every session it accepts (one here). */
static int sink_accept(void *delegate, struct net_layer_s *listener,
                       struct net_layer_s *session)
{
  struct sink_s **slot = delegate;
  if (*slot)
    return -EBUSY;
  *slot = sink_new(listener->scheduler);
  return net_layer_bind(session, NULL, &(*slot)->layer);
}

static const struct net_tcp_listener_delegate_vtable_s sink_listener_vtable = {
  .accept = sink_accept,
};

/* ---- two stacks ------------------------------------------------------ */

struct stack_s
{
  struct net_device_s *dev;
  struct net_layer_s *eth;
  struct net_inet_s inet;
  struct net_layer_s *tcp;
};

struct bench_s
{
  struct net_scheduler_s *sched;
  struct stack_s st[2];
  struct gen_s *gen;
  struct sink_s *sink;         /* link and udp: bound at setup */
  struct sink_s *tcp_sink;     /* tcp: bound when the connection comes */
  struct net_layer_s *listener;
  struct net_layer_s *session;
};

static void stack_init(struct bench_s *b, int i, struct net_device_s *dev,
                       const struct variant_s *v)
{
  struct stack_s *st = &b->st[i];
  struct net_ethernet_params_s ep = { .mac = { 0x02, 0, 0, 0, 0, (uint8_t)(i + 1) },
                                      .no_fastpath = v->slow };
  struct net_inet_config_s ic = { .arp.no_gratuitous = true };
  ic.ipv4.addrs[0].addr = i ? ADDR_B : ADDR_A;
  ic.ipv4.addrs[0].prefix_len = 24;
  ic.ipv4.addr_count = 1;
  st->dev = dev;
  if (net_device_layer_create(dev, NET_LAYER_ETHERNET, &ep, NULL, NULL, &st->eth)
      || net_inet_create(st->eth, &ic, &st->inet)
      || net_tcp_create(b->sched, NULL, &st->tcp)
      || net_layer_bind(st->inet.ipv4, &(uint8_t){ NET_IPPROTO_TCP }, st->tcp))
    {
      fprintf(stderr, "bench_pps: cannot build stack %c\n", 'A' + i);
      exit(1);
    }
}

static void stack_print_stats(const struct stack_s *st, char name)
{
  struct net_layer_s *layers[] = { st->eth, st->inet.ipv4, st->inet.udp, st->tcp };
  for (size_t i = 0; i < G_N_ELEMENTS(layers); i++)
    {
      struct net_stat_s stats[128];
      size_t n = net_layer_stats(layers[i], stats, G_N_ELEMENTS(stats));
      for (size_t j = 0; j < n && j < G_N_ELEMENTS(stats); j++)
        if (stats[j].value)
          fprintf(stderr, "%c %s.%s %llu\n", name, net_layer_type_name(layers[i]),
                  stats[j].name, (unsigned long long)stats[j].value);
    }
}

static void stack_fini(struct stack_s *st)
{
  net_layer_refdec(st->tcp);
  net_inet_release(&st->inet);
  net_layer_unbind_all(st->eth);
  net_layer_refdec(st->eth);
  net_device_refdec(st->dev);
}

static void bench_setup(struct bench_s *b, enum mode_e mode, uint64_t n,
                        const struct variant_s *v)
{
  memset(b, 0, sizeof(*b));
  struct net_scheduler_options_s so = {
    .clock = NET_CLOCK_VIRTUAL,
    .direct_depth = v->direct ? 8 : 0,
  };
  b->sched = net_scheduler_loop_create(NULL, &so);
  struct net_device_s *da, *db;
  struct net_pair_params_s pp = {
    .offloads = v->offload ? NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 : 0,
  };
  if (!b->sched || net_pair_create(b->sched, &pp, &pp, &da, &db))
    {
      fprintf(stderr, "bench_pps: cannot create the scheduler or the pair\n");
      exit(1);
    }
  stack_init(b, 0, da, v);
  stack_init(b, 1, db, v);
  b->gen = gen_new(b->sched, mode, n);
  int err = 0;
  if (mode == MODE_LINK)
    {
      uint16_t type = BENCH_ETHERTYPE;
      b->sink = sink_new(b->sched);
      net_ethernet_mac(b->st[1].eth, b->gen->peer_mac);
      err = net_layer_bind(b->st[0].eth, &type, &b->gen->layer);
      if (!err)
        err = net_layer_bind(b->st[1].eth, &type, &b->sink->layer);
    }
  else if (mode == MODE_UDP)
    {
      struct net_udp_bind_s port = { .local_port = BENCH_PORT };
      b->sink = sink_new(b->sched);
      err = net_layer_bind(b->st[0].inet.udp, &port, &b->gen->layer);
      if (!err)
        err = net_layer_bind(b->st[1].inet.udp, &port, &b->sink->layer);
    }
  else if (mode == MODE_RR || mode == MODE_CONN)
    err = net_tcp_echo_listen(b->st[1].tcp, BENCH_PORT, NULL, &b->listener);
  else
    {
      struct net_tcp_listen_params_s lp = { .local = { 0, BENCH_PORT } };
      err = net_tcp_listen(b->st[1].tcp, &lp, &b->tcp_sink, &sink_listener_vtable,
                           &b->listener);
    }
  if (err)
    {
      fprintf(stderr, "bench_pps: setup failed: %s\n", g_strerror(-err));
      exit(1);
    }
  if (mode == MODE_UDP)
    {
      /* Resolve the neighbour (ARP) before anything is timed. */
      b->gen->left = 1;
      gen_kick(b->gen);
      net_scheduler_run_for(b->sched, 10 * NET_NSEC_PER_MSEC);
      b->sink->packets = b->sink->bytes = 0;
      b->gen->left = n;
    }
}

static void bench_teardown(struct bench_s *b)
{
  if (b->listener)
    {
      net_layer_unbind(b->st[1].tcp, b->listener);
      net_layer_refdec(b->listener);
    }
  if (b->session)
    net_layer_refdec(b->session);
  net_layer_refdec(&b->gen->layer);
  if (b->sink)
    net_layer_refdec(&b->sink->layer);
  if (b->tcp_sink)
    net_layer_refdec(&b->tcp_sink->layer);
  stack_fini(&b->st[0]);
  stack_fini(&b->st[1]);
  /* Sessions linger (TIME_WAIT): let the virtual clock run them out. */
  net_scheduler_run_for(b->sched, 300 * NET_NSEC_PER_SEC);
  net_scheduler_destroy(b->sched);
}

static bool bench_done(const struct bench_s *b, enum mode_e mode, uint64_t n)
{
  if (mode == MODE_TCP)
    return b->tcp_sink && b->tcp_sink->bytes >= n;
  if (mode == MODE_RR || mode == MODE_CONN)
    return b->gen->done >= n;
  return b->sink->packets >= n;
}

/* Frames both ways on the wire. */
static uint64_t wire_frames(const struct bench_s *b)
{
  uint64_t total = 0;
  for (int i = 0; i < 2; i++)
    {
      struct net_pair_stats_s ps;
      net_pair_stats(b->st[i].dev, &ps);
      total += ps.sent;
    }
  return total;
}

struct result_s
{
  double seconds;
  uint64_t packets;   /* packets the mode counts (frames / datagrams / data segments) */
  uint64_t frames;    /* frames on the wire, both directions */
  uint64_t bytes;     /* payload delivered */
};

/* Connections one after the other, each run to its end (counted in the
   generator's done). */
static void conn_loop(struct bench_s *b, uint64_t n)
{
  for (unsigned guard = 0; b->gen->done < n && guard < 1000000; guard++)
    {
      struct conn_app_s *c = calloc(1, sizeof(*c));
      net_layer_init(&c->layer, &conn_handler, b->sched, NULL, NULL);
      struct net_tcp_connect_params_s cp = {
        .remote = { ADDR_B, BENCH_PORT },
        .app = &c->layer,
      };
      struct net_layer_s *session;
      if (net_tcp_connect(b->st[0].tcp, &cp, NULL, NULL, &session) != 0)
        {
          fprintf(stderr, "bench_pps: connect failed after %llu connections\n",
                  (unsigned long long)b->gen->done);
          net_layer_refdec(&c->layer);
          return;
        }
      for (unsigned i = 0; i < 1000 && !c->closed; i++)
        net_scheduler_run_for(b->sched, NET_NSEC_PER_MSEC);
      if (c->got >= 64)
        b->gen->done++;
      net_layer_refdec(session);
      net_layer_refdec(&c->layer);
    }
}

/* Send @p n packets (link, udp) or @p n MSS worth of bytes (tcp). */
static struct result_s bench_run(enum mode_e mode, uint64_t n,
                                 const struct variant_s *v)
{
  struct bench_s b;
  struct result_s r = { 0 };
  uint64_t target = n;
  bench_setup(&b, mode, n, v);
  if (mode == MODE_TCP || mode == MODE_RR)
    {
      struct net_tcp_session_options_s opt;
      struct net_tcp_config_s cfg;
      net_tcp_get_config(b.st[0].tcp, &cfg);
      opt = cfg.session;
      opt.nodelay = mode == MODE_RR;
      struct net_tcp_connect_params_s cp = {
        .remote = { ADDR_B, BENCH_PORT },
        .app = &b.gen->layer,
        .options = &opt,
      };
      /* The application's context (its MTU is the MSS) is known once
         bound: size the stream in segments of that MSS. */
      int err = net_tcp_connect(b.st[0].tcp, &cp, NULL, NULL, &b.session);
      if (err)
        {
          fprintf(stderr, "bench_pps: connect: %s\n", g_strerror(-err));
          exit(1);
        }
      if (mode == MODE_TCP)
        target = n * b.gen->layer.context.mtu;
      b.gen->left = target;
    }
  uint64_t frames0 = wire_frames(&b);
  double t0 = g_get_monotonic_time() / 1e6;
  if (mode == MODE_LINK || mode == MODE_UDP)
    gen_kick(b.gen);
  if (mode == MODE_CONN)
    conn_loop(&b, n);
  for (unsigned i = 0; i < 1000000 && !bench_done(&b, mode, target); i++)
    net_scheduler_run_for(b.sched, NET_NSEC_PER_MSEC);
  r.seconds = g_get_monotonic_time() / 1e6 - t0;
  r.frames = wire_frames(&b) - frames0;
  if (mode == MODE_TCP)
    {
      r.bytes = b.tcp_sink ? b.tcp_sink->bytes : 0;
      r.packets = n;
    }
  else if (mode == MODE_RR || mode == MODE_CONN)
    {
      r.packets = b.gen->done;
      r.bytes = mode == MODE_RR ? b.gen->done : 64 * b.gen->done;
    }
  else
    {
      r.packets = b.sink->packets;
      r.bytes = b.sink->bytes;
    }
  if (!bench_done(&b, mode, target))
    fprintf(stderr, "bench_pps: run did not complete (%llu of %llu)\n",
            (unsigned long long)(mode == MODE_TCP ? r.bytes
                                 : mode == MODE_RR || mode == MODE_CONN
                                 ? b.gen->done : r.packets),
            (unsigned long long)target);
  if (getenv("BENCH_STATS"))
    {
      struct net_scheduler_stats_s ss;
      net_scheduler_stats(b.sched, &ss);
      fprintf(stderr, "scheduler: %llu tasks pushed, %llu delivered (%llu directly), "
              "%llu timers fired\n", (unsigned long long)ss.pushed,
              (unsigned long long)ss.delivered, (unsigned long long)ss.direct,
              (unsigned long long)ss.timers_fired);
      for (int i = 0; i < 2; i++)
        stack_print_stats(&b.st[i], 'A' + i);
    }
  bench_teardown(&b);
  return r;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median packets/s of @p runs runs (the median run's result). */
static struct result_s bench_median(enum mode_e mode, uint64_t n,
                                    const struct variant_s *v, int runs)
{
  struct result_s rs[16];
  double rate[16];
  for (int i = 0; i < runs; i++)
    {
      rs[i] = bench_run(mode, n, v);
      rate[i] = rs[i].packets / rs[i].seconds;
    }
  double sorted[16];
  memcpy(sorted, rate, sizeof(double) * (size_t)runs);
  qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
  for (int i = 0; i < runs; i++)
    if (rate[i] == sorted[runs / 2])
      return rs[i];
  return rs[0];
}

static const char *const mode_names[] = { "link", "udp", "tcp", "rr", "conn" };

static bool parse_variant(const char *s, struct variant_s *v)
{
  if (strcmp(s, "direct") == 0)
    v->direct = true;
  else if (strcmp(s, "offload") == 0)
    v->offload = true;
  else if (strcmp(s, "slow") == 0)
    v->slow = true;
  else
    return false;
  return true;
}

static void print_line(const char *name, const struct result_s *r,
                       double base_pps)
{
  double pps = r->packets / r->seconds;
  printf("%-22s %10.0f pkt/s %8.0f ns/pkt %7.2f Gbit/s %6.2f frames/pkt"
         "   ratio to link %.3f\n",
         name, pps, 1e9 / pps, r->bytes * 8 / r->seconds / 1e9,
         (double)r->frames / (double)r->packets, pps / base_pps);
}

int main(int argc, char **argv)
{
  if (argc >= 3)
    {
      struct variant_s v = { 0 };
      int mode = -1;
      for (int i = 0; i < 5; i++)
        if (strcmp(argv[1], mode_names[i]) == 0)
          mode = i;
      for (int i = 3; i < argc; i++)
        if (!parse_variant(argv[i], &v))
          mode = -1;
      if (mode < 0)
        {
          fprintf(stderr, "usage: bench_pps [link|udp|tcp|rr|conn N [direct] [offload] [slow]]\n");
          return 64;
        }
      struct result_s r = bench_run((enum mode_e)mode, strtoull(argv[2], NULL, 10), &v);
      print_line(mode_names[mode], &r, r.packets / r.seconds);
      return 0;
    }
  const uint64_t n = 200000;
  const int runs = 5;
  static const struct
  {
    const char *name;
    enum mode_e mode;
    struct variant_s v;
  } cases[] = {
    { "udp", MODE_UDP, { 0 } },
    { "udp direct", MODE_UDP, { .direct = true } },
    { "tcp", MODE_TCP, { 0 } },
    { "tcp slow path", MODE_TCP, { .slow = true } },
    { "tcp direct", MODE_TCP, { .direct = true } },
    { "tcp offload", MODE_TCP, { .offload = true } },
    { "tcp offload direct", MODE_TCP, { .direct = true, .offload = true } },
    { "rr", MODE_RR, { 0 } },
    { "rr slow path", MODE_RR, { .slow = true } },
    { "rr direct", MODE_RR, { .direct = true } },
    { "conn", MODE_CONN, { 0 } },
    { "conn direct", MODE_CONN, { .direct = true } },
  };
  struct variant_s none = { 0 };
  struct result_s link = bench_median(MODE_LINK, n, &none, runs);
  double base = link.packets / link.seconds;
  printf("Medians of %d runs of %llu packets; baseline = link (pair device + "
         "Ethernet layer, %d-byte frames), same run\n", runs,
         (unsigned long long)n, LINK_PAYLOAD);
  print_line("link (baseline)", &link, base);
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
    {
      uint64_t count = cases[i].mode == MODE_CONN ? n / 20 : n;
      struct result_s r = bench_median(cases[i].mode, count, &cases[i].v, runs);
      print_line(cases[i].name, &r, base);
    }
  return 0;
}
