/**
 * @file net/task.h
 * @brief Tasks: the only way layers talk to each other.
 *
 * A task has a type, a source and a target layer (each referenced while
 * the task lives), a destroy function and per-type data.  It is pushed to
 * the scheduler, which delivers it to the target's @c task_handle; the
 * target then forwards it, answers it, keeps it or destroys it.  Tasks
 * not yet delivered can be cancelled (net_scheduler_task_cancel()); a
 * cancelled task is destroyed by the scheduler.
 *
 * Allocation: net_scheduler_task_alloc() takes one from the scheduler's
 * free lists (no malloc in steady state), with @c destroy set to return
 * it there.  A layer may allocate tasks its own way: embed struct
 * net_task_s in a larger structure, call net_task_init() and provide a
 * destroy function that frees the container.
 *
 * Buffers: the packet push helpers take over the caller's reference to the
 * buffer (no extra refcount traffic per hop); net_task_destroy() drops the
 * buffer reference a packet task still holds.
 *
 * Pushing: every push helper accepts a fresh task (allocated or
 * initialised) or a delivered task its handler kept (e.g. a timer task
 * re-armed from its own TIMEOUT): the references it still holds are
 * replaced by the new ones (a packet task's old buffer is dropped).  A
 * task still queued is refused with -EBUSY and a g_critical, untouched.
 * @p source may be NULL (a push from outside any layer, or the core's own
 * fd notifications).  Pushing is safe from any thread; on failure the
 * task is destroyed (buffer included) and a negative errno returned:
 * -EINVAL (NULL task or target, or a layer whose last reference is gone,
 * with a g_critical), -ESHUTDOWN (scheduler being destroyed), -ENOMEM
 * (timer heap growth).
 */
#ifndef NET_TASK_H_
#define NET_TASK_H_

#include <net/types.h>
#include <net/addr.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a task is; selects the member of the union in struct net_task_s. */
enum net_task_type_e
{
  NET_TASK_INBOUND,      /**< a packet going up the stack */
  NET_TASK_OUTBOUND,     /**< a packet going down the stack */
  NET_TASK_TIMEOUT,      /**< a timer that expired */
  NET_TASK_QUERY,        /**< a request; answered with a RESPONSE */
  NET_TASK_RESPONSE,     /**< the answer to a QUERY (same task, turned around) */
  NET_TASK_NOTIFICATION, /**< a one-way event */
};

/** Opcodes reserved by the core for notifications it sends itself. */
enum net_task_core_opcode_e
{
  /** A file descriptor watched with net_scheduler_fd_watch() is ready;
      notification.arg holds the ready GIOCondition bits. */
  NET_OP_FD_READY = 0x10000,
  /** First opcode free for layers; each layer header numbers its own
      opcodes from a base derived from this one. */
  NET_OP_LAYER_BASE = 0x20000,
};

/** Data of INBOUND and OUTBOUND tasks. */
struct net_task_packet_s
{
  struct net_buffer_s *buffer; /**< packet in [begin, end); may be NULL once stolen */
  struct net_addr_s src;       /**< where the packet comes from, per the layers' contract */
  struct net_addr_s dst;       /**< where it goes */
  net_time_t timestamp;        /**< reception time, or 0 */
};

/** Data of TIMEOUT tasks (set by net_task_timeout_push()). */
struct net_task_timeout_s
{
  net_time_t deadline;         /**< fire at or after this time */
  net_time_t precision;        /**< may fire up to this much earlier */
  uint32_t opcode;             /**< the layer's timer kind */
  uint32_t heap_index;         /**< scheduler-private */
};

/** Data of QUERY and RESPONSE tasks. */
struct net_task_query_s
{
  uint32_t opcode;             /**< what is asked, numbered by the responder's header */
  int err;                     /**< set by the responder; 0 is success */
};

/** Data of NOTIFICATION tasks. */
struct net_task_notification_s
{
  uint32_t opcode;             /**< which event, numbered by the receiver's or sender's header */
  int err;                     /**< an error the event reports, or 0 */
  uintptr_t arg;               /**< small payload, meaning per opcode */
};

/**
 * A task.  Allocate it with net_scheduler_task_alloc() (or embed it in a
 * structure of your own and net_task_init() it), fill it through a push
 * helper, and end it with net_task_destroy().  The union member that is
 * valid is the one of @c type.
 */
struct net_task_s
{
  struct net_task_s *next;     /**< scheduler-private queue links */
  struct net_task_s *prev;     /**< scheduler-private queue links */
  struct net_layer_s *source;  /**< referenced while the task lives */
  struct net_layer_s *target;  /**< referenced while the task lives */
  void (*destroy)(struct net_task_s *task); /**< frees the task's memory */
  enum net_task_type_e type;   /**< set by the push helpers */
  uint32_t sched_state;        /**< scheduler-private */
  uint32_t source_gen;         /**< scheduler-private */
  uint32_t target_gen;         /**< scheduler-private */
  union
  {
    struct net_task_packet_s packet;     /**< INBOUND, OUTBOUND */
    struct net_task_timeout_s timeout;   /**< TIMEOUT */
    struct net_task_query_s query;       /**< QUERY, RESPONSE */
    struct net_task_notification_s notification; /**< NOTIFICATION */
  };
};

/**
 * Prepare a task allocated by the caller (custom allocation): no layers,
 * no buffer, not queued.  @p destroy is mandatory and frees (or recycles)
 * the memory once the core has dropped the task's layer and buffer
 * references; it may push the task again.
 */
void net_task_init(struct net_task_s *task,
                   void (*destroy)(struct net_task_s *task));

/**
 * Allocate a task from the scheduler's free lists (any thread; without a
 * lock from the scheduler's own threads).  options.task_limit bounds how
 * many tasks the scheduler ever creates.
 * @return a fresh task with @c destroy set, or NULL when the limit is
 * reached or memory is short (counted in alloc_failures).
 */
struct net_task_s *net_scheduler_task_alloc(struct net_scheduler_s *sched);

/**
 * End a task's life: drop its buffer (packet types), its source and
 * target references, then call its destroy function.  For a task the
 * caller holds (delivered to it, or never pushed); a task still queued is
 * refused with a g_critical (cancel it instead).
 */
void net_task_destroy(struct net_task_s *task);

/**
 * Push a packet going up: @p source hands @p buffer to @p target, to be
 * delivered in @p target's context.  Takes over the caller's buffer
 * reference in every case.  @p src / @p dst are copied (NULL: all zero);
 * @p source may be NULL.  Any thread.
 * @return 0, or a negative errno: -EINVAL (bad layers) or -ESHUTDOWN
 * (scheduler shutting down), the task then destroyed, buffer included;
 * -EBUSY (with a g_critical) when @p task is still queued: the task is
 * left alone, only the buffer reference is dropped.
 */
int net_task_inbound_push(struct net_task_s *task, struct net_layer_s *target,
                          struct net_layer_s *source, net_time_t timestamp,
                          const struct net_addr_s *src,
                          const struct net_addr_s *dst,
                          struct net_buffer_s *buffer);

/** Same as net_task_inbound_push() for a packet going down (no
    timestamp: it is set to 0). */
int net_task_outbound_push(struct net_task_s *task, struct net_layer_s *target,
                           struct net_layer_s *source,
                           const struct net_addr_s *src,
                           const struct net_addr_s *dst,
                           struct net_buffer_s *buffer);

/**
 * Pass a delivered packet task on to @p target: the layer that received
 * it becomes the source, type and data are kept (adjust buffer offsets
 * and addresses before calling), no allocation, no copy.  Call from the
 * handler that received the task.  Same return as the push helpers;
 * -EINVAL (task destroyed) for a task that is not INBOUND/OUTBOUND.
 */
int net_task_packet_forward(struct net_task_s *task, struct net_layer_s *target);

/**
 * Take the buffer out of a packet task: the caller gets the task's
 * reference; the task is left without buffer (destroying it then drops
 * nothing).  Returns NULL (with a g_critical) for a task that is not
 * INBOUND/OUTBOUND, or NULL when the buffer was stolen already.
 */
struct net_buffer_s *net_task_packet_steal_buffer(struct net_task_s *task);

/**
 * Arm a timer: deliver @p task to @p target (usually the layer itself,
 * which is then also the source) as a TIMEOUT at @p deadline (scheduler
 * clock), not earlier than deadline - precision; @p opcode tells the
 * layer's timers apart.  A deadline in the past fires at the next
 * dispatch.  Cancel with net_scheduler_task_cancel(); the timer is also
 * cancelled when @p target dangles.  Any thread.
 * @return 0, or as the push helpers, plus -ENOMEM (timer heap growth
 * failed; task destroyed).
 */
int net_task_timeout_push(struct net_task_s *task, struct net_layer_s *target,
                          struct net_layer_s *source, net_time_t deadline,
                          net_time_t precision, uint32_t opcode);

/**
 * Push a request; the target answers with net_task_query_respond_push(),
 * which brings the same task back to @p source as a RESPONSE, so
 * @p source must not be NULL for an answer to come.  Custom queries embed
 * the task and carry arguments and results in their own fields.  Any
 * thread.  Same return as the push helpers.
 */
int net_task_query_push(struct net_task_s *task, struct net_layer_s *target,
                        struct net_layer_s *source, uint32_t opcode);

/**
 * Answer a delivered QUERY, from the handler it was delivered to: the
 * same task goes back to its source as a RESPONSE carrying @p err (custom
 * query tasks carry their result in their own fields).  If the asker
 * dangled since it asked, the response is cancelled like any task to it.
 * @return 0, -EINVAL (with a g_critical; task destroyed) when @p task is
 * not a delivered QUERY with a source, -ESHUTDOWN, -EBUSY.
 */
int net_task_query_respond_push(struct net_task_s *task, int err);

/** Push a one-way event (@p source may be NULL).  Any thread.  Same
    return as the push helpers. */
int net_task_notification_push(struct net_task_s *task,
                               struct net_layer_s *target,
                               struct net_layer_s *source, uint32_t opcode,
                               int err, uintptr_t arg);

#ifdef __cplusplus
}
#endif

#endif
