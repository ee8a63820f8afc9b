/* impair: loss, delay and an MTU clamp as a layer (see impair.h).
 *
 * This file is the code of the tutorial doc/writing-a-layer.md, which
 * quotes it piece by piece (tests/examples/snippets.sh checks that every
 * quoted piece is still here, verbatim).  Read the tutorial for the why.
 */
#include <config.h>

#define G_LOG_DOMAIN "impair"

#include "impair.h"
#include <net/buffer.h>
#include <net/scheduler.h>
#include <glib.h>
#include <stdlib.h>

#define IMPAIR_QUEUE_DEFAULT 1024
#define IMPAIR_QUEUE_MAX (1u << 20)

/* A packet held for its delay: what it takes to send it again, not the
   task it came in.  A kept task holds a reference on its target (us), so
   a queue of tasks would keep the layer alive until it drained. */
struct impair_held_s
{
  struct net_buffer_s *buffer;   /* our reference, stolen from the task */
  struct net_addr_s src, dst;
  net_time_t timestamp;
  net_time_t due;                /* release time on the scheduler clock */
  enum impair_dir_e dir;
};

struct impair_s
{
  struct net_layer_s layer;      /* first: the core only knows this part */
  struct net_layer_s *child;     /* the core's child list holds the reference */
  struct impair_config_s config;
  uint64_t prng;                 /* state of the loss draws */
  struct net_task_s *timer;      /* our armed release timer, or NULL */
  struct impair_held_s *held;    /* ring of config.queue_limit entries */
  unsigned head, count;
  struct impair_stats_s stats;
};

/* A configuration change travelling to the layer as a notification. */
struct impair_configure_s
{
  struct net_task_s task;
  struct impair_config_s config;
};

static struct impair_s *impair_of(const struct net_layer_s *layer)
{
  return net_container_of(layer, struct impair_s, layer);
}

static const struct impair_delegate_vtable_s *impair_vtable(const struct impair_s *im)
{
  if (!im->layer.delegate_vtable)
    return NULL;
  return net_container_of(im->layer.delegate_vtable,
                          struct impair_delegate_vtable_s, base);
}

static bool impair_config_valid(const struct impair_config_s *c)
{
  /* Written so that NaN fails too. */
  return c->loss >= 0.0 && c->loss <= 1.0;
}

/* splitmix64: small, seedable, and good enough to decide losses. */
static double impair_draw(struct impair_s *im)
{
  uint64_t z = (im->prng += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

/* --- the delegate ------------------------------------------------------ */

static void impair_drop(struct impair_s *im, enum impair_dir_e dir,
                        enum impair_drop_e why, const struct net_buffer_s *buffer)
{
  im->stats.dropped[dir][why]++;
  const struct impair_delegate_vtable_s *vt = impair_vtable(im);
  if (vt && vt->dropped)
    vt->dropped(im->layer.delegate, &im->layer, dir, why, buffer);
}

/* Drop the held packets going @p dir (IMPAIR_DIRS: all of them); the
   others keep their order. */
static void impair_drop_held(struct impair_s *im, enum impair_dir_e dir,
                             enum impair_drop_e why)
{
  unsigned limit = im->config.queue_limit, kept = 0;
  for (unsigned i = 0; i < im->count; i++)
    {
      struct impair_held_s *h = &im->held[(im->head + i) % limit];
      if (dir == IMPAIR_DIRS || h->dir == dir)
        {
          impair_drop(im, h->dir, why, h->buffer);
          net_buffer_refdec(h->buffer);
        }
      else
        im->held[(im->head + kept++) % limit] = *h;
    }
  im->count = kept;
}

/* --- binding ------------------------------------------------------------- */

static int impair_bound(struct net_layer_s *layer, const void *addr,
                        struct net_layer_s *child)
{
  struct impair_s *im = impair_of(layer);
  if (im->child)
    return -EADDRINUSE;
  im->child = child;
  return 0;
}

static void impair_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct impair_s *im = impair_of(layer);
  im->child = NULL;
  /* Packets on their way up have nobody to go to any more. */
  impair_drop_held(im, IMPAIR_UP, IMPAIR_DROP_NO_PEER);
}

static void impair_dangling(struct net_layer_s *layer)
{
  struct impair_s *im = impair_of(layer);
  /* The core cancelled every timer targeting us, ours included: the task
     is gone, forget the pointer. */
  im->timer = NULL;
  /* Without a parent we are a cut wire: nothing in flight arrives. */
  impair_drop_held(im, IMPAIR_DIRS, IMPAIR_DROP_NO_PEER);
}

static void impair_child_context_adjust(const struct net_layer_s *layer,
                                        const struct net_layer_s *child,
                                        struct net_layer_context_s *cctx)
{
  const struct impair_s *im = impair_of(layer);
  /* No header of ours, so prefix_size stays; the clamp is all we change. */
  if (im->config.mtu && cctx->mtu > im->config.mtu)
    cctx->mtu = im->config.mtu;
}

/* --- the timer ---------------------------------------------------------- */

/* Arm the release timer for the first held packet, reusing @p task (a
   delivered TIMEOUT) or allocating one. */
static void impair_timer_arm(struct impair_s *im, struct net_task_s *task)
{
  if (im->timer || im->count == 0)
    {
      if (task)
        net_task_destroy(task);
      return;
    }
  if (!task)
    task = net_scheduler_task_alloc(im->layer.scheduler);
  int err = task ? net_task_timeout_push(task, &im->layer, &im->layer,
                                         im->held[im->head].due, 0,
                                         IMPAIR_OP_RELEASE)
                 : -ENOMEM;
  if (err)
    {
      /* Without a timer nothing would ever release them. */
      impair_drop_held(im, IMPAIR_DIRS, IMPAIR_DROP_NO_TASK);
      return;
    }
  im->timer = task;
}

/* Send a held packet on with a new task (the one it came in is gone). */
static void impair_send(struct impair_s *im, struct impair_held_s *h)
{
  struct net_layer_s *to = h->dir == IMPAIR_UP ? im->child : net_layer_parent(&im->layer);
  struct net_task_s *task = to ? net_scheduler_task_alloc(im->layer.scheduler) : NULL;
  if (!task)
    {
      impair_drop(im, h->dir, to ? IMPAIR_DROP_NO_TASK : IMPAIR_DROP_NO_PEER,
                  h->buffer);
      net_buffer_refdec(h->buffer);
      return;
    }
  /* The push helpers take over our buffer reference, even on failure. */
  int err = h->dir == IMPAIR_UP
    ? net_task_inbound_push(task, to, &im->layer, h->timestamp, &h->src,
                            &h->dst, h->buffer)
    : net_task_outbound_push(task, to, &im->layer, &h->src, &h->dst, h->buffer);
  if (err)
    {
      impair_drop(im, h->dir, IMPAIR_DROP_NO_PEER, NULL);
      return;
    }
  im->stats.passed[h->dir]++;
  im->stats.delayed[h->dir]++;
}

static void impair_timeout(struct impair_s *im, struct net_task_s *task)
{
  if (task != im->timer)
    {
      /* A timer we forgot when we dangled (see impair_dangling). */
      net_task_destroy(task);
      return;
    }
  im->timer = NULL;
  net_time_t now = net_scheduler_time(im->layer.scheduler);
  while (im->count > 0 && im->held[im->head].due <= now)
    {
      struct impair_held_s h = im->held[im->head];
      im->head = (im->head + 1) % im->config.queue_limit;
      im->count--;
      impair_send(im, &h);
    }
  impair_timer_arm(im, task);
}

/* --- packets ------------------------------------------------------------- */

static void impair_hold(struct impair_s *im, struct net_task_s *task,
                        enum impair_dir_e dir)
{
  net_time_t now = net_scheduler_time(im->layer.scheduler);
  net_time_t due = im->config.delay > NET_TIME_NEVER - 1 - now
                   ? NET_TIME_NEVER - 1 : now + im->config.delay;
  /* Packets leave from the head only, so after a shorter delay was set a
     packet waits for the ones in front: a wire does not reorder. */
  im->held[(im->head + im->count) % im->config.queue_limit] = (struct impair_held_s){
    .buffer = net_task_packet_steal_buffer(task),
    .src = task->packet.src,
    .dst = task->packet.dst,
    .timestamp = task->packet.timestamp,
    .due = due,
    .dir = dir,
  };
  im->count++;
  net_task_destroy(task);
  impair_timer_arm(im, NULL);
}

static void impair_packet(struct impair_s *im, struct net_task_s *task)
{
  struct net_layer_s *parent = net_layer_parent(&im->layer);
  struct net_buffer_s *buffer = task->packet.buffer;
  enum impair_dir_e dir = IMPAIR_UP;
  struct net_layer_s *to = NULL;
  if (task->type == NET_TASK_INBOUND && parent && task->source == parent)
    dir = IMPAIR_UP, to = im->child;
  else if (task->type == NET_TASK_OUTBOUND && im->child && task->source == im->child)
    dir = IMPAIR_DOWN, to = parent;
  else
    buffer = NULL;
  if (!buffer)
    {
      im->stats.bad_source++;
      net_task_destroy(task);
      return;
    }

  /* Draw for every packet, so that the MTU or a missing peer does not
     shift the sequence of losses of a seed. */
  bool lost = impair_draw(im) < im->config.loss;
  enum impair_drop_e why = IMPAIR_DROP_REASONS;
  if (!to)
    why = IMPAIR_DROP_NO_PEER;
  else if (dir == IMPAIR_DOWN && im->config.mtu
           && net_buffer_len(buffer) > im->config.mtu)
    why = IMPAIR_DROP_MTU;
  else if (lost)
    why = IMPAIR_DROP_LOSS;
  else if (im->count == im->config.queue_limit)
    why = IMPAIR_DROP_QUEUE;
  if (why != IMPAIR_DROP_REASONS)
    {
      impair_drop(im, dir, why, buffer);
      net_task_destroy(task);
      return;
    }

  if (im->config.delay == 0 && im->count == 0)
    {
      /* Nothing to wait for: the same task goes on, buffer and all. */
      if (net_task_packet_forward(task, to) == 0)
        im->stats.passed[dir]++;
      else
        impair_drop(im, dir, IMPAIR_DROP_NO_PEER, NULL);
      return;
    }
  impair_hold(im, task, dir);
}

/* --- queries and notifications ---------------------------------------- */

static void impair_query(struct impair_s *im, struct net_task_s *task)
{
  if (task->query.opcode != IMPAIR_OP_STATS)
    {
      net_task_query_respond_push(task, -EOPNOTSUPP);
      return;
    }
  struct impair_stats_query_s *q =
    net_container_of(task, struct impair_stats_query_s, task);
  q->stats = im->stats;
  q->stats.held = im->count;
  net_task_query_respond_push(task, 0);
}

static void impair_apply(struct impair_s *im, const struct impair_config_s *c)
{
  uint32_t old_mtu = im->config.mtu;
  unsigned limit = im->config.queue_limit;   /* sizes the ring: fixed */
  im->config = *c;
  im->config.queue_limit = limit;
  im->prng = c->seed;
  /* Our children's context depends on the clamp: recompute it (this runs
     our child_context_adjust again, and the child's context_changed). */
  if (c->mtu != old_mtu)
    net_layer_context_changed(&im->layer);
}

static void impair_notification(struct impair_s *im, struct net_task_s *task)
{
  if (task->notification.opcode == IMPAIR_OP_CONFIGURE)
    {
      impair_apply(im, &net_container_of(task, struct impair_configure_s, task)->config);
      net_task_destroy(task);
      return;
    }
  /* Anything else is somebody else's event: relay it through, the same
     task, so a custom notification keeps its data. */
  struct net_layer_s *to = NULL;
  if (task->source && task->source == net_layer_parent(&im->layer))
    to = im->child;
  else if (task->source && task->source == im->child)
    to = net_layer_parent(&im->layer);
  if (!to)
    {
      net_task_destroy(task);
      return;
    }
  net_task_notification_push(task, to, &im->layer, task->notification.opcode,
                             task->notification.err, task->notification.arg);
}

static void impair_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct impair_s *im = impair_of(layer);
  switch (task->type)
    {
    case NET_TASK_INBOUND:
    case NET_TASK_OUTBOUND:
      impair_packet(im, task);
      return;
    case NET_TASK_TIMEOUT:
      impair_timeout(im, task);
      return;
    case NET_TASK_QUERY:
      impair_query(im, task);
      return;
    case NET_TASK_NOTIFICATION:
      impair_notification(im, task);
      return;
    case NET_TASK_RESPONSE:
      /* We push no query, so no response can be for us. */
      break;
    }
  net_task_destroy(task);
}

/* --- statistics and destruction ------------------------------------------ */

static const char *const impair_stat_names[IMPAIR_DIRS][2 + IMPAIR_DROP_REASONS] = {
  { "up_passed", "up_delayed", "up_lost", "up_queue_full", "up_mtu",
    "up_no_peer", "up_no_task" },
  { "down_passed", "down_delayed", "down_lost", "down_queue_full", "down_mtu",
    "down_no_peer", "down_no_task" },
};

static size_t impair_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                           size_t max)
{
  const struct impair_s *im = impair_of(layer);
  struct net_stat_s all[IMPAIR_DIRS * (2 + IMPAIR_DROP_REASONS) + 2];
  size_t n = 0;
  for (int d = 0; d < IMPAIR_DIRS; d++)
    {
      all[n++] = (struct net_stat_s){ impair_stat_names[d][0], im->stats.passed[d] };
      all[n++] = (struct net_stat_s){ impair_stat_names[d][1], im->stats.delayed[d] };
      for (int r = 0; r < IMPAIR_DROP_REASONS; r++)
        all[n++] = (struct net_stat_s){ impair_stat_names[d][2 + r],
                                        im->stats.dropped[d][r] };
    }
  all[n++] = (struct net_stat_s){ "bad_source", im->stats.bad_source };
  all[n++] = (struct net_stat_s){ "held", im->count };
  for (size_t i = 0; i < n && i < max; i++)
    out[i] = all[i];
  return n;
}

static void impair_destroyed(struct net_layer_s *layer)
{
  struct impair_s *im = impair_of(layer);
  /* Held packets are plain buffers: no task refers to us any more. */
  for (unsigned i = 0; i < im->count; i++)
    net_buffer_refdec(im->held[(im->head + i) % im->config.queue_limit].buffer);
  free(im->held);
  free(im);
}

static const struct net_layer_handler_s impair_handler = {
  .type_name = "impair",
  .destroyed = impair_destroyed,
  .task_handle = impair_task_handle,
  .bound = impair_bound,
  .unbound = impair_unbound,
  .dangling = impair_dangling,
  .child_context_adjust = impair_child_context_adjust,
  .stats = impair_stats,
};

/* --- public functions ------------------------------------------------- */

int impair_create(struct net_scheduler_s *sched,
                  const struct impair_config_s *config, void *delegate,
                  const struct impair_delegate_vtable_s *vtable,
                  struct net_layer_s **layer)
{
  struct impair_config_s c = config ? *config : (struct impair_config_s){ 0 };
  if (!sched || !layer || !impair_config_valid(&c)
      || c.queue_limit > IMPAIR_QUEUE_MAX)
    return -EINVAL;
  if (c.queue_limit == 0)
    c.queue_limit = IMPAIR_QUEUE_DEFAULT;
  struct impair_s *im = calloc(1, sizeof(*im));
  struct impair_held_s *held = calloc(c.queue_limit, sizeof(*held));
  if (!im || !held)
    {
      free(im);
      free(held);
      return -ENOMEM;
    }
  int err = net_layer_init(&im->layer, &impair_handler, sched, delegate,
                           vtable ? &vtable->base : NULL);
  if (err)
    {
      free(im);
      free(held);
      return err;
    }
  im->config = c;
  im->prng = c.seed;
  im->held = held;
  *layer = &im->layer;
  return 0;
}

/* Destroy functions of our custom tasks: the core has dropped the task's
   references already, only the container is left to free. */
static void impair_configure_free(struct net_task_s *task)
{
  free(net_container_of(task, struct impair_configure_s, task));
}

static void impair_stats_query_free(struct net_task_s *task)
{
  free(net_container_of(task, struct impair_stats_query_s, task));
}

int impair_configure(struct net_layer_s *layer, const struct impair_config_s *config)
{
  if (!layer || layer->handler != &impair_handler || !config
      || !impair_config_valid(config))
    return -EINVAL;
  struct impair_configure_s *c = malloc(sizeof(*c));
  if (!c)
    return -ENOMEM;
  net_task_init(&c->task, impair_configure_free);
  c->config = *config;
  /* No source: the change comes from outside the stack. */
  return net_task_notification_push(&c->task, layer, NULL, IMPAIR_OP_CONFIGURE,
                                    0, 0);
}

struct impair_stats_query_s *impair_stats_query_alloc(void)
{
  struct impair_stats_query_s *q = calloc(1, sizeof(*q));
  if (q)
    net_task_init(&q->task, impair_stats_query_free);
  return q;
}
