/* The tcp layer: under IPv4, above listeners and sessions.  Verifies
   segments, demultiplexes them by 4-tuple (sessions) and port
   (listeners) through keyed hash tables, answers segments to nothing
   with RST (RFC 9293 3.10.7.1), handles SYNs for listeners (backlog, SYN
   cookies) and forwards what its children send to IPv4. */
#include <config.h>
#include "tcp_private.h"
#include <net/buffer.h>
#include <net/layer/flow.h>
#include <net/task.h>
#include <stdlib.h>

const char *const net_tcp_stat_names[NET_TCP_STAT_COUNT] = {
  [NET_TCP_STAT_SEGS_IN] = "segs_in",
  [NET_TCP_STAT_SEGS_OUT] = "segs_out",
  [NET_TCP_STAT_ACTIVE_OPENS] = "active_opens",
  [NET_TCP_STAT_PASSIVE_OPENS] = "passive_opens",
  [NET_TCP_STAT_ESTABLISHED] = "established",
  [NET_TCP_STAT_CLOSED] = "closed",
  [NET_TCP_STAT_RESETS_RECEIVED] = "resets_received",
  [NET_TCP_STAT_RESETS_SENT] = "resets_sent",
  [NET_TCP_STAT_RETRANSMITS] = "retransmits",
  [NET_TCP_STAT_TIMEOUTS] = "timeouts",
  [NET_TCP_STAT_FAST_RETRANSMITS] = "fast_retransmits",
  [NET_TCP_STAT_ZERO_WINDOW_PROBES] = "zero_window_probes",
  [NET_TCP_STAT_KEEPALIVE_PROBES] = "keepalive_probes",
  [NET_TCP_STAT_CHALLENGE_ACKS] = "challenge_acks",
  [NET_TCP_STAT_COOKIES_SENT] = "syn_cookies_sent",
  [NET_TCP_STAT_COOKIES_ACCEPTED] = "syn_cookies_accepted",
  [NET_TCP_STAT_TIME_WAIT_REUSED] = "time_wait_reused",
  [NET_TCP_STAT_DROP_SHORT] = "drop_short",
  [NET_TCP_STAT_DROP_BAD_OFFSET] = "drop_bad_offset",
  [NET_TCP_STAT_DROP_BAD_OPTION] = "drop_bad_option",
  [NET_TCP_STAT_DROP_BAD_CHECKSUM] = "drop_bad_checksum",
  [NET_TCP_STAT_DROP_BAD_ADDRESS] = "drop_bad_address",
  [NET_TCP_STAT_DROP_NO_SOCKET] = "drop_no_socket",
  [NET_TCP_STAT_DROP_BACKLOG] = "drop_backlog",
  [NET_TCP_STAT_DROP_ACCEPT_QUEUE] = "drop_accept_queue",
  [NET_TCP_STAT_DROP_SESSION_LIMIT] = "drop_session_limit",
  [NET_TCP_STAT_DROP_BAD_COOKIE] = "drop_bad_cookie",
  [NET_TCP_STAT_DROP_OUT_OF_WINDOW] = "drop_out_of_window",
  [NET_TCP_STAT_DROP_PAWS] = "drop_paws",
  [NET_TCP_STAT_DROP_BAD_ACK] = "drop_bad_ack",
  [NET_TCP_STAT_DROP_OOO_MEMORY] = "drop_ooo_memory",
  [NET_TCP_STAT_DROP_AFTER_CLOSE] = "drop_after_close",
  [NET_TCP_STAT_DROP_NO_BUFFER] = "drop_no_buffer",
  [NET_TCP_STAT_DROP_SEND_OVERFLOW] = "drop_send_overflow",
  [NET_TCP_STAT_SEND_MEM_PRESSURE] = "send_mem_pressure",
  [NET_TCP_STAT_DROP_RCV_MEMORY] = "drop_rcv_memory",
  [NET_TCP_STAT_DROP_OOO_PRESSURE] = "drop_ooo_pressure",
  [NET_TCP_STAT_OOO_PRUNED] = "ooo_pruned",
  [NET_TCP_STAT_RCV_WINDOW_CLAMPED] = "rcv_window_clamped",
  [NET_TCP_STAT_FLOW_REGISTERED] = "fastpath_registered",
  [NET_TCP_STAT_FLOW_HELD] = "fastpath_held",
  [NET_TCP_STAT_FLOW_MARKER_LOST] = "fastpath_marker_lost",
};

bool net_tcp_pool_pressure(struct net_scheduler_s *sched)
{
  struct net_buffer_pool_stats_s st, jumbo;
  net_buffer_pool_stats(net_scheduler_large_pool(sched), &st);
  /* Offloading devices move data in jumbo buffers (super-segments). */
  net_buffer_pool_stats(net_scheduler_jumbo_pool(sched), &jumbo);
  return st.in_use * 4 > st.capacity * 3 || jumbo.in_use * 4 > jumbo.capacity * 3;
}

struct net_tcp_shared_s *net_tcp_shared_refinc(struct net_tcp_shared_s *sh)
{
  atomic_fetch_add_explicit(&sh->refcount, 1, memory_order_relaxed);
  return sh;
}

void net_tcp_shared_refdec(struct net_tcp_shared_s *sh)
{
  if (atomic_fetch_sub_explicit(&sh->refcount, 1, memory_order_acq_rel) == 1)
    free(sh);
}

void net_tcp_options_resolve(struct net_tcp_session_options_s *o)
{
  if (!o->rcv_buf)
    o->rcv_buf = 256 * 1024;
  if (!o->snd_buf)
    o->snd_buf = 512 * 1024;
  /* Beyond 2^30 the window cannot be scaled (RFC 7323 2.3). */
  if (o->rcv_buf > (UINT32_C(65535) << NET_TCP_MAX_WSCALE))
    o->rcv_buf = UINT32_C(65535) << NET_TCP_MAX_WSCALE;
  if (o->snd_buf > (UINT32_C(1) << 30))
    o->snd_buf = UINT32_C(1) << 30;
  if (!o->keepalive_idle)
    o->keepalive_idle = 2 * 3600 * NET_NSEC_PER_SEC;
  if (!o->keepalive_interval)
    o->keepalive_interval = 75 * NET_NSEC_PER_SEC;
  if (!o->keepalive_count)
    o->keepalive_count = 9;
}

static void config_resolve(struct net_tcp_config_s *c)
{
  net_tcp_options_resolve(&c->session);
  if (!c->msl)
    c->msl = 30 * NET_NSEC_PER_SEC;
  if (!c->rto_initial)
    c->rto_initial = NET_NSEC_PER_SEC;
  if (!c->rto_min)
    c->rto_min = 200 * NET_NSEC_PER_MSEC;
  if (!c->rto_max)
    c->rto_max = 120 * NET_NSEC_PER_SEC;
  if (c->rto_min > c->rto_max)
    c->rto_min = c->rto_max;
  if (!c->delack)
    c->delack = 40 * NET_NSEC_PER_MSEC;
  if (!c->fin_timeout)
    c->fin_timeout = 60 * NET_NSEC_PER_SEC;
  if (!c->syn_retries)
    c->syn_retries = 6;
  if (!c->synack_retries)
    c->synack_retries = 5;
  if (!c->max_retries)
    c->max_retries = 15;
  if (!c->max_sessions)
    c->max_sessions = 65536;
  if (!c->ooo_max)
    c->ooo_max = c->session.rcv_buf;
  if (!c->challenge_ack_limit)
    c->challenge_ack_limit = 1000;
  if (!c->ephemeral_min)
    c->ephemeral_min = 49152;
  if (!c->ephemeral_max)
    c->ephemeral_max = 65535;
}

/* ------------------------------------------------------------------ */
/* Demux tables                                                        */

static size_t sessions_of(const struct net_tcp_s *t)
{
  return atomic_load_explicit(&t->session_count, memory_order_relaxed);
}

static size_t session_slot(const struct net_tcp_s *t, const struct net_tcp_tuple_s *k)
{
  return net_tcp_tuple_hash(t->shared->key, k) & t->sessions_mask;
}

static bool tuple_eq(const struct net_tcp_tuple_s *a, const struct net_tcp_tuple_s *b)
{
  return a->local_addr == b->local_addr && a->remote_addr == b->remote_addr
         && a->local_port == b->local_port && a->remote_port == b->remote_port;
}

static struct net_tcp_session_s *session_lookup(const struct net_tcp_s *t,
                                                const struct net_tcp_tuple_s *k)
{
  struct net_tcp_session_s *s = t->sessions[session_slot(t, k)];
  while (s && !tuple_eq(&s->tuple, k))
    s = s->hash_next;
  return s;
}

/* Double the table when it holds more sessions than buckets, so chains
   stay short whatever the load. */
static void sessions_grow(struct net_tcp_s *t)
{
  size_t n = (t->sessions_mask + 1) * 2;
  struct net_tcp_session_s **tab = calloc(n, sizeof(*tab));
  if (!tab)
    return;   /* longer chains, still correct */
  struct net_tcp_session_s **old = t->sessions;
  size_t old_n = t->sessions_mask + 1;
  t->sessions = tab;
  t->sessions_mask = n - 1;
  for (size_t i = 0; i < old_n; i++)
    while (old[i])
      {
        struct net_tcp_session_s *s = old[i];
        old[i] = s->hash_next;
        size_t slot = session_slot(t, &s->tuple);
        s->hash_next = tab[slot];
        tab[slot] = s;
      }
  free(old);
}

static void session_insert(struct net_tcp_s *t, struct net_tcp_session_s *s)
{
  if (sessions_of(t) >= t->sessions_mask + 1)
    sessions_grow(t);
  size_t slot = session_slot(t, &s->tuple);
  s->hash_next = t->sessions[slot];
  t->sessions[slot] = s;
  atomic_store_explicit(&t->session_count, sessions_of(t) + 1, memory_order_relaxed);
}

static void session_remove(struct net_tcp_s *t, struct net_tcp_session_s *s)
{
  struct net_tcp_session_s **pp = &t->sessions[session_slot(t, &s->tuple)];
  while (*pp && *pp != s)
    pp = &(*pp)->hash_next;
  if (*pp)
    {
      *pp = s->hash_next;
      s->hash_next = NULL;
      atomic_store_explicit(&t->session_count, sessions_of(t) - 1, memory_order_relaxed);
    }
}

static size_t listener_slot(const struct net_tcp_s *t, uint16_t port)
{
  return (size_t)(port * UINT32_C(2654435761)) >> 16 & t->listeners_mask;
}

/* Exact address first, then the wildcard. */
static struct net_tcp_listener_s *listener_lookup(const struct net_tcp_s *t,
                                                  uint32_t addr, uint16_t port)
{
  struct net_tcp_listener_s *any = NULL;
  for (struct net_tcp_listener_s *l = t->listeners[listener_slot(t, port)]; l;
       l = l->hash_next)
    {
      if (l->local.port != port)
        continue;
      if (l->local.addr == addr)
        return l;
      if (l->local.addr == 0)
        any = l;
    }
  return any;
}

static bool listener_conflict(const struct net_tcp_s *t,
                              const struct net_tcp_endpoint_s *ep)
{
  for (struct net_tcp_listener_s *l = t->listeners[listener_slot(t, ep->port)]; l;
       l = l->hash_next)
    if (l->local.port == ep->port && l->local.addr == ep->addr)
      return true;
  return false;
}

/* RFC 6056 algorithm 3: start from a keyed hash of the destination so
   ports are hard to guess, then walk the range. */
static int ephemeral_pick(struct net_tcp_s *t, struct net_tcp_tuple_s *k)
{
  const struct net_tcp_config_s *c = &t->shared->cfg;
  uint32_t range = (uint32_t)c->ephemeral_max - c->ephemeral_min + 1;
  uint32_t offset = net_tcp_port_offset(t->shared->key, k->local_addr,
                                        k->remote_addr, k->remote_port);

  for (uint32_t i = 0; i < range; i++)
    {
      k->local_port = (uint16_t)(c->ephemeral_min
                                 + (offset + t->ephemeral_next + i) % range);
      if (!session_lookup(t, k) && !listener_lookup(t, k->local_addr, k->local_port))
        {
          t->ephemeral_next += i + 1;
          return 0;
        }
    }
  k->local_port = 0;
  return -EADDRNOTAVAIL;
}

/* ------------------------------------------------------------------ */
/* Output helpers                                                      */

static int push_segment(struct net_layer_s *from, uint32_t src, uint32_t dst,
                        const struct net_tcp_hdr_out_s *h)
{
  struct net_layer_s *parent = net_layer_parent(from);
  size_t hlen = net_tcp_header_len(h->opts);

  if (!parent)
    return -ENOTCONN;
  struct net_buffer_s *buf = net_scheduler_buffer_alloc(from->scheduler,
                                                        from->context.prefix_size,
                                                        hlen);
  if (!buf)
    return -ENOBUFS;
  struct net_task_s *task = net_scheduler_task_alloc(from->scheduler);
  if (!task)
    {
      net_buffer_refdec(buf);
      return -ENOBUFS;
    }
  uint8_t *p = net_buffer_put(buf, hlen);
  net_tcp_write_header(p, h);
  net_tcp_checksum_fill(p, hlen, src, dst);
  struct net_addr_s a_src = {
    .ipv4 = src, .port = h->sport, .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PORT | NET_ADDR_PROTOCOL,
  };
  struct net_addr_s a_dst = {
    .ipv4 = dst, .port = h->dport, .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PORT | NET_ADDR_PROTOCOL,
  };
  return net_task_outbound_push(task, parent, from, &a_src, &a_dst, buf);
}

void net_tcp_reply_rst(struct net_layer_s *from, struct net_tcp_shared_s *sh,
                       uint32_t src, uint32_t dst,
                       const struct net_tcp_seg_info_s *si)
{
  struct net_tcp_hdr_out_s h = {
    .sport = si->dport,
    .dport = si->sport,
  };

  if (si->flags & NET_TCP_RST)
    return;
  /* RFC 9293 3.10.7.1: take the sequence number from the ACK field, or
     acknowledge everything the segment occupied. */
  if (si->flags & NET_TCP_ACK)
    {
      h.seq = si->ack;
      h.flags = NET_TCP_RST;
    }
  else
    {
      h.ack = si->seq + si->len + ((si->flags & NET_TCP_SYN) ? 1 : 0)
              + ((si->flags & NET_TCP_FIN) ? 1 : 0);
      h.flags = NET_TCP_RST | NET_TCP_ACK;
    }
  if (push_segment(from, src, dst, &h) == 0)
    net_tcp_count(sh, NET_TCP_STAT_RESETS_SENT, 1);
}

/* ------------------------------------------------------------------ */
/* Input                                                               */

static bool addr_unicast(uint32_t a)
{
  return a != 0 && a != UINT32_MAX && (a >> 28) != 0xe;
}

/* Beyond the backlog: answer with a SYN cookie (the SYN-ACK encodes
   what we must remember; nothing is kept). */
static void cookie_synack(struct net_tcp_s *t, struct net_tcp_listener_s *l,
                          const struct net_tcp_tuple_s *k,
                          const struct net_tcp_seg_info_s *si, net_time_t now)
{
  uint32_t mtu = t->layer.context.mtu;
  uint32_t our_mss = mtu > NET_TCP_HEADER_LEN + 64 ? mtu - NET_TCP_HEADER_LEN
                                                   : NET_TCP_DEFAULT_MSS;
  uint16_t peer_mss = (si->opts & NET_TCP_OPT_MSS) && si->mss ? si->mss
                                                              : NET_TCP_DEFAULT_MSS;
  struct net_tcp_hdr_out_s h = {
    .sport = k->local_port,
    .dport = k->remote_port,
    .seq = net_tcp_cookie_make(t->shared->key, k, si->seq, peer_mss, now),
    .ack = si->seq + 1,
    .flags = NET_TCP_SYN | NET_TCP_ACK,
    .wnd = (uint16_t)(l->opt.rcv_buf < 65535 ? l->opt.rcv_buf : 65535),
    .opts = NET_TCP_OPT_MSS,
  };

  if (l->opt.mss && l->opt.mss < our_mss)
    our_mss = l->opt.mss;
  h.mss = (uint16_t)(our_mss > 65535 ? 65535 : our_mss);
  /* Window scaling and timestamps survive only with timestamps: the low
     4 bits of our TSval carry the peer's shift (15: none), and come back
     in its TSecr. */
  if ((si->opts & NET_TCP_OPT_TS) && !l->opt.no_timestamps)
    {
      uint32_t ws_bits = 0xf;
      h.opts |= NET_TCP_OPT_TS;
      if ((si->opts & NET_TCP_OPT_WS) && !l->opt.no_wscale)
        {
          h.opts |= NET_TCP_OPT_WS;
          h.wscale = net_tcp_wscale_for(l->opt.rcv_buf);
          ws_bits = si->wscale;
        }
      uint32_t ts = (uint32_t)(now / NET_NSEC_PER_MSEC)
                    + net_tcp_ts_offset(t->shared->key, k);
      h.tsval = (ts & ~UINT32_C(0xf)) | ws_bits;
      /* Never ahead of the session's clock, or the peer's PAWS would
         reject the session's first segments. */
      if (net_tcp_seq_gt(h.tsval, ts))
        h.tsval -= 16;
      h.tsecr = si->tsval;
    }
  if (push_segment(&t->layer, k->local_addr, k->remote_addr, &h) == 0)
    net_tcp_count(t->shared, NET_TCP_STAT_COOKIES_SENT, 1);
  l->last_cookie = now;
  l->cookie_sent = true;
}

/* A new passive session bound under us; NULL when refused (counted). */
static struct net_tcp_session_s *passive_session(struct net_tcp_s *t,
                                                 struct net_tcp_listener_s *l,
                                                 const struct net_tcp_tuple_s *k)
{
  struct net_tcp_session_s *s = net_tcp_session_new(t->layer.scheduler, t->shared,
                                                    &l->opt, NULL, NULL);
  if (!s)
    {
      net_tcp_count(t->shared, NET_TCP_STAT_DROP_SESSION_LIMIT, 1);
      return NULL;
    }
  s->tuple = *k;
  s->ts_offset = net_tcp_ts_offset(t->shared->key, k);
  s->state = NET_TCP_LISTEN;
  s->flags |= NET_TCP_SF_PASSIVE;
  s->listener = net_tcp_listener_refinc(l);
  if (net_layer_bind(&t->layer, &s->tuple, &s->layer) != 0)
    {
      net_layer_refdec(&s->layer);
      net_tcp_count(t->shared, NET_TCP_STAT_DROP_SESSION_LIMIT, 1);
      return NULL;
    }
  /* The tcp layer's reference (taken by the bind) is the one that
     matters: the session lives as long as it is bound. */
  net_layer_refdec(&s->layer);
  net_tcp_count(t->shared, NET_TCP_STAT_PASSIVE_OPENS, 1);
  return s;
}

/* May a new connection of listener @p l start?  Counts the refusal. */
static bool session_room(struct net_tcp_s *t, struct net_tcp_listener_s *l)
{
  if (sessions_of(t) >= t->shared->cfg.max_sessions)
    {
      net_tcp_count(t->shared, NET_TCP_STAT_DROP_SESSION_LIMIT, 1);
      return false;
    }
  if (atomic_load_explicit(&l->accept_count, memory_order_relaxed) >= l->accept_max)
    {
      net_tcp_count(t->shared, NET_TCP_STAT_DROP_ACCEPT_QUEUE, 1);
      return false;
    }
  return true;
}

/* An ACK to a listening port: the end of a SYN-cookie handshake, or a
   stray segment that gets an RST. */
static void listener_ack(struct net_tcp_s *t, struct net_tcp_listener_s *l,
                         struct net_task_s *task, const struct net_tcp_tuple_s *k,
                         const struct net_tcp_seg_info_s *si, net_time_t now)
{
  uint16_t mss = 0;
  struct net_tcp_session_s *s;

  if (l->cookie_sent && now - l->last_cookie < 2 * NET_TCP_COOKIE_SLOT)
    mss = net_tcp_cookie_check(t->shared->key, k, si->seq - 1, si->ack - 1, now);
  if (!mss)
    {
      if (l->cookie_sent)
        net_tcp_count(t->shared, NET_TCP_STAT_DROP_BAD_COOKIE, 1);
      net_tcp_reply_rst(&t->layer, t->shared, k->local_addr, k->remote_addr, si);
      net_task_destroy(task);
      return;
    }
  if (!session_room(t, l) || !(s = passive_session(t, l, k)))
    {
      net_task_destroy(task);
      return;
    }
  s->flags |= NET_TCP_SF_COOKIE;
  s->peer_mss = mss;
  s->rcv_wscale = 0;
  s->snd_wscale = 0;
  if (si->opts & NET_TCP_OPT_TS)
    {
      uint32_t ws_bits = si->tsecr & 0xf;
      s->flags |= NET_TCP_SF_TS;
      s->ts_recent = si->tsval;
      s->ts_recent_time = now;
      if (ws_bits <= NET_TCP_MAX_WSCALE)
        {
          s->flags |= NET_TCP_SF_WS;
          s->snd_wscale = (uint8_t)ws_bits;
          s->rcv_wscale = net_tcp_wscale_for(s->opt.rcv_buf);
        }
    }
  net_tcp_count(t->shared, NET_TCP_STAT_COOKIES_ACCEPTED, 1);
  net_task_packet_forward(task, &s->layer);
}

static void listener_input(struct net_tcp_s *t, struct net_tcp_listener_s *l,
                           struct net_task_s *task, const struct net_tcp_tuple_s *k,
                           const struct net_tcp_seg_info_s *si)
{
  net_time_t now = net_scheduler_time(t->layer.scheduler);
  uint8_t f = si->flags;
  struct net_tcp_session_s *s;

  if (f & NET_TCP_RST)
    {
      net_task_destroy(task);
      return;
    }
  if ((f & NET_TCP_ACK) && !(f & NET_TCP_SYN))
    {
      listener_ack(t, l, task, k, si, now);
      return;
    }
  if ((f & (NET_TCP_SYN | NET_TCP_ACK)) != NET_TCP_SYN)
    {
      /* SYN-ACK to a listener: not ours (RFC 9293: RST for an ACK). */
      if (f & NET_TCP_ACK)
        net_tcp_reply_rst(&t->layer, t->shared, k->local_addr, k->remote_addr, si);
      net_task_destroy(task);
      return;
    }
  if (!session_room(t, l))
    {
      net_task_destroy(task);
      return;
    }
  if (atomic_load_explicit(&l->syn_count, memory_order_relaxed) >= l->backlog)
    {
      if (t->shared->cfg.no_syncookies)
        net_tcp_count(t->shared, NET_TCP_STAT_DROP_BACKLOG, 1);
      else
        cookie_synack(t, l, k, si, now);
      net_task_destroy(task);
      return;
    }
  if (!(s = passive_session(t, l, k)))
    {
      net_task_destroy(task);
      return;
    }
  s->flags |= NET_TCP_SF_SYNQ;
  atomic_fetch_add_explicit(&l->syn_count, 1, memory_order_relaxed);
  net_task_packet_forward(task, &s->layer);
}

static void tcp_input(struct net_tcp_s *t, struct net_task_s *task)
{
  struct net_tcp_shared_s *sh = t->shared;
  struct net_buffer_s *buf = task->packet.buffer;
  struct net_tcp_seg_info_s si;

  net_tcp_count(sh, NET_TCP_STAT_SEGS_IN, 1);
  if (!buf || !(task->packet.src.valid & NET_ADDR_IPV4)
      || !(task->packet.dst.valid & NET_ADDR_IPV4))
    {
      net_tcp_count(sh, NET_TCP_STAT_DROP_BAD_ADDRESS, 1);
      net_task_destroy(task);
      return;
    }
  uint32_t src = task->packet.src.ipv4, dst = task->packet.dst.ipv4;
  const uint8_t *p = net_buffer_data(buf);
  size_t len = net_buffer_len(buf);

  switch (net_tcp_parse(p, len, &si))
    {
    case NET_TCP_PARSE_OK:
      break;
    case NET_TCP_PARSE_SHORT:
      net_tcp_count(sh, NET_TCP_STAT_DROP_SHORT, 1);
      net_task_destroy(task);
      return;
    case NET_TCP_PARSE_OFFSET:
      net_tcp_count(sh, NET_TCP_STAT_DROP_BAD_OFFSET, 1);
      net_task_destroy(task);
      return;
    default:
      net_tcp_count(sh, NET_TCP_STAT_DROP_BAD_OPTION, 1);
      net_task_destroy(task);
      return;
    }
  if (!(buf->offload_flags & (NET_BUFFER_CSUM_VALID | NET_BUFFER_CSUM_PARTIAL))
      && !net_tcp_checksum_ok(p, len, src, dst))
    {
      net_tcp_count(sh, NET_TCP_STAT_DROP_BAD_CHECKSUM, 1);
      net_task_destroy(task);
      return;
    }
  /* RFC 1122 4.2.3.10 / RFC 9293: nothing to or from broadcast or
     multicast addresses, no port 0. */
  if (!addr_unicast(src) || !addr_unicast(dst) || !si.sport || !si.dport)
    {
      net_tcp_count(sh, NET_TCP_STAT_DROP_BAD_ADDRESS, 1);
      net_task_destroy(task);
      return;
    }

  struct net_tcp_tuple_s k = {
    .local_addr = dst, .remote_addr = src,
    .local_port = si.dport, .remote_port = si.sport,
  };
  struct net_tcp_session_s *s = session_lookup(t, &k);
  if (s)
    {
      net_task_packet_forward(task, &s->layer);
      return;
    }
  struct net_tcp_listener_s *l = listener_lookup(t, dst, si.dport);
  if (l)
    {
      listener_input(t, l, task, &k, &si);
      return;
    }
  net_tcp_count(sh, NET_TCP_STAT_DROP_NO_SOCKET, 1);
  net_tcp_reply_rst(&t->layer, sh, dst, src, &si);
  net_task_destroy(task);
}

/* ------------------------------------------------------------------ */
/* Handler methods                                                     */

static bool is_child(const struct net_layer_s *layer, const struct net_layer_s *c)
{
  return c && net_layer_parent(c) == layer;
}

static void tcp_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct net_tcp_s *t = net_container_of(layer, struct net_tcp_s, layer);

  switch (task->type)
    {
    case NET_TASK_INBOUND:
      if (task->source == net_layer_parent(layer))
        tcp_input(t, task);
      else if (is_child(layer, task->source)
               && task->source->handler == &net_tcp_session_handler)
        {
          /* A SYN that a TIME_WAIT session gave back: that incarnation is
             over, a new one starts. */
          net_layer_unbind(layer, task->source);
          tcp_input(t, task);
        }
      else
        net_task_destroy(task);
      return;
    case NET_TASK_OUTBOUND:
      {
        struct net_layer_s *parent = net_layer_parent(layer);
        if (parent)
          {
            net_tcp_count(t->shared, NET_TCP_STAT_SEGS_OUT, 1);
            net_task_packet_forward(task, parent);
          }
        else
          net_task_destroy(task);
        return;
      }
    case NET_TASK_NOTIFICATION:
      if (task->notification.opcode == NET_TCP_OP_DONE
          && is_child(layer, task->source))
        {
          struct net_layer_s *child = task->source;
          net_task_destroy(task);
          net_layer_unbind(layer, child);
          return;
        }
      if (net_flow_task(task) && is_child(layer, task->source))
        {
          /* A session asks for the fast path: towards the link. */
          net_flow_forward(layer, task);
          return;
        }
      if (net_flow_task(task) && task->source == net_layer_parent(layer)
          && task->notification.opcode == NET_FLOW_OP_ACTIVE)
        {
          /* The link's marker, behind the flow's segments: to its session. */
          const struct net_flow_key_s *k = &net_flow_task(task)->key;
          struct net_tcp_tuple_s tuple = {
            .local_addr = k->local_addr, .remote_addr = k->remote_addr,
            .local_port = k->local_port, .remote_port = k->remote_port,
          };
          struct net_tcp_session_s *s = session_lookup(t, &tuple);
          net_flow_forward_up(layer, task, s ? &s->layer : NULL);
          return;
        }
      net_task_destroy(task);
      return;
    default:
      net_task_destroy(task);
      return;
    }
}

static int tcp_bound(struct net_layer_s *layer, const void *addr,
                     struct net_layer_s *child)
{
  struct net_tcp_s *t = net_container_of(layer, struct net_tcp_s, layer);

  if (!addr)
    return -EINVAL;
  if (child->handler == &net_tcp_session_handler)
    {
      struct net_tcp_session_s *s = net_tcp_session(child);
      struct net_tcp_tuple_s k = *(const struct net_tcp_tuple_s *)addr;

      if (sessions_of(t) >= t->shared->cfg.max_sessions)
        return -EMFILE;
      if (!k.remote_addr || !k.remote_port)
        return -EINVAL;
      if (!k.local_addr)
        {
          if (!(layer->context.addr.valid & NET_ADDR_IPV4) || !layer->context.addr.ipv4)
            return -EADDRNOTAVAIL;
          k.local_addr = layer->context.addr.ipv4;
        }
      if (!k.local_port)
        {
          int err = ephemeral_pick(t, &k);
          if (err)
            return err;
        }
      else if (session_lookup(t, &k))
        return -EADDRINUSE;
      s->tuple = k;
      session_insert(t, s);
      return 0;
    }
  if (child->handler == &net_tcp_listener_handler)
    {
      struct net_tcp_listener_s *l = net_tcp_listener(child);
      const struct net_tcp_endpoint_s *ep = addr;
      if (!ep->port)
        return -EINVAL;
      if (listener_conflict(t, ep))
        return -EADDRINUSE;
      l->local = *ep;
      size_t slot = listener_slot(t, ep->port);
      l->hash_next = t->listeners[slot];
      t->listeners[slot] = l;
      atomic_fetch_add_explicit(&t->listener_count, 1, memory_order_relaxed);
      return 0;
    }
  return -EPROTOTYPE;
}

static void tcp_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct net_tcp_s *t = net_container_of(layer, struct net_tcp_s, layer);

  if (child->handler == &net_tcp_session_handler)
    session_remove(t, net_tcp_session(child));
  else if (child->handler == &net_tcp_listener_handler)
    {
      struct net_tcp_listener_s *l = net_tcp_listener(child);
      struct net_tcp_listener_s **pp = &t->listeners[listener_slot(t, l->local.port)];
      while (*pp && *pp != l)
        pp = &(*pp)->hash_next;
      if (*pp)
        {
          *pp = l->hash_next;
          l->hash_next = NULL;
          atomic_fetch_sub_explicit(&t->listener_count, 1, memory_order_relaxed);
        }
    }
}

static void tcp_destroyed(struct net_layer_s *layer)
{
  struct net_tcp_s *t = net_container_of(layer, struct net_tcp_s, layer);
  free(t->sessions);
  free(t->listeners);
  net_tcp_shared_refdec(t->shared);
  free(t);
}

static size_t tcp_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                        size_t max)
{
  const struct net_tcp_s *t = net_container_of(layer, const struct net_tcp_s, layer);
  size_t n = 0;

  for (size_t i = 0; i < NET_TCP_STAT_COUNT; i++, n++)
    if (n < max)
      {
        out[n].name = net_tcp_stat_names[i];
        out[n].value = atomic_load_explicit(&t->shared->stats[i], memory_order_relaxed);
      }
  if (n < max)
    {
      out[n].name = "send_mem";
      out[n].value = (uint64_t)atomic_load_explicit(&t->shared->snd_mem, memory_order_relaxed);
    }
  n++;
  if (n < max)
    {
      out[n].name = "ooo_mem";
      out[n].value = (uint64_t)atomic_load_explicit(&t->shared->ooo_mem, memory_order_relaxed);
    }
  n++;
  if (n < max)
    {
      out[n].name = "rcv_mem";
      out[n].value = net_tcp_rmem_total(t->shared);
    }
  n++;
  if (n < max)
    {
      const struct net_tcp_config_s *c = &t->shared->cfg;
      out[n].name = "rcv_mem_state";
      out[n].value = net_tcp_rmem_state(net_tcp_rmem_total(t->shared),
                                        c->rcv_mem_pressure, c->rcv_mem_max);
    }
  n++;
  if (n < max)
    {
      out[n].name = "sessions";
      out[n].value = sessions_of(t);
    }
  n++;
  if (n < max)
    {
      out[n].name = "listeners";
      out[n].value = atomic_load_explicit(&t->listener_count, memory_order_relaxed);
    }
  n++;
  return n;
}

const struct net_layer_handler_s net_tcp_handler = {
  .type_name = "tcp",
  .destroyed = tcp_destroyed,
  .task_handle = tcp_task_handle,
  .bound = tcp_bound,
  .unbound = tcp_unbound,
  .stats = tcp_stats,
};

int net_tcp_create(struct net_scheduler_s *sched,
                   const struct net_tcp_config_s *config,
                   struct net_layer_s **tcp)
{
  if (!sched || !tcp)
    return -EINVAL;
  struct net_tcp_config_s cfg = config ? *config : (struct net_tcp_config_s){0};
  config_resolve(&cfg);
  if (cfg.ephemeral_min > cfg.ephemeral_max)
    return -EINVAL;
  struct net_buffer_pool_stats_s ps;
  net_buffer_pool_stats(net_scheduler_large_pool(sched), &ps);
  size_t pool = ps.capacity * ps.buffer_size;
  if (!cfg.snd_mem_max)
    cfg.snd_mem_max = pool / 2;
  if (!cfg.ooo_mem_max)
    cfg.ooo_mem_max = pool / 4;
  /* Send queues, receive memory and the rest of the pool: a quarter is
     left for the frames the stack receives (ACKs, ARP, SYNs). */
  if (!cfg.rcv_mem_max)
    cfg.rcv_mem_max = pool / 4;
  if (!cfg.rcv_mem_pressure || cfg.rcv_mem_pressure > cfg.rcv_mem_max)
    cfg.rcv_mem_pressure = cfg.rcv_mem_max / 2;

  struct net_tcp_s *t = calloc(1, sizeof(*t));
  struct net_tcp_shared_s *sh = calloc(1, sizeof(*sh));
  if (t)
    {
      t->sessions = calloc(64, sizeof(*t->sessions));
      t->listeners = calloc(16, sizeof(*t->listeners));
    }
  if (!t || !sh || !t->sessions || !t->listeners)
    {
      if (t)
        {
          free(t->sessions);
          free(t->listeners);
        }
      free(t);
      free(sh);
      return -ENOMEM;
    }
  t->sessions_mask = 63;
  t->listeners_mask = 15;
  atomic_init(&t->session_count, 0);
  atomic_init(&t->listener_count, 0);
  atomic_init(&sh->refcount, 1);
  sh->cfg = cfg;
  net_tcp_key_init(sh->key, cfg.seed);
  for (size_t i = 0; i < NET_TCP_STAT_COUNT; i++)
    atomic_init(&sh->stats[i], 0);
  atomic_init(&sh->snd_mem, 0);
  atomic_init(&sh->ooo_mem, 0);
  atomic_init(&sh->rcv_mem, 0);
  sh->large_buf_size = ps.buffer_size;
  t->shared = sh;
  int err = net_layer_init(&t->layer, &net_tcp_handler, sched, NULL, NULL);
  if (err)
    {
      free(t->sessions);
      free(t->listeners);
      free(t);
      free(sh);
      return err;
    }
  *tcp = &t->layer;
  return 0;
}

int net_tcp_get_config(const struct net_layer_s *tcp,
                       struct net_tcp_config_s *config)
{
  if (!tcp || tcp->handler != &net_tcp_handler || !config)
    return -EINVAL;
  const struct net_tcp_s *t = net_container_of(tcp, const struct net_tcp_s, layer);
  *config = t->shared->cfg;
  return 0;
}

int net_tcp_connect(struct net_layer_s *tcp,
                    const struct net_tcp_connect_params_s *params,
                    void *delegate,
                    const struct net_tcp_session_delegate_vtable_s *vtable,
                    struct net_layer_s **session)
{
  if (!tcp || tcp->handler != &net_tcp_handler || !params || !session
      || !params->remote.addr || !params->remote.port)
    return -EINVAL;
  struct net_tcp_s *t = net_container_of(tcp, struct net_tcp_s, layer);
  struct net_tcp_session_s *s = net_tcp_session_new(
    tcp->scheduler, t->shared,
    params->options ? params->options : &t->shared->cfg.session, delegate, vtable);
  if (!s)
    return -ENOMEM;
  s->tuple = (struct net_tcp_tuple_s){
    .local_addr = params->local.addr,
    .remote_addr = params->remote.addr,
    .local_port = params->local.port,
    .remote_port = params->remote.port,
  };
  int err = net_layer_bind(tcp, &s->tuple, &s->layer);
  if (err)
    {
      net_layer_refdec(&s->layer);
      return err;
    }
  /* The tuple is final: the initial sequence number and timestamp
     offset follow from it (RFC 6528, RFC 7323 5.4). */
  net_time_t now = net_scheduler_time(tcp->scheduler);
  s->iss = net_tcp_isn(t->shared->key, &s->tuple, now);
  s->ts_offset = net_tcp_ts_offset(t->shared->key, &s->tuple);
  s->snd_una = s->iss;
  s->snd_nxt = s->snd_max = s->iss + 1;
  s->sndq_seq = s->iss + 1;
  s->recover = s->iss;
  if (!s->opt.no_wscale)
    {
      s->flags |= NET_TCP_SF_WS_OFFERED;
      s->rcv_wscale = net_tcp_wscale_for(s->opt.rcv_buf);
    }
  if (!s->opt.no_timestamps)
    s->flags |= NET_TCP_SF_TS_OFFERED;
  if (params->app)
    {
      err = net_layer_bind(&s->layer, NULL, params->app);
      if (err)
        {
          net_layer_unbind(tcp, &s->layer);
          net_layer_refdec(&s->layer);
          return err;
        }
    }
  net_tcp_count(t->shared, NET_TCP_STAT_ACTIVE_OPENS, 1);
  struct net_task_s *task = net_scheduler_task_alloc(tcp->scheduler);
  if (!task)
    {
      net_layer_unbind(tcp, &s->layer);
      net_layer_refdec(&s->layer);
      return -ENOMEM;
    }
  net_task_notification_push(task, &s->layer, &s->layer, NET_TCP_OP_OPEN, 0, 0);
  *session = &s->layer;
  return 0;
}
