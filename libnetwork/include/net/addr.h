/**
 * @file net/addr.h
 * @brief Addresses carried by packet tasks and layer contexts.
 *
 * One structure holds the addresses of every level, so that a packet task
 * climbing or descending the stack carries what each layer needs without a
 * per-layer type.  Every numeric field is in host byte order; headers on
 * the wire are converted by the layer that writes or parses them.
 */
#ifndef NET_ADDR_H_
#define NET_ADDR_H_

#include <net/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes in an Ethernet (MAC) address. */
#define NET_MAC_LEN 6

/** Which fields of a struct net_addr_s are meaningful. */
enum net_addr_valid_e
{
  NET_ADDR_MAC = 1u << 0,
  NET_ADDR_ETHERTYPE = 1u << 1,
  NET_ADDR_IPV4 = 1u << 2,
  NET_ADDR_PROTOCOL = 1u << 3,
  NET_ADDR_PORT = 1u << 4,
};

/**
 * The addresses of one end of a packet, at every level at once; @c valid
 * says which fields are set (the others are 0).  Copied by value.
 */
struct net_addr_s
{
  uint8_t mac[NET_MAC_LEN]; /**< Ethernet address */
  uint16_t ethertype;       /**< Ethernet payload type */
  uint32_t ipv4;            /**< IPv4 address, host order */
  uint16_t port;            /**< transport port, host order */
  uint8_t protocol;         /**< IP protocol number */
  uint8_t valid;            /**< mask of enum net_addr_valid_e */
};

/** Broadcast Ethernet address ff:ff:ff:ff:ff:ff. */
extern const uint8_t net_mac_broadcast[NET_MAC_LEN];

/** Format "aa:bb:cc:dd:ee:ff" into @p out (at least 18 bytes); returns out. */
char *net_mac_format(const uint8_t mac[NET_MAC_LEN], char *out);

/**
 * Parse "aa:bb:cc:dd:ee:ff" (two hex digits per octet, either case, ':'
 * only, nothing before or after); returns 0 or -EINVAL (NULL argument or
 * malformed text: @p mac is then left untouched).
 */
int net_mac_parse(const char *text, uint8_t mac[NET_MAC_LEN]);

/** Format a host-order IPv4 address as dotted quad into @p out (>= 16 bytes). */
char *net_ipv4_format(uint32_t addr, char *out);

/**
 * Parse "a.b.c.d" or "a.b.c.d/len" into a host-order address and a prefix
 * length (32 when absent; @p prefix_len may be NULL when no prefix is
 * allowed).  Each number is plain decimal without sign or leading zero
 * (as inet_pton(), unlike inet_aton() which reads "010" as octal); nothing
 * may follow.  Returns 0 or -EINVAL (outputs then left untouched).
 */
int net_ipv4_parse(const char *text, uint32_t *addr, unsigned *prefix_len);

/** Host-order netmask for a prefix length 0..32. */
static inline uint32_t net_ipv4_mask(unsigned prefix_len)
{
  return prefix_len == 0 ? 0 : UINT32_MAX << (32 - prefix_len);
}

#ifdef __cplusplus
}
#endif

#endif
