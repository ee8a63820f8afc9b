/* Refcounted packet buffers from bounded pools (net/buffer.h).
 *
 * Memory.  An element is the struct net_buffer_s header, padded to a
 * cache line, then the data storage, so packet bytes start cache-line
 * aligned.  Elements are created on demand and never freed before their
 * pool: a steady state does no malloc.  They are carved from chunks of
 * about 2 MiB, mapped, advised for transparent huge pages and populated
 * at once, so that a pool growing under load (100 connections filling
 * their windows need tens of MiB) takes one fault per chunk instead of
 * one per 4 KiB page: on a virtual machine a page fault costs
 * microseconds, and they made the first burst of a fresh tcpecho three
 * times slower than the next ones (doc/performance.md).  A chunk holds
 * at most the elements the pool may still create.  Under AddressSanitizer
 * or Valgrind each element is an allocation of its own instead, so that
 * those tools catch an overrun from one buffer into the next.
 *
 * Where free buffers wait.  Each thread that touches a pool gets a small
 * per-thread cache (a "magazine", LIFO so the hottest buffer is reused
 * first); alloc and release work on it with no lock.  Magazines exchange
 * MAG_BATCH buffers at a time with the pool's mutex-protected depot when
 * they run empty or full, so a producer thread and a consumer thread
 * touch the depot lock once every MAG_BATCH buffers.
 *
 * Exact counters.  Capacity, in_use and the pool lifetime live in one
 * atomic word (creator references << 32 | buffers in use): an alloc
 * reserves a slot with a CAS that fails at capacity, a release gives it
 * back, and whoever brings the word to zero frees the pool.  That is the
 * one shared atomic per operation; it makes in_use and high_water exact
 * at every instant (no per-thread estimate to reconcile).  The price of
 * lock-free magazines: free buffers cached by another thread cannot be
 * stolen, so when the calling thread finds neither a cached buffer nor a
 * depot buffer a new element is created even if `capacity` elements
 * exist.  In-use buffers never exceed the capacity; memory is bounded by
 * capacity + MAG_SIZE per thread using the pool.
 *
 * Lifetimes of the per-thread parts.  Magazines are linked both to their
 * pool and to their thread, under one process-wide registry lock that
 * only slow paths take (first use of a pool by a thread, thread exit,
 * pool destruction, statistics).  The pool is destroyed only once its
 * word is zero: every thread's last magazine access happened before its
 * release of the word (acq_rel), so the destroyer may empty and free all
 * the pool's magazines.  A thread's exit (a pthread key destructor)
 * returns its cached buffers to their pools' depots.  A thread finds its
 * magazine through a small thread-local table keyed by a pool id that is
 * never reused, so a dead pool's entry can never match.
 */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include <net/buffer.h>
#include <glib.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

/* Packet bytes start on a cache line (and so do the headers). */
#define NET_BUFFER_ALIGN 64u
#define NET_BUFFER_MAX_SIZE (16u << 20)
/* in_use is the low half of the state word. */
#define NET_BUFFER_MAX_CAPACITY (1u << 30)

#define ROUND_UP(x, a) (((x) + (a) - 1) / (a) * (a))
#define NET_BUFFER_HEAD ROUND_UP(sizeof(struct net_buffer_s), NET_BUFFER_ALIGN)
/* Elements are created this many bytes at a time (one huge page). */
#define CHUNK_BYTES (2u << 20)

#if defined(__SANITIZE_ADDRESS__)
#define NET_BUFFER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NET_BUFFER_ASAN 1
#endif
#endif

/* Per-thread cache: MAG_SIZE buffers at most, MAG_BATCH moved per depot
   exchange (half, so a thread alternating alloc and release around the
   boundary does not hit the depot every time). */
#define MAG_SIZE 32u
#define MAG_BATCH 16u
/* Pools a thread reaches without the registry lock. */
#define TLS_SLOTS 8u

/* Out of line: keeps the fast paths free of register spills. */
#define NET_BUFFER_SLOW __attribute__((noinline, cold))

#define STATE_REF (UINT64_C(1) << 32)
#define STATE_IN_USE(s) ((uint32_t)(s))
#define STATE_REFS(s) ((uint32_t)((s) >> 32))

struct net_buffer_thread_s;

/* Memory that elements were carved from: unmapped (or freed, when it is
   one element's own allocation) when the pool is destroyed. */
struct net_buffer_chunk_s
{
  struct net_buffer_chunk_s *next;
  void *base;
  size_t len;                   /* 0: one element from aligned_alloc() */
};

/* Cache-line aligned: the counters of two threads' magazines must not
   share a line. */
struct net_buffer_mag_s
{
  /* Owner thread only (and the destroyer / exiting owner, see above). */
  alignas(NET_BUFFER_ALIGN) unsigned count;
  struct net_buffer_s *items[MAG_SIZE];
  /* Written by the owner only; read by statistics. */
  atomic_uint_least64_t allocs;
  /* Registry lock. */
  struct net_buffer_pool_s *pool;
  struct net_buffer_thread_s *thread;
  struct net_buffer_mag_s *pool_next;
  struct net_buffer_mag_s *thread_next;
};

/* Every thread that used a pool: its magazines (registry lock). */
struct net_buffer_thread_s
{
  struct net_buffer_mag_s *mags;
  struct net_buffer_thread_s *next;
};

struct net_buffer_pool_s
{
  /* Hot, written on every operation: alone on its cache line. */
  alignas(NET_BUFFER_ALIGN) _Atomic uint64_t state;

  /* Read-only after creation. */
  alignas(NET_BUFFER_ALIGN) uint64_t id;
  size_t buffer_size;
  size_t capacity;
  char *name;

  atomic_size_t high_water;
  atomic_uint_least64_t failures;
  atomic_uint_least64_t unowned_allocs; /* made without a magazine */

  /* Depot: free buffers not cached by any thread. */
  alignas(NET_BUFFER_ALIGN) pthread_mutex_t lock;
  struct net_buffer_s *depot;
  size_t created;
  struct net_buffer_chunk_s *chunks;  /* all the elements' memory */

  /* Registry lock. */
  struct net_buffer_mag_s *mags;
  uint64_t retired_allocs;      /* of magazines of exited threads */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
/* Keeps thread records reachable (and listed) for the process lifetime. */
static struct net_buffer_thread_s *registry_threads;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
static pthread_key_t registry_key;
static bool registry_key_ok;
static atomic_uint_least64_t next_pool_id = 1;

/* The calling thread's view of the registry.  initial-exec: reached with
   one instruction instead of a __tls_get_addr() call per access (a fifth
   of the cost of an alloc + release); the block is small enough for the
   static TLS surplus glibc keeps for dlopen()ed libraries. */
struct tls_s
{
  struct
  {
    uint64_t id;                /* 0: empty (ids start at 1) */
    struct net_buffer_mag_s *mag;
  } slots[TLS_SLOTS];
  unsigned victim;
  struct net_buffer_thread_s *thread;
};

static _Thread_local struct tls_s tls __attribute__((tls_model("initial-exec")));

/* ---- depot (pool mutex) ------------------------------------------------- */

static void depot_push_locked(struct net_buffer_pool_s *pool,
                              struct net_buffer_s *buf)
{
  buf->next = pool->depot;
  pool->depot = buf;
}

/* Whether elements must be allocations of their own (see the top). */
static bool one_element_per_chunk(void)
{
#ifdef NET_BUFFER_ASAN
  return true;
#elif defined(RUNNING_ON_VALGRIND)
  return RUNNING_ON_VALGRIND;
#else
  return false;
#endif
}

/* Map @p len bytes for elements, with every page present, on huge pages
   where the kernel gives them (a length of whole huge pages is placed on
   a huge-page boundary: the kernel does not always do it); NULL when
   memory is short. */
static void *chunk_map(size_t len)
{
  size_t slack = len % CHUNK_BYTES == 0 ? CHUNK_BYTES : 0;
  char *map = mmap(NULL, len + slack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    return NULL;
  char *base = map;
  if (slack)
    {
      size_t head = (CHUNK_BYTES - (uintptr_t)map % CHUNK_BYTES) % CHUNK_BYTES;
      base = map + head;
      if (head)
        munmap(map, head);
      if (slack - head)
        munmap(base + len, slack - head);
    }
  /* Both are hints: without them the pages come one fault at a time. */
#ifdef MADV_HUGEPAGE
  (void)madvise(base, len, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
  (void)madvise(base, len, MADV_POPULATE_WRITE);
#endif
  return base;
}

/* New elements for an empty depot (pool lock held): one is returned, the
   others of its chunk go to the depot; NULL when memory is short.  Rare:
   once per chunk for the pool's life. */
static NET_BUFFER_SLOW struct net_buffer_s *
pool_grow_locked(struct net_buffer_pool_s *pool)
{
  size_t elem = NET_BUFFER_HEAD + ROUND_UP(pool->buffer_size, NET_BUFFER_ALIGN);
  size_t n = CHUNK_BYTES / elem;
  size_t room = pool->capacity > pool->created ? pool->capacity - pool->created : 1;
  if (n > room)
    n = room;
  if (n < 1 || one_element_per_chunk())
    n = 1;

  struct net_buffer_chunk_s *chunk = malloc(sizeof(*chunk));
  if (!chunk)
    return NULL;
  char *base;
  if (n == 1 && elem < CHUNK_BYTES / 2)
    {
      /* A small chunk: the allocator's memory is as good as a mapping. */
      base = aligned_alloc(NET_BUFFER_ALIGN, elem);
      chunk->len = 0;
    }
  else
    {
      long page = sysconf(_SC_PAGESIZE);
      chunk->len = ROUND_UP(n * elem, page > 0 ? (size_t)page : 4096u);
      /* Whole huge pages once it is worth one: the tail is less than an
         element (or a small pool's spare). */
      if (chunk->len > CHUNK_BYTES / 2)
        chunk->len = ROUND_UP(chunk->len, CHUNK_BYTES);
      base = chunk_map(chunk->len);
    }
  if (!base)
    {
      free(chunk);
      return NULL;
    }
  chunk->base = base;
  chunk->next = pool->chunks;
  pool->chunks = chunk;
  pool->created += n;
  for (size_t i = n - 1; i > 0; i--)
    depot_push_locked(pool, (struct net_buffer_s *)(base + i * elem));
  return (struct net_buffer_s *)base;
}

/* Move the @p n oldest buffers of @p mag to the depot. */
static NET_BUFFER_SLOW void
mag_flush(struct net_buffer_pool_s *pool, struct net_buffer_mag_s *mag,
          unsigned n)
{
  pthread_mutex_lock(&pool->lock);
  for (unsigned i = 0; i < n; i++)
    depot_push_locked(pool, mag->items[i]);
  pthread_mutex_unlock(&pool->lock);
  mag->count -= n;
  memmove(mag->items, mag->items + n, mag->count * sizeof(mag->items[0]));
}

/* A buffer from the depot (refilling @p mag, which is empty, with up to
   MAG_BATCH - 1 more), or a new element; NULL when memory is short. */
static NET_BUFFER_SLOW struct net_buffer_s *
depot_take(struct net_buffer_pool_s *pool, struct net_buffer_mag_s *mag)
{
  pthread_mutex_lock(&pool->lock);
  struct net_buffer_s *buf = pool->depot;
  if (buf)
    pool->depot = buf->next;
  else
    buf = pool_grow_locked(pool);
  while (buf && mag && mag->count < MAG_BATCH - 1 && pool->depot)
    {
      mag->items[mag->count++] = pool->depot;
      pool->depot = pool->depot->next;
    }
  pthread_mutex_unlock(&pool->lock);
  return buf;
}

/* ---- per-thread registry ----------------------------------------------- */

static void mag_unlink_from_thread(struct net_buffer_mag_s *mag)
{
  struct net_buffer_mag_s **pp = &mag->thread->mags;
  while (*pp != mag)
    pp = &(*pp)->thread_next;
  *pp = mag->thread_next;
}

static void mag_unlink_from_pool(struct net_buffer_mag_s *mag)
{
  struct net_buffer_mag_s **pp = &mag->pool->mags;
  while (*pp != mag)
    pp = &(*pp)->pool_next;
  *pp = mag->pool_next;
}

/* pthread key destructor: the thread exits, its cached buffers go back
   to their pools' depots (every pool a magazine is linked to is alive:
   destruction unlinks them under the same lock). */
static void thread_exit(void *arg)
{
  struct net_buffer_thread_s *thread = arg;

  pthread_mutex_lock(&registry_lock);
  struct net_buffer_mag_s *mag;
  while ((mag = thread->mags))
    {
      struct net_buffer_pool_s *pool = mag->pool;
      thread->mags = mag->thread_next;
      pthread_mutex_lock(&pool->lock);
      for (unsigned i = 0; i < mag->count; i++)
        depot_push_locked(pool, mag->items[i]);
      pthread_mutex_unlock(&pool->lock);
      pool->retired_allocs += atomic_load_explicit(&mag->allocs,
                                                   memory_order_relaxed);
      mag_unlink_from_pool(mag);
      free(mag);
    }
  struct net_buffer_thread_s **pp = &registry_threads;
  while (*pp != thread)
    pp = &(*pp)->next;
  *pp = thread->next;
  pthread_mutex_unlock(&registry_lock);
  free(thread);

  /* Another key's destructor may still release buffers: it must take the
     slow path (and register anew) rather than reach a freed magazine. */
  memset(&tls, 0, sizeof(tls));
}

static void registry_init(void)
{
  registry_key_ok = pthread_key_create(&registry_key, thread_exit) == 0;
}

/* The calling thread's magazine for @p pool, created on first use; NULL
   when memory is short (callers then use the depot directly). */
static NET_BUFFER_SLOW struct net_buffer_mag_s *
mag_get_slow(struct net_buffer_pool_s *pool)
{
  struct net_buffer_mag_s *mag = NULL;

  pthread_once(&registry_once, registry_init);
  pthread_mutex_lock(&registry_lock);
  if (!tls.thread)
    {
      tls.thread = calloc(1, sizeof(*tls.thread));
      if (!tls.thread)
        goto out;
      tls.thread->next = registry_threads;
      registry_threads = tls.thread;
      /* Without the key the magazines simply stay until their pools die. */
      if (registry_key_ok)
        pthread_setspecific(registry_key, tls.thread);
    }
  for (mag = tls.thread->mags; mag && mag->pool != pool; mag = mag->thread_next)
    ;
  if (!mag)
    {
      mag = aligned_alloc(NET_BUFFER_ALIGN, sizeof(*mag));
      if (!mag)
        goto out;
      memset(mag, 0, sizeof(*mag));
      atomic_init(&mag->allocs, 0);
      mag->pool = pool;
      mag->thread = tls.thread;
      mag->pool_next = pool->mags;
      pool->mags = mag;
      mag->thread_next = tls.thread->mags;
      tls.thread->mags = mag;
    }
out:
  pthread_mutex_unlock(&registry_lock);
  if (mag)
    {
      unsigned i = tls.victim++ % TLS_SLOTS;
      tls.slots[i].id = pool->id;
      tls.slots[i].mag = mag;
    }
  return mag;
}

static inline struct net_buffer_mag_s *mag_get(struct net_buffer_pool_s *pool)
{
  for (unsigned i = 0; i < TLS_SLOTS; i++)
    if (tls.slots[i].id == pool->id)
      return tls.slots[i].mag;
  return mag_get_slow(pool);
}

/* ---- pool lifetime ------------------------------------------------------ */

/* The state word reached zero: no reference, no buffer out, so no thread
   can touch the pool any more. */
static NET_BUFFER_SLOW void pool_destroy(struct net_buffer_pool_s *pool)
{
  size_t freed = 0;

  pthread_mutex_lock(&registry_lock);
  struct net_buffer_mag_s *mag;
  while ((mag = pool->mags))
    {
      pool->mags = mag->pool_next;
      mag_unlink_from_thread(mag);
      freed += mag->count;
      free(mag);
    }
  pthread_mutex_unlock(&registry_lock);

  pthread_mutex_lock(&pool->lock);
  struct net_buffer_s *buf = pool->depot;
  for (; buf; buf = buf->next)
    freed++;
  size_t created = pool->created;
  struct net_buffer_chunk_s *chunk = pool->chunks;
  pthread_mutex_unlock(&pool->lock);
  if (freed != created)
    g_critical("buffer pool '%s': %zu buffers created but %zu came back",
               pool->name, created, freed);
  while (chunk)
    {
      struct net_buffer_chunk_s *next = chunk->next;
      if (chunk->len)
        munmap(chunk->base, chunk->len);
      else
        free(chunk->base);
      free(chunk);
      chunk = next;
    }
  pthread_mutex_destroy(&pool->lock);
  free(pool->name);
  free(pool);
}

struct net_buffer_pool_s *net_buffer_pool_create(const char *name,
                                                 size_t buffer_size,
                                                 size_t capacity)
{
  g_return_val_if_fail(buffer_size > 0, NULL);
  g_return_val_if_fail(buffer_size <= NET_BUFFER_MAX_SIZE, NULL);
  g_return_val_if_fail(capacity > 0, NULL);
  g_return_val_if_fail(capacity <= NET_BUFFER_MAX_CAPACITY, NULL);

  /* Plain allocation, not g_new: running out of memory is an error code
     in this library, never an abort. */
  struct net_buffer_pool_s *pool =
    aligned_alloc(NET_BUFFER_ALIGN, ROUND_UP(sizeof(*pool), NET_BUFFER_ALIGN));
  if (!pool)
    return NULL;
  memset(pool, 0, sizeof(*pool));
  pool->name = strdup(name ? name : "buffers");
  if (!pool->name || pthread_mutex_init(&pool->lock, NULL) != 0)
    {
      free(pool->name);
      free(pool);
      return NULL;
    }
  atomic_init(&pool->state, STATE_REF);
  atomic_init(&pool->high_water, 0);
  atomic_init(&pool->failures, 0);
  atomic_init(&pool->unowned_allocs, 0);
  pool->id = atomic_fetch_add_explicit(&next_pool_id, 1, memory_order_relaxed);
  pool->buffer_size = buffer_size;
  pool->capacity = capacity;
  return pool;
}

struct net_buffer_pool_s *net_buffer_pool_refinc(struct net_buffer_pool_s *pool)
{
  g_return_val_if_fail(pool != NULL, NULL);
  atomic_fetch_add_explicit(&pool->state, STATE_REF, memory_order_relaxed);
  return pool;
}

void net_buffer_pool_refdec(struct net_buffer_pool_s *pool)
{
  if (!pool)
    return;
  uint64_t s = atomic_load_explicit(&pool->state, memory_order_relaxed);
  do
    {
      if (STATE_REFS(s) == 0)
        {
          g_critical("buffer pool '%s': refdec without a reference", pool->name);
          return;
        }
    }
  while (!atomic_compare_exchange_weak_explicit(&pool->state, &s, s - STATE_REF,
                                                memory_order_acq_rel,
                                                memory_order_relaxed));
  if (s == STATE_REF)
    pool_destroy(pool);
}

size_t net_buffer_pool_buffer_size(const struct net_buffer_pool_s *pool)
{
  g_return_val_if_fail(pool != NULL, 0);
  return pool->buffer_size;
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
  stats->buffer_size = pool->buffer_size;
  stats->capacity = pool->capacity;
  stats->in_use = STATE_IN_USE(atomic_load(&pool->state));
  stats->high_water = atomic_load(&pool->high_water);
  stats->failures = atomic_load(&pool->failures);

  uint64_t allocs = atomic_load(&pool->unowned_allocs);
  pthread_mutex_lock(&registry_lock);
  allocs += pool->retired_allocs;
  for (const struct net_buffer_mag_s *mag = pool->mags; mag; mag = mag->pool_next)
    allocs += atomic_load_explicit(&mag->allocs, memory_order_relaxed);
  pthread_mutex_unlock(&registry_lock);
  stats->allocs = allocs;
}

/* ---- buffers ------------------------------------------------------------ */

/* Give back the in-use slot taken by an alloc or a release. */
static void pool_unreserve(struct net_buffer_pool_s *pool)
{
  if (atomic_fetch_sub_explicit(&pool->state, 1, memory_order_acq_rel) == 1)
    pool_destroy(pool);
}

/* Take an element able to hold @p headroom + @p len bytes, with every
   field reset; NULL (counted) when exhausted, too big or out of memory. */
static struct net_buffer_s *pool_get(struct net_buffer_pool_s *pool,
                                     size_t headroom, size_t len)
{
  if (headroom > pool->buffer_size || len > pool->buffer_size - headroom)
    goto refuse;

  uint64_t s = atomic_load_explicit(&pool->state, memory_order_relaxed);
  do
    if (STATE_IN_USE(s) >= pool->capacity)
      goto refuse;
  while (!atomic_compare_exchange_weak_explicit(&pool->state, &s, s + 1,
                                                memory_order_acq_rel,
                                                memory_order_relaxed));

  struct net_buffer_mag_s *mag = mag_get(pool);
  struct net_buffer_s *buf;
  if (mag && mag->count)
    buf = mag->items[--mag->count];
  else if (!(buf = depot_take(pool, mag)))
    {
      pool_unreserve(pool);
      goto refuse;
    }
  if (mag)
    {
      /* Only this thread writes it: no read-modify-write needed. */
      uint64_t n = atomic_load_explicit(&mag->allocs, memory_order_relaxed);
      atomic_store_explicit(&mag->allocs, n + 1, memory_order_relaxed);
    }
  else
    atomic_fetch_add_explicit(&pool->unowned_allocs, 1, memory_order_relaxed);

  size_t in_use = STATE_IN_USE(s) + 1;
  size_t high = atomic_load_explicit(&pool->high_water, memory_order_relaxed);
  while (in_use > high
         && !atomic_compare_exchange_weak_explicit(&pool->high_water, &high,
                                                   in_use, memory_order_relaxed,
                                                   memory_order_relaxed))
    ;

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
  atomic_fetch_add_explicit(&pool->failures, 1, memory_order_relaxed);
  return NULL;
}

static void pool_put(struct net_buffer_pool_s *pool, struct net_buffer_s *buf)
{
  struct net_buffer_mag_s *mag = mag_get(pool);
  if (mag)
    {
      if (mag->count == MAG_SIZE)
        mag_flush(pool, mag, MAG_BATCH);
      mag->items[mag->count++] = buf;
    }
  else
    {
      pthread_mutex_lock(&pool->lock);
      depot_push_locked(pool, buf);
      pthread_mutex_unlock(&pool->lock);
    }
  /* After the magazine access: see "Lifetimes" above. */
  pool_unreserve(pool);
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
  /* Sole holder (the common case): nobody can take a reference
     concurrently, so a plain store ends the buffer's life without a
     read-modify-write.  Acquire: the previous holders' accesses happen
     before the recycling. */
  unsigned old = atomic_load_explicit(&buf->refcount, memory_order_acquire);
  if (old == 1)
    atomic_store_explicit(&buf->refcount, 0, memory_order_relaxed);
  else
    {
      /* A CAS rather than fetch_sub so that an extra refdec is reported
         and ignored instead of wrapping the count and recycling the
         buffer twice.  acq_rel: the last holder must see the others'
         accesses (TSan does not model separate fences). */
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
                                                    memory_order_acquire));
      if (old > 1)
        return;
    }
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
