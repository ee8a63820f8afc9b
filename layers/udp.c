/* UDP layer (net/layer/udp.h): RFC 768 with RFC 1122 4.1 rules, demux to
   endpoint layers by port (O(1) hash, then most specific match). */
#include <config.h>
#define G_LOG_DOMAIN "libnetwork"
#include <net/layer/udp.h>
#include <net/layer/ipv4.h>
#include <net/layer/icmp.h>
#include <net/buffer.h>
#include <net/checksum.h>
#include <net/scheduler.h>
#include <glib.h>
#include <string.h>
#include "inet_util.h"


#define UDP_STATS(X)                                                        \
  X(RX_PACKETS, "rx_packets")                                               \
  X(RX_DELIVERED, "rx_delivered")                                           \
  X(TX_PACKETS, "tx_packets")                                               \
  X(DROP_TRUNCATED, "drop_truncated")                                       \
  X(DROP_BAD_LENGTH, "drop_bad_length")                                     \
  X(DROP_BAD_CHECKSUM, "drop_bad_checksum")                                 \
  X(DROP_BAD_PORT, "drop_bad_port")                                         \
  X(DROP_NO_PORT, "drop_no_port")                                           \
  X(DROP_TX_NO_DST, "drop_tx_no_dst")                                       \
  X(DROP_TX_TOO_BIG, "drop_tx_too_big")                                     \
  X(DROP_NOMEM, "drop_nomem")                                               \
  X(DROP_BAD_TASK, "drop_bad_task")                                         \
  X(ERRORS_DELIVERED, "errors_delivered")                                   \
  X(DROP_ERROR, "drop_error")

enum udp_stat_e
{
#define X(id, name) UDP_##id,
  UDP_STATS(X)
#undef X
  UDP_STAT_COUNT
};

static const char *const udp_stat_names[UDP_STAT_COUNT] = {
#define X(id, name) name,
  UDP_STATS(X)
#undef X
};

struct udp_ep_s
{
  struct net_layer_s *layer;     /* the endpoint (our child) */
  struct net_udp_bind_s bind;    /* local_port resolved */
  struct udp_ep_s *next;         /* same local port */
};

struct udp_s
{
  struct net_layer_s layer;
  struct net_udp_config_s cfg;
  GHashTable *by_port;           /* local port -> first udp_ep_s */
  GHashTable *by_layer;          /* endpoint layer -> udp_ep_s */
  uint16_t next_ephemeral;
  uint64_t stats[UDP_STAT_COUNT];
};

static struct udp_s *udp_from_layer(const struct net_layer_s *layer)
{
  return net_container_of(layer, struct udp_s, layer);
}

static void udp_drop(struct udp_s *udp, struct net_task_s *task,
                     enum udp_stat_e reason)
{
  udp->stats[reason]++;
  net_task_destroy(task);
}

static struct udp_ep_s *udp_port_chain(const struct udp_s *udp, uint16_t port)
{
  return g_hash_table_lookup(udp->by_port, GUINT_TO_POINTER((unsigned)port));
}

/* The endpoint that best matches a datagram: every bound field must
   match; a connected remote beats a bound local address beats a wildcard. */
static struct udp_ep_s *udp_match(const struct udp_s *udp, uint32_t src,
                                  uint16_t sport, uint32_t dst, uint16_t dport)
{
  struct udp_ep_s *best = NULL;
  int best_score = -1;
  for (struct udp_ep_s *ep = udp_port_chain(udp, dport); ep; ep = ep->next)
    {
      const struct net_udp_bind_s *b = &ep->bind;
      if ((b->local_addr && b->local_addr != dst)
          || (b->remote_addr && b->remote_addr != src)
          || (b->remote_port && b->remote_port != sport))
        continue;
      int score = (b->local_addr ? 1 : 0) + (b->remote_addr ? 2 : 0)
        + (b->remote_port ? 2 : 0);
      if (score > best_score)
        {
          best = ep;
          best_score = score;
        }
    }
  return best;
}

static void udp_input(struct udp_s *udp, struct net_task_s *task)
{
  struct net_buffer_s *buf = task->packet.buffer;
  udp->stats[UDP_RX_PACKETS]++;
  if (!buf)
    {
      udp_drop(udp, task, UDP_DROP_BAD_TASK);
      return;
    }
  size_t len = net_buffer_len(buf);
  if (len < NET_UDP_HEADER_LEN)
    {
      udp_drop(udp, task, UDP_DROP_TRUNCATED);
      return;
    }
  const uint8_t *h = net_buffer_data(buf);
  uint16_t sport = inet_rd16(h), dport = inet_rd16(h + 2);
  size_t ulen = inet_rd16(h + 4);
  if (ulen < NET_UDP_HEADER_LEN || ulen > len)
    {
      udp_drop(udp, task, UDP_DROP_BAD_LENGTH);
      return;
    }
  net_buffer_trim(buf, ulen);
  uint32_t src = task->packet.src.ipv4, dst = task->packet.dst.ipv4;
  uint16_t csum;
  memcpy(&csum, h + 6, 2);
  /* A zero checksum means "none" (RFC 768); otherwise the sum over the
     pseudo-header and datagram, checksum included, folds to 0. */
  /* Verified by the device, or never left the machine (net/buffer.h):
     no need to sum it again. */
  bool verified = buf->offload_flags & (NET_BUFFER_CSUM_VALID | NET_BUFFER_CSUM_PARTIAL);
  if (csum != 0 && !verified
      && net_csum_fold(net_csum_add(net_csum_pseudo_ipv4(src, dst, NET_IPPROTO_UDP,
                                                         (uint32_t)ulen),
                                    h, ulen)) != 0)
    {
      udp_drop(udp, task, UDP_DROP_BAD_CHECKSUM);
      return;
    }
  if (dport == 0 || sport == 0)
    {
      /* Port 0 is reserved; a reply to source port 0 is impossible. */
      udp_drop(udp, task, UDP_DROP_BAD_PORT);
      return;
    }
  struct udp_ep_s *ep = udp_match(udp, src, sport, dst, dport);
  if (!ep)
    {
      udp->stats[UDP_DROP_NO_PORT]++;
      /* ICMP port unreachable; IPv4 and ICMP apply the broadcast and rate
         rules. */
      net_ipv4_icmp_error_request(&udp->layer, net_task_packet_steal_buffer(task),
                                  &task->packet.src, &task->packet.dst,
                                  NET_ICMP_DEST_UNREACH, NET_ICMP_PORT_UNREACH);
      net_task_destroy(task);
      return;
    }
  net_buffer_pull(buf, NET_UDP_HEADER_LEN);
  struct net_addr_s *s = &task->packet.src, *d = &task->packet.dst;
  s->port = sport;
  d->port = dport;
  s->valid = (uint8_t)((s->valid & ~NET_ADDR_PROTOCOL) | NET_ADDR_PORT);
  d->valid = (uint8_t)((d->valid & ~NET_ADDR_PROTOCOL) | NET_ADDR_PORT);
  udp->stats[UDP_RX_DELIVERED]++;
  net_task_packet_forward(task, ep->layer);
}

static void udp_output(struct udp_s *udp, struct net_task_s *task)
{
  struct udp_ep_s *ep = g_hash_table_lookup(udp->by_layer, task->source);
  if (!ep || !task->packet.buffer)
    {
      udp_drop(udp, task, UDP_DROP_BAD_TASK);
      return;
    }
  struct net_addr_s *s = &task->packet.src, *d = &task->packet.dst;
  if (!(d->valid & NET_ADDR_IPV4))
    {
      d->ipv4 = ep->bind.remote_addr;
      d->port = ep->bind.remote_port;
    }
  else if (!(d->valid & NET_ADDR_PORT))
    d->port = ep->bind.remote_port;
  if (!d->ipv4 || !d->port)
    {
      udp_drop(udp, task, UDP_DROP_TX_NO_DST);
      return;
    }
  /* Source: given, or bound, or (0) IPv4's choice for the route. */
  uint32_t src = (s->valid & NET_ADDR_IPV4) && s->ipv4 ? s->ipv4
    : ep->bind.local_addr;
  size_t len = net_buffer_len(task->packet.buffer) + NET_UDP_HEADER_LEN;
  if (len > NET_IPV4_MAX_DATAGRAM - NET_IPV4_HEADER_LEN)
    {
      udp_drop(udp, task, UDP_DROP_TX_TOO_BIG);
      return;
    }
  if (net_buffer_make_writable(&task->packet.buffer))
    {
      udp_drop(udp, task, UDP_DROP_NOMEM);
      return;
    }
  uint8_t *h = net_buffer_push(task->packet.buffer, NET_UDP_HEADER_LEN);
  if (!h)
    {
      /* The endpoint ignored its context's prefix_size. */
      udp_drop(udp, task, UDP_DROP_BAD_TASK);
      return;
    }
  inet_wr16(h, ep->bind.local_port);
  inet_wr16(h + 2, d->port);
  inet_wr16(h + 4, (uint16_t)len);
  h[6] = h[7] = 0;
  struct net_buffer_s *buf = task->packet.buffer;
  /* A new packet, maybe in a received buffer (echo): its own flags only.
     The pseudo-header needs the source, which IPv4 may still have to
     choose: IPv4 completes the checksum (IPv4 contract). */
  buf->offload_flags = 0;
  if (!udp->cfg.no_tx_checksum)
    {
      buf->offload_flags = NET_BUFFER_CSUM_PARTIAL;
      buf->csum_start = 0;
      buf->csum_offset = 6;
    }
  s->ipv4 = src;
  s->port = ep->bind.local_port;
  s->valid = (uint8_t)((src ? NET_ADDR_IPV4 : 0) | NET_ADDR_PORT);
  d->valid = (uint8_t)((d->valid & NET_IPV4_ADDR_DF) | NET_ADDR_IPV4 | NET_ADDR_PORT);
  udp->stats[UDP_TX_PACKETS]++;
  struct net_layer_s *parent = net_layer_parent(&udp->layer);
  if (!parent)
    {
      udp_drop(udp, task, UDP_DROP_BAD_TASK);
      return;
    }
  net_task_packet_forward(task, parent);
}

/* An ICMP error about a datagram we sent: tell the endpoint that sent it. */
static void udp_error(struct udp_s *udp, struct net_task_s *task)
{
  struct net_ipv4_error_s *in = net_container_of(task, struct net_ipv4_error_s, task);
  struct udp_ep_s *ep = NULL;
  if (in->quote_len >= 4)
    {
      uint16_t sport = inet_rd16(in->quote), dport = inet_rd16(in->quote + 2);
      /* Roles swap: we were the source of the failed datagram. */
      ep = udp_match(udp, in->dst, dport, in->src, sport);
    }
  struct net_ipv4_error_s *e = ep ? net_ipv4_error_alloc() : NULL;
  if (!e)
    {
      udp_drop(udp, task, UDP_DROP_ERROR);
      return;
    }
  memcpy((char *)e + sizeof e->task, (char *)in + sizeof in->task,
         sizeof *e - sizeof e->task);
  int err = task->notification.err;
  net_task_destroy(task);
  udp->stats[UDP_ERRORS_DELIVERED]++;
  net_task_notification_push(&e->task, ep->layer, &udp->layer,
                             NET_IPV4_OP_ERROR, err, 0);
}

static void udp_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct udp_s *udp = udp_from_layer(layer);
  switch (task->type)
    {
    case NET_TASK_INBOUND:
      udp_input(udp, task);
      return;
    case NET_TASK_OUTBOUND:
      udp_output(udp, task);
      return;
    case NET_TASK_NOTIFICATION:
      if (task->notification.opcode == NET_IPV4_OP_ERROR
          && task->source == net_layer_parent(layer))
        {
          udp_error(udp, task);
          return;
        }
      break;
    default:
      break;
    }
  udp_drop(udp, task, UDP_DROP_BAD_TASK);
}

static bool udp_same_bind(const struct net_udp_bind_s *a,
                          const struct net_udp_bind_s *b)
{
  return a->local_port == b->local_port && a->local_addr == b->local_addr
    && a->remote_addr == b->remote_addr && a->remote_port == b->remote_port;
}

static bool udp_port_taken(const struct udp_s *udp, const struct net_udp_bind_s *b)
{
  for (struct udp_ep_s *ep = udp_port_chain(udp, b->local_port); ep; ep = ep->next)
    if (udp_same_bind(&ep->bind, b))
      return true;
  return false;
}

static int udp_bound(struct net_layer_s *layer, const void *addr,
                     struct net_layer_s *child)
{
  struct udp_s *udp = udp_from_layer(layer);
  if (!addr)
    return -EINVAL;
  struct net_udp_bind_s b = *(const struct net_udp_bind_s *)addr;
  if (g_hash_table_contains(udp->by_layer, child))
    return -EBUSY;
  if (b.local_port == 0)
    {
      /* RFC 6056 algorithm 1 style: a random start, then the next free. */
      const unsigned range = 65536 - NET_UDP_EPHEMERAL_MIN;
      unsigned tries = 0;
      for (; tries < range; tries++)
        {
          uint16_t port = (uint16_t)(NET_UDP_EPHEMERAL_MIN
                                     + (udp->next_ephemeral++ % range));
          if (!udp_port_chain(udp, port))
            {
              b.local_port = port;
              break;
            }
        }
      if (tries == range)
        return -EADDRINUSE;
    }
  else if (udp_port_taken(udp, &b))
    return -EADDRINUSE;
  struct udp_ep_s *ep = g_try_new0(struct udp_ep_s, 1);
  if (!ep)
    return -ENOMEM;
  ep->layer = child;
  ep->bind = b;
  ep->next = udp_port_chain(udp, b.local_port);
  g_hash_table_insert(udp->by_port, GUINT_TO_POINTER((unsigned)b.local_port), ep);
  g_hash_table_insert(udp->by_layer, child, ep);
  return 0;
}

static void udp_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct udp_s *udp = udp_from_layer(layer);
  struct udp_ep_s *ep = g_hash_table_lookup(udp->by_layer, child);
  if (!ep)
    return;
  g_hash_table_remove(udp->by_layer, child);
  gpointer key = GUINT_TO_POINTER((unsigned)ep->bind.local_port);
  struct udp_ep_s *head = udp_port_chain(udp, ep->bind.local_port);
  if (head == ep)
    {
      if (ep->next)
        g_hash_table_insert(udp->by_port, key, ep->next);
      else
        g_hash_table_remove(udp->by_port, key);
    }
  else
    {
      for (struct udp_ep_s *p = head; p; p = p->next)
        if (p->next == ep)
          {
            p->next = ep->next;
            break;
          }
    }
  g_free(ep);
}

static void udp_child_context_adjust(const struct net_layer_s *layer,
                                     const struct net_layer_s *child,
                                     struct net_layer_context_s *cctx)
{
  const struct udp_s *udp = udp_from_layer(layer);
  cctx->prefix_size += NET_UDP_HEADER_LEN;
  cctx->mtu = cctx->mtu > NET_UDP_HEADER_LEN ? cctx->mtu - NET_UDP_HEADER_LEN : 0;
  cctx->addr.valid &= (uint8_t)~NET_ADDR_PROTOCOL;
  const struct udp_ep_s *ep = g_hash_table_lookup(udp->by_layer, child);
  if (ep)
    {
      cctx->addr.port = ep->bind.local_port;
      cctx->addr.valid |= NET_ADDR_PORT;
      if (ep->bind.local_addr)
        {
          cctx->addr.ipv4 = ep->bind.local_addr;
          cctx->addr.valid |= NET_ADDR_IPV4;
        }
    }
}

static size_t udp_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                        size_t max)
{
  const struct udp_s *udp = udp_from_layer(layer);
  return inet_stats_copy(udp_stat_names, udp->stats, UDP_STAT_COUNT, out, max);
}

static void udp_destroyed(struct net_layer_s *layer)
{
  struct udp_s *udp = udp_from_layer(layer);
  g_hash_table_destroy(udp->by_port);
  g_hash_table_destroy(udp->by_layer);
  g_free(udp);
}

static const struct net_layer_handler_s udp_handler = {
  .type_name = "udp",
  .destroyed = udp_destroyed,
  .task_handle = udp_task_handle,
  .bound = udp_bound,
  .unbound = udp_unbound,
  .child_context_adjust = udp_child_context_adjust,
  .stats = udp_stats,
};

int net_udp_create(struct net_scheduler_s *sched,
                   const struct net_udp_config_s *config,
                   struct net_layer_s **layer)
{
  if (!sched || !layer)
    return -EINVAL;
  struct udp_s *udp = g_try_new0(struct udp_s, 1);
  if (!udp)
    return -ENOMEM;
  if (config)
    udp->cfg = *config;
  udp->by_port = g_hash_table_new(g_direct_hash, g_direct_equal);
  udp->by_layer = g_hash_table_new(g_direct_hash, g_direct_equal);
  inet_random(&udp->next_ephemeral, sizeof udp->next_ephemeral);
  int err = net_layer_init(&udp->layer, &udp_handler, sched, NULL, NULL);
  if (err)
    {
      g_hash_table_destroy(udp->by_port);
      g_hash_table_destroy(udp->by_layer);
      g_free(udp);
      return err;
    }
  *layer = &udp->layer;
  return 0;
}
