/* TCP session timers.  A session keeps one deadline per timer kind
   (retransmission or persist, delayed ACK, keepalive, TIME_WAIT or
   FIN_WAIT_2) and arms a single scheduler TIMEOUT task at the earliest.
   Pushing a deadline later (every ACK restarts the retransmission
   timer) costs nothing: the task fires early, finds nothing due and is
   re-armed; only an earlier deadline cancels and re-pushes it. */
#include <config.h>
#include "tcp_private.h"
#include <net/task.h>

net_time_t net_tcp_rto_current(const struct net_tcp_session_s *s)
{
  net_time_t rto = s->rto;
  for (unsigned i = 0; i < s->backoff && rto < s->cfg->rto_max; i++)
    rto *= 2;
  return rto < s->cfg->rto_max ? rto : s->cfg->rto_max;
}

void net_tcp_timer_update(struct net_tcp_session_s *s)
{
  net_time_t next = s->t_rtx;

  if (s->flags & NET_TCP_SF_DONE)
    return;
  if (s->t_delack < next)
    next = s->t_delack;
  if (s->t_keep < next)
    next = s->t_keep;
  if (s->t_2msl < next)
    next = s->t_2msl;
  if (next == NET_TIME_NEVER)
    return;
  if (s->timer && s->timer_at <= next)
    return;
  if (s->timer)
    {
      /* When the cancel loses the race the task is on its way to us and
         is recognised as stale (it is no longer s->timer). */
      net_scheduler_task_cancel(s->layer.scheduler, s->timer);
      s->timer = NULL;
    }
  struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
  if (!task)
    {
      g_log(NET_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
            "tcp: no task for a session timer (scheduler task limit)");
      return;
    }
  if (net_task_timeout_push(task, &s->layer, &s->layer, next, 0,
                            NET_TCP_OP_TIMER) != 0)
    return;
  s->timer = task;
  s->timer_at = next;
}

void net_tcp_timer_stop_all(struct net_tcp_session_s *s)
{
  s->t_rtx = s->t_delack = s->t_keep = s->t_2msl = NET_TIME_NEVER;
  if (s->timer)
    {
      net_scheduler_task_cancel(s->layer.scheduler, s->timer);
      s->timer = NULL;
    }
}

void net_tcp_rtx_restart(struct net_tcp_session_s *s)
{
  s->t_rtx = net_tcp_now(s) + net_tcp_rto_current(s);
  net_tcp_timer_update(s);
}

void net_tcp_rtx_stop(struct net_tcp_session_s *s)
{
  s->t_rtx = NET_TIME_NEVER;
  s->flags &= ~NET_TCP_SF_PERSIST;
}

void net_tcp_keepalive_reset(struct net_tcp_session_s *s)
{
  s->last_rcv = net_tcp_now(s);
  s->probes = 0;
  if (s->opt.keepalive
      && (s->state == NET_TCP_ESTABLISHED || s->state == NET_TCP_CLOSE_WAIT))
    s->t_keep = s->last_rcv + s->opt.keepalive_idle;
}

void net_tcp_delack_arm(struct net_tcp_session_s *s)
{
  if (s->t_delack == NET_TIME_NEVER)
    {
      s->t_delack = net_tcp_now(s) + s->cfg->delack;
      net_tcp_timer_update(s);
    }
}

void net_tcp_time_wait_start(struct net_tcp_session_s *s)
{
  net_tcp_session_set_state(s, NET_TCP_TIME_WAIT);
  s->t_rtx = NET_TIME_NEVER;
  s->t_keep = NET_TIME_NEVER;
  s->flags &= ~NET_TCP_SF_PERSIST;
  s->t_2msl = net_tcp_now(s) + 2 * s->cfg->msl;
  /* For the application the connection is over; TIME_WAIT only guards
     the 4-tuple against old duplicates. */
  net_tcp_session_event(s, NET_TCP_EV_CLOSED, 0, 0);
  net_tcp_timer_update(s);
}

static void rtx_fire(struct net_tcp_session_s *s, net_time_t now)
{
  const struct net_tcp_config_s *cfg = s->cfg;

  if (s->state == NET_TCP_SYN_SENT || s->state == NET_TCP_SYN_RECEIVED)
    {
      unsigned limit = s->state == NET_TCP_SYN_SENT ? cfg->syn_retries
                                                     : cfg->synack_retries;
      if (s->backoff >= limit)
        {
          net_tcp_session_finish(s, -ETIMEDOUT);
          return;
        }
      s->backoff++;
      s->timeouts++;
      s->retransmits++;
      net_tcp_count(s->shared, NET_TCP_STAT_TIMEOUTS, 1);
      net_tcp_count(s->shared, NET_TCP_STAT_RETRANSMITS, 1);
      net_tcp_send_segment(s, s->iss, 0, false);
      net_tcp_rtx_restart(s);
      return;
    }
  if (s->snd_una == s->snd_max)
    return;

  /* A receiver that keeps answering with a zero window is alive: our
     retransmissions are window probes then and do not count towards
     giving up. */
  bool zero_window_alive = s->snd_wnd == 0 && now - s->last_rcv < cfg->rto_max;
  if (s->backoff >= cfg->max_retries && !zero_window_alive)
    {
      net_tcp_send_rst(s);
      net_tcp_session_finish(s, -ETIMEDOUT);
      return;
    }
  net_tcp_cc_timeout(s);
  if (s->backoff < 32)
    s->backoff++;
  s->timeouts++;
  net_tcp_count(s->shared, NET_TCP_STAT_TIMEOUTS, 1);
  s->flags &= ~NET_TCP_SF_RTT_TIMING;

  /* Go back N: resend from the oldest unacknowledged byte, one segment
     now (cwnd is one segment), the rest as ACKs open the window. */
  uint32_t data_end = s->sndq_seq + (uint32_t)s->sndq.bytes;
  uint32_t len = net_tcp_seq_lt(s->snd_una, data_end) ? data_end - s->snd_una : 0;
  if (len > s->mss)
    len = s->mss;
  if (len > s->snd_max - s->snd_una)
    len = s->snd_max - s->snd_una;
  bool fin = net_tcp_fin_sent(s) && s->snd_una + len == s->fin_seq;
  net_tcp_send_segment(s, s->snd_una, s->mss, false);
  s->snd_nxt = s->snd_una + len + (fin ? 1 : 0);
  net_tcp_rtx_restart(s);
}

static void persist_fire(struct net_tcp_session_s *s, net_time_t now)
{
  uint32_t data_end = s->sndq_seq + (uint32_t)s->sndq.bytes;

  if (!net_tcp_seq_lt(s->snd_una, data_end))
    {
      s->flags &= ~NET_TCP_SF_PERSIST;
      return;
    }
  if (s->snd_wnd > 0)
    {
      /* The window is open but smaller than what SWS avoidance waits
         for: after a persist interval, send what fits anyway. */
      uint32_t room = net_tcp_seq_gt(s->snd_una + s->snd_wnd, s->snd_nxt)
                        ? s->snd_una + s->snd_wnd - s->snd_nxt : 0;
      uint32_t len = net_tcp_seq_lt(s->snd_nxt, data_end) ? data_end - s->snd_nxt : 0;
      s->flags &= ~NET_TCP_SF_PERSIST;
      if (len > room)
        len = room;
      if (len > s->mss)
        len = s->mss;
      if (len)
        {
          net_tcp_send_segment(s, s->snd_nxt, len, true);
          s->snd_nxt += len;
          if (net_tcp_seq_gt(s->snd_nxt, s->snd_max))
            s->snd_max = s->snd_nxt;
          net_tcp_rtx_restart(s);
        }
      return;
    }
  if (s->probes >= s->cfg->max_retries)
    {
      net_tcp_send_rst(s);
      net_tcp_session_finish(s, -ETIMEDOUT);
      return;
    }
  /* Zero-window probe: one byte of new data; the ACK it draws carries
     the current window. */
  net_tcp_send_segment(s, s->snd_una, 1, true);
  if (s->snd_nxt == s->snd_una)
    s->snd_nxt = s->snd_una + 1;
  if (net_tcp_seq_gt(s->snd_nxt, s->snd_max))
    s->snd_max = s->snd_nxt;
  s->probes++;
  if (s->backoff < 32)
    s->backoff++;
  s->zero_window_probes++;
  net_tcp_count(s->shared, NET_TCP_STAT_ZERO_WINDOW_PROBES, 1);
  s->t_rtx = now + net_tcp_rto_current(s);
}

static void keepalive_fire(struct net_tcp_session_s *s, net_time_t now)
{
  if (!s->opt.keepalive
      || (s->state != NET_TCP_ESTABLISHED && s->state != NET_TCP_CLOSE_WAIT))
    return;
  /* Not idle: the retransmission or persist timer watches the peer. */
  if (s->snd_max != s->snd_una
      || net_tcp_seq_lt(s->snd_nxt, s->sndq_seq + (uint32_t)s->sndq.bytes))
    {
      s->t_keep = now + s->opt.keepalive_idle;
      return;
    }
  if (s->probes >= s->opt.keepalive_count)
    {
      net_tcp_send_rst(s);
      net_tcp_session_finish(s, -ETIMEDOUT);
      return;
    }
  net_tcp_send_keepalive(s);
  s->probes++;
  net_tcp_count(s->shared, NET_TCP_STAT_KEEPALIVE_PROBES, 1);
  s->t_keep = now + s->opt.keepalive_interval;
}

void net_tcp_timer_fired(struct net_tcp_session_s *s, struct net_task_s *task)
{
  net_time_t now;

  if (task != s->timer)
    {
      net_task_destroy(task);
      return;
    }
  s->timer = NULL;
  net_task_destroy(task);
  if (s->flags & NET_TCP_SF_DONE)
    return;
  now = net_tcp_now(s);

  if (s->t_2msl <= now)
    {
      /* End of TIME_WAIT, or of a FIN_WAIT_2 without application. */
      s->t_2msl = NET_TIME_NEVER;
      net_tcp_session_finish(s, s->state == NET_TCP_TIME_WAIT ? 0 : -ETIMEDOUT);
      return;
    }
  if (s->t_rtx <= now)
    {
      s->t_rtx = NET_TIME_NEVER;
      if (s->flags & NET_TCP_SF_PERSIST)
        persist_fire(s, now);
      else
        rtx_fire(s, now);
      if (s->flags & NET_TCP_SF_DONE)
        return;
    }
  if (s->t_delack <= now)
    {
      s->t_delack = NET_TIME_NEVER;
      s->flags |= NET_TCP_SF_ACK_NOW;
      net_tcp_output(s);
    }
  if (s->t_keep <= now)
    {
      s->t_keep = NET_TIME_NEVER;
      keepalive_fire(s, now);
      if (s->flags & NET_TCP_SF_DONE)
        return;
    }
  net_tcp_timer_update(s);
}
