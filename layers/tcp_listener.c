/* TCP listener layer: a local port that accepts connections.  The tcp
   layer does the SYN work on its behalf (it owns the demux tables); the
   listener bounds the backlog and the accept queue and hands finished
   connections to its delegate or its child. */
#include <config.h>
#include "tcp_private.h"
#include <net/task.h>
#include <stdlib.h>

/* A NOTIFICATION carrying a reference to a session. */
struct accept_task_s
{
  struct net_task_s task;
  struct net_layer_s *session;
};

static void accept_task_destroy(struct net_task_s *task)
{
  struct accept_task_s *at = net_container_of(task, struct accept_task_s, task);
  if (at->session)
    net_layer_refdec(at->session);
  free(at);
}

static struct accept_task_s *accept_task_new(struct net_layer_s *session)
{
  struct accept_task_s *at = malloc(sizeof(*at));
  if (!at)
    return NULL;
  net_task_init(&at->task, accept_task_destroy);
  at->session = net_layer_refinc(session);
  return at;
}

struct net_tcp_listener_s *net_tcp_listener_refinc(struct net_tcp_listener_s *l)
{
  net_layer_refinc(&l->layer);
  return l;
}

void net_tcp_listener_syn_done(struct net_tcp_listener_s *l)
{
  if (l)
    atomic_fetch_sub_explicit(&l->syn_count, 1, memory_order_relaxed);
}

void net_tcp_listener_accept_done(struct net_tcp_listener_s *l)
{
  if (l)
    atomic_fetch_sub_explicit(&l->accept_count, 1, memory_order_relaxed);
}

int net_tcp_listener_offer(struct net_tcp_listener_s *l,
                           struct net_tcp_session_s *s)
{
  struct accept_task_s *at = accept_task_new(&s->layer);
  if (!at)
    return -ENOMEM;
  s->flags |= NET_TCP_SF_ACCEPTQ;
  atomic_fetch_add_explicit(&l->accept_count, 1, memory_order_relaxed);
  if (net_task_notification_push(&at->task, &l->layer, &s->layer,
                                 NET_TCP_OP_ESTABLISHED, 0, 0) != 0)
    {
      /* The task was destroyed with its reference; the session will be
         aborted by the caller, which undoes the accounting. */
      return -ESHUTDOWN;
    }
  return 0;
}

struct net_layer_s *net_tcp_accept_take(struct net_task_s *task)
{
  if (!task || task->destroy != accept_task_destroy)
    return NULL;
  struct accept_task_s *at = net_container_of(task, struct accept_task_s, task);
  struct net_layer_s *session = at->session;
  at->session = NULL;
  return session;
}

/* A handshake completed: the delegate binds an application, or the
   child is told, or the connection is refused. */
static void listener_accept(struct net_tcp_listener_s *l, struct accept_task_s *at)
{
  const struct net_tcp_listener_delegate_vtable_s *vt =
    (const struct net_tcp_listener_delegate_vtable_s *)l->layer.delegate_vtable;
  struct net_layer_s *session = at->session;
  struct net_layer_s *child = l->layer.children;

  if (!session)
    return;
  if (net_layer_parent(&l->layer) && vt && vt->accept)
    {
      if (vt->accept(l->layer.delegate, &l->layer, session) < 0)
        net_tcp_abort(&l->layer, session);
      return;
    }
  if (net_layer_parent(&l->layer) && child)
    {
      struct accept_task_s *fwd = accept_task_new(session);
      if (fwd && net_task_notification_push(&fwd->task, child, &l->layer,
                                            NET_TCP_EV_ACCEPT, 0, 0) == 0)
        return;
    }
  /* Nobody takes it (or we stopped listening). */
  net_tcp_abort(&l->layer, session);
}

static void listener_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct net_tcp_listener_s *l = net_tcp_listener(layer);

  if (task->type == NET_TASK_NOTIFICATION
      && task->notification.opcode == NET_TCP_OP_ESTABLISHED
      && task->destroy == accept_task_destroy)
    listener_accept(l, net_container_of(task, struct accept_task_s, task));
  net_task_destroy(task);
}

static int listener_bound(struct net_layer_s *layer, const void *addr,
                          struct net_layer_s *child)
{
  /* One optional child: the layer that gets NET_TCP_EV_ACCEPT. */
  return layer->children ? -EBUSY : 0;
}

static void listener_destroyed(struct net_layer_s *layer)
{
  struct net_tcp_listener_s *l = net_tcp_listener(layer);
  net_tcp_shared_refdec(l->shared);
  free(l);
}

static size_t listener_stats(const struct net_layer_s *layer,
                             struct net_stat_s *out, size_t max)
{
  const struct net_tcp_listener_s *l =
    net_container_of(layer, const struct net_tcp_listener_s, layer);
  if (max > 0)
    {
      out[0].name = "syn_received";
      out[0].value = atomic_load_explicit(&l->syn_count, memory_order_relaxed);
    }
  if (max > 1)
    {
      out[1].name = "accept_queue";
      out[1].value = atomic_load_explicit(&l->accept_count, memory_order_relaxed);
    }
  return 2;
}

const struct net_layer_handler_s net_tcp_listener_handler = {
  .type_name = "tcp-listener",
  .destroyed = listener_destroyed,
  .task_handle = listener_task_handle,
  .bound = listener_bound,
  .stats = listener_stats,
};

int net_tcp_listen(struct net_layer_s *tcp,
                   const struct net_tcp_listen_params_s *params,
                   void *delegate,
                   const struct net_tcp_listener_delegate_vtable_s *vtable,
                   struct net_layer_s **listener)
{
  if (!tcp || tcp->handler != &net_tcp_handler || !params || !listener
      || params->local.port == 0)
    return -EINVAL;
  struct net_tcp_s *t = net_container_of(tcp, struct net_tcp_s, layer);
  struct net_tcp_listener_s *l = calloc(1, sizeof(*l));
  if (!l)
    return -ENOMEM;
  int err = net_layer_init(&l->layer, &net_tcp_listener_handler, tcp->scheduler,
                           delegate, vtable ? &vtable->base : NULL);
  if (err)
    {
      free(l);
      return err;
    }
  l->shared = net_tcp_shared_refinc(t->shared);
  l->local = params->local;
  l->backlog = params->backlog ? params->backlog : 128;
  l->accept_max = params->accept_max ? params->accept_max : 128;
  l->opt = params->options ? *params->options : t->shared->cfg.session;
  net_tcp_options_resolve(&l->opt);
  atomic_init(&l->syn_count, 0);
  atomic_init(&l->accept_count, 0);
  err = net_layer_bind(tcp, &l->local, &l->layer);
  if (err)
    {
      net_layer_refdec(&l->layer);
      return err;
    }
  *listener = &l->layer;
  return 0;
}
