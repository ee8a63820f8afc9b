/* Refcounted packet buffers from bounded pools (net/buffer.h).
 *
 * One buffer is one allocation: the struct net_buffer_s header, padded to
 * a cache line, followed by the data storage, so the packet bytes start
 * cache-line aligned and a buffer costs a single malloc for the whole
 * life of its pool.  Elements are created lazily up to the capacity and
 * then recycled through a LIFO free list (the most recently released
 * buffer is the one most likely still in cache).
 *
 * Every pool operation runs under one mutex.  A lock-free stack would
 * need the same number of atomic read-modify-writes per alloc/release
 * (capacity reservation, lifetime, counters, free-list head), would need
 * ABA protection, and could not give an atomic snapshot of the
 * statistics; an uncontended pthread mutex costs two atomics and TSan
 * understands it.  The pool lifetime is decided under the same lock: the
 * pool is freed by whichever of "last creator reference dropped" and "last
 * outstanding buffer released" happens second.
 */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include <net/buffer.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Packet bytes start on a cache line (and so do the headers). */
#define NET_BUFFER_ALIGN 64u
#define NET_BUFFER_MAX_SIZE (16u << 20)

#define ROUND_UP(x, a) (((x) + (a) - 1) / (a) * (a))
#define NET_BUFFER_HEAD ROUND_UP(sizeof(struct net_buffer_s), NET_BUFFER_ALIGN)

struct net_buffer_pool_s
{
  pthread_mutex_t lock;
  struct net_buffer_s *free_list; /* LIFO of released buffers */
  size_t created;         /* elements allocated so far (<= capacity) */
  unsigned refs;          /* pool references (creator + refinc) */
  size_t buffer_size;
  size_t capacity;
  size_t in_use;
  size_t high_water;
  uint64_t allocs;
  uint64_t failures;
  char *name;
};

struct net_buffer_pool_s *net_buffer_pool_create(const char *name,
                                                 size_t buffer_size,
                                                 size_t capacity)
{
  g_return_val_if_fail(buffer_size > 0, NULL);
  g_return_val_if_fail(buffer_size <= NET_BUFFER_MAX_SIZE, NULL);
  g_return_val_if_fail(capacity > 0, NULL);

  /* Plain calloc, not g_new: running out of memory is an error code in
     this library, never an abort. */
  struct net_buffer_pool_s *pool = calloc(1, sizeof(*pool));
  if (!pool)
    return NULL;
  pool->name = strdup(name ? name : "buffers");
  if (!pool->name || pthread_mutex_init(&pool->lock, NULL) != 0)
    {
      free(pool->name);
      free(pool);
      return NULL;
    }
  pool->refs = 1;
  pool->buffer_size = buffer_size;
  pool->capacity = capacity;
  return pool;
}

/* Called with no lock held once refs == 0 and in_use == 0: nobody can
   reach the pool any more, every element is on the free list. */
static void pool_free(struct net_buffer_pool_s *pool)
{
  size_t freed = 0;
  struct net_buffer_s *buf = pool->free_list;
  while (buf)
    {
      struct net_buffer_s *next = buf->next;
      free(buf);
      buf = next;
      freed++;
    }
  if (freed != pool->created)
    g_critical("buffer pool '%s': %zu buffers created but %zu freed",
               pool->name, pool->created, freed);
  pthread_mutex_destroy(&pool->lock);
  free(pool->name);
  free(pool);
}

struct net_buffer_pool_s *net_buffer_pool_refinc(struct net_buffer_pool_s *pool)
{
  g_return_val_if_fail(pool != NULL, NULL);
  pthread_mutex_lock(&pool->lock);
  pool->refs++;
  pthread_mutex_unlock(&pool->lock);
  return pool;
}

void net_buffer_pool_refdec(struct net_buffer_pool_s *pool)
{
  if (!pool)
    return;
  pthread_mutex_lock(&pool->lock);
  if (pool->refs == 0)
    {
      pthread_mutex_unlock(&pool->lock);
      g_critical("buffer pool '%s': refdec without a reference", pool->name);
      return;
    }
  bool last = --pool->refs == 0 && pool->in_use == 0;
  pthread_mutex_unlock(&pool->lock);
  if (last)
    pool_free(pool);
}

size_t net_buffer_pool_buffer_size(const struct net_buffer_pool_s *pool)
{
  g_return_val_if_fail(pool != NULL, 0);
  return pool->buffer_size;     /* immutable after creation */
}

const char *net_buffer_pool_name(const struct net_buffer_pool_s *pool)
{
  g_return_val_if_fail(pool != NULL, NULL);
  return pool->name;
}

void net_buffer_pool_stats(const struct net_buffer_pool_s *pool,
                           struct net_buffer_pool_stats_s *stats)
{
  g_return_if_fail(pool != NULL && stats != NULL);
  /* The lock is not part of the pool's logical state. */
  pthread_mutex_t *lock = (pthread_mutex_t *)&pool->lock;
  pthread_mutex_lock(lock);
  stats->buffer_size = pool->buffer_size;
  stats->capacity = pool->capacity;
  stats->in_use = pool->in_use;
  stats->high_water = pool->high_water;
  stats->allocs = pool->allocs;
  stats->failures = pool->failures;
  pthread_mutex_unlock(lock);
}

/* Take an element able to hold @p headroom + @p len bytes, with every
   field reset; NULL (counted) when exhausted or the request is too big. */
static struct net_buffer_s *pool_get(struct net_buffer_pool_s *pool,
                                     size_t headroom, size_t len)
{
  struct net_buffer_s *buf = NULL;

  pthread_mutex_lock(&pool->lock);
  if (headroom > pool->buffer_size || len > pool->buffer_size - headroom)
    goto refuse;
  if (pool->free_list)
    {
      buf = pool->free_list;
      pool->free_list = buf->next;
    }
  else if (pool->created < pool->capacity)
    {
      /* Under the lock, but at most `capacity` times per pool: after the
         warm-up the free list serves every request. */
      buf = aligned_alloc(NET_BUFFER_ALIGN,
                          NET_BUFFER_HEAD + ROUND_UP(pool->buffer_size,
                                                     NET_BUFFER_ALIGN));
      if (!buf)
        goto refuse;
      pool->created++;
    }
  else
    goto refuse;
  if (++pool->in_use > pool->high_water)
    pool->high_water = pool->in_use;
  pool->allocs++;
  pthread_mutex_unlock(&pool->lock);

  /* Ours alone now; the mutex orders these writes after the previous
     owner's last access. */
  atomic_init(&buf->refcount, 1);
  buf->size = (uint32_t)pool->buffer_size;
  buf->begin = buf->end = (uint32_t)headroom;
  buf->pool = pool;
  buf->next = NULL;
  buf->offload_flags = 0;
  buf->csum_start = 0;
  buf->csum_offset = 0;
  buf->gso_size = 0;
  buf->data = (uint8_t *)buf + NET_BUFFER_HEAD;
  return buf;

refuse:
  pool->failures++;
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

static void pool_put(struct net_buffer_pool_s *pool, struct net_buffer_s *buf)
{
  pthread_mutex_lock(&pool->lock);
  buf->next = pool->free_list;
  pool->free_list = buf;
  bool last = --pool->in_use == 0 && pool->refs == 0;
  pthread_mutex_unlock(&pool->lock);
  if (last)
    pool_free(pool);
}

struct net_buffer_s *net_buffer_alloc(struct net_buffer_pool_s *pool,
                                      size_t headroom)
{
  g_return_val_if_fail(pool != NULL, NULL);
  return pool_get(pool, headroom, 0);
}

void net_buffer_refdec(struct net_buffer_s *buf)
{
  if (!buf)
    return;
  /* A CAS rather than fetch_sub so that an extra refdec is reported and
     ignored instead of wrapping the count and recycling the buffer twice.
     acq_rel: the last holder must see every other holder's accesses done
     before it recycles the bytes (TSan does not model separate fences). */
  unsigned old = atomic_load_explicit(&buf->refcount, memory_order_relaxed);
  do
    {
      if (old == 0)
        {
          g_critical("net_buffer_refdec: buffer %p has no reference left",
                     (void *)buf);
          return;
        }
    }
  while (!atomic_compare_exchange_weak_explicit(&buf->refcount, &old, old - 1,
                                                memory_order_acq_rel,
                                                memory_order_relaxed));
  if (old == 1)
    pool_put(buf->pool, buf);
}

struct net_buffer_s *net_buffer_copy(struct net_buffer_pool_s *pool,
                                     const struct net_buffer_s *buf,
                                     size_t headroom)
{
  g_return_val_if_fail(pool != NULL && buf != NULL, NULL);
  size_t len = net_buffer_len(buf);
  struct net_buffer_s *copy = pool_get(pool, headroom, len);
  if (!copy)
    return NULL;
  memcpy(copy->data + copy->begin, net_buffer_data(buf), len);
  copy->end = copy->begin + (uint32_t)len;
  copy->offload_flags = buf->offload_flags;
  copy->csum_start = buf->csum_start;
  copy->csum_offset = buf->csum_offset;
  copy->gso_size = buf->gso_size;
  return copy;
}

int net_buffer_make_writable(struct net_buffer_s **bufp)
{
  g_return_val_if_fail(bufp != NULL && *bufp != NULL, -EINVAL);
  struct net_buffer_s *buf = *bufp;
  if (!net_buffer_is_shared(buf))
    return 0;
  struct net_buffer_s *copy = net_buffer_copy(buf->pool, buf,
                                              net_buffer_headroom(buf));
  if (!copy)
    return -ENOMEM;
  net_buffer_refdec(buf);
  *bufp = copy;
  return 0;
}
