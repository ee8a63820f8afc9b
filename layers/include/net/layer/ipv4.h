/**
 * @file net/layer/ipv4.h
 * @brief IPv4 layer: bound under Ethernet (ethertype 0x0800), demux by
 * protocol number to ICMP, UDP, TCP and user protocols.
 *
 * Contract with children (transport layers):
 * - bind address: a `const uint8_t *` IP protocol number; one child per
 *   protocol (-EADDRINUSE otherwise).
 * - INBOUND to a child: the buffer begins at the transport header (the IP
 *   header is pulled, still in the headroom; reassembled when it was
 *   fragmented); src.ipv4/dst.ipv4/protocol set (valid = NET_ADDR_IPV4 |
 *   NET_ADDR_PROTOCOL); timestamp = reception time.  The 20 bytes in front
 *   of begin are the datagram's IPv4 header without options (options,
 *   which this host does not act on, are cut out), which is what
 *   net_ipv4_icmp_error_request() relies on.  dst.valid has
 *   NET_IPV4_ADDR_BROADCAST when the datagram was sent to a broadcast or
 *   multicast address (IP or link level): never answer it with an error.
 * - OUTBOUND from a child: the buffer begins at the transport header with
 *   at least the child's context prefix_size of headroom; dst.ipv4 is the
 *   destination, src.ipv4 the source (0 or not valid: the address of the
 *   outgoing interface, chosen on the route); the protocol is the child's
 *   bind address.  A transport whose checksum covers the pseudo-header
 *   (UDP, TCP) may leave it to IPv4, which knows the source only once it
 *   routed: NET_BUFFER_CSUM_PARTIAL with csum_start / csum_offset relative
 *   to begin and the checksum field 0; IPv4 sums the pseudo-header and
 *   [csum_start, end) and stores the result (0 as 0xffff), or, when the
 *   link offloads checksums (context offloads NET_OFFLOAD_CSUM) and the
 *   datagram is not fragmented, stores the pseudo-header sum and leaves
 *   the rest to the device (net/buffer.h).  A NET_BUFFER_GSO_TCPV4
 *   super-segment goes whole, never fragmented, to a link that offers
 *   NET_OFFLOAD_TSO4.  The
 *   layer routes, resolves the next hop through ARP, fragments when the
 *   packet exceeds the MTU.  A shared buffer is copied before the header
 *   is written (net/buffer.h rule).  NET_IPV4_ADDR_DF in dst.valid asks
 *   for Don't Fragment: a datagram over the MTU is then not sent and the
 *   child gets NET_IPV4_OP_ERROR with -EMSGSIZE and the MTU.
 * - child context: addr.ipv4 = the primary interface address (valid
 *   includes NET_ADDR_IPV4 once one is configured), prefix_size += 20,
 *   mtu = link mtu - 20 (the largest transport segment sent unfragmented).
 * - NOTIFICATION NET_IPV4_OP_ERROR to a child: an ICMP error (or a local
 *   delivery failure such as an unresolved next hop) about a datagram the
 *   child sent; the task is a struct net_ipv4_error_s.
 */
#ifndef NET_LAYER_IPV4_H_
#define NET_LAYER_IPV4_H_

#include <net/layer.h>
#include <net/task.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_IPV4_HEADER_LEN 20  /**< header without options */
#define NET_IPPROTO_ICMP 1      /**< bind address of ICMP under IPv4 */
#define NET_IPPROTO_TCP  6      /**< bind address of TCP under IPv4 */
#define NET_IPPROTO_UDP  17     /**< bind address of UDP under IPv4 */

/** Most interface addresses one IPv4 layer holds. */
#define NET_IPV4_MAX_ADDRS 8

/** Largest datagram (header included) reassembly may produce. */
#define NET_IPV4_MAX_DATAGRAM 65535

/** Opcodes of the IPv4 layer (notifications and queries). */
enum net_ipv4_opcode_e
{
  NET_IPV4_OP_BASE = NET_OP_LAYER_BASE + 0x0400,
  /** NOTIFICATION to a child: struct net_ipv4_error_s. */
  NET_IPV4_OP_ERROR,
  /** NOTIFICATION child -> IPv4 -> ICMP child: struct
      net_ipv4_icmp_request_s (use net_ipv4_icmp_error_request()). */
  NET_IPV4_OP_ICMP_REQUEST,
  /** Private: configuration changes applied in scheduler context. */
  NET_IPV4_OP_CONTROL,
};

/** An interface address: host-order address and prefix length. */
struct net_ipv4_ifaddr_s
{
  uint32_t addr;        /**< host order, not 0 */
  uint8_t prefix_len;   /**< 0..32 (32 = host route only) */
};

/**
 * Configuration of an IPv4 layer; zero-initialise and set what you need
 * (every zero field takes the default in brackets).
 */
struct net_ipv4_config_s
{
  struct net_ipv4_ifaddr_s addrs[NET_IPV4_MAX_ADDRS]; /**< the first addr_count are used */
  unsigned addr_count;        /**< the first one is the primary address */
  uint32_t gateway;           /**< default gateway, 0 = none */
  uint8_t ttl;                /**< TTL of sent datagrams [64] */
  /** Reassembly: give up on a datagram after this long [30 s]. */
  net_time_t reasm_timeout;
  /** Reassembly: bytes (buffer sizes) held by incomplete datagrams [256 KiB];
      over it the oldest incomplete datagrams are dropped. */
  size_t reasm_mem_max;
  /** Reassembly: incomplete datagrams in progress at once [64]. */
  unsigned reasm_max_datagrams;
  /** Reassembly: largest datagram accepted, header included
      [NET_IPV4_MAX_DATAGRAM]; bigger ones are dropped. */
  uint32_t reasm_max_size;
  /** Next hops remembered (resolved or resolving) [256]. */
  unsigned neigh_max;
  /** Packets parked per next hop while it is being resolved [16]. */
  unsigned neigh_queue_len;
};

/** Flag of an OUTBOUND task's dst.valid, private to the IPv4 contract
    (above the bits of enum net_addr_valid_e): send with Don't Fragment. */
#define NET_IPV4_ADDR_DF (1u << 7)

/** Flag of an INBOUND task's dst.valid set by IPv4: the datagram was sent
    to a broadcast or multicast address (IP or link level). */
#define NET_IPV4_ADDR_BROADCAST (1u << 6)

/**
 * Create an IPv4 layer on @p sched.  @p config may be NULL (no address).
 * @p resolver is the ARP layer of the same link (net/layer/arp.h) or NULL
 * (then only broadcast and multicast destinations can be sent to); the
 * IPv4 layer holds its own reference on it until it is destroyed, and
 * tells it which addresses are ours.
 * @return 0 and *@p layer with one reference owned by the caller, or
 * -EINVAL (bad configuration), -ENOMEM.
 */
int net_ipv4_create(struct net_scheduler_s *sched,
                    const struct net_ipv4_config_s *config,
                    struct net_layer_s *resolver,
                    struct net_layer_s **layer);

/**
 * Add an interface address (any thread).  Applied asynchronously in
 * scheduler context, in call order with the other net_ipv4_* changes;
 * children's contexts are updated and ARP announces the address.
 * @return 0 when queued, -EINVAL (not an IPv4 layer, bad prefix,
 * address 0), -ENOMEM.  A full table is logged and counted when applied.
 */
int net_ipv4_addr_add(struct net_layer_s *layer, uint32_t addr,
                      unsigned prefix_len);

/** Remove an interface address (same rules as net_ipv4_addr_add()). */
int net_ipv4_addr_del(struct net_layer_s *layer, uint32_t addr);

/** Set (or clear with 0) the default gateway (same rules). */
int net_ipv4_gateway_set(struct net_layer_s *layer, uint32_t gateway);

/**
 * A received ICMP error, or a local failure, about a datagram a child sent
 * (NOTIFICATION, opcode NET_IPV4_OP_ERROR, notification.err the errno
 * equivalent: -ECONNREFUSED port unreachable, -EHOSTUNREACH, -ENETUNREACH,
 * -ENOPROTOOPT protocol unreachable, -EMSGSIZE fragmentation needed (mtu
 * set), -EACCES administratively prohibited, -EPROTO parameter problem).
 * The receiver destroys it with net_task_destroy().
 */
struct net_ipv4_error_s
{
  struct net_task_s task; /**< the NOTIFICATION (opcode NET_IPV4_OP_ERROR) */
  uint8_t icmp_type;     /**< ICMP type (3 for local failures) */
  uint8_t icmp_code;     /**< ICMP code (1, host unreachable, for local failures) */
  bool local;            /**< generated by this stack, not received */
  uint32_t reporter;     /**< who sent the ICMP (0 when local) */
  uint32_t mtu;          /**< next-hop MTU for -EMSGSIZE, else 0 */
  uint32_t src;          /**< the failed datagram's source (ours) */
  uint32_t dst;          /**< and destination */
  uint8_t protocol;      /**< and protocol */
  uint8_t quote_len;     /**< bytes of transport header quoted (>= 8) */
  uint8_t quote[32];     /**< start of the failed datagram's transport header */
};

/**
 * Allocate a zeroed error notification (net_task_destroy() frees it), for
 * layers that report errors to IPv4 (ICMP).  @return NULL on -ENOMEM.
 */
struct net_ipv4_error_s *net_ipv4_error_alloc(void);

/**
 * A child's request for an ICMP error about a packet it received (e.g.
 * UDP port unreachable).  Internal layout, use net_ipv4_icmp_error_request().
 */
struct net_ipv4_icmp_request_s
{
  struct net_task_s task;       /**< the NOTIFICATION (NET_IPV4_OP_ICMP_REQUEST) */
  struct net_buffer_s *buffer;  /**< the offending datagram, IP header first */
  uint8_t type;                 /**< ICMP type to send */
  uint8_t code;                 /**< ICMP code to send */
  uint32_t info;                /**< e.g. next-hop MTU for type 3 code 4 */
  bool broadcast;               /**< sent to a broadcast/multicast address */
};

/**
 * Ask the IPv4 parent of @p child to answer a received packet with an ICMP
 * error of @p type / @p code (the ICMP layer applies RFC 1122 rules: never
 * about an ICMP error, a broadcast or multicast, or a non-first fragment,
 * and rate limiting).  Call from @p child's handler with the buffer of an
 * INBOUND task exactly as IPv4 delivered it (begin at the transport
 * header) and that task's @p src / @p dst.  Takes over the caller's
 * buffer reference in every case.
 * @return 0 when the request was sent, -EINVAL (no IPv4 parent, or the
 * buffer does not hold the delivered header), -ENOMEM.
 */
int net_ipv4_icmp_error_request(struct net_layer_s *child,
                                struct net_buffer_s *buffer,
                                const struct net_addr_s *src,
                                const struct net_addr_s *dst,
                                uint8_t type, uint8_t code);

/** True when @p addr is 255.255.255.255, multicast (224/4) or 0. */
static inline bool net_ipv4_is_special(uint32_t addr)
{
  return addr == 0 || addr == UINT32_MAX || (addr >> 28) == 0xe;
}

#ifdef __cplusplus
}
#endif

#endif
