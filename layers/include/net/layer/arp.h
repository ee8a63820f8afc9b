/**
 * @file net/layer/arp.h
 * @brief ARP layer (RFC 826) for IPv4 over Ethernet: bound under Ethernet
 * with ethertype 0x0806, it answers requests for our addresses, keeps a
 * bounded neighbour cache and resolves next hops for the IPv4 layer.
 *
 * Resolution contract (for IPv4, or any layer of the same stack):
 * - QUERY NET_ARP_OP_RESOLVE with a struct net_arp_query_s whose @c ipv4
 *   is the next hop.  The RESPONSE comes back with query.err = 0 and @c mac
 *   and @c expires set (the answer may be used until then without asking
 *   again), or -EHOSTUNREACH (no answer after the retries; the entry is
 *   held FAILED for failed_hold, during which queries fail at once),
 *   -ENOBUFS (cache full of unresolved entries, or too many queries
 *   pending on that entry), -ENETDOWN (the layer lost its parent).
 * - The caller parks the packets of an unresolved next hop itself (IPv4
 *   keeps a bounded queue per next hop), so a query is one task per
 *   resolution, not per packet.
 *
 * Our own addresses: NOTIFICATION NET_ARP_OP_ADDR_ADD / _DEL with
 * notification.arg = the host-order address (IPv4 sends them).  Adding
 * one announces it with a gratuitous ARP request once the layer knows its
 * MAC (RFC 5227 section 3).  Another host claiming one of our addresses
 * is counted (addr_conflicts), logged, and answered with one announcement
 * at most every 10 s (RFC 5227 2.4 (b), defend_interval).
 *
 * Cache entries: INCOMPLETE (requests sent with exponential back-off),
 * REACHABLE (confirmed by a reply or a request from the neighbour, for
 * reachable_time), STALE (older; still answered, with a short validity,
 * while a unicast probe refreshes it), FAILED.  Unused STALE entries are
 * reclaimed after gc_stale_time; when the cache is full the least
 * recently used resolved entry is replaced.
 */
#ifndef NET_LAYER_ARP_H_
#define NET_LAYER_ARP_H_

#include <net/layer.h>
#include <net/task.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_ARP_PACKET_LEN 28   /**< Ethernet/IPv4 ARP payload */

/** Opcodes of the tasks the ARP layer handles. */
enum net_arp_opcode_e
{
  NET_ARP_OP_BASE = NET_OP_LAYER_BASE + 0x0600,
  NET_ARP_OP_RESOLVE,    /**< QUERY: struct net_arp_query_s */
  NET_ARP_OP_ADDR_ADD,   /**< NOTIFICATION: arg = our new address */
  NET_ARP_OP_ADDR_DEL,   /**< NOTIFICATION: arg = a removed address */
};

/** Resolution request; allocate with net_arp_query_alloc(). */
struct net_arp_query_s
{
  struct net_task_s task;    /**< the QUERY, then its RESPONSE */
  uint32_t ipv4;             /**< in: next hop, host order */
  uint32_t sender;           /**< in: our address to ask from (the source of
                                  the waiting packet; 0 or not ours: the
                                  first configured address) */
  uint8_t mac[6];            /**< out: its Ethernet address */
  net_time_t expires;        /**< out: the answer is valid until then */
};

/** Configuration; zero fields take the default in brackets. */
struct net_arp_config_s
{
  unsigned cache_max;          /**< entries [256] */
  net_time_t reachable_time;   /**< validity of a confirmation [30 s] */
  net_time_t retrans_time;     /**< first retry delay, doubled each time [1 s] */
  unsigned retries;            /**< requests before giving up [3] */
  net_time_t failed_hold;      /**< FAILED entries answer at once for [1 s] */
  net_time_t gc_stale_time;    /**< unused STALE entries live [60 s] */
  unsigned pending_max;        /**< queries waiting on one entry [8] */
  bool no_gratuitous;          /**< do not announce configured addresses */
};

/**
 * Create an ARP layer on @p sched (bind it under an Ethernet layer with
 * ethertype NET_ETHERTYPE_ARP).  @p config may be NULL.
 * @return 0 and *@p layer with one reference owned by the caller,
 * -EINVAL, -ENOMEM.
 */
int net_arp_create(struct net_scheduler_s *sched,
                   const struct net_arp_config_s *config,
                   struct net_layer_s **layer);

/**
 * Allocate a resolution query for @p ipv4 asked from our address
 * @p sender (push it with
 * net_task_query_push(&q->task, arp, me, NET_ARP_OP_RESOLVE)).
 * @return the query or NULL (-ENOMEM).  net_task_destroy() frees it.
 */
struct net_arp_query_s *net_arp_query_alloc(uint32_t ipv4, uint32_t sender);

#ifdef __cplusplus
}
#endif

#endif
