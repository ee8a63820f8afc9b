/**
 * @file net/layer.h
 * @brief Layers: refcounted nodes of a stack tree that exchange tasks.
 *
 * A layer implementation embeds struct net_layer_s as its first member and
 * gets back to its own structure with net_container_of().  Layers form a
 * tree: the root sits at the medium (a device), leaves at applications.
 * A parent holds a reference on each bound child; a child only has a weak
 * pointer to its parent.  Layers talk to each other exclusively through
 * tasks (net/task.h) delivered by the scheduler of the stack.
 *
 * Lifetime rules
 * - A layer is born with one reference owned by its creator.
 * - net_layer_bind() takes its own reference on the child on success; the
 *   caller drops its reference either way when it no longer needs it.
 * - Unbinding (explicitly, or because the parent is destroyed) makes the
 *   child dangling: every task still queued to it, and every timer it
 *   armed, is cancelled, tasks it sent that are not yet delivered are
 *   cancelled, and its @c dangling handler runs.
 * - When the last reference goes, the scheduler (in scheduler context,
 *   never inside the refdec call) unbinds every child, calls the delegate's
 *   @c release, then the handler's @c destroyed, exactly once.
 *
 * Serialisation: the scheduler never runs two handler methods of the same
 * layer at the same time (task_handle, bound, unbound, dangling,
 * child_context_adjust, context_changed, destroyed).
 * - net_layer_bind(), net_layer_unbind(), net_layer_unbind_all() and
 *   net_layer_context_changed() run the parent's methods (bound, unbound,
 *   child_context_adjust) right away: from the parent's own handler they
 *   just nest; from anywhere else they first wait until no thread runs
 *   the parent (threaded scheduler; on the loop scheduler only a foreign
 *   thread can find the parent busy).
 * - The child's own methods (context_changed, dangling) run right away
 *   when nobody runs the child, and otherwise as soon as the child's
 *   current run ends, before its next task.  So a layer that binds itself
 *   from its own handler sees its new context once that handler returns.
 *   The parent never waits for the child: no lock-order deadlock between
 *   a parent and a child each binding or unbinding the other.
 * - Waiting happens only for the parent: do not make two layers' handlers
 *   bind or unbind under each other at the same time (each would wait for
 *   the other).  A handler binding under its own layer, or a child
 *   unbinding itself from its parent, is fine.
 *
 * Direct dispatch (loop scheduler, options.direct_depth) runs a handler
 * nested inside the pusher's handler; a nested handler that binds or
 * unbinds under a layer lower on that same stack re-enters it.
 */
#ifndef NET_LAYER_H_
#define NET_LAYER_H_

#include <net/types.h>
#include <net/addr.h>
#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Work the medium under a layer does on the packets the layer sends
 * (struct net_layer_context_s::offloads).  A device announces it; every
 * layer in between passes it on unchanged unless it cannot honour it.
 */
enum net_layer_offload_e
{
  /** OUTBOUND packets may carry NET_BUFFER_CSUM_PARTIAL: the device
      computes the transport checksum (net/buffer.h). */
  NET_OFFLOAD_CSUM = 1u << 0,
  /** OUTBOUND TCP/IPv4 packets may be NET_BUFFER_GSO_TCPV4 super-segments
      (with NET_BUFFER_CSUM_PARTIAL) of up to 64 KiB, larger than mtu: the
      device cuts them into gso_size pieces. */
  NET_OFFLOAD_TSO4 = 1u << 1,
};

/**
 * What a layer knows of its place in the stack: its own addresses, how
 * many bytes of headers the layers below it will prepend (every buffer it
 * allocates for sending must reserve that much headroom), the largest
 * packet it may hand to its parent, and the offloads of the medium.
 */
struct net_layer_context_s
{
  struct net_addr_s addr;   /**< our addresses at every level known so far */
  uint16_t prefix_size;     /**< headroom to reserve in buffers we send */
  uint32_t mtu;             /**< largest packet we may hand to the parent */
  uint32_t offloads;        /**< mask of enum net_layer_offload_e */
};

/** Handler methods of a layer type (a static const table per type). */
struct net_layer_handler_s
{
  /** Short type name for logs, dumps and statistics ("ipv4"). */
  const char *type_name;

  /** Mandatory.  Free the layer's memory.  Runs exactly once, in
      scheduler context, after the last reference was dropped: children
      are already unbound, the delegate's @c release has run, and every
      task involving the layer is gone.  Must not push tasks from or to
      the layer. */
  void (*destroyed)(struct net_layer_s *layer);

  /** Mandatory.  Handle a delivered task, in scheduler context: the task
      is now the layer's, to forward, answer, keep or net_task_destroy();
      never leak it, never touch it once pushed again.  The task's source
      and target are referenced while it lives, so @p layer is alive. */
  void (*task_handle)(struct net_layer_s *layer, struct net_task_s *task);

  /** Optional.  A child asks to be bound with address @p addr (meaning
      chosen by this layer: ethertype, protocol, port...; may be NULL).
      Runs in this layer's context, inside net_layer_bind().  Return 0 to
      accept (the core then takes a reference on @p child for us, valid
      until @c unbound), or a negative errno to refuse (e.g.
      -EADDRINUSE); without this method every child is accepted. */
  int (*bound)(struct net_layer_s *layer, const void *addr,
               struct net_layer_s *child);

  /** Optional.  @p child was unbound, by net_layer_unbind() or because
      this layer is being destroyed: forget every pointer to it (demux
      entries).  Runs in this layer's context; the core drops the
      reference it held for us after this returns. */
  void (*unbound)(struct net_layer_s *layer, struct net_layer_s *child);

  /** Optional.  This layer lost its parent.  Runs in its own context,
      after the core cancelled every task queued to it, every timer it
      armed and every task it sent not delivered yet (so forget pointers
      to such tasks).  The layer may be bound again. */
  void (*dangling)(struct net_layer_s *layer);

  /** Optional.  Derive a child's context from ours: typically add our
      header size to prefix_size, subtract it from mtu, set addresses.
      @p cctx starts as a copy of our own context.  Runs in this layer's
      context, at bind time and from net_layer_context_changed(); without
      this method the child gets our context unchanged. */
  void (*child_context_adjust)(const struct net_layer_s *layer,
                               const struct net_layer_s *child,
                               struct net_layer_context_s *cctx);

  /** Optional.  Our context changed (after we were bound, or our
      parent's context changed); the new one is in layer->context.  Runs
      in our own context; our children's contexts are recomputed after
      it returns. */
  void (*context_changed)(struct net_layer_s *layer);

  /** Optional.  Copy up to @p max counters into @p out; return how many
      the layer has (may exceed @p max).  Called by net_layer_stats(),
      whose caller makes sure the layer is not running at the time. */
  size_t (*stats)(const struct net_layer_s *layer, struct net_stat_s *out,
                  size_t max);
};

/**
 * Base delegate vtable.  A layer type's delegate vtable embeds this as its
 * first member and adds the events it reports.
 */
struct net_layer_delegate_vtable_s
{
  /** Optional.  The layer is being destroyed; drop what refers to it. */
  void (*release)(void *delegate, struct net_layer_s *layer);
};

/** Scheduler-private per-layer state (do not touch). */
struct net_layer_sched_s
{
  struct net_task_s *mbox_head;    /**< queued tasks, FIFO */
  struct net_task_s *mbox_tail;    /**< last queued task */
  struct net_task_s *timers;       /**< armed timers targeting this layer */
  struct net_layer_s *run_next;    /**< run queue link */
  atomic_uint state;               /**< queued / running / pending bits */
  atomic_uint lock;                /**< spinlock over mailbox, state, owner */
  uint32_t generation;             /**< bumped when the layer dangles */
  unsigned pushed;                 /**< pushes not yet added to the scheduler's counters */
  unsigned exec_depth;             /**< nested acquisitions by the owner */
  const void *owner;               /**< thread running the layer, or NULL */
  struct net_layer_context_s pending_context; /**< set while busy, applied later */
};

/**
 * A layer.  Implementations embed it as their first member and initialise
 * it with net_layer_init().  Every field belongs to the core: a layer
 * reads them (parent, context, scheduler, delegate) and writes none,
 * except a root layer, which sets its own @c context (it has no parent to
 * derive it from) before children are bound, then announces changes with
 * net_layer_context_changed().
 */
struct net_layer_s
{
  atomic_uint refcount;             /**< use net_layer_refinc/refdec */
  const struct net_layer_handler_s *handler; /**< the layer type's methods */
  struct net_scheduler_s *scheduler; /**< delivers every task of the layer */
  struct net_layer_s *parent;       /**< weak; read with net_layer_parent() */
  struct net_layer_s *children;     /**< first bound child */
  struct net_layer_s *sibling_next; /**< next child of our parent */
  struct net_layer_s *sibling_prev; /**< previous child of our parent */
  struct net_layer_context_s context; /**< addresses, prefix, mtu, offloads */
  void *delegate;                   /**< given to net_layer_init() */
  const struct net_layer_delegate_vtable_s *delegate_vtable; /**< idem, may be NULL */
  struct net_layer_sched_s sched;   /**< scheduler-private */
};

/**
 * Initialise an embedded layer with one reference owned by the caller.
 * Called by a layer factory before the layer is used (any thread).
 * @p handler is kept (a static table); @p delegate and @p delegate_vtable
 * may be NULL and are kept as given.
 * @return 0, -EINVAL (with a g_critical) when @p layer, @p handler or
 * @p sched is NULL or @p handler lacks destroyed/task_handle, or
 * -ESHUTDOWN when @p sched is being destroyed.
 */
int net_layer_init(struct net_layer_s *layer,
                   const struct net_layer_handler_s *handler,
                   struct net_scheduler_s *sched, void *delegate,
                   const struct net_layer_delegate_vtable_s *delegate_vtable);

/** Take a reference (any thread); returns @p layer.  The caller must
    already hold one (or be a handler of the layer). */
struct net_layer_s *net_layer_refinc(struct net_layer_s *layer);

/**
 * Drop a reference (any thread, including the layer's own handlers).  The
 * last one schedules destruction: later, in scheduler context, never
 * inside this call, the layer's children are unbound, its delegate's
 * @c release and then its @c destroyed run.  Dropping a reference not
 * held is reported with a g_critical.
 */
void net_layer_refdec(struct net_layer_s *layer);

/**
 * Bind @p child under @p parent with a parent-specific address.  The
 * parent's @c bound may refuse.  On success the parent holds a reference
 * on the child, the child's context is computed through the parent's
 * @c child_context_adjust, and the child's @c context_changed runs, then
 * the contexts of the child's own children are recomputed the same way
 * (see "Serialisation" for when the child's methods run).
 * Any thread; both layers must be referenced by the caller.
 * @return 0, -EBUSY (child already has a parent), -EXDEV (different
 * schedulers), -ELOOP (child is @p parent or one of its ancestors),
 * -EINVAL (NULL, with a g_critical, or a layer whose last reference is
 * gone), -ESHUTDOWN (scheduler being destroyed), or the parent's refusal.
 */
int net_layer_bind(struct net_layer_s *parent, const void *addr,
                   struct net_layer_s *child);

/**
 * Unbind @p child from @p parent: the parent's @c unbound runs, the child
 * becomes dangling (see file doc), the parent's reference is dropped
 * (which may schedule the child's destruction).  Any thread.
 * No-op when @p child is not a child of @p parent.
 */
void net_layer_unbind(struct net_layer_s *parent, struct net_layer_s *child);

/** Unbind every child of @p parent, as net_layer_unbind() does for one
    (any thread). */
void net_layer_unbind_all(struct net_layer_s *parent);

/**
 * Recompute the contexts of @p layer's children (recursively) after the
 * layer changed its own context (e.g. an address was configured); each
 * child's @c context_changed runs.  Call it from the layer's handler, or
 * from any thread (it then waits for the layer to be idle).
 */
void net_layer_context_changed(struct net_layer_s *layer);

/**
 * Counters of @p layer through its @c stats method: up to @p max copied to
 * @p out; returns how many the layer has (0 without a @c stats method).
 * Any thread, the caller holding a reference on @p layer: the layer is
 * kept from running while its @c stats method copies the counters
 * (waiting, like net_layer_bind(), until a thread running it is done),
 * so the stats method reads the layer's state as its own handler would.
 * From a handler, do not ask for the counters of a layer that may at the
 * same time wait for yours (binding or unbinding under it).
 */
size_t net_layer_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                       size_t max);

/**
 * The parent of @p layer, or NULL when it is not bound.  Read the parent
 * through this, never as a plain field load: a bind or unbind from
 * another thread may write it while the layer's handler runs, and the core
 * writes it atomically (release).  The pointer is weak: use it to compare
 * a task's source or as a push target (a push to a layer that has since
 * gone dangling is discarded), never keep it.
 */
static inline struct net_layer_s *net_layer_parent(const struct net_layer_s *layer)
{
  return __atomic_load_n(&layer->parent, __ATOMIC_ACQUIRE);
}

/**
 * Call @p fn(@p layer, @p arg) with the layer's handlers held off: no
 * handler method of @p layer runs while @p fn does, so @p fn may read the
 * state those handlers own (a snapshot for another thread, e.g.
 * net_tcp_session_info()).  From the layer's own handler @p fn is just
 * called; from anywhere else the call first waits until no thread runs
 * the layer, like net_layer_bind() waits for the parent.  Any thread; the
 * caller holds a reference on @p layer.  @p fn must be short and must not
 * wait for other layers (no bind or unbind); from a handler, do not call
 * it on a layer that may at the same time wait for yours.
 */
void net_layer_exclusive(struct net_layer_s *layer,
                         void (*fn)(struct net_layer_s *layer, void *arg),
                         void *arg);

/** Type name of @p layer. */
static inline const char *net_layer_type_name(const struct net_layer_s *layer)
{
  return layer->handler->type_name ? layer->handler->type_name : "?";
}

#ifdef __cplusplus
}
#endif

#endif
