/* Test harness of the IPv4 suite, in two modes that the same tests run
 * in (hrun_suite):
 * - fake link: a layer standing where the Ethernet layer sits (children
 *   by ethertype, outbound frames captured, inbound frames injected);
 * - pair: the real Ethernet layer on one end of the pair device, the
 *   test's frames sent and captured by layers bound (by ethertype) to a
 *   promiscuous Ethernet layer on the other end.  Frames shorter than
 *   60 bytes are padded there, as on a real wire (hlink_pads()).
 * Plus a recording endpoint layer and builders of crafted packets.
 * Everything runs on a loop scheduler with a virtual clock. */
#ifndef TESTS_IPV4_HARNESS_H_
#define TESTS_IPV4_HARNESS_H_

#include <net/layer.h>
#include <net/task.h>
#include <net/scheduler.h>
#include <net/buffer.h>
#include <net/checksum.h>
#include <net/layer/inet.h>
#include <net/layer/ethernet.h>
#include <check.h>
#include <glib.h>

/* A frame the suite sent. */
struct hframe_s
{
  uint16_t ethertype;
  uint8_t dst_mac[6];
  size_t len;
  uint8_t *data;      /* payload after the (absent) Ethernet header */
  net_time_t at;
};

/* Fake link mode: the suite's parent.  Pair mode: the test's capture
   layers on the peer's Ethernet. */
struct hlink_s
{
  struct net_layer_s layer;
  struct net_layer_s *arp, *ipv4;   /* fake link: children (weak) */
  uint16_t ethertype;               /* pair mode: what this capture binds */
  GQueue *frames;                   /* the stack's captured frames */
};

/* What an endpoint saw of a NET_IPV4_OP_ERROR notification. */
struct herr_s
{
  int err;
  uint8_t type, code;
  bool local;
  uint32_t mtu;
  uint32_t dst;
  uint8_t protocol;
};

/* A recording endpoint (UDP or any transport). */
struct hep_s
{
  struct net_layer_s layer;
  GQueue inbound;                   /* struct hframe_s * with src/dst */
  GArray *errors;                   /* struct herr_s */
  struct net_addr_s last_src, last_dst;
};

struct hstack_s
{
  struct net_scheduler_s *sched;
  struct hlink_s *link;             /* fake link mode */
  struct net_inet_s inet;
  GQueue frames;                    /* struct hframe_s *, oldest first */
  /* pair mode */
  struct net_device_s *dev, *peer_dev;
  struct net_layer_s *eth, *peer_eth;
  struct hlink_s *cap_arp, *cap_ipv4;
};

enum hmode_e
{
  HMODE_FAKE_LINK,
  HMODE_PAIR,
};
extern enum hmode_e hmode;

/* True when frames under 60 bytes reach the stack padded (pair mode). */
bool hlink_pads(void);

/* Run @p make's suite in both modes; returns the failure count. */
int hrun_suite(Suite *(*make)(void));

extern const uint8_t H_OUR_MAC[6];
extern const uint8_t H_PEER_MAC[6];
#define H_OUR_IP 0x0a000002u     /* 10.0.0.2 */
#define H_PEER_IP 0x0a000001u    /* 10.0.0.1 */

/* Create the scheduler, the link and the suite (config may be NULL:
   10.0.0.2/24, gateway 10.0.0.1); runs until idle and clears the
   captured frames (the gratuitous ARP). */
void hstack_init(struct hstack_s *s, struct net_inet_config_s *config);
void hstack_fini(struct hstack_s *s);

/* Inject a payload of @p ethertype from the peer (dst = our MAC, or
   broadcast when @p bcast). */
void hlink_inject(struct hstack_s *s, uint16_t ethertype, const void *data,
                  size_t len, bool bcast);
/* Pop the oldest captured frame (NULL when none); free with hframe_free. */
struct hframe_s *hlink_pop(struct hstack_s *s);
size_t hlink_count(struct hstack_s *s);
void hlink_clear(struct hstack_s *s);
void hframe_free(struct hframe_s *f);

/* Teach our ARP the peer's MAC (an ARP request from it for us). */
void hlink_learn_peer(struct hstack_s *s, uint32_t peer_ip);

/* Endpoint bound under UDP (local port, remote 0 = any); the creator's
   reference is dropped, UDP keeps the endpoint alive. */
struct hep_s *hep_new(struct hstack_s *s);
int hep_bind_udp(struct hstack_s *s, struct hep_s *ep, uint16_t port,
                 uint32_t remote, uint16_t rport);
/* Send a payload from the endpoint (dst 0: connected). */
void hep_send(struct hep_s *ep, uint32_t dst, uint16_t dport, const void *data,
              size_t len, bool df);

/* Packet builders, return the length written into @p out. */
size_t hbuild_ipv4(uint8_t *out, uint32_t src, uint32_t dst, uint8_t proto,
                   uint16_t id, uint16_t frag, uint8_t ttl, const void *payload,
                   size_t len);
size_t hbuild_icmp_echo(uint8_t *out, uint8_t type, uint16_t id, uint16_t seq,
                        const void *data, size_t len);
size_t hbuild_udp(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport,
                  uint16_t dport, const void *data, size_t len);
size_t hbuild_arp(uint8_t *out, uint16_t op, const uint8_t sha[6], uint32_t spa,
                  const uint8_t tha[6], uint32_t tpa);

/* Named counter of a layer (fails the test when unknown). */
uint64_t hstat(struct net_layer_s *layer, const char *name);

/* Run until idle / for a stretch of virtual time. */
void hrun(struct hstack_s *s);
void hrun_for(struct hstack_s *s, net_time_t ns);

uint16_t hrd16(const uint8_t *p);
uint32_t hrd32(const uint8_t *p);

#endif
