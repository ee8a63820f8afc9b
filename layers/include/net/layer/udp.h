/**
 * @file net/layer/udp.h
 * @brief UDP layer (RFC 768): bound under IPv4 with protocol 17; endpoint
 * layers are bound under it by local port.
 *
 * Contract with endpoints (any layer: an application, net_udp_echo_create()):
 * - bind address: a `const struct net_udp_bind_s *`.  Port 0 picks a free
 *   ephemeral port (49152-65535), found in the endpoint's context
 *   addr.port.  Two endpoints may share a local port only if they differ
 *   in local or remote address (-EADDRINUSE otherwise).  A datagram goes to
 *   the most specific match (connected remote address and port, then local
 *   address, then wildcard).  No endpoint: ICMP port unreachable.
 * - INBOUND to an endpoint: the buffer begins at the payload (UDP header
 *   in the headroom), src = remote address and port, dst = local address
 *   and port (valid = NET_ADDR_IPV4 | NET_ADDR_PORT), timestamp as
 *   received.  The checksum was verified (or was 0: none).
 * - OUTBOUND from an endpoint: the buffer begins at the payload with the
 *   context prefix_size of headroom; dst (ipv4 + port) is the destination,
 *   or the connected remote when dst.valid lacks NET_ADDR_IPV4; src.ipv4
 *   may pick the source address (else the bound or interface address).
 *   The source port is the endpoint's local port.
 * - child context: addr.ipv4 / addr.port = local address and port,
 *   prefix_size += 8, mtu -= 8.
 */
#ifndef NET_LAYER_UDP_H_
#define NET_LAYER_UDP_H_

#include <net/layer.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_UDP_HEADER_LEN 8        /**< ports, length, checksum */
#define NET_UDP_EPHEMERAL_MIN 49152 /**< first port picked for local_port 0 */

/** Bind address of a UDP endpoint (host order). */
struct net_udp_bind_s
{
  uint16_t local_port;   /**< 0 = any free ephemeral port */
  uint32_t local_addr;   /**< 0 = every address of ours */
  uint32_t remote_addr;  /**< connected: only from this address (0 = any) */
  uint16_t remote_port;  /**< connected: only from this port (0 = any) */
};

/** Configuration; zero fields take the default in brackets. */
struct net_udp_config_s
{
  bool no_tx_checksum;   /**< send checksum 0 (RFC 768 allows it) */
};

/**
 * Create a UDP layer on @p sched (bind it under IPv4 with protocol
 * NET_IPPROTO_UDP).  @p config may be NULL.
 * @return 0 and *@p layer with one reference owned by the caller, -ENOMEM.
 */
int net_udp_create(struct net_scheduler_s *sched,
                   const struct net_udp_config_s *config,
                   struct net_layer_s **layer);

/**
 * Create a UDP echo endpoint (RFC 862): every datagram it receives goes
 * back to its sender, same buffer, no copy.  Bind it under a UDP layer
 * (typically port 7).
 * @return 0 and *@p layer with one reference owned by the caller, -ENOMEM.
 */
int net_udp_echo_create(struct net_scheduler_s *sched,
                        struct net_layer_s **layer);

#ifdef __cplusplus
}
#endif

#endif
