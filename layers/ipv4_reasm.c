/* IPv4 reassembly (RFC 791 section 3.2, RFC 815 ideas) with the defences
   of RFC 5722 / RFC 8200 4.5: a fragment that overlaps another poisons
   the whole datagram (dropped with every later fragment of it until the
   timeout), while an exact duplicate (same offset and end, as a
   duplicating link produces) is dropped alone.  Memory held is bounded in
   bytes and datagrams; the oldest datagrams give way.  One timer serves
   the whole table: every datagram has the same lifetime, so the list in
   arrival order is also in deadline order. */
#include <config.h>
#include "ipv4_private.h"
#include <net/checksum.h>
#include <net/layer/icmp.h>
#include <string.h>

struct ipv4_frag_s
{
  struct ipv4_frag_s *next;
  struct net_buffer_s *buf;   /* begins at the fragment's 20-byte header */
  uint32_t off, end;          /* payload bytes [off, end) of the datagram */
};

static void ipv4_reasm_free_frags(struct ipv4_s *ip, struct ipv4_reasm_s *d)
{
  struct ipv4_frag_s *f = d->frags;
  while (f)
    {
      struct ipv4_frag_s *next = f->next;
      net_buffer_refdec(f->buf);
      g_free(f);
      f = next;
    }
  d->frags = NULL;
  ip->reasm_mem -= d->mem;
  d->mem = 0;
  d->received = 0;
}

static void ipv4_reasm_free(struct ipv4_s *ip, struct ipv4_reasm_s *d)
{
  ipv4_reasm_free_frags(ip, d);
  g_queue_unlink(&ip->reasm_list, &d->link);
  g_free(d);
}

static struct ipv4_reasm_s *ipv4_reasm_find(struct ipv4_s *ip, uint32_t src,
                                            uint32_t dst, uint16_t id,
                                            uint8_t protocol)
{
  for (GList *l = ip->reasm_list.head; l; l = l->next)
    {
      struct ipv4_reasm_s *d = l->data;
      if (d->id == id && d->src == src && d->dst == dst && d->protocol == protocol)
        return d;
    }
  return NULL;
}

static struct ipv4_reasm_s *ipv4_reasm_oldest(struct ipv4_s *ip)
{
  return ip->reasm_list.head ? ip->reasm_list.head->data : NULL;
}

static void ipv4_reasm_poison(struct ipv4_s *ip, struct ipv4_reasm_s *d)
{
  ipv4_reasm_free_frags(ip, d);
  d->poisoned = true;
}

static struct ipv4_reasm_s *ipv4_reasm_create(struct ipv4_s *ip, uint32_t src,
                                              uint32_t dst, uint16_t id,
                                              uint8_t protocol)
{
  while (ip->reasm_list.length >= ip->cfg.reasm_max_datagrams)
    {
      ipv4_count(ip, IPV4_REASM_EVICTED);
      ipv4_reasm_free(ip, ipv4_reasm_oldest(ip));
    }
  struct ipv4_reasm_s *d = g_try_new0(struct ipv4_reasm_s, 1);
  if (!d)
    return NULL;
  d->src = src;
  d->dst = dst;
  d->id = id;
  d->protocol = protocol;
  d->deadline = net_scheduler_time(ip->layer.scheduler) + ip->cfg.reasm_timeout;
  d->link.data = d;
  g_queue_push_tail_link(&ip->reasm_list, &d->link);
  inet_timer_arm(&ip->reasm_timer, &ip->layer, d->deadline,
                 ip->cfg.reasm_timeout / 8);
  return d;
}

/* Copy the complete datagram into one buffer with its header in front. */
static struct net_buffer_s *ipv4_reasm_build(struct ipv4_s *ip,
                                             struct ipv4_reasm_s *d)
{
  size_t headroom = ip->layer.context.prefix_size;
  size_t len = NET_IPV4_HEADER_LEN + d->total;
  struct net_buffer_s *rb = net_scheduler_buffer_alloc(ip->layer.scheduler,
                                                       headroom, len);
  if (!rb && headroom + len <= net_buffer_pool_buffer_size(ip->reasm_pool))
    rb = net_buffer_alloc(ip->reasm_pool, headroom);
  if (!rb)
    return NULL;
  uint8_t *h = net_buffer_put(rb, len);
  /* frags[0] is at offset 0: complete and without overlap. */
  memcpy(h, net_buffer_data(d->frags->buf), NET_IPV4_HEADER_LEN);
  for (struct ipv4_frag_s *f = d->frags; f; f = f->next)
    memcpy(h + NET_IPV4_HEADER_LEN + f->off,
           net_buffer_data(f->buf) + NET_IPV4_HEADER_LEN, f->end - f->off);
  inet_wr16(h + 2, (uint16_t)len);
  inet_wr16(h + 6, 0);
  h[10] = h[11] = 0;
  uint16_t csum = net_csum(h, NET_IPV4_HEADER_LEN);
  memcpy(h + 10, &csum, 2);
  return rb;
}

static void ipv4_frag_drop(struct ipv4_s *ip, struct net_task_s *task,
                           enum ipv4_stat_e reason)
{
  ipv4_count(ip, reason);
  net_task_destroy(task);
}

struct net_task_s *ipv4_reasm_input(struct ipv4_s *ip, struct net_task_s *task,
                                    bool broadcast)
{
  struct net_buffer_s *buf = task->packet.buffer;
  const uint8_t *h = net_buffer_data(buf);
  uint16_t frag = inet_rd16(h + 6);
  uint32_t off = (uint32_t)(frag & 0x1fff) * 8;
  uint32_t plen = (uint32_t)net_buffer_len(buf) - NET_IPV4_HEADER_LEN;
  uint32_t end = off + plen;
  bool more = (frag & 0x2000) != 0;
  uint32_t src = inet_rd32(h + 12), dst = inet_rd32(h + 16);
  uint16_t id = inet_rd16(h + 4);
  uint8_t protocol = h[9];

  ipv4_count(ip, IPV4_FRAG_RECEIVED);
  struct ipv4_reasm_s *d = ipv4_reasm_find(ip, src, dst, id, protocol);
  if (d && d->poisoned)
    {
      ipv4_frag_drop(ip, task, IPV4_DROP_FRAG_POISONED);
      return NULL;
    }
  if (NET_IPV4_HEADER_LEN + end > ip->cfg.reasm_max_size)
    {
      /* Ping of death: the datagram could never be delivered. */
      if (d)
        ipv4_reasm_poison(ip, d);
      ipv4_frag_drop(ip, task, IPV4_DROP_FRAG_TOO_BIG);
      return NULL;
    }
  if (more && (plen == 0 || (plen & 7)))
    {
      ipv4_frag_drop(ip, task, IPV4_DROP_FRAG_BAD_LENGTH);
      return NULL;
    }
  if (!d && !(d = ipv4_reasm_create(ip, src, dst, id, protocol)))
    {
      ipv4_frag_drop(ip, task, IPV4_DROP_NOMEM);
      return NULL;
    }
  d->broadcast |= broadcast;

  /* The end of the datagram must be consistent across fragments. */
  if ((!more && d->total && d->total != end) || (more && d->total && end > d->total))
    {
      ipv4_reasm_poison(ip, d);
      ipv4_frag_drop(ip, task, IPV4_DROP_FRAG_OVERLAP);
      return NULL;
    }

  struct ipv4_frag_s **link = &d->frags;
  while (*link && (*link)->off < off)
    link = &(*link)->next;
  struct ipv4_frag_s *prev = NULL;
  for (struct ipv4_frag_s *f = d->frags; f && f != *link; f = f->next)
    prev = f;
  struct ipv4_frag_s *next = *link;
  if (next && next->off == off && next->end == end)
    {
      ipv4_frag_drop(ip, task, IPV4_DROP_FRAG_DUPLICATE);
      return NULL;
    }
  if ((prev && prev->end > off) || (next && next->off < end))
    {
      ipv4_reasm_poison(ip, d);
      ipv4_frag_drop(ip, task, IPV4_DROP_FRAG_OVERLAP);
      return NULL;
    }
  if (!more)
    {
      /* Nothing may lie beyond the last fragment. */
      struct ipv4_frag_s *last = d->frags;
      while (last && last->next)
        last = last->next;
      if (last && last->end > end)
        {
          ipv4_reasm_poison(ip, d);
          ipv4_frag_drop(ip, task, IPV4_DROP_FRAG_OVERLAP);
          return NULL;
        }
      d->total = end;
    }

  size_t cost = buf->size + sizeof(struct ipv4_frag_s);
  while (ip->reasm_mem + cost > ip->cfg.reasm_mem_max)
    {
      struct ipv4_reasm_s *old = ipv4_reasm_oldest(ip);
      if (old == d)
        break;
      ipv4_count(ip, IPV4_REASM_EVICTED);
      ipv4_reasm_free(ip, old);
    }
  if (ip->reasm_mem + cost > ip->cfg.reasm_mem_max)
    {
      ipv4_frag_drop(ip, task, IPV4_DROP_REASM_MEM);
      return NULL;
    }
  struct ipv4_frag_s *f = g_try_new(struct ipv4_frag_s, 1);
  if (!f)
    {
      ipv4_frag_drop(ip, task, IPV4_DROP_NOMEM);
      return NULL;
    }
  f->buf = net_task_packet_steal_buffer(task);
  f->off = off;
  f->end = end;
  f->next = next;
  *link = f;
  d->received += plen;
  d->mem += cost;
  ip->reasm_mem += cost;

  if (!d->total || d->received != d->total)
    {
      net_task_destroy(task);
      return NULL;
    }
  struct net_buffer_s *whole = ipv4_reasm_build(ip, d);
  ipv4_reasm_free(ip, d);
  if (!whole)
    {
      ipv4_frag_drop(ip, task, IPV4_DROP_REASM_NOBUF);
      return NULL;
    }
  ipv4_count(ip, IPV4_REASM_OK);
  task->packet.buffer = whole;
  return task;
}

void ipv4_reasm_timeout(struct ipv4_s *ip)
{
  net_time_t due = inet_timer_horizon(&ip->reasm_timer,
                                      net_scheduler_time(ip->layer.scheduler));
  struct ipv4_reasm_s *d;
  while ((d = ipv4_reasm_oldest(ip)) && d->deadline <= due)
    {
      if (!d->poisoned)
        {
          ipv4_count(ip, IPV4_REASM_TIMEOUT);
          /* RFC 792 / RFC 1122 3.3.2: time exceeded (reassembly) only when
             fragment zero arrived, so we can quote its header. */
          if (d->frags && d->frags->off == 0)
            ipv4_icmp_request(ip, net_buffer_refinc(d->frags->buf),
                              NET_ICMP_TIME_EXCEEDED, NET_ICMP_REASM_EXCEEDED,
                              0, d->broadcast);
        }
      ipv4_reasm_free(ip, d);
    }
  if (d)
    inet_timer_arm(&ip->reasm_timer, &ip->layer, d->deadline,
                   ip->cfg.reasm_timeout / 8);
}

void ipv4_reasm_flush(struct ipv4_s *ip)
{
  struct ipv4_reasm_s *d;
  while ((d = ipv4_reasm_oldest(ip)))
    ipv4_reasm_free(ip, d);
  inet_timer_cancel(&ip->reasm_timer, &ip->layer);
}
