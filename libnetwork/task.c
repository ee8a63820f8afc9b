/* Tasks (net/task.h): allocation, push helpers, destruction.
 *
 * Allocation: tasks come from slabs of NET_TASK_SLAB tasks, never freed
 * before the scheduler, recycled through free lists.  A thread that runs
 * the scheduler (the loop thread, each worker) has a private cache used
 * without lock; other threads share one list under a mutex.  Caches
 * refill from and spill to the shared list by whole slabs, so a steady
 * state does neither malloc nor lock per task.  options.task_limit bounds
 * the number of tasks ever carved, hence the memory.
 */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include "scheduler_private.h"
#include <stdlib.h>

/* A task of the scheduler's allocator knows its scheduler.  Whole cache
   lines: two tasks used by two workers never share one (false sharing
   cost the threaded scheduler a fifth of its throughput per task). */
struct net_sched_task_s
{
  struct net_task_s task;
  struct net_scheduler_s *sched;
} __attribute__((aligned(64)));

/* Carve a new slab onto the shared free list; alloc_lock held. */
static void net_task_carve(struct net_scheduler_s *sched)
{
  size_t n = sched->options.task_limit - sched->carved;
  if (n > NET_TASK_SLAB)
    n = NET_TASK_SLAB;
  if (n == 0)
    return;
  struct net_sched_task_s *slab = aligned_alloc(_Alignof(struct net_sched_task_s),
                                                n * sizeof(*slab));
  if (!slab)
    return;
  g_ptr_array_add(sched->slabs, slab);
  for (size_t i = 0; i < n; i++)
    {
      slab[i].sched = sched;
      slab[i].task.sched_state = NET_TASK_IDLE;
      slab[i].task.destroy = net_sched_task_free;
      slab[i].task.next = sched->free;
      sched->free = &slab[i].task;
    }
  sched->nfree += n;
  sched->carved += n;
}

/* Move up to @p n tasks from the shared free list to the cache's stack;
   alloc_lock held.  Returns how many. */
static size_t net_task_cache_take(struct net_scheduler_s *sched,
                                  struct net_task_cache_s *cache, size_t n)
{
  size_t have = atomic_load_explicit(&cache->nfree, memory_order_relaxed), moved = 0;
  for (; moved < n && have < NET_TASK_CACHE_MAX && sched->free; moved++)
    {
      cache->slot[have++] = sched->free;
      sched->free = sched->free->next;
    }
  sched->nfree -= moved;
  atomic_store_explicit(&cache->nfree, have, memory_order_relaxed);
  return moved;
}

/* Refill an empty cache with up to one slab from the shared list. */
static void net_task_cache_refill(struct net_scheduler_s *sched,
                                  struct net_task_cache_s *cache)
{
  pthread_mutex_lock(&sched->alloc_lock);
  if (!sched->free)
    net_task_carve(sched);
  net_task_cache_take(sched, cache, NET_TASK_SLAB);
  pthread_mutex_unlock(&sched->alloc_lock);
}

/* Hand two slabs' worth of a full cache back to the shared list. */
static void net_task_cache_spill(struct net_scheduler_s *sched,
                                 struct net_task_cache_s *cache)
{
  pthread_mutex_lock(&sched->alloc_lock);
  size_t have = atomic_load_explicit(&cache->nfree, memory_order_relaxed);
  size_t n = have < 2 * NET_TASK_SLAB ? have : 2 * NET_TASK_SLAB;
  for (size_t i = 0; i < n; i++)
    {
      struct net_task_s *t = cache->slot[--have];
      t->next = sched->free;
      sched->free = t;
    }
  sched->nfree += n;
  atomic_store_explicit(&cache->nfree, have, memory_order_relaxed);
  pthread_mutex_unlock(&sched->alloc_lock);
}

/* Set or clear starvation, and the cache limits that mirror it. */
static void net_task_set_starving(struct net_scheduler_s *sched, bool starving)
{
  pthread_mutex_lock(&sched->alloc_lock);
  atomic_store_explicit(&sched->alloc_starving, starving, memory_order_relaxed);
  for (struct net_task_cache_s *c = sched->caches; c; c = c->next)
    atomic_store_explicit(&c->limit, starving ? 0 : NET_TASK_CACHE_MAX,
                          memory_order_relaxed);
  pthread_mutex_unlock(&sched->alloc_lock);
}

/* A fresh task: no layers, no buffer, not queued. */
static inline void net_task_clear(struct net_task_s *task,
                                  void (*destroy)(struct net_task_s *task))
{
  task->next = task->prev = NULL;
  task->source = task->target = NULL;
  task->destroy = destroy;
  task->type = NET_TASK_NOTIFICATION;
  task->sched_state = NET_TASK_FRESH;
  task->source_gen = task->target_gen = 0;
}

/* net_scheduler_task_alloc() without a task in the calling thread's
   cache: refill it, or use the shared list (threads without a cache). */
static struct net_task_s * __attribute__((noinline))
net_scheduler_task_alloc_slow(struct net_scheduler_s *sched)
{
  g_return_val_if_fail(sched != NULL, NULL);
  struct net_task_cache_s *cache = net_sched_tls.cache;
  struct net_task_s *task;
  if (cache->sched == sched)
    {
      net_task_cache_refill(sched, cache);
      size_t n = atomic_load_explicit(&cache->nfree, memory_order_relaxed);
      if (n == 0)
        goto fail;
      task = cache->slot[--n];
      atomic_store_explicit(&cache->nfree, n, memory_order_relaxed);
    }
  else
    {
      pthread_mutex_lock(&sched->alloc_lock);
      if (!sched->free)
        net_task_carve(sched);
      task = sched->free;
      if (task)
        {
          sched->free = task->next;
          sched->nfree--;
        }
      pthread_mutex_unlock(&sched->alloc_lock);
      if (!task)
        goto fail;
    }
  if (__builtin_expect(atomic_load_explicit(&sched->alloc_starving,
                                            memory_order_relaxed), 0))
    net_task_set_starving(sched, false);
  task->source = task->target = NULL;
  task->type = NET_TASK_NOTIFICATION;
  task->sched_state = NET_TASK_FRESH;
  return task;

fail:
  if (!atomic_load_explicit(&sched->alloc_starving, memory_order_relaxed))
    net_task_set_starving(sched, true);
  atomic_fetch_add_explicit(&sched->alloc_failures, 1, memory_order_relaxed);
  return NULL;
}

struct net_task_s *net_scheduler_task_alloc(struct net_scheduler_s *sched)
{
  struct net_task_cache_s *cache = net_sched_tls.cache;
  size_t n;
  /* A scheduler thread's own cache, without lock.  A task on a free list
     is not queued (only such tasks are destroyed) and has its destroy
     function (net_sched_task_free: nothing else frees to the lists); its
     links and generations are set when it is pushed. */
  if (__builtin_expect(cache->sched != sched
                       || !(n = atomic_load_explicit(&cache->nfree,
                                                     memory_order_relaxed)), 0))
    return net_scheduler_task_alloc_slow(sched);
  struct net_task_s *task = cache->slot[--n];
  atomic_store_explicit(&cache->nfree, n, memory_order_relaxed);
  task->source = task->target = NULL;
  task->type = NET_TASK_NOTIFICATION;
  task->sched_state = NET_TASK_FRESH;
  return task;
}

/* Return a task to the calling thread's cache; false when the thread has
   no cache for the task's scheduler, or (without @p spill) when the cache
   is full, or when the scheduler starves. */
static inline __attribute__((always_inline)) bool
net_sched_task_free_cached(struct net_task_s *task, bool spill)
{
  struct net_scheduler_s *sched =
    net_container_of(task, struct net_sched_task_s, task)->sched;
  struct net_task_cache_s *cache = net_sched_tls.cache;
  if (cache->sched != sched)
    return false;
  size_t n = atomic_load_explicit(&cache->nfree, memory_order_relaxed);
  if (__builtin_expect(n >= atomic_load_explicit(&cache->limit, memory_order_relaxed), 0))
    {
      if (!spill || atomic_load_explicit(&sched->alloc_starving, memory_order_relaxed))
        return false;
      net_task_cache_spill(sched, cache);
      n = atomic_load_explicit(&cache->nfree, memory_order_relaxed);
    }
  cache->slot[n] = task;
  atomic_store_explicit(&cache->nfree, n + 1, memory_order_relaxed);
  return true;
}

void net_sched_task_free(struct net_task_s *task)
{
  if (net_sched_task_free_cached(task, true))
    return;
  struct net_scheduler_s *sched =
    net_container_of(task, struct net_sched_task_s, task)->sched;
  pthread_mutex_lock(&sched->alloc_lock);
  task->next = sched->free;
  sched->free = task;
  sched->nfree++;
  pthread_mutex_unlock(&sched->alloc_lock);
}

void net_task_init(struct net_task_s *task, void (*destroy)(struct net_task_s *task))
{
  g_return_if_fail(task != NULL);
  g_return_if_fail(destroy != NULL);
  net_task_clear(task, destroy);
}

static inline bool net_task_has_packet(const struct net_task_s *task)
{
  return task->type == NET_TASK_INBOUND || task->type == NET_TASK_OUTBOUND;
}

static void __attribute__((noinline, cold))
net_task_destroy_refused(struct net_task_s *task)
{
  g_return_if_fail(task != NULL);
  g_critical("net_task_destroy: task is still queued (cancel it instead)");
}

/* The end of net_task_destroy() beyond the common case: the task's own
   destroy function, then the buffer it held. */
static void __attribute__((noinline))
net_task_destroy_release(struct net_task_s *task, struct net_buffer_s *buffer)
{
  task->destroy(task);
  if (buffer)
    net_buffer_refdec(buffer);
}

/* Same, after dropping the source's last reference (@p old is what the
   decrement found), the target's still to drop. */
static void __attribute__((noinline))
net_task_destroy_source_last(struct net_task_s *task, struct net_buffer_s *buffer,
                             unsigned old)
{
  net_layer_ref_put_slow(task->source, old);
  if (task->target)
    net_layer_ref_put(task->target);
  net_task_destroy_release(task, buffer);
}

/* Same, after dropping the target's last reference. */
static void __attribute__((noinline))
net_task_destroy_target_last(struct net_task_s *task, struct net_buffer_s *buffer,
                             unsigned old)
{
  net_layer_ref_put_slow(task->target, old);
  net_task_destroy_release(task, buffer);
}

/* net_task_destroy() once the task is known to be idle, instantiated for
   tasks without a buffer (@p packet false: no buffer code at all) and
   for packet tasks. */
static inline __attribute__((always_inline)) void
net_task_destroy_idle(struct net_task_s *task, bool packet)
{
  /* The buffer goes last, so that the common case (a scheduler task
     returned to the calling thread's cache) makes no call but a tail call
     and saves no register. */
  struct net_buffer_s *buffer = packet ? task->packet.buffer : NULL;
  if (task->source)
    {
      unsigned old = atomic_fetch_sub_explicit(&task->source->refcount, 1,
                                               memory_order_acq_rel);
      if (__builtin_expect(old <= 1, 0))
        return net_task_destroy_source_last(task, buffer, old);
    }
  if (task->target)
    {
      unsigned old = atomic_fetch_sub_explicit(&task->target->refcount, 1,
                                               memory_order_acq_rel);
      if (__builtin_expect(old <= 1, 0))
        return net_task_destroy_target_last(task, buffer, old);
    }
  if (__builtin_expect(task->destroy != net_sched_task_free
                       || !net_sched_task_free_cached(task, false), 0))
    return net_task_destroy_release(task, buffer);
  if (buffer)
    net_buffer_refdec(buffer);
}

static void __attribute__((noinline)) net_task_destroy_packet(struct net_task_s *task)
{
  net_task_destroy_idle(task, true);
}

void net_task_destroy(struct net_task_s *task)
{
  if (__builtin_expect(!task || (__atomic_load_n(&task->sched_state, __ATOMIC_RELAXED)
                                 & NET_TASK_QUEUED), 0))
    return net_task_destroy_refused(task);
  if (net_task_has_packet(task))
    return net_task_destroy_packet(task);
  net_task_destroy_idle(task, false);
}

static bool net_layer_alive(const struct net_layer_s *layer)
{
  return atomic_load_explicit(&layer->refcount, memory_order_relaxed) != 0;
}

/* A task may be pushed when it is fresh, or delivered and kept; pushing
   one still queued would corrupt the queue that holds it. */
static bool net_task_pushable(const struct net_task_s *task)
{
  if (!(__atomic_load_n(&task->sched_state, __ATOMIC_RELAXED) & NET_TASK_QUEUED))
    return true;
  g_critical("task pushed while it is still queued");
  return false;
}

/*
 * Every push helper has a fast path for the common case, a fresh task
 * (NET_TASK_FRESH: allocated or initialised and not pushed since, so no
 * layer reference and no buffer from an earlier life) pushed to a live
 * target from a live or no source,
 * and a general path (..._any) for the rest: reused tasks, and misuse,
 * which it reports.  The fast path keeps every check; it only avoids the
 * work the general case needs.
 */
static inline __attribute__((always_inline)) bool
net_task_push_fresh(const struct net_task_s *task, const struct net_layer_s *target,
                    const struct net_layer_s *source)
{
  return __builtin_expect(task != NULL
                          && __atomic_load_n(&task->sched_state, __ATOMIC_RELAXED)
                             == NET_TASK_FRESH
                          && target != NULL && net_layer_alive(target)
                          && (source == NULL || net_layer_alive(source)), 1);
}

/* Reference the layers of a fresh task, record their generations. */
static inline __attribute__((always_inline)) void
net_task_link(struct net_task_s *task, struct net_layer_s *target,
              struct net_layer_s *source)
{
  task->target = net_layer_ref_get(target);
  task->target_gen = net_layer_generation(target);
  task->source = source;
  if (source)
    {
      net_layer_ref_get(source);
      task->source_gen = net_layer_generation(source);
    }
  else
    task->source_gen = 0;
}

/* A push with a missing or dead layer: complain, keep the references
   that are valid so they are dropped properly, destroy the task. */
static int __attribute__((noinline, cold))
net_task_retarget_failed(struct net_task_s *task, struct net_layer_s *target,
                         struct net_layer_s *source)
{
  struct net_layer_s *old_source = task->source, *old_target = task->target;
  if (!target)
    g_critical("task pushed to a NULL target");
  else if (!net_layer_alive(target))
    {
      /* A child pushing to its parent whose last reference just went
         (the child's parent link is weak; on the threaded scheduler the
         destruction may be waiting for this very run to end): the child
         is about to dangle, and its tasks die as such, refused (never
         counted as pushed).  From anyone else it is a use after the last
         reference. */
      if (!source || net_layer_parent(source) != target)
        g_critical("task pushed to a destroyed %s layer", net_layer_type_name(target));
      target = NULL;
    }
  if (source && !net_layer_alive(source))
    {
      g_critical("task pushed from a destroyed %s layer", net_layer_type_name(source));
      source = NULL;
    }
  task->target = target ? net_layer_ref_get(target) : NULL;
  task->source = source ? net_layer_ref_get(source) : NULL;
  if (old_source)
    net_layer_ref_put(old_source);
  if (old_target)
    net_layer_ref_put(old_target);
  net_task_destroy(task);
  return -EINVAL;
}

/* Point @p task at new layers (taking their references) and drop the
   references it still held from an earlier life, then record the layers'
   generations.  Fails, destroying the task, on a missing or dead target
   or a dead source. */
static int net_task_retarget(struct net_task_s *task, struct net_layer_s *target,
                             struct net_layer_s *source)
{
  if (!target || !net_layer_alive(target) || (source && !net_layer_alive(source)))
    return net_task_retarget_failed(task, target, source);
  struct net_layer_s *old_source = task->source, *old_target = task->target;
  /* A timer re-armed from its own TIMEOUT keeps its layers: no reference
     traffic.  Otherwise every new reference is taken before an old one
     is dropped: the old target may be the new source, held by nothing
     else. */
  bool new_target = target != old_target, new_source = source != old_source;
  if (new_target)
    task->target = net_layer_ref_get(target);
  if (new_source)
    task->source = source ? net_layer_ref_get(source) : NULL;
  if (new_target && old_target)
    net_layer_ref_put(old_target);
  if (new_source && old_source)
    net_layer_ref_put(old_source);
  task->target_gen = net_layer_generation(target);
  task->source_gen = source ? net_layer_generation(source) : 0;
  return 0;
}

/* Give a packet task its buffer and addresses. */
static inline __attribute__((always_inline)) void
net_task_set_packet(struct net_task_s *task, enum net_task_type_e type,
                    net_time_t timestamp, const struct net_addr_s *src,
                    const struct net_addr_s *dst, struct net_buffer_s *buffer)
{
  task->type = type;
  task->packet.buffer = buffer;
  task->packet.timestamp = timestamp;
  if (src)
    task->packet.src = *src;
  else
    task->packet.src = (struct net_addr_s){ 0 };
  if (dst)
    task->packet.dst = *dst;
  else
    task->packet.dst = (struct net_addr_s){ 0 };
}

/* The buffer a reused packet task still holds. */
static void net_task_drop_buffer(struct net_task_s *task)
{
  if (net_task_has_packet(task) && task->packet.buffer)
    {
      net_buffer_refdec(task->packet.buffer);
      task->packet.buffer = NULL;
    }
}

static int __attribute__((noinline))
net_task_packet_push_any(struct net_task_s *task, enum net_task_type_e type,
                         struct net_layer_s *target, struct net_layer_s *source,
                         net_time_t timestamp, const struct net_addr_s *src,
                         const struct net_addr_s *dst, struct net_buffer_s *buffer)
{
  if (!task || !net_task_pushable(task))
    {
      if (buffer)
        net_buffer_refdec(buffer);
      g_return_val_if_fail(task != NULL, -EINVAL);
      return -EBUSY;
    }
  net_task_drop_buffer(task);
  net_task_set_packet(task, type, timestamp, src, dst, buffer);
  int err = net_task_retarget(task, target, source);
  return err ? err : net_sched_task_queue(task, task->target);
}

int net_task_inbound_push(struct net_task_s *task, struct net_layer_s *target,
                          struct net_layer_s *source, net_time_t timestamp,
                          const struct net_addr_s *src,
                          const struct net_addr_s *dst,
                          struct net_buffer_s *buffer)
{
  if (!net_task_push_fresh(task, target, source))
    return net_task_packet_push_any(task, NET_TASK_INBOUND, target, source,
                                    timestamp, src, dst, buffer);
  net_task_set_packet(task, NET_TASK_INBOUND, timestamp, src, dst, buffer);
  net_task_link(task, target, source);
  return net_sched_task_queue(task, target);
}

int net_task_outbound_push(struct net_task_s *task, struct net_layer_s *target,
                           struct net_layer_s *source,
                           const struct net_addr_s *src,
                           const struct net_addr_s *dst,
                           struct net_buffer_s *buffer)
{
  if (!net_task_push_fresh(task, target, source))
    return net_task_packet_push_any(task, NET_TASK_OUTBOUND, target, source,
                                    0, src, dst, buffer);
  net_task_set_packet(task, NET_TASK_OUTBOUND, 0, src, dst, buffer);
  net_task_link(task, target, source);
  return net_sched_task_queue(task, target);
}

int net_task_packet_forward(struct net_task_s *task, struct net_layer_s *target)
{
  g_return_val_if_fail(task != NULL, -EINVAL);
  if (!net_task_pushable(task))
    return -EBUSY;
  if (!net_task_has_packet(task))
    {
      g_critical("net_task_packet_forward: not a packet task");
      net_task_destroy(task);
      return -EINVAL;
    }
  struct net_layer_s *from = task->target;
  if (__builtin_expect(!from || !target || !net_layer_alive(target), 0))
    {
      int err = net_task_retarget(task, target, from);
      return err ? err : net_sched_task_queue(task, task->target);
    }
  /* The layer that received the task becomes its source: the task's
     reference on it just changes role. */
  struct net_layer_s *old_source = task->source;
  task->source = from;
  task->source_gen = net_layer_generation(from);
  task->target = net_layer_ref_get(target);
  task->target_gen = net_layer_generation(target);
  if (old_source)
    net_layer_ref_put(old_source);
  return net_sched_task_queue(task, target);
}

struct net_buffer_s *net_task_packet_steal_buffer(struct net_task_s *task)
{
  g_return_val_if_fail(task != NULL, NULL);
  g_return_val_if_fail(net_task_has_packet(task), NULL);
  struct net_buffer_s *buffer = task->packet.buffer;
  task->packet.buffer = NULL;
  return buffer;
}

static inline void net_task_set_timeout(struct net_task_s *task, net_time_t deadline,
                                        net_time_t precision, uint32_t opcode)
{
  task->type = NET_TASK_TIMEOUT;
  task->timeout.deadline = deadline;
  task->timeout.precision = precision;
  task->timeout.opcode = opcode;
}

static int __attribute__((noinline))
net_task_timeout_push_any(struct net_task_s *task, struct net_layer_s *target,
                          struct net_layer_s *source, net_time_t deadline,
                          net_time_t precision, uint32_t opcode)
{
  g_return_val_if_fail(task != NULL, -EINVAL);
  if (!net_task_pushable(task))
    return -EBUSY;
  net_task_drop_buffer(task);
  net_task_set_timeout(task, deadline, precision, opcode);
  int err = net_task_retarget(task, target, source);
  return err ? err : net_sched_timer_arm(task);
}

int net_task_timeout_push(struct net_task_s *task, struct net_layer_s *target,
                          struct net_layer_s *source, net_time_t deadline,
                          net_time_t precision, uint32_t opcode)
{
  if (!net_task_push_fresh(task, target, source))
    return net_task_timeout_push_any(task, target, source, deadline, precision,
                                     opcode);
  net_task_set_timeout(task, deadline, precision, opcode);
  net_task_link(task, target, source);
  return net_sched_timer_arm(task);
}

static inline void net_task_set_query(struct net_task_s *task, uint32_t opcode)
{
  task->type = NET_TASK_QUERY;
  task->query.opcode = opcode;
  task->query.err = 0;
}

static int __attribute__((noinline))
net_task_query_push_any(struct net_task_s *task, struct net_layer_s *target,
                        struct net_layer_s *source, uint32_t opcode)
{
  g_return_val_if_fail(task != NULL, -EINVAL);
  if (!net_task_pushable(task))
    return -EBUSY;
  net_task_drop_buffer(task);
  net_task_set_query(task, opcode);
  int err = net_task_retarget(task, target, source);
  return err ? err : net_sched_task_queue(task, task->target);
}

int net_task_query_push(struct net_task_s *task, struct net_layer_s *target,
                        struct net_layer_s *source, uint32_t opcode)
{
  if (!net_task_push_fresh(task, target, source))
    return net_task_query_push_any(task, target, source, opcode);
  net_task_set_query(task, opcode);
  net_task_link(task, target, source);
  return net_sched_task_queue(task, target);
}

int net_task_query_respond_push(struct net_task_s *task, int err)
{
  g_return_val_if_fail(task != NULL, -EINVAL);
  if (!net_task_pushable(task))
    return -EBUSY;
  if (task->type != NET_TASK_QUERY || !task->source || !task->target)
    {
      g_critical("net_task_query_respond_push: not a delivered query with a source");
      net_task_destroy(task);
      return -EINVAL;
    }
  /* Turn around without touching references.  The response inherits the
     querier's generation from the query: if the querier dangled since it
     asked, the answer is cancelled like any task to it pushed before. */
  struct net_layer_s *querier = task->source;
  uint32_t querier_gen = task->source_gen;
  task->source = task->target;
  task->target = querier;
  task->source_gen = net_layer_generation(task->source);
  task->target_gen = querier_gen;
  task->type = NET_TASK_RESPONSE;
  task->query.err = err;
  return net_sched_task_queue(task, task->target);
}

static inline void net_task_set_notification(struct net_task_s *task, uint32_t opcode,
                                             int err, uintptr_t arg)
{
  task->type = NET_TASK_NOTIFICATION;
  task->notification.opcode = opcode;
  task->notification.err = err;
  task->notification.arg = arg;
}

static int __attribute__((noinline))
net_task_notification_push_any(struct net_task_s *task, struct net_layer_s *target,
                               struct net_layer_s *source, uint32_t opcode,
                               int err, uintptr_t arg)
{
  g_return_val_if_fail(task != NULL, -EINVAL);
  if (!net_task_pushable(task))
    return -EBUSY;
  net_task_drop_buffer(task);
  net_task_set_notification(task, opcode, err, arg);
  int r = net_task_retarget(task, target, source);
  return r ? r : net_sched_task_queue(task, task->target);
}

int net_task_notification_push(struct net_task_s *task,
                               struct net_layer_s *target,
                               struct net_layer_s *source, uint32_t opcode,
                               int err, uintptr_t arg)
{
  if (!net_task_push_fresh(task, target, source))
    return net_task_notification_push_any(task, target, source, opcode, err, arg);
  net_task_set_notification(task, opcode, err, arg);
  net_task_link(task, target, source);
  return net_sched_task_queue(task, target);
}
