/* IPv4 receive path: header validation (RFC 791, RFC 1122 3.2.1),
   options, reassembly hand-off and delivery by protocol number. */
#include <config.h>
#include "ipv4_private.h"
#include <net/checksum.h>
#include <net/layer/icmp.h>
#include <string.h>

#define IPOPT_END 0
#define IPOPT_NOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

enum { OPTIONS_OK, OPTIONS_BAD, OPTIONS_SOURCE_ROUTE };

/* Walk the option list with bounds checks.  Source routes are refused
   like Linux's default accept_source_route=0: a host has no business
   relaying and the option is a spoofing tool. */
static int ipv4_options_check(const uint8_t *opt, size_t len)
{
  size_t i = 0;
  while (i < len)
    {
      uint8_t type = opt[i];
      if (type == IPOPT_END)
        break;
      if (type == IPOPT_NOP)
        {
          i++;
          continue;
        }
      if (i + 1 >= len)
        return OPTIONS_BAD;
      uint8_t olen = opt[i + 1];
      if (olen < 2 || olen > len - i)
        return OPTIONS_BAD;
      if (type == IPOPT_LSRR || type == IPOPT_SSRR)
        return OPTIONS_SOURCE_ROUTE;
      i += olen;
    }
  return OPTIONS_OK;
}

static void ipv4_drop(struct ipv4_s *ip, struct net_task_s *task,
                      enum ipv4_stat_e reason)
{
  ipv4_count(ip, reason);
  net_task_destroy(task);
}

void ipv4_deliver(struct ipv4_s *ip, struct net_task_s *task,
                  uint32_t src, uint32_t dst, uint8_t protocol,
                  bool broadcast)
{
  struct net_buffer_s *buf = task->packet.buffer;
  struct net_layer_s *child = ip->children[protocol];
  if (!child)
    {
      ipv4_count(ip, IPV4_DROP_NO_PROTOCOL);
      ipv4_icmp_request(ip, net_task_packet_steal_buffer(task),
                        NET_ICMP_DEST_UNREACH, NET_ICMP_PROT_UNREACH, 0,
                        broadcast);
      net_task_destroy(task);
      return;
    }
  net_buffer_pull(buf, NET_IPV4_HEADER_LEN);

  /* Keep the link addresses (a child may want them), replace the rest. */
  struct net_addr_s *s = &task->packet.src, *d = &task->packet.dst;
  s->valid = (uint8_t)((s->valid & NET_ADDR_MAC) | NET_ADDR_IPV4 | NET_ADDR_PROTOCOL);
  d->valid = (uint8_t)((d->valid & NET_ADDR_MAC) | NET_ADDR_IPV4 | NET_ADDR_PROTOCOL);
  if (broadcast)
    d->valid |= NET_IPV4_ADDR_BROADCAST;
  s->ipv4 = src;
  d->ipv4 = dst;
  s->protocol = d->protocol = protocol;
  s->port = d->port = 0;
  ipv4_count(ip, IPV4_RX_DELIVERED);
  net_task_packet_forward(task, child);
}

void ipv4_input(struct ipv4_s *ip, struct net_task_s *task)
{
  ipv4_count(ip, IPV4_RX_PACKETS);
  if (!task->packet.buffer)
    {
      ipv4_drop(ip, task, IPV4_DROP_BAD_TASK);
      return;
    }
  /* We pull, trim and may rewrite the header: work on our own copy when
     someone else (a dumper) still looks at the frame. */
  if (net_buffer_is_shared(task->packet.buffer)
      && net_buffer_make_writable(&task->packet.buffer))
    {
      ipv4_drop(ip, task, IPV4_DROP_NOMEM);
      return;
    }
  struct net_buffer_s *buf = task->packet.buffer;
  size_t len = net_buffer_len(buf);
  uint8_t *h = net_buffer_data(buf);

  if (len < NET_IPV4_HEADER_LEN)
    {
      ipv4_drop(ip, task, IPV4_DROP_TRUNCATED);
      return;
    }
  if (h[0] >> 4 != 4)
    {
      ipv4_drop(ip, task, IPV4_DROP_BAD_VERSION);
      return;
    }
  size_t hlen = (size_t)(h[0] & 0x0f) * 4;
  if (hlen < NET_IPV4_HEADER_LEN)
    {
      ipv4_drop(ip, task, IPV4_DROP_BAD_IHL);
      return;
    }
  if (hlen > len)
    {
      ipv4_drop(ip, task, IPV4_DROP_TRUNCATED);
      return;
    }
  if (net_csum(h, hlen) != 0)
    {
      ipv4_drop(ip, task, IPV4_DROP_BAD_CHECKSUM);
      return;
    }
  size_t total = inet_rd16(h + 2);
  if (total < hlen)
    {
      ipv4_drop(ip, task, IPV4_DROP_BAD_LENGTH);
      return;
    }
  if (total > len)
    {
      ipv4_drop(ip, task, IPV4_DROP_TRUNCATED);
      return;
    }
  net_buffer_trim(buf, total);   /* link padding */
  uint16_t frag = inet_rd16(h + 6);
  if (frag & 0x8000)
    {
      ipv4_drop(ip, task, IPV4_DROP_BAD_FLAGS);
      return;
    }

  uint32_t src = inet_rd32(h + 12), dst = inet_rd32(h + 16);
  bool from_self = task->source == &ip->layer;
  /* RFC 1122 3.2.1.3: never accept a broadcast, multicast or loopback
     source from the wire, nor our own address (a loop or a spoof). */
  if (!from_self
      && (net_ipv4_is_special(src) || (src >> 24) == 127
          || ipv4_is_broadcast(ip, src) || ipv4_is_local(ip, src)))
    {
      ipv4_drop(ip, task, IPV4_DROP_MARTIAN_SRC);
      return;
    }
  bool broadcast = false;
  if (ipv4_is_local(ip, dst) || (from_self && (dst >> 24) == 127))
    ;
  else if (ipv4_is_broadcast(ip, dst) || dst == 0xe0000001u /* all hosts */)
    broadcast = true;
  else
    {
      ipv4_drop(ip, task, IPV4_DROP_NOT_OURS);
      return;
    }
  const struct net_addr_s *ldst = &task->packet.dst;
  if ((ldst->valid & NET_ADDR_MAC) && (ldst->mac[0] & 1))
    broadcast = true;   /* RFC 1122 3.3.6: a link broadcast counts too */
  if (broadcast)
    ipv4_count(ip, IPV4_RX_BROADCAST);

  if (hlen > NET_IPV4_HEADER_LEN)
    {
      switch (ipv4_options_check(h + NET_IPV4_HEADER_LEN, hlen - NET_IPV4_HEADER_LEN))
        {
        case OPTIONS_BAD:
          ipv4_drop(ip, task, IPV4_DROP_BAD_OPTIONS);
          return;
        case OPTIONS_SOURCE_ROUTE:
          ipv4_drop(ip, task, IPV4_DROP_SOURCE_ROUTE);
          return;
        default:
          break;
        }
      /* Cut the options out so that the 20 bytes in front of the
         transport header are the (now option-less) header: children
         rely on it to quote the datagram in ICMP errors. */
      size_t optlen = hlen - NET_IPV4_HEADER_LEN;
      memmove(h + optlen, h, NET_IPV4_HEADER_LEN);
      net_buffer_pull(buf, optlen);
      h = net_buffer_data(buf);
      h[0] = 0x45;
      inet_wr16(h + 2, (uint16_t)(total - optlen));
      h[10] = h[11] = 0;
      uint16_t csum = net_csum(h, NET_IPV4_HEADER_LEN);
      memcpy(h + 10, &csum, 2);
    }

  if (frag & 0x3fff)   /* MF or a non-zero offset: a fragment */
    {
      task = ipv4_reasm_input(ip, task, broadcast);
      if (!task)
        return;
      h = net_buffer_data(task->packet.buffer);
    }
  ipv4_deliver(ip, task, src, dst, h[9], broadcast);
}
