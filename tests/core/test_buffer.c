/* Buffers and pools (net/buffer.h): bounds, sharing, copy-on-write,
   exhaustion, pool lifetime, statistics, and a threaded stress for TSan. */
#include <config.h>
#include <net/buffer.h>
#include "check_main.h"
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Criticals are part of the contract (double refdec, invalid arguments):
   count them instead of letting them abort under G_DEBUG=fatal-criticals. */
static unsigned criticals;

static void count_critical(const gchar *domain, GLogLevelFlags level,
                           const gchar *message, gpointer data)
{
  (void)domain;
  (void)level;
  (void)message;
  (void)data;
  criticals++;
}

static void setup(void)
{
  criticals = 0;
  g_log_set_always_fatal(G_LOG_FATAL_MASK);
  g_log_set_fatal_mask(NET_LOG_DOMAIN, G_LOG_FATAL_MASK);
  g_log_set_handler(NET_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL
                    | G_LOG_FLAG_RECURSION, count_critical, NULL);
}

static struct net_buffer_pool_stats_s stats_of(struct net_buffer_pool_s *pool)
{
  struct net_buffer_pool_stats_s s;
  memset(&s, 0xa5, sizeof(s));
  net_buffer_pool_stats(pool, &s);
  return s;
}

/* ---- creation ---------------------------------------------------------- */

START_TEST(test_create_invalid)
{
  ck_assert_ptr_null(net_buffer_pool_create("zero", 0, 4));
  ck_assert_ptr_null(net_buffer_pool_create("huge", (16u << 20) + 1, 4));
  ck_assert_ptr_null(net_buffer_pool_create("empty", 64, 0));
  ck_assert_uint_eq(criticals, 3);

  struct net_buffer_pool_s *pool = net_buffer_pool_create("max", 16u << 20, 1);
  ck_assert_ptr_nonnull(pool);
  ck_assert_uint_eq(net_buffer_pool_buffer_size(pool), 16u << 20);
  ck_assert_str_eq(net_buffer_pool_name(pool), "max");
  struct net_buffer_s *buf = net_buffer_alloc(pool, 0);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(net_buffer_tailroom(buf), 16u << 20);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);

  pool = net_buffer_pool_create(NULL, 64, 1);
  ck_assert_ptr_nonnull(pool);
  ck_assert_ptr_nonnull(net_buffer_pool_name(pool));
  net_buffer_pool_refdec(pool);
  ck_assert_uint_eq(criticals, 3);
}
END_TEST

START_TEST(test_fresh_stats)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("s", 100, 7);
  struct net_buffer_pool_stats_s s = stats_of(pool);
  ck_assert_uint_eq(s.buffer_size, 100);
  ck_assert_uint_eq(s.capacity, 7);
  ck_assert_uint_eq(s.in_use, 0);
  ck_assert_uint_eq(s.high_water, 0);
  ck_assert_uint_eq(s.allocs, 0);
  ck_assert_uint_eq(s.failures, 0);
  net_buffer_pool_refdec(pool);
}
END_TEST

/* ---- allocation -------------------------------------------------------- */

START_TEST(test_alloc_headroom)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("h", 256, 4);

  struct net_buffer_s *buf = net_buffer_alloc(pool, 42);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(buf->size, 256);
  ck_assert_uint_eq(net_buffer_headroom(buf), 42);
  ck_assert_uint_eq(net_buffer_len(buf), 0);
  ck_assert_uint_eq(net_buffer_tailroom(buf), 256 - 42);
  ck_assert_ptr_eq(net_buffer_data(buf), buf->data + 42);
  ck_assert_ptr_eq(buf->pool, pool);
  ck_assert(!net_buffer_is_shared(buf));
  ck_assert_uint_eq((uintptr_t)buf->data % 64, 0);
  /* The whole storage is usable (ASan/Valgrind check the bounds). */
  memset(buf->data, 0x5a, buf->size);
  net_buffer_refdec(buf);

  /* Headroom of exactly the size: an empty buffer with no tailroom. */
  buf = net_buffer_alloc(pool, 256);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(net_buffer_headroom(buf), 256);
  ck_assert_uint_eq(net_buffer_tailroom(buf), 0);
  ck_assert_ptr_null(net_buffer_put(buf, 1));
  net_buffer_refdec(buf);

  /* One more is refused and counted. */
  ck_assert_ptr_null(net_buffer_alloc(pool, 257));
  ck_assert_ptr_null(net_buffer_alloc(pool, SIZE_MAX));
  struct net_buffer_pool_stats_s s = stats_of(pool);
  ck_assert_uint_eq(s.allocs, 2);
  ck_assert_uint_eq(s.failures, 2);
  ck_assert_uint_eq(s.in_use, 0);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_alloc_resets_metadata)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("m", 128, 1);
  struct net_buffer_s *buf = net_buffer_alloc(pool, 10);
  net_buffer_put(buf, 20);
  buf->offload_flags = NET_BUFFER_CSUM_PARTIAL | NET_BUFFER_GSO_TCPV4;
  buf->csum_start = 14;
  buf->csum_offset = 16;
  buf->gso_size = 1448;
  struct net_buffer_s *old = buf;
  net_buffer_refdec(buf);

  /* Capacity 1: the same element comes back, reset. */
  buf = net_buffer_alloc(pool, 3);
  ck_assert_ptr_eq(buf, old);
  ck_assert_uint_eq(buf->offload_flags, 0);
  ck_assert_uint_eq(buf->csum_start, 0);
  ck_assert_uint_eq(buf->csum_offset, 0);
  ck_assert_uint_eq(buf->gso_size, 0);
  ck_assert_uint_eq(buf->begin, 3);
  ck_assert_uint_eq(buf->end, 3);
  ck_assert_uint_eq(atomic_load(&buf->refcount), 1);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_free_list_reuse)
{
  /* Steady state recycles the elements created during warm-up. */
  struct net_buffer_pool_s *pool = net_buffer_pool_create("r", 64, 3);
  struct net_buffer_s *a = net_buffer_alloc(pool, 0);
  struct net_buffer_s *b = net_buffer_alloc(pool, 0);
  struct net_buffer_s *c = net_buffer_alloc(pool, 0);
  net_buffer_refdec(a);
  net_buffer_refdec(b);
  net_buffer_refdec(c);
  for (int i = 0; i < 1000; i++)
    {
      struct net_buffer_s *x = net_buffer_alloc(pool, 0);
      struct net_buffer_s *y = net_buffer_alloc(pool, 0);
      ck_assert(x == a || x == b || x == c);
      ck_assert(y == a || y == b || y == c);
      ck_assert_ptr_ne(x, y);
      net_buffer_refdec(y);
      net_buffer_refdec(x);
    }
  struct net_buffer_pool_stats_s s = stats_of(pool);
  ck_assert_uint_eq(s.allocs, 2003);
  ck_assert_uint_eq(s.high_water, 3);
  net_buffer_pool_refdec(pool);
}
END_TEST

/* Elements carved from shared chunks (or allocated one by one under the
   sanitizers): every buffer of a full pool owns its storage alone, bytes
   start on a cache line, and all come back to be reused and freed. */
static void check_carving(size_t size, size_t capacity)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("carve", size, capacity);
  struct net_buffer_s **bufs = g_new0(struct net_buffer_s *, capacity);
  for (int round = 0; round < 2; round++)
    {
      for (size_t i = 0; i < capacity; i++)
        {
          bufs[i] = net_buffer_alloc(pool, 0);
          ck_assert_ptr_nonnull(bufs[i]);
          ck_assert_uint_eq(bufs[i]->size, size);
          ck_assert_uint_eq((uintptr_t)bufs[i]->data % 64, 0);
          memset(bufs[i]->data, (int)(i * 7 + round), size);
        }
      ck_assert_ptr_null(net_buffer_alloc(pool, 0));
      for (size_t i = 0; i < capacity; i++)
        {
          uint8_t want = (uint8_t)(i * 7 + round);
          ck_assert_uint_eq(bufs[i]->data[0], want);
          ck_assert_uint_eq(bufs[i]->data[size - 1], want);
          ck_assert_uint_eq(bufs[i]->data[size / 2], want);
        }
      for (size_t i = 0; i < capacity; i++)
        net_buffer_refdec(bufs[i]);
    }
  struct net_buffer_pool_stats_s s = stats_of(pool);
  ck_assert_uint_eq(s.high_water, capacity);
  ck_assert_uint_eq(s.in_use, 0);
  g_free(bufs);
  net_buffer_pool_refdec(pool);
  ck_assert_uint_eq(criticals, 0);
}

START_TEST(test_chunk_carving)
{
  check_carving(100, 5);            /* a pool smaller than a chunk */
  check_carving(16384, 300);        /* several chunks, the last one partial */
  check_carving(65536, 40);         /* jumbo: 31 to a chunk */
  check_carving(3u << 20, 2);       /* larger than a chunk */
}
END_TEST

/* ---- push / pull / put / trim bounds ----------------------------------- */

START_TEST(test_push_bounds)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("p", 100, 1);
  struct net_buffer_s *buf = net_buffer_alloc(pool, 30);
  ck_assert_ptr_nonnull(net_buffer_put(buf, 10));

  ck_assert_ptr_eq(net_buffer_push(buf, 0), buf->data + 30);
  /* One more than the headroom: refused, nothing changed. */
  ck_assert_ptr_null(net_buffer_push(buf, 31));
  ck_assert_uint_eq(buf->begin, 30);
  ck_assert_uint_eq(net_buffer_len(buf), 10);
  ck_assert_ptr_null(net_buffer_push(buf, SIZE_MAX));
  ck_assert_uint_eq(buf->begin, 30);

  uint8_t *hdr = net_buffer_push(buf, 14);
  ck_assert_ptr_eq(hdr, buf->data + 16);
  ck_assert_uint_eq(net_buffer_len(buf), 24);
  /* Exactly the remaining headroom. */
  hdr = net_buffer_push(buf, 16);
  ck_assert_ptr_eq(hdr, buf->data);
  ck_assert_uint_eq(net_buffer_headroom(buf), 0);
  ck_assert_uint_eq(net_buffer_len(buf), 40);
  ck_assert_ptr_null(net_buffer_push(buf, 1));
  ck_assert_uint_eq(net_buffer_len(buf), 40);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_pull_bounds)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("p", 100, 1);
  struct net_buffer_s *buf = net_buffer_alloc(pool, 20);
  uint8_t *payload = net_buffer_put(buf, 50);
  for (int i = 0; i < 50; i++)
    payload[i] = (uint8_t)i;

  /* One more than the packet: refused, nothing changed. */
  ck_assert_ptr_null(net_buffer_pull(buf, 51));
  ck_assert_uint_eq(buf->begin, 20);
  ck_assert_ptr_null(net_buffer_pull(buf, SIZE_MAX));

  uint8_t *old = net_buffer_pull(buf, 14);
  ck_assert_ptr_eq(old, payload);
  ck_assert_uint_eq(old[0], 0);
  ck_assert_uint_eq(net_buffer_data(buf)[0], 14);
  ck_assert_uint_eq(net_buffer_len(buf), 36);
  ck_assert_uint_eq(net_buffer_headroom(buf), 34);

  /* Pulled headers can be pushed back without copying. */
  ck_assert_ptr_eq(net_buffer_push(buf, 14), payload);

  /* Exactly the packet length leaves an empty packet. */
  ck_assert_ptr_eq(net_buffer_pull(buf, 50), payload);
  ck_assert_uint_eq(net_buffer_len(buf), 0);
  ck_assert_ptr_null(net_buffer_pull(buf, 1));
  ck_assert_ptr_nonnull(net_buffer_pull(buf, 0));
  ck_assert_uint_eq(net_buffer_headroom(buf), 70);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_put_bounds)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("p", 100, 1);
  struct net_buffer_s *buf = net_buffer_alloc(pool, 10);
  ck_assert_uint_eq(net_buffer_tailroom(buf), 90);

  ck_assert_ptr_null(net_buffer_put(buf, 91));
  ck_assert_uint_eq(buf->end, 10);
  ck_assert_ptr_null(net_buffer_put(buf, SIZE_MAX));
  ck_assert_uint_eq(buf->end, 10);

  ck_assert_ptr_eq(net_buffer_put(buf, 40), buf->data + 10);
  ck_assert_ptr_eq(net_buffer_put(buf, 50), buf->data + 50);
  ck_assert_uint_eq(net_buffer_tailroom(buf), 0);
  ck_assert_uint_eq(net_buffer_len(buf), 90);
  ck_assert_ptr_null(net_buffer_put(buf, 1));
  ck_assert_ptr_nonnull(net_buffer_put(buf, 0));
  ck_assert_uint_eq(net_buffer_len(buf), 90);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_trim_bounds)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("p", 100, 1);
  struct net_buffer_s *buf = net_buffer_alloc(pool, 10);
  net_buffer_put(buf, 60);

  ck_assert_int_eq(net_buffer_trim(buf, 61), -EINVAL);
  ck_assert_uint_eq(net_buffer_len(buf), 60);
  ck_assert_int_eq(net_buffer_trim(buf, SIZE_MAX), -EINVAL);
  ck_assert_int_eq(net_buffer_trim(buf, 60), 0);
  ck_assert_uint_eq(net_buffer_len(buf), 60);
  ck_assert_int_eq(net_buffer_trim(buf, 46), 0);
  ck_assert_uint_eq(net_buffer_len(buf), 46);
  ck_assert_uint_eq(buf->end, 56);
  ck_assert_uint_eq(net_buffer_tailroom(buf), 44);
  ck_assert_int_eq(net_buffer_trim(buf, 0), 0);
  ck_assert_uint_eq(net_buffer_len(buf), 0);
  ck_assert_uint_eq(buf->begin, 10);
  ck_assert_int_eq(net_buffer_trim(buf, 1), -EINVAL);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
}
END_TEST

/* ---- sharing and copies ------------------------------------------------ */

static struct net_buffer_s *filled(struct net_buffer_pool_s *pool,
                                   size_t headroom, size_t len, uint8_t seed)
{
  struct net_buffer_s *buf = net_buffer_alloc(pool, headroom);
  ck_assert_ptr_nonnull(buf);
  uint8_t *p = net_buffer_put(buf, len);
  ck_assert_ptr_nonnull(p);
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t)(seed + i * 7);
  return buf;
}

START_TEST(test_refcount_sharing)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("sh", 128, 2);
  struct net_buffer_s *buf = filled(pool, 16, 32, 1);

  ck_assert_ptr_eq(net_buffer_refinc(buf), buf);
  ck_assert(net_buffer_is_shared(buf));
  net_buffer_refinc(buf);
  ck_assert_uint_eq(atomic_load(&buf->refcount), 3);
  ck_assert_uint_eq(stats_of(pool).in_use, 1);

  net_buffer_refdec(buf);
  ck_assert(net_buffer_is_shared(buf));
  net_buffer_refdec(buf);
  ck_assert(!net_buffer_is_shared(buf));
  /* Still ours: the bytes are intact and the pool counts it in use. */
  ck_assert_uint_eq(net_buffer_data(buf)[31], (uint8_t)(1 + 31 * 7));
  ck_assert_uint_eq(stats_of(pool).in_use, 1);
  net_buffer_refdec(buf);
  ck_assert_uint_eq(stats_of(pool).in_use, 0);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_double_refdec)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("dd", 128, 2);
  struct net_buffer_s *keep = net_buffer_alloc(pool, 0);
  struct net_buffer_s *buf = net_buffer_alloc(pool, 0);
  net_buffer_refdec(buf);
  ck_assert_uint_eq(criticals, 0);
  /* The element sits on the free list with refcount 0: a second refdec is
     reported and must not push it on the free list a second time. */
  net_buffer_refdec(buf);
  ck_assert_uint_eq(criticals, 1);
  ck_assert_uint_eq(atomic_load(&buf->refcount), 0);
  struct net_buffer_pool_stats_s s = stats_of(pool);
  ck_assert_uint_eq(s.in_use, 1);

  /* Were it on the list twice, these two would be the same element. */
  struct net_buffer_s *a = net_buffer_alloc(pool, 0);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_null(net_buffer_alloc(pool, 0));
  ck_assert_ptr_ne(a, keep);
  net_buffer_refdec(a);
  net_buffer_refdec(keep);
  net_buffer_refdec(NULL);
  ck_assert_uint_eq(criticals, 1);
  net_buffer_pool_refdec(pool);
  net_buffer_pool_refdec(NULL);
}
END_TEST

START_TEST(test_make_writable_unshared)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("w", 128, 2);
  struct net_buffer_s *buf = filled(pool, 20, 40, 3);
  struct net_buffer_s *orig = buf;
  ck_assert_int_eq(net_buffer_make_writable(&buf), 0);
  ck_assert_ptr_eq(buf, orig);
  ck_assert_uint_eq(stats_of(pool).allocs, 1);
  ck_assert_uint_eq(atomic_load(&buf->refcount), 1);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_make_writable_shared)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("w", 128, 2);
  struct net_buffer_s *buf = filled(pool, 20, 40, 3);
  net_buffer_trim(buf, 37);
  buf->offload_flags = NET_BUFFER_CSUM_PARTIAL;
  buf->csum_start = 20;
  buf->csum_offset = 6;
  buf->gso_size = 536;
  struct net_buffer_s *other = net_buffer_refinc(buf);

  ck_assert_int_eq(net_buffer_make_writable(&buf), 0);
  ck_assert_ptr_ne(buf, other);
  ck_assert(!net_buffer_is_shared(buf));
  ck_assert(!net_buffer_is_shared(other));
  ck_assert_ptr_eq(buf->pool, pool);
  ck_assert_uint_eq(net_buffer_headroom(buf), 20);
  ck_assert_uint_eq(net_buffer_len(buf), 37);
  ck_assert_uint_eq(net_buffer_tailroom(buf), net_buffer_tailroom(other));
  ck_assert_mem_eq(net_buffer_data(buf), net_buffer_data(other), 37);
  ck_assert_uint_eq(buf->offload_flags, NET_BUFFER_CSUM_PARTIAL);
  ck_assert_uint_eq(buf->csum_start, 20);
  ck_assert_uint_eq(buf->csum_offset, 6);
  ck_assert_uint_eq(buf->gso_size, 536);

  /* Writing the copy leaves the other holder's bytes alone. */
  net_buffer_data(buf)[0] ^= 0xff;
  ck_assert_uint_eq(net_buffer_data(other)[0], 3);
  ck_assert_uint_eq(stats_of(pool).in_use, 2);
  net_buffer_refdec(other);
  net_buffer_refdec(buf);
  ck_assert_uint_eq(stats_of(pool).in_use, 0);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_make_writable_exhausted)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("w", 128, 1);
  struct net_buffer_s *buf = filled(pool, 0, 10, 0);
  struct net_buffer_s *other = net_buffer_refinc(buf);
  ck_assert_int_eq(net_buffer_make_writable(&buf), -ENOMEM);
  ck_assert_ptr_eq(buf, other);
  ck_assert_uint_eq(atomic_load(&buf->refcount), 2);
  ck_assert_uint_eq(stats_of(pool).failures, 1);

  /* Once the other holder lets go, no copy is needed any more. */
  net_buffer_refdec(other);
  ck_assert_int_eq(net_buffer_make_writable(&buf), 0);
  ck_assert_ptr_eq(buf, other);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_copy_headroom)
{
  struct net_buffer_pool_s *small = net_buffer_pool_create("small", 64, 4);
  struct net_buffer_pool_s *large = net_buffer_pool_create("large", 2048, 4);
  struct net_buffer_s *buf = filled(small, 8, 50, 9);
  buf->offload_flags = NET_BUFFER_CSUM_VALID;

  /* Into a larger pool with more headroom. */
  struct net_buffer_s *copy = net_buffer_copy(large, buf, 128);
  ck_assert_ptr_nonnull(copy);
  ck_assert_ptr_eq(copy->pool, large);
  ck_assert_uint_eq(net_buffer_headroom(copy), 128);
  ck_assert_uint_eq(net_buffer_len(copy), 50);
  ck_assert_uint_eq(net_buffer_tailroom(copy), 2048 - 178);
  ck_assert_mem_eq(net_buffer_data(copy), net_buffer_data(buf), 50);
  ck_assert_uint_eq(copy->offload_flags, NET_BUFFER_CSUM_VALID);
  ck_assert(!net_buffer_is_shared(buf));
  net_buffer_refdec(copy);

  /* Headroom + length exactly the size fits; one more does not. */
  copy = net_buffer_copy(small, buf, 14);
  ck_assert_ptr_nonnull(copy);
  ck_assert_uint_eq(net_buffer_tailroom(copy), 0);
  ck_assert_mem_eq(net_buffer_data(copy), net_buffer_data(buf), 50);
  net_buffer_refdec(copy);
  ck_assert_ptr_null(net_buffer_copy(small, buf, 15));
  ck_assert_ptr_null(net_buffer_copy(small, buf, SIZE_MAX));
  struct net_buffer_pool_stats_s s = stats_of(small);
  ck_assert_uint_eq(s.allocs, 2);
  ck_assert_uint_eq(s.failures, 2);
  ck_assert_uint_eq(s.in_use, 1);

  /* An empty packet copies too. */
  net_buffer_trim(buf, 0);
  copy = net_buffer_copy(small, buf, 64);
  ck_assert_ptr_nonnull(copy);
  ck_assert_uint_eq(net_buffer_len(copy), 0);
  net_buffer_refdec(copy);

  net_buffer_refdec(buf);
  net_buffer_pool_refdec(small);
  net_buffer_pool_refdec(large);
}
END_TEST

/* ---- exhaustion and lifetime ------------------------------------------- */

START_TEST(test_exhaustion_recovery)
{
  enum { CAP = 16 };
  struct net_buffer_pool_s *pool = net_buffer_pool_create("x", 512, CAP);
  struct net_buffer_s *bufs[CAP];
  for (int i = 0; i < CAP; i++)
    {
      bufs[i] = net_buffer_alloc(pool, 0);
      ck_assert_ptr_nonnull(bufs[i]);
    }
  for (int i = 0; i < 5; i++)
    ck_assert_ptr_null(net_buffer_alloc(pool, 0));
  struct net_buffer_pool_stats_s s = stats_of(pool);
  ck_assert_uint_eq(s.in_use, CAP);
  ck_assert_uint_eq(s.high_water, CAP);
  ck_assert_uint_eq(s.allocs, CAP);
  ck_assert_uint_eq(s.failures, 5);

  /* Each return makes exactly one more allocation possible. */
  net_buffer_refdec(bufs[3]);
  bufs[3] = net_buffer_alloc(pool, 0);
  ck_assert_ptr_nonnull(bufs[3]);
  ck_assert_ptr_null(net_buffer_alloc(pool, 0));

  for (int i = 0; i < CAP; i++)
    net_buffer_refdec(bufs[i]);
  s = stats_of(pool);
  ck_assert_uint_eq(s.in_use, 0);
  ck_assert_uint_eq(s.high_water, CAP);
  ck_assert_uint_eq(s.allocs, CAP + 1);
  ck_assert_uint_eq(s.failures, 6);

  for (int i = 0; i < CAP; i++)
    ck_assert_ptr_nonnull(bufs[i] = net_buffer_alloc(pool, 0));
  for (int i = 0; i < CAP; i++)
    net_buffer_refdec(bufs[i]);
  net_buffer_pool_refdec(pool);
}
END_TEST

START_TEST(test_pool_outlives_creator)
{
  /* Dropping the creator's reference with buffers out: the pool lives on
     until the last buffer comes back (ASan/Valgrind: no leak, no UAF). */
  struct net_buffer_pool_s *pool = net_buffer_pool_create("late", 256, 4);
  struct net_buffer_s *a = filled(pool, 0, 100, 1);
  struct net_buffer_s *b = filled(pool, 0, 100, 2);
  struct net_buffer_s *c = net_buffer_refinc(b);
  net_buffer_pool_refdec(pool);

  /* Still a working pool: stats, copies, writable copies. */
  ck_assert_uint_eq(stats_of(a->pool).in_use, 2);
  ck_assert_int_eq(net_buffer_make_writable(&c), 0);
  ck_assert_ptr_ne(c, b);
  ck_assert_uint_eq(stats_of(a->pool).in_use, 3);
  net_buffer_refdec(a);
  net_buffer_refdec(c);
  memset(net_buffer_data(b), 0, net_buffer_len(b));

  /* A holder may take a pool reference through its buffer. */
  struct net_buffer_pool_s *again = net_buffer_pool_refinc(b->pool);
  net_buffer_refdec(b);
  struct net_buffer_s *d = net_buffer_alloc(again, 0);
  ck_assert_ptr_nonnull(d);
  net_buffer_pool_refdec(again);
  ck_assert_uint_eq(criticals, 0);

  /* Refdec of the pool without a reference: reported, ignored. */
  net_buffer_pool_refdec(d->pool);
  ck_assert_uint_eq(criticals, 1);
  net_buffer_refdec(d);          /* frees the pool */
}
END_TEST

START_TEST(test_pool_refcount)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("rc", 64, 1);
  ck_assert_ptr_eq(net_buffer_pool_refinc(pool), pool);
  net_buffer_pool_refdec(pool);
  struct net_buffer_s *buf = net_buffer_alloc(pool, 0);
  ck_assert_ptr_nonnull(buf);
  net_buffer_refdec(buf);
  net_buffer_pool_refdec(pool);
  ck_assert_uint_eq(criticals, 0);
}
END_TEST

/* ---- statistics against a model ---------------------------------------- */

START_TEST(test_stats_model)
{
  enum { CAP = 24, STEPS = 5000 };
  struct net_buffer_pool_s *pool = net_buffer_pool_create("model", 96, CAP);
  struct net_buffer_s *held[CAP + 8];
  size_t n = 0, high = 0;
  uint64_t allocs = 0, failures = 0;
  GRand *rng = g_rand_new_with_seed(1234);

  for (int step = 0; step < STEPS; step++)
    {
      unsigned op = (unsigned)g_rand_int_range(rng, 0, 10);
      if (op < 5 || n == 0)
        {
          size_t headroom = (size_t)g_rand_int_range(rng, 0, 120);
          struct net_buffer_s *buf = net_buffer_alloc(pool, headroom);
          if (n == CAP || headroom > 96)
            {
              ck_assert_ptr_null(buf);
              failures++;
            }
          else
            {
              ck_assert_ptr_nonnull(buf);
              held[n++] = buf;
              allocs++;
              if (n > high)
                high = n;
            }
        }
      else if (op < 8)
        {
          size_t i = (size_t)g_rand_int_range(rng, 0, (gint32)n);
          net_buffer_refdec(held[i]);
          held[i] = held[--n];
        }
      else
        {
          /* Shared then released: no change in the pool's counters. */
          size_t i = (size_t)g_rand_int_range(rng, 0, (gint32)n);
          net_buffer_refinc(held[i]);
          net_buffer_refdec(held[i]);
        }
      struct net_buffer_pool_stats_s s = stats_of(pool);
      ck_assert_uint_eq(s.in_use, n);
      ck_assert_uint_eq(s.high_water, high);
      ck_assert_uint_eq(s.allocs, allocs);
      ck_assert_uint_eq(s.failures, failures);
    }
  ck_assert_uint_eq(high, CAP);
  ck_assert_uint_gt(failures, 0);
  while (n)
    net_buffer_refdec(held[--n]);
  g_rand_free(rng);
  net_buffer_pool_refdec(pool);
}
END_TEST

/* ---- threads ----------------------------------------------------------- */

/* Threads allocate, fill, share (refinc) buffers with their neighbour
   through a small mailbox of atomic slots, and release buffers their
   neighbour sent: allocations and releases happen on different threads,
   the pool runs dry regularly, and every buffer's bytes are checked by
   the receiver. */
enum { NTHREADS = 4, ITERS = 20000, SLOTS = 8, STRESS_CAP = 32 };

struct stress_s
{
  struct net_buffer_pool_s *pool;
  _Atomic(struct net_buffer_s *) slots[NTHREADS][SLOTS];
  uint64_t allocs[NTHREADS];
  uint64_t failures[NTHREADS];
  unsigned corrupted[NTHREADS];
  unsigned index[NTHREADS];
};

static void check_and_release(struct stress_s *st, unsigned self,
                              struct net_buffer_s *buf)
{
  const uint8_t *p = net_buffer_data(buf);
  size_t len = net_buffer_len(buf);
  if (len < 1)
    st->corrupted[self]++;
  for (size_t i = 1; i < len; i++)
    if (p[i] != (uint8_t)(p[0] + i))
      {
        st->corrupted[self]++;
        break;
      }
  net_buffer_refdec(buf);
}

static void *stress_thread(void *arg)
{
  unsigned *idx = arg;
  unsigned self = *idx;
  struct stress_s *st = net_container_of(idx - self, struct stress_s, index);
  unsigned peer = (self + 1) % NTHREADS;
  struct net_buffer_s *own = NULL;

  for (unsigned it = 0; it < ITERS; it++)
    {
      /* Receive: release whatever the previous thread sent us. */
      struct net_buffer_s *in = atomic_exchange_explicit(
        &st->slots[self][it % SLOTS], NULL, memory_order_acquire);
      if (in)
        check_and_release(st, self, in);

      struct net_buffer_s *buf = net_buffer_alloc(st->pool, 16);
      if (!buf)
        {
          st->failures[self]++;
          continue;
        }
      st->allocs[self]++;
      size_t len = 1 + (it * 13 + self) % 200;
      uint8_t *p = net_buffer_put(buf, len);
      for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(it + i);

      /* Send a shared reference to the next thread, keep ours for a
         while, then release it: the last release is on either side. */
      struct net_buffer_s *expected = NULL;
      if (!atomic_compare_exchange_strong_explicit(
            &st->slots[peer][it % SLOTS], &expected, net_buffer_refinc(buf),
            memory_order_release, memory_order_relaxed))
        net_buffer_refdec(buf);
      if (own)
        check_and_release(st, self, own);
      own = buf;
    }
  if (own)
    check_and_release(st, self, own);
  return NULL;
}

START_TEST(test_threaded_stress)
{
  static struct stress_s st;
  memset(&st, 0, sizeof(st));
  st.pool = net_buffer_pool_create("stress", 256, STRESS_CAP);
  pthread_t threads[NTHREADS];
  for (unsigned i = 0; i < NTHREADS; i++)
    {
      st.index[i] = i;
      ck_assert_int_eq(pthread_create(&threads[i], NULL, stress_thread,
                                      &st.index[i]), 0);
    }
  for (unsigned i = 0; i < NTHREADS; i++)
    pthread_join(threads[i], NULL);

  /* Drain the mailboxes, then every counter must add up exactly. */
  uint64_t allocs = 0, failures = 0;
  for (unsigned i = 0; i < NTHREADS; i++)
    {
      for (unsigned j = 0; j < SLOTS; j++)
        {
          struct net_buffer_s *buf = atomic_load(&st.slots[i][j]);
          if (buf)
            check_and_release(&st, i, buf);
        }
      allocs += st.allocs[i];
      failures += st.failures[i];
      ck_assert_uint_eq(st.corrupted[i], 0);
    }
  struct net_buffer_pool_stats_s s = stats_of(st.pool);
  ck_assert_uint_eq(s.in_use, 0);
  ck_assert_uint_eq(s.allocs, allocs);
  ck_assert_uint_eq(s.failures, failures);
  ck_assert_uint_eq(allocs + failures, (uint64_t)NTHREADS * ITERS);
  ck_assert_uint_le(s.high_water, STRESS_CAP);
  ck_assert_uint_gt(s.high_water, 0);
  net_buffer_pool_refdec(st.pool);
}
END_TEST

static void *release_thread(void *arg)
{
  net_buffer_refdec(arg);
  return NULL;
}

START_TEST(test_threaded_last_release)
{
  /* The creator lets go of the pool; its last buffer is released by other
     threads, concurrently, many times over: exactly one frees the pool. */
  for (int round = 0; round < 200; round++)
    {
      struct net_buffer_pool_s *pool = net_buffer_pool_create("last", 64, 2);
      struct net_buffer_s *a = net_buffer_alloc(pool, 0);
      struct net_buffer_s *b = net_buffer_alloc(pool, 0);
      pthread_t t1, t2;
      ck_assert_int_eq(pthread_create(&t1, NULL, release_thread, a), 0);
      ck_assert_int_eq(pthread_create(&t2, NULL, release_thread, b), 0);
      net_buffer_pool_refdec(pool);
      pthread_join(t1, NULL);
      pthread_join(t2, NULL);
    }
}
END_TEST

struct exit_arg_s
{
  struct net_buffer_pool_s *pool;
  struct net_buffer_s *bufs[4];
};

static void *alloc_release_exit(void *arg)
{
  struct exit_arg_s *a = arg;
  for (int i = 0; i < 4; i++)
    a->bufs[i] = net_buffer_alloc(a->pool, 0);
  /* Released on this thread: they wait in its cache until it exits. */
  for (int i = 0; i < 4; i++)
    net_buffer_refdec(a->bufs[i]);
  return NULL;
}

START_TEST(test_thread_exit_returns_cache)
{
  /* A thread caches the pool's only 4 buffers and exits: they must come
     back to the pool, not be stranded (nor replaced by new memory). */
  struct exit_arg_s a = { .pool = net_buffer_pool_create("exit", 128, 4) };
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, alloc_release_exit, &a), 0);
  pthread_join(t, NULL);
  for (int i = 0; i < 4; i++)
    ck_assert_ptr_nonnull(a.bufs[i]);

  struct net_buffer_s *mine[4];
  for (int i = 0; i < 4; i++)
    {
      mine[i] = net_buffer_alloc(a.pool, 0);
      ck_assert_ptr_nonnull(mine[i]);
      bool known = false;
      for (int j = 0; j < 4; j++)
        known |= mine[i] == a.bufs[j];
      ck_assert_msg(known, "buffer %d is new memory", i);
    }
  ck_assert_ptr_null(net_buffer_alloc(a.pool, 0));
  struct net_buffer_pool_stats_s s = stats_of(a.pool);
  ck_assert_uint_eq(s.allocs, 8);
  ck_assert_uint_eq(s.in_use, 4);
  ck_assert_uint_eq(s.high_water, 4);
  for (int i = 0; i < 4; i++)
    net_buffer_refdec(mine[i]);
  net_buffer_pool_refdec(a.pool);
}
END_TEST

START_TEST(test_many_pools_one_thread)
{
  /* More pools than a thread's fast lookup table, used round-robin,
     destroyed in a scrambled order and replaced: stale table entries of
     dead pools must never be used (ASan/Valgrind watch). */
  enum { NPOOLS = 20, ROUNDS = 50 };
  struct net_buffer_pool_s *pools[NPOOLS];
  for (int i = 0; i < NPOOLS; i++)
    pools[i] = net_buffer_pool_create("many", 64 + (size_t)i, 3);
  for (int r = 0; r < ROUNDS; r++)
    {
      for (int i = 0; i < NPOOLS; i++)
        {
          struct net_buffer_s *buf = net_buffer_alloc(pools[i], 0);
          ck_assert_ptr_nonnull(buf);
          ck_assert_uint_eq(buf->size, 64 + (size_t)i);
          ck_assert_ptr_eq(buf->pool, pools[i]);
          net_buffer_refdec(buf);
        }
      /* Replace one pool per round. */
      int victim = (r * 7) % NPOOLS;
      net_buffer_pool_refdec(pools[victim]);
      pools[victim] = net_buffer_pool_create("many", 64 + (size_t)victim, 3);
    }
  for (int i = 0; i < NPOOLS; i++)
    {
      struct net_buffer_pool_stats_s s = stats_of(pools[i]);
      ck_assert_uint_eq(s.in_use, 0);
      ck_assert_uint_le(s.high_water, 1);
      net_buffer_pool_refdec(pools[i]);
    }
  ck_assert_uint_eq(criticals, 0);
}
END_TEST

static Suite *buffer_suite(void)
{
  Suite *s = suite_create("buffer");
  TCase *tc = tcase_create("pool");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, test_create_invalid);
  tcase_add_test(tc, test_fresh_stats);
  tcase_add_test(tc, test_alloc_headroom);
  tcase_add_test(tc, test_alloc_resets_metadata);
  tcase_add_test(tc, test_free_list_reuse);
  tcase_add_test(tc, test_chunk_carving);
  tcase_add_test(tc, test_exhaustion_recovery);
  tcase_add_test(tc, test_pool_outlives_creator);
  tcase_add_test(tc, test_pool_refcount);
  tcase_add_test(tc, test_stats_model);
  suite_add_tcase(s, tc);

  tc = tcase_create("bounds");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, test_push_bounds);
  tcase_add_test(tc, test_pull_bounds);
  tcase_add_test(tc, test_put_bounds);
  tcase_add_test(tc, test_trim_bounds);
  suite_add_tcase(s, tc);

  tc = tcase_create("sharing");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, test_refcount_sharing);
  tcase_add_test(tc, test_double_refdec);
  tcase_add_test(tc, test_make_writable_unshared);
  tcase_add_test(tc, test_make_writable_shared);
  tcase_add_test(tc, test_make_writable_exhausted);
  tcase_add_test(tc, test_copy_headroom);
  suite_add_tcase(s, tc);

  tc = tcase_create("threads");
  tcase_add_checked_fixture(tc, setup, NULL);
  /* Bounded work; generous for Valgrind and TSan on a loaded machine. */
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_threaded_stress);
  tcase_add_test(tc, test_threaded_last_release);
  tcase_add_test(tc, test_thread_exit_returns_cache);
  tcase_add_test(tc, test_many_pools_one_thread);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(buffer_suite());
}
