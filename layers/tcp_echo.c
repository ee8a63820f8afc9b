/* TCP echo application layer: sends back what its session delivers,
   waiting for send-buffer room (NET_TCP_EV_WRITABLE) without reading
   more, and closes after the peer did once everything went back. */
#include <config.h>
#include <net/layer/tcp_echo.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <net/task.h>
#include <glib.h>
#include <stdlib.h>

struct echo_s
{
  struct net_layer_s layer;
  struct net_tcp_echo_stats_s *stats;
  GQueue pending;      /* received buffers waiting for send room */
  bool peer_closed;
  bool shut;
  bool counted;
};

static void pending_drop(struct echo_s *e)
{
  struct net_buffer_s *buf;
  while ((buf = g_queue_pop_head(&e->pending)))
    net_buffer_refdec(buf);
}

/* Send what waits, in order; stop at the first -EAGAIN (WRITABLE will
   come).  Bytes leave the receive window only once they are queued for
   sending, which is what makes a slow reader slow the writer down. */
static void echo_flush(struct echo_s *e)
{
  struct net_layer_s *session = net_layer_parent(&e->layer);
  struct net_buffer_s *buf;

  if (!session)
    {
      pending_drop(e);
      return;
    }
  while ((buf = g_queue_peek_head(&e->pending)))
    {
      size_t len = net_buffer_len(buf);
      int err = net_tcp_send(&e->layer, session, buf);
      if (err == -EAGAIN)
        return;
      g_queue_pop_head(&e->pending);
      if (err)
        net_buffer_refdec(buf);
      else if (e->stats)
        atomic_fetch_add_explicit(&e->stats->bytes, len, memory_order_relaxed);
      net_tcp_recv_done(&e->layer, session, len);
    }
  if (e->peer_closed && !e->shut)
    {
      e->shut = true;
      net_tcp_shutdown(&e->layer, session);
    }
}

static void echo_event(struct echo_s *e, uint32_t event)
{
  switch (event)
    {
    case NET_TCP_EV_CONNECTED:
      if (e->stats && !e->counted)
        {
          e->counted = true;
          atomic_fetch_add_explicit(&e->stats->connections, 1, memory_order_relaxed);
          atomic_fetch_add_explicit(&e->stats->active, 1, memory_order_relaxed);
        }
      break;
    case NET_TCP_EV_PEER_CLOSED:
      e->peer_closed = true;
      echo_flush(e);
      break;
    case NET_TCP_EV_WRITABLE:
      echo_flush(e);
      break;
    case NET_TCP_EV_CLOSED:
      pending_drop(e);
      break;
    default:
      break;
    }
}

static void echo_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct echo_s *e = net_container_of(layer, struct echo_s, layer);

  if (task->type == NET_TASK_INBOUND)
    {
      struct net_buffer_s *buf = net_task_packet_steal_buffer(task);
      net_task_destroy(task);
      if (!buf)
        return;
      if (!net_buffer_len(buf))
        {
          net_buffer_refdec(buf);
          return;
        }
      /* Straight back when nothing waits (no list node per segment). */
      struct net_layer_s *session = net_layer_parent(layer);
      size_t len = net_buffer_len(buf);
      if (g_queue_is_empty(&e->pending) && session)
        {
          int err = net_tcp_send(layer, session, buf);
          if (err != -EAGAIN)
            {
              if (err)
                net_buffer_refdec(buf);
              else if (e->stats)
                atomic_fetch_add_explicit(&e->stats->bytes, len, memory_order_relaxed);
              net_tcp_recv_done(layer, session, len);
              return;
            }
        }
      g_queue_push_tail(&e->pending, buf);
      echo_flush(e);
      return;
    }
  if (task->type == NET_TASK_NOTIFICATION)
    {
      uint32_t event = task->notification.opcode;
      net_task_destroy(task);
      echo_event(e, event);
      return;
    }
  net_task_destroy(task);
}

static int echo_bound(struct net_layer_s *layer, const void *addr,
                      struct net_layer_s *child)
{
  return -ENOTSUP;   /* a leaf */
}

static void echo_dangling(struct net_layer_s *layer)
{
  pending_drop(net_container_of(layer, struct echo_s, layer));
}

static void echo_destroyed(struct net_layer_s *layer)
{
  struct echo_s *e = net_container_of(layer, struct echo_s, layer);
  pending_drop(e);
  if (e->stats && e->counted)
    atomic_fetch_sub_explicit(&e->stats->active, 1, memory_order_relaxed);
  free(e);
}

static const struct net_layer_handler_s echo_handler = {
  .type_name = "tcp-echo",
  .destroyed = echo_destroyed,
  .task_handle = echo_task_handle,
  .bound = echo_bound,
  .dangling = echo_dangling,
};

int net_tcp_echo_create(struct net_scheduler_s *sched,
                        struct net_tcp_echo_stats_s *stats,
                        struct net_layer_s **echo)
{
  if (!sched || !echo)
    return -EINVAL;
  struct echo_s *e = calloc(1, sizeof(*e));
  if (!e)
    return -ENOMEM;
  int err = net_layer_init(&e->layer, &echo_handler, sched, NULL, NULL);
  if (err)
    {
      free(e);
      return err;
    }
  e->stats = stats;
  g_queue_init(&e->pending);
  *echo = &e->layer;
  return 0;
}

static int echo_accept(void *delegate, struct net_layer_s *listener,
                       struct net_layer_s *session)
{
  struct net_layer_s *echo;
  int err = net_tcp_echo_create(listener->scheduler, delegate, &echo);
  if (err)
    return err;
  err = net_layer_bind(session, NULL, echo);
  net_layer_refdec(echo);
  return err;
}

static const struct net_tcp_listener_delegate_vtable_s echo_listener_vtable = {
  .accept = echo_accept,
};

int net_tcp_echo_listen(struct net_layer_s *tcp, uint16_t port,
                        struct net_tcp_echo_stats_s *stats,
                        struct net_layer_s **listener)
{
  struct net_tcp_config_s cfg;
  int err = net_tcp_get_config(tcp, &cfg);
  if (err)
    return err;
  cfg.session.nodelay = true;
  cfg.session.manual_recv = true;
  struct net_tcp_listen_params_s params = {
    .local = { .addr = 0, .port = port },
    .options = &cfg.session,
  };
  return net_tcp_listen(tcp, &params, stats, &echo_listener_vtable, listener);
}
