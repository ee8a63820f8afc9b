/* Fuzzing harness (fuzz.h): a whole stack on a fake driver, fed and torn
   down once per input, with leak checks at the end. */
#include <config.h>
#include "fuzz.h"
#include <net/buffer.h>
#include <net/checksum.h>
#include <net/task.h>
#include <net/layer/dumper.h>
#include <net/layer/ethernet.h>
#include <net/layer/tcp_echo.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t FZ_OUR_MAC[6] = { 0x02, 0, 0, 0, 0, 0x02 };
const uint8_t FZ_PEER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* Virtual time the stack gets after the last record: long enough for
   SYN-ACK retries, reassembly and ARP timeouts, TIME_WAIT and most of a
   retransmission back-off to run their course. */
#define FZ_LINGER (15 * 60 * NET_NSEC_PER_SEC)

static FILE *fz_devnull;

/* ---- input ------------------------------------------------------------ */

uint8_t fz_u8(struct fz_in_s *in)
{
  if (!in->n)
    return 0;
  in->n--;
  return *in->p++;
}

uint16_t fz_u16(struct fz_in_s *in)
{
  uint16_t hi = fz_u8(in);
  return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t fz_u32(struct fz_in_s *in)
{
  uint32_t hi = fz_u16(in);
  return hi << 16 | fz_u16(in);
}

bool fz_record(struct fz_in_s *in, size_t max, struct fz_record_s *rec)
{
  if (!in->n)
    return false;
  rec->ctl = fz_u8(in);
  size_t len = fz_u16(in) % (max + 1);
  if (len > in->n)
    len = in->n;
  rec->data = in->p;
  rec->len = len;
  in->p += len;
  in->n -= len;
  return true;
}

/* ---- logs ------------------------------------------------------------- */

/* Hostile input must never make the core report misuse: a critical is a
   bug, abort so the fuzzer keeps the input.  Other messages are noise at
   thousands of inputs per second (FZ_VERBOSE shows them). */
static void fz_log(const gchar *domain, GLogLevelFlags level,
                   const gchar *message, gpointer data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      fprintf(stderr, "fuzz: %s: %s\n", domain ? domain : "?", message);
      abort();
    }
  if (getenv("FZ_VERBOSE"))
    fprintf(stderr, "fuzz: %s: %s\n", domain ? domain : "?", message);
}

void fz_init(void)
{
  static bool done;
  if (done)
    return;
  done = true;
  g_log_set_handler(NET_LOG_DOMAIN, G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
                    | G_LOG_FLAG_RECURSION, fz_log, NULL);
  g_log_set_handler(NULL, G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
                    | G_LOG_FLAG_RECURSION, fz_log, NULL);
  g_log_set_handler("GLib", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
                    | G_LOG_FLAG_RECURSION, fz_log, NULL);
  fz_devnull = fopen("/dev/null", "w");
  if (!fz_devnull)
    abort();
}

/* ---- harness application layer --------------------------------------- */

struct fz_app_full_s
{
  struct fz_app_s app;
  size_t tx_pending;        /* bytes to send once connected */
};

static const struct net_layer_handler_s fz_app_handler;

struct fz_app_s *fz_app_of(struct net_layer_s *session)
{
  struct net_layer_s *c = session ? session->children : NULL;
  return c && c->handler == &fz_app_handler
    ? net_container_of(c, struct fz_app_s, layer) : NULL;
}

/* Queue up to @p len bytes from @p app; stops at a full send buffer. */
static size_t fz_app_queue(struct fz_app_s *app, size_t len)
{
  struct net_layer_s *session = net_layer_parent(&app->layer);
  size_t sent = 0;
  while (session && sent < len)
    {
      size_t chunk = MIN(len - sent, (size_t)1400);
      struct net_buffer_s *b = net_layer_buffer_alloc(&app->layer, chunk);
      if (!b)
        break;
      uint8_t *p = net_buffer_put(b, chunk);
      for (size_t i = 0; i < chunk; i++)
        p[i] = (uint8_t)(sent + i);
      if (net_tcp_send(&app->layer, session, b) != 0)
        {
          net_buffer_refdec(b);
          break;
        }
      sent += chunk;
    }
  return sent;
}

void fz_app_send(struct net_layer_s *session, size_t len)
{
  struct fz_app_s *app = fz_app_of(session);
  if (app)
    fz_app_queue(app, len);
}

static void fz_app_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct fz_app_full_s *a = net_container_of(layer, struct fz_app_full_s, app.layer);
  struct net_layer_s *session = net_layer_parent(layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      struct net_buffer_s *b = net_task_packet_steal_buffer(task);
      a->app.rx_bytes += net_buffer_len(b);
      if (!a->app.echo || !session || net_tcp_send(layer, session, b) != 0)
        net_buffer_refdec(b);
    }
  else if (task->type == NET_TASK_NOTIFICATION)
    switch (task->notification.opcode)
      {
      case NET_TCP_EV_CONNECTED:
        a->app.connected++;
        a->tx_pending -= fz_app_queue(&a->app, a->tx_pending);
        break;
      case NET_TCP_EV_WRITABLE:
        a->app.writable++;
        a->tx_pending -= fz_app_queue(&a->app, a->tx_pending);
        break;
      case NET_TCP_EV_PEER_CLOSED:
        a->app.peer_closed++;
        break;
      case NET_TCP_EV_CLOSED:
        a->app.closed++;
        break;
      default:
        break;
      }
  net_task_destroy(task);
}

static void fz_app_destroyed(struct net_layer_s *layer)
{
  free(net_container_of(layer, struct fz_app_full_s, app.layer));
}

static const struct net_layer_handler_s fz_app_handler = {
  .type_name = "fuzz-app",
  .destroyed = fz_app_destroyed,
  .task_handle = fz_app_task,
};

static struct fz_app_s *fz_app_new(struct fz_stack_s *s, bool echo, size_t tx)
{
  struct fz_app_full_s *a = calloc(1, sizeof *a);
  if (!a || net_layer_init(&a->app.layer, &fz_app_handler, s->sched, NULL, NULL))
    abort();
  a->app.echo = echo;
  a->tx_pending = tx;
  return &a->app;
}

/* A layer that swallows what it gets: the UDP sender endpoint. */
static void fz_sink_task(struct net_layer_s *layer, struct net_task_s *task)
{
  net_task_destroy(task);
}

static void fz_sink_destroyed(struct net_layer_s *layer)
{
  free(layer);
}

static const struct net_layer_handler_s fz_sink_handler = {
  .type_name = "fuzz-sink",
  .destroyed = fz_sink_destroyed,
  .task_handle = fz_sink_task,
};

/* ---- fake driver ------------------------------------------------------ */

struct fz_flow_s *fz_flow(struct fz_stack_s *s, uint16_t our_port,
                          uint16_t peer_port)
{
  struct fz_flow_s *free_slot = NULL;
  for (unsigned i = 0; i < FZ_FLOWS; i++)
    {
      struct fz_flow_s *f = &s->flows[i];
      if (f->used && f->our_port == our_port && f->peer_port == peer_port)
        return f;
      if (!f->used && !free_slot)
        free_slot = f;
    }
  if (free_slot)
    *free_slot = (struct fz_flow_s){ .used = true, .our_port = our_port,
                                     .peer_port = peer_port };
  return free_slot;
}

static void fz_answer_arp(struct fz_stack_s *s, const uint8_t *arp)
{
  uint8_t f[42];
  memcpy(f, arp + 8, 6);               /* to the requester */
  memcpy(f + 6, FZ_PEER_MAC, 6);
  fz_wr16(f + 12, NET_ETHERTYPE_ARP);
  fz_build_arp(f + 14, 2, FZ_PEER_MAC, FZ_PEER_IP, arp + 8, fz_rd32(arp + 14));
  struct net_buffer_s *b = net_scheduler_buffer_alloc(s->sched, 64, sizeof f);
  if (!b)
    return;   /* pool exhausted: the "wire" lost it */
  memcpy(net_buffer_put(b, sizeof f), f, sizeof f);
  net_ethernet_inject(s->eth, b, net_scheduler_time(s->sched));
}

uint8_t *fz_tcp_ts_option(const uint8_t *seg, size_t thlen)
{
  for (size_t i = 20; i < thlen && seg[i] != 0;)
    {
      if (seg[i] == 1)
        {
          i++;
          continue;
        }
      if (i + 1 >= thlen || seg[i + 1] < 2 || i + seg[i + 1] > thlen)
        return NULL;
      if (seg[i] == 8 && seg[i + 1] == 10)
        return (uint8_t *)seg + i;
      i += seg[i + 1];
    }
  return NULL;
}

static void fz_observe_tcp(struct fz_stack_s *s, const uint8_t *ip, size_t len)
{
  size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
  size_t total = fz_rd16(ip + 2);
  if (hlen < 20 || total > len || total < hlen + 20 || (fz_rd16(ip + 6) & 0x1fff))
    return;
  const uint8_t *t = ip + hlen;
  size_t thlen = (size_t)(t[12] >> 4) * 4;
  if (thlen < 20 || thlen > total - hlen)
    return;
  struct fz_flow_s *f = fz_flow(s, fz_rd16(t), fz_rd16(t + 2));
  if (!f)
    return;
  uint8_t flags = t[13];
  uint32_t seq = fz_rd32(t + 4);
  uint32_t end = seq + (uint32_t)(total - hlen - thlen)
                 + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
  if (flags & 0x02)
    {
      f->synced = true;
      f->stack_iss = seq;
      f->stack_nxt = end;
    }
  else if ((int32_t)(end - f->stack_nxt) > 0)
    f->stack_nxt = end;
  if (flags & 0x10)
    f->stack_ack = fz_rd32(t + 8);
  f->stack_wnd = fz_rd16(t + 14);
  f->stack_flags = flags;
  const uint8_t *ts = fz_tcp_ts_option(t, thlen);
  f->stack_ts = ts != NULL;
  if (ts)
    f->stack_tsval = fz_rd32(ts + 2);
}

/* What the stack sends: answer ARP requests for the peer, follow TCP. */
static int fz_transmit(void *driver, struct net_layer_s *eth,
                       struct net_buffer_s *frame)
{
  struct fz_stack_s *s = driver;
  const uint8_t *p = net_buffer_data(frame);
  size_t len = net_buffer_len(frame);
  s->tx_frames++;
  if (len >= 14 + 28 && fz_rd16(p + 12) == NET_ETHERTYPE_ARP
      && fz_rd16(p + 20) == 1 && fz_rd32(p + 38) == FZ_PEER_IP)
    fz_answer_arp(s, p + 14);
  else if (len >= 14 + 20 && fz_rd16(p + 12) == NET_ETHERTYPE_IPV4
           && p[14 + 9] == NET_IPPROTO_TCP && fz_rd32(p + 14 + 12) == FZ_OUR_IP
           && fz_rd32(p + 14 + 16) == FZ_PEER_IP)
    fz_observe_tcp(s, p + 14, len - 14);
  net_buffer_refdec(frame);
  return 0;
}

static const struct net_ethernet_driver_ops_s fz_driver_ops = {
  .transmit = fz_transmit,
};

/* ---- the stack -------------------------------------------------------- */

static int fz_accept(void *delegate, struct net_layer_s *listener,
                     struct net_layer_s *session)
{
  struct fz_stack_s *s = delegate;
  struct fz_app_s *app = fz_app_new(s, true, 0);
  int err = net_layer_bind(session, NULL, &app->layer);
  net_layer_refdec(&app->layer);
  if (!err && s->accepted_count < FZ_ACCEPTED)
    s->accepted[s->accepted_count++] = net_layer_refinc(session);
  return err;
}

static const struct net_tcp_listener_delegate_vtable_s fz_listener_vtable = {
  .accept = fz_accept,
};

static void fz_check(bool ok, const char *what)
{
  if (!ok)
    {
      fprintf(stderr, "fuzz harness: %s\n", what);
      abort();
    }
}

void fz_stack_init(struct fz_stack_s *s, unsigned features)
{
  fz_init();
  memset(s, 0, sizeof *s);
  struct net_scheduler_options_s so = { .clock = NET_CLOCK_VIRTUAL };
  if (!(features & FZ_DEFAULT_POOLS))
    so.small_buffers = so.large_buffers = 256;
  s->sched = net_scheduler_loop_create(NULL, &so);
  fz_check(s->sched != NULL, "scheduler");
  struct net_ethernet_params_s ep = { .mtu = 0 };
  memcpy(ep.mac, FZ_OUR_MAC, 6);
  fz_check(net_ethernet_create(s->sched, &ep, 1500, 0, &fz_driver_ops, s, NULL,
                               NULL, NULL, &s->eth) == 0, "ethernet");
  net_ethernet_link_report(s->eth, true);

  struct net_inet_config_s ic = { 0 };
  ic.ipv4.addrs[0].addr = FZ_OUR_IP;
  ic.ipv4.addrs[0].prefix_len = 24;
  ic.ipv4.addr_count = 1;
  ic.ipv4.gateway = FZ_PEER_IP;
  fz_check(net_inet_create(s->eth, &ic, &s->inet) == 0, "inet");

  fz_check(net_udp_echo_create(s->sched, &s->udp_echo) == 0, "udp echo");
  fz_check(net_layer_bind(s->inet.udp, &(struct net_udp_bind_s){
                            .local_port = FZ_UDP_ECHO_PORT }, s->udp_echo) == 0,
           "udp echo bind");
  s->udp_send = malloc(sizeof *s->udp_send);
  fz_check(s->udp_send && net_layer_init(s->udp_send, &fz_sink_handler, s->sched,
                                         NULL, NULL) == 0, "udp sender");
  fz_check(net_layer_bind(s->inet.udp, &(struct net_udp_bind_s){
                            .local_port = FZ_UDP_SEND_PORT }, s->udp_send) == 0,
           "udp sender bind");

  if (features & FZ_WITH_DUMPER)
    {
      struct net_dumper_params_s dp = {
        .out = fz_devnull, .link = NET_DUMP_LINK_ETHERNET,
        .flags = NET_DUMP_LINK_HEADER | NET_DUMP_HEX | NET_DUMP_SCHED_TIME,
      };
      fz_check(net_dumper_create(s->sched, &dp, NULL, NULL, &s->dumper) == 0,
               "dumper");
      fz_check(net_layer_bind(s->eth, &(uint16_t){ NET_ETHERNET_MIRROR },
                              s->dumper) == 0, "dumper bind");
    }
  if (features & FZ_WITH_TCP)
    {
      struct net_tcp_config_s tc = { .seed = 1 };
      fz_check(net_tcp_create(s->sched, &tc, &s->tcp) == 0, "tcp");
      fz_check(net_layer_bind(s->inet.ipv4, &(uint8_t){ NET_IPPROTO_TCP },
                              s->tcp) == 0, "tcp bind");
      fz_check(net_tcp_echo_listen(s->tcp, FZ_TCP_ECHO_PORT, &s->echo_stats,
                                   &s->echo_listener) == 0, "echo listener");
      /* A small backlog: a few SYNs reach the SYN-cookie path. */
      struct net_tcp_listen_params_s lp = {
        .local = { .port = FZ_TCP_LISTEN_PORT }, .backlog = 4, .accept_max = 4,
      };
      fz_check(net_tcp_listen(s->tcp, &lp, s, &fz_listener_vtable,
                              &s->listener) == 0, "listener");
    }
  fz_run(s);
}

static void fz_drop(struct net_layer_s **l)
{
  if (*l)
    net_layer_refdec(*l);
  *l = NULL;
}

/* FZ_STATS=1: print the non-zero counters of the stack's layers, to see
   how deep an input goes. */
static void fz_print_stats(struct fz_stack_s *s)
{
  struct net_layer_s *layers[] = { s->eth, s->inet.arp, s->inet.ipv4,
                                   s->inet.icmp, s->inet.udp, s->tcp };
  for (unsigned i = 0; i < G_N_ELEMENTS(layers); i++)
    {
      struct net_stat_s st[96];
      if (!layers[i])
        continue;
      size_t n = MIN(net_layer_stats(layers[i], st, G_N_ELEMENTS(st)),
                     G_N_ELEMENTS(st));
      fprintf(stderr, "%s:", net_layer_type_name(layers[i]));
      for (size_t j = 0; j < n; j++)
        if (st[j].value)
          fprintf(stderr, " %s=%llu", st[j].name, (unsigned long long)st[j].value);
      fprintf(stderr, "\n");
    }
}

void fz_stack_fini(struct fz_stack_s *s)
{
  if (getenv("FZ_STATS"))
    fz_print_stats(s);
  net_scheduler_run_for(s->sched, FZ_LINGER);
  /* Drop every reference of the harness: the stack then goes away by
     itself, from the Ethernet layer down, whatever state it is in. */
  fz_drop(&s->client);
  if (s->client_app)
    net_layer_refdec(&s->client_app->layer);
  for (unsigned i = 0; i < s->accepted_count; i++)
    fz_drop(&s->accepted[i]);
  fz_drop(&s->listener);
  fz_drop(&s->echo_listener);
  fz_drop(&s->tcp);
  fz_drop(&s->dumper);
  fz_drop(&s->udp_echo);
  fz_drop(&s->udp_send);
  net_inet_release(&s->inet);
  fz_drop(&s->eth);
  fz_run(s);

  struct net_scheduler_stats_s st;
  net_scheduler_stats(s->sched, &st);
  struct net_buffer_pool_stats_s small, large;
  net_buffer_pool_stats(net_scheduler_small_pool(s->sched), &small);
  net_buffer_pool_stats(net_scheduler_large_pool(s->sched), &large);
  if (st.live_layers || st.live_tasks || small.in_use || large.in_use)
    {
      fprintf(stderr, "fuzz: leak after teardown: %zu layers, %zu tasks, "
              "%zu small and %zu large buffers\n", st.live_layers,
              st.live_tasks, small.in_use, large.in_use);
      abort();
    }
  net_scheduler_destroy(s->sched);
}

void fz_run(struct fz_stack_s *s)
{
  net_scheduler_run_until_idle(s->sched);
}

void fz_time_step(struct fz_stack_s *s, unsigned code)
{
  static const net_time_t steps[8] = {
    0, NET_NSEC_PER_MSEC, 10 * NET_NSEC_PER_MSEC, 100 * NET_NSEC_PER_MSEC,
    NET_NSEC_PER_SEC, 10 * NET_NSEC_PER_SEC, 60 * NET_NSEC_PER_SEC, 0,
  };
  net_time_t d = steps[code & 7];
  if (d)
    net_scheduler_run_for(s->sched, d);
  else
    fz_run(s);
}

void fz_frame(struct fz_stack_s *s, const uint8_t *frame, size_t len)
{
  struct net_buffer_s *b = net_scheduler_buffer_alloc(s->sched, 64, len);
  if (!b)
    return;   /* the driver has no buffer: the frame is lost */
  if (len)
    memcpy(net_buffer_put(b, len), frame, len);
  net_ethernet_inject(s->eth, b, net_scheduler_time(s->sched));
  fz_run(s);
}

void fz_ipv4(struct fz_stack_s *s, const uint8_t *pkt, size_t len, bool bcast)
{
  uint8_t f[14 + FZ_MAX_FRAME];
  len = MIN(len, sizeof f - 14);
  memcpy(f, bcast ? net_mac_broadcast : FZ_OUR_MAC, 6);
  memcpy(f + 6, FZ_PEER_MAC, 6);
  fz_wr16(f + 12, NET_ETHERTYPE_IPV4);
  memcpy(f + 14, pkt, len);
  fz_frame(s, f, 14 + len);
}

void fz_udp_send(struct fz_stack_s *s, uint32_t dst, uint16_t port, size_t len)
{
  struct net_buffer_s *b = net_layer_buffer_alloc(s->udp_send, len);
  struct net_task_s *t = b ? net_scheduler_task_alloc(s->sched) : NULL;
  if (!t)
    {
      if (b)
        net_buffer_refdec(b);
      return;
    }
  memset(net_buffer_put(b, len), 0x5a, len);
  struct net_addr_s d = { .ipv4 = dst, .port = port,
                          .valid = NET_ADDR_IPV4 | NET_ADDR_PORT };
  net_task_outbound_push(t, net_layer_parent(s->udp_send), s->udp_send, NULL, &d, b);
  fz_run(s);
}

void fz_udp_action(struct fz_stack_s *s, const struct fz_record_s *r,
                   uint8_t host)
{
  if (r->len)
    host = r->data[0];
  size_t len = (size_t)(r->len > 1 ? r->data[1] : 1) * 8;
  fz_udp_send(s, 0x0a000000u | host, FZ_UDP_SEND_PORT, len);
}

/* ---- TCP peer --------------------------------------------------------- */

void fz_tcp_send(struct fz_stack_s *s, const struct fz_flow_s *f, uint8_t flags,
                 uint32_t seq, uint32_t ack, uint16_t wnd, const uint8_t *opts,
                 size_t optlen, const uint8_t *data, size_t len, bool bad_csum)
{
  uint8_t pkt[20 + 60 + FZ_MAX_FRAME];
  optlen = MIN(optlen, (size_t)40);
  size_t thlen = 20 + ((optlen + 3) & ~(size_t)3);
  len = MIN(len, sizeof pkt - 20 - thlen);
  uint8_t *t = pkt + 20;
  memset(t, 0, thlen);
  fz_wr16(t, f->peer_port);
  fz_wr16(t + 2, f->our_port);
  fz_wr32(t + 4, seq);
  fz_wr32(t + 8, ack);
  t[12] = (uint8_t)(thlen / 4 << 4);
  t[13] = flags;
  fz_wr16(t + 14, wnd);
  if (optlen)
    memcpy(t + 20, opts, optlen);
  if (len)
    memcpy(t + thlen, data, len);
  size_t total = fz_build_ipv4(pkt, FZ_PEER_IP, FZ_OUR_IP, NET_IPPROTO_TCP, 0,
                               t, thlen + len);
  fz_fix_ipv4(pkt, total, FZ_CTL_FIX_CSUM);
  if (bad_csum)
    pkt[20 + 16] ^= 0x5a;
  fz_ipv4(s, pkt, total, false);
}

void fz_tcp_connect(struct fz_stack_s *s, size_t tx)
{
  s->client_app = fz_app_new(s, false, tx);
  struct net_tcp_connect_params_s cp = {
    .remote = { .addr = FZ_PEER_IP, .port = FZ_TCP_SERVER_PORT },
    .app = &s->client_app->layer,
  };
  fz_check(net_tcp_connect(s->tcp, &cp, NULL, NULL, &s->client) == 0, "connect");
  fz_run(s);
}

struct net_layer_s *fz_session(struct fz_stack_s *s, bool client)
{
  if (client)
    return s->client;
  return s->accepted_count ? s->accepted[s->accepted_count - 1] : NULL;
}

enum net_tcp_state_e fz_session_state(struct fz_stack_s *s, bool client)
{
  struct net_tcp_info_s info;
  struct net_layer_s *session = fz_session(s, client);
  if (!session || net_tcp_session_info(session, &info) != 0)
    return NET_TCP_CLOSED;
  return info.state;
}
