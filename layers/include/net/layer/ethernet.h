/**
 * @file net/layer/ethernet.h
 * @brief Ethernet layer: the link layer devices create; demux by ethertype.
 *
 * Contract with children (ARP, IPv4, any user protocol):
 * - bind address: a `const uint16_t *` ethertype (host order), e.g.
 *   NET_ETHERTYPE_IPV4; one child per ethertype (-EADDRINUSE otherwise).
 * - INBOUND to a child: the buffer begins at the payload (the Ethernet
 *   header is pulled, still in the headroom), task src/dst carry the MACs
 *   and the ethertype (valid = NET_ADDR_MAC | NET_ADDR_ETHERTYPE).
 * - OUTBOUND from a child: the buffer begins at the child's payload with at
 *   least the child's context prefix_size of headroom; dst.mac is the next
 *   hop (valid must include NET_ADDR_MAC); the ethertype is the child's
 *   bind address.  Frames shorter than 60 bytes are padded.
 * - child context: addr.mac = the interface MAC, prefix_size += 14 (plus
 *   any device header), mtu = interface MTU (payload bytes, 1500 default).
 */
#ifndef NET_LAYER_ETHERNET_H_
#define NET_LAYER_ETHERNET_H_

#include <net/layer.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_ETHERNET_HEADER_LEN 14
#define NET_ETHERNET_MIN_FRAME 60   /* without FCS */
#define NET_ETHERTYPE_IPV4 0x0800
#define NET_ETHERTYPE_ARP  0x0806

#ifdef __cplusplus
}
#endif

#endif
