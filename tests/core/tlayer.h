/* Test support for the core suites: a recording layer type, the list of
 * scheduler configurations every generic test runs against, and a
 * counter of g_critical messages from the library. */
#ifndef TESTS_CORE_TLAYER_H_
#define TESTS_CORE_TLAYER_H_

#include <net/layer.h>
#include <net/task.h>
#include <net/scheduler.h>
#include <net/buffer.h>
#include <stdlib.h>
#include <check.h>
#include <glib.h>
#include <pthread.h>

/* Scheduler configurations; tests loop over [0, TBACKEND_COUNT). */
struct tbackend_s
{
  const char *name;
  bool threaded;
  unsigned workers;
  unsigned direct_depth;
};
extern const struct tbackend_s tbackends[];
extern const int TBACKEND_COUNT;

/* Create the scheduler of configuration @p i; @p opt may be NULL. */
struct net_scheduler_s *tsched_new(int i, const struct net_scheduler_options_s *opt);
bool tsched_threaded(int i);

/* Bounded wait for a condition that another thread makes true.  The
   condition is only read after net_scheduler_run_until_idle(), which
   orders the workers' writes before the read (reading it first raced
   with a worker still writing it). */
#define TWAIT(sched, cond)                                               \
  do {                                                                   \
    for (int tw_ = 0; tw_ < 5000; tw_++)                                 \
      {                                                                  \
        net_scheduler_run_until_idle(sched);                             \
        if (cond)                                                        \
          break;                                                         \
        g_usleep(1000);                                                  \
      }                                                                  \
  } while (0)

/* What a test layer saw of one task. */
struct trec_s
{
  enum net_task_type_e type;
  uint32_t opcode;
  int err;
  uintptr_t arg;
  int source_id;      /* -1 without source */
  net_time_t at;      /* scheduler time at delivery */
  net_time_t deadline;
  net_time_t precision;
};

struct tlayer_s
{
  struct net_layer_s base;
  int id;
  void *_Atomic running;    /* thread running one of its handlers */
  int depth;                /* nesting on that thread */
  int in_task;              /* inside task_handle */
  atomic_int delivered;
  pthread_mutex_t log_lock;
  GArray *log;              /* struct trec_s */
  int bound, unbound, dangling, context_changed, released;
  int refuse_addr;          /* bound() refuses this address (if non-zero) */
  uint16_t header;          /* child_context_adjust adds / removes this */
  /* Optional behaviour on each task; default: record and destroy. */
  void (*on_task)(struct tlayer_s *l, struct net_task_s *task);
  /* Optional, first thing in destroyed. */
  void (*on_destroyed)(struct tlayer_s *l);
  void *user;
};

/* Global observations, reset by tlayer_reset(). */
extern atomic_int tl_destroyed_total;
extern atomic_int tl_destroyed_outside;   /* destroyed outside scheduler context */
extern atomic_int tl_overlaps;            /* a layer ran twice at once */
extern atomic_int tl_destroyed_by_id[4096];
extern atomic_int tl_criticals;

void tlayer_reset(void);
struct tlayer_s *tlayer_new(struct net_scheduler_s *sched, int id);
/* Record a task (the default behaviour minus the destroy). */
void tlayer_record(struct tlayer_s *l, const struct net_task_s *task);
size_t tlayer_count(struct tlayer_s *l);
struct trec_s tlayer_rec(struct tlayer_s *l, size_t i);

static inline struct net_layer_s *NL(struct tlayer_s *l)
{
  return &l->base;
}

/* Push a notification from @p src (may be NULL) to @p dst with @p arg. */
int tnotify(struct net_scheduler_s *sched, struct tlayer_s *dst,
            struct tlayer_s *src, uint32_t opcode, uintptr_t arg);

/* Every task pushed was delivered or cancelled, and freed. */
void tsched_check_balanced(struct net_scheduler_s *sched);

#endif
