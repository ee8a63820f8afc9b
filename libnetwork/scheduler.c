/* Scheduler core shared by both backends (net/scheduler.h).
 *
 * Everything that decides *what* runs lives here, so the two backends keep
 * the guarantees the same way; a backend only decides *which thread* runs a
 * runnable layer and *when* (see scheduler_private.h).
 *
 * - Mailboxes: each layer has a FIFO of pushed tasks under its own
 *   spinlock.  One FIFO per target, appended in push order, is what makes
 *   tasks from one source to one target arrive in order (guarantee 2).
 * - Execution ownership: a layer is run by at most one thread at a time,
 *   the one that set NET_LAYER_RUNNING (guarantee 1).  A layer with work
 *   and no owner is on its backend's run queue exactly once
 *   (NET_LAYER_QUEUED); whoever gives up ownership re-queues it when work
 *   is left.
 * - Timers: a binary min-heap (O(log n) arm and cancel) ordered by
 *   deadline then arming order; due timers move to their target's
 *   mailbox, never before deadline - precision (guarantee 4).
 * - Cancel: a task's sched_state says which lock guards it; cancelling
 *   takes that lock and re-checks, so it races safely with delivery
 *   (guarantee 5).
 * - Generations: a layer's generation is bumped when it dangles; every
 *   task records the generations of its source and target when pushed and
 *   is cancelled at delivery when either moved, so tasks from or to a
 *   dangling layer die without anybody walking other layers' mailboxes.
 */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include "scheduler_private.h"
#include "fd_watch.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct net_task_cache_s net_sched_no_cache;

__thread struct net_sched_tls_s net_sched_tls
  __attribute__((tls_model("initial-exec"), visibility("hidden")))
  = { .cache = &net_sched_no_cache };

/* Small buffers: room for Ethernet + IPv4 + TCP with options + an ACK. */
#define NET_SMALL_BUFFER_SIZE 512
#define NET_DEFAULT_HEADROOM 128

net_time_t net_sched_monotonic_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (net_time_t)ts.tv_sec * NET_NSEC_PER_SEC + (net_time_t)ts.tv_nsec;
}

struct net_scheduler_s *net_scheduler_current(void)
{
  return net_sched_tls.sched;
}

net_time_t net_scheduler_time(const struct net_scheduler_s *sched)
{
  g_return_val_if_fail(sched != NULL, 0);
  if (sched->options.clock == NET_CLOCK_VIRTUAL)
    return atomic_load_explicit(&((struct net_scheduler_s *)sched)->virtual_now,
                                memory_order_acquire);
  return net_sched_monotonic_ns();
}

void net_sched_virtual_advance(struct net_scheduler_s *sched, net_time_t to)
{
  net_time_t now = atomic_load_explicit(&sched->virtual_now, memory_order_relaxed);
  while (to > now
         && !atomic_compare_exchange_weak_explicit(&sched->virtual_now, &now, to,
                                                   memory_order_release,
                                                   memory_order_relaxed))
    ;
}

/* --- construction ---------------------------------------------------- */

int net_sched_common_init(struct net_scheduler_s *sched,
                          const struct net_sched_backend_s *backend,
                          const struct net_scheduler_options_s *options)
{
  sched->backend = backend;
  if (options)
    sched->options = *options;
  struct net_scheduler_options_s *o = &sched->options;
  if (o->batch == 0)
    o->batch = 64;
  if (o->task_limit == 0)
    o->task_limit = (size_t)1 << 20;
  if (o->small_buffers == 0)
    o->small_buffers = 4096;
  if (o->large_buffers == 0)
    o->large_buffers = 2048;
  if (o->large_buffer_size == 0)
    o->large_buffer_size = 2048 + NET_DEFAULT_HEADROOM;
  if (o->large_buffer_size < NET_SMALL_BUFFER_SIZE)
    o->large_buffer_size = NET_SMALL_BUFFER_SIZE;
  if (o->medium_buffers == 0)
    o->medium_buffers = 2048;
  if (o->jumbo_buffers == 0)
    o->jumbo_buffers = 512;

  pthread_mutex_init(&sched->timer_lock, NULL);
  pthread_mutex_init(&sched->alloc_lock, NULL);
  pthread_mutex_init(&sched->exec_lock, NULL);
  net_cond_init(&sched->exec_cond);
  pthread_mutex_init(&sched->tree_lock, NULL);
  sched->slabs = g_ptr_array_new_with_free_func(free);

  sched->small_pool = net_buffer_pool_create("small", NET_SMALL_BUFFER_SIZE,
                                             o->small_buffers);
  sched->large_pool = net_buffer_pool_create("large", o->large_buffer_size,
                                             o->large_buffers);
  sched->medium_pool = net_buffer_pool_create("medium", NET_SCHEDULER_MEDIUM_SIZE,
                                              o->medium_buffers);
  sched->jumbo_pool = net_buffer_pool_create("jumbo", NET_SCHEDULER_JUMBO_SIZE,
                                             o->jumbo_buffers);
  if (!sched->small_pool || !sched->large_pool || !sched->medium_pool
      || !sched->jumbo_pool)
    return -ENOMEM;
  return 0;
}

void net_sched_common_clear(struct net_scheduler_s *sched)
{
  while (sched->caches)
    {
      struct net_task_cache_s *c = sched->caches;
      sched->caches = c->next;
      free(c);
    }
  if (sched->slabs)
    g_ptr_array_free(sched->slabs, TRUE);
  free(sched->heap);
  if (sched->small_pool)
    net_buffer_pool_refdec(sched->small_pool);
  if (sched->large_pool)
    net_buffer_pool_refdec(sched->large_pool);
  if (sched->medium_pool)
    net_buffer_pool_refdec(sched->medium_pool);
  if (sched->jumbo_pool)
    net_buffer_pool_refdec(sched->jumbo_pool);
  pthread_mutex_destroy(&sched->timer_lock);
  pthread_mutex_destroy(&sched->alloc_lock);
  pthread_mutex_destroy(&sched->exec_lock);
  pthread_cond_destroy(&sched->exec_cond);
  pthread_mutex_destroy(&sched->tree_lock);
}

struct net_task_cache_s *net_sched_cache_new(struct net_scheduler_s *sched)
{
  struct net_task_cache_s *cache = aligned_alloc(_Alignof(struct net_task_cache_s),
                                                 sizeof(*cache));
  if (!cache)
    return NULL;
  memset(cache, 0, sizeof(*cache));
  cache->sched = sched;
  pthread_mutex_lock(&sched->alloc_lock);
  atomic_store_explicit(&cache->limit,
                        atomic_load_explicit(&sched->alloc_starving, memory_order_relaxed)
                          ? 0 : NET_TASK_CACHE_MAX,
                        memory_order_relaxed);
  cache->next = sched->caches;
  sched->caches = cache;
  pthread_mutex_unlock(&sched->alloc_lock);
  return cache;
}

struct net_sched_tls_s net_sched_enter(struct net_scheduler_s *sched,
                                       struct net_task_cache_s *cache)
{
  struct net_sched_tls_s saved = net_sched_tls;
  net_sched_tls.sched = sched;
  net_sched_tls.cache = cache ? cache : &net_sched_no_cache;
  net_sched_tls.direct_depth = 0;
  return saved;
}

void net_sched_leave(struct net_sched_tls_s saved)
{
  net_sched_tls = saved;
}

void net_spin_lock_contended(atomic_uint *lock)
{
  unsigned spins = 0;
  do
    while (atomic_load_explicit(lock, memory_order_relaxed))
      if (++spins % 64 == 0)
        sched_yield();
#if defined(__x86_64__) || defined(__i386__)
      else
        __builtin_ia32_pause();
#endif
  while (atomic_exchange_explicit(lock, 1, memory_order_acquire));
}

int net_sched_enqueue(struct net_scheduler_s *sched, struct net_layer_s *layer)
{
  sched->backend->enqueue(sched, layer);
  return 0;
}

/* --- execution ownership --------------------------------------------- */

static void net_sched_wake_waiters(struct net_scheduler_s *sched)
{
  if (atomic_load(&sched->exec_waiters) == 0)
    return;
  pthread_mutex_lock(&sched->exec_lock);
  pthread_cond_broadcast(&sched->exec_cond);
  pthread_mutex_unlock(&sched->exec_lock);
}

static bool net_layer_exec_try(struct net_layer_s *layer, bool nest)
{
  struct net_layer_sched_s *ls = &layer->sched;
  bool ok = true;
  net_spin_lock(&ls->lock);
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed);
  if (!(st & NET_LAYER_RUNNING))
    {
      atomic_store_explicit(&ls->state, st | NET_LAYER_RUNNING, memory_order_relaxed);
      ls->owner = net_sched_self();
    }
  else if (nest && ls->owner == net_sched_self())
    ls->exec_depth++;
  else
    ok = false;
  net_spin_unlock(&ls->lock);
  return ok;
}

bool net_layer_exec_try_acquire(struct net_layer_s *layer)
{
  return net_layer_exec_try(layer, false);
}

void net_layer_exec_acquire(struct net_layer_s *layer)
{
  if (net_layer_exec_try(layer, true))
    return;
  struct net_scheduler_s *sched = layer->scheduler;
  pthread_mutex_lock(&sched->exec_lock);
  atomic_fetch_add(&sched->exec_waiters, 1);
  while (!net_layer_exec_try(layer, true))
    pthread_cond_wait(&sched->exec_cond, &sched->exec_lock);
  atomic_fetch_sub(&sched->exec_waiters, 1);
  pthread_mutex_unlock(&sched->exec_lock);
}

void net_layer_exec_release(struct net_layer_s *layer)
{
  struct net_layer_sched_s *ls = &layer->sched;
  struct net_scheduler_s *sched = layer->scheduler;
  net_spin_lock(&ls->lock);
  if (ls->exec_depth > 0)
    {
      ls->exec_depth--;
      net_spin_unlock(&ls->lock);
      return;
    }
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed) & ~NET_LAYER_RUNNING;
  bool enqueue = (ls->mbox_head || (st & NET_LAYER_PENDING_MASK))
                 && !(st & NET_LAYER_QUEUED);
  if (enqueue)
    st |= NET_LAYER_QUEUED;
  ls->owner = NULL;
  atomic_store_explicit(&ls->state, st, memory_order_relaxed);
  net_spin_unlock(&ls->lock);
  if (enqueue)
    sched->backend->enqueue(sched, layer);
  net_sched_wake_waiters(sched);
}

void net_layer_set_pending(struct net_layer_s *layer, unsigned bits)
{
  struct net_layer_sched_s *ls = &layer->sched;
  net_spin_lock(&ls->lock);
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed) | bits;
  bool enqueue = !(st & (NET_LAYER_QUEUED | NET_LAYER_RUNNING));
  if (enqueue)
    st |= NET_LAYER_QUEUED;
  atomic_store_explicit(&ls->state, st, memory_order_relaxed);
  net_spin_unlock(&ls->lock);
  if (enqueue)
    layer->scheduler->backend->enqueue(layer->scheduler, layer);
}

/* --- delivery -------------------------------------------------------- */

static inline bool net_task_is_stale(const struct net_task_s *task,
                                     const struct net_layer_s *target)
{
  return task->target_gen != net_layer_generation(target)
         || (task->source && task->source_gen != net_layer_generation(task->source));
}

static void __attribute__((noinline))
net_sched_cancelled(struct net_scheduler_s *sched, struct net_task_s *task)
{
  NET_SCHED_COUNT(sched, cancelled, 1);
  net_task_destroy(task);
}


static inline void net_mailbox_unlink(struct net_layer_sched_s *ls,
                                      struct net_task_s *task)
{
  if (task->prev)
    task->prev->next = task->next;
  else
    net_mailbox_set_head(ls, task->next);
  if (task->next)
    task->next->prev = task->prev;
  else
    ls->mbox_tail = task->prev;
  task->next = task->prev = NULL;
}

int net_sched_task_queue_slow(struct net_task_s *task)
{
  struct net_layer_s *target = task->target;
  struct net_scheduler_s *sched = target->scheduler;
  if (atomic_load_explicit(&sched->shutdown, memory_order_relaxed))
    {
      net_task_destroy(task);
      return -ESHUTDOWN;
    }
  NET_SCHED_COUNT(sched, pushed, 1);

  struct net_layer_sched_s *ls = &target->sched;
  net_spin_lock(&ls->lock);
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed);
  /* Direct dispatch: a target that is idle (not running, not queued,
     nothing pending, hence an empty mailbox) cannot have an earlier task
     from the same source waiting, so running it now keeps FIFO and
     serialisation. */
  if (st == 0 && sched->backend->direct && net_sched_tls.sched == sched
      && net_sched_tls.direct_depth < sched->options.direct_depth)
    {
      atomic_store_explicit(&ls->state, NET_LAYER_RUNNING, memory_order_relaxed);
      ls->owner = net_sched_self();
      net_spin_unlock(&ls->lock);
      /* Being delivered: no longer fresh (a re-push takes the general
         path, which handles the references the task now holds). */
      __atomic_store_n(&task->sched_state, NET_TASK_IDLE, __ATOMIC_RELAXED);
      net_sched_tls.direct_depth++;
      NET_SCHED_COUNT(sched, direct, 1);
      if (net_task_is_stale(task, target))
        net_sched_cancelled(sched, task);
      else
        {
          target->handler->task_handle(target, task);
          NET_SCHED_COUNT(sched, delivered, 1);
        }
      net_sched_tls.direct_depth--;
      net_layer_exec_release(target);
      return 0;
    }
  net_spin_unlock(&ls->lock);
  net_sched_mailbox_put(sched, task);
  return 0;
}

/* End of a run: give the layer up (re-queued if work is left), or
   destroy it when its last reference is gone and nothing is pending.
   Also adds the pushes counted in the layer to the thread's counters.
   Returns whether the layer must go back on the run queue (marked
   QUEUED: the caller hands it to the backend). */
static bool net_sched_layer_run_done(struct net_scheduler_s *sched,
                                     struct net_layer_s *layer,
                                     unsigned delivered)
{
  struct net_layer_sched_s *ls = &layer->sched;
  net_spin_lock(&ls->lock);
  unsigned pushed = net_mailbox_pushed_take(ls);
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed);
  bool destroy = !ls->mbox_head && (st & NET_LAYER_PENDING_MASK) == NET_LAYER_PENDING_DESTROY;
  bool enqueue = false;
  if (destroy)
    /* Refcount is 0: no task can target the layer any more, and we
       keep ownership while it is torn down. */
    st &= ~NET_LAYER_PENDING_DESTROY;
  else
    {
      /* A run owns the layer without nesting (exec_depth is 0). */
      st &= ~NET_LAYER_RUNNING;
      enqueue = ls->mbox_head || (st & NET_LAYER_PENDING_MASK);
      if (enqueue)
        st |= NET_LAYER_QUEUED;
      ls->owner = NULL;
    }
  atomic_store_explicit(&ls->state, st, memory_order_relaxed);
  net_spin_unlock(&ls->lock);
  if (pushed)
    NET_SCHED_COUNT(sched, pushed, pushed);
  if (delivered)
    NET_SCHED_COUNT(sched, delivered, delivered);
  if (destroy)
    net_layer_destroy_now(layer);
  else
    net_sched_wake_waiters(sched);
  return enqueue;
}

/* Take up to @p max tasks off the head of the mailbox; spinlock held.
   Taken tasks are "being delivered": idle again, no longer cancellable. */
static inline __attribute__((always_inline)) struct net_task_s *
net_mailbox_take(struct net_layer_sched_s *ls, unsigned max, unsigned *taken)
{
  struct net_task_s *batch = ls->mbox_head, *t = batch, *last;
  if (!batch)
    return NULL;
  if (batch == ls->mbox_tail)
    {
      /* A single task (a layer feeding itself): no list to cut. */
      __atomic_store_n(&batch->sched_state, NET_TASK_IDLE, __ATOMIC_RELAXED);
      net_mailbox_set_head(ls, NULL);
      ls->mbox_tail = NULL;
      *taken = 1;
      return batch;
    }
  unsigned n = 0;
  do
    {
      __atomic_store_n(&t->sched_state, NET_TASK_IDLE, __ATOMIC_RELAXED);
      last = t;
      t = t->next;
      n++;
    }
  while (t && n < max);
  last->next = NULL;
  net_mailbox_set_head(ls, t);
  if (t)
    t->prev = NULL;
  else
    ls->mbox_tail = NULL;
  *taken = n;
  return batch;
}

/* A run during shutdown: every task it takes is cancelled. */
static bool __attribute__((noinline))
net_sched_layer_run_cancel(struct net_scheduler_s *sched, struct net_layer_s *layer,
                           struct net_task_s *batch)
{
  struct net_layer_sched_s *ls = &layer->sched;
  unsigned taken;
  while (batch)
    {
      do
        {
          struct net_task_s *next = batch->next;
          net_sched_cancelled(sched, batch);
          batch = next;
        }
      while (batch);
      net_spin_lock(&ls->lock);
      batch = net_mailbox_take(ls, UINT_MAX, &taken);
      net_spin_unlock(&ls->lock);
    }
  return net_sched_layer_run_done(sched, layer, 0);
}

bool net_sched_layer_run(struct net_scheduler_s *sched, struct net_layer_s *layer)
{
  struct net_layer_sched_s *ls = &layer->sched;
  net_spin_lock(&ls->lock);
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed) & ~NET_LAYER_QUEUED;
  if (st & NET_LAYER_RUNNING)
    {
      /* Owned by a thread inside net_layer_bind/unbind: its release
         re-queues the layer if work is left. */
      atomic_store_explicit(&ls->state, st, memory_order_relaxed);
      net_spin_unlock(&ls->lock);
      return false;
    }
  unsigned pending = st & (NET_LAYER_PENDING_CONTEXT | NET_LAYER_PENDING_DANGLING);
  st = (st & ~pending) | NET_LAYER_RUNNING;
  ls->owner = net_sched_self();
  atomic_store_explicit(&ls->state, st, memory_order_relaxed);

  /* Take tasks out of the mailbox so pushes to this layer while it runs
     (from its own handler or other threads) do not contend with delivery;
     taken tasks are no longer cancellable.  The run delivers up to
     options.batch tasks, refilling from the mailbox, so a layer feeding
     itself does not go through the run queue for every task. */
  unsigned budget = sched->options.batch, taken = 0;
  struct net_task_s *batch = net_mailbox_take(ls, budget, &taken);
  net_spin_unlock(&ls->lock);

  if (pending)
    net_layer_apply_pending(layer, pending);
  if (__builtin_expect(atomic_load_explicit(&sched->shutdown, memory_order_relaxed), 0))
    return net_sched_layer_run_cancel(sched, layer, batch);
  /* Delivered: what the budget went down by, less the stale tasks. */
  unsigned stale = 0;
  while (batch)
    {
      budget -= taken;
      do
        {
          struct net_task_s *next = batch->next;
          if (__builtin_expect(net_task_is_stale(batch, layer), 0))
            {
              net_sched_cancelled(sched, batch);
              stale++;
            }
          else
            layer->handler->task_handle(layer, batch);
          batch = next;
        }
      while (batch);
      /* Nothing new: no lock round trip.  A push racing with this peek
         finds the layer running and leaves it to run_done, which sees
         the task and re-queues the layer. */
      if (budget == 0 || !__atomic_load_n(&ls->mbox_head, __ATOMIC_RELAXED))
        break;
      net_spin_lock(&ls->lock);
      if (!(atomic_load_explicit(&ls->state, memory_order_relaxed)
            & (NET_LAYER_PENDING_CONTEXT | NET_LAYER_PENDING_DANGLING)))
        batch = net_mailbox_take(ls, budget, &taken);
      net_spin_unlock(&ls->lock);
    }
  return net_sched_layer_run_done(sched, layer,
                                  sched->options.batch - budget - stale);
}

/* --- timers ------------------------------------------------------------ */

static inline bool net_timer_before(const struct net_timer_entry_s *a,
                                    const struct net_timer_entry_s *b)
{
  return a->deadline < b->deadline
         || (a->deadline == b->deadline && a->seq < b->seq);
}

static inline void net_heap_set(struct net_scheduler_s *sched, size_t i,
                                struct net_timer_entry_s e)
{
  sched->heap[i] = e;
  e.task->timeout.heap_index = (uint32_t)i;
}

static void net_heap_sift_up(struct net_scheduler_s *sched, size_t i)
{
  struct net_timer_entry_s e = sched->heap[i];
  while (i > 0)
    {
      size_t parent = (i - 1) / 2;
      if (!net_timer_before(&e, &sched->heap[parent]))
        break;
      net_heap_set(sched, i, sched->heap[parent]);
      i = parent;
    }
  net_heap_set(sched, i, e);
}

static void net_heap_sift_down(struct net_scheduler_s *sched, size_t i)
{
  struct net_timer_entry_s e = sched->heap[i];
  size_t n = sched->heap_len;
  for (;;)
    {
      size_t c = 2 * i + 1;
      if (c >= n)
        break;
      if (c + 1 < n && net_timer_before(&sched->heap[c + 1], &sched->heap[c]))
        c++;
      if (!net_timer_before(&sched->heap[c], &e))
        break;
      net_heap_set(sched, i, sched->heap[c]);
      i = c;
    }
  net_heap_set(sched, i, e);
}

/* Remove a timer from the heap and from its target's timer list; caller
   holds timer_lock. */
static void net_timer_remove(struct net_scheduler_s *sched, struct net_task_s *task)
{
  size_t i = task->timeout.heap_index;
  size_t last = --sched->heap_len;
  if (i != last)
    {
      net_heap_set(sched, i, sched->heap[last]);
      if (i > 0 && net_timer_before(&sched->heap[i], &sched->heap[(i - 1) / 2]))
        net_heap_sift_up(sched, i);
      else
        net_heap_sift_down(sched, i);
    }
  struct net_layer_sched_s *ls = &task->target->sched;
  if (task->prev)
    task->prev->next = task->next;
  else
    ls->timers = task->next;
  if (task->next)
    task->next->prev = task->prev;
  task->next = task->prev = NULL;
  __atomic_store_n(&task->sched_state, NET_TASK_IDLE, __ATOMIC_RELAXED);
}

int net_sched_timer_arm(struct net_task_s *task)
{
  struct net_layer_s *target = task->target;
  struct net_scheduler_s *sched = target->scheduler;
  if (atomic_load_explicit(&sched->shutdown, memory_order_relaxed))
    {
      net_task_destroy(task);
      return -ESHUTDOWN;
    }
  pthread_mutex_lock(&sched->timer_lock);
  if (sched->heap_len == sched->heap_cap)
    {
      size_t cap = sched->heap_cap ? sched->heap_cap * 2 : 64;
      struct net_timer_entry_s *heap = cap <= UINT32_MAX
        ? realloc(sched->heap, cap * sizeof(*heap)) : NULL;
      if (!heap)
        {
          pthread_mutex_unlock(&sched->timer_lock);
          net_task_destroy(task);
          return -ENOMEM;
        }
      sched->heap = heap;
      sched->heap_cap = cap;
    }
  NET_SCHED_COUNT(sched, pushed, 1);
  size_t i = sched->heap_len++;
  sched->heap[i] = (struct net_timer_entry_s){
    .deadline = task->timeout.deadline, .seq = sched->timer_seq++, .task = task };
  net_heap_sift_up(sched, i);
  struct net_layer_sched_s *ls = &target->sched;
  task->prev = NULL;
  task->next = ls->timers;
  if (ls->timers)
    ls->timers->prev = task;
  ls->timers = task;
  __atomic_store_n(&task->sched_state, NET_TASK_TIMER, __ATOMIC_RELAXED);
  bool first = task->timeout.heap_index == 0;
  pthread_mutex_unlock(&sched->timer_lock);
  if (first)
    sched->backend->timers_changed(sched);
  return 0;
}

static bool net_timer_due(const struct net_timer_entry_s *e, net_time_t now)
{
  return e->deadline <= now || e->deadline - now <= e->task->timeout.precision;
}

size_t net_sched_timers_expire(struct net_scheduler_s *sched, net_time_t now)
{
  size_t n = 0;
  /* Moving to the mailboxes under timer_lock keeps deadline order when
     two threads expire at once (threaded: poller and run_until_idle) and
     leaves no window where cancel finds the task nowhere.  Lock order:
     timer_lock, then a layer spinlock, then the run queue. */
  pthread_mutex_lock(&sched->timer_lock);
  while (sched->heap_len > 0 && net_timer_due(&sched->heap[0], now))
    {
      struct net_task_s *task = sched->heap[0].task;
      net_timer_remove(sched, task);
      net_sched_mailbox_put(sched, task);
      n++;
    }
  pthread_mutex_unlock(&sched->timer_lock);
  if (n)
    NET_SCHED_COUNT(sched, timers_fired, n);
  return n;
}

net_time_t net_sched_timers_next(struct net_scheduler_s *sched)
{
  pthread_mutex_lock(&sched->timer_lock);
  net_time_t t = sched->heap_len ? sched->heap[0].deadline : NET_TIME_NEVER;
  pthread_mutex_unlock(&sched->timer_lock);
  return t;
}

/* --- cancellation ---------------------------------------------------- */

bool net_scheduler_task_cancel(struct net_scheduler_s *sched,
                               struct net_task_s *task)
{
  g_return_val_if_fail(sched != NULL, false);
  g_return_val_if_fail(task != NULL, false);
  for (;;)
    {
      uint32_t state = __atomic_load_n(&task->sched_state, __ATOMIC_ACQUIRE);
      if (state == NET_TASK_TIMER)
        {
          pthread_mutex_lock(&sched->timer_lock);
          if (__atomic_load_n(&task->sched_state, __ATOMIC_RELAXED) != NET_TASK_TIMER)
            {
              pthread_mutex_unlock(&sched->timer_lock);
              continue;
            }
          net_timer_remove(sched, task);
          pthread_mutex_unlock(&sched->timer_lock);
          net_sched_cancelled(sched, task);
          return true;
        }
      if (state == NET_TASK_MAILBOX)
        {
          struct net_layer_s *target = task->target;
          struct net_layer_sched_s *ls = &target->sched;
          net_spin_lock(&ls->lock);
          if (__atomic_load_n(&task->sched_state, __ATOMIC_RELAXED) != NET_TASK_MAILBOX
              || task->target != target)
            {
              net_spin_unlock(&ls->lock);
              continue;
            }
          net_mailbox_unlink(ls, task);
          __atomic_store_n(&task->sched_state, NET_TASK_IDLE, __ATOMIC_RELAXED);
          unsigned pushed = net_mailbox_pushed_take(ls);
          net_spin_unlock(&ls->lock);
          if (pushed)
            NET_SCHED_COUNT(sched, pushed, pushed);
          net_sched_cancelled(sched, task);
          return true;
        }
      return false;
    }
}

void net_sched_layer_cancel_all(struct net_scheduler_s *sched,
                                struct net_layer_s *layer)
{
  struct net_layer_sched_s *ls = &layer->sched;
  net_spin_lock(&ls->lock);
  struct net_task_s *queued = ls->mbox_head;
  net_mailbox_set_head(ls, NULL);
  ls->mbox_tail = NULL;
  for (struct net_task_s *t = queued; t; t = t->next)
    __atomic_store_n(&t->sched_state, NET_TASK_IDLE, __ATOMIC_RELAXED);
  unsigned pushed = net_mailbox_pushed_take(ls);
  net_spin_unlock(&ls->lock);
  if (pushed)
    NET_SCHED_COUNT(sched, pushed, pushed);

  struct net_task_s *timers = NULL;
  pthread_mutex_lock(&sched->timer_lock);
  while (ls->timers)
    {
      struct net_task_s *t = ls->timers;
      net_timer_remove(sched, t);
      t->next = timers;
      timers = t;
    }
  pthread_mutex_unlock(&sched->timer_lock);

  for (struct net_task_s *list[2] = {queued, timers}, **l = list; l < list + 2; l++)
    while (*l)
      {
        struct net_task_s *next = (*l)->next;
        (*l)->next = (*l)->prev = NULL;
        net_sched_cancelled(sched, *l);
        *l = next;
      }
}

/* --- public API ------------------------------------------------------ */

void net_scheduler_run(struct net_scheduler_s *sched)
{
  g_return_if_fail(sched != NULL);
  sched->backend->run(sched);
}

void net_scheduler_quit(struct net_scheduler_s *sched)
{
  g_return_if_fail(sched != NULL);
  sched->backend->quit(sched);
}

void net_scheduler_run_until_idle(struct net_scheduler_s *sched)
{
  g_return_if_fail(sched != NULL);
  g_return_if_fail(net_sched_tls.sched != sched);
  sched->backend->run_until_idle(sched);
}

void net_scheduler_run_for(struct net_scheduler_s *sched, net_time_t duration)
{
  g_return_if_fail(sched != NULL);
  g_return_if_fail(net_sched_tls.sched != sched);
  sched->backend->run_for(sched, duration);
}

struct net_fd_watch_s *net_scheduler_fd_watch(struct net_scheduler_s *sched,
                                              struct net_layer_s *layer,
                                              int fd, GIOCondition events)
{
  g_return_val_if_fail(sched != NULL, NULL);
  g_return_val_if_fail(layer != NULL, NULL);
  g_return_val_if_fail(layer->scheduler == sched, NULL);
  g_return_val_if_fail(fd >= 0, NULL);
  g_return_val_if_fail(events != 0, NULL);
  return sched->backend->fd_watch(sched, layer, fd, events);
}

void net_scheduler_fd_rearm(struct net_fd_watch_s *watch)
{
  g_return_if_fail(watch != NULL);
  watch->sched->backend->fd_rearm(watch);
}

void net_scheduler_fd_unwatch(struct net_fd_watch_s *watch)
{
  if (!watch)
    return;
  watch->sched->backend->fd_unwatch(watch);
}

struct net_buffer_pool_s *net_scheduler_small_pool(struct net_scheduler_s *sched)
{
  g_return_val_if_fail(sched != NULL, NULL);
  return sched->small_pool;
}

struct net_buffer_pool_s *net_scheduler_large_pool(struct net_scheduler_s *sched)
{
  g_return_val_if_fail(sched != NULL, NULL);
  return sched->large_pool;
}

struct net_buffer_pool_s *net_scheduler_medium_pool(struct net_scheduler_s *sched)
{
  g_return_val_if_fail(sched != NULL, NULL);
  return sched->medium_pool;
}

struct net_buffer_pool_s *net_scheduler_jumbo_pool(struct net_scheduler_s *sched)
{
  g_return_val_if_fail(sched != NULL, NULL);
  return sched->jumbo_pool;
}

struct net_buffer_s *net_scheduler_buffer_alloc(struct net_scheduler_s *sched,
                                                size_t headroom, size_t size)
{
  g_return_val_if_fail(sched != NULL, NULL);
  size_t need = headroom + size;
  if (need < headroom)
    return NULL;
  /* A small packet falls back to the large pool when the small one is
     exhausted: a control packet is worth a big buffer. */
  if (need <= net_buffer_pool_buffer_size(sched->small_pool))
    {
      struct net_buffer_s *buf = net_buffer_alloc(sched->small_pool, headroom);
      if (buf)
        return buf;
    }
  if (need <= net_buffer_pool_buffer_size(sched->large_pool))
    return net_buffer_alloc(sched->large_pool, headroom);
  if (need <= NET_SCHEDULER_MEDIUM_SIZE
      && need > net_buffer_pool_buffer_size(sched->large_pool))
    {
      /* A medium request falls back to a jumbo buffer too. */
      struct net_buffer_s *buf = net_buffer_alloc(sched->medium_pool, headroom);
      if (buf)
        return buf;
    }
  if (need <= NET_SCHEDULER_JUMBO_SIZE)
    return net_buffer_alloc(sched->jumbo_pool, headroom);
  return NULL;
}

struct net_buffer_s *net_layer_buffer_alloc(struct net_layer_s *layer, size_t size)
{
  g_return_val_if_fail(layer != NULL, NULL);
  return net_scheduler_buffer_alloc(layer->scheduler, layer->context.prefix_size,
                                    size);
}

static void net_counters_add(struct net_scheduler_stats_s *st,
                             const struct net_sched_counters_s *c)
{
  st->pushed += atomic_load_explicit(&c->pushed, memory_order_relaxed);
  st->delivered += atomic_load_explicit(&c->delivered, memory_order_relaxed);
  st->cancelled += atomic_load_explicit(&c->cancelled, memory_order_relaxed);
  st->timers_fired += atomic_load_explicit(&c->timers_fired, memory_order_relaxed);
  st->direct += atomic_load_explicit(&c->direct, memory_order_relaxed);
}

void net_scheduler_stats(const struct net_scheduler_s *csched,
                         struct net_scheduler_stats_s *stats)
{
  g_return_if_fail(csched != NULL);
  g_return_if_fail(stats != NULL);
  struct net_scheduler_s *sched = (struct net_scheduler_s *)csched;
  memset(stats, 0, sizeof(*stats));
  pthread_mutex_lock(&sched->alloc_lock);
  size_t nfree = sched->nfree;
  for (struct net_task_cache_s *c = sched->caches; c; c = c->next)
    {
      net_counters_add(stats, &c->counters);
      nfree += atomic_load_explicit(&c->nfree, memory_order_relaxed);
    }
  net_counters_add(stats, &sched->shared);
  /* A cache's count is read while its thread may be moving tasks: the
     snapshot is exact only when the scheduler is idle. */
  stats->live_tasks = sched->carved > nfree ? sched->carved - nfree : 0;
  pthread_mutex_unlock(&sched->alloc_lock);
  stats->alloc_failures = atomic_load(&sched->alloc_failures);
  stats->live_layers = atomic_load(&sched->live_layers);
}

/* --- teardown -------------------------------------------------------- */

void net_scheduler_destroy(struct net_scheduler_s *sched)
{
  if (!sched)
    return;
  g_return_if_fail(net_sched_tls.sched != sched);

  atomic_store(&sched->shutdown, true);
  atomic_store(&sched->push_slow, true);
  sched->backend->stop(sched);

  /* Single-threaded from here on: cancel every timer, then run every
     queued layer with cancellation on; cancelled tasks drop references,
     which queues more layers for destruction (whose destroyed handlers
     unwatch their fds), until nothing is left.  Only then are watches
     still registered reported and removed. */
  struct net_sched_tls_s saved = net_sched_enter(sched, NULL);
  for (;;)
    {
      pthread_mutex_lock(&sched->timer_lock);
      while (sched->heap_len > 0)
        {
          struct net_task_s *task = sched->heap[0].task;
          net_timer_remove(sched, task);
          pthread_mutex_unlock(&sched->timer_lock);
          net_sched_cancelled(sched, task);
          pthread_mutex_lock(&sched->timer_lock);
        }
      pthread_mutex_unlock(&sched->timer_lock);
      struct net_layer_s *layer = sched->backend->dequeue(sched);
      if (layer)
        {
          if (net_sched_layer_run(sched, layer))
            sched->backend->enqueue(sched, layer);
        }
      else if (!sched->backend->unwatch_leftovers(sched))
        break;
    }
  net_sched_leave(saved);

  struct net_scheduler_stats_s st;
  net_scheduler_stats(sched, &st);
  if (st.live_layers)
    g_critical("scheduler destroyed with %zu layer(s) still referenced", st.live_layers);
  if (st.live_tasks)
    {
      /* Their memory is in the slabs: leak the slabs rather than let the
         holders write to freed memory. */
      g_critical("scheduler destroyed with %zu task(s) still allocated",
                 st.live_tasks);
      sched->slabs = NULL;
    }
  net_sched_common_clear(sched);
  sched->backend->free(sched);
}
