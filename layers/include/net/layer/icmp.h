/**
 * @file net/layer/icmp.h
 * @brief ICMP layer (RFC 792, RFC 1122 3.2.2): bound under IPv4 with
 * protocol 1.
 *
 * - Answers echo requests of any size up to the reassembly limit, in place
 *   (the request's buffer becomes the reply when nobody else holds it).
 * - Received errors (destination unreachable, time exceeded, parameter
 *   problem) are checked (the quoted header must be one of ours) and handed
 *   to IPv4, which notifies the transport child concerned with a struct
 *   net_ipv4_error_s.
 * - Sends the errors IPv4 and transports ask for (struct
 *   net_ipv4_icmp_request_s), never about an ICMP error, a datagram sent
 *   to a broadcast or multicast address (IP or link level), a non-first
 *   fragment or a source that is not a unicast address, and within a token
 *   bucket on the scheduler clock.
 */
#ifndef NET_LAYER_ICMP_H_
#define NET_LAYER_ICMP_H_

#include <net/layer.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_ICMP_HEADER_LEN 8   /**< type, code, checksum, 4 bytes of rest */

/** ICMP message types (RFC 792) this layer knows. */
enum net_icmp_type_e
{
  NET_ICMP_ECHO_REPLY = 0,
  NET_ICMP_DEST_UNREACH = 3,
  NET_ICMP_SOURCE_QUENCH = 4,
  NET_ICMP_REDIRECT = 5,
  NET_ICMP_ECHO_REQUEST = 8,
  NET_ICMP_TIME_EXCEEDED = 11,
  NET_ICMP_PARAM_PROBLEM = 12,
};

/** Codes of NET_ICMP_DEST_UNREACH used by this stack. */
enum net_icmp_unreach_code_e
{
  NET_ICMP_NET_UNREACH = 0,
  NET_ICMP_HOST_UNREACH = 1,
  NET_ICMP_PROT_UNREACH = 2,
  NET_ICMP_PORT_UNREACH = 3,
  NET_ICMP_FRAG_NEEDED = 4,
};

/** Codes of NET_ICMP_TIME_EXCEEDED. */
enum net_icmp_time_code_e
{
  NET_ICMP_TTL_EXCEEDED = 0,
  NET_ICMP_REASM_EXCEEDED = 1,
};

/** Configuration; zero fields take the default in brackets. */
struct net_icmp_config_s
{
  unsigned error_rate;    /**< errors sent per second, sustained [100] */
  unsigned error_burst;   /**< token bucket depth [50] */
  bool no_echo;           /**< do not answer echo requests */
};

/**
 * Create an ICMP layer on @p sched (bind it under IPv4 with protocol
 * NET_IPPROTO_ICMP).  @p config may be NULL.
 * @return 0 and *@p layer with one reference owned by the caller,
 * -ENOMEM.
 */
int net_icmp_create(struct net_scheduler_s *sched,
                    const struct net_icmp_config_s *config,
                    struct net_layer_s **layer);

#ifdef __cplusplus
}
#endif

#endif
