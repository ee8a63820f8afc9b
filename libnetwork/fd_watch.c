/* File descriptor watches shared by the scheduler backends (fd_watch.h). */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include "fd_watch.h"
#include <stdlib.h>

struct net_fd_watch_s *net_fd_watch_new(struct net_scheduler_s *sched,
                                        struct net_layer_s *layer, int fd,
                                        GIOCondition events)
{
  struct net_fd_watch_s *w = calloc(1, sizeof(*w));
  if (!w)
    return NULL;
  w->sched = sched;
  w->layer = layer;
  w->fd = fd;
  w->events = events;
  atomic_init(&w->refs, 1);
  return w;
}

void net_fd_watch_ref(struct net_fd_watch_s *w)
{
  atomic_fetch_add_explicit(&w->refs, 1, memory_order_relaxed);
}

void net_fd_watch_unref(struct net_fd_watch_s *w)
{
  if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) == 1)
    free(w);
}

static void net_fd_watch_task_destroy(struct net_task_s *task)
{
  struct net_fd_watch_s *w = net_container_of(task, struct net_fd_watch_s, task);
  net_spin_lock(&w->lock);
  w->in_flight = false;
  GIOCondition pending = w->dead ? 0 : w->pending;
  w->pending = 0;
  net_spin_unlock(&w->lock);
  if (pending)
    net_fd_watch_notify(w, pending);
  net_fd_watch_unref(w);
}

/* Take a reference on @p layer unless its last one is gone. */
static bool net_fd_watch_layer_get(struct net_layer_s *layer)
{
  unsigned refs = atomic_load_explicit(&layer->refcount, memory_order_relaxed);
  do
    if (refs == 0)
      return false;
  while (!atomic_compare_exchange_weak_explicit(&layer->refcount, &refs, refs + 1,
                                                memory_order_acquire,
                                                memory_order_relaxed));
  return true;
}

void net_fd_watch_notify(struct net_fd_watch_s *w, GIOCondition revents)
{
  struct net_layer_s *layer = w->layer;
  net_spin_lock(&w->lock);
  if (w->dead || w->in_flight)
    {
      if (!w->dead)
        w->pending |= revents;
      net_spin_unlock(&w->lock);
      return;
    }
  /* The layer is alive while the watch is not dead: it unwatches (which
     takes this lock) at the latest in its destroyed handler, before its
     memory goes.  So its reference is taken here, under the lock, or
     never: a layer whose last reference is gone drops the readiness
     (its destroyed handler, about to run, unwatches). */
  if (!net_fd_watch_layer_get(layer))
    {
      net_spin_unlock(&w->lock);
      return;
    }
  /* Prepared before in_flight is published, so an unwatch that sees it
     and cancels reads a consistent task. */
  net_task_init(&w->task, net_fd_watch_task_destroy);
  w->in_flight = true;
  net_fd_watch_ref(w); /* the task's */
  net_spin_unlock(&w->lock);
  net_task_notification_push(&w->task, layer, NULL, NET_OP_FD_READY, 0,
                             (uintptr_t)revents);
  net_layer_ref_put(layer);
}

void net_fd_watch_kill(struct net_fd_watch_s *w)
{
  net_spin_lock(&w->lock);
  w->dead = true;
  bool in_flight = w->in_flight;
  net_spin_unlock(&w->lock);
  if (in_flight)
    net_scheduler_task_cancel(w->sched, &w->task);
  net_fd_watch_unref(w);
}
