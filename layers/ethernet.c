/* Ethernet layer (net/layer/ethernet.h): the generic link layer device
   drivers create.  Demuxes received frames to children by ethertype,
   filters by destination MAC, builds and pads outgoing frames, and lends
   every frame in and out to mirror children (the dumper) by reference. */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include <net/layer/ethernet.h>
#include "flow_table.h"
#include <net/buffer.h>
#include <net/scheduler.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>


/* Counters, in the order the stats method reports them. */
enum eth_stat_e
{
  ETH_RX_FRAMES, ETH_RX_BYTES, ETH_RX_UNICAST, ETH_RX_BROADCAST,
  ETH_RX_MULTICAST, ETH_RX_OTHERHOST,
  ETH_DROP_RUNT, ETH_DROP_OVERSIZE, ETH_DROP_NOT_FOR_US, ETH_DROP_MULTICAST,
  ETH_DROP_LENGTH_FIELD, ETH_DROP_NO_HANDLER, ETH_DROP_NO_TASK,
  ETH_TX_FRAMES, ETH_TX_BYTES, ETH_TX_PADDED, ETH_TX_COPIED,
  ETH_TX_DROP_LINK_DOWN, ETH_TX_DROP_OVERSIZE, ETH_TX_DROP_NO_DST,
  ETH_TX_DROP_UNBOUND, ETH_TX_DROP_NO_BUFFER, ETH_TX_DROP_BUSY,
  ETH_TX_ERRORS,
  ETH_MIRROR_FRAMES, ETH_MIRROR_DROPPED, ETH_LINK_CHANGES,
  ETH_FASTPATH_HITS, ETH_FASTPATH_MISSES, ETH_FASTPATH_FLOWS,
  ETH_STAT_COUNT
};

static const char *const eth_stat_names[ETH_STAT_COUNT] = {
  "rx_frames", "rx_bytes", "rx_unicast", "rx_broadcast",
  "rx_multicast", "rx_otherhost",
  "drop_runt", "drop_oversize", "drop_not_for_us", "drop_multicast",
  "drop_length_field", "drop_no_handler", "drop_no_task",
  "tx_frames", "tx_bytes", "tx_padded", "tx_copied",
  "tx_drop_link_down", "tx_drop_oversize", "tx_drop_no_dst",
  "tx_drop_unbound", "tx_drop_no_buffer", "tx_drop_busy",
  "tx_errors",
  "mirror_frames", "mirror_dropped", "link_changes",
  "fastpath_hits", "fastpath_misses", "fastpath_flows",
};

/* Largest payload of a super-frame (NET_BUFFER_GSO_TCPV4): an IPv4
   datagram. */
#define NET_ETH_GSO_MAX 65535

/* Mirror tasks come from a small free list shared by the layer and the
   tasks in flight: a task may be destroyed on another thread after the
   layer is gone, so the list is refcounted (one reference for the layer,
   one per task in flight) and outlives the layer as long as needed. */
struct mirror_task_s
{
  struct net_ethernet_mirror_task_s mt;
  struct mirror_pool_s *pool;
  struct mirror_task_s *next_free;
};

struct mirror_pool_s
{
  atomic_uint refs;
  pthread_mutex_t lock;
  struct mirror_task_s *free;
  unsigned free_count;
};

/* Free mirror tasks kept for reuse; more are returned to malloc. */
#define MIRROR_FREE_MAX 256

struct eth_s
{
  struct net_layer_s layer;
  const struct net_ethernet_driver_ops_s *ops;
  void *driver;
  struct net_device_s *dev;
  uint8_t mac[NET_MAC_LEN];
  uint16_t device_header;
  bool promiscuous;
  bool all_multicast;
  atomic_bool link_up;
  /* Bound protocols (weak child pointers; the core holds the refs): a
     handful of EtherTypes, so a scan beats hashing (two lookups a frame). */
  struct eth_proto_s *protos;
  unsigned proto_count;
  unsigned proto_cap;
  struct net_layer_s *mirrors[NET_ETHERNET_MAX_MIRRORS];
  unsigned mirror_count;
  struct mirror_pool_s *mirror_pool;
  struct net_flow_table_s *flows;   /* fast path; NULL when off */
  /* Single writer (the layer's handler); read from any thread. */
  _Atomic uint64_t stats[ETH_STAT_COUNT];
};

struct eth_proto_s
{
  uint16_t type;
  struct net_layer_s *child;
};

static const struct net_layer_handler_s eth_handler;

static inline struct eth_s *eth_of(struct net_layer_s *layer)
{
  return net_container_of(layer, struct eth_s, layer);
}

static inline const struct eth_s *eth_of_const(const struct net_layer_s *layer)
{
  return net_container_of(layer, const struct eth_s, layer);
}

static struct eth_proto_s *proto_by_type(struct eth_s *e, uint16_t type)
{
  for (unsigned i = 0; i < e->proto_count; i++)
    if (e->protos[i].type == type)
      return &e->protos[i];
  return NULL;
}

static struct eth_proto_s *proto_by_child(struct eth_s *e,
                                          const struct net_layer_s *child)
{
  for (unsigned i = 0; i < e->proto_count; i++)
    if (e->protos[i].child == child)
      return &e->protos[i];
  return NULL;
}

/* Only the layer's handler writes counters, so a relaxed load and store
   (no locked read-modify-write) is enough and stays race-free for the
   readers of net_layer_stats(). */
static inline void stat_add(struct eth_s *e, enum eth_stat_e s, uint64_t n)
{
  uint64_t v = atomic_load_explicit(&e->stats[s], memory_order_relaxed);
  atomic_store_explicit(&e->stats[s], v + n, memory_order_relaxed);
}

static inline void stat_inc(struct eth_s *e, enum eth_stat_e s)
{
  stat_add(e, s, 1);
}

/* ---- mirrors ---------------------------------------------------------- */

static void mirror_pool_refdec(struct mirror_pool_s *pool)
{
  if (atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) != 1)
    return;
  while (pool->free)
    {
      struct mirror_task_s *t = pool->free;
      pool->free = t->next_free;
      g_free(t);
    }
  pthread_mutex_destroy(&pool->lock);
  g_free(pool);
}

static void mirror_task_destroy(struct net_task_s *task)
{
  struct mirror_task_s *t = net_container_of(task, struct mirror_task_s, mt.task);
  struct mirror_pool_s *pool = t->pool;
  pthread_mutex_lock(&pool->lock);
  if (pool->free_count < MIRROR_FREE_MAX)
    {
      t->next_free = pool->free;
      pool->free = t;
      pool->free_count++;
      t = NULL;
    }
  pthread_mutex_unlock(&pool->lock);
  g_free(t);
  mirror_pool_refdec(pool);
}

const struct net_ethernet_mirror_task_s *
net_ethernet_mirror_task(const struct net_task_s *task)
{
  if (!task || task->destroy != mirror_task_destroy)
    return NULL;
  return net_container_of(task, const struct net_ethernet_mirror_task_s, task);
}

static struct mirror_task_s *mirror_task_get(struct mirror_pool_s *pool)
{
  /* refs - 1 tasks are in flight. */
  if (atomic_load_explicit(&pool->refs, memory_order_relaxed)
      > NET_ETHERNET_MIRROR_BACKLOG)
    return NULL;
  pthread_mutex_lock(&pool->lock);
  struct mirror_task_s *t = pool->free;
  if (t)
    {
      pool->free = t->next_free;
      pool->free_count--;
    }
  pthread_mutex_unlock(&pool->lock);
  if (!t)
    t = g_new(struct mirror_task_s, 1);
  atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
  t->pool = pool;
  net_task_init(&t->mt.task, mirror_task_destroy);
  return t;
}

/* Lend @p frame ([begin, end) = the whole frame) to every mirror. */
static void mirror_all(struct eth_s *e, struct net_buffer_s *frame,
                       enum net_ethernet_direction_e dir, net_time_t ts)
{
  for (unsigned i = 0; i < NET_ETHERNET_MAX_MIRRORS; i++)
    {
      struct net_layer_s *m = e->mirrors[i];
      if (!m)
        continue;
      struct mirror_task_s *t = mirror_task_get(e->mirror_pool);
      if (!t)
        {
          stat_inc(e, ETH_MIRROR_DROPPED);
          continue;
        }
      t->mt.offset = frame->begin;
      t->mt.length = (uint32_t)net_buffer_len(frame);
      t->mt.direction = dir;
      if (net_task_inbound_push(&t->mt.task, m, &e->layer, ts, NULL, NULL,
                                net_buffer_refinc(frame)) < 0)
        stat_inc(e, ETH_MIRROR_DROPPED);
      else
        stat_inc(e, ETH_MIRROR_FRAMES);
    }
}

/* ---- receive ---------------------------------------------------------- */

static void rx_drop(struct eth_s *e, struct net_task_s *task,
                    struct net_buffer_s *frame, enum eth_stat_e why)
{
  stat_inc(e, why);
  if (task)
    net_task_destroy(task);
  else
    net_buffer_refdec(frame);
}

/* Hand a received packet up to @p to, in @p task when there is one. */
static void eth_deliver(struct eth_s *e, struct net_task_s *task,
                        struct net_buffer_s *frame, struct net_layer_s *to,
                        net_time_t ts, const struct net_addr_s *src,
                        const struct net_addr_s *dst)
{
  if (task)
    {
      task->packet.src = *src;
      task->packet.dst = *dst;
      if (net_task_packet_forward(task, to) < 0)
        stat_inc(e, ETH_DROP_NO_TASK);
      return;
    }
  task = net_scheduler_task_alloc(e->layer.scheduler);
  if (!task)
    {
      rx_drop(e, NULL, frame, ETH_DROP_NO_TASK);
      return;
    }
  if (net_task_inbound_push(task, to, &e->layer, ts, src, dst, frame) < 0)
    stat_inc(e, ETH_DROP_NO_TASK);
}

/* @p task, when not NULL, is a delivered INBOUND task holding @p frame:
   it is reused to go up, saving an allocation per frame. */
static void eth_receive(struct eth_s *e, struct net_task_s *task,
                        struct net_buffer_s *frame, net_time_t ts)
{
  size_t len = net_buffer_len(frame);
  stat_inc(e, ETH_RX_FRAMES);
  stat_add(e, ETH_RX_BYTES, len);
  if (e->mirror_count)
    mirror_all(e, frame, NET_ETHERNET_DIR_IN, ts);

  if (len < NET_ETHERNET_HEADER_LEN)
    {
      rx_drop(e, task, frame, ETH_DROP_RUNT);
      return;
    }
  const uint8_t *h = net_buffer_data(frame);
  uint16_t type = (uint16_t)(h[12] << 8 | h[13]);
  /* A super-frame of an offloading driver holds up to one IPv4 datagram. */
  size_t mtu = frame->offload_flags & NET_BUFFER_GSO_TCPV4
               ? NET_ETH_GSO_MAX : e->layer.context.mtu;
  size_t max = mtu + NET_ETHERNET_HEADER_LEN
               + (type == NET_ETHERTYPE_VLAN ? NET_ETHERNET_VLAN_LEN : 0);
  if (len > max)
    {
      rx_drop(e, task, frame, ETH_DROP_OVERSIZE);
      return;
    }

  if (h[0] & 1)
    {
      if (memcmp(h, net_mac_broadcast, NET_MAC_LEN) == 0)
        stat_inc(e, ETH_RX_BROADCAST);
      else if (e->all_multicast || e->promiscuous)
        stat_inc(e, ETH_RX_MULTICAST);
      else
        {
          rx_drop(e, task, frame, ETH_DROP_MULTICAST);
          return;
        }
    }
  else if (memcmp(h, e->mac, NET_MAC_LEN) == 0)
    stat_inc(e, ETH_RX_UNICAST);
  else if (e->promiscuous)
    stat_inc(e, ETH_RX_OTHERHOST);
  else
    {
      rx_drop(e, task, frame, ETH_DROP_NOT_FOR_US);
      return;
    }

  if (type < NET_ETHERTYPE_MIN)
    {
      rx_drop(e, task, frame, ETH_DROP_LENGTH_FIELD);
      return;
    }
  if (type == NET_ETHERTYPE_IPV4 && net_flow_table_count(e->flows))
    {
      struct net_addr_s fsrc, fdst;
      struct net_layer_s *flow = net_flow_classify(e->flows, frame, &fsrc, &fdst);
      if (flow)
        {
          stat_inc(e, ETH_FASTPATH_HITS);
          eth_deliver(e, task, frame, flow, ts, &fsrc, &fdst);
          return;
        }
      stat_inc(e, ETH_FASTPATH_MISSES);
    }
  struct eth_proto_s *proto = proto_by_type(e, type);
  if (!proto)
    {
      rx_drop(e, task, frame, ETH_DROP_NO_HANDLER);
      return;
    }
  struct net_layer_s *child = proto->child;

  struct net_addr_s src = { .ethertype = type,
                            .valid = NET_ADDR_MAC | NET_ADDR_ETHERTYPE };
  struct net_addr_s dst = src;
  memcpy(dst.mac, h, NET_MAC_LEN);
  memcpy(src.mac, h + NET_MAC_LEN, NET_MAC_LEN);
  net_buffer_pull(frame, NET_ETHERNET_HEADER_LEN);
  eth_deliver(e, task, frame, child, ts, &src, &dst);
}

void net_ethernet_input(struct net_layer_s *eth, struct net_buffer_s *frame,
                        net_time_t timestamp)
{
  g_return_if_fail(eth && eth->handler == &eth_handler && frame);
  eth_receive(eth_of(eth), NULL, frame, timestamp);
}

int net_ethernet_inject(struct net_layer_s *eth, struct net_buffer_s *frame,
                        net_time_t timestamp)
{
  if (!eth || eth->handler != &eth_handler || !frame)
    {
      if (frame)
        net_buffer_refdec(frame);
      return -EINVAL;
    }
  struct net_task_s *task = net_scheduler_task_alloc(eth->scheduler);
  if (!task)
    {
      net_buffer_refdec(frame);
      return -ENOMEM;
    }
  return net_task_inbound_push(task, eth, eth, timestamp, NULL, NULL, frame);
}

/* ---- transmit --------------------------------------------------------- */

/* A private copy of @p buf's packet with room for our header in front and
   @p pad bytes behind; drops the caller's reference to @p buf. */
static struct net_buffer_s *tx_private_copy(struct eth_s *e,
                                            struct net_buffer_s *buf,
                                            size_t pad)
{
  size_t len = net_buffer_len(buf);
  struct net_buffer_s *copy =
    net_scheduler_buffer_alloc(e->layer.scheduler,
                               e->layer.context.prefix_size
                               + NET_ETHERNET_HEADER_LEN, len + pad);
  if (copy)
    {
      memcpy(net_buffer_put(copy, len), net_buffer_data(buf), len);
      copy->offload_flags = buf->offload_flags;
      copy->csum_start = buf->csum_start;
      copy->csum_offset = buf->csum_offset;
      copy->gso_size = buf->gso_size;
    }
  net_buffer_refdec(buf);
  return copy;
}

static void eth_send(struct eth_s *e, struct net_task_s *task)
{
  struct eth_proto_s *proto = proto_by_child(e, task->source);
  if (!proto)
    {
      stat_inc(e, ETH_TX_DROP_UNBOUND);
      {
        net_task_destroy(task);
        return;
      }
    }
  if (!(task->packet.dst.valid & NET_ADDR_MAC) || !task->packet.buffer)
    {
      stat_inc(e, ETH_TX_DROP_NO_DST);
      {
        net_task_destroy(task);
        return;
      }
    }
  uint16_t type = proto->type;
  uint8_t dst[NET_MAC_LEN];
  memcpy(dst, task->packet.dst.mac, NET_MAC_LEN);
  struct net_buffer_s *buf = net_task_packet_steal_buffer(task);
  net_task_destroy(task);

  if (!atomic_load_explicit(&e->link_up, memory_order_relaxed))
    {
      stat_inc(e, ETH_TX_DROP_LINK_DOWN);
      {
        net_buffer_refdec(buf);
        return;
      }
    }
  size_t len = net_buffer_len(buf);
  if (len > e->layer.context.mtu
      && !(len <= NET_ETH_GSO_MAX && (buf->offload_flags & NET_BUFFER_GSO_TCPV4)
           && (e->layer.context.offloads & NET_OFFLOAD_TSO4)))
    {
      stat_inc(e, ETH_TX_DROP_OVERSIZE);
      {
        net_buffer_refdec(buf);
        return;
      }
    }
  size_t frame_len = len + NET_ETHERNET_HEADER_LEN;
  size_t pad = frame_len < NET_ETHERNET_MIN_FRAME
               ? NET_ETHERNET_MIN_FRAME - frame_len : 0;
  /* Never write into bytes someone else may be reading: the header goes
     into the headroom and the padding after the end, so a shared buffer
     (or one without the room) is replaced by a private copy. */
  if (net_buffer_is_shared(buf)
      || net_buffer_headroom(buf) < (size_t)NET_ETHERNET_HEADER_LEN + e->device_header
      || net_buffer_tailroom(buf) < pad)
    {
      buf = tx_private_copy(e, buf, pad);
      if (!buf)
        {
          stat_inc(e, ETH_TX_DROP_NO_BUFFER);
          return;
        }
      stat_inc(e, ETH_TX_COPIED);
    }
  uint8_t *h = net_buffer_push(buf, NET_ETHERNET_HEADER_LEN);
  memcpy(h, dst, NET_MAC_LEN);
  memcpy(h + NET_MAC_LEN, e->mac, NET_MAC_LEN);
  h[12] = (uint8_t)(type >> 8);
  h[13] = (uint8_t)type;
  if (pad)
    {
      memset(net_buffer_put(buf, pad), 0, pad);
      stat_inc(e, ETH_TX_PADDED);
    }
  frame_len += pad;
  if (e->mirror_count)
    mirror_all(e, buf, NET_ETHERNET_DIR_OUT,
               net_scheduler_time(e->layer.scheduler));
  int err = e->ops->transmit(e->driver, &e->layer, buf);
  if (err == 0)
    {
      stat_inc(e, ETH_TX_FRAMES);
      stat_add(e, ETH_TX_BYTES, frame_len);
    }
  else if (err == -ENETDOWN)
    stat_inc(e, ETH_TX_DROP_LINK_DOWN);
  else if (err == -EAGAIN)
    stat_inc(e, ETH_TX_DROP_BUSY);
  else
    stat_inc(e, ETH_TX_ERRORS);
}

/* ---- link state ------------------------------------------------------- */

static void eth_link_set(struct eth_s *e, bool up)
{
  if (atomic_exchange_explicit(&e->link_up, up, memory_order_relaxed) == up)
    return;
  stat_inc(e, ETH_LINK_CHANGES);
  const struct net_device_delegate_vtable_s *vt =
    (const struct net_device_delegate_vtable_s *)e->layer.delegate_vtable;
  if (vt && vt->link_changed)
    vt->link_changed(e->layer.delegate, &e->layer, up);
}

int net_ethernet_link_report(struct net_layer_s *eth, bool up)
{
  if (!eth || eth->handler != &eth_handler)
    return -EINVAL;
  struct net_task_s *task = net_scheduler_task_alloc(eth->scheduler);
  if (!task)
    return -ENOMEM;
  return net_task_notification_push(task, eth, eth, NET_ETHERNET_OP_LINK, 0,
                                    up);
}

int net_ethernet_offloads_set(struct net_layer_s *eth, uint32_t offloads)
{
  if (!eth || eth->handler != &eth_handler
      || offloads & ~(uint32_t)(NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4))
    return -EINVAL;
  eth->context.offloads = offloads;
  net_layer_context_changed(eth);
  return 0;
}

bool net_ethernet_link_is_up(const struct net_layer_s *eth)
{
  return atomic_load_explicit(&eth_of_const(eth)->link_up, memory_order_relaxed);
}

void net_ethernet_mac(const struct net_layer_s *eth, uint8_t mac[NET_MAC_LEN])
{
  memcpy(mac, eth_of_const(eth)->mac, NET_MAC_LEN);
}

bool net_ethernet_is(const struct net_layer_s *layer)
{
  return layer && layer->handler == &eth_handler;
}

/* ---- handler ---------------------------------------------------------- */

static void eth_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct eth_s *e = eth_of(layer);
  switch (task->type)
    {
    case NET_TASK_INBOUND:
      if (task->packet.buffer)
        eth_receive(e, task, task->packet.buffer, task->packet.timestamp);
      else
        net_task_destroy(task);
      return;
    case NET_TASK_OUTBOUND:
      eth_send(e, task);
      return;
    case NET_TASK_NOTIFICATION:
      if (task->notification.opcode == NET_ETHERNET_OP_LINK)
        {
          eth_link_set(e, task->notification.arg != 0);
          net_task_destroy(task);
          return;
        }
      if (net_flow_task(task))
        {
          if (e->flows && net_flow_table_request(e->flows, net_flow_task(task)))
            {
              /* Behind every frame of the flow sent the slow way so far. */
              struct eth_proto_s *ip = proto_by_type(e, NET_ETHERTYPE_IPV4);
              if (ip)
                net_flow_activate(layer, ip->child, net_flow_task(task));
            }
          if (e->flows)
            atomic_store_explicit(&e->stats[ETH_FASTPATH_FLOWS],
                                  net_flow_table_count(e->flows),
                                  memory_order_relaxed);
          net_task_destroy(task);
          return;
        }
      break;
    default:
      break;
    }
  if (e->ops->task_handle)
    e->ops->task_handle(e->driver, layer, task);
  else
    net_task_destroy(task);
}

static int eth_bound(struct net_layer_s *layer, const void *addr,
                     struct net_layer_s *child)
{
  struct eth_s *e = eth_of(layer);
  if (!addr)
    return -EINVAL;
  uint16_t type = *(const uint16_t *)addr;
  if (type == NET_ETHERNET_MIRROR)
    {
      for (unsigned i = 0; i < NET_ETHERNET_MAX_MIRRORS; i++)
        if (!e->mirrors[i])
          {
            e->mirrors[i] = child;
            e->mirror_count++;
            return 0;
          }
      return -ENOSPC;
    }
  if (type < NET_ETHERTYPE_MIN)
    return -EINVAL;
  if (proto_by_type(e, type))
    return -EADDRINUSE;
  if (e->proto_count == e->proto_cap)
    {
      unsigned cap = e->proto_cap ? 2 * e->proto_cap : 4;
      struct eth_proto_s *p = realloc(e->protos, cap * sizeof(*p));
      if (!p)
        return -ENOMEM;
      e->protos = p;
      e->proto_cap = cap;
    }
  e->protos[e->proto_count++] = (struct eth_proto_s){ type, child };
  return 0;
}

static void eth_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct eth_s *e = eth_of(layer);
  struct eth_proto_s *proto = proto_by_child(e, child);
  if (proto)
    {
      *proto = e->protos[--e->proto_count];
      return;
    }
  for (unsigned i = 0; i < NET_ETHERNET_MAX_MIRRORS; i++)
    if (e->mirrors[i] == child)
      {
        e->mirrors[i] = NULL;
        e->mirror_count--;
      }
}

static void eth_child_context_adjust(const struct net_layer_s *layer,
                                     const struct net_layer_s *child,
                                     struct net_layer_context_s *cctx)
{
  const struct eth_s *e = eth_of_const(layer);
  memcpy(cctx->addr.mac, e->mac, NET_MAC_LEN);
  cctx->addr.valid |= NET_ADDR_MAC;
  cctx->prefix_size = (uint16_t)(cctx->prefix_size + NET_ETHERNET_HEADER_LEN);
}

static size_t eth_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                        size_t max)
{
  const struct eth_s *e = eth_of_const(layer);
  size_t n = 0;
  for (; n < ETH_STAT_COUNT && n < max; n++)
    {
      out[n].name = eth_stat_names[n];
      out[n].value = atomic_load_explicit(&e->stats[n], memory_order_relaxed);
    }
  size_t total = ETH_STAT_COUNT;
  if (e->ops->stats)
    total += e->ops->stats(e->driver, out + n, max - n);
  return total;
}

static void eth_destroyed(struct net_layer_s *layer)
{
  struct eth_s *e = eth_of(layer);
  if (e->ops->detach)
    e->ops->detach(e->driver, layer);
  free(e->protos);
  mirror_pool_refdec(e->mirror_pool);
  net_flow_table_free(e->flows);
  net_device_refdec(e->dev);
  g_free(e);
}

static const struct net_layer_handler_s eth_handler = {
  .type_name = "ethernet",
  .destroyed = eth_destroyed,
  .task_handle = eth_task_handle,
  .bound = eth_bound,
  .unbound = eth_unbound,
  .child_context_adjust = eth_child_context_adjust,
  .stats = eth_stats,
};

/* ---- creation --------------------------------------------------------- */

static void random_mac(uint8_t mac[NET_MAC_LEN])
{
  for (unsigned i = 0; i < NET_MAC_LEN; i++)
    mac[i] = (uint8_t)g_random_int_range(0, 256);
  /* Locally administered, unicast. */
  mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

int net_ethernet_create(struct net_scheduler_s *sched,
                        const struct net_ethernet_params_s *params,
                        uint32_t default_mtu, uint16_t device_header,
                        const struct net_ethernet_driver_ops_s *ops,
                        void *driver, struct net_device_s *dev,
                        void *delegate,
                        const struct net_device_delegate_vtable_s *vtable,
                        struct net_layer_s **layer)
{
  static const struct net_ethernet_params_s defaults;
  if (!layer)
    return -EINVAL;
  *layer = NULL;
  if (!sched || !ops || !ops->transmit)
    return -EINVAL;
  if (!params)
    params = &defaults;
  uint32_t mtu = params->mtu ? params->mtu
                 : default_mtu ? default_mtu : NET_ETHERNET_DEFAULT_MTU;
  /* 68: the smallest MTU IPv4 allows (RFC 791); 65535: what a length
     field above us can express. */
  if (mtu < 68 || mtu > 65535)
    return -EINVAL;
  if (params->mac[0] & 1)
    return -EINVAL;

  struct eth_s *e = g_new0(struct eth_s, 1);
  int err = net_layer_init(&e->layer, &eth_handler, sched, delegate,
                           vtable ? &vtable->base : NULL);
  if (err < 0)
    {
      g_free(e);
      return err;
    }
  static const uint8_t zero_mac[NET_MAC_LEN];
  if (memcmp(params->mac, zero_mac, NET_MAC_LEN) == 0)
    random_mac(e->mac);
  else
    memcpy(e->mac, params->mac, NET_MAC_LEN);
  e->ops = ops;
  e->driver = driver;
  e->dev = dev ? net_device_refinc(dev) : NULL;
  e->device_header = device_header;
  e->promiscuous = params->promiscuous;
  e->all_multicast = params->all_multicast;
  atomic_init(&e->link_up, false);
  e->flows = params->no_fastpath ? NULL : net_flow_table_new();
  e->mirror_pool = g_new0(struct mirror_pool_s, 1);
  atomic_init(&e->mirror_pool->refs, 1);
  pthread_mutex_init(&e->mirror_pool->lock, NULL);
  for (unsigned i = 0; i < ETH_STAT_COUNT; i++)
    atomic_init(&e->stats[i], 0);

  memcpy(e->layer.context.addr.mac, e->mac, NET_MAC_LEN);
  e->layer.context.addr.valid = NET_ADDR_MAC;
  e->layer.context.prefix_size = device_header;
  e->layer.context.mtu = mtu;
  *layer = &e->layer;
  return 0;
}
