/* IPv4 next-hop cache: what ARP answered, and the packets parked while it
   is being asked.  Sending to a known next hop costs one hash lookup, no
   task: ARP is queried once per resolution (and again when its answer
   expires, while packets keep flowing with the previous address). */
#include <config.h>
#include "ipv4_private.h"
#include <net/layer/icmp.h>
#include <string.h>

static struct ipv4_neigh_s *ipv4_neigh_lookup(struct ipv4_s *ip, uint32_t nh)
{
  if (ip->neigh_last && ip->neigh_last->ip == nh)
    return ip->neigh_last;
  struct ipv4_neigh_s *n = g_hash_table_lookup(ip->neigh, GUINT_TO_POINTER(nh));
  if (n)
    ip->neigh_last = n;
  return n;
}

static void ipv4_neigh_remove(struct ipv4_s *ip, struct ipv4_neigh_s *n)
{
  if (ip->neigh_last == n)
    ip->neigh_last = NULL;
  g_hash_table_remove(ip->neigh, GUINT_TO_POINTER(n->ip));
}

static struct net_task_s *ipv4_neigh_unpark(const struct ipv4_s *ip,
                                            struct ipv4_neigh_s *n)
{
  if (!n->parked_count)
    return NULL;
  struct net_task_s *task = n->parked[n->parked_head];
  n->parked_head = (n->parked_head + 1) % ip->cfg.neigh_queue_len;
  n->parked_count--;
  return task;
}

/* The least recently used resolved entry that no query is waiting on. */
static struct ipv4_neigh_s *ipv4_neigh_victim(struct ipv4_s *ip)
{
  GHashTableIter it;
  gpointer value;
  struct ipv4_neigh_s *victim = NULL;
  g_hash_table_iter_init(&it, ip->neigh);
  while (g_hash_table_iter_next(&it, NULL, &value))
    {
      struct ipv4_neigh_s *n = value;
      if (n->state == NEIGH_VALID && !n->querying
          && (!victim || n->used < victim->used))
        victim = n;
    }
  return victim;
}

static void ipv4_neigh_fail_task(struct ipv4_s *ip, struct net_task_s *task,
                                 enum ipv4_stat_e reason)
{
  ipv4_count(ip, reason);
  ipv4_error_local(ip, task->packet.buffer, task->packet.src.ipv4,
                   task->packet.dst.ipv4, task->packet.dst.protocol,
                   -EHOSTUNREACH, NET_ICMP_DEST_UNREACH, NET_ICMP_HOST_UNREACH, 0);
  net_task_destroy(task);
}

static bool ipv4_neigh_query(struct ipv4_s *ip, struct ipv4_neigh_s *n,
                             uint32_t sender)
{
  struct net_arp_query_s *q = net_arp_query_alloc(n->ip, sender);
  if (!q)
    return false;
  ipv4_count(ip, IPV4_NEIGH_QUERIES);
  n->querying = true;
  if (net_task_query_push(&q->task, ip->resolver, &ip->layer, NET_ARP_OP_RESOLVE))
    {
      n->querying = false;
      return false;
    }
  return true;
}

static void ipv4_neigh_park(struct ipv4_s *ip, struct ipv4_neigh_s *n,
                            struct net_task_s *task)
{
  unsigned cap = ip->cfg.neigh_queue_len;
  if (!n->parked)
    n->parked = g_try_new(struct net_task_s *, cap);
  if (!n->parked)
    {
      ipv4_count(ip, IPV4_DROP_TX_NOMEM);
      net_task_destroy(task);
      return;
    }
  if (n->parked_count == cap)
    {
      /* Keep the newest packets, like Linux's unres_qlen: the oldest are
         the likeliest to have been retransmitted already. */
      struct net_task_s *old = n->parked[n->parked_head];
      n->parked_head = (n->parked_head + 1) % cap;
      n->parked_count--;
      ipv4_count(ip, IPV4_DROP_NEIGH_QUEUE_FULL);
      net_task_destroy(old);
    }
  n->parked[(n->parked_head + n->parked_count) % cap] = task;
  n->parked_count++;
}

void ipv4_neigh_output(struct ipv4_s *ip, struct net_task_s *task,
                       uint32_t next_hop)
{
  net_time_t now = net_scheduler_time(ip->layer.scheduler);
  struct ipv4_neigh_s *n = ipv4_neigh_lookup(ip, next_hop);

  if (n && n->state == NEIGH_VALID)
    {
      n->used = now;
      if (now >= n->expires && !n->querying && ip->resolver)
        ipv4_neigh_query(ip, n, task->packet.src.ipv4);
      ipv4_transmit(ip, task, n->mac);
      return;
    }
  if (!ip->resolver)
    {
      ipv4_count(ip, IPV4_DROP_TX_NO_RESOLVER);
      net_task_destroy(task);
      return;
    }
  if (!n)
    {
      if (g_hash_table_size(ip->neigh) >= ip->cfg.neigh_max)
        {
          struct ipv4_neigh_s *victim = ipv4_neigh_victim(ip);
          if (!victim)
            {
              ipv4_neigh_fail_task(ip, task, IPV4_DROP_NEIGH_TABLE_FULL);
              return;
            }
          ipv4_neigh_remove(ip, victim);
        }
      n = g_try_new0(struct ipv4_neigh_s, 1);
      if (!n)
        {
          ipv4_count(ip, IPV4_DROP_TX_NOMEM);
          net_task_destroy(task);
          return;
        }
      n->ip = next_hop;
      n->state = NEIGH_RESOLVING;
      n->used = now;
      g_hash_table_insert(ip->neigh, GUINT_TO_POINTER(next_hop), n);
    }
  uint32_t sender = task->packet.src.ipv4;
  ipv4_neigh_park(ip, n, task);
  if (!n->querying && !ipv4_neigh_query(ip, n, sender))
    {
      ipv4_count(ip, IPV4_DROP_TX_NOMEM);
      struct net_task_s *t;
      while ((t = ipv4_neigh_unpark(ip, n)))
        net_task_destroy(t);
      ipv4_neigh_remove(ip, n);
    }
}

void ipv4_neigh_response(struct ipv4_s *ip, struct net_task_s *task)
{
  struct net_arp_query_s *q = net_container_of(task, struct net_arp_query_s, task);
  struct ipv4_neigh_s *n = ipv4_neigh_lookup(ip, q->ipv4);
  int err = task->query.err;
  if (!n || !n->querying)
    {
      net_task_destroy(task);
      return;
    }
  n->querying = false;
  if (err == 0)
    {
      n->state = NEIGH_VALID;
      memcpy(n->mac, q->mac, NET_MAC_LEN);
      n->expires = q->expires;
      net_task_destroy(task);
      struct net_task_s *t;
      while ((t = ipv4_neigh_unpark(ip, n)))
        ipv4_transmit(ip, t, n->mac);
      return;
    }
  net_task_destroy(task);
  /* Unreachable: what waited is lost and its senders are told; the next
     packet asks again (ARP answers at once while it holds the failure). */
  struct net_task_s *t;
  while ((t = ipv4_neigh_unpark(ip, n)))
    ipv4_neigh_fail_task(ip, t, IPV4_DROP_NEIGH_FAILED);
  ipv4_neigh_remove(ip, n);
}

void ipv4_neigh_flush(struct ipv4_s *ip)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, ip->neigh);
  while (g_hash_table_iter_next(&it, NULL, &value))
    {
      struct ipv4_neigh_s *n = value;
      struct net_task_s *t;
      while ((t = ipv4_neigh_unpark(ip, n)))
        net_task_destroy(t);
    }
  g_hash_table_remove_all(ip->neigh);
  ip->neigh_last = NULL;
}
