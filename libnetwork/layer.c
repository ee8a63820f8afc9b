/* Layers (net/layer.h): refcount, binding, context, dangling, destruction.
 *
 * Who may touch what:
 * - a layer's children list and its handler methods belong to the thread
 *   that owns the layer's execution (scheduler_private.h); bind and
 *   unbind own the parent for their whole duration;
 * - parent pointers are also written under the scheduler's tree_lock so
 *   that "is this child free" and "is it an ancestor" are answered
 *   atomically against concurrent binds;
 * - a child's own handlers (context_changed, dangling) run in the child's
 *   context: right away when nobody runs the child, otherwise as pending
 *   work at the child's next run.  The parent never waits for a child,
 *   which is what keeps bind/unbind free of lock-order deadlocks.
 */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include "scheduler_private.h"
#include <string.h>

int net_layer_init(struct net_layer_s *layer,
                   const struct net_layer_handler_s *handler,
                   struct net_scheduler_s *sched, void *delegate,
                   const struct net_layer_delegate_vtable_s *delegate_vtable)
{
  g_return_val_if_fail(layer != NULL, -EINVAL);
  g_return_val_if_fail(handler != NULL, -EINVAL);
  g_return_val_if_fail(handler->destroyed != NULL, -EINVAL);
  g_return_val_if_fail(handler->task_handle != NULL, -EINVAL);
  g_return_val_if_fail(sched != NULL, -EINVAL);
  if (atomic_load(&sched->shutdown))
    return -ESHUTDOWN;
  memset(layer, 0, sizeof(*layer));
  atomic_init(&layer->refcount, 1);
  layer->handler = handler;
  layer->scheduler = sched;
  layer->delegate = delegate;
  layer->delegate_vtable = delegate_vtable;
  atomic_fetch_add(&sched->live_layers, 1);
  return 0;
}

struct net_layer_s *net_layer_refinc(struct net_layer_s *layer)
{
  g_return_val_if_fail(layer != NULL, NULL);
  unsigned old = atomic_fetch_add_explicit(&layer->refcount, 1, memory_order_relaxed);
  if (old == 0)
    g_critical("net_layer_refinc on a destroyed %s layer", net_layer_type_name(layer));
  return layer;
}

void net_layer_ref_put_slow(struct net_layer_s *layer, unsigned old)
{
  if (old == 1)
    net_layer_set_pending(layer, NET_LAYER_PENDING_DESTROY);
  else
    {
      atomic_fetch_add_explicit(&layer->refcount, 1, memory_order_relaxed);
      g_critical("net_layer_refdec on a destroyed %s layer", net_layer_type_name(layer));
    }
}

void net_layer_refdec(struct net_layer_s *layer)
{
  g_return_if_fail(layer != NULL);
  net_layer_ref_put(layer);
}

static bool net_layer_check_alive(const struct net_layer_s *layer)
{
  if (atomic_load_explicit(&layer->refcount, memory_order_relaxed) != 0)
    return true;
  g_critical("%s layer used after its last reference was dropped",
             net_layer_type_name(layer));
  return false;
}

/* Snapshot the children of @p layer, each referenced, so that handlers
   called while walking them may bind and unbind freely.  Returns the
   count; *out is @p local or a heap array to g_free. */
static size_t net_layer_children_ref(struct net_layer_s *layer,
                                     struct net_layer_s **local, size_t nlocal,
                                     struct net_layer_s ***out)
{
  struct net_scheduler_s *sched = layer->scheduler;
  pthread_mutex_lock(&sched->tree_lock);
  size_t n = 0;
  for (struct net_layer_s *c = layer->children; c; c = c->sibling_next)
    n++;
  struct net_layer_s **v = n <= nlocal ? local : g_new(struct net_layer_s *, n);
  size_t i = 0;
  for (struct net_layer_s *c = layer->children; c; c = c->sibling_next)
    v[i++] = net_layer_refinc(c);
  pthread_mutex_unlock(&sched->tree_lock);
  *out = v;
  return n;
}

static void net_layer_context_propagate(struct net_layer_s *layer);

/* Set a layer's context and announce it, in the layer's own context. */
static void net_layer_context_apply(struct net_layer_s *layer,
                                    const struct net_layer_context_s *ctx)
{
  layer->context = *ctx;
  if (layer->handler->context_changed)
    layer->handler->context_changed(layer);
  net_layer_context_propagate(layer);
}

/* Compute @p child's context from @p parent's (parent owned by caller). */
static void net_layer_child_context_update(struct net_layer_s *parent,
                                           struct net_layer_s *child)
{
  struct net_layer_context_s cctx = parent->context;
  if (parent->handler->child_context_adjust)
    parent->handler->child_context_adjust(parent, child, &cctx);
  if (net_layer_exec_try_acquire(child))
    {
      net_layer_context_apply(child, &cctx);
      net_layer_exec_release(child);
      return;
    }
  net_spin_lock(&child->sched.lock);
  child->sched.pending_context = cctx;
  net_spin_unlock(&child->sched.lock);
  net_layer_set_pending(child, NET_LAYER_PENDING_CONTEXT);
}

/* Recompute every child's context; caller owns @p layer. */
static void net_layer_context_propagate(struct net_layer_s *layer)
{
  struct net_layer_s *local[16], **children;
  size_t n = net_layer_children_ref(layer, local, G_N_ELEMENTS(local), &children);
  for (size_t i = 0; i < n; i++)
    {
      if (__atomic_load_n(&children[i]->parent, __ATOMIC_ACQUIRE) == layer)
        net_layer_child_context_update(layer, children[i]);
      net_layer_refdec(children[i]);
    }
  if (children != local)
    g_free(children);
}

void net_layer_context_changed(struct net_layer_s *layer)
{
  g_return_if_fail(layer != NULL);
  if (!net_layer_check_alive(layer))
    return;
  net_layer_exec_acquire(layer);
  net_layer_context_propagate(layer);
  net_layer_exec_release(layer);
}

void net_layer_apply_pending(struct net_layer_s *layer, unsigned bits)
{
  if (bits & NET_LAYER_PENDING_CONTEXT)
    {
      net_spin_lock(&layer->sched.lock);
      struct net_layer_context_s ctx = layer->sched.pending_context;
      net_spin_unlock(&layer->sched.lock);
      net_layer_context_apply(layer, &ctx);
    }
  if ((bits & NET_LAYER_PENDING_DANGLING) && layer->handler->dangling)
    layer->handler->dangling(layer);
}

int net_layer_bind(struct net_layer_s *parent, const void *addr,
                   struct net_layer_s *child)
{
  g_return_val_if_fail(parent != NULL, -EINVAL);
  g_return_val_if_fail(child != NULL, -EINVAL);
  if (!net_layer_check_alive(parent) || !net_layer_check_alive(child))
    return -EINVAL;
  if (parent == child)
    return -ELOOP;
  if (parent->scheduler != child->scheduler)
    return -EXDEV;
  struct net_scheduler_s *sched = parent->scheduler;
  if (atomic_load(&sched->shutdown))
    return -ESHUTDOWN;

  net_layer_exec_acquire(parent);

  /* Reserve the child (parent pointer set) before asking the parent, so
     a concurrent bind of the same child sees -EBUSY. */
  int err = 0;
  pthread_mutex_lock(&sched->tree_lock);
  if (child->parent)
    err = -EBUSY;
  else
    for (struct net_layer_s *a = parent; a; a = a->parent)
      if (a == child)
        {
          err = -ELOOP;
          break;
        }
  if (!err)
    __atomic_store_n(&child->parent, parent, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&sched->tree_lock);

  if (!err && parent->handler->bound)
    {
      err = parent->handler->bound(parent, addr, child);
      if (err > 0)
        {
          g_critical("%s bound() returned %d: errors are negative",
                     net_layer_type_name(parent), err);
          err = -EINVAL;
        }
      if (err)
        {
          pthread_mutex_lock(&sched->tree_lock);
          __atomic_store_n(&child->parent, NULL, __ATOMIC_RELEASE);
          pthread_mutex_unlock(&sched->tree_lock);
        }
    }
  if (!err)
    {
      net_layer_refinc(child);
      pthread_mutex_lock(&sched->tree_lock);
      child->sibling_prev = NULL;
      child->sibling_next = parent->children;
      if (parent->children)
        parent->children->sibling_prev = child;
      parent->children = child;
      pthread_mutex_unlock(&sched->tree_lock);
      net_layer_child_context_update(parent, child);
    }
  net_layer_exec_release(parent);
  return err;
}

/* @p layer lost its parent: tasks to and from it pushed until now die,
   then its dangling handler runs in its own context (right away when the
   caller owns its execution, @p owned). */
static void net_layer_dangle(struct net_layer_s *layer, bool owned)
{
  __atomic_add_fetch(&layer->sched.generation, 1, __ATOMIC_ACQ_REL);
  net_sched_layer_cancel_all(layer->scheduler, layer);
  if (!layer->handler->dangling)
    return;
  if (owned)
    layer->handler->dangling(layer);
  else if (net_layer_exec_try_acquire(layer))
    {
      layer->handler->dangling(layer);
      net_layer_exec_release(layer);
    }
  else
    net_layer_set_pending(layer, NET_LAYER_PENDING_DANGLING);
}

static void net_layer_unbind_child(struct net_layer_s *parent,
                                   struct net_layer_s *child, bool owned)
{
  struct net_scheduler_s *sched = parent->scheduler;

  net_layer_exec_acquire(parent);
  pthread_mutex_lock(&sched->tree_lock);
  bool bound = child->parent == parent;
  if (bound)
    {
      if (child->sibling_prev)
        child->sibling_prev->sibling_next = child->sibling_next;
      else
        parent->children = child->sibling_next;
      if (child->sibling_next)
        child->sibling_next->sibling_prev = child->sibling_prev;
      child->sibling_next = child->sibling_prev = NULL;
      __atomic_store_n(&child->parent, NULL, __ATOMIC_RELEASE);
    }
  pthread_mutex_unlock(&sched->tree_lock);
  if (bound)
    {
      if (parent->handler->unbound)
        parent->handler->unbound(parent, child);
      net_layer_dangle(child, owned);
      net_layer_refdec(child);
    }
  net_layer_exec_release(parent);
}

void net_layer_unbind(struct net_layer_s *parent, struct net_layer_s *child)
{
  g_return_if_fail(parent != NULL);
  g_return_if_fail(child != NULL);
  net_layer_unbind_child(parent, child, false);
}

void net_layer_unbind_all(struct net_layer_s *parent)
{
  g_return_if_fail(parent != NULL);
  struct net_scheduler_s *sched = parent->scheduler;
  net_layer_exec_acquire(parent);
  for (;;)
    {
      pthread_mutex_lock(&sched->tree_lock);
      struct net_layer_s *child = parent->children;
      pthread_mutex_unlock(&sched->tree_lock);
      if (!child)
        break;
      net_layer_unbind(parent, child);
    }
  net_layer_exec_release(parent);
}

void net_layer_destroy_now(struct net_layer_s *layer)
{
  struct net_scheduler_s *sched = layer->scheduler;
  /* A child's link to its parent is weak: on the threaded scheduler a
     child may be in its handler on another worker right now, with our
     pointer in hand (about to push a task to us).  Each child is unbound
     while we own its execution, so that no run of it overlaps our
     destruction: one in progress ends first, later ones see no parent.
     No child waits for its parent (it never binds or unbinds under it
     from its handler), so this cannot deadlock. */
  struct net_layer_s *local[16], **children;
  size_t n = net_layer_children_ref(layer, local, G_N_ELEMENTS(local), &children);
  for (size_t i = 0; i < n; i++)
    {
      net_layer_exec_acquire(children[i]);
      net_layer_unbind_child(layer, children[i], true);
      net_layer_exec_release(children[i]);
      net_layer_refdec(children[i]);
    }
  if (children != local)
    g_free(children);
  net_layer_unbind_all(layer);
  if (layer->delegate_vtable && layer->delegate_vtable->release)
    layer->delegate_vtable->release(layer->delegate, layer);
  if (layer->sched.timers || layer->sched.mbox_head)
    g_critical("%s layer destroyed with tasks queued to it",
               net_layer_type_name(layer));
  layer->handler->destroyed(layer);
  atomic_fetch_sub(&sched->live_layers, 1);
}

void net_layer_exclusive(struct net_layer_s *layer,
                         void (*fn)(struct net_layer_s *layer, void *arg),
                         void *arg)
{
  g_return_if_fail(layer != NULL);
  g_return_if_fail(fn != NULL);
  net_layer_exec_acquire(layer);
  fn(layer, arg);
  net_layer_exec_release(layer);
}

size_t net_layer_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                       size_t max)
{
  g_return_val_if_fail(layer != NULL, 0);
  g_return_val_if_fail(out != NULL || max == 0, 0);
  if (!layer->handler->stats)
    return 0;
  /* The counters belong to the layer's handler, which may be running on
     a worker right now: own the layer's execution while they are copied
     (nests when called from the layer's own handler), so the read cannot
     race with an update.  Ownership changes nothing the caller sees. */
  struct net_layer_s *owned = (struct net_layer_s *)layer;
  net_layer_exec_acquire(owned);
  size_t n = layer->handler->stats(layer, out, max);
  net_layer_exec_release(owned);
  return n;
}
