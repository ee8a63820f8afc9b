/* The tutorial's impair layer (examples/impair.c): pass-through, delay on
 * the virtual clock, seeded loss, MTU clamp, queue limit, stats query,
 * notification relay, unbound/dangling/teardown with packets held.
 *
 * The stack of every test:   parent (recorder) ── impair ── child (recorder)
 * Each test runs on the loop scheduler with and without direct dispatch
 * (virtual clock); those that do not measure time also run on the
 * threaded scheduler (2 workers), where the layer's methods run on
 * worker threads (TSan checks it in CI).
 */
#include <config.h>
#include "impair.h"
#include <net/buffer.h>
#include <net/scheduler.h>
#include "check_main.h"
#include <glib.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- a recording layer --------------------------------------------------- */

struct rec_entry_s
{
  enum net_task_type_e type;
  struct net_layer_s *source;
  uint32_t opcode;
  int err;
  uintptr_t arg;
  net_time_t at;
  uint32_t id;                 /* first 4 bytes of a packet */
  size_t len;
  const struct net_buffer_s *buffer;
  net_time_t timestamp;
  struct net_addr_s src, dst;
  struct impair_stats_s stats; /* RESPONSE to IMPAIR_OP_STATS */
};

struct rec_s
{
  struct net_layer_s layer;
  GArray *log;                 /* struct rec_entry_s */
};

/* Written from worker threads on the threaded scheduler. */
static atomic_int destroyed_layers;
static atomic_int criticals;

static struct rec_s *REC(const struct net_layer_s *l)
{
  return net_container_of(l, struct rec_s, layer);
}

static void rec_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct rec_entry_s e = {
    .type = task->type,
    .source = task->source,
    .at = net_scheduler_time(layer->scheduler),
  };
  switch (task->type)
    {
    case NET_TASK_INBOUND:
    case NET_TASK_OUTBOUND:
      e.buffer = task->packet.buffer;
      e.len = net_buffer_len(task->packet.buffer);
      if (e.len >= 4)
        memcpy(&e.id, net_buffer_data(task->packet.buffer), 4);
      e.timestamp = task->packet.timestamp;
      e.src = task->packet.src;
      e.dst = task->packet.dst;
      break;
    case NET_TASK_QUERY:
    case NET_TASK_RESPONSE:
      e.opcode = task->query.opcode;
      e.err = task->query.err;
      if (task->type == NET_TASK_RESPONSE && task->query.opcode == IMPAIR_OP_STATS)
        e.stats = net_container_of(task, struct impair_stats_query_s, task)->stats;
      break;
    case NET_TASK_NOTIFICATION:
      e.opcode = task->notification.opcode;
      e.err = task->notification.err;
      e.arg = task->notification.arg;
      break;
    case NET_TASK_TIMEOUT:
      e.opcode = task->timeout.opcode;
      break;
    }
  g_array_append_val(REC(layer)->log, e);
  net_task_destroy(task);
}

static void rec_destroyed(struct net_layer_s *layer)
{
  struct rec_s *r = REC(layer);
  g_array_free(r->log, TRUE);
  free(r);
  atomic_fetch_add(&destroyed_layers, 1);
}

static const struct net_layer_handler_s rec_handler = {
  .type_name = "recorder",
  .destroyed = rec_destroyed,
  .task_handle = rec_task_handle,
};

static struct rec_s *rec_new(struct net_scheduler_s *sched)
{
  struct rec_s *r = calloc(1, sizeof(*r));
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(net_layer_init(&r->layer, &rec_handler, sched, NULL, NULL), 0);
  r->log = g_array_new(FALSE, TRUE, sizeof(struct rec_entry_s));
  return r;
}

static struct rec_entry_s *rec_at(struct rec_s *r, unsigned i)
{
  ck_assert_uint_lt(i, r->log->len);
  return &g_array_index(r->log, struct rec_entry_s, i);
}

/* --- the delegate -------------------------------------------------------- */

struct drop_s
{
  enum impair_dir_e dir;
  enum impair_drop_e why;
  uint32_t id;
};

static GArray *drops;        /* struct drop_s */
static atomic_int released;

static void on_dropped(void *delegate, struct net_layer_s *impair,
                       enum impair_dir_e dir, enum impair_drop_e why,
                       const struct net_buffer_s *buffer)
{
  ck_assert_ptr_eq(delegate, &drops);
  struct drop_s d = { dir, why, UINT32_MAX };
  if (buffer && net_buffer_len(buffer) >= 4)
    memcpy(&d.id, net_buffer_data(buffer), 4);
  g_array_append_val(drops, d);
}

static void on_release(void *delegate, struct net_layer_s *impair)
{
  atomic_fetch_add(&released, 1);
}

static const struct impair_delegate_vtable_s delegate_vtable = {
  .base.release = on_release,
  .dropped = on_dropped,
};

/* --- fixture ------------------------------------------------------------- */

static struct net_scheduler_s *S;
static struct rec_s *P, *C;      /* parent and child recorders */
static struct net_layer_s *I;    /* the impair layer */

static void log_handler(const gchar *domain, GLogLevelFlags level,
                        const gchar *message, gpointer data)
{
  atomic_fetch_add(&criticals, 1);
  fprintf(stderr, "unexpected log: %s\n", message);
}

/* Scheduler configurations of the loop tests (_i). */
enum { SCHED_LOOP, SCHED_LOOP_DIRECT, SCHED_THREADED };

/* Build parent ── impair ── child on scheduler configuration @p kind;
   @p config may be NULL. */
static void stack_new(int kind, const struct impair_config_s *config)
{
  atomic_store(&criticals, 0);
  atomic_store(&destroyed_layers, 0);
  atomic_store(&released, 0);
  g_log_set_handler(NET_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
                    log_handler, NULL);
  drops = g_array_new(FALSE, TRUE, sizeof(struct drop_s));
  struct net_scheduler_options_s o = { .clock = NET_CLOCK_VIRTUAL,
                                       .direct_depth = kind == SCHED_LOOP_DIRECT ? 8 : 0 };
  if (kind == SCHED_THREADED)
    {
      o = (struct net_scheduler_options_s){ .workers = 2 };
      S = net_scheduler_threaded_create(&o);
    }
  else
    S = net_scheduler_loop_create(NULL, &o);
  ck_assert_ptr_nonnull(S);
  P = rec_new(S);
  C = rec_new(S);
  P->layer.context.prefix_size = 14;
  P->layer.context.mtu = 1500;
  ck_assert_int_eq(impair_create(S, config, &drops, &delegate_vtable, &I), 0);
  ck_assert_int_eq(net_layer_bind(&P->layer, NULL, I), 0);
  ck_assert_int_eq(net_layer_bind(I, NULL, &C->layer), 0);
}

/* Drop every reference, destroy the scheduler, check nothing leaked and
   that @p recorders recording layers were destroyed. */
static void stack_free_n(int recorders)
{
  net_layer_refdec(&C->layer);
  net_layer_refdec(I);
  net_layer_refdec(&P->layer);
  net_scheduler_run_until_idle(S);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(S, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  ck_assert_uint_eq(st.live_tasks, 0);
  ck_assert_uint_eq(st.pushed, st.delivered + st.cancelled);
  net_scheduler_destroy(S);
  ck_assert_int_eq(atomic_load(&destroyed_layers), recorders);
  ck_assert_int_eq(atomic_load(&released), 1);
  ck_assert_int_eq(atomic_load(&criticals), 0);
  g_array_free(drops, TRUE);
}

static void stack_free(void)
{
  stack_free_n(2);
}

static const struct net_addr_s ADDR_A = { .mac = { 2, 0, 0, 0, 0, 1 }, .valid = NET_ADDR_MAC };
static const struct net_addr_s ADDR_B = { .mac = { 2, 0, 0, 0, 0, 2 }, .valid = NET_ADDR_MAC };

static struct net_buffer_s *packet(uint32_t id, size_t len)
{
  struct net_buffer_s *b = net_scheduler_buffer_alloc(S, 64, len);
  ck_assert_ptr_nonnull(b);
  uint8_t *p = net_buffer_put(b, len);
  memset(p, 0xab, len);
  memcpy(p, &id, 4);
  return b;
}

/* Parent sends packet @p id up to the impair layer. */
static void push_up(uint32_t id, size_t len)
{
  struct net_task_s *t = net_scheduler_task_alloc(S);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(net_task_inbound_push(t, I, &P->layer, 1000 + id, &ADDR_A,
                                         &ADDR_B, packet(id, len)), 0);
}

/* Child sends packet @p id down to the impair layer. */
static void push_down(uint32_t id, size_t len)
{
  struct net_task_s *t = net_scheduler_task_alloc(S);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(net_task_outbound_push(t, I, &C->layer, &ADDR_B, &ADDR_A,
                                          packet(id, len)), 0);
}

static struct impair_stats_s query_stats(void)
{
  struct impair_stats_query_s *q = impair_stats_query_alloc();
  ck_assert_ptr_nonnull(q);
  unsigned n = C->log->len;
  ck_assert_int_eq(net_task_query_push(&q->task, I, &C->layer, IMPAIR_OP_STATS), 0);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(C->log->len, n + 1);
  struct rec_entry_s *e = rec_at(C, n);
  ck_assert_int_eq(e->type, NET_TASK_RESPONSE);
  ck_assert_int_eq(e->err, 0);
  ck_assert_ptr_eq(e->source, I);
  struct impair_stats_s st = e->stats;
  g_array_remove_index(C->log, n);
  return st;
}

/* --- tests --------------------------------------------------------------- */

START_TEST(pass_through)
{
  stack_new(_i, NULL);
  push_up(1, 100);
  push_down(2, 60);
  net_scheduler_run_until_idle(S);

  ck_assert_uint_eq(C->log->len, 1);
  struct rec_entry_s *up = rec_at(C, 0);
  ck_assert_int_eq(up->type, NET_TASK_INBOUND);
  ck_assert_ptr_eq(up->source, I);
  ck_assert_uint_eq(up->id, 1);
  ck_assert_uint_eq(up->len, 100);
  ck_assert_uint_eq(up->timestamp, 1001);
  ck_assert_mem_eq(&up->src, &ADDR_A, sizeof(ADDR_A));
  ck_assert_mem_eq(&up->dst, &ADDR_B, sizeof(ADDR_B));

  ck_assert_uint_eq(P->log->len, 1);
  struct rec_entry_s *down = rec_at(P, 0);
  ck_assert_int_eq(down->type, NET_TASK_OUTBOUND);
  ck_assert_ptr_eq(down->source, I);
  ck_assert_uint_eq(down->id, 2);
  ck_assert_mem_eq(&down->dst, &ADDR_A, sizeof(ADDR_A));

  struct impair_stats_s st = query_stats();
  ck_assert_uint_eq(st.passed[IMPAIR_UP], 1);
  ck_assert_uint_eq(st.passed[IMPAIR_DOWN], 1);
  ck_assert_uint_eq(st.delayed[IMPAIR_UP] + st.delayed[IMPAIR_DOWN], 0);
  ck_assert_uint_eq(drops->len, 0);
  /* The child's context is the parent's: no header, no clamp. */
  ck_assert_uint_eq(C->layer.context.prefix_size, 14);
  ck_assert_uint_eq(C->layer.context.mtu, 1500);
  stack_free();
}
END_TEST

START_TEST(delay_is_exact_and_fifo)
{
  struct impair_config_s cfg = { .delay = 10 * NET_NSEC_PER_MSEC };
  stack_new(_i, &cfg);
  for (uint32_t id = 1; id <= 3; id++)
    push_up(id, 64);
  push_down(100, 64);
  net_scheduler_run_for(S, 5 * NET_NSEC_PER_MSEC);
  ck_assert_uint_eq(C->log->len, 0);
  push_up(4, 64);
  net_scheduler_run_for(S, 100 * NET_NSEC_PER_MSEC);

  ck_assert_uint_eq(C->log->len, 4);
  for (unsigned i = 0; i < 4; i++)
    {
      struct rec_entry_s *e = rec_at(C, i);
      ck_assert_uint_eq(e->id, i + 1);
      ck_assert_uint_eq(e->at, (i < 3 ? 10 : 15) * NET_NSEC_PER_MSEC);
      ck_assert_uint_eq(e->timestamp, 1001 + i);  /* kept across the hold */
      ck_assert_mem_eq(&e->src, &ADDR_A, sizeof(ADDR_A));
    }
  ck_assert_uint_eq(P->log->len, 1);
  ck_assert_uint_eq(rec_at(P, 0)->at, 10 * NET_NSEC_PER_MSEC);
  ck_assert_int_eq(rec_at(P, 0)->type, NET_TASK_OUTBOUND);

  struct impair_stats_s st = query_stats();
  ck_assert_uint_eq(st.delayed[IMPAIR_UP], 4);
  ck_assert_uint_eq(st.delayed[IMPAIR_DOWN], 1);
  ck_assert_uint_eq(st.held, 0);
  stack_free();
}
END_TEST

START_TEST(shorter_delay_never_reorders)
{
  struct impair_config_s cfg = { .delay = 100 * NET_NSEC_PER_MSEC };
  stack_new(_i, &cfg);
  push_up(1, 64);
  cfg.delay = 10 * NET_NSEC_PER_MSEC;
  ck_assert_int_eq(impair_configure(I, &cfg), 0);
  net_scheduler_run_for(S, NET_NSEC_PER_MSEC);
  push_up(2, 64);   /* due at 11 ms, but behind packet 1 (100 ms) */
  net_scheduler_run_for(S, NET_NSEC_PER_SEC);
  ck_assert_uint_eq(C->log->len, 2);
  ck_assert_uint_eq(rec_at(C, 0)->id, 1);
  ck_assert_uint_eq(rec_at(C, 1)->id, 2);
  ck_assert_uint_eq(rec_at(C, 0)->at, 100 * NET_NSEC_PER_MSEC);
  ck_assert_uint_eq(rec_at(C, 1)->at, 100 * NET_NSEC_PER_MSEC);
  /* Once the queue drained, the new delay applies alone. */
  push_up(3, 64);
  net_time_t t0 = net_scheduler_time(S);
  net_scheduler_run_for(S, NET_NSEC_PER_SEC);
  ck_assert_uint_eq(rec_at(C, 2)->at, t0 + 10 * NET_NSEC_PER_MSEC);
  stack_free();
}
END_TEST

/* Which of @p n packets a seeded run lets through, as a bitmap string. */
static char *loss_pattern(int direct, uint64_t seed, double loss, unsigned n,
                          unsigned *lost)
{
  struct impair_config_s cfg = { .seed = seed, .loss = loss };
  stack_new(direct, &cfg);
  for (uint32_t id = 0; id < n; id++)
    push_up(id, 64);
  net_scheduler_run_until_idle(S);
  char *pattern = g_malloc0(n + 1);
  memset(pattern, '.', n);
  for (unsigned i = 0; i < C->log->len; i++)
    pattern[rec_at(C, i)->id] = '|';
  *lost = n - C->log->len;
  struct impair_stats_s st = query_stats();
  ck_assert_uint_eq(st.dropped[IMPAIR_UP][IMPAIR_DROP_LOSS], *lost);
  ck_assert_uint_eq(st.passed[IMPAIR_UP], C->log->len);
  ck_assert_uint_eq(drops->len, *lost);
  for (unsigned i = 0; i < drops->len; i++)
    {
      struct drop_s *d = &g_array_index(drops, struct drop_s, i);
      ck_assert_int_eq(d->why, IMPAIR_DROP_LOSS);
      ck_assert_int_eq(d->dir, IMPAIR_UP);
      ck_assert_int_eq(pattern[d->id], '.');
    }
  stack_free();
  return pattern;
}

START_TEST(loss_is_seeded)
{
  unsigned lost1, lost2, lost3, none, all;
  char *a = loss_pattern(_i, 42, 0.3, 2000, &lost1);
  char *b = loss_pattern(_i, 42, 0.3, 2000, &lost2);
  char *c = loss_pattern(_i, 43, 0.3, 2000, &lost3);
  ck_assert_str_eq(a, b);           /* same seed, same losses */
  ck_assert_str_ne(a, c);           /* another seed, other losses */
  ck_assert_uint_eq(lost1, lost2);
  /* 2000 draws at 30 %: 600 expected, sigma ~20; a broken draw is far off. */
  ck_assert_uint_gt(lost1, 500);
  ck_assert_uint_lt(lost1, 700);
  ck_assert_uint_gt(lost3, 500);
  ck_assert_uint_lt(lost3, 700);
  g_free(loss_pattern(_i, 1, 0.0, 200, &none));
  g_free(loss_pattern(_i, 1, 1.0, 200, &all));
  ck_assert_uint_eq(none, 0);
  ck_assert_uint_eq(all, 200);
  g_free(a);
  g_free(b);
  g_free(c);
}
END_TEST

START_TEST(mtu_clamp)
{
  struct impair_config_s cfg = { .mtu = 576 };
  stack_new(_i, &cfg);
  ck_assert_uint_eq(C->layer.context.mtu, 576);
  ck_assert_uint_eq(C->layer.context.prefix_size, 14);
  push_down(1, 577);
  push_down(2, 576);
  push_up(3, 1500);          /* the clamp is on what the child sends */
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(P->log->len, 1);
  ck_assert_uint_eq(rec_at(P, 0)->id, 2);
  ck_assert_uint_eq(C->log->len, 1);
  ck_assert_uint_eq(drops->len, 1);
  struct drop_s *d = &g_array_index(drops, struct drop_s, 0);
  ck_assert_int_eq(d->why, IMPAIR_DROP_MTU);
  ck_assert_int_eq(d->dir, IMPAIR_DOWN);
  ck_assert_uint_eq(d->id, 1);

  /* Lifting the clamp recomputes the child's context. */
  cfg.mtu = 0;
  ck_assert_int_eq(impair_configure(I, &cfg), 0);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(C->layer.context.mtu, 1500);
  /* A clamp above the parent's MTU changes nothing. */
  cfg.mtu = 9000;
  ck_assert_int_eq(impair_configure(I, &cfg), 0);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(C->layer.context.mtu, 1500);
  stack_free();
}
END_TEST

START_TEST(one_child_only)
{
  stack_new(_i, NULL);
  struct rec_s *other = rec_new(S);
  ck_assert_int_eq(net_layer_bind(I, NULL, &other->layer), -EADDRINUSE);
  ck_assert_ptr_null(net_layer_parent(&other->layer));
  /* Once the child is gone, another may take its place. */
  net_layer_unbind(I, &C->layer);
  ck_assert_int_eq(net_layer_bind(I, NULL, &other->layer), 0);
  push_up(7, 64);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(other->log->len, 1);
  ck_assert_uint_eq(C->log->len, 0);
  net_layer_refdec(&other->layer);
  stack_free_n(3);   /* other went with the impair layer */
}
END_TEST

START_TEST(queue_limit)
{
  struct impair_config_s cfg = { .delay = NET_NSEC_PER_SEC, .queue_limit = 4 };
  stack_new(_i, &cfg);
  for (uint32_t id = 1; id <= 6; id++)
    push_up(id, 64);
  net_scheduler_run_until_idle(S);
  struct impair_stats_s st = query_stats();
  ck_assert_uint_eq(st.held, 4);
  ck_assert_uint_eq(st.dropped[IMPAIR_UP][IMPAIR_DROP_QUEUE], 2);
  ck_assert_uint_eq(drops->len, 2);
  ck_assert_uint_eq(g_array_index(drops, struct drop_s, 0).id, 5);
  ck_assert_uint_eq(g_array_index(drops, struct drop_s, 1).id, 6);
  net_scheduler_run_for(S, 2 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(C->log->len, 4);
  /* The ring wraps: 4 more go through it. */
  for (uint32_t id = 11; id <= 14; id++)
    push_up(id, 64);
  net_scheduler_run_for(S, 2 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(C->log->len, 8);
  ck_assert_uint_eq(rec_at(C, 7)->id, 14);
  stack_free();
}
END_TEST

START_TEST(queries)
{
  stack_new(_i, NULL);
  /* Unknown query: answered with -EOPNOTSUPP. */
  struct net_task_s *t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_query_push(t, I, &P->layer, 12345), 0);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(P->log->len, 1);
  ck_assert_int_eq(rec_at(P, 0)->type, NET_TASK_RESPONSE);
  ck_assert_int_eq(rec_at(P, 0)->err, -EOPNOTSUPP);
  ck_assert_uint_eq(rec_at(P, 0)->opcode, 12345);

  /* The impair layer asking itself: its answer is a RESPONSE it did not
     ask for, destroyed, not leaked (stack_free checks the balance). */
  t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_query_push(t, I, I, 12346), 0);
  push_up(1, 64);
  net_scheduler_run_until_idle(S);
  struct impair_stats_s st = query_stats();
  ck_assert_uint_eq(st.passed[IMPAIR_UP], 1);

  /* The stats method gives the same counters by name. */
  struct net_stat_s out[32];
  size_t n = net_layer_stats(I, out, G_N_ELEMENTS(out));
  ck_assert_uint_eq(n, 16);
  ck_assert_str_eq(out[0].name, "up_passed");
  ck_assert_uint_eq(out[0].value, 1);
  ck_assert_str_eq(out[n - 1].name, "held");
  ck_assert_uint_eq(net_layer_stats(I, out, 2), 16);   /* truncated copy */
  stack_free();
}
END_TEST

START_TEST(notifications_are_relayed)
{
  stack_new(_i, NULL);
  struct rec_s *stranger = rec_new(S);
  struct net_task_s *t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_notification_push(t, I, &P->layer, 777, -EIO, 42), 0);
  t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_notification_push(t, I, &C->layer, 778, 0, 43), 0);
  t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_notification_push(t, I, &stranger->layer, 779, 0, 44), 0);
  net_scheduler_run_until_idle(S);

  ck_assert_uint_eq(C->log->len, 1);
  struct rec_entry_s *e = rec_at(C, 0);
  ck_assert_int_eq(e->type, NET_TASK_NOTIFICATION);
  ck_assert_ptr_eq(e->source, I);
  ck_assert_uint_eq(e->opcode, 777);
  ck_assert_int_eq(e->err, -EIO);
  ck_assert_uint_eq(e->arg, 42);
  ck_assert_uint_eq(P->log->len, 1);
  ck_assert_uint_eq(rec_at(P, 0)->opcode, 778);
  ck_assert_uint_eq(rec_at(P, 0)->arg, 43);
  ck_assert_uint_eq(stranger->log->len, 0);   /* 779 was dropped */

  /* Packets from the wrong side are refused and counted. */
  t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_inbound_push(t, I, &C->layer, 0, NULL, NULL, packet(9, 64)), 0);
  t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_outbound_push(t, I, &P->layer, NULL, NULL, packet(9, 64)), 0);
  t = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_inbound_push(t, I, &stranger->layer, 0, NULL, NULL,
                                         packet(9, 64)), 0);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(query_stats().bad_source, 3);
  ck_assert_uint_eq(C->log->len, 1);
  ck_assert_uint_eq(P->log->len, 1);

  net_layer_refdec(&stranger->layer);
  stack_free_n(3);
}
END_TEST

START_TEST(unbound_child_drops_packets_going_up)
{
  struct impair_config_s cfg = { .delay = NET_NSEC_PER_SEC };
  stack_new(_i, &cfg);
  push_up(1, 64);
  push_up(2, 64);
  push_down(3, 64);
  net_scheduler_run_until_idle(S);
  net_layer_unbind(I, &C->layer);
  ck_assert_uint_eq(drops->len, 2);
  for (unsigned i = 0; i < 2; i++)
    {
      struct drop_s *d = &g_array_index(drops, struct drop_s, i);
      ck_assert_int_eq(d->why, IMPAIR_DROP_NO_PEER);
      ck_assert_int_eq(d->dir, IMPAIR_UP);
      ck_assert_uint_eq(d->id, i + 1);
    }
  /* The packet going down still reaches the parent. */
  net_scheduler_run_for(S, 2 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(P->log->len, 1);
  ck_assert_uint_eq(rec_at(P, 0)->id, 3);
  ck_assert_uint_eq(C->log->len, 0);
  /* Without a child, packets from the parent are dropped at once. */
  push_up(4, 64);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(drops->len, 3);
  ck_assert_uint_eq(query_stats().held, 0);
  stack_free();
}
END_TEST

START_TEST(dangling_cuts_the_wire)
{
  struct impair_config_s cfg = { .delay = NET_NSEC_PER_SEC };
  stack_new(_i, &cfg);
  push_up(1, 64);
  push_down(2, 64);
  net_scheduler_run_until_idle(S);
  net_layer_unbind(&P->layer, I);
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(drops->len, 2);
  ck_assert_ptr_null(net_layer_parent(I));
  /* The timer went with the parent: nothing arrives, nothing is left. */
  net_scheduler_run_for(S, 5 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(C->log->len, 0);
  ck_assert_uint_eq(P->log->len, 0);
  ck_assert_uint_eq(query_stats().held, 0);

  /* Bound again, it works again (with a new timer). */
  ck_assert_int_eq(net_layer_bind(&P->layer, NULL, I), 0);
  push_up(3, 64);
  net_time_t t0 = net_scheduler_time(S);
  net_scheduler_run_for(S, 2 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(C->log->len, 1);
  ck_assert_uint_eq(rec_at(C, 0)->at, t0 + NET_NSEC_PER_SEC);
  stack_free();
}
END_TEST

START_TEST(teardown_with_packets_held)
{
  /* An hour: nothing is released before the teardown, whatever the
     clock (the threaded variant runs on real time). */
  struct impair_config_s cfg = { .delay = 3600 * NET_NSEC_PER_SEC };
  stack_new(_i, &cfg);
  for (uint32_t id = 0; id < 10; id++)
    {
      push_up(id, 64);
      push_down(100 + id, 64);
    }
  net_scheduler_run_until_idle(S);
  ck_assert_uint_eq(C->log->len + P->log->len, 0);
  /* Dropping the parent unbinds the impair layer, which cuts the wire and
     goes with its child: every buffer comes back (ASan/Valgrind check). */
  stack_free();
}
END_TEST

START_TEST(scheduler_destroy_with_timer_armed)
{
  struct impair_config_s cfg = { .delay = NET_NSEC_PER_SEC };
  stack_new(_i, &cfg);
  push_up(1, 64);
  net_scheduler_run_until_idle(S);
  /* Drop only our references: the stack stays bound, the timer armed;
     destroying the scheduler cancels the timer and destroys it all. */
  net_layer_refdec(&C->layer);
  net_layer_refdec(I);
  net_layer_refdec(&P->layer);
  net_scheduler_destroy(S);
  ck_assert_int_eq(atomic_load(&destroyed_layers), 2);
  ck_assert_int_eq(atomic_load(&released), 1);
  ck_assert_int_eq(atomic_load(&criticals), 0);
  g_array_free(drops, TRUE);
}
END_TEST

/* Real time on worker threads: no assertion on when, only on what and in
   which order (bounded wait, no timing assertion). */
START_TEST(threaded_delay_keeps_order)
{
  struct impair_config_s cfg = { .delay = NET_NSEC_PER_MSEC };
  stack_new(SCHED_THREADED, &cfg);
  for (uint32_t id = 0; id < 200; id++)
    {
      push_up(id, 64);
      push_down(1000 + id, 64);
    }
  for (int i = 0; i < 5000; i++)
    {
      net_scheduler_run_until_idle(S);
      if (C->log->len == 200 && P->log->len == 200)
        break;
      g_usleep(1000);
    }
  ck_assert_uint_eq(C->log->len, 200);
  ck_assert_uint_eq(P->log->len, 200);
  for (unsigned i = 0; i < 200; i++)
    {
      ck_assert_uint_eq(rec_at(C, i)->id, i);
      ck_assert_uint_eq(rec_at(P, i)->id, 1000 + i);
    }
  struct impair_stats_s st = query_stats();
  ck_assert_uint_eq(st.delayed[IMPAIR_UP] + st.delayed[IMPAIR_DOWN], 400);
  ck_assert_uint_eq(st.held, 0);
  stack_free();
}
END_TEST

START_TEST(bad_input)
{
  struct net_scheduler_s *s = net_scheduler_loop_create(NULL, NULL);
  struct net_layer_s *l = NULL;
  struct impair_config_s bad = { .loss = 1.5 };
  ck_assert_int_eq(impair_create(s, &bad, NULL, NULL, &l), -EINVAL);
  bad.loss = NAN;
  ck_assert_int_eq(impair_create(s, &bad, NULL, NULL, &l), -EINVAL);
  bad.loss = -0.1;
  ck_assert_int_eq(impair_create(s, &bad, NULL, NULL, &l), -EINVAL);
  struct impair_config_s big = { .queue_limit = (1u << 20) + 1 };
  ck_assert_int_eq(impair_create(s, &big, NULL, NULL, &l), -EINVAL);
  ck_assert_int_eq(impair_create(NULL, NULL, NULL, NULL, &l), -EINVAL);
  ck_assert_int_eq(impair_create(s, NULL, NULL, NULL, NULL), -EINVAL);
  ck_assert_ptr_null(l);

  ck_assert_int_eq(impair_create(s, NULL, NULL, NULL, &l), 0);
  ck_assert_int_eq(impair_configure(l, &bad), -EINVAL);
  ck_assert_int_eq(impair_configure(l, NULL), -EINVAL);
  ck_assert_int_eq(impair_configure(NULL, &big), -EINVAL);
  struct rec_s *r = rec_new(s);
  ck_assert_int_eq(impair_configure(&r->layer, &big), -EINVAL);
  net_layer_refdec(&r->layer);
  net_layer_refdec(l);
  net_scheduler_destroy(s);
}
END_TEST

static Suite *impair_suite(void)
{
  Suite *s = suite_create("impair");
  TCase *tc = tcase_create("layer");
  tcase_set_timeout(tc, 60);
  /* 0: queued dispatch, 1: direct dispatch (run-to-completion), both on
     a virtual clock; 2: threaded scheduler, for tests without timing. */
  tcase_add_loop_test(tc, pass_through, 0, 3);
  tcase_add_loop_test(tc, delay_is_exact_and_fifo, 0, 2);
  tcase_add_loop_test(tc, shorter_delay_never_reorders, 0, 2);
  tcase_add_loop_test(tc, loss_is_seeded, 0, 3);
  tcase_add_loop_test(tc, mtu_clamp, 0, 2);
  tcase_add_loop_test(tc, one_child_only, 0, 3);
  tcase_add_loop_test(tc, queue_limit, 0, 2);
  tcase_add_loop_test(tc, queries, 0, 3);
  tcase_add_loop_test(tc, notifications_are_relayed, 0, 3);
  tcase_add_loop_test(tc, unbound_child_drops_packets_going_up, 0, 2);
  tcase_add_loop_test(tc, dangling_cuts_the_wire, 0, 2);
  tcase_add_loop_test(tc, teardown_with_packets_held, 0, 3);
  tcase_add_test(tc, threaded_delay_keeps_order);
  tcase_add_loop_test(tc, scheduler_destroy_with_timer_armed, 0, 2);
  tcase_add_test(tc, bad_input);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(impair_suite());
}
