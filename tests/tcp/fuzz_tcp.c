/* Fuzzing entry of TCP (fuzz_tcp.h). */
#include <config.h>
#include "fuzz_tcp.h"
#include "layers/tcp_private.h"
#include <net/layer/tcp_echo.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <net/task.h>
#include <glib.h>
#include <string.h>

#define OUR 0x0a000002u
#define PEER 0x0a000001u

/* Plays IPv4 for the tcp layer: swallows what it sends, keeps the last
   segment so the entry can answer a SYN-ACK and follow the echo. */
struct sink_s
{
  struct net_layer_s layer;
  uint64_t sent;
  uint8_t last[64];
  size_t last_len;
  uint64_t echoed;          /* echo bytes sent to watch_port */
  uint32_t first_seq;
  uint16_t watch_port;
};

static struct net_scheduler_s *sched;
static struct sink_s *sink;
static struct net_layer_s *tcp, *listener;
static uint16_t fz_port = 40000;      /* remote port of the connection */
static struct net_layer_s *fz_session; /* not referenced: looked up */

static void sink_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct sink_s *s = net_container_of(layer, struct sink_s, layer);
  if (task->type == NET_TASK_OUTBOUND && task->packet.buffer)
    {
      const struct net_buffer_s *b = task->packet.buffer;
      size_t n = net_buffer_len(b);
      s->sent++;
      s->last_len = n < sizeof(s->last) ? n : sizeof(s->last);
      memcpy(s->last, net_buffer_data(b), s->last_len);
      struct net_tcp_seg_info_s si;
      /* Bytes of the echo, retransmissions counted once (nobody ACKs). */
      if (net_tcp_parse(net_buffer_data(b), n, &si) == NET_TCP_PARSE_OK
          && si.dport == s->watch_port && si.len)
        {
          if (!s->echoed)
            s->first_seq = si.seq;
          uint64_t end = (uint32_t)(si.seq + si.len - s->first_seq);
          if (end > s->echoed)
            s->echoed = end;
        }
    }
  net_task_destroy(task);
}

static void sink_adjust(const struct net_layer_s *layer,
                        const struct net_layer_s *child,
                        struct net_layer_context_s *cctx)
{
  cctx->addr.ipv4 = OUR;
  cctx->addr.valid |= NET_ADDR_IPV4;
  cctx->prefix_size = 34;
  cctx->mtu = 1480;
}

static void sink_destroyed(struct net_layer_s *layer)
{
  g_free(net_container_of(layer, struct sink_s, layer));
}

static const struct net_layer_handler_s sink_handler = {
  .type_name = "sink",
  .destroyed = sink_destroyed,
  .task_handle = sink_task,
  .child_context_adjust = sink_adjust,
};

static void deliver(uint8_t *seg, size_t len, bool fix_csum)
{
  if (fix_csum && len >= NET_TCP_HEADER_LEN)
    net_tcp_checksum_fill(seg, len, PEER, OUR);
  struct net_buffer_s *buf = net_scheduler_buffer_alloc(sched, 64, len);
  struct net_task_s *task = net_scheduler_task_alloc(sched);
  if (!buf || !task)
    {
      if (buf)
        net_buffer_refdec(buf);
      if (task)
        net_task_destroy(task);
      return;
    }
  memcpy(net_buffer_put(buf, len), seg, len);
  struct net_addr_s src = { .ipv4 = PEER, .protocol = NET_IPPROTO_TCP,
                            .valid = NET_ADDR_IPV4 | NET_ADDR_PROTOCOL };
  struct net_addr_s dst = { .ipv4 = OUR, .protocol = NET_IPPROTO_TCP,
                            .valid = NET_ADDR_IPV4 | NET_ADDR_PROTOCOL };
  net_task_inbound_push(task, tcp, &sink->layer, net_scheduler_time(sched), &src,
                        &dst, buf);
  net_scheduler_run_until_idle(sched);
}

static void send_hdr(const struct net_tcp_hdr_out_s *h, const void *payload,
                     size_t len)
{
  uint8_t seg[1600];
  size_t hl = net_tcp_write_header(seg, h);
  if (len)
    memcpy(seg + hl, payload, len);
  deliver(seg, hl + len, true);
}

/* The session of the entry's connection, if it is still there. */
static struct net_layer_s *find_session(void)
{
  for (struct net_layer_s *c = tcp->children; c; c = c->sibling_next)
    {
      struct net_tcp_info_s info;
      if (net_tcp_session_info(c, &info) == 0 && info.tuple.remote_port == fz_port
          && info.state == NET_TCP_ESTABLISHED)
        return c;
    }
  return NULL;
}

/* SYN, SYN-ACK, ACK from a new port: an established echo connection. */
static void handshake(void)
{
  fz_port = (uint16_t)(fz_port == 65000 ? 40000 : fz_port + 1);
  struct net_tcp_hdr_out_s h = {
    .sport = fz_port, .dport = 7, .seq = 1000, .flags = NET_TCP_SYN,
    .wnd = 65535, .opts = NET_TCP_OPT_MSS, .mss = 1460,
  };
  send_hdr(&h, NULL, 0);
  struct net_tcp_seg_info_s si;
  if (net_tcp_parse(sink->last, sink->last_len, &si) != NET_TCP_PARSE_OK
      || si.flags != (NET_TCP_SYN | NET_TCP_ACK))
    {
      fz_session = NULL;
      return;
    }
  h.flags = NET_TCP_ACK;
  h.opts = 0;
  h.seq = 1001;
  h.ack = si.seq + 1;
  send_hdr(&h, NULL, 0);
  fz_session = find_session();
}

void fuzz_tcp_setup(void)
{
  if (sched)
    return;
  struct net_scheduler_options_s so = { .clock = NET_CLOCK_VIRTUAL };
  sched = net_scheduler_loop_create(NULL, &so);
  sink = g_new0(struct sink_s, 1);
  net_layer_init(&sink->layer, &sink_handler, sched, NULL, NULL);
  struct net_tcp_config_s cfg = { .seed = 42, .msl = NET_NSEC_PER_SEC };
  net_tcp_create(sched, &cfg, &tcp);
  uint8_t proto = NET_IPPROTO_TCP;
  net_layer_bind(&sink->layer, &proto, tcp);
  net_tcp_echo_listen(tcp, 7, NULL, &listener);
  handshake();
}

void fuzz_tcp_input(const uint8_t *data, size_t size)
{
  static const net_time_t jumps[4] = {
    0, 200 * NET_NSEC_PER_MSEC, 3 * NET_NSEC_PER_SEC, 70 * NET_NSEC_PER_SEC,
  };
  uint8_t seg[65536];

  fuzz_tcp_setup();
  if (size < 1)
    return;
  uint8_t ctl = data[0];
  size_t len = size - 1 < sizeof(seg) ? size - 1 : sizeof(seg);
  memcpy(seg, data + 1, len);

  fz_session = find_session();
  if (!fz_session)
    handshake();
  if (len >= NET_TCP_HEADER_LEN)
    {
      switch (ctl & 3)
        {
        case 0:
          seg[0] = (uint8_t)(fz_port >> 8);
          seg[1] = (uint8_t)fz_port;
          seg[2] = 0;
          seg[3] = 7;
          break;
        case 1:
          seg[2] = 0;
          seg[3] = 7;
          break;
        default:
          break;
        }
      struct net_tcp_info_s info;
      if ((ctl & 4) && fz_session && net_tcp_session_info(fz_session, &info) == 0)
        {
          uint32_t seq = info.rcv_nxt + ((uint32_t)seg[6] << 8 | seg[7]);
          uint32_t ack = info.snd_una + ((uint32_t)seg[10] << 8 | seg[11]);
          for (int i = 0; i < 4; i++)
            {
              seg[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
              seg[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
            }
        }
    }
  deliver(seg, len, !(ctl & 8));
  if (ctl & 0x30)
    net_scheduler_run_for(sched, jumps[(ctl >> 4) & 3]);
}

uint64_t fuzz_tcp_stat(const char *name)
{
  struct net_stat_s st[64];
  size_t n = net_layer_stats(tcp, st, G_N_ELEMENTS(st));
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(st); i++)
    if (!strcmp(st[i].name, name))
      return st[i].value;
  return 0;
}

uint64_t fuzz_tcp_sent(void)
{
  return sink ? sink->sent : 0;
}

int fuzz_tcp_echo_check(size_t len)
{
  uint8_t payload[1400];
  fuzz_tcp_setup();
  if (len > sizeof(payload))
    len = sizeof(payload);
  handshake();
  if (!fz_session)
    return 0;
  struct net_tcp_info_s info;
  net_tcp_session_info(fz_session, &info);
  memset(payload, 'x', len);
  sink->watch_port = fz_port;
  sink->echoed = 0;
  struct net_tcp_hdr_out_s h = {
    .sport = fz_port, .dport = 7, .seq = info.rcv_nxt, .ack = info.snd_nxt,
    .flags = NET_TCP_ACK | NET_TCP_PSH, .wnd = 65535,
  };
  send_hdr(&h, payload, len);
  net_scheduler_run_for(sched, NET_NSEC_PER_SEC);
  return sink->echoed == len;
}

size_t fuzz_tcp_teardown(void)
{
  if (!sched)
    return 0;
  net_layer_unbind(tcp, listener);
  net_layer_refdec(listener);
  net_layer_unbind_all(&sink->layer);
  net_layer_refdec(tcp);
  net_layer_refdec(&sink->layer);
  net_scheduler_run_for(sched, 300 * NET_NSEC_PER_SEC);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(sched, &st);
  net_scheduler_destroy(sched);
  sched = NULL;
  sink = NULL;
  tcp = listener = fz_session = NULL;
  return st.live_layers;
}
