/* Threaded scheduler backend: a pool of worker threads runs layers as
 * actors (net/scheduler.h).
 *
 * A layer with work sits once on a shared run queue; a worker pops it,
 * owns it for one batch (scheduler.c: net_sched_layer_run), and the layer
 * goes back to the tail of the queue if work is left, so one busy layer
 * never starves the others and independent layers run in parallel.  The
 * run queue lock is taken once per batch, not per task; pushes only take
 * the target's spinlock (and the run queue lock when the target becomes
 * runnable).
 *
 * A poller thread owns time and fds: it sleeps in epoll_wait() on the
 * watched fds (EPOLLONESHOT, so a watch pauses until re-armed) and an
 * eventfd, with a timeout up to the earliest deadline, then moves due
 * timers and ready fds into mailboxes.  Arming an earlier timer or
 * unwatching an fd writes the eventfd.
 */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include "scheduler_private.h"
#include "fd_watch.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

struct net_threaded_s;

struct net_worker_s
{
  struct net_threaded_s *ts;
  GThread *thread;
  struct net_task_cache_s *cache;
};

struct net_threaded_s
{
  struct net_scheduler_s base;

  pthread_mutex_t rq_lock;
  pthread_cond_t rq_cond;             /* work arrived, or stop */
  pthread_cond_t idle_cond;           /* the last busy worker went idle */
  struct net_layer_s *rq_head;
  struct net_layer_s *rq_tail;
  unsigned sleeping;         /* workers waiting on rq_cond */
  unsigned active;           /* workers running a layer */
  bool stop;

  unsigned nworkers;
  struct net_worker_s *workers;

  GThread *poller;
  int epfd;
  int evfd;
  atomic_bool poller_stop;
  /* Watches (list) and unwatched ones the poller may still see in the
     events of its current epoll_wait (graveyard), under watch_lock. */
  pthread_mutex_t watch_lock;
  struct net_fd_watch_s *watches;
  struct net_fd_watch_s *graveyard;

  pthread_mutex_t quit_lock;
  pthread_cond_t quit_cond;
  bool quit;
};

static struct net_threaded_s *net_threaded(struct net_scheduler_s *sched)
{
  return (struct net_threaded_s *)sched;
}

static void net_threaded_wake_poller(struct net_threaded_s *ts)
{
  uint64_t one = 1;
  /* EAGAIN means the counter is already non-zero: the poller will wake. */
  if (write(ts->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
    g_warning("scheduler eventfd write: %s", g_strerror(errno));
}

/* --- run queue ---------------------------------------------------------- */

/* Append to the run queue; rq_lock held. */
static void net_threaded_append(struct net_threaded_s *ts, struct net_layer_s *layer)
{
  layer->sched.run_next = NULL;
  if (ts->rq_tail)
    ts->rq_tail->sched.run_next = layer;
  else
    ts->rq_head = layer;
  ts->rq_tail = layer;
}

static void net_threaded_enqueue(struct net_scheduler_s *sched,
                                 struct net_layer_s *layer)
{
  struct net_threaded_s *ts = net_threaded(sched);
  pthread_mutex_lock(&ts->rq_lock);
  net_threaded_append(ts, layer);
  if (ts->sleeping)
    pthread_cond_signal(&ts->rq_cond);
  pthread_mutex_unlock(&ts->rq_lock);
}

/* Pop the head of the run queue; rq_lock held. */
static struct net_layer_s *net_threaded_pop(struct net_threaded_s *ts)
{
  struct net_layer_s *layer = ts->rq_head;
  if (layer)
    {
      ts->rq_head = layer->sched.run_next;
      if (!ts->rq_head)
        ts->rq_tail = NULL;
      layer->sched.run_next = NULL;
    }
  return layer;
}

static struct net_layer_s *net_threaded_dequeue(struct net_scheduler_s *sched)
{
  struct net_threaded_s *ts = net_threaded(sched);
  pthread_mutex_lock(&ts->rq_lock);
  struct net_layer_s *layer = net_threaded_pop(ts);
  pthread_mutex_unlock(&ts->rq_lock);
  return layer;
}

static gpointer net_worker_main(gpointer data)
{
  struct net_worker_s *w = data;
  struct net_threaded_s *ts = w->ts;
  struct net_sched_tls_s saved = net_sched_enter(&ts->base, w->cache);
  pthread_mutex_lock(&ts->rq_lock);
  for (;;)
    {
      while (!ts->rq_head && !ts->stop)
        {
          ts->sleeping++;
          pthread_cond_wait(&ts->rq_cond, &ts->rq_lock);
          ts->sleeping--;
        }
      if (ts->stop)
        break;
      struct net_layer_s *layer = net_threaded_pop(ts);
      ts->active++;
      pthread_mutex_unlock(&ts->rq_lock);
      bool requeue = net_sched_layer_run(&ts->base, layer);
      /* One critical section per batch: the layer goes back to the tail
         (round robin) and the next head is taken below. */
      pthread_mutex_lock(&ts->rq_lock);
      if (requeue)
        {
          net_threaded_append(ts, layer);
          /* Work for a sleeper only if something else waits besides the
             layer this worker takes next. */
          if (ts->sleeping && ts->rq_head->sched.run_next)
            pthread_cond_signal(&ts->rq_cond);
        }
      if (--ts->active == 0 && !ts->rq_head)
        pthread_cond_broadcast(&ts->idle_cond);
    }
  pthread_mutex_unlock(&ts->rq_lock);
  net_sched_leave(saved);
  return NULL;
}

/* --- poller: timers and fds ---------------------------------------------- */

static uint32_t net_epoll_events(GIOCondition c)
{
  uint32_t e = 0;
  if (c & G_IO_IN)
    e |= EPOLLIN;
  if (c & G_IO_OUT)
    e |= EPOLLOUT;
  if (c & G_IO_PRI)
    e |= EPOLLPRI;
  return e | EPOLLONESHOT;
}

static GIOCondition net_gio_condition(uint32_t e)
{
  GIOCondition c = 0;
  if (e & EPOLLIN)
    c |= G_IO_IN;
  if (e & EPOLLOUT)
    c |= G_IO_OUT;
  if (e & EPOLLPRI)
    c |= G_IO_PRI;
  if (e & EPOLLERR)
    c |= G_IO_ERR;
  if (e & EPOLLHUP)
    c |= G_IO_HUP;
  return c;
}

static void net_threaded_timers_changed(struct net_scheduler_s *sched)
{
  net_threaded_wake_poller(net_threaded(sched));
}

/* Milliseconds until @p t, rounded up so we never wake early. */
static int net_ms_until(net_time_t t, net_time_t now)
{
  if (t == NET_TIME_NEVER)
    return -1;
  if (t <= now)
    return 0;
  net_time_t ms = (t - now + NET_NSEC_PER_MSEC - 1) / NET_NSEC_PER_MSEC;
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void net_threaded_bury(struct net_threaded_s *ts)
{
  pthread_mutex_lock(&ts->watch_lock);
  struct net_fd_watch_s *dead = ts->graveyard;
  ts->graveyard = NULL;
  pthread_mutex_unlock(&ts->watch_lock);
  while (dead)
    {
      struct net_fd_watch_s *next = dead->grave_next;
      net_fd_watch_unref(dead);
      dead = next;
    }
}

static gpointer net_poller_main(gpointer data)
{
  struct net_threaded_s *ts = data;
  struct net_scheduler_s *sched = &ts->base;
  struct epoll_event ev[64];
  while (!atomic_load(&ts->poller_stop))
    {
      /* Watches unwatched before this epoll_wait cannot show up in its
         events any more: free them now. */
      net_threaded_bury(ts);
      int timeout = net_ms_until(net_sched_timers_next(sched), net_sched_monotonic_ns());
      int n = epoll_wait(ts->epfd, ev, G_N_ELEMENTS(ev), timeout);
      if (n < 0 && errno != EINTR)
        {
          g_critical("scheduler epoll_wait: %s", g_strerror(errno));
          break;
        }
      struct net_fd_watch_s *ready = NULL;
      pthread_mutex_lock(&ts->watch_lock);
      for (int i = 0; i < n; i++)
        {
          struct net_fd_watch_s *w = ev[i].data.ptr;
          if (!w)
            {
              uint64_t v;
              if (read(ts->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                g_warning("scheduler eventfd read: %s", g_strerror(errno));
              continue;
            }
          if (!w->tag)
            continue; /* unwatched while we waited */
          w->revents = net_gio_condition(ev[i].events);
          net_fd_watch_ref(w);
          w->ready_next = ready;
          ready = w;
        }
      pthread_mutex_unlock(&ts->watch_lock);
      while (ready)
        {
          struct net_fd_watch_s *next = ready->ready_next;
          net_fd_watch_notify(ready, ready->revents);
          net_fd_watch_unref(ready);
          ready = next;
        }
      net_sched_timers_expire(sched, net_sched_monotonic_ns());
    }
  return NULL;
}

static struct net_fd_watch_s *net_threaded_fd_watch(struct net_scheduler_s *sched,
                                                    struct net_layer_s *layer,
                                                    int fd, GIOCondition events)
{
  struct net_threaded_s *ts = net_threaded(sched);
  struct net_fd_watch_s *w = net_fd_watch_new(sched, layer, fd, events);
  if (!w)
    return NULL;
  struct epoll_event ev = { .events = net_epoll_events(events), .data.ptr = w };
  pthread_mutex_lock(&ts->watch_lock);
  if (epoll_ctl(ts->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    {
      int err = errno;
      pthread_mutex_unlock(&ts->watch_lock);
      g_warning("cannot watch fd %d: %s", fd, g_strerror(err));
      net_fd_watch_unref(w);
      return NULL;
    }
  w->tag = w; /* "polled" */
  w->prev = NULL;
  w->next = ts->watches;
  if (ts->watches)
    ts->watches->prev = w;
  ts->watches = w;
  pthread_mutex_unlock(&ts->watch_lock);
  return w;
}

static void net_threaded_fd_rearm(struct net_fd_watch_s *w)
{
  struct net_threaded_s *ts = net_threaded(w->sched);
  struct epoll_event ev = { .events = net_epoll_events(w->events), .data.ptr = w };
  pthread_mutex_lock(&ts->watch_lock);
  if (w->tag && epoll_ctl(ts->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
    g_warning("cannot re-arm fd %d: %s", w->fd, g_strerror(errno));
  pthread_mutex_unlock(&ts->watch_lock);
}

/* Stop polling @p w and hand a reference to the graveyard; watch_lock held. */
static void net_threaded_fd_remove(struct net_threaded_s *ts, struct net_fd_watch_s *w)
{
  epoll_ctl(ts->epfd, EPOLL_CTL_DEL, w->fd, NULL);
  w->tag = NULL;
  if (w->prev)
    w->prev->next = w->next;
  else
    ts->watches = w->next;
  if (w->next)
    w->next->prev = w->prev;
  w->next = w->prev = NULL;
  net_fd_watch_ref(w);
  w->grave_next = ts->graveyard;
  ts->graveyard = w;
}

static void net_threaded_fd_unwatch(struct net_fd_watch_s *w)
{
  struct net_threaded_s *ts = net_threaded(w->sched);
  pthread_mutex_lock(&ts->watch_lock);
  net_threaded_fd_remove(ts, w);
  pthread_mutex_unlock(&ts->watch_lock);
  net_fd_watch_kill(w);
  net_threaded_wake_poller(ts);
}

/* --- driving ------------------------------------------------------------- */

static void net_threaded_run(struct net_scheduler_s *sched)
{
  struct net_threaded_s *ts = net_threaded(sched);
  pthread_mutex_lock(&ts->quit_lock);
  while (!ts->quit)
    pthread_cond_wait(&ts->quit_cond, &ts->quit_lock);
  ts->quit = false;
  pthread_mutex_unlock(&ts->quit_lock);
}

static void net_threaded_quit(struct net_scheduler_s *sched)
{
  struct net_threaded_s *ts = net_threaded(sched);
  pthread_mutex_lock(&ts->quit_lock);
  ts->quit = true;
  pthread_cond_broadcast(&ts->quit_cond);
  pthread_mutex_unlock(&ts->quit_lock);
}

static void net_threaded_run_for(struct net_scheduler_s *sched, net_time_t duration)
{
  struct net_threaded_s *ts = net_threaded(sched);
  net_time_t end = net_sched_monotonic_ns();
  end = end + duration < end ? (net_time_t)INT64_MAX : end + duration;
  struct timespec ts_end = {
    .tv_sec = (time_t)(end / NET_NSEC_PER_SEC),
    .tv_nsec = (long)(end % NET_NSEC_PER_SEC),
  };
  pthread_mutex_lock(&ts->quit_lock);
  while (!ts->quit && net_sched_monotonic_ns() < end)
    pthread_cond_timedwait(&ts->quit_cond, &ts->quit_lock, &ts_end);
  ts->quit = false;
  pthread_mutex_unlock(&ts->quit_lock);
}

static void net_threaded_run_until_idle(struct net_scheduler_s *sched)
{
  struct net_threaded_s *ts = net_threaded(sched);
  for (;;)
    {
      pthread_mutex_lock(&ts->rq_lock);
      while (ts->active > 0 || ts->rq_head)
        pthread_cond_wait(&ts->idle_cond, &ts->rq_lock);
      pthread_mutex_unlock(&ts->rq_lock);
      /* Due timers the poller has not moved yet count as runnable. */
      if (net_sched_timers_expire(sched, net_sched_monotonic_ns()) == 0)
        {
          pthread_mutex_lock(&ts->rq_lock);
          bool idle = ts->active == 0 && !ts->rq_head;
          pthread_mutex_unlock(&ts->rq_lock);
          if (idle)
            return;
        }
    }
}

/* --- lifetime -------------------------------------------------------------- */

static void net_threaded_stop(struct net_scheduler_s *sched)
{
  struct net_threaded_s *ts = net_threaded(sched);
  pthread_mutex_lock(&ts->rq_lock);
  ts->stop = true;
  pthread_cond_broadcast(&ts->rq_cond);
  pthread_mutex_unlock(&ts->rq_lock);
  for (unsigned i = 0; i < ts->nworkers; i++)
    if (ts->workers[i].thread)
      {
        g_thread_join(ts->workers[i].thread);
        ts->workers[i].thread = NULL;
      }
  if (ts->poller)
    {
      atomic_store(&ts->poller_stop, true);
      net_threaded_wake_poller(ts);
      g_thread_join(ts->poller);
      ts->poller = NULL;
    }
}

/* After the drain (the poller is gone: the graveyard can be freed). */
static bool net_threaded_unwatch_leftovers(struct net_scheduler_s *sched)
{
  struct net_threaded_s *ts = net_threaded(sched);
  bool any = false;
  pthread_mutex_lock(&ts->watch_lock);
  while (ts->watches)
    {
      struct net_fd_watch_s *w = ts->watches;
      g_critical("scheduler destroyed with fd %d still watched by a %s layer",
                 w->fd, net_layer_type_name(w->layer));
      net_threaded_fd_remove(ts, w);
      pthread_mutex_unlock(&ts->watch_lock);
      net_fd_watch_kill(w);
      any = true;
      pthread_mutex_lock(&ts->watch_lock);
    }
  pthread_mutex_unlock(&ts->watch_lock);
  net_threaded_bury(ts);
  return any;
}

static void net_threaded_free(struct net_scheduler_s *sched)
{
  struct net_threaded_s *ts = net_threaded(sched);
  if (ts->epfd >= 0)
    close(ts->epfd);
  if (ts->evfd >= 0)
    close(ts->evfd);
  free(ts->workers);
  pthread_mutex_destroy(&ts->rq_lock);
  pthread_cond_destroy(&ts->rq_cond);
  pthread_cond_destroy(&ts->idle_cond);
  pthread_mutex_destroy(&ts->watch_lock);
  pthread_mutex_destroy(&ts->quit_lock);
  pthread_cond_destroy(&ts->quit_cond);
  free(ts);
}

static const struct net_sched_backend_s net_threaded_backend = {
  .name = "threaded",
  .direct = false,
  .enqueue = net_threaded_enqueue,
  .dequeue = net_threaded_dequeue,
  .timers_changed = net_threaded_timers_changed,
  .run = net_threaded_run,
  .quit = net_threaded_quit,
  .run_until_idle = net_threaded_run_until_idle,
  .run_for = net_threaded_run_for,
  .fd_watch = net_threaded_fd_watch,
  .fd_rearm = net_threaded_fd_rearm,
  .fd_unwatch = net_threaded_fd_unwatch,
  .stop = net_threaded_stop,
  .unwatch_leftovers = net_threaded_unwatch_leftovers,
  .free = net_threaded_free,
};

struct net_scheduler_s *net_scheduler_threaded_create(
  const struct net_scheduler_options_s *options)
{
  if (options && options->clock == NET_CLOCK_VIRTUAL)
    {
      g_critical("the threaded scheduler has no virtual clock");
      return NULL;
    }
  struct net_threaded_s *ts = calloc(1, sizeof(*ts));
  if (!ts)
    return NULL;
  ts->epfd = ts->evfd = -1;
  pthread_mutex_init(&ts->rq_lock, NULL);
  net_cond_init(&ts->rq_cond);
  net_cond_init(&ts->idle_cond);
  pthread_mutex_init(&ts->watch_lock, NULL);
  pthread_mutex_init(&ts->quit_lock, NULL);
  net_cond_init(&ts->quit_cond);
  struct net_scheduler_s *sched = &ts->base;
  if (net_sched_common_init(sched, &net_threaded_backend, options) < 0)
    goto fail;
  /* Direct dispatch is a loop-backend feature: a worker running its
     target inline would serialise layers that could run in parallel. */
  sched->options.direct_depth = 0;
  ts->nworkers = sched->options.workers ? sched->options.workers
                                        : (unsigned)g_get_num_processors();
  sched->options.workers = ts->nworkers;

  ts->epfd = epoll_create1(EPOLL_CLOEXEC);
  ts->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  if (ts->epfd < 0 || ts->evfd < 0
      || epoll_ctl(ts->epfd, EPOLL_CTL_ADD, ts->evfd, &ev) < 0)
    goto fail;
  ts->workers = calloc(ts->nworkers, sizeof(*ts->workers));
  if (!ts->workers)
    goto fail;
  for (unsigned i = 0; i < ts->nworkers; i++)
    {
      ts->workers[i].ts = ts;
      ts->workers[i].cache = net_sched_cache_new(sched);
      if (!ts->workers[i].cache)
        goto fail_threads;
    }
  for (unsigned i = 0; i < ts->nworkers; i++)
    {
      char name[24];
      snprintf(name, sizeof(name), "net-worker-%u", i);
      ts->workers[i].thread = g_thread_try_new(name, net_worker_main, &ts->workers[i], NULL);
      if (!ts->workers[i].thread)
        goto fail_threads;
    }
  ts->poller = g_thread_try_new("net-poller", net_poller_main, ts, NULL);
  if (!ts->poller)
    goto fail_threads;
  return sched;

fail_threads:
  net_threaded_stop(sched);
fail:
  net_sched_common_clear(sched);
  net_threaded_free(sched);
  return NULL;
}
