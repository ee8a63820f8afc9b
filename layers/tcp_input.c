/* TCP segment arrival (RFC 9293 3.10.7) for one session: the LISTEN step
   of a passive session, SYN-SENT, and the synchronized states with the
   sequence check, PAWS (RFC 7323), RST/SYN/ACK checks (RFC 5961), ACK
   processing, in-order delivery, reassembly and FIN. */
#include <config.h>
#include "tcp_private.h"
#include <net/buffer.h>
#include <net/task.h>

/* Largest window shift that still lets 65535 << shift cover @p buf. */
static uint8_t wscale_for(uint32_t buf)
{
  uint8_t ws = 0;
  while (ws < NET_TCP_MAX_WSCALE && ((uint32_t)65535 << ws) < buf)
    ws++;
  return ws;
}

uint8_t net_tcp_wscale_for(uint32_t rcv_buf)
{
  return wscale_for(rcv_buf);
}

/* RFC 5961 7: challenge ACKs are rate limited per session. */
static void challenge_ack(struct net_tcp_session_s *s)
{
  net_time_t now = net_tcp_now(s);
  if (now - s->chack_second >= NET_NSEC_PER_SEC)
    {
      s->chack_second = now;
      s->chack_count = 0;
    }
  if (s->chack_count >= s->cfg->challenge_ack_limit)
    return;
  s->chack_count++;
  s->challenge_acks++;
  net_tcp_count(s->shared, NET_TCP_STAT_CHALLENGE_ACKS, 1);
  net_tcp_send_ack(s);
}

/* Options of a SYN or SYN-ACK: MSS, window scale, timestamps. */
static void syn_options(struct net_tcp_session_s *s,
                        const struct net_tcp_seg_info_s *si, net_time_t now)
{
  s->peer_mss = (si->opts & NET_TCP_OPT_MSS) && si->mss ? si->mss
                                                        : NET_TCP_DEFAULT_MSS;
  if ((si->opts & NET_TCP_OPT_WS) && (s->flags & NET_TCP_SF_WS_OFFERED))
    {
      s->flags |= NET_TCP_SF_WS;
      s->snd_wscale = si->wscale;
    }
  else
    {
      /* RFC 7323 2.2: scaling only when both sides offered it. */
      s->flags &= ~(NET_TCP_SF_WS | NET_TCP_SF_WS_OFFERED);
      s->snd_wscale = 0;
      s->rcv_wscale = 0;
    }
  if ((si->opts & NET_TCP_OPT_TS) && (s->flags & NET_TCP_SF_TS_OFFERED))
    {
      s->flags |= NET_TCP_SF_TS;
      s->ts_recent = si->tsval;
      s->ts_recent_time = now;
    }
  else
    s->flags &= ~(NET_TCP_SF_TS | NET_TCP_SF_TS_OFFERED);
  net_tcp_update_mss(s);
}

static void reply_rst(struct net_tcp_session_s *s, struct net_task_s *task,
                      const struct net_tcp_seg_info_s *si)
{
  net_tcp_reply_rst(&s->layer, s->shared, task->packet.dst.ipv4,
                    task->packet.src.ipv4, si);
}

/* LISTEN: a passive session gets the SYN that created it, or the ACK
   that completed a SYN-cookie handshake (fields preset by the tcp layer). */
static bool listen_input(struct net_tcp_session_s *s, struct net_task_s *task,
                         const struct net_tcp_seg_info_s *si, net_time_t now)
{
  if (s->flags & NET_TCP_SF_COOKIE)
    {
      s->flags &= ~NET_TCP_SF_COOKIE;
      s->iss = si->ack - 1;
      s->irs = si->seq - 1;
      s->rcv_nxt = si->seq;
      s->snd_una = s->snd_nxt = s->snd_max = si->ack;
      s->sndq_seq = si->ack;
      s->snd_wnd = (uint32_t)si->wnd << s->snd_wscale;
      s->max_snd_wnd = s->snd_wnd;
      s->snd_wl1 = si->seq;
      s->snd_wl2 = si->ack;
      /* What the cookie SYN-ACK offered (unscaled, at most 64 KiB). */
      uint32_t offered = s->opt.rcv_buf < 65535 ? s->opt.rcv_buf : 65535;
      s->rcv_adv = s->rcv_nxt + offered;
      s->last_ack_sent = s->rcv_nxt;
      net_tcp_update_mss(s);
      net_tcp_cc_init(s);
      net_tcp_session_established(s);
      return true;
    }
  if ((si->flags & (NET_TCP_SYN | NET_TCP_ACK | NET_TCP_RST)) != NET_TCP_SYN)
    {
      net_task_destroy(task);
      return false;
    }
  s->irs = si->seq;
  s->rcv_nxt = si->seq + 1;
  s->last_ack_sent = s->rcv_nxt;
  if (!s->opt.no_wscale)
    {
      s->flags |= NET_TCP_SF_WS_OFFERED;
      s->rcv_wscale = wscale_for(s->opt.rcv_buf);
    }
  if (!s->opt.no_timestamps)
    s->flags |= NET_TCP_SF_TS_OFFERED;
  syn_options(s, si, now);
  s->iss = net_tcp_isn(s->shared->key, &s->tuple, now);
  s->snd_una = s->iss;
  s->snd_nxt = s->snd_max = s->iss + 1;
  s->sndq_seq = s->iss + 1;
  s->recover = s->iss;
  s->snd_wnd = si->wnd;   /* never scaled in a SYN */
  s->max_snd_wnd = s->snd_wnd;
  s->snd_wl1 = si->seq;
  s->snd_wl2 = s->iss;
  s->rcv_adv = s->rcv_nxt + (net_tcp_session_rcv_space(s) < 65535
                               ? net_tcp_session_rcv_space(s) : 65535);
  net_tcp_session_set_state(s, NET_TCP_SYN_RECEIVED);
  s->rtt_time = now;
  /* Data on a SYN is dropped (no TCP Fast Open): the peer resends it. */
  net_task_destroy(task);
  net_tcp_send_segment(s, s->iss, 0, false);
  net_tcp_rtx_restart(s);
  return false;
}

static void syn_sent_input(struct net_tcp_session_s *s, struct net_task_s *task,
                           const struct net_tcp_seg_info_s *si, net_time_t now)
{
  bool ack_ok = false;

  if (si->flags & NET_TCP_ACK)
    {
      if (net_tcp_seq_le(si->ack, s->iss) || net_tcp_seq_gt(si->ack, s->snd_max))
        {
          if (!(si->flags & NET_TCP_RST))
            reply_rst(s, task, si);
          net_task_destroy(task);
          return;
        }
      ack_ok = true;
    }
  if (si->flags & NET_TCP_RST)
    {
      net_task_destroy(task);
      if (ack_ok)
        {
          net_tcp_count(s->shared, NET_TCP_STAT_RESETS_RECEIVED, 1);
          net_tcp_session_finish(s, -ECONNREFUSED);
        }
      return;
    }
  if (!(si->flags & NET_TCP_SYN))
    {
      net_task_destroy(task);
      return;
    }
  /* Data on a SYN(-ACK) is not accepted: the peer sends it again. */
  net_task_destroy(task);
  s->irs = si->seq;
  s->rcv_nxt = si->seq + 1;
  s->last_ack_sent = s->rcv_nxt;
  syn_options(s, si, now);
  s->snd_wnd = si->wnd;
  s->max_snd_wnd = s->snd_wnd;
  s->snd_wl1 = si->seq;
  s->snd_wl2 = si->ack;
  s->rcv_adv = s->rcv_nxt + (net_tcp_session_rcv_space(s) < 65535
                               ? net_tcp_session_rcv_space(s) : 65535);
  if (ack_ok)
    {
      /* Karn: a retransmitted SYN gives no RTT sample. */
      if (s->backoff == 0)
        net_tcp_rtt_sample(s, now - s->rtt_time);
      s->snd_una = si->ack;
      s->backoff = 0;
      net_tcp_rtx_stop(s);
      net_tcp_cc_init(s);
      net_tcp_session_established(s);
      s->flags |= NET_TCP_SF_ACK_NOW;
      net_tcp_keepalive_reset(s);
      net_tcp_output(s);
      return;
    }
  /* Simultaneous open (RFC 9293 figure 8). */
  net_tcp_session_set_state(s, NET_TCP_SYN_RECEIVED);
  net_tcp_send_segment(s, s->iss, 0, false);
  net_tcp_rtx_restart(s);
}

/* The peer's FIN is next in sequence. */
void net_tcp_ooq_purge(struct net_tcp_session_s *s)
{
  atomic_fetch_sub_explicit(&s->shared->ooo_mem, (long)s->ooq.truesize,
                            memory_order_acq_rel);
  net_tcp_segq_purge(&s->ooq, &s->cache);
}

static void fin_input(struct net_tcp_session_s *s)
{
  s->rcv_nxt++;
  s->flags |= NET_TCP_SF_FIN_RCVD | NET_TCP_SF_ACK_NOW;
  s->flags &= ~NET_TCP_SF_OOO_FIN;
  net_tcp_ooq_purge(s);
  s->t_keep = NET_TIME_NEVER;
  /* Reported before the state moves: reaching TIME_WAIT reports CLOSED,
     which must come last. */
  net_tcp_session_event(s, NET_TCP_EV_PEER_CLOSED, 0, 0);
  switch (s->state)
    {
    case NET_TCP_SYN_RECEIVED:
    case NET_TCP_ESTABLISHED:
      net_tcp_session_set_state(s, NET_TCP_CLOSE_WAIT);
      break;
    case NET_TCP_FIN_WAIT_1:
      if (net_tcp_fin_sent(s) && s->snd_una == s->snd_max)
        net_tcp_time_wait_start(s);
      else
        net_tcp_session_set_state(s, NET_TCP_CLOSING);
      break;
    case NET_TCP_FIN_WAIT_2:
      s->t_2msl = NET_TIME_NEVER;
      net_tcp_time_wait_start(s);
      break;
    default:
      break;
    }
}

/* Deliver the reassembly queue's head while it is in sequence. */
static void ooq_drain(struct net_tcp_session_s *s)
{
  struct net_tcp_seg_s *seg;

  while ((seg = s->ooq.head) && net_tcp_seq_le(seg->seq, s->rcv_nxt))
    {
      struct net_buffer_s *buf = seg->buf;
      uint32_t skip = s->rcv_nxt - seg->seq;
      bool fresh = skip < seg->len;   /* not all of it arrived again since */

      net_tcp_segq_pop(&s->ooq);
      atomic_fetch_sub_explicit(&s->shared->ooo_mem, (long)buf->size,
                                memory_order_acq_rel);
      seg->buf = NULL;
      if (fresh)
        {
          buf->begin = seg->off + skip;
          buf->end = seg->off + seg->len;
          s->rcv_nxt += seg->len - skip;
          s->bytes_in += seg->len - skip;
        }
      net_tcp_seg_put(&s->cache, seg);
      if (!fresh)
        {
          net_buffer_refdec(buf);
          continue;
        }
      net_tcp_session_deliver(s, NULL, buf);
      if (s->flags & NET_TCP_SF_DONE)
        return;
    }
  if ((s->flags & NET_TCP_SF_OOO_FIN) && s->ooo_fin_seq == s->rcv_nxt)
    fin_input(s);
}

/* Text and FIN of an acceptable segment (steps seven and eight).
   Consumes @p task. */
static void data_input(struct net_tcp_session_s *s, struct net_task_s *task,
                       const struct net_tcp_seg_info_s *si)
{
  struct net_buffer_s *buf = task->packet.buffer;
  uint32_t seq = si->seq, len = si->len, off = buf->begin + si->hlen;
  bool fin = si->flags & NET_TCP_FIN;
  uint32_t wnd = net_tcp_seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;

  if (si->flags & NET_TCP_SYN)
    seq++;
  /* Text only counts in states that still receive. */
  if (s->state != NET_TCP_ESTABLISHED && s->state != NET_TCP_FIN_WAIT_1
      && s->state != NET_TCP_FIN_WAIT_2)
    {
      len = 0;
      if (s->flags & NET_TCP_SF_FIN_RCVD)
        {
          /* A retransmitted FIN: ACK it again; in TIME_WAIT restart the
             2 MSL wait (RFC 9293 3.10.7.4 eighth). */
          if (fin)
            {
              s->flags |= NET_TCP_SF_ACK_NOW;
              if (s->state == NET_TCP_TIME_WAIT)
                {
                  s->t_2msl = net_tcp_now(s) + 2 * s->cfg->msl;
                  net_tcp_timer_update(s);
                }
            }
          fin = false;
        }
    }
  /* Trim what we already have... */
  if (net_tcp_seq_lt(seq, s->rcv_nxt))
    {
      uint32_t d = s->rcv_nxt - seq;
      if (d > len)
        {
          d = len;
          fin = false;
        }
      s->dup_segs++;
      seq += d;
      off += d;
      len -= d;
      s->flags |= NET_TCP_SF_ACK_NOW;
    }
  /* ...and what does not fit in the window. */
  if (net_tcp_seq_gt(seq + len, s->rcv_nxt + wnd))
    {
      len = net_tcp_seq_lt(seq, s->rcv_nxt + wnd) ? s->rcv_nxt + wnd - seq : 0;
      fin = false;
      s->flags |= NET_TCP_SF_ACK_NOW;
    }
  if (len && (s->flags & NET_TCP_SF_APP_GONE))
    {
      /* Nobody will ever read this (RFC 9293 3.10.4 / RFC 2525 2.17). */
      net_task_destroy(task);
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_AFTER_CLOSE, 1);
      net_tcp_send_rst(s);
      net_tcp_session_finish(s, -ECONNABORTED);
      return;
    }
  if (!len && !fin)
    {
      net_task_destroy(task);
      return;
    }
  if (seq == s->rcv_nxt)
    {
      if (len && !net_tcp_rmem_admit(s, buf->size))
        {
          /* Over the layer's receive memory: not acknowledged (the FIN
             after it neither), the peer sends it again; the ACK of what
             we have goes out at once. */
          s->flags |= NET_TCP_SF_ACK_NOW;
          net_task_destroy(task);
          return;
        }
      bool had_ooo = s->ooq.head != NULL;
      if (len)
        {
          buf->begin = off;
          buf->end = off + len;
          s->rcv_nxt += len;
          s->bytes_in += len;
          net_tcp_session_deliver(s, task, buf);
          if (s->flags & NET_TCP_SF_DONE)
            return;
          /* ACK at least every second segment (RFC 9293 3.8.6.3, RFC
             5681 4.2), delay the first one; a super-segment (an
             offloading device merged several) counts as two. */
          s->segs_unacked += len > s->rcv_mss ? 2 : 1;
          if (s->segs_unacked >= 2)
            s->flags |= NET_TCP_SF_ACK_NOW;
          else
            net_tcp_delack_arm(s);
        }
      else
        net_task_destroy(task);
      if (fin)
        fin_input(s);
      else
        ooq_drain(s);
      /* A segment that fills a hole is ACKed at once (RFC 5681 4.2). */
      if (had_ooo)
        s->flags |= NET_TCP_SF_ACK_NOW;
      return;
    }

  /* Out of order: keep it (bounded), ACK at once so the sender sees the
     hole (duplicate ACK). */
  s->flags |= NET_TCP_SF_ACK_NOW;
  s->ooo_segs++;
  if (fin)
    {
      s->flags |= NET_TCP_SF_OOO_FIN;
      s->ooo_fin_seq = seq + len;
    }
  if (!len)
    {
      net_task_destroy(task);
      return;
    }
  /* Under receive-memory pressure reassembly queues go first. */
  if (net_tcp_rmem_state(net_tcp_rmem_total(s->shared), s->cfg->rcv_mem_pressure,
                         s->cfg->rcv_mem_max) != NET_TCP_RMEM_NORMAL)
    {
      net_tcp_rmem_prune(s);
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_OOO_PRESSURE, 1);
      net_task_destroy(task);
      return;
    }
  if (s->ooq.truesize + buf->size > s->cfg->ooo_max
      || (size_t)atomic_load_explicit(&s->shared->ooo_mem, memory_order_relaxed)
           + buf->size > s->cfg->ooo_mem_max
      || net_tcp_pool_pressure(s->layer.scheduler))
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_OOO_MEMORY, 1);
      net_task_destroy(task);
      return;
    }
  struct net_tcp_seg_s *seg = net_tcp_seg_get(&s->cache);
  if (!seg)
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_OOO_MEMORY, 1);
      net_task_destroy(task);
      return;
    }
  seg->buf = net_task_packet_steal_buffer(task);
  seg->seq = seq;
  seg->off = off;
  seg->len = len;
  net_task_destroy(task);
  size_t before = s->ooq.truesize;
  net_tcp_segq_insert(&s->ooq, &s->cache, seg);
  atomic_fetch_add_explicit(&s->shared->ooo_mem, (long)s->ooq.truesize - (long)before,
                            memory_order_acq_rel);
}

/* Step five for an acceptable ACK in a synchronized state.  Returns false
   when the session ended. */
static bool ack_input(struct net_tcp_session_s *s,
                      const struct net_tcp_seg_info_s *si, net_time_t now)
{
  uint32_t ack = si->ack;
  uint32_t wnd = (uint32_t)si->wnd << s->snd_wscale;

  if (net_tcp_seq_gt(ack, s->snd_una))
    {
      uint32_t acked = ack - s->snd_una;
      uint32_t data_end = s->sndq_seq + (uint32_t)s->sndq.bytes;
      uint32_t data_acked = 0;

      if (net_tcp_seq_gt(ack, s->sndq_seq))
        data_acked = net_tcp_seq_min(ack, data_end) - s->sndq_seq;
      size_t released = net_tcp_segq_drop_front(&s->sndq, &s->cache, data_acked,
                                                &s->snd_hint);
      s->sndq_seq += data_acked;
      s->snd_una = ack;
      if (net_tcp_seq_lt(s->snd_nxt, s->snd_una))
        s->snd_nxt = s->snd_una;

      /* RTT sample: from the echoed timestamp (RFC 7323 4.1), or the one
         timed segment (Karn's algorithm).  An echo older than our last
         retransmission is Karn's ambiguity again: the receiver answers
         an old duplicate with a stale TS.Recent (RFC 7323 5.3 R2 before
         R3), which would measure our back-off, not the path; skip it. */
      if ((s->flags & NET_TCP_SF_TS) && (si->opts & NET_TCP_OPT_TS) && si->tsecr)
        {
          uint32_t ms = net_tcp_ts_now(s) - si->tsecr;
          bool stale = (s->flags & NET_TCP_SF_RTX_TS)
                       && net_tcp_seq_lt(si->tsecr, s->rtx_tsval);
          if (!stale && ms < 60 * 1000)
            net_tcp_rtt_sample(s, (net_time_t)ms * NET_NSEC_PER_MSEC);
        }
      else if ((s->flags & NET_TCP_SF_RTT_TIMING) && net_tcp_seq_gt(ack, s->rtt_seq))
        {
          s->flags &= ~NET_TCP_SF_RTT_TIMING;
          net_tcp_rtt_sample(s, now - s->rtt_time);
        }
      s->backoff = 0;
      net_tcp_cc_ack(s, ack, acked);
      if (s->snd_una == s->snd_max)
        net_tcp_rtx_stop(s);
      else if (!(s->flags & NET_TCP_SF_PERSIST))
        net_tcp_rtx_restart(s);
      if (released)
        net_tcp_session_space_returned(s, released);
    }
  else if (ack == s->snd_una && si->len == 0
           && !(si->flags & (NET_TCP_SYN | NET_TCP_FIN))
           && wnd == s->snd_wnd && s->snd_wnd != 0 && s->snd_max != s->snd_una
           && !(s->flags & NET_TCP_SF_PERSIST))
    /* Duplicate ACK as RFC 5681 section 2 defines it. */
    net_tcp_cc_dupack(s);

  /* Window update (RFC 9293 3.10.7.4 fifth, SND.WL1/WL2 rule). */
  if (net_tcp_seq_lt(s->snd_wl1, si->seq)
      || (s->snd_wl1 == si->seq && net_tcp_seq_le(s->snd_wl2, ack)))
    {
      s->snd_wnd = wnd;
      s->snd_wl1 = si->seq;
      s->snd_wl2 = ack;
      if (wnd > s->max_snd_wnd)
        s->max_snd_wnd = wnd;
      if (wnd && (s->flags & NET_TCP_SF_PERSIST))
        {
          s->flags &= ~NET_TCP_SF_PERSIST;
          s->t_rtx = NET_TIME_NEVER;
          s->backoff = 0;
          if (s->snd_una != s->snd_max)
            net_tcp_rtx_restart(s);
        }
    }

  /* Our FIN acknowledged? */
  if (net_tcp_fin_sent(s) && s->snd_una == s->snd_max)
    {
      switch (s->state)
        {
        case NET_TCP_FIN_WAIT_1:
          net_tcp_session_set_state(s, NET_TCP_FIN_WAIT_2);
          if (s->flags & NET_TCP_SF_APP_GONE)
            {
              s->t_2msl = now + s->cfg->fin_timeout;
              net_tcp_timer_update(s);
            }
          break;
        case NET_TCP_CLOSING:
          net_tcp_time_wait_start(s);
          break;
        case NET_TCP_LAST_ACK:
          net_tcp_session_finish(s, 0);
          return false;
        default:
          break;
        }
    }
  return true;
}

/* Sequence acceptability (RFC 9293 3.10.7.4 first).  The four cases of
   the RFC, widened as Linux does: a segment ending at or after the
   RCV.NXT we last acknowledged and starting at or before the right edge
   is processed (its text is trimmed to the window afterwards).  Pure
   ACKs sent while the peer's data crossed ours, or with the right edge
   as sequence number, are then not dropped, which is what prevents ACK
   wars after a go-back-N retransmission. */
static bool seq_acceptable(const struct net_tcp_session_s *s, uint32_t seq,
                           uint32_t seglen, uint32_t wnd)
{
  return net_tcp_seq_ge(seq + seglen, s->last_ack_sent)
         && net_tcp_seq_le(seq, s->rcv_nxt + wnd);
}

/* Replies to unacceptable segments without text are rate limited (one
   per 500 ms): two stacks that disagree must not ping-pong ACKs. */
static bool oow_reply_allowed(struct net_tcp_session_s *s, uint32_t seglen,
                              net_time_t now)
{
  if (seglen)
    return true;
  if (s->oow_last && now - s->oow_last < 500 * NET_NSEC_PER_MSEC)
    return false;
  s->oow_last = now;
  return true;
}

/* RFC 6191 / RFC 9293 3.10.7.4 fourth: a SYN for a 4-tuple in TIME_WAIT
   may open a new incarnation when it is clearly newer. */
static bool time_wait_reusable(const struct net_tcp_session_s *s,
                               const struct net_tcp_seg_info_s *si)
{
  if (s->state != NET_TCP_TIME_WAIT || (si->flags & (NET_TCP_ACK | NET_TCP_RST)))
    return false;
  if ((s->flags & NET_TCP_SF_TS) && (si->opts & NET_TCP_OPT_TS))
    return net_tcp_seq_gt(si->tsval, s->ts_recent);
  return net_tcp_seq_gt(si->seq, s->rcv_nxt);
}

static void sync_input(struct net_tcp_session_s *s, struct net_task_s *task,
                       const struct net_tcp_seg_info_s *si, net_time_t now)
{
  uint32_t seglen = si->len + ((si->flags & NET_TCP_SYN) ? 1 : 0)
                    + ((si->flags & NET_TCP_FIN) ? 1 : 0);
  uint32_t wnd = net_tcp_seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;

  /* Our SYN-ACK was lost: the peer repeats its SYN. */
  if (s->state == NET_TCP_SYN_RECEIVED
      && (si->flags & (NET_TCP_SYN | NET_TCP_ACK | NET_TCP_RST)) == NET_TCP_SYN
      && si->seq == s->irs)
    {
      net_task_destroy(task);
      net_tcp_send_segment(s, s->iss, 0, false);
      return;
    }
  if ((si->flags & NET_TCP_SYN) && time_wait_reusable(s, si))
    {
      /* Give the SYN back to the tcp layer, which unbinds this session
         and handles it as a new connection. */
      net_tcp_count(s->shared, NET_TCP_STAT_TIME_WAIT_REUSED, 1);
      struct net_layer_s *parent = net_layer_parent(&s->layer);
      s->state = NET_TCP_CLOSED;
      if (parent)
        net_task_packet_forward(task, parent);
      else
        net_task_destroy(task);
      net_tcp_session_finish(s, 0);
      return;
    }

  /* PAWS (RFC 7323 5.3). */
  if ((s->flags & NET_TCP_SF_TS) && (si->opts & NET_TCP_OPT_TS)
      && !(si->flags & NET_TCP_RST) && net_tcp_seq_lt(si->tsval, s->ts_recent))
    {
      if (now - s->ts_recent_time > (net_time_t)24 * 24 * 3600 * NET_NSEC_PER_SEC)
        s->ts_recent = si->tsval;   /* idle for 24 days: TS.Recent expired */
      else
        {
          net_tcp_count(s->shared, NET_TCP_STAT_DROP_PAWS, 1);
          net_task_destroy(task);
          net_tcp_send_ack(s);
          return;
        }
    }

  if (!seq_acceptable(s, si->seq, seglen, wnd))
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_OUT_OF_WINDOW, 1);
      s->dup_segs++;
      net_task_destroy(task);
      /* A retransmitted FIN in TIME_WAIT restarts the 2 MSL wait. */
      if (s->state == NET_TCP_TIME_WAIT && (si->flags & NET_TCP_FIN))
        {
          s->t_2msl = now + 2 * s->cfg->msl;
          net_tcp_timer_update(s);
        }
      if (!(si->flags & NET_TCP_RST) && oow_reply_allowed(s, seglen, now))
        net_tcp_send_ack(s);
      return;
    }
  /* With a zero window the ACK, RST and URG fields are still processed
     (RFC 9293 3.10.7.4), the text is trimmed away: answer with an ACK. */
  if (seglen && wnd == 0)
    s->flags |= NET_TCP_SF_ACK_NOW;

  if (si->flags & NET_TCP_RST)
    {
      net_task_destroy(task);
      /* RFC 5961 3.2: only an exact match resets; in-window draws a
         challenge ACK. */
      if (si->seq != s->rcv_nxt)
        {
          challenge_ack(s);
          return;
        }
      net_tcp_count(s->shared, NET_TCP_STAT_RESETS_RECEIVED, 1);
      switch (s->state)
        {
        case NET_TCP_CLOSING:
        case NET_TCP_LAST_ACK:
        case NET_TCP_TIME_WAIT:
          net_tcp_session_finish(s, 0);
          break;
        default:
          net_tcp_session_finish(s, -ECONNRESET);
          break;
        }
      return;
    }

  /* RFC 5961 4.2: any SYN in a synchronized state draws a challenge ACK. */
  if (si->flags & NET_TCP_SYN)
    {
      net_task_destroy(task);
      challenge_ack(s);
      return;
    }
  if (!(si->flags & NET_TCP_ACK))
    {
      net_task_destroy(task);
      return;
    }

  /* RFC 7323 4.3: TS.Recent follows the segment that covers the left
     edge of the window. */
  if ((s->flags & NET_TCP_SF_TS) && (si->opts & NET_TCP_OPT_TS)
      && net_tcp_seq_ge(si->tsval, s->ts_recent)
      && net_tcp_seq_le(si->seq, s->last_ack_sent))
    {
      s->ts_recent = si->tsval;
      s->ts_recent_time = now;
    }

  if (s->state == NET_TCP_SYN_RECEIVED)
    {
      if (!(net_tcp_seq_lt(s->snd_una, si->ack) && net_tcp_seq_le(si->ack, s->snd_max)))
        {
          reply_rst(s, task, si);
          net_task_destroy(task);
          return;
        }
      /* The listener's accept queue is full: leave the handshake
         unfinished, our SYN-ACK retransmission will try again (as Linux
         does). */
      if ((s->flags & NET_TCP_SF_PASSIVE) && s->listener
          && atomic_load_explicit(&s->listener->accept_count, memory_order_relaxed)
               >= s->listener->accept_max)
        {
          net_tcp_count(s->shared, NET_TCP_STAT_DROP_ACCEPT_QUEUE, 1);
          net_task_destroy(task);
          return;
        }
      if (s->backoff == 0)
        net_tcp_rtt_sample(s, now - s->rtt_time);
      s->snd_wnd = (uint32_t)si->wnd << s->snd_wscale;
      s->max_snd_wnd = s->snd_wnd;
      s->snd_wl1 = si->seq;
      s->snd_wl2 = si->ack;
      s->snd_una = si->ack;
      s->backoff = 0;
      net_tcp_rtx_stop(s);
      net_tcp_cc_init(s);
      net_tcp_session_established(s);
      if (s->flags & NET_TCP_SF_DONE)
        {
          net_task_destroy(task);
          return;
        }
    }

  /* RFC 5961 5.2 and RFC 9293: an ACK of unsent data, or too old to be
     from this connection, is answered and dropped. */
  if (net_tcp_seq_gt(si->ack, s->snd_max)
      || net_tcp_seq_lt(si->ack, s->snd_una - s->max_snd_wnd))
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_BAD_ACK, 1);
      net_task_destroy(task);
      net_tcp_send_ack(s);
      return;
    }

  net_tcp_keepalive_reset(s);
  if (!ack_input(s, si, now))
    {
      net_task_destroy(task);
      return;
    }
  data_input(s, task, si);
  if (!(s->flags & NET_TCP_SF_DONE))
    net_tcp_output(s);
}

void net_tcp_input(struct net_tcp_session_s *s, struct net_task_s *task)
{
  struct net_tcp_seg_info_s si;
  net_time_t now = net_tcp_now(s);

  if (!task->packet.buffer || net_buffer_make_writable(&task->packet.buffer) != 0)
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_NO_BUFFER, 1);
      net_task_destroy(task);
      return;
    }
  struct net_buffer_s *buf = task->packet.buffer;
  const uint8_t *p = net_buffer_data(buf);
  size_t len = net_buffer_len(buf);
  bool fast = task->source != net_layer_parent(&s->layer);

  /* The fast path may still hand over a segment of the tuple after we
     are over (our withdrawal is on its way): drop it; its retransmission
     takes the slow path to the tcp layer. */
  if (fast && (s->flags & NET_TCP_SF_DONE))
    {
      net_task_destroy(task);
      return;
    }
  if (fast && net_tcp_session_flow_hold(s, task))
    return;
  /* Segments that did not come through the tcp layer (the fast path)
     were not verified yet. */
  if (fast
      && !(buf->offload_flags & (NET_BUFFER_CSUM_VALID | NET_BUFFER_CSUM_PARTIAL))
      && !net_tcp_checksum_ok(p, len, task->packet.src.ipv4, task->packet.dst.ipv4))
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_BAD_CHECKSUM, 1);
      net_task_destroy(task);
      return;
    }
  if (net_tcp_parse(p, len, &si) != NET_TCP_PARSE_OK)
    {
      net_tcp_count(s->shared, NET_TCP_STAT_DROP_BAD_OPTION, 1);
      net_task_destroy(task);
      return;
    }
  s->segs_in++;
  net_tcp_session_flow_check(s);

  switch (s->state)
    {
    case NET_TCP_CLOSED:
      if (!(si.flags & NET_TCP_RST))
        reply_rst(s, task, &si);
      net_task_destroy(task);
      return;
    case NET_TCP_LISTEN:
      if (!listen_input(s, task, &si, now))
        return;
      if (s->flags & NET_TCP_SF_DONE)
        {
          net_task_destroy(task);
          return;
        }
      net_tcp_keepalive_reset(s);
      if (ack_input(s, &si, now))
        {
          data_input(s, task, &si);
          if (!(s->flags & NET_TCP_SF_DONE))
            net_tcp_output(s);
        }
      else
        net_task_destroy(task);
      return;
    case NET_TCP_SYN_SENT:
      syn_sent_input(s, task, &si, now);
      return;
    default:
      sync_input(s, task, &si, now);
      return;
    }
}
