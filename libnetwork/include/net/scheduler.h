/**
 * @file net/scheduler.h
 * @brief Schedulers: deliver tasks to layers, own clock, timers and pools.
 *
 * Guarantees every backend keeps:
 * 1. a layer's handler methods never run concurrently with each other;
 * 2. tasks from one source to one target are delivered in push order;
 * 3. pushing (and allocating, and cancelling) a task is safe from any thread;
 * 4. a timeout never fires before deadline - precision;
 * 5. cancelling is safe at any time before delivery, and reports whether
 *    the task was cancelled (then destroyed) or already delivered.
 *
 * Backends:
 * - loop (schedulers/loop.c): one thread runs everything as a GSource
 *   attached to a GMainContext, so a GLib application embeds the stack in
 *   its own main loop.  Optional virtual clock for deterministic
 *   simulation, optional direct dispatch.
 * - threaded (schedulers/threaded.c): N worker threads; a layer with
 *   pending tasks sits on a run queue and is run by one worker at a time,
 *   in batches (actor model); independent layers run in parallel.
 *
 * "Scheduler context" means inside a handler method called by the
 * scheduler (or a callback it runs).
 */
#ifndef NET_SCHEDULER_H_
#define NET_SCHEDULER_H_

#include <net/types.h>
#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which clock a scheduler runs on (struct net_scheduler_options_s). */
enum net_clock_e
{
  NET_CLOCK_MONOTONIC, /**< g_get_monotonic_time()-based, nanoseconds */
  /** Loop backend only: time stands still while tasks are runnable and
      jumps to the next deadline when nothing else is; starts at 0. */
  NET_CLOCK_VIRTUAL,
};

/** Creation options; zero-initialise and set what you need. */
struct net_scheduler_options_s
{
  enum net_clock_e clock;     /**< [NET_CLOCK_MONOTONIC] */
  /** Loop backend: run an idle target's handler right away when a task is
      pushed from the scheduler thread (run-to-completion), at most
      direct_depth nested levels; 0 disables direct dispatch. */
  unsigned direct_depth;
  /** Threaded backend: worker count; 0 = number of CPUs. */
  unsigned workers;
  /** Tasks a layer handles in one go before others get a turn (0 = 64). */
  unsigned batch;
  /** Upper bound on live tasks from net_scheduler_task_alloc (0 = 1<<20). */
  size_t task_limit;
  /** Packet pools: element counts (0 = defaults 4096 and 2048) and the
      large buffer size (0 = 2048 + 128 of headroom).  Small buffers hold
      512 bytes. */
  size_t small_buffers;
  size_t large_buffers;       /**< see small_buffers */
  size_t large_buffer_size;   /**< see small_buffers */
  /** Medium buffers (NET_SCHEDULER_MEDIUM_SIZE bytes: super-segments of
      a few MSS) at most (0 = 2048). */
  size_t medium_buffers;
  /** Jumbo buffers (NET_SCHEDULER_JUMBO_SIZE bytes: offloaded
      super-segments, reassembled datagrams) at most (0 = 512); like every
      pool, memory is only taken when a buffer is first needed. */
  size_t jumbo_buffers;
  /** Loop backend, monotonic clock: after a dispatch that had work, keep
      polling the watched fds without sleeping for this many nanoseconds
      before blocking in poll() again (net_scheduler_run() and
      net_scheduler_run_for() only).  Trades CPU for the latency of being
      woken up, like Linux's SO_BUSY_POLL; 0 = off. */
  net_time_t busy_poll;
};

/** Bytes of a medium buffer: 16 KiB of packet with its headers. */
#define NET_SCHEDULER_MEDIUM_SIZE (16384 + 512)
/** Bytes of a jumbo buffer: a 64 KiB datagram with its link headers. */
#define NET_SCHEDULER_JUMBO_SIZE (65536 + 512)

/** Counters (see net_scheduler_stats()). */
struct net_scheduler_stats_s
{
  /** Tasks pushed.  A push is counted when its target takes the task
      for delivery or the task is cancelled (timers when armed), so the
      figure may lag behind tasks still queued; exact when idle. */
  uint64_t pushed;
  uint64_t delivered;   /**< tasks handed to task_handle */
  uint64_t cancelled;   /**< tasks cancelled before delivery */
  uint64_t timers_fired; /**< timers that became due (counted in pushed when armed) */
  uint64_t direct;      /**< deliveries done by direct dispatch */
  uint64_t alloc_failures; /**< task allocations refused (limit) */
  size_t live_tasks;    /**< allocated from the scheduler, not yet freed */
  size_t live_layers;   /**< initialised, not yet destroyed */
};

/**
 * Create a loop scheduler attached to @p context (NULL: the thread-default
 * main context; a reference is taken).  The thread that iterates
 * @p context is the scheduler thread.  @p options may be NULL (defaults).
 * @return the scheduler, or NULL when memory is short.
 */
struct net_scheduler_s *net_scheduler_loop_create(
  GMainContext *context, const struct net_scheduler_options_s *options);

/** Create a threaded scheduler; workers (and a poller thread for timers
    and fds) start at once.  Returns NULL (with a g_critical) for
    NET_CLOCK_VIRTUAL, which only the loop backend has, or when threads
    or memory are short.  options.direct_depth is ignored. */
struct net_scheduler_s *net_scheduler_threaded_create(
  const struct net_scheduler_options_s *options);

/**
 * Shut down and free: stops dispatching and polling, joins workers,
 * cancels every queued and delayed task, destroys every layer whose last
 * reference is gone or goes in the process (their @c destroyed handlers
 * run here, in scheduler context, and may still unwatch their fds), and
 * only then reports, with a g_critical, the layers still referenced by
 * the caller and the fd watches nobody removed (both leaks in the
 * caller), removing those watches.  So dropping the last references right
 * before this call is fine: no net_scheduler_run_until_idle() needed.
 * Call from outside scheduler context.
 */
void net_scheduler_destroy(struct net_scheduler_s *sched);

/** Run until net_scheduler_quit() (loop: iterates its GMainContext and
    must be able to acquire it; threaded: waits). */
void net_scheduler_run(struct net_scheduler_s *sched);

/** Make net_scheduler_run() return (any thread). */
void net_scheduler_quit(struct net_scheduler_s *sched);

/**
 * Dispatch until no task is runnable and no timer is due.  On a virtual
 * clock the clock does not move.  Threaded backend: waits until every
 * worker is idle.  Call from outside scheduler context.
 */
void net_scheduler_run_until_idle(struct net_scheduler_s *sched);

/**
 * Run for @p duration of scheduler time.  On a virtual clock this fires
 * every timer up to now + duration in deadline order, jumping the clock,
 * and returns as soon as that point is reached; on a real clock it
 * dispatches (blocking in between) until the time has passed or
 * net_scheduler_quit() is called.  Call from outside scheduler context.
 */
void net_scheduler_run_for(struct net_scheduler_s *sched, net_time_t duration);

/**
 * The scheduler whose context the calling thread is in (running one of
 * its handlers, timers or fd callbacks), or NULL.  Lets a layer assert it
 * runs where it should, and a library call tell handler context apart.
 */
struct net_scheduler_s *net_scheduler_current(void);

/** Current time on the scheduler's clock (any thread). */
net_time_t net_scheduler_time(const struct net_scheduler_s *sched);

/**
 * Cancel a pushed task that was not delivered yet (any thread).  A task
 * leaves its mailbox when its target's run takes it (in batches of up to
 * options.batch), and from then on is "being delivered".  The task's
 * memory must still be valid: cancel tasks whose memory you own (e.g. a
 * timer task embedded in your layer) or that you know are queued.
 * @return true if it was cancelled (the scheduler destroyed it), false if
 * it was already delivered, is being delivered, or was never pushed.
 */
bool net_scheduler_task_cancel(struct net_scheduler_s *sched,
                               struct net_task_s *task);

/**
 * Watch @p fd for @p events (G_IO_IN, G_IO_OUT...).  When ready, @p layer
 * gets a NOTIFICATION with opcode NET_OP_FD_READY and arg = ready events,
 * and the watch pauses until net_scheduler_fd_rearm(), so a layer drains
 * the fd at its own pace.  The watch holds no reference on the layer: the
 * layer removes it (net_scheduler_fd_unwatch) at the latest in its
 * @c destroyed handler; readiness once its last reference is gone is
 * dropped.  Any thread, including the layer's own handler (the new fd is
 * polled from the next poll on).  A watch created outside the layer's
 * context may notify before this returns: create it from the layer's
 * handler when the handle must be stored before the first notification.
 * @return a watch handle, or NULL (with a g_critical) for bad arguments
 * (@p layer on another scheduler, negative @p fd, no @p events), or NULL
 * when memory is short or the scheduler, being destroyed, stopped polling
 * (a watch created by a handler while it shuts down is otherwise removed
 * like any other: by the layer's @c destroyed).
 */
struct net_fd_watch_s *net_scheduler_fd_watch(struct net_scheduler_s *sched,
                                              struct net_layer_s *layer,
                                              int fd, GIOCondition events);

/** Resume a paused watch, typically from the layer's handler once it
    drained the fd (any thread). */
void net_scheduler_fd_rearm(struct net_fd_watch_s *watch);

/**
 * Stop watching and free the handle (NULL is ignored; any thread).  A
 * notification still queued is cancelled, but one already taken for
 * delivery still reaches the layer: a layer ignores NET_OP_FD_READY once
 * it unwatched (the fd may be closed by then).
 */
void net_scheduler_fd_unwatch(struct net_fd_watch_s *watch);

/** The scheduler's pool of small buffers (ACKs, ARP, control), owned by
    the scheduler (no reference is given; take one with
    net_buffer_pool_refinc() to keep it past the scheduler).  Any thread. */
struct net_buffer_pool_s *net_scheduler_small_pool(struct net_scheduler_s *sched);

/** The scheduler's pool of large buffers (data, full frames); same rules
    as net_scheduler_small_pool(). */
struct net_buffer_pool_s *net_scheduler_large_pool(struct net_scheduler_s *sched);

/** The scheduler's pool of medium buffers (NET_SCHEDULER_MEDIUM_SIZE
    bytes); same rules as net_scheduler_small_pool(). */
struct net_buffer_pool_s *net_scheduler_medium_pool(struct net_scheduler_s *sched);

/** The scheduler's pool of jumbo buffers (NET_SCHEDULER_JUMBO_SIZE bytes:
    super-segments of offloading devices); same rules as
    net_scheduler_small_pool(). */
struct net_buffer_pool_s *net_scheduler_jumbo_pool(struct net_scheduler_s *sched);

/**
 * Allocate a buffer able to hold @p headroom + @p size bytes from the
 * smallest pool that fits, small, large, medium or jumbo (a small request falls
 * back to the large pool when the small one is exhausted), with begin =
 * end = headroom.  The
 * caller owns the one reference.  Any thread.
 * @return NULL when no pool fits or the pools are exhausted (counted in
 * the pools' failures).
 */
struct net_buffer_s *net_scheduler_buffer_alloc(struct net_scheduler_s *sched,
                                                size_t headroom, size_t size);

/** Buffer for a packet of @p size bytes sent by @p layer: the headroom
    is its context's prefix_size, so the layers below add their headers
    without copying.  Call from the layer's handler (it reads the
    context).  Same return as net_scheduler_buffer_alloc(). */
struct net_buffer_s *net_layer_buffer_alloc(struct net_layer_s *layer,
                                            size_t size);

/** Snapshot of the scheduler's counters (any thread). */
void net_scheduler_stats(const struct net_scheduler_s *sched,
                         struct net_scheduler_stats_s *stats);

#ifdef __cplusplus
}
#endif

#endif
