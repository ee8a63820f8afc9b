/**
 * @file net/buffer.h
 * @brief Refcounted packet buffers from bounded pools.
 *
 * A buffer is a block of @c size bytes of which [begin, end) holds the
 * packet.  Headers are pushed by moving @c begin down into the headroom and
 * pulled by moving it up, so no layer copies a payload to add or strip its
 * header.  Buffers come from pools with a fixed element size and a bounded
 * element count: exhaustion returns NULL and is counted, never aborts.
 *
 * Sharing a buffer (a dumper mirror, a retransmission queue) is a
 * reference, not a copy.  A buffer with more than one reference is
 * read-only: call net_buffer_make_writable() before changing its bytes.
 *
 * Thread safety: reference counting and pool allocation/release are safe
 * from any thread.  The bytes and the begin/end offsets belong to whoever
 * holds the only reference (or, read-only, to every holder).
 *
 * Memory: one buffer is one allocation (header and storage together, the
 * storage cache-line aligned), made the first time the pool needs it and
 * recycled through per-thread caches and the pool's free list afterwards.  Buffer bytes are not
 * cleared on allocation.  See doc/buffers.md.
 */
#ifndef NET_BUFFER_H_
#define NET_BUFFER_H_

#include <net/types.h>
#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Offload metadata flags (see struct net_buffer_s::offload_flags).
 *
 * Sending: a transport may leave its checksum to IPv4 (CSUM_PARTIAL, the
 * field at 0: see net/layer/ipv4.h), which finishes it, or, when the link
 * offloads checksums (net/layer.h), hands it to the device with the
 * pseudo-header summed into the field; GSO_TCPV4 only when the context
 * offers TSO.  Receiving: a device marks
 * CSUM_VALID what the medium verified, and GSO_TCPV4 a super-frame larger
 * than the MTU; a CSUM_PARTIAL packet that comes back (loopback, the pair
 * device) counts as verified too: it never left the machine.  A layer that
 * sends a buffer it received sets offload_flags for the new packet.
 */
enum net_buffer_offload_e
{
  /** The checksum at csum_start + csum_offset is still to be computed
      over [csum_start, end).  Above IPv4 the field holds 0 (IPv4 adds the
      pseudo-header); below it, the folded pseudo-header sum, not
      complemented (the device adds the rest and stores the complement). */
  NET_BUFFER_CSUM_PARTIAL = 1u << 0,
  /** The transport checksum was verified by the "hardware". */
  NET_BUFFER_CSUM_VALID = 1u << 1,
  /** The buffer is a TCP/IPv4 super-segment to be cut in gso_size pieces
      of payload (sending), or was made of such pieces (receiving). */
  NET_BUFFER_GSO_TCPV4 = 1u << 2,
};

/**
 * A packet buffer.  Layers read and write @c begin / @c end through the
 * inline helpers below; @c data[begin, end) is the packet.
 */
struct net_buffer_s
{
  atomic_uint refcount;   /**< holders; use net_buffer_refinc/refdec */
  uint32_t size;          /**< capacity of data[] */
  uint32_t begin;         /**< offset of the first packet byte */
  uint32_t end;           /**< offset one past the last packet byte */
  struct net_buffer_pool_s *pool; /**< owning pool (private) */
  struct net_buffer_s *next;      /**< pool free list link (private) */
  /* Offload metadata, meaningful only with the matching flag.  csum_start
     is relative to begin: net_buffer_push() and net_buffer_pull() keep it
     so while CSUM_PARTIAL is set. */
  uint32_t offload_flags; /**< mask of enum net_buffer_offload_e */
  uint16_t csum_start;    /**< CSUM_PARTIAL: where summing starts, from begin */
  uint16_t csum_offset;   /**< CSUM_PARTIAL: checksum field, from csum_start */
  uint16_t gso_size;      /**< GSO_TCPV4: payload bytes per segment */
  uint8_t *data;          /**< storage, @c size bytes */
};

/** Counters of a pool (see net_buffer_pool_stats()). */
struct net_buffer_pool_stats_s
{
  size_t buffer_size;   /**< bytes per buffer */
  size_t capacity;      /**< maximum number of buffers */
  size_t in_use;        /**< buffers currently allocated */
  size_t high_water;    /**< maximum in_use ever seen */
  uint64_t allocs;      /**< successful allocations */
  uint64_t failures;    /**< allocations refused: pool exhausted, request
                             larger than buffer_size, or out of memory */
};

/**
 * Create a pool of up to @p capacity buffers of @p buffer_size bytes each.
 * Memory is allocated lazily, about 2 MiB of buffers at a time (huge
 * pages where the kernel gives them, populated at once), and kept on a
 * free list once released, so a steady state does no malloc; it goes back
 * to the system when the pool is destroyed.  The pool is refcounted: it
 * lives until
 * net_buffer_pool_refdec() dropped the creator's reference and every
 * buffer it handed out was released.
 * @param name short label for logs (copied; NULL gives "buffers").
 * @param buffer_size bytes of storage per buffer (headroom included).
 * @param capacity maximum number of buffers out at the same time.
 * @return the pool, or NULL if the arguments are invalid (size 0 or over
 * 16 MiB, capacity 0 or over 2^30: g_critical) or memory is short.
 *
 * At most @p capacity buffers are out at any time.  Free buffers are
 * cached per thread (up to 32 per thread that uses the pool) and not
 * stolen across threads, so the memory held is bounded by
 * (@p capacity + 32 x threads) x (@p buffer_size + 64).
 */
struct net_buffer_pool_s *net_buffer_pool_create(const char *name,
                                                 size_t buffer_size,
                                                 size_t capacity);

/**
 * Take one more reference on @p pool; returns @p pool.  Valid as long as
 * the pool is alive: while a reference is held or one of its buffers is
 * (so a holder of a buffer may take a reference through @c buf->pool).
 */
struct net_buffer_pool_s *net_buffer_pool_refinc(struct net_buffer_pool_s *pool);

/**
 * Drop a pool reference (NULL is ignored).  When it was the last one and
 * no buffer is outstanding the pool is freed now; otherwise it is freed
 * by the release of its last buffer.  A refdec without a reference is
 * reported with g_critical and ignored.  Any thread.
 */
void net_buffer_pool_refdec(struct net_buffer_pool_s *pool);

/** Element size of the pool's buffers. */
size_t net_buffer_pool_buffer_size(const struct net_buffer_pool_s *pool);

/** Label given at creation (for logs and dumps). */
const char *net_buffer_pool_name(const struct net_buffer_pool_s *pool);

/**
 * The pool's counters (safe from any thread).  Each counter is exact;
 * while other threads allocate, they are read one after the other.
 */
void net_buffer_pool_stats(const struct net_buffer_pool_s *pool,
                           struct net_buffer_pool_stats_s *stats);

/**
 * Take a buffer from @p pool with an empty packet starting @p headroom
 * bytes in (begin = end = headroom), offload metadata cleared.  The
 * headroom is normally the @c prefix_size of the sending layer's context.
 * Any thread.
 * @return a buffer holding one reference, or NULL when the pool is
 * exhausted, headroom exceeds the buffer size or memory is short (counted
 * as a failure).
 */
struct net_buffer_s *net_buffer_alloc(struct net_buffer_pool_s *pool,
                                      size_t headroom);

/** Take one more reference; returns @p buf. */
static inline struct net_buffer_s *net_buffer_refinc(struct net_buffer_s *buf)
{
  atomic_fetch_add_explicit(&buf->refcount, 1, memory_order_relaxed);
  return buf;
}

/**
 * Drop a reference; the last one returns the buffer to its pool (and may
 * free the pool, see net_buffer_pool_refdec()).  NULL is ignored.  A
 * refdec on a buffer with no reference left is reported with g_critical
 * and ignored.  Any thread.
 */
void net_buffer_refdec(struct net_buffer_s *buf);

/** True when someone else holds a reference too (bytes are read-only). */
static inline bool net_buffer_is_shared(const struct net_buffer_s *buf)
{
  return atomic_load_explicit(&buf->refcount, memory_order_acquire) > 1;
}

/** First byte of the packet. */
static inline uint8_t *net_buffer_data(const struct net_buffer_s *buf)
{
  return buf->data + buf->begin;
}

/** Packet length in bytes. */
static inline size_t net_buffer_len(const struct net_buffer_s *buf)
{
  return buf->end - buf->begin;
}

/** Bytes available in front of the packet. */
static inline size_t net_buffer_headroom(const struct net_buffer_s *buf)
{
  return buf->begin;
}

/** Bytes available after the packet. */
static inline size_t net_buffer_tailroom(const struct net_buffer_s *buf)
{
  return buf->size - buf->end;
}

/**
 * Grow the packet at the front by @p n bytes (add a header).
 * @return pointer to the new first byte, or NULL (nothing changed) when the
 * headroom is smaller than @p n.
 */
static inline uint8_t *net_buffer_push(struct net_buffer_s *buf, size_t n)
{
  if (n > buf->begin)
    return NULL;
  buf->begin -= (uint32_t)n;
  if (buf->offload_flags & NET_BUFFER_CSUM_PARTIAL)
    buf->csum_start = (uint16_t)(buf->csum_start + n);
  return buf->data + buf->begin;
}

/**
 * Shrink the packet at the front by @p n bytes (strip a header).
 * @return pointer to the stripped bytes (the old first byte), or NULL
 * (nothing changed) when the packet is shorter than @p n.
 */
static inline uint8_t *net_buffer_pull(struct net_buffer_s *buf, size_t n)
{
  if (n > net_buffer_len(buf))
    return NULL;
  uint8_t *old = buf->data + buf->begin;
  buf->begin += (uint32_t)n;
  if (buf->offload_flags & NET_BUFFER_CSUM_PARTIAL)
    buf->csum_start = (uint16_t)(buf->csum_start - n);
  return old;
}

/**
 * Grow the packet at the end by @p n bytes (append payload).
 * @return pointer to the first appended byte, or NULL (nothing changed)
 * when the tailroom is smaller than @p n.
 */
static inline uint8_t *net_buffer_put(struct net_buffer_s *buf, size_t n)
{
  if (n > net_buffer_tailroom(buf))
    return NULL;
  uint8_t *at = buf->data + buf->end;
  buf->end += (uint32_t)n;
  return at;
}

/** Cut the packet to @p len bytes if it is longer; returns 0 or -EINVAL. */
static inline int net_buffer_trim(struct net_buffer_s *buf, size_t len)
{
  if (len > net_buffer_len(buf))
    return -EINVAL;
  buf->end = buf->begin + (uint32_t)len;
  return 0;
}

/**
 * Private copy of the packet [begin, end) into a buffer from @p pool with
 * @p headroom bytes in front (offload metadata copied too).
 * @return a new buffer with one reference, or NULL (pool exhausted, or
 * headroom + packet length exceed the pool's buffer size; both counted as
 * failures of @p pool).
 */
struct net_buffer_s *net_buffer_copy(struct net_buffer_pool_s *pool,
                                     const struct net_buffer_s *buf,
                                     size_t headroom);

/**
 * Make *@p bufp safe to write: when shared, replace it by a private copy
 * from the same pool with the same headroom and drop the caller's
 * reference to the shared one.  Returns 0, or -ENOMEM (then *bufp is left
 * untouched, still referenced).
 */
int net_buffer_make_writable(struct net_buffer_s **bufp);

#ifdef __cplusplus
}
#endif

#endif
