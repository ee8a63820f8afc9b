/* Stress of fd watches against layer lifetimes, on every configuration:
 * writer threads keep eventfds readable while
 * - "self" layers watch their eventfd from their own handler (a START
 *   notification), drain it, re-arm, now and then unwatch and watch again
 *   from the handler, and unwatch in their destroyed handler;
 * - "foreign" layers are watched by the main thread, which re-arms,
 *   unwatches and re-watches them while the poller (or the loop) fires;
 * - the main thread drops the last reference of self layers at random
 *   moments (readiness racing with destruction), and the rest right before
 *   net_scheduler_destroy(), while the writers still write (shutdown while
 *   the poller waits or fires).
 * Proves: no critical (no watch left behind, no push to a dead layer), no
 * crash or use after free (ASan, Valgrind), no data race (TSan), every
 * layer destroyed exactly once in scheduler context, handlers never
 * overlap.  Bounded in writes and rounds. */
#include <config.h>
#include "check_main.h"
#include "tlayer.h"
#include <stdio.h>
#include <unistd.h>
#include <sys/eventfd.h>

enum
{
  SELF = 24,          /* layers managing their own watch */
  FOREIGN = 8,        /* layers whose watch the main thread manages */
  WRITERS = 2,
  WRITES = 4000,      /* per writer, at most */
  ROUNDS = 400,       /* main-thread rounds, at most */
  OP_START = 1,
};

struct fl_s
{
  int fd;
  bool foreign;
  struct net_fd_watch_s *watch;   /* self layers: touched in their context */
  unsigned events;                /* handled readiness (handler-serialised) */
};

static struct net_scheduler_s *S;
static struct fl_s fls[SELF + FOREIGN];
static struct net_fd_watch_s *foreign_watch[FOREIGN]; /* main thread's */
static atomic_int ready_total;
static atomic_bool writers_stop;
/* Set before net_scheduler_destroy(): from then on a watch may be refused
   (the scheduler stops polling while handlers may still run). */
static atomic_bool shutting_down;

static void fl_watch(struct tlayer_s *l, struct fl_s *f)
{
  f->watch = net_scheduler_fd_watch(l->base.scheduler, NL(l), f->fd, G_IO_IN);
  if (!f->watch)
    ck_assert(atomic_load(&shutting_down));
}

static void fl_drain(struct fl_s *f)
{
  uint64_t v;
  while (read(f->fd, &v, sizeof(v)) == sizeof(v))
    ;
}

static void fl_on_task(struct tlayer_s *l, struct net_task_s *task)
{
  struct fl_s *f = l->user;
  if (task->type != NET_TASK_NOTIFICATION)
    {
      net_task_destroy(task);
      return;
    }
  if (task->notification.opcode == OP_START)
    fl_watch(l, f);
  else if (task->notification.opcode == NET_OP_FD_READY)
    {
      ck_assert(task->notification.arg & G_IO_IN);
      atomic_fetch_add(&ready_total, 1);
      fl_drain(f);
      f->events++;
      if (f->foreign)
        ; /* the main thread re-arms */
      else if (f->events % 7 == 0)
        {
          /* Watch again from the handler: the new watch must be polled. */
          net_scheduler_fd_unwatch(f->watch);
          fl_watch(l, f);
        }
      else if (f->watch)
        net_scheduler_fd_rearm(f->watch);
    }
  net_task_destroy(task);
}

static void fl_on_destroyed(struct tlayer_s *l)
{
  struct fl_s *f = l->user;
  if (!f->foreign)
    {
      net_scheduler_fd_unwatch(f->watch);
      f->watch = NULL;
    }
}

static gpointer writer_main(gpointer data)
{
  GRand *rand = g_rand_new_with_seed(77 + GPOINTER_TO_UINT(data));
  uint64_t one = 1;
  for (int n = 0; n < WRITES && !atomic_load(&writers_stop); n++)
    {
      int i = g_rand_int_range(rand, 0, SELF + FOREIGN);
      ck_assert_int_eq(write(fls[i].fd, &one, sizeof(one)), sizeof(one));
      if (n % 32 == 0)
        g_usleep(50);
    }
  g_rand_free(rand);
  return NULL;
}

START_TEST(fd_stress)
{
  tlayer_reset();
  S = tsched_new(_i, NULL);
  ck_assert_ptr_nonnull(S);
  atomic_store(&ready_total, 0);
  atomic_store(&writers_stop, false);
  atomic_store(&shutting_down, false);
  struct tlayer_s *layers[SELF + FOREIGN];
  bool held[SELF + FOREIGN];
  for (int i = 0; i < SELF + FOREIGN; i++)
    {
      fls[i] = (struct fl_s){ .fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
                              .foreign = i >= SELF };
      ck_assert_int_ge(fls[i].fd, 0);
      layers[i] = tlayer_new(S, i);
      layers[i]->user = &fls[i];
      layers[i]->on_task = fl_on_task;
      layers[i]->on_destroyed = fl_on_destroyed;
      held[i] = true;
      if (fls[i].foreign)
        {
          foreign_watch[i - SELF] = net_scheduler_fd_watch(S, NL(layers[i]), fls[i].fd,
                                                           G_IO_IN);
          ck_assert_ptr_nonnull(foreign_watch[i - SELF]);
        }
      else
        ck_assert_int_eq(tnotify(S, layers[i], NULL, OP_START, 0), 0);
    }

  GThread *writers[WRITERS];
  for (int w = 0; w < WRITERS; w++)
    writers[w] = g_thread_new("writer", writer_main, GINT_TO_POINTER(w));

  GRand *rand = g_rand_new_with_seed(4242);
  for (int round = 0; round < ROUNDS; round++)
    {
      net_scheduler_run_for(S, NET_NSEC_PER_MSEC / 4);
      /* Foreign watches: re-arm, or replace, racing with the poller. */
      int f = g_rand_int_range(rand, 0, FOREIGN);
      if (round % 5 == 0)
        {
          net_scheduler_fd_unwatch(foreign_watch[f]);
          foreign_watch[f] = net_scheduler_fd_watch(S, NL(layers[SELF + f]),
                                                    fls[SELF + f].fd, G_IO_IN);
          ck_assert_ptr_nonnull(foreign_watch[f]);
        }
      for (int i = 0; i < FOREIGN; i++)
        net_scheduler_fd_rearm(foreign_watch[i]);
      /* Half of the self layers die on the way, readiness in flight. */
      if (round % 16 == 15)
        {
          int s = g_rand_int_range(rand, 0, SELF);
          if (held[s])
            {
              held[s] = false;
              net_layer_refdec(NL(layers[s]));
            }
        }
    }
  g_rand_free(rand);

  for (int i = 0; i < FOREIGN; i++)
    net_scheduler_fd_unwatch(foreign_watch[i]);
  /* The last references go right before destroy, the writers still
     writing: the drain runs the destroyed handlers, which unwatch. */
  for (int i = 0; i < SELF + FOREIGN; i++)
    if (held[i])
      net_layer_refdec(NL(layers[i]));
  atomic_store(&shutting_down, true);
  net_scheduler_destroy(S);
  S = NULL;
  atomic_store(&writers_stop, true);
  for (int w = 0; w < WRITERS; w++)
    g_thread_join(writers[w]);

  ck_assert_int_eq(atomic_load(&tl_criticals), 0);
  ck_assert_int_eq(atomic_load(&tl_overlaps), 0);
  ck_assert_int_eq(atomic_load(&tl_destroyed_outside), 0);
  ck_assert_int_eq(atomic_load(&tl_destroyed_total), SELF + FOREIGN);
  for (int i = 0; i < SELF + FOREIGN; i++)
    {
      ck_assert_int_eq(atomic_load(&tl_destroyed_by_id[i]), 1);
      close(fls[i].fd);
    }
  ck_assert_int_gt(atomic_load(&ready_total), 0);
  fprintf(stderr, "%s: %d readiness notifications handled\n",
          tbackends[_i].name, atomic_load(&ready_total));
}
END_TEST

int main(void)
{
  Suite *s = suite_create("fd stress");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, fd_stress, 0, TBACKEND_COUNT);
  suite_add_tcase(s, tc);
  return net_check_run(s);
}
