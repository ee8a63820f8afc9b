/**
 * @file net/layer/inet.h
 * @brief Build the IPv4 suite on an Ethernet layer in one call.
 *
 * ```
 * ethernet ──┬── arp  (ethertype 0x0806)
 *            └── ipv4 (ethertype 0x0800) ──┬── icmp (protocol 1)
 *                                           └── udp  (protocol 17)
 * ```
 * TCP (or any transport) binds under inet.ipv4 with its protocol number.
 */
#ifndef NET_LAYER_INET_H_
#define NET_LAYER_INET_H_

#include <net/layer.h>
#include <net/layer/arp.h>
#include <net/layer/ipv4.h>
#include <net/layer/icmp.h>
#include <net/layer/udp.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Configuration of the whole suite (each part may stay zeroed). */
struct net_inet_config_s
{
  struct net_ipv4_config_s ipv4; /**< addresses, gateway, limits */
  struct net_arp_config_s arp;   /**< neighbour cache */
  struct net_icmp_config_s icmp; /**< error rate, echo */
  struct net_udp_config_s udp;   /**< checksums */
};

/** The layers of a suite; each pointer holds one reference. */
struct net_inet_s
{
  struct net_layer_s *arp;   /**< under the link, ethertype 0x0806 */
  struct net_layer_s *ipv4;  /**< under the link, ethertype 0x0800 */
  struct net_layer_s *icmp;  /**< under ipv4, protocol 1 */
  struct net_layer_s *udp;   /**< under ipv4, protocol 17: bind endpoints here */
};

/**
 * Create ARP, IPv4, ICMP and UDP on @p link's scheduler and bind them as
 * drawn above.  @p config may be NULL (no address: add some with
 * net_ipv4_addr_add()).  Call where binding under @p link is allowed
 * (before running, or from outside the link's handlers).
 * @return 0 and @p inet filled (references owned by the caller, dropped
 * with net_inet_release()), or a negative errno with nothing created
 * (-EINVAL, -ENOMEM, -EADDRINUSE when @p link already has an IPv4 or ARP
 * child).
 */
int net_inet_create(struct net_layer_s *link,
                    const struct net_inet_config_s *config,
                    struct net_inet_s *inet);

/**
 * Drop the references held in @p inet (the layers live on while bound
 * under @p link) and clear it.  Safe on a zeroed struct.
 */
void net_inet_release(struct net_inet_s *inet);

#ifdef __cplusplus
}
#endif

#endif
