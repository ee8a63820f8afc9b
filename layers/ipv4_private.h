/* Private state of the IPv4 layer, shared by its files:
   ipv4.c (layer, configuration), ipv4_input.c (validation, delivery),
   ipv4_output.c (routing, header, fragmentation), ipv4_neigh.c (next-hop
   cache and parked packets), ipv4_reasm.c (reassembly). */
#ifndef NET_LAYERS_IPV4_PRIVATE_H_
#define NET_LAYERS_IPV4_PRIVATE_H_

#include <net/layer/ipv4.h>
#include <net/layer/arp.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <glib.h>
#include "inet_util.h"

/* Every counter of the layer, in the order the stats method reports them. */
#define IPV4_STATS(X)                                                       \
  X(RX_PACKETS, "rx_packets")                                               \
  X(RX_DELIVERED, "rx_delivered")                                           \
  X(RX_BROADCAST, "rx_broadcast")                                           \
  X(DROP_TRUNCATED, "drop_truncated")                                       \
  X(DROP_BAD_VERSION, "drop_bad_version")                                   \
  X(DROP_BAD_IHL, "drop_bad_ihl")                                           \
  X(DROP_BAD_LENGTH, "drop_bad_length")                                     \
  X(DROP_BAD_CHECKSUM, "drop_bad_checksum")                                 \
  X(DROP_BAD_FLAGS, "drop_bad_flags")                                       \
  X(DROP_BAD_OPTIONS, "drop_bad_options")                                   \
  X(DROP_SOURCE_ROUTE, "drop_source_route")                                 \
  X(DROP_MARTIAN_SRC, "drop_martian_src")                                   \
  X(DROP_NOT_OURS, "drop_not_ours")                                         \
  X(DROP_NO_PROTOCOL, "drop_no_protocol")                                   \
  X(DROP_NOMEM, "drop_nomem")                                               \
  X(DROP_BAD_TASK, "drop_bad_task")                                         \
  X(FRAG_RECEIVED, "frag_received")                                         \
  X(REASM_OK, "reasm_ok")                                                   \
  X(REASM_TIMEOUT, "reasm_timeout")                                         \
  X(REASM_EVICTED, "reasm_evicted")                                         \
  X(REASM_DATAGRAMS, "reasm_datagrams")                                     \
  X(REASM_BYTES, "reasm_bytes")                                             \
  X(NEIGH_ENTRIES, "neigh_entries")                                         \
  X(DROP_FRAG_OVERLAP, "drop_frag_overlap")                                 \
  X(DROP_FRAG_DUPLICATE, "drop_frag_duplicate")                             \
  X(DROP_FRAG_POISONED, "drop_frag_poisoned")                               \
  X(DROP_FRAG_BAD_LENGTH, "drop_frag_bad_length")                           \
  X(DROP_FRAG_TOO_BIG, "drop_frag_too_big")                                 \
  X(DROP_REASM_MEM, "drop_reasm_mem")                                       \
  X(DROP_REASM_NOBUF, "drop_reasm_nobuf")                                   \
  X(TX_PACKETS, "tx_packets")                                               \
  X(TX_FRAGMENTS, "tx_fragments")                                           \
  X(TX_LOOPBACK, "tx_loopback")                                             \
  X(DROP_TX_NO_ROUTE, "drop_tx_no_route")                                   \
  X(DROP_TX_BAD_SRC, "drop_tx_bad_src")                                     \
  X(DROP_TX_NO_LINK, "drop_tx_no_link")                                     \
  X(DROP_TX_TOO_BIG, "drop_tx_too_big")                                     \
  X(DROP_TX_DF, "drop_tx_df")                                               \
  X(DROP_TX_NOMEM, "drop_tx_nomem")                                         \
  X(DROP_TX_NO_RESOLVER, "drop_tx_no_resolver")                             \
  X(DROP_NEIGH_QUEUE_FULL, "drop_neigh_queue_full")                         \
  X(DROP_NEIGH_FAILED, "drop_neigh_failed")                                 \
  X(DROP_NEIGH_TABLE_FULL, "drop_neigh_table_full")                         \
  X(NEIGH_QUERIES, "neigh_queries")                                         \
  X(ICMP_REQUESTS, "icmp_requests")                                         \
  X(DROP_ICMP_REQUEST, "drop_icmp_request")                                 \
  X(ERRORS_DELIVERED, "errors_delivered")                                   \
  X(DROP_ERROR, "drop_error")                                               \
  X(CONFIG_ERRORS, "config_errors")

enum ipv4_stat_e
{
#define X(id, name) IPV4_##id,
  IPV4_STATS(X)
#undef X
  IPV4_STAT_COUNT
};

#define IPV4_ID_BUCKETS 2048

/* Next-hop cache entry (ipv4_neigh.c). */
struct ipv4_neigh_s
{
  uint32_t ip;
  enum { NEIGH_RESOLVING, NEIGH_VALID } state;
  bool querying;          /* a QUERY is in flight at the resolver */
  uint8_t mac[NET_MAC_LEN];
  net_time_t expires;     /* VALID: answer usable until, then re-asked */
  net_time_t used;        /* last packet sent through it (LRU) */
  unsigned parked_count;
  unsigned parked_head;
  struct net_task_s **parked;   /* ring of neigh_queue_len OUTBOUND tasks */
};

/* One incomplete datagram (ipv4_reasm.c). */
struct ipv4_frag_s;
struct ipv4_reasm_s
{
  uint32_t src, dst;
  uint16_t id;
  uint8_t protocol;
  bool poisoned;          /* overlap seen: drop everything until timeout */
  bool broadcast;
  uint32_t total;         /* payload length once the last fragment is in */
  uint32_t received;      /* payload bytes held (no overlap, so exact) */
  size_t mem;             /* buffer bytes held */
  net_time_t deadline;
  struct ipv4_frag_s *frags;   /* sorted by offset */
  GList link;             /* in ipv4_s.reasm_list, oldest first */
};

struct ipv4_s
{
  struct net_layer_s layer;
  struct net_ipv4_config_s cfg;   /* limits, with defaults applied */
  struct net_ipv4_ifaddr_s addrs[NET_IPV4_MAX_ADDRS];
  unsigned addr_count;
  uint32_t gateway;
  struct net_layer_s *resolver;   /* ARP, strong reference, or NULL */
  struct net_layer_s *children[256];
  GHashTable *child_protocols;    /* child layer -> protocol + 1 */
  const struct net_layer_s *last_child;   /* lookup cache of the above */
  int last_protocol;

  uint8_t id_key[16];
  uint16_t ids[IPV4_ID_BUCKETS];
  uint32_t id_last_src, id_last_dst;   /* the flow hashed last... */
  int id_last_protocol;                /* ...(-1: none)... */
  uint32_t id_last_bucket;             /* ...and its bucket */

  GHashTable *neigh;              /* next hop -> struct ipv4_neigh_s */
  struct ipv4_neigh_s *neigh_last;/* one-entry lookup cache */

  GQueue reasm_list;              /* struct ipv4_reasm_s, oldest first */
  size_t reasm_mem;
  struct inet_timer_s reasm_timer;
  struct net_buffer_pool_s *reasm_pool;   /* for datagrams > large pool */

  uint64_t stats[IPV4_STAT_COUNT];
};

enum ipv4_timer_op_e
{
  IPV4_TIMER_REASM = NET_IPV4_OP_BASE + 0x80,
};

static inline struct ipv4_s *ipv4_from_layer(const struct net_layer_s *layer)
{
  return net_container_of(layer, struct ipv4_s, layer);
}

static inline void ipv4_count(struct ipv4_s *ip, enum ipv4_stat_e stat)
{
  ip->stats[stat]++;
}

/* Address classification against our configuration. */
bool ipv4_is_local(const struct ipv4_s *ip, uint32_t addr);
bool ipv4_is_broadcast(const struct ipv4_s *ip, uint32_t addr);
uint32_t ipv4_primary(const struct ipv4_s *ip);

/* ipv4_input.c */
void ipv4_input(struct ipv4_s *ip, struct net_task_s *task);
void ipv4_deliver(struct ipv4_s *ip, struct net_task_s *task,
                  uint32_t src, uint32_t dst, uint8_t protocol,
                  bool broadcast);

/* ipv4_output.c */
void ipv4_output(struct ipv4_s *ip, struct net_task_s *task);
void ipv4_transmit(struct ipv4_s *ip, struct net_task_s *task,
                   const uint8_t mac[NET_MAC_LEN]);
void ipv4_fill_header(uint8_t *h, uint16_t total_len, uint16_t id,
                      uint16_t frag, uint8_t ttl, uint8_t protocol,
                      uint32_t src, uint32_t dst);

/* ipv4_neigh.c */
void ipv4_neigh_output(struct ipv4_s *ip, struct net_task_s *task,
                       uint32_t next_hop);
void ipv4_neigh_response(struct ipv4_s *ip, struct net_task_s *task);
void ipv4_neigh_flush(struct ipv4_s *ip);

/* ipv4_reasm.c: takes the fragment task; returns it carrying the whole
   datagram (header in front of begin) when complete, else NULL. */
struct net_task_s *ipv4_reasm_input(struct ipv4_s *ip, struct net_task_s *task,
                                    bool broadcast);
void ipv4_reasm_timeout(struct ipv4_s *ip);
void ipv4_reasm_flush(struct ipv4_s *ip);

/* Errors: an ICMP error about the datagram in @buf (begin at its IPv4
   header; reference taken over), and a failure notice to the child that
   sent the datagram in @buf (begin at the transport header; not
   consumed). */
void ipv4_icmp_request(struct ipv4_s *ip, struct net_buffer_s *buf,
                       uint8_t type, uint8_t code, uint32_t info,
                       bool broadcast);
void ipv4_error_local(struct ipv4_s *ip, const struct net_buffer_s *buf,
                      uint32_t src, uint32_t dst, uint8_t protocol, int err,
                      uint8_t type, uint8_t code, uint32_t mtu);

/* The protocol a child is bound with, or -1 when @child is not ours. */
int ipv4_child_protocol(const struct ipv4_s *ip,
                        const struct net_layer_s *child);

#endif
