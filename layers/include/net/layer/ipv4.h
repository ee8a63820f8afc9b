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
 *   NET_ADDR_PROTOCOL); timestamp = reception time.
 * - OUTBOUND from a child: the buffer begins at the transport header with
 *   at least the child's context prefix_size of headroom; dst.ipv4 is the
 *   destination, src.ipv4 the source (0 or not valid: the address of the
 *   outgoing interface); the protocol is the child's bind address.  The
 *   layer routes, resolves the next hop through ARP, fragments when the
 *   packet exceeds the MTU.
 * - child context: addr.ipv4 = the primary interface address (valid
 *   includes NET_ADDR_IPV4 once one is configured), prefix_size += 20,
 *   mtu = link mtu - 20 (the largest transport segment sent unfragmented).
 */
#ifndef NET_LAYER_IPV4_H_
#define NET_LAYER_IPV4_H_

#include <net/layer.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_IPV4_HEADER_LEN 20
#define NET_IPPROTO_ICMP 1
#define NET_IPPROTO_TCP  6
#define NET_IPPROTO_UDP  17

#ifdef __cplusplus
}
#endif

#endif
