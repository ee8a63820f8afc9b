/* IPv4 send path: source address and next-hop choice, loopback, header
   construction in the headroom, IP ID generation and fragmentation. */
#include <config.h>
#include "ipv4_private.h"
#include <net/checksum.h>
#include <net/layer/icmp.h>
#include <string.h>

void ipv4_fill_header(uint8_t *h, uint16_t total_len, uint16_t id,
                      uint16_t frag, uint8_t ttl, uint8_t protocol,
                      uint32_t src, uint32_t dst)
{
  h[0] = 0x45;
  h[1] = 0;
  inet_wr16(h + 2, total_len);
  inet_wr16(h + 4, id);
  inet_wr16(h + 6, frag);
  h[8] = ttl;
  h[9] = protocol;
  h[10] = h[11] = 0;
  inet_wr32(h + 12, src);
  inet_wr32(h + 16, dst);
  uint16_t csum = net_csum(h, NET_IPV4_HEADER_LEN);
  memcpy(h + 10, &csum, 2);
}

/* RFC 7739 section 5.3 style: one counter per hash bucket of (source,
   destination, protocol) under a secret key, so a peer learns nothing of
   the traffic we send to others. */
static uint16_t ipv4_next_id(struct ipv4_s *ip, uint32_t src, uint32_t dst,
                             uint8_t protocol)
{
  /* The last flow's bucket is remembered: a stream costs one hash. */
  if (src != ip->id_last_src || dst != ip->id_last_dst
      || protocol != ip->id_last_protocol)
    {
      uint8_t k[9];
      inet_wr32(k, src);
      inet_wr32(k + 4, dst);
      k[8] = protocol;
      ip->id_last_src = src;
      ip->id_last_dst = dst;
      ip->id_last_protocol = protocol;
      ip->id_last_bucket = (uint32_t)(inet_siphash(ip->id_key, k, sizeof k)
                                      % IPV4_ID_BUCKETS);
    }
  return ip->ids[ip->id_last_bucket]++;
}

static void ipv4_tx_drop(struct ipv4_s *ip, struct net_task_s *task,
                         enum ipv4_stat_e reason, int err)
{
  ipv4_count(ip, reason);
  if (err && task->packet.buffer)
    ipv4_error_local(ip, task->packet.buffer, task->packet.src.ipv4,
                     task->packet.dst.ipv4, task->packet.dst.protocol, err,
                     NET_ICMP_DEST_UNREACH,
                     err == -EMSGSIZE ? NET_ICMP_FRAG_NEEDED
                     : err == -ENETUNREACH ? NET_ICMP_NET_UNREACH
                     : NET_ICMP_HOST_UNREACH,
                     err == -EMSGSIZE ? ip->layer.context.mtu : 0);
  net_task_destroy(task);
}

/* Make the task's buffer ours to write with room for the IPv4 header and
   what the layers below prepend. */
static int ipv4_reserve(struct ipv4_s *ip, struct net_task_s *task)
{
  struct net_buffer_s *buf = task->packet.buffer;
  size_t need = ip->layer.context.prefix_size + NET_IPV4_HEADER_LEN;
  if (!net_buffer_is_shared(buf) && net_buffer_headroom(buf) >= need)
    return 0;
  struct net_buffer_s *copy =
    net_scheduler_buffer_alloc(ip->layer.scheduler, need, net_buffer_len(buf));
  if (!copy && ip->reasm_pool
      && net_buffer_len(buf) + need <= net_buffer_pool_buffer_size(ip->reasm_pool))
    copy = net_buffer_alloc(ip->reasm_pool, need);
  if (!copy)
    return -ENOMEM;
  memcpy(net_buffer_put(copy, net_buffer_len(buf)), net_buffer_data(buf),
         net_buffer_len(buf));
  copy->offload_flags = buf->offload_flags;
  copy->csum_start = buf->csum_start;
  copy->csum_offset = buf->csum_offset;
  copy->gso_size = buf->gso_size;
  net_buffer_refdec(buf);
  task->packet.buffer = copy;
  return 0;
}

/* Finish a transport checksum left partial (IPv4 contract): the sum of
   the pseudo-header of the addresses now chosen and of the segment from
   csum_start, stored at csum_start + csum_offset, in software; or, when
   @p device (the link offloads checksums, the datagram is not cut), only
   the pseudo-header sum, folded and not complemented, as the device
   expects it (net/buffer.h).  0 is sent as 0xffff, its equal in one's
   complement (UDP reserves 0 for "no checksum"). */
static bool ipv4_csum_complete(struct net_task_s *task, bool device)
{
  struct net_buffer_s *buf = task->packet.buffer;
  if (!(buf->offload_flags & NET_BUFFER_CSUM_PARTIAL))
    return true;
  size_t len = net_buffer_len(buf);
  if ((size_t)buf->csum_start + buf->csum_offset + 2 > len)
    return false;
  uint8_t *p = net_buffer_data(buf) + buf->csum_start;
  uint32_t sum = net_csum_pseudo_ipv4(task->packet.src.ipv4, task->packet.dst.ipv4,
                                      task->packet.dst.protocol, (uint32_t)len);
  if (device)
    {
      uint16_t folded = (uint16_t)~net_csum_fold(sum);
      memcpy(p + buf->csum_offset, &folded, 2);
      return true;
    }
  uint16_t csum = net_csum_fold(net_csum_add(sum, p, len - buf->csum_start));
  if (csum == 0)
    csum = 0xffff;
  memcpy(p + buf->csum_offset, &csum, 2);
  buf->offload_flags &= ~(uint32_t)NET_BUFFER_CSUM_PARTIAL;
  return true;
}

/* Size checks, a writable buffer with room for the header, a complete
   transport checksum (or one ready for the device, with @p device_csum):
   false when the task was dropped (counted, sender told).  @p limit is
   the largest datagram allowed unfragmented (the MTU with DF), header
   included. */
static bool ipv4_tx_prepare(struct ipv4_s *ip, struct net_task_s *task,
                            size_t limit, bool device_csum)
{
  size_t len = net_buffer_len(task->packet.buffer) + NET_IPV4_HEADER_LEN;
  if (len > NET_IPV4_MAX_DATAGRAM)
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_TOO_BIG, -EMSGSIZE);
      return false;
    }
  if (len > limit)
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_DF, -EMSGSIZE);
      return false;
    }
  if (ipv4_reserve(ip, task))
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_NOMEM, 0);
      return false;
    }
  if (!ipv4_csum_complete(task, device_csum))
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_BAD_TASK, 0);
      return false;
    }
  return true;
}

static void ipv4_set_link_dst(struct net_task_s *task,
                              const uint8_t mac[NET_MAC_LEN])
{
  memcpy(task->packet.dst.mac, mac, NET_MAC_LEN);
  task->packet.dst.valid = NET_ADDR_MAC | NET_ADDR_IPV4 | NET_ADDR_PROTOCOL;
  task->packet.src.valid = NET_ADDR_IPV4 | NET_ADDR_PROTOCOL;
}

static void ipv4_fragment(struct ipv4_s *ip, struct net_task_s *task,
                          struct net_layer_s *parent, uint16_t id)
{
  struct net_buffer_s *buf = task->packet.buffer;
  uint32_t src = task->packet.src.ipv4, dst = task->packet.dst.ipv4;
  uint8_t protocol = task->packet.dst.protocol;
  size_t payload = net_buffer_len(buf);
  size_t chunk = (ip->layer.context.mtu - NET_IPV4_HEADER_LEN) & ~(size_t)7;
  size_t count = (payload + chunk - 1) / chunk;
  struct net_buffer_s **frags = g_try_new(struct net_buffer_s *, count);
  if (!frags)
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_NOMEM, 0);
      return;
    }

  /* The first fragment keeps the original buffer (trimmed); the others
     are copied out of it first. */
  const uint8_t *data = net_buffer_data(buf);
  for (size_t k = 1; k < count; k++)
    {
      size_t off = k * chunk, len = MIN(chunk, payload - off);
      struct net_buffer_s *f = net_layer_buffer_alloc(&ip->layer,
                                                      NET_IPV4_HEADER_LEN + len);
      uint8_t *h = f ? net_buffer_put(f, NET_IPV4_HEADER_LEN + len) : NULL;
      if (!h)
        {
          if (f)
            net_buffer_refdec(f);
          for (size_t j = 1; j < k; j++)
            net_buffer_refdec(frags[j]);
          g_free(frags);
          ipv4_tx_drop(ip, task, IPV4_DROP_TX_NOMEM, 0);
          return;
        }
      memcpy(h + NET_IPV4_HEADER_LEN, data + off, len);
      ipv4_fill_header(h, (uint16_t)(NET_IPV4_HEADER_LEN + len), id,
                       (uint16_t)((off / 8) | (k + 1 < count ? 0x2000 : 0)),
                       ip->cfg.ttl, protocol, src, dst);
      frags[k] = f;
    }
  net_buffer_trim(buf, chunk);
  uint8_t *h = net_buffer_push(buf, NET_IPV4_HEADER_LEN);
  ipv4_fill_header(h, (uint16_t)(NET_IPV4_HEADER_LEN + chunk), id, 0x2000,
                   ip->cfg.ttl, protocol, src, dst);

  struct net_addr_s s = task->packet.src, d = task->packet.dst;
  ipv4_count(ip, IPV4_TX_PACKETS);
  ip->stats[IPV4_TX_FRAGMENTS] += count;
  net_task_packet_forward(task, parent);
  for (size_t k = 1; k < count; k++)
    {
      struct net_task_s *t = inet_task_alloc(&ip->layer);
      if (!t)
        {
          ipv4_count(ip, IPV4_DROP_TX_NOMEM);
          net_buffer_refdec(frags[k]);
          continue;
        }
      net_task_outbound_push(t, parent, &ip->layer, &s, &d, frags[k]);
    }
  g_free(frags);
}

void ipv4_transmit(struct ipv4_s *ip, struct net_task_s *task,
                   const uint8_t mac[NET_MAC_LEN])
{
  struct net_layer_s *parent = net_layer_parent(&ip->layer);
  size_t mtu = ip->layer.context.mtu;
  if (!parent || mtu < 68)   /* RFC 791: every link carries 68 bytes */
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_NO_LINK, 0);
      return;
    }
  size_t payload = net_buffer_len(task->packet.buffer);
  bool df = (task->packet.dst.valid & NET_IPV4_ADDR_DF) != 0;
  /* A TCP super-segment the link cuts itself (TSO) goes whole. */
  if ((task->packet.buffer->offload_flags & NET_BUFFER_GSO_TCPV4)
      && (ip->layer.context.offloads & NET_OFFLOAD_TSO4))
    mtu = NET_IPV4_MAX_DATAGRAM;
  bool device_csum = (ip->layer.context.offloads & NET_OFFLOAD_CSUM)
                     && payload + NET_IPV4_HEADER_LEN <= mtu;
  if (!ipv4_tx_prepare(ip, task, df ? mtu : NET_IPV4_MAX_DATAGRAM, device_csum))
    return;
  uint32_t src = task->packet.src.ipv4, dst = task->packet.dst.ipv4;
  uint8_t protocol = task->packet.dst.protocol;
  uint16_t id = ipv4_next_id(ip, src, dst, protocol);
  ipv4_set_link_dst(task, mac);
  if (payload + NET_IPV4_HEADER_LEN > mtu)
    {
      ipv4_fragment(ip, task, parent, id);
      return;
    }
  uint8_t *h = net_buffer_push(task->packet.buffer, NET_IPV4_HEADER_LEN);
  ipv4_fill_header(h, (uint16_t)(payload + NET_IPV4_HEADER_LEN), id,
                   df ? 0x4000 : 0, ip->cfg.ttl, protocol, src, dst);
  ipv4_count(ip, IPV4_TX_PACKETS);
  net_task_packet_forward(task, parent);
}

/* A datagram for ourselves goes back through the receive path, header
   included, as if it came from the wire. */
static void ipv4_loopback(struct ipv4_s *ip, struct net_task_s *task)
{
  size_t payload = net_buffer_len(task->packet.buffer);
  if (!ipv4_tx_prepare(ip, task, NET_IPV4_MAX_DATAGRAM, false))
    return;
  uint32_t src = task->packet.src.ipv4, dst = task->packet.dst.ipv4;
  uint8_t protocol = task->packet.dst.protocol;
  uint8_t *h = net_buffer_push(task->packet.buffer, NET_IPV4_HEADER_LEN);
  ipv4_fill_header(h, (uint16_t)(payload + NET_IPV4_HEADER_LEN),
                   ipv4_next_id(ip, src, dst, protocol), 0, ip->cfg.ttl,
                   protocol, src, dst);
  ipv4_count(ip, IPV4_TX_LOOPBACK);
  /* The same task turns around, to ourselves. */
  net_task_inbound_push(task, &ip->layer, &ip->layer,
                        net_scheduler_time(ip->layer.scheduler), NULL, NULL,
                        net_task_packet_steal_buffer(task));
}

/* Source address for @dst: the address of the most specific subnet
   holding it (or holding the gateway), else the primary address. */
static uint32_t ipv4_select_source(const struct ipv4_s *ip, uint32_t dst)
{
  int best = -1;
  for (unsigned i = 0; i < ip->addr_count; i++)
    {
      uint32_t mask = net_ipv4_mask(ip->addrs[i].prefix_len);
      if ((dst & mask) == (ip->addrs[i].addr & mask)
          && (best < 0 || ip->addrs[i].prefix_len > ip->addrs[best].prefix_len))
        best = (int)i;
    }
  if (best >= 0)
    return ip->addrs[best].addr;
  if (ip->gateway && ip->gateway != dst)
    return ipv4_select_source(ip, ip->gateway);
  return ipv4_primary(ip);
}

static bool ipv4_on_link(const struct ipv4_s *ip, uint32_t dst)
{
  for (unsigned i = 0; i < ip->addr_count; i++)
    {
      uint32_t mask = net_ipv4_mask(ip->addrs[i].prefix_len);
      if ((dst & mask) == (ip->addrs[i].addr & mask))
        return true;
    }
  return false;
}

void ipv4_output(struct ipv4_s *ip, struct net_task_s *task)
{
  int protocol = ipv4_child_protocol(ip, task->source);
  if (protocol < 0 || !task->packet.buffer)
    {
      ipv4_count(ip, IPV4_DROP_BAD_TASK);
      net_task_destroy(task);
      return;
    }
  struct net_addr_s *s = &task->packet.src, *d = &task->packet.dst;
  s->protocol = d->protocol = (uint8_t)protocol;
  if (!(s->valid & NET_ADDR_IPV4))
    s->ipv4 = 0;
  if (!(d->valid & NET_ADDR_IPV4))
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_NO_ROUTE, 0);
      return;
    }
  uint32_t dst = d->ipv4;
  if (s->ipv4 && !ipv4_is_local(ip, s->ipv4))
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_BAD_SRC, 0);
      return;
    }
  if (!s->ipv4)
    s->ipv4 = ipv4_select_source(ip, dst);

  if (ipv4_is_local(ip, dst) || (dst >> 24) == 127)
    {
      ipv4_loopback(ip, task);
      return;
    }
  if (ipv4_is_broadcast(ip, dst))
    {
      ipv4_transmit(ip, task, net_mac_broadcast);
      return;
    }
  if ((dst >> 28) == 0xe)
    {
      /* RFC 1112 6.4: the low 23 bits of the group under 01:00:5e. */
      uint8_t mac[NET_MAC_LEN] = {0x01, 0x00, 0x5e, (uint8_t)((dst >> 16) & 0x7f),
                                  (uint8_t)(dst >> 8), (uint8_t)dst};
      ipv4_transmit(ip, task, mac);
      return;
    }
  if (dst == 0 || !s->ipv4)
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_NO_ROUTE, -ENETUNREACH);
      return;
    }
  uint32_t next_hop = ipv4_on_link(ip, dst) ? dst : ip->gateway;
  if (!next_hop)
    {
      ipv4_tx_drop(ip, task, IPV4_DROP_TX_NO_ROUTE, -ENETUNREACH);
      return;
    }
  ipv4_neigh_output(ip, task, next_hop);
}
