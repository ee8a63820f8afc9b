/* Stress: producer threads push to many layers while the scheduler runs,
 * layers are unbound, re-bound and dropped with tasks in flight.
 * Proves: no layer runs twice at once (atomic in-handler flag), every task
 * is destroyed exactly once (delivered or cancelled), FIFO per
 * source->target, every layer destroyed exactly once.  Runs against every
 * configuration; the loop is driven by the main thread meanwhile. */
#include <config.h>
#include "check_main.h"
#include "tlayer.h"
#include <stdio.h>
#include <string.h>

enum
{
  PRODUCERS = 4,
  PER_PRODUCER = 3000,
  LAYERS = 48,
  TOTAL = PRODUCERS * PER_PRODUCER,
};

struct stask_s
{
  struct net_task_s task;
  int id;
  int producer;
  int seq;          /* per producer, increasing */
  int hops;
};

static struct net_scheduler_s *S;
static struct tlayer_s *root;
static struct tlayer_s *layers[LAYERS];
static struct tlayer_s *sources[PRODUCERS];
static struct stask_s *tasks;
static atomic_int destroyed[TOTAL];
static atomic_int delivered[TOTAL];
static atomic_int fifo_violations;
static atomic_int producers_done;

/* Per layer, last sequence seen from each producer (handler-serialised). */
static int last_seq[LAYERS][PRODUCERS];

static void stask_destroy(struct net_task_s *task)
{
  struct stask_s *t = net_container_of(task, struct stask_s, task);
  atomic_fetch_add(&destroyed[t->id], 1);
}

static void stress_on(struct tlayer_s *l, struct net_task_s *task)
{
  struct stask_s *t = net_container_of(task, struct stask_s, task);
  atomic_fetch_add(&delivered[t->id], 1);
  /* Give a concurrent run of the same layer a chance to show up. */
  for (volatile int spin = 0; spin < 50; spin++)
    ;
  if (task->type == NET_TASK_NOTIFICATION && task->source
      && task->source != NL(root) && t->hops == 0)
    {
      int *last = &last_seq[l->id][t->producer];
      if (t->seq <= *last)
        atomic_fetch_add(&fifo_violations, 1);
      *last = t->seq;
    }
  /* Every 8th task hops on to the root (alive till the end), pushed from
     a handler. */
  if (t->id % 8 == 0 && t->hops == 0 && task->type == NET_TASK_NOTIFICATION)
    {
      t->hops++;
      net_task_notification_push(task, NL(root), NL(l), 2, 0, 0);
      return;
    }
  net_task_destroy(task);
}

static gpointer producer_main(gpointer data)
{
  int p = GPOINTER_TO_INT(data);
  GRand *rand = g_rand_new_with_seed(1000 + p);
  /* The producer's own references: it may push to a layer only while it
     holds one, and drops them as it goes. */
  bool held[LAYERS];
  for (int i = 0; i < LAYERS; i++)
    {
      net_layer_refinc(NL(layers[i]));
      held[i] = true;
    }
  for (int n = 0; n < PER_PRODUCER; n++)
    {
      int id = p * PER_PRODUCER + n;
      struct stask_s *t = &tasks[id];
      t->id = id;
      t->producer = p;
      t->seq = n + 1;
      net_task_init(&t->task, stask_destroy);
      int li = g_rand_int_range(rand, 0, LAYERS);
      if (!held[li])
        li = (li + 1) % LAYERS;
      if (!held[li])
        {
          /* Dropped: the task dies without being pushed. */
          net_task_destroy(&t->task);
          continue;
        }
      struct net_layer_s *target = NL(layers[li]);
      int err;
      if (n % 16 == 5)
        {
          err = net_task_timeout_push(&t->task, target, NL(sources[p]),
                                      net_scheduler_time(S)
                                      + g_rand_int_range(rand, 0, 2000) * NET_NSEC_PER_USEC,
                                      NET_NSEC_PER_USEC, 1);
          if (n % 32 == 5)
            net_scheduler_task_cancel(S, &t->task);
        }
      else
        err = net_task_notification_push(&t->task, target, NL(sources[p]), 1, 0,
                                         (uintptr_t)n);
      ck_assert_int_eq(err, 0);
      /* Late in the run, drop references: layers die with tasks in flight. */
      if (n > PER_PRODUCER / 2 && n % 97 == p)
        {
          int d = g_rand_int_range(rand, 0, LAYERS);
          if (held[d])
            {
              held[d] = false;
              net_layer_refdec(NL(layers[d]));
            }
        }
    }
  for (int i = 0; i < LAYERS; i++)
    if (held[i])
      net_layer_refdec(NL(layers[i]));
  g_rand_free(rand);
  atomic_fetch_add(&producers_done, 1);
  return NULL;
}

START_TEST(stress)
{
  tlayer_reset();
  S = tsched_new(_i, NULL);
  ck_assert_ptr_nonnull(S);
  tasks = calloc(TOTAL, sizeof(*tasks));
  for (int i = 0; i < TOTAL; i++)
    {
      atomic_store(&destroyed[i], 0);
      atomic_store(&delivered[i], 0);
    }
  atomic_store(&fifo_violations, 0);
  atomic_store(&producers_done, 0);
  memset(last_seq, 0, sizeof(last_seq));

  root = tlayer_new(S, 4000);
  for (int i = 0; i < LAYERS; i++)
    {
      layers[i] = tlayer_new(S, i);
      layers[i]->on_task = stress_on;
      ck_assert_int_eq(net_layer_bind(NL(root), NULL, NL(layers[i])), 0);
    }
  for (int p = 0; p < PRODUCERS; p++)
    sources[p] = tlayer_new(S, 100 + p);

  GThread *threads[PRODUCERS];
  for (int p = 0; p < PRODUCERS; p++)
    threads[p] = g_thread_new("producer", producer_main, GINT_TO_POINTER(p));

  /* Meanwhile: unbind and re-bind children under traffic (waiting for the
     parent to be idle on the threaded backend), then unbind them for good
     so that the producers' references are the last ones, and keep the
     root busy.  Our own references go once re-binding is over. */
  int round = 0;
  while (atomic_load(&producers_done) < PRODUCERS)
    {
      if (round < LAYERS)
        {
          net_layer_unbind(NL(root), NL(layers[round]));
          ck_assert_int_eq(net_layer_bind(NL(root), NULL, NL(layers[round])), 0);
        }
      else if (round < 2 * LAYERS)
        net_layer_unbind(NL(root), NL(layers[round - LAYERS]));
      if (round == LAYERS)
        for (int i = 0; i < LAYERS; i++)
          net_layer_refdec(NL(layers[i]));
      tnotify(S, root, NULL, 3, 0);
      net_scheduler_run_for(S, NET_NSEC_PER_MSEC / 2);
      round++;
      ck_assert_int_lt(round, 200000);
    }
  if (round <= LAYERS)
    for (int i = 0; i < LAYERS; i++)
      net_layer_refdec(NL(layers[i]));
  for (int p = 0; p < PRODUCERS; p++)
    g_thread_join(threads[p]);
  net_layer_unbind_all(NL(root));

  /* Timers up to 2 ms out, then everything settles. */
  for (int i = 0; i < 20; i++)
    net_scheduler_run_for(S, NET_NSEC_PER_MSEC / 4);
  net_scheduler_run_until_idle(S);
  net_layer_refdec(NL(root));
  for (int p = 0; p < PRODUCERS; p++)
    net_layer_refdec(NL(sources[p]));
  TWAIT(S, atomic_load(&tl_destroyed_total) == LAYERS + PRODUCERS + 1);
  tsched_check_balanced(S);
  net_scheduler_destroy(S);

  ck_assert_int_eq(atomic_load(&tl_overlaps), 0);
  ck_assert_int_eq(atomic_load(&tl_destroyed_outside), 0);
  ck_assert_int_eq(atomic_load(&fifo_violations), 0);
  ck_assert_int_eq(atomic_load(&tl_criticals), 0);
  ck_assert_int_eq(atomic_load(&tl_destroyed_total), LAYERS + PRODUCERS + 1);
  for (int i = 0; i < LAYERS; i++)
    ck_assert_int_eq(atomic_load(&tl_destroyed_by_id[i]), 1);
  long ndelivered = 0;
  for (int i = 0; i < TOTAL; i++)
    {
      ck_assert_int_eq(atomic_load(&destroyed[i]), 1);
      ck_assert_int_le(atomic_load(&delivered[i]), 2);
      ndelivered += atomic_load(&delivered[i]) > 0;
    }
  fprintf(stderr, "%s: %d tasks, %ld delivered, the rest cancelled or dropped\n",
          tbackends[_i].name, TOTAL, ndelivered);
  free(tasks);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("stress");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, stress, 0, TBACKEND_COUNT);
  suite_add_tcase(s, tc);
  return net_check_run(s);
}
