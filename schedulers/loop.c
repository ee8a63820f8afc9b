/* Loop scheduler backend: everything runs in the thread that iterates a
 * GMainContext, through one GSource (net/scheduler.h).
 *
 * The source is ready when a layer is on the run queue, when the earliest
 * timer is due (on a virtual clock: when a timer exists and the clock may
 * jump), or when a watched fd polled ready.  Its dispatch fires due timers,
 * turns ready fds into notifications, and runs queued layers one batch at
 * a time, round robin, for a bounded number of batches so other sources of
 * the context get their turn.
 *
 * Threads: pushes from the loop thread itself (inside dispatch) only take
 * the target's spinlock and, when the layer becomes runnable, the run
 * queue spinlock; pushes from other threads do the same and then wake the
 * context.
 */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include "scheduler_private.h"
#include "fd_watch.h"
#include <limits.h>
#include <stdlib.h>

/* Layer batches run per dispatch before returning to the main loop. */
#define NET_LOOP_BATCHES_PER_DISPATCH 256

struct net_loop_s;

struct net_loop_source_s
{
  GSource source;
  struct net_loop_s *loop;
};

struct net_loop_s
{
  struct net_scheduler_s base;
  GMainContext *context;
  struct net_loop_source_s *source;
  struct net_task_cache_s *cache;

  atomic_uint rq_lock;
  struct net_layer_s *rq_head;
  struct net_layer_s *rq_tail;
  atomic_size_t rq_len;

  /* Watches, under watch_lock (fd_watch may be called from any thread).
     Once stopped, the fds are off the (destroyed) source: tags are NULL. */
  pthread_mutex_t watch_lock;
  struct net_fd_watch_s *watches;
  bool stopped;
  /* Loop thread only: inside net_loop_dispatch() (the source may recurse,
     see net_loop_scheduler_create(), but its work must not nest). */
  bool dispatching;

  atomic_bool quit;
  /* Virtual clock: may the clock jump to the next deadline?  Off inside
     net_scheduler_run_until_idle(). */
  bool jumps;
  /* Real clock: wake up at this time for net_scheduler_run_for(). */
  net_time_t wake_at;
  /* Busy polling (options.busy_poll): poll without sleeping until then;
     loop thread only. */
  net_time_t spin_until;
};

static struct net_loop_s *net_loop(struct net_scheduler_s *sched)
{
  return (struct net_loop_s *)sched;
}

static void net_loop_enqueue(struct net_scheduler_s *sched, struct net_layer_s *layer)
{
  struct net_loop_s *loop = net_loop(sched);
  layer->sched.run_next = NULL;
  net_spin_lock(&loop->rq_lock);
  if (loop->rq_tail)
    loop->rq_tail->sched.run_next = layer;
  else
    loop->rq_head = layer;
  loop->rq_tail = layer;
  atomic_fetch_add_explicit(&loop->rq_len, 1, memory_order_relaxed);
  net_spin_unlock(&loop->rq_lock);
  if (net_sched_tls.sched != sched && loop->context)
    g_main_context_wakeup(loop->context);
}

/* Put @p requeue (may be NULL) back at the tail and take the head, in one
   critical section. */
static inline __attribute__((always_inline)) struct net_layer_s *
net_loop_next(struct net_loop_s *loop, struct net_layer_s *requeue)
{
  net_spin_lock(&loop->rq_lock);
  if (requeue)
    {
      requeue->sched.run_next = NULL;
      if (loop->rq_tail)
        loop->rq_tail->sched.run_next = requeue;
      else
        loop->rq_head = requeue;
      loop->rq_tail = requeue;
      atomic_fetch_add_explicit(&loop->rq_len, 1, memory_order_relaxed);
    }
  struct net_layer_s *layer = loop->rq_head;
  if (layer)
    {
      loop->rq_head = layer->sched.run_next;
      if (!loop->rq_head)
        loop->rq_tail = NULL;
      layer->sched.run_next = NULL;
      atomic_fetch_sub_explicit(&loop->rq_len, 1, memory_order_relaxed);
    }
  net_spin_unlock(&loop->rq_lock);
  return layer;
}

static struct net_layer_s *net_loop_dequeue(struct net_scheduler_s *sched)
{
  return net_loop_next(net_loop(sched), NULL);
}

static bool net_loop_runnable(struct net_loop_s *loop)
{
  return atomic_load_explicit(&loop->rq_len, memory_order_relaxed) != 0;
}

static void net_loop_timers_changed(struct net_scheduler_s *sched)
{
  struct net_loop_s *loop = net_loop(sched);
  if (net_sched_tls.sched != sched)
    g_main_context_wakeup(loop->context);
}

/* Milliseconds until @p t, rounded up so we never wake early. */
static gint net_loop_ms_until(net_time_t t, net_time_t now)
{
  if (t <= now)
    return 0;
  net_time_t ms = (t - now + NET_NSEC_PER_MSEC - 1) / NET_NSEC_PER_MSEC;
  return ms > INT_MAX ? INT_MAX : (gint)ms;
}

/* Is there timer work now?  Sets *timeout to the wait before there is. */
static bool net_loop_timer_ready(struct net_loop_s *loop, gint *timeout)
{
  struct net_scheduler_s *sched = &loop->base;
  net_time_t next = net_sched_timers_next(sched);
  net_time_t now = net_scheduler_time(sched);
  *timeout = -1;
  if (next == NET_TIME_NEVER)
    return false;
  if (next <= now)
    return true;
  if (sched->options.clock == NET_CLOCK_VIRTUAL)
    return loop->jumps;
  *timeout = net_loop_ms_until(next, now);
  return false;
}

static gboolean net_loop_prepare(GSource *source, gint *timeout)
{
  struct net_loop_s *loop = ((struct net_loop_source_s *)source)->loop;
  if (net_loop_runnable(loop))
    {
      *timeout = 0;
      return TRUE;
    }
  if (net_loop_timer_ready(loop, timeout))
    {
      *timeout = 0;
      return TRUE;
    }
  if (loop->wake_at != NET_TIME_NEVER)
    {
      gint t = net_loop_ms_until(loop->wake_at, net_scheduler_time(&loop->base));
      if (*timeout < 0 || t < *timeout)
        *timeout = t;
    }
  return FALSE;
}

static bool net_loop_fds_ready(struct net_loop_s *loop)
{
  bool ready = false;
  pthread_mutex_lock(&loop->watch_lock);
  for (struct net_fd_watch_s *w = loop->watches; w && !ready; w = w->next)
    ready = !w->paused && g_source_query_unix_fd(&loop->source->source, w->tag) != 0;
  pthread_mutex_unlock(&loop->watch_lock);
  return ready;
}

static gboolean net_loop_check(GSource *source)
{
  struct net_loop_s *loop = ((struct net_loop_source_s *)source)->loop;
  gint timeout;
  return net_loop_runnable(loop) || net_loop_timer_ready(loop, &timeout)
         || net_loop_fds_ready(loop);
}

/* Turn ready fds into notifications; each watch pauses until rearmed.
   The pause reaches GLib only at the end of the dispatch, for the watches
   still paused then (net_loop_fds_pause()): a layer that drains its fd
   and rearms within the dispatch, as the TAP does, costs no change to
   the poll set, and GLib signals its wake-up eventfd on every change,
   two system calls a round trip.  Returns whether a watch was paused. */
static bool net_loop_fds_dispatch(struct net_loop_s *loop)
{
  struct net_fd_watch_s *ready = NULL;
  pthread_mutex_lock(&loop->watch_lock);
  for (struct net_fd_watch_s *w = loop->watches; w; w = w->next)
    {
      if (w->paused)
        continue;
      GIOCondition rev = g_source_query_unix_fd(&loop->source->source, w->tag);
      if (!rev)
        continue;
      w->paused = true;
      w->revents = rev;
      net_fd_watch_ref(w);
      w->ready_next = ready;
      ready = w;
    }
  pthread_mutex_unlock(&loop->watch_lock);
  bool paused = ready != NULL;
  while (ready)
    {
      struct net_fd_watch_s *next = ready->ready_next;
      net_fd_watch_notify(ready, ready->revents);
      net_fd_watch_unref(ready);
      ready = next;
    }
  return paused;
}

/* Stop polling the fds of the watches still paused: until their layers
   rearm them, their readiness must not wake the loop.  Only watches
   paused by this dispatch can need it (earlier ones were handled at the
   end of theirs). */
static void net_loop_fds_pause(struct net_loop_s *loop)
{
  pthread_mutex_lock(&loop->watch_lock);
  for (struct net_fd_watch_s *w = loop->watches; w; w = w->next)
    if (w->paused && w->polled && w->tag)
      {
        g_source_modify_unix_fd(&loop->source->source, w->tag, 0);
        w->polled = 0;
      }
  pthread_mutex_unlock(&loop->watch_lock);
}

/* Fire due timers (jumping a virtual clock when allowed and idle), then
   run up to @p batches layer batches.  Returns whether it did anything. */
static bool net_loop_work(struct net_loop_s *loop, unsigned batches)
{
  struct net_scheduler_s *sched = &loop->base;
  bool did = false;
  if (sched->options.clock == NET_CLOCK_VIRTUAL && loop->jumps
      && !net_loop_runnable(loop))
    {
      net_time_t next = net_sched_timers_next(sched);
      if (next != NET_TIME_NEVER)
        net_sched_virtual_advance(sched, next);
    }
  if (net_sched_timers_expire(sched, net_scheduler_time(sched)))
    did = true;
  struct net_layer_s *requeue = NULL;
  for (; batches > 0; batches--)
    {
      struct net_layer_s *layer = net_loop_next(loop, requeue);
      if (!layer)
        return did;
      requeue = net_sched_layer_run(sched, layer) ? layer : NULL;
      did = true;
    }
  if (requeue)
    net_loop_enqueue(sched, requeue);
  return did;
}

static gboolean net_loop_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
  struct net_loop_s *loop = ((struct net_loop_source_s *)source)->loop;
  if (loop->dispatching)
    return G_SOURCE_CONTINUE;   /* a handler iterating the context */
  loop->dispatching = true;
  struct net_sched_tls_s saved = net_sched_enter(&loop->base, loop->cache);
  bool paused = net_loop_fds_dispatch(loop);
  net_loop_work(loop, NET_LOOP_BATCHES_PER_DISPATCH);
  if (paused)
    net_loop_fds_pause(loop);
  if (loop->base.options.busy_poll)
    loop->spin_until = net_scheduler_time(&loop->base) + loop->base.options.busy_poll;
  net_sched_leave(saved);
  loop->dispatching = false;
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs net_loop_source_funcs = {
  .prepare = net_loop_prepare,
  .check = net_loop_check,
  .dispatch = net_loop_dispatch,
};

/* Should the next iteration poll without sleeping (busy polling)? */
static gboolean net_loop_may_block(struct net_loop_s *loop)
{
  return !loop->spin_until || net_scheduler_time(&loop->base) >= loop->spin_until;
}

/* Run the calling thread as the loop thread: it must own the context. */
static bool net_loop_acquire(struct net_loop_s *loop)
{
  if (g_main_context_acquire(loop->context))
    return true;
  g_critical("loop scheduler driven from a thread that does not own its "
             "GMainContext");
  return false;
}

static void net_loop_run(struct net_scheduler_s *sched)
{
  struct net_loop_s *loop = net_loop(sched);
  if (!net_loop_acquire(loop))
    return;
  loop->jumps = true;
  while (!atomic_exchange(&loop->quit, false))
    g_main_context_iteration(loop->context, net_loop_may_block(loop));
  g_main_context_release(loop->context);
}

static void net_loop_quit(struct net_scheduler_s *sched)
{
  struct net_loop_s *loop = net_loop(sched);
  atomic_store(&loop->quit, true);
  g_main_context_wakeup(loop->context);
}

/* Dispatch until nothing is runnable and no timer is due, without moving
   a virtual clock.  Ready fds are polled (non-blocking) each round. */
static void net_loop_idle(struct net_loop_s *loop)
{
  bool jumps = loop->jumps;
  loop->jumps = false;
  for (;;)
    {
      g_main_context_iteration(loop->context, FALSE);
      struct net_sched_tls_s saved = net_sched_enter(&loop->base, loop->cache);
      bool did = net_loop_work(loop, UINT_MAX);
      net_sched_leave(saved);
      if (!did)
        break;
    }
  loop->jumps = jumps;
}

static void net_loop_run_until_idle(struct net_scheduler_s *sched)
{
  struct net_loop_s *loop = net_loop(sched);
  if (!net_loop_acquire(loop))
    return;
  net_loop_idle(loop);
  g_main_context_release(loop->context);
}

static void net_loop_run_for(struct net_scheduler_s *sched, net_time_t duration)
{
  struct net_loop_s *loop = net_loop(sched);
  if (!net_loop_acquire(loop))
    return;
  net_time_t end = net_scheduler_time(sched);
  end = end + duration < end ? NET_TIME_NEVER - 1 : end + duration;
  if (sched->options.clock == NET_CLOCK_VIRTUAL)
    {
      for (;;)
        {
          net_loop_idle(loop);
          net_time_t next = net_sched_timers_next(sched);
          if (next > end)
            break;
          net_sched_virtual_advance(sched, next);
        }
      net_sched_virtual_advance(sched, end);
    }
  else
    {
      loop->wake_at = end;
      while (net_scheduler_time(sched) < end && !atomic_exchange(&loop->quit, false))
        g_main_context_iteration(loop->context, net_loop_may_block(loop));
      loop->wake_at = NET_TIME_NEVER;
    }
  g_main_context_release(loop->context);
}

/* --- fd watches ------------------------------------------------------- */

static struct net_fd_watch_s *net_loop_fd_watch(struct net_scheduler_s *sched,
                                                struct net_layer_s *layer,
                                                int fd, GIOCondition events)
{
  struct net_loop_s *loop = net_loop(sched);
  struct net_fd_watch_s *w = net_fd_watch_new(sched, layer, fd, events);
  if (!w)
    return NULL;
  pthread_mutex_lock(&loop->watch_lock);
  if (loop->stopped)
    {
      pthread_mutex_unlock(&loop->watch_lock);
      net_fd_watch_unref(w);
      return NULL;
    }
  w->tag = g_source_add_unix_fd(&loop->source->source, fd, events);
  w->polled = events;
  w->paused = false;
  w->prev = NULL;
  w->next = loop->watches;
  if (loop->watches)
    loop->watches->prev = w;
  loop->watches = w;
  pthread_mutex_unlock(&loop->watch_lock);
  if (net_sched_tls.sched != sched)
    g_main_context_wakeup(loop->context);
  return w;
}

static void net_loop_fd_rearm(struct net_fd_watch_s *w)
{
  struct net_loop_s *loop = net_loop(w->sched);
  pthread_mutex_lock(&loop->watch_lock);
  w->paused = false;
  if (w->tag && w->polled != w->events)
    {
      g_source_modify_unix_fd(&loop->source->source, w->tag, w->events);
      w->polled = w->events;
    }
  pthread_mutex_unlock(&loop->watch_lock);
  if (net_sched_tls.sched != w->sched)
    g_main_context_wakeup(loop->context);
}

/* Unlink @p w and stop polling its fd; watch_lock held. */
static void net_loop_fd_remove(struct net_loop_s *loop, struct net_fd_watch_s *w)
{
  if (w->tag)
    g_source_remove_unix_fd(&loop->source->source, w->tag);
  w->tag = NULL;
  if (w->prev)
    w->prev->next = w->next;
  else
    loop->watches = w->next;
  if (w->next)
    w->next->prev = w->prev;
  w->next = w->prev = NULL;
}

static void net_loop_fd_unwatch(struct net_fd_watch_s *w)
{
  struct net_loop_s *loop = net_loop(w->sched);
  pthread_mutex_lock(&loop->watch_lock);
  net_loop_fd_remove(loop, w);
  pthread_mutex_unlock(&loop->watch_lock);
  net_fd_watch_kill(w);
}

/* --- lifetime ---------------------------------------------------------- */

/* Take the fds off the source and destroy it, so that no thread iterating
   the context dispatches us any more; the watches stay in the list for
   their layers to unwatch during the drain. */
static void net_loop_stop(struct net_scheduler_s *sched)
{
  struct net_loop_s *loop = net_loop(sched);
  pthread_mutex_lock(&loop->watch_lock);
  loop->stopped = true;
  for (struct net_fd_watch_s *w = loop->watches; w; w = w->next)
    {
      g_source_remove_unix_fd(&loop->source->source, w->tag);
      w->tag = NULL;
    }
  pthread_mutex_unlock(&loop->watch_lock);
  g_source_destroy(&loop->source->source);
}

static bool net_loop_unwatch_leftovers(struct net_scheduler_s *sched)
{
  struct net_loop_s *loop = net_loop(sched);
  bool any = false;
  pthread_mutex_lock(&loop->watch_lock);
  while (loop->watches)
    {
      struct net_fd_watch_s *w = loop->watches;
      g_critical("scheduler destroyed with fd %d still watched by a %s layer",
                 w->fd, net_layer_type_name(w->layer));
      net_loop_fd_remove(loop, w);
      pthread_mutex_unlock(&loop->watch_lock);
      net_fd_watch_kill(w);
      any = true;
      pthread_mutex_lock(&loop->watch_lock);
    }
  pthread_mutex_unlock(&loop->watch_lock);
  return any;
}

static void net_loop_free(struct net_scheduler_s *sched)
{
  struct net_loop_s *loop = net_loop(sched);
  if (loop->source)
    g_source_unref(&loop->source->source);
  if (loop->context)
    g_main_context_unref(loop->context);
  pthread_mutex_destroy(&loop->watch_lock);
  free(loop);
}

static const struct net_sched_backend_s net_loop_backend = {
  .name = "loop",
  .direct = true,
  .enqueue = net_loop_enqueue,
  .dequeue = net_loop_dequeue,
  .timers_changed = net_loop_timers_changed,
  .run = net_loop_run,
  .quit = net_loop_quit,
  .run_until_idle = net_loop_run_until_idle,
  .run_for = net_loop_run_for,
  .fd_watch = net_loop_fd_watch,
  .fd_rearm = net_loop_fd_rearm,
  .fd_unwatch = net_loop_fd_unwatch,
  .stop = net_loop_stop,
  .unwatch_leftovers = net_loop_unwatch_leftovers,
  .free = net_loop_free,
};

struct net_scheduler_s *net_scheduler_loop_create(
  GMainContext *context, const struct net_scheduler_options_s *options)
{
  struct net_loop_s *loop = calloc(1, sizeof(*loop));
  if (!loop)
    return NULL;
  pthread_mutex_init(&loop->watch_lock, NULL);
  loop->wake_at = NET_TIME_NEVER;
  struct net_scheduler_s *sched = &loop->base;
  if (net_sched_common_init(sched, &net_loop_backend, options) < 0)
    goto fail;
  atomic_store(&sched->push_slow, sched->options.direct_depth > 0);
  if (sched->options.clock == NET_CLOCK_VIRTUAL)
    sched->options.busy_poll = 0;   /* time only moves when idle */
  loop->cache = net_sched_cache_new(sched);
  if (!loop->cache)
    goto fail;
  loop->context = context ? g_main_context_ref(context)
                          : g_main_context_ref_thread_default();
  loop->source = (struct net_loop_source_s *)g_source_new(
    &net_loop_source_funcs, sizeof(struct net_loop_source_s));
  loop->source->loop = loop;
  g_source_set_name(&loop->source->source, "libnetwork scheduler");
  /* GLib blocks a source that may not recurse around each dispatch by
     taking its fds out of the poll set and putting them back, signalling
     its wake-up eventfd each time: two system calls per dispatch.  Ours
     guards against nesting itself (loop->dispatching). */
  g_source_set_can_recurse(&loop->source->source, TRUE);
  g_source_attach(&loop->source->source, loop->context);
  return sched;

fail:
  net_sched_common_clear(sched);
  net_loop_free(sched);
  return NULL;
}
