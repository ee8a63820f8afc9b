/* ARP layer (net/layer/arp.h): RFC 826 over Ethernet for IPv4, with a
   bounded neighbour cache (RFC 1122 2.3.2.1 flooding limits, Linux-like
   states) and resolution through QUERY tasks. */
#include <config.h>
#define G_LOG_DOMAIN "libnetwork"
#include <net/layer/arp.h>
#include <net/layer/ethernet.h>
#include <net/layer/ipv4.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <glib.h>
#include <string.h>
#include "inet_util.h"


#define ARP_HTYPE_ETHERNET 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_MAX_ADDRS 16
#define ARP_DEFEND_INTERVAL (10 * NET_NSEC_PER_SEC)   /* RFC 5227 */

#define ARP_STATS(X)                                                        \
  X(RX_PACKETS, "rx_packets")                                               \
  X(RX_REQUESTS, "rx_requests")                                             \
  X(RX_REPLIES, "rx_replies")                                               \
  X(RX_NOT_FOR_US, "rx_not_for_us")                                         \
  X(TX_REQUESTS, "tx_requests")                                             \
  X(TX_REPLIES, "tx_replies")                                               \
  X(TX_GRATUITOUS, "tx_gratuitous")                                         \
  X(DROP_TRUNCATED, "drop_truncated")                                       \
  X(DROP_BAD_FORMAT, "drop_bad_format")                                     \
  X(DROP_BAD_OP, "drop_bad_op")                                             \
  X(DROP_BAD_SENDER, "drop_bad_sender")                                     \
  X(DROP_OWN_MAC, "drop_own_mac")                                           \
  X(ADDR_CONFLICTS, "addr_conflicts")                                       \
  X(TX_DEFENSES, "tx_defenses")                                             \
  X(LEARNED, "learned")                                                     \
  X(MAC_CHANGED, "mac_changed")                                             \
  X(RESOLVED, "resolved")                                                   \
  X(RESOLVE_FAILED, "resolve_failed")                                       \
  X(QUERIES, "queries")                                                     \
  X(QUERY_NOBUFS, "query_nobufs")                                           \
  X(CACHE_EVICTED, "cache_evicted")                                         \
  X(CACHE_EXPIRED, "cache_expired")                                         \
  X(CACHE_ENTRIES, "cache_entries")                                         \
  X(DROP_NOMEM, "drop_nomem")                                               \
  X(DROP_BAD_TASK, "drop_bad_task")

enum arp_stat_e
{
#define X(id, name) ARP_##id,
  ARP_STATS(X)
#undef X
  ARP_STAT_COUNT
};

static const char *const arp_stat_names[ARP_STAT_COUNT] = {
#define X(id, name) name,
  ARP_STATS(X)
#undef X
};

enum arp_state_e
{
  ARPE_INCOMPLETE,   /* broadcast requests with back-off, queries wait */
  ARPE_RESOLVED,     /* REACHABLE until confirmed + reachable_time, then STALE */
  ARPE_PROBE,        /* STALE entry in use: unicast requests to re-confirm */
  ARPE_FAILED,       /* no answer: queries fail at once until failed_until */
};

struct arp_entry_s
{
  uint32_t ip;
  enum arp_state_e state;
  uint8_t mac[NET_MAC_LEN];
  unsigned tries;
  unsigned npending;
  net_time_t confirmed;
  net_time_t used;
  net_time_t deadline;       /* next retry (INCOMPLETE, PROBE) or end of FAILED */
  uint32_t sender;           /* our address our requests come from */
  struct net_arp_query_s **pending;
};

struct arp_s
{
  struct net_layer_s layer;
  struct net_arp_config_s cfg;
  uint32_t addrs[ARP_MAX_ADDRS];
  unsigned addr_count;
  bool announce_pending;
  bool defended;             /* last_defense is meaningful */
  net_time_t last_defense;
  GHashTable *cache;         /* ip -> struct arp_entry_s */
  struct inet_timer_s timer;
  uint64_t stats[ARP_STAT_COUNT];
};

enum { ARP_TIMER = NET_ARP_OP_BASE + 0x80 };

static const struct net_layer_handler_s arp_handler;

static struct arp_s *arp_from_layer(const struct net_layer_s *layer)
{
  return net_container_of(layer, struct arp_s, layer);
}

static net_time_t arp_now(const struct arp_s *arp)
{
  return net_scheduler_time(arp->layer.scheduler);
}

static bool arp_is_ours(const struct arp_s *arp, uint32_t ip)
{
  for (unsigned i = 0; i < arp->addr_count; i++)
    if (arp->addrs[i] == ip)
      return true;
  return false;
}

static bool arp_have_mac(const struct arp_s *arp)
{
  return net_layer_parent(&arp->layer) && (arp->layer.context.addr.valid & NET_ADDR_MAC);
}

/* ---- sending --------------------------------------------------------- */

static void arp_send(struct arp_s *arp, uint16_t op, const uint8_t eth_dst[NET_MAC_LEN],
                     uint32_t spa, const uint8_t tha[NET_MAC_LEN], uint32_t tpa)
{
  if (!arp_have_mac(arp))
    return;
  struct net_buffer_s *buf = net_layer_buffer_alloc(&arp->layer, NET_ARP_PACKET_LEN);
  uint8_t *p = buf ? net_buffer_put(buf, NET_ARP_PACKET_LEN) : NULL;
  struct net_task_s *task = p ? inet_task_alloc(&arp->layer) : NULL;
  if (!task)
    {
      if (buf)
        net_buffer_refdec(buf);
      arp->stats[ARP_DROP_NOMEM]++;
      return;
    }
  inet_wr16(p, ARP_HTYPE_ETHERNET);
  inet_wr16(p + 2, NET_ETHERTYPE_IPV4);
  p[4] = NET_MAC_LEN;
  p[5] = 4;
  inet_wr16(p + 6, op);
  memcpy(p + 8, arp->layer.context.addr.mac, NET_MAC_LEN);
  inet_wr32(p + 14, spa);
  memcpy(p + 18, tha, NET_MAC_LEN);
  inet_wr32(p + 24, tpa);
  struct net_addr_s dst = {.valid = NET_ADDR_MAC | NET_ADDR_ETHERTYPE,
                           .ethertype = NET_ETHERTYPE_ARP};
  memcpy(dst.mac, eth_dst, NET_MAC_LEN);
  net_task_outbound_push(task, net_layer_parent(&arp->layer), &arp->layer, NULL, &dst, buf);
}

static void arp_send_request(struct arp_s *arp, const struct arp_entry_s *e)
{
  static const uint8_t zero[NET_MAC_LEN];
  /* INCOMPLETE asks everybody; PROBE re-checks the known address only
     (RFC 1122 2.3.2.1: unicast first, less noise on the link). */
  const uint8_t *dst = e->state == ARPE_PROBE ? e->mac : net_mac_broadcast;
  /* The neighbour may check that the sender is on its subnet: ask from
     the address the waiting traffic comes from. */
  uint32_t spa = arp_is_ours(arp, e->sender) ? e->sender
    : arp->addr_count ? arp->addrs[0] : 0;
  arp->stats[ARP_TX_REQUESTS]++;
  arp_send(arp, ARP_OP_REQUEST, dst, spa, zero, e->ip);
}

static void arp_announce(struct arp_s *arp, uint32_t addr)
{
  static const uint8_t zero[NET_MAC_LEN];
  if (arp->cfg.no_gratuitous)
    return;
  if (!arp_have_mac(arp))
    {
      arp->announce_pending = true;
      return;
    }
  /* RFC 5227 2.3: an announcement is a request with sender = target. */
  arp->stats[ARP_TX_GRATUITOUS]++;
  arp_send(arp, ARP_OP_REQUEST, net_mac_broadcast, addr, zero, addr);
}

/* ---- cache ----------------------------------------------------------- */

static void arp_timer_arm(struct arp_s *arp, net_time_t deadline)
{
  inet_timer_arm(&arp->timer, &arp->layer, deadline, arp->cfg.retrans_time / 16);
}

static void arp_respond(struct net_arp_query_s *q, int err,
                        const uint8_t mac[NET_MAC_LEN], net_time_t expires)
{
  if (!err)
    {
      memcpy(q->mac, mac, NET_MAC_LEN);
      q->expires = expires;
    }
  net_task_query_respond_push(&q->task, err);
}

static void arp_entry_answer_pending(struct arp_entry_s *e, int err,
                                     net_time_t expires)
{
  for (unsigned i = 0; i < e->npending; i++)
    arp_respond(e->pending[i], err, e->mac, expires);
  e->npending = 0;
}

static void arp_entry_free(gpointer data)
{
  struct arp_entry_s *e = data;
  /* Only reached with pending queries on flush (dangling): the queriers
     must not wait for ever. */
  arp_entry_answer_pending(e, -ENETDOWN, 0);
  g_free(e->pending);
  g_free(e);
}

static void arp_entry_remove(struct arp_s *arp, struct arp_entry_s *e)
{
  g_hash_table_remove(arp->cache, GUINT_TO_POINTER(e->ip));
}

/* The least recently used entry that nobody waits on. */
static struct arp_entry_s *arp_victim(struct arp_s *arp)
{
  GHashTableIter it;
  gpointer value;
  struct arp_entry_s *victim = NULL;
  g_hash_table_iter_init(&it, arp->cache);
  while (g_hash_table_iter_next(&it, NULL, &value))
    {
      struct arp_entry_s *e = value;
      if (e->state != ARPE_INCOMPLETE && (!victim || e->used < victim->used))
        victim = e;
    }
  return victim;
}

static struct arp_entry_s *arp_entry_new(struct arp_s *arp, uint32_t ip,
                                         enum arp_state_e state)
{
  if (g_hash_table_size(arp->cache) >= arp->cfg.cache_max)
    {
      struct arp_entry_s *victim = arp_victim(arp);
      if (!victim)
        return NULL;
      arp->stats[ARP_CACHE_EVICTED]++;
      arp_entry_remove(arp, victim);
    }
  struct arp_entry_s *e = g_try_new0(struct arp_entry_s, 1);
  if (!e)
    return NULL;
  e->ip = ip;
  e->state = state;
  e->used = arp_now(arp);
  g_hash_table_insert(arp->cache, GUINT_TO_POINTER(ip), e);
  return e;
}

static bool arp_entry_reachable(const struct arp_s *arp,
                                const struct arp_entry_s *e, net_time_t now)
{
  return now < e->confirmed + arp->cfg.reachable_time;
}

/* A neighbour proved it owns @mac: the entry becomes REACHABLE and the
   queries waiting on it are answered. */
static void arp_entry_confirm(struct arp_s *arp, struct arp_entry_s *e,
                              const uint8_t mac[NET_MAC_LEN], net_time_t now)
{
  if (e->state != ARPE_INCOMPLETE && e->state != ARPE_FAILED
      && memcmp(e->mac, mac, NET_MAC_LEN))
    arp->stats[ARP_MAC_CHANGED]++;
  if (e->state == ARPE_INCOMPLETE)
    arp->stats[ARP_RESOLVED]++;
  memcpy(e->mac, mac, NET_MAC_LEN);
  e->state = ARPE_RESOLVED;
  e->confirmed = now;
  e->tries = 0;
  arp_entry_answer_pending(e, 0, now + arp->cfg.reachable_time);
}

/* Expire, retry and reclaim; re-arm for the next thing to do. */
static void arp_timer_run(struct arp_s *arp)
{
  net_time_t now = arp_now(arp), next = NET_TIME_NEVER;
  net_time_t due = inet_timer_horizon(&arp->timer, now);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, arp->cache);
  while (g_hash_table_iter_next(&it, NULL, &value))
    {
      struct arp_entry_s *e = value;
      switch (e->state)
        {
        case ARPE_INCOMPLETE:
        case ARPE_PROBE:
          if (e->deadline <= due)
            {
              if (e->tries < arp->cfg.retries)
                {
                  /* Exponential back-off: retrans, 2 retrans, 4 retrans... */
                  e->deadline = now + (arp->cfg.retrans_time << MIN(e->tries, 16u));
                  e->tries++;
                  arp_send_request(arp, e);
                }
              else if (e->state == ARPE_INCOMPLETE)
                {
                  arp->stats[ARP_RESOLVE_FAILED]++;
                  arp_entry_answer_pending(e, -EHOSTUNREACH, 0);
                  e->state = ARPE_FAILED;
                  e->deadline = now + arp->cfg.failed_hold;
                }
              else
                {
                  /* The neighbour went away: forget it, the next query
                     starts over with a broadcast. */
                  arp->stats[ARP_RESOLVE_FAILED]++;
                  g_hash_table_iter_remove(&it);
                  continue;
                }
            }
          next = MIN(next, e->deadline);
          break;
        case ARPE_FAILED:
          if (e->deadline <= due)
            {
              g_hash_table_iter_remove(&it);
              continue;
            }
          next = MIN(next, e->deadline);
          break;
        case ARPE_RESOLVED:
          {
            net_time_t last = MAX(e->used, e->confirmed);
            if (!arp_entry_reachable(arp, e, due)
                && due - last >= arp->cfg.gc_stale_time)
              {
                arp->stats[ARP_CACHE_EXPIRED]++;
                g_hash_table_iter_remove(&it);
                continue;
              }
            next = MIN(next, MAX(last + arp->cfg.gc_stale_time,
                                 e->confirmed + arp->cfg.reachable_time));
          }
          break;
        }
    }
  if (next != NET_TIME_NEVER)
    arp_timer_arm(arp, next);
}

/* ---- resolution queries ---------------------------------------------- */

static void arp_query(struct arp_s *arp, struct net_task_s *task)
{
  struct net_arp_query_s *q = net_container_of(task, struct net_arp_query_s, task);
  net_time_t now = arp_now(arp);
  arp->stats[ARP_QUERIES]++;
  if (net_ipv4_is_special(q->ipv4))
    {
      arp_respond(q, -EHOSTUNREACH, NULL, 0);
      return;
    }
  struct arp_entry_s *e = g_hash_table_lookup(arp->cache, GUINT_TO_POINTER(q->ipv4));
  if (e && e->state == ARPE_FAILED && e->deadline <= now)
    {
      arp_entry_remove(arp, e);
      e = NULL;
    }
  if (!e)
    {
      e = arp_entry_new(arp, q->ipv4, ARPE_INCOMPLETE);
      if (!e)
        {
          arp->stats[ARP_QUERY_NOBUFS]++;
          arp_respond(q, -ENOBUFS, NULL, 0);
          return;
        }
      e->tries = 1;
      e->deadline = now + arp->cfg.retrans_time;
      e->sender = q->sender;
      arp_send_request(arp, e);
      arp_timer_arm(arp, e->deadline);
    }
  e->used = now;
  if (q->sender && !e->sender)
    e->sender = q->sender;
  switch (e->state)
    {
    case ARPE_FAILED:
      arp_respond(q, -EHOSTUNREACH, NULL, 0);
      return;
    case ARPE_INCOMPLETE:
      if (!e->pending)
        e->pending = g_try_new(struct net_arp_query_s *, arp->cfg.pending_max);
      if (!e->pending || e->npending == arp->cfg.pending_max)
        {
          arp->stats[ARP_QUERY_NOBUFS]++;
          arp_respond(q, -ENOBUFS, NULL, 0);
          return;
        }
      e->pending[e->npending++] = q;
      return;
    case ARPE_RESOLVED:
      if (arp_entry_reachable(arp, e, now))
        {
          arp_respond(q, 0, e->mac, e->confirmed + arp->cfg.reachable_time);
          return;
        }
      /* STALE: keep it usable a little, and check it is still there. */
      e->state = ARPE_PROBE;
      e->tries = 1;
      e->deadline = now + arp->cfg.retrans_time;
      arp_send_request(arp, e);
      arp_timer_arm(arp, e->deadline);
      arp_respond(q, 0, e->mac, now + arp->cfg.retrans_time);
      return;
    case ARPE_PROBE:
      arp_respond(q, 0, e->mac, MIN(e->deadline, now + arp->cfg.retrans_time));
      return;
    }
}

/* ---- receive --------------------------------------------------------- */

static void arp_input(struct arp_s *arp, struct net_task_s *task)
{
  struct net_buffer_s *buf = task->packet.buffer;
  arp->stats[ARP_RX_PACKETS]++;
  if (!buf || net_buffer_len(buf) < NET_ARP_PACKET_LEN)
    {
      arp->stats[buf ? ARP_DROP_TRUNCATED : ARP_DROP_BAD_TASK]++;
      net_task_destroy(task);
      return;
    }
  const uint8_t *p = net_buffer_data(buf);
  if (inet_rd16(p) != ARP_HTYPE_ETHERNET || inet_rd16(p + 2) != NET_ETHERTYPE_IPV4
      || p[4] != NET_MAC_LEN || p[5] != 4)
    {
      arp->stats[ARP_DROP_BAD_FORMAT]++;
      net_task_destroy(task);
      return;
    }
  uint16_t op = inet_rd16(p + 6);
  if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
    {
      arp->stats[ARP_DROP_BAD_OP]++;
      net_task_destroy(task);
      return;
    }
  uint8_t sha[NET_MAC_LEN];
  memcpy(sha, p + 8, NET_MAC_LEN);
  uint32_t spa = inet_rd32(p + 14), tpa = inet_rd32(p + 24);
  net_task_destroy(task);
  arp->stats[op == ARP_OP_REQUEST ? ARP_RX_REQUESTS : ARP_RX_REPLIES]++;

  /* A group or null hardware address, or a group protocol address, is a
     forgery or a misconfiguration: learning it would poison the cache.
     spa 0 is an RFC 5227 probe: answered, not learned. */
  static const uint8_t zero[NET_MAC_LEN];
  if ((sha[0] & 1) || !memcmp(sha, zero, NET_MAC_LEN)
      || (spa != 0 && net_ipv4_is_special(spa)))
    {
      arp->stats[ARP_DROP_BAD_SENDER]++;
      return;
    }
  if (arp_have_mac(arp) && !memcmp(sha, arp->layer.context.addr.mac, NET_MAC_LEN))
    {
      arp->stats[ARP_DROP_OWN_MAC]++;
      return;
    }
  if (spa != 0 && arp_is_ours(arp, spa))
    {
      char text[16];
      uint64_t n = ++arp->stats[ARP_ADDR_CONFLICTS];
      /* Logged at 1, 2, 4, 8... occurrences: a flood of forged claims
         must not flood the log too. */
      if ((n & (n - 1)) == 0)
        g_message("arp: another host claims our address %s (%llu times)",
                  net_ipv4_format(spa, text), (unsigned long long)n);
      /* RFC 5227 2.4 (b): defend the address with one announcement, at
         most every DEFEND_INTERVAL, so that caches others poisoned heal
         without an ARP storm between two hosts that both insist. */
      net_time_t now = arp_now(arp);
      if (!arp->defended || now - arp->last_defense >= ARP_DEFEND_INTERVAL)
        {
          arp->defended = true;
          arp->last_defense = now;
          arp->stats[ARP_TX_DEFENSES]++;
          arp_announce(arp, spa);
        }
      return;
    }

  net_time_t now = arp_now(arp);
  bool for_us = arp_is_ours(arp, tpa);
  /* RFC 826 merge: refresh what we already know about the sender. */
  struct arp_entry_s *e = spa ? g_hash_table_lookup(arp->cache, GUINT_TO_POINTER(spa)) : NULL;
  if (e)
    {
      if (e->state == ARPE_FAILED)
        e->state = ARPE_INCOMPLETE;
      arp_entry_confirm(arp, e, sha, now);
    }
  else if (spa && for_us)
    {
      /* It talks to us, we will likely answer it: learn it. */
      e = arp_entry_new(arp, spa, ARPE_RESOLVED);
      if (e)
        {
          arp->stats[ARP_LEARNED]++;
          memcpy(e->mac, sha, NET_MAC_LEN);
          e->confirmed = now;
          arp_timer_arm(arp, now + arp->cfg.gc_stale_time);
        }
    }
  if (!for_us)
    {
      arp->stats[ARP_RX_NOT_FOR_US]++;
      return;
    }
  if (op == ARP_OP_REQUEST)
    {
      arp->stats[ARP_TX_REPLIES]++;
      arp_send(arp, ARP_OP_REPLY, sha, tpa, sha, spa);
    }
}

/* ---- layer ----------------------------------------------------------- */

static void arp_addr_change(struct arp_s *arp, uint32_t opcode, uint32_t addr)
{
  if (opcode == NET_ARP_OP_ADDR_ADD)
    {
      if (arp_is_ours(arp, addr))
        return;
      if (arp->addr_count == ARP_MAX_ADDRS)
        {
          g_warning("arp: too many addresses");
          return;
        }
      arp->addrs[arp->addr_count++] = addr;
      /* A cached entry for it is someone else's claim on our address. */
      struct arp_entry_s *e = g_hash_table_lookup(arp->cache, GUINT_TO_POINTER(addr));
      if (e && e->state != ARPE_INCOMPLETE)
        arp_entry_remove(arp, e);
      arp_announce(arp, addr);
      return;
    }
  for (unsigned i = 0; i < arp->addr_count; i++)
    if (arp->addrs[i] == addr)
      {
        arp->addrs[i] = arp->addrs[--arp->addr_count];
        return;
      }
}

static void arp_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct arp_s *arp = arp_from_layer(layer);
  switch (task->type)
    {
    case NET_TASK_INBOUND:
      arp_input(arp, task);
      return;
    case NET_TASK_QUERY:
      if (task->query.opcode == NET_ARP_OP_RESOLVE)
        {
          arp_query(arp, task);
          return;
        }
      net_task_query_respond_push(task, -EOPNOTSUPP);
      return;
    case NET_TASK_TIMEOUT:
      if (inet_timer_fired(&arp->timer, task))
        arp_timer_run(arp);
      net_task_destroy(task);
      return;
    case NET_TASK_NOTIFICATION:
      if (task->notification.opcode == NET_ARP_OP_ADDR_ADD
          || task->notification.opcode == NET_ARP_OP_ADDR_DEL)
        arp_addr_change(arp, task->notification.opcode,
                        (uint32_t)task->notification.arg);
      else
        arp->stats[ARP_DROP_BAD_TASK]++;
      net_task_destroy(task);
      return;
    default:
      arp->stats[ARP_DROP_BAD_TASK]++;
      net_task_destroy(task);
      return;
    }
}

static void arp_context_changed(struct net_layer_s *layer)
{
  struct arp_s *arp = arp_from_layer(layer);
  if (arp->announce_pending && arp_have_mac(arp))
    {
      arp->announce_pending = false;
      for (unsigned i = 0; i < arp->addr_count; i++)
        arp_announce(arp, arp->addrs[i]);
    }
}

static void arp_dangling(struct net_layer_s *layer)
{
  struct arp_s *arp = arp_from_layer(layer);
  inet_timer_forget(&arp->timer);
  g_hash_table_remove_all(arp->cache);
  arp->announce_pending = arp->addr_count > 0;
}

static size_t arp_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                        size_t max)
{
  struct arp_s *arp = arp_from_layer(layer);
  arp->stats[ARP_CACHE_ENTRIES] = g_hash_table_size(arp->cache);
  return inet_stats_copy(arp_stat_names, arp->stats, ARP_STAT_COUNT, out, max);
}

static void arp_destroyed(struct net_layer_s *layer)
{
  struct arp_s *arp = arp_from_layer(layer);
  g_hash_table_destroy(arp->cache);
  g_free(arp);
}

static const struct net_layer_handler_s arp_handler = {
  .type_name = "arp",
  .destroyed = arp_destroyed,
  .task_handle = arp_task_handle,
  .dangling = arp_dangling,
  .context_changed = arp_context_changed,
  .stats = arp_stats,
};

int net_arp_create(struct net_scheduler_s *sched,
                   const struct net_arp_config_s *config,
                   struct net_layer_s **layer)
{
  if (!sched || !layer)
    return -EINVAL;
  struct arp_s *arp = g_try_new0(struct arp_s, 1);
  if (!arp)
    return -ENOMEM;
  if (config)
    arp->cfg = *config;
  if (!arp->cfg.cache_max)
    arp->cfg.cache_max = 256;
  if (!arp->cfg.reachable_time)
    arp->cfg.reachable_time = 30 * NET_NSEC_PER_SEC;
  if (!arp->cfg.retrans_time)
    arp->cfg.retrans_time = NET_NSEC_PER_SEC;
  if (!arp->cfg.retries)
    arp->cfg.retries = 3;
  if (!arp->cfg.failed_hold)
    arp->cfg.failed_hold = NET_NSEC_PER_SEC;
  if (!arp->cfg.gc_stale_time)
    arp->cfg.gc_stale_time = 60 * NET_NSEC_PER_SEC;
  if (!arp->cfg.pending_max)
    arp->cfg.pending_max = 8;
  arp->cache = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                     arp_entry_free);
  arp->timer.opcode = ARP_TIMER;
  int err = net_layer_init(&arp->layer, &arp_handler, sched, NULL, NULL);
  if (err)
    {
      g_hash_table_destroy(arp->cache);
      g_free(arp);
      return err;
    }
  *layer = &arp->layer;
  return 0;
}

static void arp_query_free(struct net_task_s *task)
{
  g_free(net_container_of(task, struct net_arp_query_s, task));
}

struct net_arp_query_s *net_arp_query_alloc(uint32_t ipv4, uint32_t sender)
{
  struct net_arp_query_s *q = g_try_new0(struct net_arp_query_s, 1);
  if (!q)
    return NULL;
  net_task_init(&q->task, arp_query_free);
  q->ipv4 = ipv4;
  q->sender = sender;
  return q;
}
