/* Scheduler dispatch benchmark (not a test: prints figures, asserts none).
 *
 *   bench_sched            all measurements, each against a baseline
 *                          measured in the same run
 *   bench_sched cycles N   only N task cycles on the loop backend, one
 *                          task in flight (for callgrind-task.sh)
 *   bench_sched cycles-burst N   the same with tasks pushed in bursts
 *   bench_sched cycles-pingpong N  two layers pushing to each other: every
 *                          task makes its target runnable (a run each)
 *   bench_sched threaded W N [L]   only the threaded backend, W workers,
 *                          N tasks over L (8) independent layers (for perf)
 *
 * One "task cycle" = net_scheduler_task_alloc + push + dispatch to the
 * handler + net_task_destroy, which is what a layer pays per event.
 */
#include <config.h>
#include <net/layer.h>
#include <net/task.h>
#include <net/scheduler.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct blayer_s
{
  struct net_layer_s base;
  struct net_layer_s *next; /* where to push the next task (self: NULL) */
  uint64_t left;            /* tasks still to push */
  uint64_t handled;
  unsigned burst;           /* tasks pushed ... */
  unsigned every;           /* ... every that many tasks handled */
};

static void b_destroyed(struct net_layer_s *layer)
{
  free(net_container_of(layer, struct blayer_s, base));
}

static void b_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct blayer_s *l = net_container_of(layer, struct blayer_s, base);
  l->handled++;
  net_task_destroy(task);
  if (l->handled % l->every != 0)
    return;
  for (unsigned i = 0; i < l->burst && l->left > 0; i++)
    {
      l->left--;
      struct net_task_s *t = net_scheduler_task_alloc(layer->scheduler);
      net_task_notification_push(t, l->next ? l->next : layer, layer, 1, 0, 0);
    }
}

static const struct net_layer_handler_s b_handler = {
  .type_name = "bench",
  .destroyed = b_destroyed,
  .task_handle = b_task_handle,
};

static struct blayer_s *blayer_new(struct net_scheduler_s *sched, uint64_t n)
{
  /* Whole cache lines of its own: layers run by different workers must
     not share one (with calloc() neighbours did, and that false sharing
     cost 2 workers a third of their throughput). */
  size_t size = (sizeof(struct blayer_s) + 63) / 64 * 64;
  struct blayer_s *l = aligned_alloc(64, size);
  memset(l, 0, size);
  net_layer_init(&l->base, &b_handler, sched, NULL, NULL);
  l->left = n;
  l->burst = 1;
  l->every = 1;
  return l;
}

static void kick(struct blayer_s *l)
{
  struct net_task_s *t = net_scheduler_task_alloc(l->base.scheduler);
  net_task_notification_push(t, &l->base, &l->base, 1, 0, 0);
}

static double now_s(void)
{
  return g_get_monotonic_time() / 1e6;
}

/* Baseline: the same amount of "work" as plain calls through a pointer. */
struct call_state_s
{
  uint64_t left;
  uint64_t handled;
};

static void __attribute__((noinline)) call_handle(struct call_state_s *s, void *task)
{
  s->handled++;
  if (s->left)
    s->left--;
  __asm__ volatile("" : : "r"(task) : "memory");
}

static double bench_calls(uint64_t n)
{
  struct call_state_s s = { n, 0 };
  void (*volatile fn)(struct call_state_s *, void *) = call_handle;
  double t0 = now_s();
  for (uint64_t i = 0; i < n; i++)
    fn(&s, &s);
  return n / (now_s() - t0);
}

/* Loop backend: one layer pushing to itself (one task in flight: no
   batching possible), or two ping-ponging, or (burst > 1) a layer pushing
   bursts of tasks to a second one that pushes one back per burst it
   receives: n + 1 deliveries in every case. */
static double bench_loop(uint64_t n, unsigned direct, bool pair, unsigned burst)
{
  struct net_scheduler_options_s o = { .direct_depth = direct };
  struct net_scheduler_s *s = net_scheduler_loop_create(NULL, &o);
  struct blayer_s *a = blayer_new(s, pair ? n / 2 : n);
  struct blayer_s *b = pair ? blayer_new(s, n / 2) : NULL;
  if (b)
    {
      a->next = &b->base;
      b->next = &a->base;
    }
  if (b && burst > 1)
    {
      a->burst = burst;
      a->left = n - n / burst;
      b->every = burst;
      b->left = n / burst;
    }
  double t0 = now_s();
  kick(a);
  net_scheduler_run_until_idle(s);
  double rate = n / (now_s() - t0);
  net_layer_refdec(&a->base);
  if (b)
    net_layer_refdec(&b->base);
  net_scheduler_run_until_idle(s);
  net_scheduler_destroy(s);
  return rate;
}

static double cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best tasks per CPU-second of bench_threaded() runs: on a machine
   whose cores are busy with other work, wall-clock scaling says little;
   this says whether more workers cost more CPU per task (contention). */
static double threaded_per_cpu;

/* Per-worker time from /proc/self/task/TID/schedstat (Linux): time on a
   CPU and time runnable but waiting for one, in ns, summed over the
   threads named net-worker-*; the busiest worker's CPU time as well. */
struct worker_time_s
{
  double run_s, wait_s, max_run_s;
  unsigned threads;
  unsigned long long sleeps; /* voluntary context switches: blocking */
};

static struct worker_time_s worker_time(void)
{
  struct worker_time_s wt = { 0 };
  GDir *dir = g_dir_open("/proc/self/task", 0, NULL);
  if (!dir)
    return wt;
  const char *tid;
  while ((tid = g_dir_read_name(dir)))
    {
      char path[64], *comm = NULL, *stat = NULL, *status = NULL;
      snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
      if (g_file_get_contents(path, &comm, NULL, NULL)
          && g_str_has_prefix(comm, "net-worker"))
        {
          snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", tid);
          unsigned long long run, wait;
          if (g_file_get_contents(path, &stat, NULL, NULL)
              && sscanf(stat, "%llu %llu", &run, &wait) == 2)
            {
              wt.run_s += run / 1e9;
              wt.wait_s += wait / 1e9;
              if (run / 1e9 > wt.max_run_s)
                wt.max_run_s = run / 1e9;
              wt.threads++;
            }
          snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
          const char *v;
          if (g_file_get_contents(path, &status, NULL, NULL)
              && (v = strstr(status, "\nvoluntary_ctxt_switches:")))
            wt.sleeps += strtoull(v + 26, NULL, 10);
        }
      g_free(comm);
      g_free(stat);
      g_free(status);
    }
  g_dir_close(dir);
  return wt;
}

/* Of the last bench_threaded() run: worker CPU and wait time. */
static struct worker_time_s threaded_time;

/* Threaded backend: @p layers independent layers each pushing to itself. */
static double bench_threaded(uint64_t n, unsigned workers, unsigned layers)
{
  struct net_scheduler_options_s o = { .workers = workers };
  struct net_scheduler_s *s = net_scheduler_threaded_create(&o);
  struct blayer_s **l = calloc(layers, sizeof(*l));
  for (unsigned i = 0; i < layers; i++)
    l[i] = blayer_new(s, n / layers);
  struct worker_time_s w0 = worker_time();
  double t0 = now_s(), c0 = cpu_s();
  for (unsigned i = 0; i < layers; i++)
    kick(l[i]);
  net_scheduler_run_until_idle(s);
  double rate = n / (now_s() - t0);
  double per_cpu = n / (cpu_s() - c0);
  /* Workers start before w0 and idle in between: their times before the
     kick are idle start-up, subtracted (the busiest one is approximated
     by its total: start-up is microseconds). */
  struct worker_time_s w1 = worker_time();
  threaded_time = (struct worker_time_s){
    .run_s = w1.run_s - w0.run_s, .wait_s = w1.wait_s - w0.wait_s,
    .max_run_s = w1.max_run_s, .threads = w1.threads,
    .sleeps = w1.sleeps - w0.sleeps };
  if (per_cpu > threaded_per_cpu)
    threaded_per_cpu = per_cpu;
  for (unsigned i = 0; i < layers; i++)
    net_layer_refdec(&l[i]->base);
  free(l);
  net_scheduler_run_until_idle(s);
  net_scheduler_destroy(s);
  return rate;
}

static double best_of(int runs, double (*f)(void *), void *arg)
{
  double best = 0;
  for (int i = 0; i < runs; i++)
    {
      double r = f(arg);
      if (r > best)
        best = r;
    }
  return best;
}

struct args_s
{
  uint64_t n;
  unsigned a, b;
  bool pair;
};

static double run_calls(void *p) { return bench_calls(((struct args_s *)p)->n); }
static double run_loop(void *p)
{
  struct args_s *x = p;
  return bench_loop(x->n, x->a, x->pair, x->b);
}
static double run_threaded(void *p)
{
  struct args_s *x = p;
  return bench_threaded(x->n, x->a, x->b);
}

int main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "cycles") == 0)
    {
      bench_loop(strtoull(argv[2], NULL, 10), 0, false, 1);
      return 0;
    }
  if (argc == 3 && strcmp(argv[1], "cycles-burst") == 0)
    {
      bench_loop(strtoull(argv[2], NULL, 10), 0, true, 64);
      return 0;
    }
  if (argc == 3 && strcmp(argv[1], "cycles-pingpong") == 0)
    {
      bench_loop(strtoull(argv[2], NULL, 10), 0, true, 1);
      return 0;
    }
  if ((argc == 4 || argc == 5) && strcmp(argv[1], "threaded") == 0)
    {
      double t0 = cpu_s();
      unsigned layers = argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 8;
      double r = bench_threaded(strtoull(argv[3], NULL, 10),
                                (unsigned)strtoul(argv[2], NULL, 10), layers);
      printf("threaded, %s workers: %.0f tasks/s, %.0f tasks/CPU-s, %.2f CPU-s\n",
             argv[2], r, threaded_per_cpu, cpu_s() - t0);
      /* Throughput if every worker had a core of its own: tasks over the
         CPU time of the busiest worker (its waits for a CPU, which other
         processes cause, left out; its cost of contention kept). */
      printf("  workers: %u, CPU %.3f s, waiting for a CPU %.3f s, %llu sleeps, "
             "busiest worker %.3f s: %.0f tasks/s with a core per worker\n",
             threaded_time.threads, threaded_time.run_s, threaded_time.wait_s,
             threaded_time.sleeps,
             threaded_time.max_run_s,
             strtoull(argv[3], NULL, 10) / threaded_time.max_run_s);
      return 0;
    }
  const uint64_t n = 2000000;
  const int runs = 5;
  double calls = best_of(runs, run_calls, &(struct args_s){ .n = n * 10 });
  printf("direct function call      %12.0f calls/s\n", calls);
  struct
  {
    const char *name;
    struct args_s args;
  } loops[] = {
    { "loop, self", { n, 0, 1, false } },
    { "loop, ping-pong", { n, 0, 1, true } },
    { "loop, bursts of 64", { n, 0, 64, true } },
    { "loop direct, ping-pong", { n, 8, 1, true } },
  };
  for (size_t i = 0; i < G_N_ELEMENTS(loops); i++)
    {
      double r = best_of(runs, run_loop, &loops[i].args);
      printf("%-25s %12.0f tasks/s  (call/task ratio %.1f)\n", loops[i].name, r,
             calls / r);
    }
  unsigned layers = 8;
  threaded_per_cpu = 0;
  double t1 = best_of(runs, run_threaded, &(struct args_s){ n, 1, layers, false });
  double c1 = threaded_per_cpu;
  printf("threaded, 1 worker        %12.0f tasks/s  (call/task ratio %.1f), "
         "%.0f tasks/CPU-s\n", t1, calls / t1, c1);
  threaded_per_cpu = 0;
  double t2 = best_of(runs, run_threaded, &(struct args_s){ n, 2, layers, false });
  double c2 = threaded_per_cpu;
  printf("threaded, 2 workers       %12.0f tasks/s  (call/task ratio %.1f), "
         "%.0f tasks/CPU-s\n", t2, calls / t2, c2);
  printf("threaded 2 workers / 1 worker on %u independent layers: %.2fx wall clock "
         "(%u CPUs online, load average matters), %.2fx CPU efficiency\n",
         layers, t2 / t1, g_get_num_processors(), c2 / c1);
  return 0;
}
