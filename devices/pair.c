/* Pair device (net/dev/pair.h): an in-memory Ethernet wire between two
   devices, with seeded loss, duplication, reordering and delay. */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include <net/dev/pair.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <net/task.h>
#include "prng.h"
#include <glib.h>
#include <pthread.h>
#include <string.h>


/* Timer of the receiving layer: deliver the frames that are due. */
#define PAIR_OP_DELIVER (NET_ETHERNET_OP_DRIVER_BASE + 0)
#define PAIR_DEFAULT_REORDER_DELAY NET_NSEC_PER_MSEC
#define PAIR_DEFAULT_QUEUE_LIMIT 65536

/* A frame on the wire, due at @c at; @c seq keeps frames with the same
   arrival time in sending order. */
struct pair_frame_s
{
  net_time_t at;
  uint64_t seq;
  struct net_buffer_s *buf;
};

struct pair_wire_s;

/* One end: a device, the layer it created, and the direction of the
   frames it sends (impairments, PRNG, frames in flight, counters).
   Everything but @c dev is protected by the wire's lock. */
struct pair_end_s
{
  struct net_device_s dev;
  struct pair_wire_s *wire;
  unsigned index;
  struct net_layer_s *eth;           /* weak: cleared by detach */
  struct net_pair_params_s params;
  struct net_prng_s prng;
  struct pair_frame_s *heap;         /* min-heap on (at, seq) */
  size_t heap_len;
  size_t heap_cap;
  uint64_t seq;
  struct net_pair_stats_s stats;
};

struct pair_wire_s
{
  pthread_mutex_t lock;
  atomic_uint ends_alive;
  struct pair_end_s end[2];
};

static const struct net_device_ops_s pair_ops;

static struct pair_end_s *end_of(struct net_device_s *dev)
{
  return net_container_of(dev, struct pair_end_s, dev);
}

static struct pair_end_s *peer_of(struct pair_end_s *end)
{
  return &end->wire->end[1 - end->index];
}

/* A reference on @p layer unless its last one is already gone (it is
   then waiting for its destroyed handler, which will detach it: never
   bring it back to life). */
static struct net_layer_s *layer_tryref(struct net_layer_s *layer)
{
  if (!layer)
    return NULL;
  unsigned n = atomic_load_explicit(&layer->refcount, memory_order_relaxed);
  while (n != 0)
    if (atomic_compare_exchange_weak_explicit(&layer->refcount, &n, n + 1,
                                              memory_order_acq_rel,
                                              memory_order_relaxed))
      return layer;
  return NULL;
}

/* ---- frames in flight: binary min-heap ---------------------------------- */

static bool frame_before(const struct pair_frame_s *a, const struct pair_frame_s *b)
{
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct pair_end_s *end, struct pair_frame_s f)
{
  if (end->heap_len == end->heap_cap)
    {
      end->heap_cap = end->heap_cap ? end->heap_cap * 2 : 64;
      end->heap = g_renew(struct pair_frame_s, end->heap, end->heap_cap);
    }
  size_t i = end->heap_len++;
  while (i > 0)
    {
      size_t parent = (i - 1) / 2;
      if (!frame_before(&f, &end->heap[parent]))
        break;
      end->heap[i] = end->heap[parent];
      i = parent;
    }
  end->heap[i] = f;
}

static struct pair_frame_s heap_pop(struct pair_end_s *end)
{
  struct pair_frame_s top = end->heap[0];
  struct pair_frame_s last = end->heap[--end->heap_len];
  size_t i = 0, n = end->heap_len;
  for (;;)
    {
      size_t child = 2 * i + 1;
      if (child >= n)
        break;
      if (child + 1 < n && frame_before(&end->heap[child + 1], &end->heap[child]))
        child++;
      if (!frame_before(&end->heap[child], &last))
        break;
      end->heap[i] = end->heap[child];
      i = child;
    }
  if (n)
    end->heap[i] = last;
  return top;
}

/* Take every frame @p end has in flight off the wire into @p out (the
   caller releases them once the lock is dropped). */
static void heap_flush(struct pair_end_s *end, GPtrArray *out)
{
  for (size_t i = 0; i < end->heap_len; i++)
    g_ptr_array_add(out, end->heap[i].buf);
  end->stats.dropped_no_peer += end->heap_len;
  end->heap_len = 0;
}

/* ---- transmit ------------------------------------------------------------ */

static struct net_buffer_s *frame_copy(struct net_scheduler_s *sched,
                                       const struct net_buffer_s *buf)
{
  size_t len = net_buffer_len(buf);
  struct net_buffer_s *copy =
    net_scheduler_buffer_alloc(sched, net_buffer_headroom(buf), len);
  if (copy)
    {
      memcpy(net_buffer_put(copy, len), net_buffer_data(buf), len);
      copy->offload_flags = buf->offload_flags;
      copy->csum_start = buf->csum_start;
      copy->csum_offset = buf->csum_offset;
      copy->gso_size = buf->gso_size;
    }
  return copy;
}

static int pair_transmit(void *driver, struct net_layer_s *eth,
                         struct net_buffer_s *frame)
{
  struct pair_end_s *end = driver;
  struct pair_wire_s *wire = end->wire;
  struct pair_end_s *peer = peer_of(end);
  struct net_scheduler_s *sched = eth->scheduler;
  net_time_t now = net_scheduler_time(sched);
  /* Timer tasks are allocated before taking the lock (a frame that
     cannot get one is not queued). */
  struct net_task_s *timers[2] = { net_scheduler_task_alloc(sched),
                                   net_scheduler_task_alloc(sched) };
  struct net_buffer_s *copies[2] = { frame, NULL };
  unsigned ncopies = 0, ntimers = 0;
  bool immediate = false;
  net_time_t at = 0;
  int ret = 0;

  pthread_mutex_lock(&wire->lock);
  const struct net_pair_params_s *p = &end->params;
  /* Same draws for every frame (see pair.h). */
  double u_loss = net_prng_double(&end->prng);
  double u_dup = net_prng_double(&end->prng);
  double u_reorder = net_prng_double(&end->prng);
  net_time_t jitter = net_prng_upto(&end->prng, p->jitter);
  end->stats.sent++;
  struct net_layer_s *peer_eth = layer_tryref(peer->eth);
  size_t payload = net_buffer_len(frame) - NET_ETHERNET_HEADER_LEN;

  if (!peer_eth)
    {
      end->stats.dropped_no_peer++;
      ret = -ENETDOWN;
    }
  else if (p->mtu && payload > p->mtu
           && !(frame->offload_flags & NET_BUFFER_GSO_TCPV4))
    end->stats.dropped_mtu++;
  else if (u_loss < p->loss)
    end->stats.lost++;
  else
    {
      ncopies = u_dup < p->duplicate ? 2 : 1;
      net_time_t extra = 0;
      if (u_reorder < p->reorder)
        {
          extra = p->reorder_delay ? p->reorder_delay : PAIR_DEFAULT_REORDER_DELAY;
          end->stats.reordered++;
        }
      at = now + p->delay + jitter + extra;
      uint32_t limit = p->queue_limit ? p->queue_limit : PAIR_DEFAULT_QUEUE_LIMIT;
      /* Straight through only when nothing is waiting, so frames due at
         the same time keep their order. */
      immediate = at == now && end->heap_len == 0;
      if (!immediate && end->heap_len + ncopies > limit)
        {
          end->stats.dropped_queue++;
          ncopies = 0;
        }
    }
  if (ncopies == 2)
    {
      copies[1] = frame_copy(sched, frame);
      if (copies[1])
        end->stats.duplicated++;
      else
        {
          end->stats.dropped_no_buffer++;
          ncopies = 1;
        }
    }
  if (ncopies && !immediate)
    {
      for (unsigned i = 0; i < ncopies; i++)
        {
          if (!timers[i])
            {
              end->stats.dropped_no_buffer++;
              continue;
            }
          heap_push(end, (struct pair_frame_s){ at, end->seq++, copies[i] });
          copies[i] = NULL;
          ntimers++;
        }
    }
  else if (immediate)
    end->stats.delivered += ncopies;
  end->stats.in_flight = end->heap_len;
  pthread_mutex_unlock(&wire->lock);

  /* Pushing may run the peer's handler right away (direct dispatch), so
     it happens without the lock. */
  for (unsigned i = 0; i < ntimers; i++)
    {
      if (net_task_timeout_push(timers[i], peer_eth, peer_eth, at, 0,
                                PAIR_OP_DELIVER) < 0)
        g_debug("pair: cannot arm a delivery timer");
      timers[i] = NULL;
    }
  for (unsigned i = 0; i < 2; i++)
    if (timers[i])
      net_task_destroy(timers[i]);
  if (ncopies == 0)
    net_buffer_refdec(frame);
  for (unsigned i = 0; i < 2; i++)
    {
      if (!copies[i] || ncopies == 0)
        continue;
      if (!immediate)
        net_buffer_refdec(copies[i]);      /* no timer to deliver it */
      else if (net_ethernet_inject(peer_eth, copies[i], now) < 0)
        {
          pthread_mutex_lock(&wire->lock);
          end->stats.delivered--;
          end->stats.dropped_no_buffer++;
          pthread_mutex_unlock(&wire->lock);
        }
    }
  if (peer_eth)
    net_layer_refdec(peer_eth);
  return ret;
}

/* In the receiving layer's context: hand over every frame that is due. */
static void pair_deliver(struct pair_end_s *end, struct net_layer_s *eth)
{
  struct pair_end_s *sender = peer_of(end);
  struct pair_wire_s *wire = end->wire;
  net_time_t now = net_scheduler_time(eth->scheduler);
  for (;;)
    {
      struct net_buffer_s *buf = NULL;
      pthread_mutex_lock(&wire->lock);
      if (end->eth == eth && sender->heap_len && sender->heap[0].at <= now)
        {
          buf = heap_pop(sender).buf;
          sender->stats.delivered++;
          sender->stats.in_flight = sender->heap_len;
        }
      pthread_mutex_unlock(&wire->lock);
      if (!buf)
        break;
      net_ethernet_input(eth, buf, now);
    }
}

static void pair_task_handle(void *driver, struct net_layer_s *eth,
                             struct net_task_s *task)
{
  if (task->type == NET_TASK_TIMEOUT && task->timeout.opcode == PAIR_OP_DELIVER)
    pair_deliver(driver, eth);
  net_task_destroy(task);
}

static void pair_detach(void *driver, struct net_layer_s *eth)
{
  struct pair_end_s *end = driver;
  struct pair_wire_s *wire = end->wire;
  GPtrArray *dropped = g_ptr_array_new();
  pthread_mutex_lock(&wire->lock);
  struct net_layer_s *peer_eth = NULL;
  if (end->eth == eth)
    {
      end->eth = NULL;
      /* Frames on their way to us have nowhere to go any more (and the
         timers that would have delivered them died with the layer). */
      heap_flush(peer_of(end), dropped);
      peer_of(end)->stats.in_flight = 0;
      peer_eth = layer_tryref(peer_of(end)->eth);
    }
  pthread_mutex_unlock(&wire->lock);
  for (guint i = 0; i < dropped->len; i++)
    net_buffer_refdec(g_ptr_array_index(dropped, i));
  g_ptr_array_free(dropped, TRUE);
  if (peer_eth)
    {
      net_ethernet_link_report(peer_eth, false);
      net_layer_refdec(peer_eth);
    }
}

static const char *const pair_stat_names[] = {
  "wire_sent", "wire_delivered", "wire_lost", "wire_duplicated",
  "wire_reordered", "wire_dropped_mtu", "wire_dropped_no_peer",
  "wire_dropped_queue", "wire_dropped_no_buffer", "wire_in_flight",
};

static size_t pair_driver_stats(void *driver, struct net_stat_s *out, size_t max)
{
  struct pair_end_s *end = driver;
  struct net_pair_stats_s s = { 0 };
  net_pair_stats(&end->dev, &s);
  const uint64_t values[] = {
    s.sent, s.delivered, s.lost, s.duplicated, s.reordered, s.dropped_mtu,
    s.dropped_no_peer, s.dropped_queue, s.dropped_no_buffer, s.in_flight,
  };
  G_STATIC_ASSERT(G_N_ELEMENTS(values) == G_N_ELEMENTS(pair_stat_names));
  for (size_t i = 0; i < G_N_ELEMENTS(values) && i < max; i++)
    {
      out[i].name = pair_stat_names[i];
      out[i].value = values[i];
    }
  return G_N_ELEMENTS(values);
}

static const struct net_ethernet_driver_ops_s pair_eth_ops = {
  .transmit = pair_transmit,
  .task_handle = pair_task_handle,
  .detach = pair_detach,
  .stats = pair_driver_stats,
};

/* ---- device -------------------------------------------------------------- */

static int pair_layer_create(struct net_device_s *dev, uint32_t type,
                             const void *params, void *delegate,
                             const struct net_device_delegate_vtable_s *vtable,
                             struct net_layer_s **layer)
{
  struct pair_end_s *end = end_of(dev);
  struct pair_wire_s *wire = end->wire;
  if (type != NET_LAYER_ETHERNET)
    return -EPROTONOSUPPORT;
  pthread_mutex_lock(&wire->lock);
  uint32_t mtu = end->params.mtu;
  uint32_t offloads = end->params.offloads;
  bool busy = end->eth != NULL;
  pthread_mutex_unlock(&wire->lock);
  if (busy)
    return -EBUSY;
  struct net_layer_s *eth;
  int err = net_ethernet_create(dev->scheduler, params, mtu, 0, &pair_eth_ops,
                                end, dev, delegate, vtable, &eth);
  if (err == 0)
    err = net_ethernet_offloads_set(eth, offloads);
  if (err < 0)
    {
      if (eth)
        net_layer_refdec(eth);
      return err;
    }
  pthread_mutex_lock(&wire->lock);
  busy = end->eth != NULL;
  if (!busy)
    end->eth = eth;
  struct net_layer_s *peer_eth = busy ? NULL : layer_tryref(peer_of(end)->eth);
  pthread_mutex_unlock(&wire->lock);
  if (busy)
    {
      /* Lost a race with another creation on this end. */
      net_layer_refdec(eth);
      return -EBUSY;
    }
  if (peer_eth)
    {
      net_ethernet_link_report(eth, true);
      net_ethernet_link_report(peer_eth, true);
      net_layer_refdec(peer_eth);
    }
  *layer = eth;
  return 0;
}

static void pair_destroyed(struct net_device_s *dev)
{
  struct pair_wire_s *wire = end_of(dev)->wire;
  if (atomic_fetch_sub_explicit(&wire->ends_alive, 1, memory_order_acq_rel) != 1)
    return;
  for (unsigned i = 0; i < 2; i++)
    {
      struct pair_end_s *end = &wire->end[i];
      for (size_t j = 0; j < end->heap_len; j++)
        net_buffer_refdec(end->heap[j].buf);
      g_free(end->heap);
    }
  pthread_mutex_destroy(&wire->lock);
  g_free(wire);
}

static const struct net_device_ops_s pair_ops = {
  .layer_create = pair_layer_create,
  .destroyed = pair_destroyed,
};

static bool rate_ok(double r)
{
  return r >= 0.0 && r <= 1.0;   /* false for NaN too */
}

static bool params_ok(const struct net_pair_params_s *p)
{
  return !p || (rate_ok(p->loss) && rate_ok(p->duplicate) && rate_ok(p->reorder)
                && !(p->offloads & ~(uint32_t)(NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4)));
}

static void end_configure(struct pair_end_s *end, const struct net_pair_params_s *p)
{
  static const struct net_pair_params_s perfect;
  end->params = p ? *p : perfect;
  net_prng_seed(&end->prng, end->params.seed);
}

int net_pair_create(struct net_scheduler_s *sched,
                    const struct net_pair_params_s *a_to_b,
                    const struct net_pair_params_s *b_to_a,
                    struct net_device_s **a, struct net_device_s **b)
{
  if (!sched || !a || !b || !params_ok(a_to_b) || !params_ok(b_to_a))
    return -EINVAL;
  struct pair_wire_s *wire = g_new0(struct pair_wire_s, 1);
  pthread_mutex_init(&wire->lock, NULL);
  atomic_init(&wire->ends_alive, 2);
  for (unsigned i = 0; i < 2; i++)
    {
      struct pair_end_s *end = &wire->end[i];
      end->wire = wire;
      end->index = i;
      net_device_init(&end->dev, &pair_ops, sched, i ? "pair-b" : "pair-a");
      end_configure(end, i ? b_to_a : a_to_b);
    }
  *a = &wire->end[0].dev;
  *b = &wire->end[1].dev;
  return 0;
}

bool net_pair_is(const struct net_device_s *dev)
{
  return dev && dev->ops == &pair_ops;
}

int net_pair_configure(struct net_device_s *end, const struct net_pair_params_s *params)
{
  if (!net_pair_is(end) || !params_ok(params))
    return -EINVAL;
  struct pair_end_s *e = end_of(end);
  pthread_mutex_lock(&e->wire->lock);
  end_configure(e, params);
  pthread_mutex_unlock(&e->wire->lock);
  return 0;
}

int net_pair_stats(struct net_device_s *end, struct net_pair_stats_s *stats)
{
  if (!net_pair_is(end) || !stats)
    return -EINVAL;
  struct pair_end_s *e = end_of(end);
  pthread_mutex_lock(&e->wire->lock);
  *stats = e->stats;
  pthread_mutex_unlock(&e->wire->lock);
  return 0;
}
