/* Busy polling of the loop scheduler (options.busy_poll): a writer thread
 * makes an eventfd readable now and then while the loop runs with busy
 * polling on; every write must reach the watching layer (no readiness
 * lost between the non-blocking polls and the blocking ones), run_for()
 * must still return at its deadline, and a virtual clock ignores the
 * option.  Bounded in writes and rounds; no timing is asserted. */
#include <config.h>
#include "check_main.h"
#include "../core/tlayer.h"
#include <sys/eventfd.h>
#include <unistd.h>

enum
{
  WRITES = 200,
  ROUNDS = 20000,   /* run_for() rounds of 1 ms at most: 20 s */
};

struct watched_s
{
  int fd;
  struct net_fd_watch_s *watch;
  atomic_uint_fast64_t seen;   /* sum of the values drained */
};

static void on_task(struct tlayer_s *l, struct net_task_s *task)
{
  struct watched_s *w = l->user;
  if (task->type == NET_TASK_NOTIFICATION
      && task->notification.opcode == NET_OP_FD_READY)
    {
      uint64_t v;
      while (read(w->fd, &v, sizeof(v)) == sizeof(v))
        atomic_fetch_add(&w->seen, v);
      net_scheduler_fd_rearm(w->watch);
    }
  net_task_destroy(task);
}

static gpointer writer_main(gpointer data)
{
  struct watched_s *w = data;
  uint64_t one = 1;
  for (int i = 0; i < WRITES; i++)
    {
      ck_assert_int_eq(write(w->fd, &one, sizeof(one)), (ssize_t)sizeof(one));
      /* Every other write after a pause: some land while the loop spins,
         some after it went back to sleeping in poll(). */
      if (i % 2)
        g_usleep(i % 4 == 1 ? 20 : 300);
    }
  return NULL;
}

static void run_watch(net_time_t busy_poll)
{
  struct net_scheduler_options_s so = { .busy_poll = busy_poll, .direct_depth = 8 };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &so);
  ck_assert_ptr_nonnull(sched);
  struct watched_s w = { .fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) };
  ck_assert_int_ge(w.fd, 0);
  struct tlayer_s *l = tlayer_new(sched, 1);
  l->user = &w;
  l->on_task = on_task;
  w.watch = net_scheduler_fd_watch(sched, NL(l), w.fd, G_IO_IN);
  ck_assert_ptr_nonnull(w.watch);

  GThread *writer = g_thread_new("writer", writer_main, &w);
  for (int r = 0; r < ROUNDS && atomic_load(&w.seen) < WRITES; r++)
    net_scheduler_run_for(sched, NET_NSEC_PER_MSEC);
  g_thread_join(writer);
  ck_assert_uint_eq(atomic_load(&w.seen), WRITES);

  net_scheduler_fd_unwatch(w.watch);
  net_layer_refdec(NL(l));
  net_scheduler_destroy(sched);
  close(w.fd);
  ck_assert_int_eq(atomic_load(&tl_criticals), 0);
}

START_TEST(test_busy_poll_delivers)
{
  tlayer_reset();
  run_watch(200 * NET_NSEC_PER_USEC);
}
END_TEST

START_TEST(test_busy_poll_off)
{
  tlayer_reset();
  run_watch(0);
}
END_TEST

START_TEST(test_virtual_clock_ignores_it)
{
  /* With a virtual clock time only moves when idle: busy polling would
     never end, so the option is dropped and run_for() returns. */
  struct net_scheduler_options_s so = { .clock = NET_CLOCK_VIRTUAL,
                                        .busy_poll = NET_NSEC_PER_SEC };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &so);
  ck_assert_ptr_nonnull(sched);
  net_scheduler_run_for(sched, 5 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(net_scheduler_time(sched), 5 * NET_NSEC_PER_SEC);
  net_scheduler_destroy(sched);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("busypoll");
  TCase *tc = tcase_create("busypoll");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_busy_poll_delivers);
  tcase_add_test(tc, test_busy_poll_off);
  tcase_add_test(tc, test_virtual_clock_ignores_it);
  suite_add_tcase(s, tc);
  return net_check_run(s);
}
