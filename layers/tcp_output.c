/* TCP session output: building segments from the send queue, what to
   send when (window, congestion window, Nagle, sender SWS avoidance,
   persist), the receive window we offer (receiver SWS avoidance, never
   shrinking), ACKs and RSTs. */
#include <config.h>
#include "tcp_private.h"
#include <net/buffer.h>
#include <net/task.h>
#include <string.h>

uint32_t net_tcp_ts_now(const struct net_tcp_session_s *s)
{
  return (uint32_t)(net_tcp_now(s) / NET_NSEC_PER_MSEC) + s->ts_offset;
}

void net_tcp_update_mss(struct net_tcp_session_s *s)
{
  uint32_t mtu_mss = s->layer.context.mtu > NET_TCP_HEADER_LEN
                       ? s->layer.context.mtu - NET_TCP_HEADER_LEN
                       : NET_TCP_DEFAULT_MSS;
  uint32_t mss = s->peer_mss < mtu_mss ? s->peer_mss : mtu_mss;

  if (s->flags & NET_TCP_SF_TS)
    mss -= 12;
  /* A peer announcing a tiny MSS would make us send a segment per few
     bytes (a known resource attack): keep a floor. */
  if (mss < 64)
    mss = 64;
  s->mss = (uint16_t)mss;
}

uint32_t net_tcp_seg_max(const struct net_tcp_session_s *s)
{
  const uint32_t tso = NET_OFFLOAD_TSO4 | NET_OFFLOAD_CSUM;
  if ((s->layer.context.offloads & tso) != tso)
    return s->mss;
  /* The whole datagram must fit the IPv4 length field. */
  uint32_t room = NET_IPV4_MAX_DATAGRAM - NET_IPV4_HEADER_LEN - NET_TCP_HEADER_MAX;
  return room / s->mss * s->mss;
}

/* Room in the receive buffer: what the application holds (manual mode)
   or what waits for an application counts against it, in bytes and in
   buffer memory (tcp_rmem.c). */
uint32_t net_tcp_session_rcv_space(const struct net_tcp_session_s *s)
{
  return net_tcp_rmem_space(s, NULL);
}

uint32_t net_tcp_rcv_window(struct net_tcp_session_s *s)
{
  bool clamped;
  net_tcp_rmem_settle(s);
  uint32_t space = net_tcp_rmem_space(s, &clamped);
  if (clamped)
    net_tcp_count(s->shared, NET_TCP_STAT_RCV_WINDOW_CLAMPED, 1);
  uint32_t max = (uint32_t)65535 << s->rcv_wscale;
  uint32_t unit = (uint32_t)1 << s->rcv_wscale;
  uint32_t cur = net_tcp_seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;
  uint32_t mss = s->rcv_mss ? s->rcv_mss : NET_TCP_DEFAULT_MSS;
  uint32_t sws = s->opt.rcv_buf / 2 < mss ? s->opt.rcv_buf / 2 : mss;

  if (space > max)
    space = max;
  /* The window field counts units of 2^wscale: round down so we never
     offer bytes we do not have... */
  space &= ~(unit - 1);
  /* ...but never move the right edge back (RFC 9293 3.8.6.2.2), which
     means rounding the current offer up. */
  cur = (cur + unit - 1) & ~(unit - 1);
  /* Receiver SWS avoidance: only move the edge by a useful amount (in
     window units: a room of exactly one MSS must still open). */
  sws &= ~(unit - 1);
  if (space < cur + sws)
    space = cur;
  if (space > max)
    space = max;
  return space;
}

/* Build and send one segment: header with options, @p len bytes of the
   send queue from @p seq, checksum; hand it to the tcp layer. */
static int xmit(struct net_tcp_session_s *s, uint32_t seq, uint32_t len,
                uint8_t flags)
{
  struct net_tcp_hdr_out_s h = {
    .sport = s->tuple.local_port,
    .dport = s->tuple.remote_port,
    .seq = seq,
    .flags = flags,
  };
  struct net_layer_s *parent = net_layer_parent(&s->layer);
  uint32_t wnd = 0;

  if (!parent)
    return -ENOTCONN;
  if (flags & NET_TCP_ACK)
    h.ack = s->rcv_nxt;
  if (flags & NET_TCP_SYN)
    {
      h.opts = NET_TCP_OPT_MSS;
      h.mss = s->rcv_mss;
      if (s->flags & NET_TCP_SF_WS_OFFERED)
        {
          h.opts |= NET_TCP_OPT_WS;
          h.wscale = s->rcv_wscale;
        }
      if (s->flags & NET_TCP_SF_TS_OFFERED)
        h.opts |= NET_TCP_OPT_TS;
      /* RFC 7323 2.2: the window of a SYN is never scaled. */
      wnd = net_tcp_session_rcv_space(s);
      if (wnd > 65535)
        wnd = 65535;
      h.wnd = (uint16_t)wnd;
    }
  else
    {
      if (s->flags & NET_TCP_SF_TS)
        h.opts = NET_TCP_OPT_TS;
      if (!(flags & NET_TCP_RST) || (flags & NET_TCP_ACK))
        {
          wnd = net_tcp_rcv_window(s);
          h.wnd = (uint16_t)(wnd >> s->rcv_wscale);
        }
    }
  if (h.opts & NET_TCP_OPT_TS)
    {
      h.tsval = net_tcp_ts_now(s);
      /* TSecr is only meaningful once we saw the peer's TSval. */
      h.tsecr = (flags & NET_TCP_ACK) ? s->ts_recent : 0;
    }

  size_t hlen = net_tcp_header_len(h.opts);
  struct net_buffer_s *buf = net_scheduler_buffer_alloc(
    s->layer.scheduler, s->layer.context.prefix_size, hlen + len);
  if (!buf)
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_NO_BUFFER, 1);
      return -ENOBUFS;
    }
  struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
  if (!task)
    {
      net_buffer_refdec(buf);
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_NO_BUFFER, 1);
      return -ENOBUFS;
    }
  uint8_t *p = net_buffer_put(buf, hlen + len);
  net_tcp_write_header(p, &h);
  if (len)
    net_tcp_segq_copy(&s->sndq, seq, p + hlen, len, &s->snd_hint);
  if (s->layer.context.offloads & NET_OFFLOAD_CSUM)
    {
      net_tcp_checksum_offload(buf);
      /* More than one MSS only leaves with TSO (net_tcp_seg_max). */
      if (len > s->mss)
        {
          buf->offload_flags |= NET_BUFFER_GSO_TCPV4;
          buf->gso_size = s->mss;
        }
    }
  else
    net_tcp_checksum_fill(p, hlen + len, s->tuple.local_addr, s->tuple.remote_addr);

  if (flags & NET_TCP_ACK)
    {
      s->last_ack_sent = s->rcv_nxt;
      s->flags &= ~(NET_TCP_SF_ACK_NOW | NET_TCP_SF_WINDOW_UPDATE);
      s->segs_unacked = 0;
      s->t_delack = NET_TIME_NEVER;
      /* The edge offered, a SYN-ACK's too (its window is computed again
         here: receive memory may have moved since rcv_adv was set). */
      if (net_tcp_seq_gt(s->rcv_nxt + wnd, s->rcv_adv))
        s->rcv_adv = s->rcv_nxt + wnd;
      /* Manual receive mode: ask the application to tell us when it frees
         room once the window we offer got small. */
      if (s->opt.manual_recv && wnd < s->opt.rcv_buf / 2)
        atomic_store_explicit(&s->want_window, true, memory_order_seq_cst);
    }
  s->segs_out++;
  s->bytes_out += len;

  struct net_addr_s src = {
    .ipv4 = s->tuple.local_addr,
    .port = s->tuple.local_port,
    .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PORT | NET_ADDR_PROTOCOL,
  };
  struct net_addr_s dst = {
    .ipv4 = s->tuple.remote_addr,
    .port = s->tuple.remote_port,
    .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PORT | NET_ADDR_PROTOCOL,
  };
  return net_task_outbound_push(task, parent, &s->layer, &src, &dst, buf);
}

int net_tcp_send_ack(struct net_tcp_session_s *s)
{
  /* Not SND.NXT: after a timeout pulled SND.NXT back, an ACK numbered
     with it is below what the peer already has and would be dropped
     (BSD's rule).  While probing a zero window SND.MAX is the probe
     byte, beyond the peer's window: use SND.UNA then. */
  uint32_t seq = (s->flags & NET_TCP_SF_PERSIST) ? s->snd_una : s->snd_max;
  return xmit(s, seq, 0, NET_TCP_ACK);
}

int net_tcp_send_rst(struct net_tcp_session_s *s)
{
  net_tcp_count(s->shared, NET_TCP_STAT_RESETS_SENT, 1);
  return xmit(s, s->snd_nxt, 0, NET_TCP_RST | NET_TCP_ACK);
}

/* A retransmission: counted, and its timestamp remembered so that ACKs
   echoing an older one give no RTT sample (see ack_input). */
static void note_retransmit(struct net_tcp_session_s *s)
{
  s->retransmits++;
  net_tcp_count(s->shared, NET_TCP_STAT_RETRANSMITS, 1);
  s->rtx_tsval = net_tcp_ts_now(s);
  s->flags |= NET_TCP_SF_RTX_TS;
}

int net_tcp_send_keepalive(struct net_tcp_session_s *s)
{
  return xmit(s, s->snd_una - 1, 0, NET_TCP_ACK);
}

int net_tcp_send_segment(struct net_tcp_session_s *s, uint32_t seq,
                         uint32_t max_len, bool probe)
{
  uint32_t data_end = s->sndq_seq + (uint32_t)s->sndq.bytes;
  uint32_t len = 0;
  uint8_t flags = NET_TCP_ACK;

  if (s->state == NET_TCP_SYN_SENT)
    return xmit(s, s->iss, 0, NET_TCP_SYN);
  if (s->state == NET_TCP_SYN_RECEIVED && seq == s->iss)
    return xmit(s, s->iss, 0, NET_TCP_SYN | NET_TCP_ACK);
  if (net_tcp_seq_lt(seq, data_end))
    {
      len = data_end - seq;
      if (len > max_len)
        len = max_len;
    }
  /* A retransmission resends what was sent, never more: bytes beyond
     SND.MAX would be acknowledged beyond what we believe we sent. */
  if (!probe && net_tcp_seq_lt(seq, s->snd_max) && len > s->snd_max - seq)
    len = s->snd_max - seq;
  if (len && seq + len == data_end)
    flags |= NET_TCP_PSH;
  /* A retransmission that reaches the end of the data carries the FIN
     again when it was sent; a probe never does. */
  if (!probe && net_tcp_fin_sent(s) && seq + len == s->fin_seq)
    flags |= NET_TCP_FIN;
  if (net_tcp_seq_lt(seq, s->snd_max))
    note_retransmit(s);
  return xmit(s, seq, len, flags);
}

/* Sender SWS avoidance and Nagle (RFC 9293 3.8.6.2.1, 3.7.4): may a
   segment of @p len bytes (less than an MSS) go now? */
static bool small_segment_ok(const struct net_tcp_session_s *s, uint32_t len,
                             bool all_queued)
{
  if (all_queued && (s->opt.nodelay || s->snd_max == s->snd_una))
    return true;
  if (all_queued && (s->flags & NET_TCP_SF_FIN_QUEUED))
    return true;
  return s->max_snd_wnd && len >= s->max_snd_wnd / 2;
}

static void persist_start(struct net_tcp_session_s *s)
{
  if (s->flags & NET_TCP_SF_PERSIST)
    return;
  s->flags |= NET_TCP_SF_PERSIST;
  s->probes = 0;
  s->t_rtx = net_tcp_now(s) + net_tcp_rto_current(s);
  net_tcp_timer_update(s);
}

void net_tcp_output(struct net_tcp_session_s *s)
{
  bool sent = false;

  switch (s->state)
    {
    case NET_TCP_ESTABLISHED:
    case NET_TCP_CLOSE_WAIT:
    case NET_TCP_FIN_WAIT_1:
    case NET_TCP_FIN_WAIT_2:
    case NET_TCP_CLOSING:
    case NET_TCP_LAST_ACK:
      break;
    case NET_TCP_TIME_WAIT:
      if (s->flags & NET_TCP_SF_ACK_NOW)
        net_tcp_send_ack(s);
      return;
    default:
      return;
    }

  bool tso = true;
  for (;;)
    {
      uint32_t data_end = s->sndq_seq + (uint32_t)s->sndq.bytes;
      uint32_t wnd = s->snd_wnd < s->cwnd ? s->snd_wnd : s->cwnd;
      uint32_t usable_end = s->snd_una + wnd;
      uint32_t seg_max = tso ? net_tcp_seg_max(s) : s->mss;

      if (net_tcp_seq_lt(s->snd_nxt, data_end))
        {
          uint32_t len = data_end - s->snd_nxt;
          uint32_t room = net_tcp_seq_gt(usable_end, s->snd_nxt)
                            ? usable_end - s->snd_nxt : 0;
          bool resend = net_tcp_seq_lt(s->snd_nxt, s->snd_max);

          if (len > seg_max)
            len = seg_max;
          if (len > room)
            len = room;
          if (len == 0)
            break;
          /* Resending what was sent before (after a timeout) is never
             held back; new small segments may be. */
          if (len < s->mss && !resend
              && !small_segment_ok(s, len, s->snd_nxt + len == data_end))
            break;
          uint8_t flags = NET_TCP_ACK;
          if (s->snd_nxt + len == data_end)
            {
              flags |= NET_TCP_PSH;
              if (s->flags & NET_TCP_SF_FIN_QUEUED)
                flags |= NET_TCP_FIN;
            }
          if (xmit(s, s->snd_nxt, len, flags) == -ENOBUFS && len > s->mss)
            {
              /* No jumbo buffer for a super-segment: one MSS at a time. */
              tso = false;
              continue;
            }
          if (resend)
            note_retransmit(s);
          else if (!(s->flags & (NET_TCP_SF_TS | NET_TCP_SF_RTT_TIMING)))
            {
              /* Karn: time one new segment per round trip when no
                 timestamps give a sample with every ACK. */
              s->flags |= NET_TCP_SF_RTT_TIMING;
              s->rtt_seq = s->snd_nxt;
              s->rtt_time = net_tcp_now(s);
            }
          s->snd_nxt += len + ((flags & NET_TCP_FIN) ? 1 : 0);
          if (net_tcp_seq_gt(s->snd_nxt, s->snd_max))
            s->snd_max = s->snd_nxt;
          sent = true;
          if (s->t_rtx == NET_TIME_NEVER)
            net_tcp_rtx_restart(s);
          continue;
        }
      /* Only the FIN is left: it needs no window. */
      if ((s->flags & NET_TCP_SF_FIN_QUEUED) && s->snd_nxt == s->fin_seq)
        {
          if (net_tcp_seq_lt(s->snd_nxt, s->snd_max))
            note_retransmit(s);
          xmit(s, s->snd_nxt, 0, NET_TCP_ACK | NET_TCP_FIN);
          s->snd_nxt++;
          if (net_tcp_seq_gt(s->snd_nxt, s->snd_max))
            s->snd_max = s->snd_nxt;
          sent = true;
          if (s->t_rtx == NET_TIME_NEVER)
            net_tcp_rtx_restart(s);
        }
      break;
    }

  if (!sent && (s->flags & (NET_TCP_SF_ACK_NOW | NET_TCP_SF_WINDOW_UPDATE)))
    net_tcp_send_ack(s);

  /* Data wait, nothing is in flight to bring an ACK, and the window (or
     SWS avoidance) holds them back: probe (RFC 9293 3.8.6.1). */
  if (s->snd_max == s->snd_una
      && net_tcp_seq_lt(s->snd_nxt, s->sndq_seq + (uint32_t)s->sndq.bytes)
      && s->t_rtx == NET_TIME_NEVER)
    persist_start(s);
  net_tcp_timer_update(s);
}
