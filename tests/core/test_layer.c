/* Layers: binding and refusal, context propagation, dangling, destruction.
 * Every test runs against every scheduler configuration (tbackends). */
#include <config.h>
#include "check_main.h"
#include "tlayer.h"

static struct net_scheduler_s *S;

static void setup_backend(int i)
{
  tlayer_reset();
  S = tsched_new(i, NULL);
  ck_assert_ptr_nonnull(S);
}

static void teardown_backend(void)
{
  net_scheduler_run_until_idle(S);
  tsched_check_balanced(S);
  net_scheduler_destroy(S);
  S = NULL;
  ck_assert_int_eq(atomic_load(&tl_overlaps), 0);
  ck_assert_int_eq(atomic_load(&tl_destroyed_outside), 0);
}

static unsigned refs(struct tlayer_s *l)
{
  return atomic_load(&l->base.refcount);
}

START_TEST(bind_and_refuse)
{
  setup_backend(_i);
  struct tlayer_s *p = tlayer_new(S, 1), *c = tlayer_new(S, 2);
  p->refuse_addr = 666;
  int refused = 666, fine = 7;

  ck_assert_int_eq(net_layer_bind(NL(p), &refused, NL(c)), -EADDRINUSE);
  ck_assert_ptr_null(net_layer_parent(&c->base));
  ck_assert_ptr_null(p->base.children);
  ck_assert_uint_eq(refs(c), 1);
  ck_assert_int_eq(c->context_changed, 0);

  ck_assert_int_eq(net_layer_bind(NL(p), &fine, NL(c)), 0);
  ck_assert_ptr_eq(net_layer_parent(&c->base), NL(p));
  ck_assert_ptr_eq(p->base.children, NL(c));
  ck_assert_uint_eq(refs(c), 2);
  ck_assert_int_eq(p->bound, 1);
  ck_assert_int_eq(c->context_changed, 1);

  /* Already bound: -EBUSY, even to another parent. */
  struct tlayer_s *p2 = tlayer_new(S, 3);
  ck_assert_int_eq(net_layer_bind(NL(p), &fine, NL(c)), -EBUSY);
  ck_assert_int_eq(net_layer_bind(NL(p2), NULL, NL(c)), -EBUSY);
  /* Cycles: a layer under itself or under its descendant. */
  ck_assert_int_eq(net_layer_bind(NL(c), NULL, NL(c)), -ELOOP);
  ck_assert_int_eq(net_layer_bind(NL(c), NULL, NL(p)), -ELOOP);
  ck_assert_ptr_null(net_layer_parent(&p->base));

  net_layer_unbind(NL(p), NL(c));
  ck_assert_ptr_null(net_layer_parent(&c->base));
  ck_assert_uint_eq(refs(c), 1);
  ck_assert_int_eq(p->unbound, 1);
  /* Unbinding again, or from a layer that is not the parent: no-op. */
  net_layer_unbind(NL(p), NL(c));
  net_layer_unbind(NL(p2), NL(c));
  ck_assert_int_eq(p->unbound, 1);
  ck_assert_int_eq(p2->unbound, 0);
  /* Bound again elsewhere after dangling. */
  ck_assert_int_eq(net_layer_bind(NL(p2), NULL, NL(c)), 0);

  net_layer_refdec(NL(c));
  net_layer_refdec(NL(p));
  net_layer_refdec(NL(p2));
  net_scheduler_run_until_idle(S);
  ck_assert_int_eq(atomic_load(&tl_destroyed_total), 3);
  teardown_backend();
}
END_TEST

START_TEST(bind_bad_input)
{
  setup_backend(_i);
  struct tlayer_s *a = tlayer_new(S, 1);
  struct net_scheduler_s *other = tsched_new(_i, NULL);
  struct tlayer_s *x = tlayer_new(other, 2);

  ck_assert_int_eq(net_layer_bind(NL(a), NULL, NL(x)), -EXDEV);
  ck_assert_int_eq(net_layer_bind(NULL, NULL, NL(a)), -EINVAL);
  ck_assert_int_eq(net_layer_bind(NL(a), NULL, NULL), -EINVAL);
  ck_assert_int_eq(atomic_load(&tl_criticals), 2);
  net_layer_unbind(NULL, NL(a));
  net_layer_unbind_all(NULL);
  ck_assert_int_eq(atomic_load(&tl_criticals), 4);

  /* Init refuses incomplete handler tables. */
  static const struct net_layer_handler_s no_destroyed = { .task_handle = (void *)1 };
  struct net_layer_s bad;
  ck_assert_int_eq(net_layer_init(&bad, &no_destroyed, S, NULL, NULL), -EINVAL);
  ck_assert_int_eq(net_layer_init(&bad, NULL, S, NULL, NULL), -EINVAL);
  ck_assert_int_eq(net_layer_init(NULL, NULL, S, NULL, NULL), -EINVAL);

  net_layer_refdec(NL(x));
  net_scheduler_run_until_idle(other);
  net_scheduler_destroy(other);
  net_layer_refdec(NL(a));
  teardown_backend();
}
END_TEST

START_TEST(context_propagation)
{
  setup_backend(_i);
  struct tlayer_s *root = tlayer_new(S, 1), *mid = tlayer_new(S, 2), *leaf = tlayer_new(S, 3);
  root->base.context.prefix_size = 14;
  root->base.context.mtu = 1500;
  root->header = 20;
  mid->header = 8;

  ck_assert_int_eq(net_layer_bind(NL(mid), NULL, NL(leaf)), 0);
  ck_assert_int_eq(leaf->context_changed, 1);
  ck_assert_int_eq(net_layer_bind(NL(root), NULL, NL(mid)), 0);
  /* Binding mid recomputes its subtree. */
  ck_assert_uint_eq(mid->base.context.prefix_size, 34);
  ck_assert_uint_eq(mid->base.context.mtu, 1480);
  ck_assert_uint_eq(leaf->base.context.prefix_size, 42);
  ck_assert_uint_eq(leaf->base.context.mtu, 1472);
  ck_assert_int_eq(mid->context_changed, 1);
  ck_assert_int_eq(leaf->context_changed, 2);

  root->base.context.mtu = 9000;
  net_layer_context_changed(NL(root));
  ck_assert_uint_eq(mid->base.context.mtu, 8980);
  ck_assert_uint_eq(leaf->base.context.mtu, 8972);
  ck_assert_int_eq(mid->context_changed, 2);
  ck_assert_int_eq(leaf->context_changed, 3);
  ck_assert_int_eq(root->context_changed, 0);

  net_layer_refdec(NL(leaf));
  net_layer_refdec(NL(mid));
  net_layer_refdec(NL(root));
  teardown_backend();
}
END_TEST

START_TEST(destroy_parent_releases_children)
{
  setup_backend(_i);
  struct tlayer_s *root = tlayer_new(S, 1);
  struct tlayer_s *a = tlayer_new(S, 2), *b = tlayer_new(S, 3), *g = tlayer_new(S, 4);
  ck_assert_int_eq(net_layer_bind(NL(root), NULL, NL(a)), 0);
  ck_assert_int_eq(net_layer_bind(NL(root), NULL, NL(b)), 0);
  ck_assert_int_eq(net_layer_bind(NL(a), NULL, NL(g)), 0);
  /* The tree now owns the children. */
  net_layer_refdec(NL(a));
  net_layer_refdec(NL(b));
  net_layer_refdec(NL(g));
  net_scheduler_run_until_idle(S);
  ck_assert_int_eq(atomic_load(&tl_destroyed_total), 0);

  /* Tasks in flight between them do not keep anything alive for ever. */
  ck_assert_int_eq(tnotify(S, a, g, 1, 0), 0);
  ck_assert_int_eq(tnotify(S, g, a, 2, 0), 0);

  net_layer_refdec(NL(root));
  /* Never inside refdec: later, by the scheduler, in its context (the
     workers of a threaded scheduler may already be at it). */
  if (!tsched_threaded(_i))
    ck_assert_int_eq(atomic_load(&tl_destroyed_total), 0);
  TWAIT(S, atomic_load(&tl_destroyed_total) == 4);
  ck_assert_int_eq(atomic_load(&tl_destroyed_total), 4);
  for (int id = 1; id <= 4; id++)
    ck_assert_int_eq(atomic_load(&tl_destroyed_by_id[id]), 1);
  teardown_backend();
}
END_TEST

START_TEST(destroyed_once_in_context)
{
  setup_backend(_i);
  struct tlayer_s *l = tlayer_new(S, 5);
  /* References from tasks: the layer lives until they are gone. */
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq(tnotify(S, l, l, 1, (uintptr_t)i), 0);
  net_layer_refinc(NL(l));
  net_layer_refdec(NL(l));
  net_layer_refdec(NL(l));
  if (!tsched_threaded(_i))
    ck_assert_int_eq(atomic_load(&tl_destroyed_total), 0);
  TWAIT(S, atomic_load(&tl_destroyed_total) == 1);
  net_scheduler_run_until_idle(S);
  ck_assert_int_eq(atomic_load(&tl_destroyed_by_id[5]), 1);
  ck_assert_int_eq(atomic_load(&tl_destroyed_total), 1);
  teardown_backend();
}
END_TEST

/* Tasks queued to and from a layer die when it dangles; later ones live. */
START_TEST(unbind_dangling_cancels)
{
  setup_backend(_i);
  struct tlayer_s *p = tlayer_new(S, 1), *c = tlayer_new(S, 2), *other = tlayer_new(S, 3);
  ck_assert_int_eq(net_layer_bind(NL(p), NULL, NL(c)), 0);
  /* Hold every layer while tasks are queued: nothing runs until the
     scheduler is driven (threaded: the workers are kept busy elsewhere
     is not guaranteed, so queue on a loop only when counting exactly). */
  bool exact = !tsched_threaded(_i);
  for (int i = 0; i < 5; i++)
    {
      ck_assert_int_eq(tnotify(S, c, p, 1, 0), 0);   /* to the child */
      ck_assert_int_eq(tnotify(S, p, c, 2, 0), 0);   /* from the child */
      ck_assert_int_eq(tnotify(S, other, c, 3, 0), 0);
    }
  struct net_task_s *timer = net_scheduler_task_alloc(S);
  ck_assert_int_eq(net_task_timeout_push(timer, NL(c), NL(c),
                                         net_scheduler_time(S) + NET_NSEC_PER_SEC,
                                         0, 9), 0);
  net_layer_unbind(NL(p), NL(c));
  net_scheduler_run_until_idle(S);
  if (exact)
    {
      ck_assert_uint_eq(tlayer_count(c), 0);
      ck_assert_uint_eq(tlayer_count(p), 0);
      ck_assert_uint_eq(tlayer_count(other), 0);
      struct net_scheduler_stats_s st;
      net_scheduler_stats(S, &st);
      ck_assert_uint_eq(st.cancelled, 16);
    }
  ck_assert_int_eq(c->dangling, 1);
  ck_assert_int_eq(p->unbound, 1);

  /* After dangling the layer works again. */
  size_t nc = tlayer_count(c), nother = tlayer_count(other);
  ck_assert_int_eq(tnotify(S, c, p, 4, 0), 0);
  ck_assert_int_eq(tnotify(S, other, c, 5, 0), 0);
  TWAIT(S, tlayer_count(other) > nother && tlayer_count(c) > nc);
  ck_assert_uint_eq(tlayer_rec(c, tlayer_count(c) - 1).opcode, 4);
  ck_assert_uint_eq(tlayer_rec(other, tlayer_count(other) - 1).opcode, 5);

  net_layer_refdec(NL(c));
  net_layer_refdec(NL(p));
  net_layer_refdec(NL(other));
  teardown_backend();
}
END_TEST

/* A parent destroyed while its child is queued makes the child dangle. */
START_TEST(destroy_parent_dangles_child)
{
  setup_backend(_i);
  struct tlayer_s *p = tlayer_new(S, 1), *c = tlayer_new(S, 2);
  ck_assert_int_eq(net_layer_bind(NL(p), NULL, NL(c)), 0);
  net_layer_refdec(NL(p));
  TWAIT(S, atomic_load(&tl_destroyed_by_id[1]) == 1);
  ck_assert_int_eq(atomic_load(&tl_destroyed_by_id[1]), 1);
  ck_assert_int_eq(c->dangling, 1);
  ck_assert_ptr_null(net_layer_parent(&c->base));
  ck_assert_uint_eq(refs(c), 1);
  ck_assert_int_eq(c->released, 0);
  net_layer_refdec(NL(c));
  teardown_backend();
}
END_TEST

START_TEST(unbind_all_and_stats)
{
  setup_backend(_i);
  struct tlayer_s *p = tlayer_new(S, 1);
  struct tlayer_s *kids[8];
  for (int i = 0; i < 8; i++)
    {
      kids[i] = tlayer_new(S, 10 + i);
      ck_assert_int_eq(net_layer_bind(NL(p), NULL, NL(kids[i])), 0);
    }
  net_layer_unbind_all(NL(p));
  ck_assert_ptr_null(p->base.children);
  ck_assert_int_eq(p->unbound, 8);
  for (int i = 0; i < 8; i++)
    {
      ck_assert_int_eq(kids[i]->dangling, 1);
      ck_assert_uint_eq(refs(kids[i]), 1);
      net_layer_refdec(NL(kids[i]));
    }
  struct net_stat_s st[2];
  ck_assert_uint_eq(net_layer_stats(NL(p), st, 2), 1);
  ck_assert_str_eq(st[0].name, "delivered");
  ck_assert_str_eq(net_layer_type_name(NL(p)), "test");
  net_layer_refdec(NL(p));
  net_scheduler_run_until_idle(S);
  ck_assert_int_eq(atomic_load(&tl_destroyed_total), 9);
  teardown_backend();
}
END_TEST

/* Binding and unbinding from handlers: a child unbinding itself (its
   dangling handler waits for its run to end), a parent binding under
   itself (nested ownership), a context change announced from a handler. */
static struct tlayer_s *spawned;

static void child_on(struct tlayer_s *l, struct net_task_s *task)
{
  tlayer_record(l, task);
  if (task->notification.opcode == 10 && net_layer_parent(&l->base))
    {
      net_layer_unbind(net_layer_parent(&l->base), NL(l));
      /* Deferred: never inside our own handler. */
      ck_assert_int_eq(l->dangling, 0);
      ck_assert_ptr_null(net_layer_parent(&l->base));
    }
  net_task_destroy(task);
}

static void parent_on(struct tlayer_s *l, struct net_task_s *task)
{
  tlayer_record(l, task);
  if (task->notification.opcode == 11)
    {
      spawned = tlayer_new(l->base.scheduler, 9);
      ck_assert_int_eq(net_layer_bind(NL(l), NULL, NL(spawned)), 0);
      ck_assert_int_eq(l->bound, 2);
      net_layer_refdec(NL(spawned));
    }
  else if (task->notification.opcode == 12)
    {
      l->base.context.mtu = 1000;
      net_layer_context_changed(NL(l));
    }
  net_task_destroy(task);
}

START_TEST(bind_from_handlers)
{
  setup_backend(_i);
  spawned = NULL;
  struct tlayer_s *p = tlayer_new(S, 1), *c = tlayer_new(S, 2);
  p->on_task = parent_on;
  c->on_task = child_on;
  p->header = 10;
  ck_assert_int_eq(net_layer_bind(NL(p), NULL, NL(c)), 0);

  ck_assert_int_eq(tnotify(S, p, NULL, 11, 0), 0);
  TWAIT(S, tlayer_count(p) == 1);
  ck_assert_ptr_nonnull(spawned);
  ck_assert_ptr_eq(net_layer_parent(&spawned->base), NL(p));
  TWAIT(S, spawned->context_changed == 1);
  ck_assert_int_eq(spawned->context_changed, 1);

  ck_assert_int_eq(tnotify(S, p, NULL, 12, 0), 0);
  TWAIT(S, tlayer_count(p) == 2 && spawned->base.context.mtu == 990
           && c->base.context.mtu == 990);
  ck_assert_uint_eq(spawned->base.context.mtu, 990);
  ck_assert_uint_eq(c->base.context.mtu, 990);

  ck_assert_int_eq(tnotify(S, c, NULL, 10, 0), 0);
  TWAIT(S, c->dangling == 1);
  ck_assert_int_eq(c->dangling, 1);
  ck_assert_int_eq(p->unbound, 1);
  ck_assert_uint_eq(atomic_load(&c->base.refcount), 1);

  net_layer_refdec(NL(c));
  net_layer_refdec(NL(p));
  TWAIT(S, atomic_load(&tl_destroyed_total) == 3);
  ck_assert_int_eq(atomic_load(&tl_destroyed_by_id[9]), 1);
  teardown_backend();
}
END_TEST

/* net_layer_exclusive(): from another thread, the layer's handlers are
   held off while the function runs (it reads a counter the handler
   writes without atomics: ThreadSanitizer checks the claim); from the
   layer's own handler the function is called right away. */
struct excl_s
{
  unsigned handled;     /* handler only, or under net_layer_exclusive() */
  unsigned nested;      /* calls from the handler itself */
};
static struct excl_s excl;

struct excl_look_s
{
  unsigned handled;
  bool overlapped;      /* a handler of the layer was running */
};

static void excl_look(struct net_layer_s *layer, void *arg)
{
  struct tlayer_s *l = net_container_of(layer, struct tlayer_s, base);
  struct excl_look_s *look = arg;
  look->overlapped = atomic_load(&l->running) != NULL;
  look->handled = excl.handled;
}

static void excl_nested(struct net_layer_s *layer, void *arg)
{
  excl.nested++;
}

static void excl_on(struct tlayer_s *l, struct net_task_s *task)
{
  excl.handled++;
  if (task->notification.opcode == 21)
    net_layer_exclusive(NL(l), excl_nested, NULL);
  net_task_destroy(task);
}

START_TEST(exclusive_holds_handlers_off)
{
  setup_backend(_i);
  excl = (struct excl_s){ 0 };
  struct tlayer_s *l = tlayer_new(S, 1);
  l->on_task = excl_on;
  struct excl_look_s look = { 0 };
  unsigned last = 0;
  for (unsigned i = 0; i < 2000; i++)
    {
      ck_assert_int_eq(tnotify(S, l, NULL, i % 100 == 0 ? 21 : 20, 0), 0);
      if (i % 10 == 0)
        {
          net_layer_exclusive(NL(l), excl_look, &look);
          ck_assert(!look.overlapped);
          ck_assert_uint_ge(look.handled, last);
          last = look.handled;
        }
    }
  net_scheduler_run_until_idle(S);
  net_layer_exclusive(NL(l), excl_look, &look);
  ck_assert_uint_eq(look.handled, 2000);
  ck_assert_uint_eq(excl.nested, 20);
  net_layer_refdec(NL(l));
  teardown_backend();
}
END_TEST

static Suite *layer_suite(void)
{
  Suite *s = suite_create("layer");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, bind_and_refuse, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, bind_bad_input, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, context_propagation, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, destroy_parent_releases_children, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, destroyed_once_in_context, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, unbind_dangling_cancels, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, destroy_parent_dangles_child, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, unbind_all_and_stats, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, bind_from_handlers, 0, TBACKEND_COUNT);
  tcase_add_loop_test(tc, exclusive_holds_handlers_off, 0, TBACKEND_COUNT);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(layer_suite());
}
