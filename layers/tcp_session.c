/* TCP session layer: one per connection, child of the tcp layer, parent
   of the application.  This file holds its life cycle, its handler
   methods, the application-side requests (send, shutdown, abort, window)
   and the events it reports; segment processing is in tcp_input.c,
   tcp_output.c, tcp_timer.c and tcp_cc.c. */
#include <config.h>
#include "tcp_private.h"
#include <net/buffer.h>
#include <net/layer/flow.h>
#include <net/task.h>
#include <stdlib.h>
#include <string.h>

/* Marks an OUTBOUND task whose buffer net_tcp_send() already charged to
   the send buffer (an address bit no layer uses). */
#define NET_TCP_ADDR_CHARGED 0x80

/* Small application writes are copied into the tail of the send queue
   instead of queueing one buffer each. */
#define COALESCE_MAX 512

struct net_tcp_session_s *net_tcp_session_new(
  struct net_scheduler_s *sched, struct net_tcp_shared_s *shared,
  const struct net_tcp_session_options_s *opt, void *delegate,
  const struct net_tcp_session_delegate_vtable_s *vtable)
{
  struct net_tcp_session_s *s = calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  if (net_layer_init(&s->layer, &net_tcp_session_handler, sched, delegate,
                     vtable ? &vtable->base : NULL) != 0)
    {
      free(s);
      return NULL;
    }
  s->shared = net_tcp_shared_refinc(shared);
  s->cfg = &shared->cfg;
  s->opt = *opt;
  net_tcp_options_resolve(&s->opt);
  s->state = NET_TCP_CLOSED;
  s->rto = s->cfg->rto_initial;
  s->peer_mss = NET_TCP_DEFAULT_MSS;
  s->rcv_mss = NET_TCP_DEFAULT_MSS;
  s->mss = NET_TCP_DEFAULT_MSS;
  s->cwnd = NET_TCP_DEFAULT_MSS;
  s->ssthresh = UINT32_MAX / 2;
  s->t_rtx = s->t_delack = s->t_keep = s->t_2msl = NET_TIME_NEVER;
  s->timer_at = NET_TIME_NEVER;
  atomic_init(&s->snd_space, (long)s->opt.snd_buf);
  atomic_init(&s->want_writable, false);
  atomic_init(&s->snd_closed, false);
  atomic_init(&s->rcv_held, 0);
  atomic_init(&s->want_window, false);
  return s;
}

void net_tcp_session_set_state(struct net_tcp_session_s *s,
                               enum net_tcp_state_e state)
{
  s->state = state;
}

/* The application can take tasks now (bound, not gone, replay done). */
static struct net_layer_s *app_of(const struct net_tcp_session_s *s)
{
  if ((s->flags & (NET_TCP_SF_APP_BOUND | NET_TCP_SF_APP_GONE | NET_TCP_SF_REPLAY))
      != NET_TCP_SF_APP_BOUND)
    return NULL;
  return s->layer.children;
}

void net_tcp_session_event(struct net_tcp_session_s *s, uint32_t event, int err,
                           uintptr_t arg)
{
  const struct net_tcp_session_delegate_vtable_s *vt =
    (const struct net_tcp_session_delegate_vtable_s *)s->layer.delegate_vtable;
  struct net_layer_s *app;

  if (event == NET_TCP_EV_CLOSED)
    {
      if (s->flags & NET_TCP_SF_CLOSED_SENT)
        return;
      s->flags |= NET_TCP_SF_CLOSED_SENT;
      s->close_err = err;
    }
  if (vt && vt->event)
    vt->event(s->layer.delegate, &s->layer, event, err);
  app = app_of(s);
  if (app)
    {
      struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
      if (task)
        net_task_notification_push(task, app, &s->layer, event, err, arg);
    }
}

static void addr_fill(const struct net_tcp_session_s *s, struct net_addr_s *src,
                      struct net_addr_s *dst)
{
  *src = (struct net_addr_s){
    .ipv4 = s->tuple.remote_addr,
    .port = s->tuple.remote_port,
    .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PORT | NET_ADDR_PROTOCOL,
  };
  *dst = (struct net_addr_s){
    .ipv4 = s->tuple.local_addr,
    .port = s->tuple.local_port,
    .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PORT | NET_ADDR_PROTOCOL,
  };
}

/* Hand what waits in rcvq to the application, in order. */
static void rcvq_flush(struct net_tcp_session_s *s)
{
  struct net_layer_s *app = app_of(s);
  struct net_tcp_seg_s *seg;
  struct net_addr_s src, dst;

  if (!app || !s->rcvq.head)
    return;
  addr_fill(s, &src, &dst);
  while ((seg = s->rcvq.head))
    {
      struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
      if (!task)
        return;   /* retried at the next delivery */
      net_tcp_segq_pop(&s->rcvq);
      struct net_buffer_s *buf = seg->buf;
      seg->buf = NULL;
      net_tcp_seg_put(&s->cache, seg);
      net_tcp_rmem_delivered(s, buf->size, (uint32_t)net_buffer_len(buf));
      net_task_inbound_push(task, app, &s->layer, 0, &src, &dst, buf);
    }
  /* The window those bytes held is free again. */
  if (s->state == NET_TCP_ESTABLISHED || s->state == NET_TCP_FIN_WAIT_1
      || s->state == NET_TCP_FIN_WAIT_2)
    s->flags |= NET_TCP_SF_WINDOW_UPDATE;
}

void net_tcp_session_deliver(struct net_tcp_session_s *s,
                             struct net_task_s *task, struct net_buffer_s *buf)
{
  struct net_layer_s *app = app_of(s);

  if (app && !s->rcvq.head)
    {
      struct net_addr_s src, dst;
      size_t len = net_buffer_len(buf);
      bool forward = task != NULL;
      addr_fill(s, &src, &dst);
      if (!task)
        task = net_scheduler_task_alloc(s->layer.scheduler);
      if (task)
        {
          /* Automatic mode: the application owns the data now. */
          if (s->opt.manual_recv)
            {
              net_tcp_rmem_charge(s, buf->size, (uint32_t)len);
              net_tcp_rmem_delivered(s, buf->size, (uint32_t)len);
            }
          if (forward)
            {
              task->packet.src = src;
              task->packet.dst = dst;
              net_task_packet_forward(task, app);
            }
          else
            net_task_inbound_push(task, app, &s->layer, 0, &src, &dst, buf);
          return;
        }
    }
  /* No application yet (or no task right now): keep the bytes in order;
     they count against the window until delivered. */
  if (task)
    {
      if (task->packet.buffer == buf)
        net_task_packet_steal_buffer(task);
      net_task_destroy(task);
    }
  struct net_tcp_seg_s *seg = net_tcp_seg_get(&s->cache);
  if (!seg)
    {
      /* Out of memory for a 40-byte node: the bytes are acknowledged
         already, so this is a loss we can only report. */
      g_log(NET_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
            "tcp: no memory to queue received data, stream corrupted");
      net_buffer_refdec(buf);
      net_tcp_send_rst(s);
      net_tcp_session_finish(s, -ENOMEM);
      return;
    }
  seg->buf = buf;
  seg->seq = 0;
  seg->off = buf->begin;
  seg->len = (uint32_t)net_buffer_len(buf);
  net_tcp_rmem_charge(s, buf->size, seg->len);
  net_tcp_segq_append(&s->rcvq, seg);
  rcvq_flush(s);
}

/* Give back send-buffer charge (the session's and the layer's). */
static void space_refund(struct net_tcp_session_s *s, size_t n)
{
  atomic_fetch_add_explicit(&s->snd_space, (long)n, memory_order_acq_rel);
  atomic_fetch_sub_explicit(&s->shared->snd_mem, (long)n, memory_order_acq_rel);
}

void net_tcp_session_space_returned(struct net_tcp_session_s *s, size_t n)
{
  atomic_fetch_sub_explicit(&s->shared->snd_mem, (long)n, memory_order_acq_rel);
  long space = atomic_fetch_add_explicit(&s->snd_space, (long)n,
                                         memory_order_acq_rel) + (long)n;
  /* Wake a waiting writer once a useful amount is free (a quarter of the
     buffer, or all of it). */
  if ((space >= (long)s->opt.snd_buf / 4 || s->sndq.bytes == 0)
      && atomic_load_explicit(&s->want_writable, memory_order_seq_cst)
      && atomic_exchange_explicit(&s->want_writable, false, memory_order_seq_cst))
    net_tcp_session_event(s, NET_TCP_EV_WRITABLE, 0, 0);
}

/* Segments a connection receives before it asks for the fast path. */
#define FLOW_MIN_SEGS 8
/* Segments held waiting for the link's marker, at most: beyond, the
   marker is taken as lost (the order may then suffer, nothing else). */
#define FLOW_HOLD_MAX 256

struct net_tcp_parked_s
{
  struct net_tcp_parked_s *next;
  struct net_task_s *task;
};

static void flow_parked_drop(struct net_tcp_session_s *s)
{
  while (s->parked_head)
    {
      struct net_tcp_parked_s *p = s->parked_head;
      s->parked_head = p->next;
      net_task_destroy(p->task);
      free(p);
    }
  s->parked_tail = NULL;
  s->parked_count = 0;
}

/* The marker arrived (or is given up on): what was held goes in, in the
   order it came. */
static void flow_release(struct net_tcp_session_s *s)
{
  s->flags |= NET_TCP_SF_FLOW_ACTIVE;
  struct net_tcp_parked_s *p = s->parked_head;
  s->parked_head = s->parked_tail = NULL;
  s->parked_count = 0;
  while (p)
    {
      struct net_tcp_parked_s *next = p->next;
      net_tcp_input(s, p->task);
      free(p);
      p = next;
    }
}

bool net_tcp_session_flow_hold(struct net_tcp_session_s *s, struct net_task_s *task)
{
  if ((s->flags & (NET_TCP_SF_FLOW | NET_TCP_SF_FLOW_ACTIVE)) != NET_TCP_SF_FLOW)
    return false;
  struct net_tcp_parked_s *p = s->parked_count < FLOW_HOLD_MAX ? malloc(sizeof(*p)) : NULL;
  if (!p)
    {
      net_tcp_count(s->shared, NET_TCP_STAT_FLOW_MARKER_LOST, 1);
      flow_release(s);
      return false;
    }
  net_tcp_count(s->shared, NET_TCP_STAT_FLOW_HELD, 1);
  /* A held segment must not keep the link layer alive.  Its task
     references the Ethernet layer (the fast path's source) while the
     link holds our registration, a reference on us: if the marker never
     comes (the link is torn down, or the scheduler shuts down and cancels
     it), each would keep the other, and the whole stack under the link,
     forever.  The task is ours; the only later reader of its source is
     net_tcp_input(), to which no source means "came the fast way". */
  if (task->source)
    {
      net_layer_refdec(task->source);
      task->source = NULL;
    }
  p->next = NULL;
  p->task = task;
  if (s->parked_tail)
    s->parked_tail->next = p;
  else
    s->parked_head = p;
  s->parked_tail = p;
  s->parked_count++;
  return true;
}

static void flow_key(const struct net_tcp_session_s *s, struct net_flow_key_s *k)
{
  *k = (struct net_flow_key_s){
    .local_addr = s->tuple.local_addr, .remote_addr = s->tuple.remote_addr,
    .local_port = s->tuple.local_port, .remote_port = s->tuple.remote_port,
    .protocol = NET_IPPROTO_TCP,
  };
}

void net_tcp_session_flow_check(struct net_tcp_session_s *s)
{
  if ((s->flags & (NET_TCP_SF_FLOW | NET_TCP_SF_DONE)) || s->state != NET_TCP_ESTABLISHED
      || s->segs_in < FLOW_MIN_SEGS)
    return;
  struct net_flow_key_s k;
  flow_key(s, &k);
  if (net_flow_register(&s->layer, &k) == 0)
    {
      s->flags |= NET_TCP_SF_FLOW;
      net_tcp_count(s->shared, NET_TCP_STAT_FLOW_REGISTERED, 1);
    }
}

void net_tcp_session_established(struct net_tcp_session_s *s)
{
  s->flags |= NET_TCP_SF_ESTABLISHED;
  net_tcp_session_set_state(s, (s->flags & NET_TCP_SF_FIN_QUEUED)
                                 ? NET_TCP_FIN_WAIT_1 : NET_TCP_ESTABLISHED);
  net_tcp_count(s->shared, NET_TCP_STAT_ESTABLISHED, 1);
  net_tcp_keepalive_reset(s);
  if (!(s->flags & NET_TCP_SF_PASSIVE))
    {
      net_tcp_session_event(s, NET_TCP_EV_CONNECTED, 0, 0);
      return;
    }
  if (s->flags & NET_TCP_SF_SYNQ)
    {
      s->flags &= ~NET_TCP_SF_SYNQ;
      net_tcp_listener_syn_done(s->listener);
    }
  if (s->flags & NET_TCP_SF_APP_BOUND)
    return;
  if (!s->listener || net_tcp_listener_offer(s->listener, s) != 0)
    {
      net_tcp_send_rst(s);
      net_tcp_session_finish(s, -ECONNABORTED);
    }
}

/* Ask the tcp layer to unbind us (NET_TCP_OP_DONE). */
static void tell_done(struct net_tcp_session_s *s)
{
  struct net_layer_s *parent = net_layer_parent(&s->layer);
  if (!parent)
    return;
  struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
  if (task)
    net_task_notification_push(task, parent, &s->layer, NET_TCP_OP_DONE, 0, 0);
}

/* The last event an application gets.  Unbinding the session makes
   every task it sent and that was not delivered yet die (the core's
   dangling rule), so the tcp layer may only unbind it once the
   application has seen this one: its destruction (after delivery, or a
   cancel) sends NET_TCP_OP_FINAL to the session, which then tells the
   tcp layer. */
struct final_task_s
{
  struct net_task_s task;
  struct net_layer_s *session;
};

static void final_task_destroy(struct net_task_s *task)
{
  struct final_task_s *f = net_container_of(task, struct final_task_s, task);
  struct net_task_s *n = net_scheduler_task_alloc(f->session->scheduler);
  if (n)
    net_task_notification_push(n, f->session, f->session, NET_TCP_OP_FINAL, 0, 0);
  net_layer_refdec(f->session);
  free(f);
}

/* Report CLOSED to the delegate and the application; false when the
   tcp layer must be told directly. */
static bool closed_event(struct net_tcp_session_s *s, int err)
{
  const struct net_tcp_session_delegate_vtable_s *vt =
    (const struct net_tcp_session_delegate_vtable_s *)s->layer.delegate_vtable;

  if (s->flags & NET_TCP_SF_CLOSED_SENT)
    return false;
  s->flags |= NET_TCP_SF_CLOSED_SENT;
  s->close_err = err;
  if (vt && vt->event)
    vt->event(s->layer.delegate, &s->layer, NET_TCP_EV_CLOSED, err);
  struct net_layer_s *app = app_of(s);
  if (!app)
    return false;
  struct final_task_s *f = malloc(sizeof(*f));
  if (!f)
    {
      struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
      if (task)
        net_task_notification_push(task, app, &s->layer, NET_TCP_EV_CLOSED, err, 0);
      return false;
    }
  net_task_init(&f->task, final_task_destroy);
  f->session = net_layer_refinc(&s->layer);
  /* Even a failed push destroys the task, which sends OP_FINAL. */
  net_task_notification_push(&f->task, app, &s->layer, NET_TCP_EV_CLOSED, err, 0);
  return true;
}

void net_tcp_session_finish(struct net_tcp_session_s *s, int err)
{
  if (s->flags & NET_TCP_SF_DONE)
    return;
  s->flags |= NET_TCP_SF_DONE;
  net_tcp_session_set_state(s, NET_TCP_CLOSED);
  if (s->flags & NET_TCP_SF_FLOW)
    {
      /* Before the tcp layer hears we are done (same way down, so in
         order): a new connection on the tuple must not reach us. */
      struct net_flow_key_s k;
      flow_key(s, &k);
      net_flow_unregister(&s->layer, &k);
      s->flags &= ~(NET_TCP_SF_FLOW | NET_TCP_SF_FLOW_ACTIVE);
      flow_parked_drop(s);
    }
  atomic_store_explicit(&s->snd_closed, true, memory_order_release);
  net_tcp_timer_stop_all(s);
  atomic_fetch_sub_explicit(&s->shared->snd_mem, (long)s->sndq.truesize,
                            memory_order_acq_rel);
  net_tcp_segq_purge(&s->sndq, &s->cache);
  net_tcp_ooq_purge(s);
  s->snd_hint = NULL;
  if (err)
    net_tcp_rcvq_purge(s);
  if (s->flags & NET_TCP_SF_SYNQ)
    {
      s->flags &= ~NET_TCP_SF_SYNQ;
      net_tcp_listener_syn_done(s->listener);
    }
  net_tcp_count(s->shared, NET_TCP_STAT_CLOSED, 1);
  if (!closed_event(s, err))
    tell_done(s);
}

/* ------------------------------------------------------------------ */
/* Requests from the application                                       */

static void app_send(struct net_tcp_session_s *s, struct net_task_s *task)
{
  bool charged = task->packet.src.valid & NET_TCP_ADDR_CHARGED;
  struct net_buffer_s *buf = net_task_packet_steal_buffer(task);
  size_t len, size;

  net_task_destroy(task);
  if (!buf)
    return;
  len = net_buffer_len(buf);
  size = buf->size;
  bool open = s->state == NET_TCP_SYN_SENT || s->state == NET_TCP_SYN_RECEIVED
              || s->state == NET_TCP_ESTABLISHED || s->state == NET_TCP_CLOSE_WAIT
              || (s->state == NET_TCP_CLOSED && !(s->flags & NET_TCP_SF_DONE));
  if (!open || (s->flags & NET_TCP_SF_FIN_QUEUED) || len == 0)
    {
      if (charged)
        space_refund(s, size);
      net_buffer_refdec(buf);
      if (len)
        {
          net_tcp_count(s->shared, NET_TCP_STAT_DROP_SEND_OVERFLOW, 1);
          net_tcp_session_event(s, NET_TCP_EV_SEND_DROPPED, -EPIPE, len);
        }
      return;
    }
  if (!charged)
    {
      /* A raw OUTBOUND task: charge it now, refuse it when full. */
      long space = atomic_load_explicit(&s->snd_space, memory_order_acquire);
      long mem = atomic_load_explicit(&s->shared->snd_mem, memory_order_acquire);
      bool empty = space == (long)s->opt.snd_buf;
      if (!empty && (space < (long)size
                     || mem + (long)size > (long)s->cfg->snd_mem_max
                     || net_tcp_pool_pressure(s->layer.scheduler)))
        {
          net_buffer_refdec(buf);
          net_tcp_count(s->shared, NET_TCP_STAT_DROP_SEND_OVERFLOW, 1);
          net_tcp_session_event(s, NET_TCP_EV_SEND_DROPPED, -ENOBUFS, len);
          return;
        }
      atomic_fetch_sub_explicit(&s->snd_space, (long)size, memory_order_acq_rel);
      atomic_fetch_add_explicit(&s->shared->snd_mem, (long)size, memory_order_acq_rel);
    }

  struct net_tcp_seg_s *tail = s->sndq.tail;
  if (tail && len <= COALESCE_MAX && !net_buffer_is_shared(tail->buf)
      && tail->off + tail->len + len <= tail->buf->size)
    {
      /* Copy a small write behind the previous one: one buffer for many
         small writes, its capacity already charged. */
      memcpy(tail->buf->data + tail->off + tail->len, net_buffer_data(buf), len);
      tail->len += (uint32_t)len;
      s->sndq.bytes += len;
      net_buffer_refdec(buf);
      net_tcp_session_space_returned(s, size);
    }
  else
    {
      struct net_tcp_seg_s *seg = net_tcp_seg_get(&s->cache);
      if (!seg)
        {
          space_refund(s, size);
          net_buffer_refdec(buf);
          net_tcp_count(s->shared, NET_TCP_STAT_DROP_SEND_OVERFLOW, 1);
          net_tcp_session_event(s, NET_TCP_EV_SEND_DROPPED, -ENOMEM, len);
          return;
        }
      seg->buf = buf;
      seg->seq = s->sndq_seq + (uint32_t)s->sndq.bytes;
      seg->off = buf->begin;
      seg->len = (uint32_t)len;
      net_tcp_segq_append(&s->sndq, seg);
    }
  net_tcp_output(s);
}

static void do_shutdown(struct net_tcp_session_s *s)
{
  atomic_store_explicit(&s->snd_closed, true, memory_order_release);
  if (s->flags & (NET_TCP_SF_FIN_QUEUED | NET_TCP_SF_DONE))
    return;
  switch (s->state)
    {
    case NET_TCP_CLOSED:
    case NET_TCP_SYN_SENT:
    case NET_TCP_SYN_RECEIVED:
      /* The FIN follows the queued data once the handshake is done. */
      break;
    case NET_TCP_ESTABLISHED:
      net_tcp_session_set_state(s, NET_TCP_FIN_WAIT_1);
      break;
    case NET_TCP_CLOSE_WAIT:
      net_tcp_session_set_state(s, NET_TCP_LAST_ACK);
      break;
    default:
      return;
    }
  s->flags |= NET_TCP_SF_FIN_QUEUED;
  s->fin_seq = s->sndq_seq + (uint32_t)s->sndq.bytes;
  net_tcp_output(s);
}

static void do_abort(struct net_tcp_session_s *s)
{
  if (s->flags & NET_TCP_SF_DONE)
    return;
  switch (s->state)
    {
    case NET_TCP_SYN_RECEIVED:
    case NET_TCP_ESTABLISHED:
    case NET_TCP_FIN_WAIT_1:
    case NET_TCP_FIN_WAIT_2:
    case NET_TCP_CLOSE_WAIT:
      net_tcp_send_rst(s);
      break;
    default:
      break;
    }
  net_tcp_session_finish(s, -ECONNABORTED);
}

/* The application freed receive room (manual mode): offer it when it
   makes a difference, else ask to be told again. */
static void window_check(struct net_tcp_session_s *s)
{
  if (s->state != NET_TCP_ESTABLISHED && s->state != NET_TCP_FIN_WAIT_1
      && s->state != NET_TCP_FIN_WAIT_2)
    return;
  for (unsigned i = 0; i < 4; i++)
    {
      uint32_t wnd = net_tcp_rcv_window(s);
      if (net_tcp_seq_gt(s->rcv_nxt + wnd, s->rcv_adv))
        {
          s->flags |= NET_TCP_SF_WINDOW_UPDATE;
          net_tcp_output(s);
          return;
        }
      atomic_store_explicit(&s->want_window, true, memory_order_seq_cst);
      if (net_tcp_rcv_window(s) == wnd)
        return;
    }
}

/* State reported to an application that binds: what happened before. */
static void replay(struct net_tcp_session_s *s)
{
  struct net_layer_s *app;

  s->flags &= ~NET_TCP_SF_REPLAY;
  app = app_of(s);
  if (!app)
    return;
  if ((s->flags & NET_TCP_SF_PASSIVE) && (s->flags & NET_TCP_SF_ESTABLISHED))
    {
      struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
      if (task)
        net_task_notification_push(task, app, &s->layer, NET_TCP_EV_CONNECTED, 0, 0);
    }
  rcvq_flush(s);
  if (s->flags & NET_TCP_SF_FIN_RCVD)
    {
      struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
      if (task)
        net_task_notification_push(task, app, &s->layer, NET_TCP_EV_PEER_CLOSED, 0, 0);
    }
  if (s->flags & NET_TCP_SF_CLOSED_SENT)
    {
      struct net_task_s *task = net_scheduler_task_alloc(s->layer.scheduler);
      if (task)
        net_task_notification_push(task, app, &s->layer, NET_TCP_EV_CLOSED,
                                    s->close_err, 0);
    }
  net_tcp_output(s);
}

static void active_open(struct net_tcp_session_s *s)
{
  if (s->state != NET_TCP_CLOSED || (s->flags & NET_TCP_SF_DONE))
    return;
  s->rtt_time = net_tcp_now(s);
  net_tcp_session_set_state(s, NET_TCP_SYN_SENT);
  net_tcp_send_segment(s, s->iss, 0, false);
  net_tcp_rtx_restart(s);
}

static void control(struct net_tcp_session_s *s, struct net_task_s *task)
{
  uint32_t op = task->notification.opcode;
  uintptr_t arg = task->notification.arg;

  net_task_destroy(task);
  switch (op)
    {
    case NET_TCP_OP_OPEN:
      active_open(s);
      break;
    case NET_TCP_OP_SHUTDOWN:
      do_shutdown(s);
      break;
    case NET_TCP_OP_ABORT:
      do_abort(s);
      break;
    case NET_TCP_OP_NODELAY:
      s->opt.nodelay = arg != 0;
      net_tcp_output(s);
      break;
    case NET_TCP_OP_WINDOW:
      window_check(s);
      break;
    case NET_TCP_OP_REPLAY:
      replay(s);
      break;
    case NET_TCP_OP_FINAL:
      if (s->flags & NET_TCP_SF_DONE)
        tell_done(s);
      break;
    default:
      break;
    }
}

/* ------------------------------------------------------------------ */
/* Handler methods                                                     */

static void session_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct net_tcp_session_s *s = net_tcp_session(layer);

  switch (task->type)
    {
    case NET_TASK_INBOUND:
      net_tcp_input(s, task);
      return;
    case NET_TASK_OUTBOUND:
      app_send(s, task);
      return;
    case NET_TASK_TIMEOUT:
      net_tcp_timer_fired(s, task);
      return;
    case NET_TASK_NOTIFICATION:
      if (net_flow_task(task))
        {
          /* The link's marker: every segment that came the slow way
             before the fast one is in. */
          bool ours = task->notification.opcode == NET_FLOW_OP_ACTIVE
                      && net_flow_task(task)->layer == layer;
          net_task_destroy(task);
          if (ours && (s->flags & NET_TCP_SF_FLOW) && !(s->flags & NET_TCP_SF_DONE))
            flow_release(s);
          return;
        }
      control(s, task);
      return;
    default:
      net_task_destroy(task);
      return;
    }
}

static int session_bound(struct net_layer_s *layer, const void *addr,
                         struct net_layer_s *child)
{
  struct net_tcp_session_s *s = net_tcp_session(layer);

  if ((s->flags & NET_TCP_SF_APP_BOUND) && !(s->flags & NET_TCP_SF_APP_GONE))
    return -EBUSY;
  s->flags |= NET_TCP_SF_APP_BOUND | NET_TCP_SF_REPLAY;
  s->flags &= ~NET_TCP_SF_APP_GONE;
  if (s->flags & NET_TCP_SF_ACCEPTQ)
    {
      s->flags &= ~NET_TCP_SF_ACCEPTQ;
      net_tcp_listener_accept_done(s->listener);
    }
  /* Report the past once the bind is complete (the application may not
     know its parent yet while we run). */
  struct net_task_s *task = net_scheduler_task_alloc(layer->scheduler);
  if (!task)
    {
      s->flags &= ~NET_TCP_SF_REPLAY;
      return 0;
    }
  net_task_notification_push(task, layer, layer, NET_TCP_OP_REPLAY, 0, 0);
  return 0;
}

static void session_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct net_tcp_session_s *s = net_tcp_session(layer);

  s->flags |= NET_TCP_SF_APP_GONE;
  if (s->flags & NET_TCP_SF_DONE)
    return;
  /* Closing with data nobody read resets (RFC 9293 3.10.4, RFC 2525). */
  if (s->rcvq.bytes
      || (s->opt.manual_recv && atomic_load_explicit(&s->rcv_held, memory_order_acquire) > 0))
    {
      do_abort(s);
      return;
    }
  do_shutdown(s);
  if (s->state == NET_TCP_FIN_WAIT_2)
    {
      s->t_2msl = net_tcp_now(s) + s->cfg->fin_timeout;
      net_tcp_timer_update(s);
    }
}

static void session_dangling(struct net_layer_s *layer)
{
  struct net_tcp_session_s *s = net_tcp_session(layer);

  /* The core cancelled our timer with everything else queued to us. */
  s->timer = NULL;
  net_tcp_session_finish(s, -ECONNABORTED);
}

static void session_destroyed(struct net_layer_s *layer)
{
  struct net_tcp_session_s *s = net_tcp_session(layer);

  flow_parked_drop(s);
  atomic_fetch_sub_explicit(&s->shared->snd_mem, (long)s->sndq.truesize,
                            memory_order_acq_rel);
  net_tcp_segq_purge(&s->sndq, &s->cache);
  net_tcp_ooq_purge(s);
  net_tcp_rcvq_purge(s);
  net_tcp_rmem_release(s);
  net_tcp_seg_cache_clear(&s->cache);
  if (s->listener)
    {
      if (s->flags & NET_TCP_SF_SYNQ)
        net_tcp_listener_syn_done(s->listener);
      if (s->flags & NET_TCP_SF_ACCEPTQ)
        net_tcp_listener_accept_done(s->listener);
      net_layer_refdec(&s->listener->layer);
    }
  net_tcp_shared_refdec(s->shared);
  free(s);
}

static void session_child_context_adjust(const struct net_layer_s *layer,
                                         const struct net_layer_s *child,
                                         struct net_layer_context_s *cctx)
{
  const struct net_tcp_session_s *s =
    net_container_of(layer, const struct net_tcp_session_s, layer);

  cctx->prefix_size += NET_TCP_HEADER_MAX;
  cctx->mtu = s->mss;
  cctx->addr.port = s->tuple.local_port;
  cctx->addr.protocol = NET_IPPROTO_TCP;
  cctx->addr.valid |= NET_ADDR_PORT | NET_ADDR_PROTOCOL;
}

static void session_context_changed(struct net_layer_s *layer)
{
  struct net_tcp_session_s *s = net_tcp_session(layer);
  uint32_t mtu = layer->context.mtu;
  uint32_t mss = mtu > NET_TCP_HEADER_LEN + 64 ? mtu - NET_TCP_HEADER_LEN
                                               : NET_TCP_DEFAULT_MSS;

  /* The MSS we announce is fixed once our SYN is out. */
  if (s->state != NET_TCP_CLOSED && s->state != NET_TCP_LISTEN)
    return;
  if (s->opt.mss && s->opt.mss < mss)
    mss = s->opt.mss;
  if (mss > 65535)
    mss = 65535;
  s->rcv_mss = (uint16_t)mss;
  s->mss = (uint16_t)mss;
}

static const char *const session_stat_names[] = {
  "segs_in", "segs_out", "bytes_in", "bytes_out", "retransmits",
  "timeouts", "fast_retransmits", "zero_window_probes", "ooo_segs",
  "dup_segs", "challenge_acks",
};

static size_t session_stats(const struct net_layer_s *layer,
                            struct net_stat_s *out, size_t max)
{
  const struct net_tcp_session_s *s =
    net_container_of(layer, const struct net_tcp_session_s, layer);
  const uint64_t v[] = {
    s->segs_in, s->segs_out, s->bytes_in, s->bytes_out, s->retransmits,
    s->timeouts, s->fast_retransmits, s->zero_window_probes, s->ooo_segs,
    s->dup_segs, s->challenge_acks,
  };
  size_t n = sizeof(v) / sizeof(v[0]);

  for (size_t i = 0; i < n && i < max; i++)
    {
      out[i].name = session_stat_names[i];
      out[i].value = v[i];
    }
  return n;
}

const struct net_layer_handler_s net_tcp_session_handler = {
  .type_name = "tcp-session",
  .destroyed = session_destroyed,
  .task_handle = session_task_handle,
  .bound = session_bound,
  .unbound = session_unbound,
  .dangling = session_dangling,
  .child_context_adjust = session_child_context_adjust,
  .context_changed = session_context_changed,
  .stats = session_stats,
};

/* ------------------------------------------------------------------ */
/* Public session functions                                            */

bool net_tcp_is_session(const struct net_layer_s *layer)
{
  return layer && layer->handler == &net_tcp_session_handler;
}

const char *net_tcp_state_name(enum net_tcp_state_e state)
{
  static const char *const names[] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
    "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
    "TIME_WAIT",
  };
  if ((unsigned)state >= sizeof(names) / sizeof(names[0]))
    return "?";
  return names[state];
}

/* Under net_layer_exclusive(): the session's handlers are held off. */
static void session_info_copy(struct net_layer_s *layer, void *arg)
{
  const struct net_tcp_session_s *s =
    net_container_of(layer, const struct net_tcp_session_s, layer);
  struct net_tcp_info_s *info = arg;
  *info = (struct net_tcp_info_s){
    .state = s->state,
    .tuple = s->tuple,
    .snd_una = s->snd_una,
    .snd_nxt = s->snd_nxt,
    .snd_wnd = s->snd_wnd,
    .cwnd = s->cwnd,
    .ssthresh = s->ssthresh,
    .rcv_nxt = s->rcv_nxt,
    .rcv_wnd = net_tcp_seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0,
    .snd_mss = s->mss,
    .snd_wscale = s->snd_wscale,
    .rcv_wscale = s->rcv_wscale,
    .timestamps = (s->flags & NET_TCP_SF_TS) != 0,
    .srtt = s->srtt,
    .rttvar = s->rttvar,
    .rto = s->rto,
    .backoff = s->backoff,
    .segs_in = s->segs_in,
    .segs_out = s->segs_out,
    .bytes_in = s->bytes_in,
    .bytes_out = s->bytes_out,
    .retransmits = s->retransmits,
    .timeouts = s->timeouts,
    .fast_retransmits = s->fast_retransmits,
    .zero_window_probes = s->zero_window_probes,
    .ooo_segs = s->ooo_segs,
    .dup_segs = s->dup_segs,
    .challenge_acks = s->challenge_acks,
  };
}

int net_tcp_session_info(const struct net_layer_s *layer,
                         struct net_tcp_info_s *info)
{
  if (!net_tcp_is_session(layer) || !info)
    return -EINVAL;
  /* The fields belong to the session's handlers, which may be running on
     another worker: copy them while they cannot. */
  net_layer_exclusive((struct net_layer_s *)layer, session_info_copy, info);
  return 0;
}

static int push_control(struct net_layer_s *app, struct net_layer_s *session,
                        uint32_t op, uintptr_t arg)
{
  if (!net_tcp_is_session(session))
    return -EINVAL;
  struct net_task_s *task = net_scheduler_task_alloc(session->scheduler);
  if (!task)
    return -ENOMEM;
  return net_task_notification_push(task, session, app ? app : session, op, 0, arg);
}

int net_tcp_send(struct net_layer_s *app, struct net_layer_s *session,
                 struct net_buffer_s *buf)
{
  if (!net_tcp_is_session(session) || !buf)
    return -EINVAL;
  struct net_tcp_session_s *s = net_tcp_session(session);
  long size = (long)buf->size;
  long full = (long)s->opt.snd_buf;

  if (atomic_load_explicit(&s->snd_closed, memory_order_acquire))
    return -EPIPE;
  long space = atomic_load_explicit(&s->snd_space, memory_order_acquire);
  for (;;)
    {
      if (space < size && space != full)
        {
          /* Ask for WRITABLE, then look again: room may have come back
             between our load and the flag (no lost wake-up). */
          atomic_store_explicit(&s->want_writable, true, memory_order_seq_cst);
          space = atomic_load_explicit(&s->snd_space, memory_order_seq_cst);
          if (space < size && space != full)
            return -EAGAIN;
          continue;
        }
      if (!atomic_compare_exchange_weak_explicit(&s->snd_space, &space, space - size,
                                                 memory_order_acq_rel,
                                                 memory_order_acquire))
        continue;
      /* The layer-wide bound: a session with data queued waits while
         the send queues of all sessions together hold too much, or the
         pool segments are sent from is running low (other layers and
         other tcp layers use it too); an empty one always gets one
         buffer in, so everyone progresses. */
      long mem = atomic_fetch_add_explicit(&s->shared->snd_mem, size,
                                           memory_order_acq_rel) + size;
      if (space == full
          || (mem <= (long)s->cfg->snd_mem_max
              && (mem <= (long)s->cfg->snd_mem_max / 8
                  || !net_tcp_pool_pressure(session->scheduler))))
        break;
      space_refund(s, (size_t)size);
      net_tcp_count(s->shared, NET_TCP_STAT_SEND_MEM_PRESSURE, 1);
      atomic_store_explicit(&s->want_writable, true, memory_order_seq_cst);
      space = atomic_load_explicit(&s->snd_space, memory_order_seq_cst);
      if (space != full)
        return -EAGAIN;
    }
  struct net_task_s *task = net_scheduler_task_alloc(session->scheduler);
  if (!task)
    {
      space_refund(s, (size_t)size);
      return -ENOMEM;
    }
  struct net_addr_s mark = { .valid = NET_TCP_ADDR_CHARGED };
  /* A failed push releases the task's buffer (-ESHUTDOWN while the
     scheduler is destroyed): a reference of our own keeps the caller's,
     so that every error leaves the buffer with the caller. */
  net_buffer_refinc(buf);
  int err = net_task_outbound_push(task, session, app ? app : session, &mark, NULL, buf);
  if (err)
    space_refund(s, (size_t)size);
  else
    net_buffer_refdec(buf);
  return err;
}

size_t net_tcp_send_space(const struct net_layer_s *session)
{
  if (!net_tcp_is_session(session))
    return 0;
  const struct net_tcp_session_s *s =
    net_container_of(session, const struct net_tcp_session_s, layer);
  long space = atomic_load_explicit(&s->snd_space, memory_order_acquire);
  return space > 0 ? (size_t)space : 0;
}

void net_tcp_recv_done(struct net_layer_s *app, struct net_layer_s *session,
                       size_t bytes)
{
  if (!net_tcp_is_session(session))
    return;
  struct net_tcp_session_s *s = net_tcp_session(session);
  if (!s->opt.manual_recv || !bytes)
    return;
  atomic_fetch_sub_explicit(&s->rcv_held, (long)bytes, memory_order_seq_cst);
  if (atomic_load_explicit(&s->want_window, memory_order_seq_cst)
      && atomic_exchange_explicit(&s->want_window, false, memory_order_seq_cst))
    push_control(app, session, NET_TCP_OP_WINDOW, 0);
}

int net_tcp_shutdown(struct net_layer_s *app, struct net_layer_s *session)
{
  if (!net_tcp_is_session(session))
    return -EINVAL;
  atomic_store_explicit(&net_tcp_session(session)->snd_closed, true,
                        memory_order_release);
  return push_control(app, session, NET_TCP_OP_SHUTDOWN, 0);
}

int net_tcp_abort(struct net_layer_s *app, struct net_layer_s *session)
{
  return push_control(app, session, NET_TCP_OP_ABORT, 0);
}

int net_tcp_set_nodelay(struct net_layer_s *app, struct net_layer_s *session,
                        bool nodelay)
{
  return push_control(app, session, NET_TCP_OP_NODELAY, nodelay);
}
