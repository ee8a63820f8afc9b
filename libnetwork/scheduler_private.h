/*
 * Scheduler internals shared by the core (layer.c, task.c, scheduler.c)
 * and the backends (schedulers/loop.c, schedulers/threaded.c).
 *
 * Split of work: the core owns everything both backends need to keep the
 * guarantees of net/scheduler.h the same way — per-layer mailboxes and
 * their spinlock, the per-layer execution state (who runs the layer), the
 * timer heap, the task allocator, generations, deferred destruction and
 * the final drain.  A backend only decides which thread runs a runnable
 * layer and when, how it sleeps and wakes, and how it polls fds.
 */
#ifndef NET_SCHEDULER_PRIVATE_H_
#define NET_SCHEDULER_PRIVATE_H_

#include <net/layer.h>
#include <net/task.h>
#include <net/scheduler.h>
#include <net/buffer.h>
#include <sched.h>
#include <time.h>
#include <pthread.h>

/* Everything declared here is internal to the library: hidden, so calls
   between its files are direct (no PLT) and cannot be interposed. */
#pragma GCC visibility push(hidden)

/* Bits of net_layer_sched_s::state, changed under the layer spinlock. */
enum
{
  /* The layer is on its scheduler's run queue (at most once). */
  NET_LAYER_QUEUED = 1u << 0,
  /* A thread owns the layer's execution (sched.owner): it runs a batch,
     or it is inside net_layer_bind/unbind with the layer as parent. */
  NET_LAYER_RUNNING = 1u << 1,
  /* Work to do in the layer's own context at its next run. */
  NET_LAYER_PENDING_CONTEXT = 1u << 2,
  NET_LAYER_PENDING_DANGLING = 1u << 3,
  NET_LAYER_PENDING_DESTROY = 1u << 4,
  NET_LAYER_PENDING_MASK = NET_LAYER_PENDING_CONTEXT
                         | NET_LAYER_PENDING_DANGLING
                         | NET_LAYER_PENDING_DESTROY,
};

/* Where a task is (net_task_s::sched_state).  Written under the lock of
   the structure that holds the task (target spinlock for MAILBOX, timer
   lock for TIMER), read without lock by net_scheduler_task_cancel() to
   pick the lock to take. */
enum
{
  NET_TASK_IDLE = 0,    /* taken for delivery (not cancellable), or reused */
  NET_TASK_MAILBOX = 1, /* in task->target's mailbox */
  NET_TASK_TIMER = 2,   /* in the timer heap */
  /* Allocated or initialised and never pushed since: no layer reference,
     no buffer.  The push helpers' fast path tests this one value instead
     of the state, the type and both layer pointers. */
  NET_TASK_FRESH = 4,
  NET_TASK_QUEUED = NET_TASK_MAILBOX | NET_TASK_TIMER,
};

/* Counters one thread updates without atomic read-modify-write (relaxed
   load + store): only the owning thread writes, any thread reads. */
struct net_sched_counters_s
{
  atomic_uint_least64_t pushed;
  atomic_uint_least64_t delivered;
  atomic_uint_least64_t cancelled;
  atomic_uint_least64_t timers_fired;
  atomic_uint_least64_t direct;
};

/* Tasks are carved in slabs of this many; caches move tasks from and to
   the shared free list by slabs. */
#define NET_TASK_SLAB 64
/* Capacity of a per-thread task cache. */
#define NET_TASK_CACHE_MAX (4 * NET_TASK_SLAB)

/* A per-thread task cache: a private stack of free tasks and counters,
   used by the thread that runs the scheduler (loop) or by each worker
   (threaded).  A stack of pointers rather than a list threaded through
   the tasks: allocation reads no task memory to find the next one, and
   the count is the stack index (no separate counter to keep). */
struct net_task_cache_s
{
  struct net_scheduler_s *sched;
  atomic_size_t nfree;   /* tasks in slot[]: written by the owner only */
  /* Frees beyond this go to the slow path: NET_TASK_CACHE_MAX, or 0
     while the scheduler starves (alloc_starving), so that a free during
     starvation is handed to the shared list without the fast path
     testing a second flag.  Written under alloc_lock, read by the owner. */
  atomic_size_t limit;
  struct net_sched_counters_s counters;
  struct net_task_cache_s *next; /* scheduler's list of caches */
  struct net_task_s *slot[NET_TASK_CACHE_MAX];
} __attribute__((aligned(64))); /* one thread's lines, no false sharing */

/* State of the calling thread. */
struct net_sched_tls_s
{
  /* Scheduler whose context this thread is in (dispatching), or NULL. */
  struct net_scheduler_s *sched;
  /* Task cache of this thread for @c sched, never NULL: a thread without
     one points to net_sched_no_cache, whose scheduler matches no task's,
     so the fast paths test one condition (the scheduler) instead of two. */
  struct net_task_cache_s *cache;
  /* Nested direct dispatches on the stack. */
  unsigned direct_depth;
};

extern __thread struct net_sched_tls_s net_sched_tls
  __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* The cache of threads that have none (no scheduler, empty, limit 0);
   never written. */
extern struct net_task_cache_s net_sched_no_cache;

/* Identity of the calling thread, as stored in net_layer_sched_s::owner. */
static inline const void *net_sched_self(void)
{
  return &net_sched_tls;
}

/* One entry of the timer min-heap: ordered by deadline, then by arming
   order so equal deadlines fire in push order. */
struct net_timer_entry_s
{
  net_time_t deadline;
  uint64_t seq;
  struct net_task_s *task;
};

struct net_sched_backend_s
{
  const char *name;
  /* Direct dispatch is allowed (loop backend). */
  bool direct;
  /* @p layer just got NET_LAYER_QUEUED: put it on the run queue and wake
     a thread that will run it (any thread). */
  void (*enqueue)(struct net_scheduler_s *sched, struct net_layer_s *layer);
  /* Take the next layer of the run queue, or NULL (final drain). */
  struct net_layer_s *(*dequeue)(struct net_scheduler_s *sched);
  /* The earliest deadline moved earlier: wake whoever sleeps on it. */
  void (*timers_changed)(struct net_scheduler_s *sched);
  void (*run)(struct net_scheduler_s *sched);
  void (*quit)(struct net_scheduler_s *sched);
  void (*run_until_idle)(struct net_scheduler_s *sched);
  void (*run_for)(struct net_scheduler_s *sched, net_time_t duration);
  struct net_fd_watch_s *(*fd_watch)(struct net_scheduler_s *sched,
                                     struct net_layer_s *layer, int fd,
                                     GIOCondition events);
  void (*fd_rearm)(struct net_fd_watch_s *watch);
  void (*fd_unwatch)(struct net_fd_watch_s *watch);
  /* Stop every thread of the backend and stop polling fds; no handler
     runs after it returns except from the caller's own drain.  Watches
     stay registered: the layers destroyed by the drain still unwatch. */
  void (*stop)(struct net_scheduler_s *sched);
  /* Once the drain ran out of layers: report (g_critical) and remove the
     watches still registered (their layers are still referenced, or
     forgot to unwatch).  Returns whether it removed any: that may drop
     references, so the drain goes on. */
  bool (*unwatch_leftovers)(struct net_scheduler_s *sched);
  /* Free the backend (after the drain); frees @p sched itself. */
  void (*free)(struct net_scheduler_s *sched);
};

/* A scheduler; each backend embeds it as its first member. */
struct net_scheduler_s
{
  /* Read by every push and every run, on every thread, and (almost) never
     written: kept apart from the locks and counters below, which other
     threads write (a timer armed on one core must not evict the line
     every push on the other cores reads). */
  const struct net_sched_backend_s *backend;
  struct net_scheduler_options_s options;
  atomic_bool shutdown;
  /* Pushes take net_sched_task_queue_slow(): shutdown or direct dispatch. */
  atomic_bool push_slow;
  /* Threads waiting for a busy layer (net_layer_bind/unbind); read at the
     end of every run. */
  atomic_uint exec_waiters;
  /* Set when an allocation failed at the task limit: caches then return
     freed tasks to the shared list instead of keeping them, so that free
     tasks do not sit unreachable in one thread's cache while another
     thread finds none.  Cleared by the next allocation from that list.
     Mirrored in every cache's limit (written under alloc_lock), which
     is what the free fast path reads. */
  atomic_bool alloc_starving;
  struct net_buffer_pool_s *small_pool;
  struct net_buffer_pool_s *large_pool;
  struct net_buffer_pool_s *medium_pool;
  struct net_buffer_pool_s *jumbo_pool;
  char hot_end[64]; /* fields 64 bytes apart never share a cache line */

  atomic_uint_least64_t virtual_now;

  /* Timers: a binary min-heap under timer_lock. */
  pthread_mutex_t timer_lock;
  struct net_timer_entry_s *heap;
  size_t heap_len;
  size_t heap_cap;
  uint64_t timer_seq;

  /* Task allocator: slabs, a shared free list, per-thread caches; live
     tasks = carved - tasks on free lists. */
  pthread_mutex_t alloc_lock;
  struct net_task_s *free;
  size_t nfree;
  size_t carved;
  GPtrArray *slabs;
  struct net_task_cache_s *caches;
  struct net_sched_counters_s shared; /* threads without a cache (atomic RMW) */
  atomic_uint_least64_t alloc_failures;
  atomic_size_t live_layers;

  /* Threads waiting for a busy layer (with exec_waiters). */
  pthread_mutex_t exec_lock;
  pthread_cond_t exec_cond;

  /* Parent pointers and children lists. */
  pthread_mutex_t tree_lock;
};

/* Locks are pthread ones, not GMutex: GLib's futex-based GMutex is
   invisible to ThreadSanitizer.  Condition variables wait on
   CLOCK_MONOTONIC, the scheduler clock. */
static inline void net_cond_init(pthread_cond_t *cond)
{
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(cond, &attr);
  pthread_condattr_destroy(&attr);
}

/* Spinlock of a layer: critical sections are a few list operations, so
   spinning beats a futex.  The uncontended case is one exchange inline;
   waiting (and yielding when the holder was preempted) is out of line. */
void net_spin_lock_contended(atomic_uint *lock);

static inline __attribute__((always_inline)) void net_spin_lock(atomic_uint *lock)
{
  if (__builtin_expect(atomic_exchange_explicit(lock, 1, memory_order_acquire), 0))
    net_spin_lock_contended(lock);
}

static inline void net_spin_unlock(atomic_uint *lock)
{
  atomic_store_explicit(lock, 0, memory_order_release);
}

static inline void net_sched_count(struct net_scheduler_s *sched,
                                   size_t offset, uint64_t n)
{
  struct net_task_cache_s *cache = net_sched_tls.cache;
  if (cache->sched == sched)
    {
      atomic_uint_least64_t *c = (atomic_uint_least64_t *)(void *)((char *)&cache->counters + offset);
      atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                            memory_order_relaxed);
    }
  else
    atomic_fetch_add_explicit((atomic_uint_least64_t *)(void *)((char *)&sched->shared + offset),
                              n, memory_order_relaxed);
}

#define NET_SCHED_COUNT(sched, field, n) \
  net_sched_count((sched), offsetof(struct net_sched_counters_s, field), (n))

/* Reference helpers for the hot paths (net_layer_refinc/refdec without
   the argument checks); the slow path of the put handles the last
   reference and underflows. */
static inline struct net_layer_s *net_layer_ref_get(struct net_layer_s *layer)
{
  atomic_fetch_add_explicit(&layer->refcount, 1, memory_order_relaxed);
  return layer;
}

void net_layer_ref_put_slow(struct net_layer_s *layer, unsigned old);

static inline void net_layer_ref_put(struct net_layer_s *layer)
{
  unsigned old = atomic_fetch_sub_explicit(&layer->refcount, 1, memory_order_acq_rel);
  if (__builtin_expect(old <= 1, 0))
    net_layer_ref_put_slow(layer, old);
}

/* --- scheduler.c: construction and teardown ------------------------- */

/* Fill the common part of a new scheduler (options with defaults). */
int net_sched_common_init(struct net_scheduler_s *sched,
                          const struct net_sched_backend_s *backend,
                          const struct net_scheduler_options_s *options);

/* Free what net_sched_common_init() set up (also after a failed init).
   Task slabs are kept (leaked) when tasks are still allocated. */
void net_sched_common_clear(struct net_scheduler_s *sched);

/* A task cache for one thread, registered with the scheduler. */
struct net_task_cache_s *net_sched_cache_new(struct net_scheduler_s *sched);

/* Enter / leave the scheduler context on the calling thread; returns the
   previous state to restore. */
struct net_sched_tls_s net_sched_enter(struct net_scheduler_s *sched,
                                       struct net_task_cache_s *cache);
void net_sched_leave(struct net_sched_tls_s saved);

/* --- scheduler.c: execution ----------------------------------------- */

/* Run one batch of a layer taken from the run queue (any backend thread).
   Returns true when work is left: the layer is then marked QUEUED and the
   caller puts it back on the run queue (with its next dequeue, in one
   critical section, when it can). */
bool net_sched_layer_run(struct net_scheduler_s *sched,
                         struct net_layer_s *layer);

/* The mailbox head is written under the layer spinlock, and also read
   without it by a run that peeks for more work (a relaxed atomic store is
   a plain store). */
static inline void net_mailbox_set_head(struct net_layer_sched_s *ls,
                                        struct net_task_s *task)
{
  __atomic_store_n(&ls->mbox_head, task, __ATOMIC_RELAXED);
}

/* Append to the target's mailbox; caller holds the target's spinlock. */
static inline void net_mailbox_append(struct net_layer_sched_s *ls,
                                      struct net_task_s *task)
{
  task->next = NULL;
  task->prev = ls->mbox_tail;
  if (ls->mbox_tail)
    ls->mbox_tail->next = task;
  else
    net_mailbox_set_head(ls, task);
  ls->mbox_tail = task;
  /* Release: a canceller that reads MAILBOX (acquire) sees the task's
     fields as the pusher wrote them. */
  __atomic_store_n(&task->sched_state, NET_TASK_MAILBOX, __ATOMIC_RELEASE);
}

/* Put a task in its target's mailbox; returns whether the target just
   became runnable (the caller then hands it to backend->enqueue).  With
   @p count, the push is counted in the target (one add under the lock we
   hold anyway, instead of finding the thread's counters), and added to
   the thread's counters when the target takes or cancels its tasks. */
static inline __attribute__((always_inline))
bool net_sched_mailbox_add(struct net_task_s *task, struct net_layer_s *target,
                           bool count)
{
  struct net_layer_sched_s *ls = &target->sched;
  net_spin_lock(&ls->lock);
  net_mailbox_append(ls, task);
  if (count)
    ls->pushed++;
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed);
  bool enqueue = !(st & (NET_LAYER_QUEUED | NET_LAYER_RUNNING));
  if (enqueue)
    atomic_store_explicit(&ls->state, st | NET_LAYER_QUEUED, memory_order_relaxed);
  net_spin_unlock(&ls->lock);
  return enqueue;
}

/* backend->enqueue(), then 0: out of line so that a push ends in a tail
   call and its fast path needs few registers. */
int net_sched_enqueue(struct net_scheduler_s *sched, struct net_layer_s *layer);

/* Put a task in its target's mailbox and make the target runnable. */
static inline __attribute__((always_inline))
void net_sched_mailbox_put(struct net_scheduler_s *sched, struct net_task_s *task)
{
  /* Once in the mailbox the task belongs to whoever runs the target. */
  struct net_layer_s *target = task->target;
  if (net_sched_mailbox_add(task, target, false))
    net_sched_enqueue(sched, target);
}

/* Queue a pushed task (@p target is task->target, which the caller has
   at hand).  Shutdown and direct dispatch take the slow path, and so does
   a busy target spinlock: the fast path makes no call but tail calls, so
   it saves no register. */
int net_sched_task_queue_slow(struct net_task_s *task);

static inline __attribute__((always_inline))
int net_sched_task_queue(struct net_task_s *task, struct net_layer_s *target)
{
  struct net_scheduler_s *sched = target->scheduler;
  struct net_layer_sched_s *ls = &target->sched;
  if (__builtin_expect(atomic_load_explicit(&sched->push_slow, memory_order_relaxed)
                       || atomic_exchange_explicit(&ls->lock, 1, memory_order_acquire), 0))
    return net_sched_task_queue_slow(task);
  net_mailbox_append(ls, task);
  ls->pushed++;
  unsigned st = atomic_load_explicit(&ls->state, memory_order_relaxed);
  bool enqueue = !(st & (NET_LAYER_QUEUED | NET_LAYER_RUNNING));
  if (enqueue)
    atomic_store_explicit(&ls->state, st | NET_LAYER_QUEUED, memory_order_relaxed);
  net_spin_unlock(&ls->lock);
  return enqueue ? net_sched_enqueue(sched, target) : 0;
}

/* Arm a prepared TIMEOUT task (net_task_timeout_push). */
int net_sched_timer_arm(struct net_task_s *task);

/* Move every due timer to its target's mailbox; returns how many. */
size_t net_sched_timers_expire(struct net_scheduler_s *sched, net_time_t now);

/* Deadline of the earliest timer, or NET_TIME_NEVER. */
net_time_t net_sched_timers_next(struct net_scheduler_s *sched);

/* Monotonic clock in nanoseconds. */
net_time_t net_sched_monotonic_ns(void);

/* Set the virtual clock (never backwards). */
void net_sched_virtual_advance(struct net_scheduler_s *sched, net_time_t to);

/* --- scheduler.c: layer execution ownership ------------------------- */

/* Own @p layer's execution, waiting while another thread runs it; the
   owner may nest (a handler binding under its own layer). */
void net_layer_exec_acquire(struct net_layer_s *layer);
/* Own @p layer's execution only if nobody runs it (no nesting). */
bool net_layer_exec_try_acquire(struct net_layer_s *layer);
void net_layer_exec_release(struct net_layer_s *layer);

/* Set pending bits on a layer and make sure it will run to apply them. */
void net_layer_set_pending(struct net_layer_s *layer, unsigned bits);

/* Pushes counted in @p ls not yet in the thread's counters; spinlock held. */
static inline unsigned net_mailbox_pushed_take(struct net_layer_sched_s *ls)
{
  unsigned n = ls->pushed;
  ls->pushed = 0;
  return n;
}

/* Cancel everything queued to @p layer (mailbox and timers). */
void net_sched_layer_cancel_all(struct net_scheduler_s *sched,
                                struct net_layer_s *layer);

/* --- layer.c, for the scheduler ------------------------------------- */

/* Apply pending context / dangling bits in the layer's own context. */
void net_layer_apply_pending(struct net_layer_s *layer, unsigned bits);

/* Last reference gone: unbind children, release delegate, destroyed. */
void net_layer_destroy_now(struct net_layer_s *layer);

/* --- task.c, for the scheduler -------------------------------------- */

/* Free a task of the scheduler's allocator (its destroy function). */
void net_sched_task_free(struct net_task_s *task);

/* Generation of a layer (bumped by every dangling), any thread. */
static inline uint32_t net_layer_generation(const struct net_layer_s *layer)
{
  return __atomic_load_n(&layer->sched.generation, __ATOMIC_ACQUIRE);
}

#pragma GCC visibility pop

#endif
