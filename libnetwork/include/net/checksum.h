/**
 * @file net/checksum.h
 * @brief The Internet checksum (RFC 1071), incremental form.
 *
 * Sums are accumulated unfolded in 32 bits (net_csum_add) and folded
 * once at the end (net_csum_fold), so a pseudo-header and a payload can
 * be summed separately; every piece but the last must have an even length.
 * Sums are taken over the bytes as they sit in memory (RFC 1071 2(B): the
 * result is byte-order neutral): store the folded value into the header
 * with memcpy, and a received packet is valid when the fold of its sum,
 * checksum field included, is 0.
 */
#ifndef NET_CHECKSUM_H_
#define NET_CHECKSUM_H_

#include <net/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Add @p len bytes at @p data to the partial sum @p sum. */
uint32_t net_csum_add(uint32_t sum, const void *data, size_t len);

/** Fold a partial sum into the 16-bit one's complement checksum. */
static inline uint16_t net_csum_fold(uint32_t sum)
{
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/**
 * Partial sum of the IPv4 pseudo-header for TCP/UDP (addresses in host
 * order, @p len = transport header + payload length).
 */
uint32_t net_csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t protocol,
                              uint32_t len);

/** Checksum of a buffer region: net_csum_fold(net_csum_add(0, data, len)). */
static inline uint16_t net_csum(const void *data, size_t len)
{
  return net_csum_fold(net_csum_add(0, data, len));
}

#ifdef __cplusplus
}
#endif

#endif
