/* Buffer pool throughput against malloc/free of the same size, measured in
   the same run: one alloc + one release is one operation.  Two patterns:
   "pair" (alloc then release at once: a forwarded packet) and "burst"
   (BURST allocations, then all released: a batch read from a device).
   Run with 1 thread and with 2 threads sharing one pool (malloc gets its
   per-thread arenas, the pool is shared: the honest comparison).

   usage: bench_buffer [operations per thread, default 2000000] */
#include <config.h>
#include <net/buffer.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BURST = 64, MAX_THREADS = 2 };

struct run_s
{
  struct net_buffer_pool_s *pool; /* NULL: malloc/free */
  size_t size;
  size_t ops;
  bool burst;
  unsigned sink;                  /* keeps the allocations observable */
};

/* Touch the first and last byte of each block, as a real user would
   write a header and read a length, so neither side is optimised away
   or benefits from untouched memory. */
static inline uint8_t *get(struct run_s *r, void **handle)
{
  if (r->pool)
    {
      struct net_buffer_s *buf = net_buffer_alloc(r->pool, 0);
      if (!buf)
        abort();
      *handle = buf;
      return buf->data;
    }
  uint8_t *p = malloc(r->size);
  if (!p)
    abort();
  *handle = p;
  return p;
}

static inline void put(struct run_s *r, void *handle)
{
  if (r->pool)
    net_buffer_refdec(handle);
  else
    free(handle);
}

static void *worker(void *arg)
{
  struct run_s *r = arg;
  void *handles[BURST];
  unsigned sink = 0;

  if (!r->burst)
    for (size_t i = 0; i < r->ops; i++)
      {
        uint8_t *p = get(r, &handles[0]);
        p[0] = (uint8_t)i;
        p[r->size - 1] = (uint8_t)i;
        sink += p[0];
        put(r, handles[0]);
      }
  else
    for (size_t i = 0; i < r->ops; i += BURST)
      {
        for (unsigned j = 0; j < BURST; j++)
          {
            uint8_t *p = get(r, &handles[j]);
            p[0] = (uint8_t)j;
            p[r->size - 1] = (uint8_t)j;
            sink += p[0];
          }
        for (unsigned j = 0; j < BURST; j++)
          put(r, handles[j]);
      }
  r->sink = sink;
  return NULL;
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Operations per second over all threads. */
static double measure(struct net_buffer_pool_s *pool, size_t size,
                      size_t ops, bool burst, unsigned nthreads)
{
  struct run_s runs[MAX_THREADS];
  pthread_t threads[MAX_THREADS];

  if (nthreads > MAX_THREADS)
    nthreads = MAX_THREADS;
  for (unsigned t = 0; t < nthreads; t++)
    runs[t] = (struct run_s){ .pool = pool, .size = size, .ops = ops,
                              .burst = burst };
  /* Warm-up: fill the pool's free list and malloc's caches. */
  struct run_s warm = runs[0];
  warm.ops = ops / 20 + BURST;
  worker(&warm);

  double start = now();
  for (unsigned t = 0; t < nthreads; t++)
    if (pthread_create(&threads[t], NULL, worker, &runs[t]) != 0)
      abort();
  for (unsigned t = 0; t < nthreads; t++)
    pthread_join(threads[t], NULL);
  double elapsed = now() - start;
  return (double)ops * nthreads / elapsed;
}

int main(int argc, char **argv)
{
  size_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
  if (ops < BURST)
    ops = BURST;
  static const size_t sizes[] = { 256, 2048 };

  printf("%-6s %-6s %-8s %14s %14s %7s\n", "size", "mode", "threads",
         "pool ops/s", "malloc ops/s", "ratio");
  for (unsigned s = 0; s < 2; s++)
    for (unsigned b = 0; b < 2; b++)
      for (unsigned nthreads = 1; nthreads <= MAX_THREADS; nthreads++)
        {
          struct net_buffer_pool_s *pool =
            net_buffer_pool_create("bench", sizes[s], 2 * BURST * nthreads);
          double pool_rate = measure(pool, sizes[s], ops, b, nthreads);
          double malloc_rate = measure(NULL, sizes[s], ops, b, nthreads);
          net_buffer_pool_refdec(pool);
          printf("%-6zu %-6s %-8u %14.0f %14.0f %6.2fx\n", sizes[s],
                 b ? "burst" : "pair", nthreads, pool_rate, malloc_rate,
                 pool_rate / malloc_rate);
        }
  printf("ratio = pool / malloc (above 1: the pool is faster)\n");
  return 0;
}
