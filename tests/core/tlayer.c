/* Test support for the core suites (see tlayer.h). */
#include <config.h>
#include "tlayer.h"
#include <stdlib.h>

const struct tbackend_s tbackends[] = {
  { "loop", false, 0, 0 },
  { "loop-direct", false, 0, 8 },
  { "threaded-1", true, 1, 0 },
  { "threaded-3", true, 3, 0 },
};
const int TBACKEND_COUNT = G_N_ELEMENTS(tbackends);

atomic_int tl_destroyed_total;
atomic_int tl_destroyed_outside;
atomic_int tl_overlaps;
atomic_int tl_destroyed_by_id[4096];
atomic_int tl_criticals;

static void tl_log_handler(const gchar *domain, GLogLevelFlags level,
                           const gchar *message, gpointer data)
{
  if (level & G_LOG_LEVEL_CRITICAL)
    atomic_fetch_add(&tl_criticals, 1);
}

void tlayer_reset(void)
{
  atomic_store(&tl_destroyed_total, 0);
  atomic_store(&tl_destroyed_outside, 0);
  atomic_store(&tl_overlaps, 0);
  atomic_store(&tl_criticals, 0);
  for (size_t i = 0; i < G_N_ELEMENTS(tl_destroyed_by_id); i++)
    atomic_store(&tl_destroyed_by_id[i], 0);
  g_log_set_handler(NET_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
                    tl_log_handler, NULL);
}

struct net_scheduler_s *tsched_new(int i, const struct net_scheduler_options_s *opt)
{
  struct net_scheduler_options_s o = { 0 };
  if (opt)
    o = *opt;
  if (tbackends[i].direct_depth)
    o.direct_depth = tbackends[i].direct_depth;
  if (tbackends[i].threaded)
    {
      o.workers = tbackends[i].workers;
      if (o.clock == NET_CLOCK_VIRTUAL)
        o.clock = NET_CLOCK_MONOTONIC;
      return net_scheduler_threaded_create(&o);
    }
  return net_scheduler_loop_create(NULL, &o);
}

bool tsched_threaded(int i)
{
  return tbackends[i].threaded;
}

/* A layer's methods may nest on one thread (a handler binding under its
   own layer calls its own bound()); running on two threads at once is the
   violation. */
static void tl_enter(struct tlayer_s *l)
{
  void *self = g_thread_self(), *none = NULL;
  if (!atomic_compare_exchange_strong(&l->running, &none, self) && none != self)
    atomic_fetch_add(&tl_overlaps, 1);
  l->depth++;
}

static void tl_leave(struct tlayer_s *l)
{
  if (--l->depth == 0)
    atomic_store(&l->running, NULL);
}

static struct tlayer_s *TL(const struct net_layer_s *layer)
{
  return net_container_of(layer, struct tlayer_s, base);
}

void tlayer_record(struct tlayer_s *l, const struct net_task_s *task)
{
  struct trec_s r = {
    .type = task->type,
    .source_id = task->source ? TL(task->source)->id : -1,
    .at = net_scheduler_time(l->base.scheduler),
  };
  switch (task->type)
    {
    case NET_TASK_TIMEOUT:
      r.opcode = task->timeout.opcode;
      r.deadline = task->timeout.deadline;
      r.precision = task->timeout.precision;
      break;
    case NET_TASK_QUERY:
    case NET_TASK_RESPONSE:
      r.opcode = task->query.opcode;
      r.err = task->query.err;
      break;
    case NET_TASK_NOTIFICATION:
      r.opcode = task->notification.opcode;
      r.err = task->notification.err;
      r.arg = task->notification.arg;
      break;
    default:
      break;
    }
  pthread_mutex_lock(&l->log_lock);
  g_array_append_val(l->log, r);
  pthread_mutex_unlock(&l->log_lock);
}

size_t tlayer_count(struct tlayer_s *l)
{
  pthread_mutex_lock(&l->log_lock);
  size_t n = l->log->len;
  pthread_mutex_unlock(&l->log_lock);
  return n;
}

struct trec_s tlayer_rec(struct tlayer_s *l, size_t i)
{
  pthread_mutex_lock(&l->log_lock);
  struct trec_s r = g_array_index(l->log, struct trec_s, i);
  pthread_mutex_unlock(&l->log_lock);
  return r;
}

static void tl_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct tlayer_s *l = TL(layer);
  tl_enter(l);
  /* task_handle never nests, not even on one thread (direct dispatch). */
  if (l->in_task++)
    atomic_fetch_add(&tl_overlaps, 1);
  if (net_scheduler_current() != layer->scheduler)
    atomic_fetch_add(&tl_destroyed_outside, 1000);
  atomic_fetch_add(&l->delivered, 1);
  if (l->on_task)
    l->on_task(l, task);
  else
    {
      tlayer_record(l, task);
      net_task_destroy(task);
    }
  l->in_task--;
  tl_leave(l);
}

static void tl_destroyed(struct net_layer_s *layer)
{
  struct tlayer_s *l = TL(layer);
  tl_enter(l);
  if (l->on_destroyed)
    l->on_destroyed(l);
  if (net_scheduler_current() != layer->scheduler)
    atomic_fetch_add(&tl_destroyed_outside, 1);
  atomic_fetch_add(&tl_destroyed_total, 1);
  if (l->id >= 0 && l->id < (int)G_N_ELEMENTS(tl_destroyed_by_id))
    atomic_fetch_add(&tl_destroyed_by_id[l->id], 1);
  g_array_free(l->log, TRUE);
  pthread_mutex_destroy(&l->log_lock);
  free(l);
}

static int tl_bound(struct net_layer_s *layer, const void *addr,
                    struct net_layer_s *child)
{
  struct tlayer_s *l = TL(layer);
  tl_enter(l);
  int err = 0;
  if (addr && l->refuse_addr && *(const int *)addr == l->refuse_addr)
    err = -EADDRINUSE;
  else
    l->bound++;
  tl_leave(l);
  return err;
}

static void tl_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct tlayer_s *l = TL(layer);
  tl_enter(l);
  l->unbound++;
  tl_leave(l);
}

static void tl_dangling(struct net_layer_s *layer)
{
  struct tlayer_s *l = TL(layer);
  tl_enter(l);
  l->dangling++;
  tl_leave(l);
}

static void tl_child_context_adjust(const struct net_layer_s *layer,
                                    const struct net_layer_s *child,
                                    struct net_layer_context_s *cctx)
{
  const struct tlayer_s *l = TL(layer);
  cctx->prefix_size += l->header;
  cctx->mtu -= l->header;
}

static void tl_context_changed(struct net_layer_s *layer)
{
  struct tlayer_s *l = TL(layer);
  tl_enter(l);
  l->context_changed++;
  tl_leave(l);
}

static size_t tl_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                       size_t max)
{
  const struct tlayer_s *l = TL(layer);
  if (max > 0)
    out[0] = (struct net_stat_s){ "delivered", (uint64_t)atomic_load(&l->delivered) };
  return 1;
}

static const struct net_layer_handler_s tl_handler = {
  .type_name = "test",
  .destroyed = tl_destroyed,
  .task_handle = tl_task_handle,
  .bound = tl_bound,
  .unbound = tl_unbound,
  .dangling = tl_dangling,
  .child_context_adjust = tl_child_context_adjust,
  .context_changed = tl_context_changed,
  .stats = tl_stats,
};

static void tl_release(void *delegate, struct net_layer_s *layer)
{
  struct tlayer_s *l = TL(layer);
  l->released++;
  /* The delegate is told before the layer is gone. */
  ck_assert_int_eq(atomic_load(&tl_destroyed_by_id[l->id % 4096]), 0);
}

static const struct net_layer_delegate_vtable_s tl_delegate = {
  .release = tl_release,
};

struct tlayer_s *tlayer_new(struct net_scheduler_s *sched, int id)
{
  struct tlayer_s *l = calloc(1, sizeof(*l));
  ck_assert_ptr_nonnull(l);
  ck_assert_int_eq(net_layer_init(&l->base, &tl_handler, sched, l, &tl_delegate), 0);
  l->id = id;
  pthread_mutex_init(&l->log_lock, NULL);
  l->log = g_array_new(FALSE, FALSE, sizeof(struct trec_s));
  return l;
}

int tnotify(struct net_scheduler_s *sched, struct tlayer_s *dst,
            struct tlayer_s *src, uint32_t opcode, uintptr_t arg)
{
  struct net_task_s *t = net_scheduler_task_alloc(sched);
  ck_assert_ptr_nonnull(t);
  return net_task_notification_push(t, dst ? NL(dst) : NULL, src ? NL(src) : NULL,
                                    opcode, 0, arg);
}

void tsched_check_balanced(struct net_scheduler_s *sched)
{
  struct net_scheduler_stats_s st;
  net_scheduler_stats(sched, &st);
  ck_assert_uint_eq(st.live_tasks, 0);
  ck_assert_uint_eq(st.pushed, st.delivered + st.cancelled);
}
