/* impair: a layer that makes the link under it worse on purpose.
 *
 * The layer of the tutorial doc/writing-a-layer.md.  It is not part of
 * the library: it is what a user of libnetwork writes to add a layer of
 * their own, which is why its names do not start with net_.
 *
 * It is a transparent shim with one child: inserted between two layers
 * (e.g. between Ethernet and IPv4), it hands what comes from its parent to
 * its child and back, after losing packets at random (seeded, so a run
 * can be replayed), delaying them, and clamping the MTU its child sees.
 *
 *   ethernet ── impair (bound with ethertype 0x0800) ── ipv4 (bound with NULL)
 *
 * Contract with its parent and child:
 * - bind address: whatever the parent wants (the impair layer sends with
 *   it); the child is bound under the impair layer with NULL, one child
 *   at most (-EADDRINUSE for a second one).
 * - INBOUND from the parent goes to the child, OUTBOUND from the child
 *   goes to the parent: same buffer, same addresses, same timestamp.
 * - child context: the parent's context, mtu clamped to config.mtu.
 * - NOTIFICATION from the parent goes to the child and back: the shim
 *   relays events it does not know (the same task, so custom
 *   notifications keep their data).
 * - QUERY IMPAIR_OP_STATS (struct impair_stats_query_s) is answered with
 *   the counters; other queries get -EOPNOTSUPP (a query cannot be relayed:
 *   its response goes back to whoever pushed it, here the shim).
 */
#ifndef EXAMPLES_IMPAIR_H_
#define EXAMPLES_IMPAIR_H_

#include <net/layer.h>
#include <net/task.h>

/** Opcodes, numbered from a base of our own above NET_OP_LAYER_BASE. */
enum impair_opcode_e
{
  IMPAIR_OP_BASE = NET_OP_LAYER_BASE + 0x7700,
  IMPAIR_OP_STATS,     /**< QUERY: struct impair_stats_query_s */
  IMPAIR_OP_CONFIGURE, /**< NOTIFICATION: new settings (impair_configure) */
  IMPAIR_OP_RELEASE,   /**< TIMEOUT: the first held packet is due */
};

/** Settings; zero-initialised = a perfect shim. */
struct impair_config_s
{
  uint64_t seed;          /**< seed of the loss draws */
  double loss;            /**< probability a packet is lost, [0, 1] */
  net_time_t delay;       /**< extra latency of every packet */
  uint32_t mtu;           /**< largest packet the child may send, 0 = parent's */
  unsigned queue_limit;   /**< packets held at once, at most 2^20; creation only (0 = 1024) */
};

/** Which way a packet goes. */
enum impair_dir_e
{
  IMPAIR_UP,     /**< INBOUND, parent to child */
  IMPAIR_DOWN,   /**< OUTBOUND, child to parent */
  IMPAIR_DIRS,
};

/** Why a packet was dropped. */
enum impair_drop_e
{
  IMPAIR_DROP_LOSS,     /**< the loss draw */
  IMPAIR_DROP_QUEUE,    /**< queue_limit packets already held */
  IMPAIR_DROP_MTU,      /**< going down, longer than the clamped MTU */
  IMPAIR_DROP_NO_PEER,  /**< nobody to hand it to (unbound, dangling) */
  IMPAIR_DROP_NO_TASK,  /**< no task to send it with (scheduler limit) */
  IMPAIR_DROP_REASONS,
};

/** Counters of one impair layer. */
struct impair_stats_s
{
  uint64_t passed[IMPAIR_DIRS];   /**< handed on */
  uint64_t delayed[IMPAIR_DIRS];  /**< of which after a delay */
  uint64_t dropped[IMPAIR_DIRS][IMPAIR_DROP_REASONS];
  uint64_t bad_source;            /**< from neither parent nor child, or no buffer */
  uint64_t held;                  /**< packets held right now */
};

/**
 * Delegate: the base vtable first (the core calls @c release when the
 * layer is destroyed), then the events of this layer type.  Called in
 * scheduler context.
 */
struct impair_delegate_vtable_s
{
  struct net_layer_delegate_vtable_s base;
  /** Optional.  A packet is dropped; @p buffer is read-only and only
      valid during the call, NULL when the scheduler refused the packet
      (it is gone already). */
  void (*dropped)(void *delegate, struct net_layer_s *impair,
                  enum impair_dir_e dir, enum impair_drop_e why,
                  const struct net_buffer_s *buffer);
};

/** A stats query: push it with net_task_query_push(&q->task, impair,
    asker, IMPAIR_OP_STATS); the RESPONSE carries the counters. */
struct impair_stats_query_s
{
  struct net_task_s task;
  struct impair_stats_s stats;
};

/**
 * Create an impair layer on @p sched.  @p config may be NULL (perfect
 * shim); @p delegate / @p vtable may be NULL.
 * @return 0 and *@p layer with one reference owned by the caller,
 * -EINVAL (loss outside [0, 1], queue_limit over 2^20), -ENOMEM.
 */
int impair_create(struct net_scheduler_s *sched,
                  const struct impair_config_s *config, void *delegate,
                  const struct impair_delegate_vtable_s *vtable,
                  struct net_layer_s **layer);

/**
 * Change the settings of @p layer from any thread; they apply in
 * scheduler context, after the tasks already queued to the layer.  The
 * PRNG is re-seeded; packets already held keep their release time, and
 * a shorter delay never lets a packet overtake an earlier one.
 * config->queue_limit is ignored.
 * @return 0 when queued, -EINVAL (bad loss), -ENOMEM, or the push error.
 */
int impair_configure(struct net_layer_s *layer,
                     const struct impair_config_s *config);

/** Allocate a stats query; net_task_destroy() frees it.  NULL: -ENOMEM. */
struct impair_stats_query_s *impair_stats_query_alloc(void);

#endif
