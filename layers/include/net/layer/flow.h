/**
 * @file net/layer/flow.h
 * @brief The fast path: flows (established TCP connections) whose packets
 * the link layer hands straight to their layer.
 *
 * The idea of OSv's network channels, as a feature of the tree: a layer
 * that owns a flow (a TCP session once ESTABLISHED) registers it with
 * net_flow_register().  The request travels down the tree, each layer on
 * the way passing it to its parent (net_flow_forward(); the tcp and IPv4
 * layers do), to the Ethernet layer, whose classifier then hands every
 * frame of the flow directly to the registered layer: one task instead of
 * one per layer (Ethernet, IPv4, tcp demux).  Everything else, and every
 * frame the classifier does not vouch for, takes the slow path through
 * the tree.
 *
 * What the registered layer receives is exactly what the tcp layer would
 * have forwarded, except for the task's source (the Ethernet layer, not
 * the layer's parent) and an unverified transport checksum: an INBOUND
 * task whose buffer begins at the TCP header, the 20-byte IPv4 header in
 * front of it, trimmed to the IPv4 total length; src/dst hold the MACs,
 * IPv4 addresses and protocol (valid = NET_ADDR_MAC | NET_ADDR_IPV4 |
 * NET_ADDR_PROTOCOL); the buffer's offload flags as the device set them.
 * The layer verifies the transport checksum itself unless the buffer is
 * marked NET_BUFFER_CSUM_VALID or NET_BUFFER_CSUM_PARTIAL.
 *
 * The classifier takes only unicast frames to the link's MAC carrying an
 * IPv4 datagram without options, unfragmented, with a valid header
 * checksum and a total length the frame holds, and a TCP segment with a
 * sane data offset and none of SYN, FIN, RST (connection control stays
 * on the slow path, in order with the layers that act on it).  Segments
 * of one flow may thus reach the layer by two ways and in a different
 * order than they arrived, as reordering on a network would.
 *
 * Order at the switch: frames of the flow the link sent the slow way
 * before the registration took effect may still be on their way through
 * the layers when the first ones arrive the fast way.  So the link also
 * sends a NET_FLOW_OP_ACTIVE notification the slow way, behind them
 * (each layer passes it to the child the flow belongs to:
 * net_flow_forward_up()); the flow's layer holds back what comes the fast
 * way until that marker arrived, and the flow's segments reach it in the
 * order they were received.
 *
 * A registration holds a reference on the registered layer until it is
 * unregistered (or the link layer goes).  Requests from one layer keep
 * their order.  Counters of the Ethernet layer: fastpath_hits (frames
 * handed over directly), fastpath_misses (IPv4 frames that took the slow
 * path while flows were registered), fastpath_flows (flows registered
 * now).
 */
#ifndef NET_LAYER_FLOW_H_
#define NET_LAYER_FLOW_H_

#include <net/layer.h>
#include <net/task.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opcodes of the flow requests (NOTIFICATION tasks travelling down). */
enum net_flow_opcode_e
{
  NET_FLOW_OP_BASE = NET_OP_LAYER_BASE + 0x0900,
  NET_FLOW_OP_REGISTER = NET_FLOW_OP_BASE,
  NET_FLOW_OP_UNREGISTER,
  /** Travelling up from the link: the registration took effect. */
  NET_FLOW_OP_ACTIVE,
};

/** A flow, from the point of view of the stack (host order). */
struct net_flow_key_s
{
  uint32_t local_addr;  /**< our address */
  uint32_t remote_addr; /**< the peer's address */
  uint16_t local_port;  /**< our port */
  uint16_t remote_port; /**< the peer's port */
  uint8_t protocol;     /**< NET_IPPROTO_TCP: the only one classified */
};

/** A flow request (the task travelling down the tree). */
struct net_flow_task_s
{
  struct net_task_s task;     /**< NOTIFICATION, opcode NET_FLOW_OP_* */
  struct net_flow_key_s key;  /**< the flow */
  struct net_layer_s *layer;  /**< the flow's layer, referenced */
};

/**
 * Ask the link under @p layer to hand the flow's packets to @p layer
 * (pushed to its parent).  Call from @p layer's handler.  A flow already
 * registered is taken over by the newer registration.
 * @return 0, -ENOTCONN (@p layer has no parent), -ENOMEM, -EINVAL.
 */
int net_flow_register(struct net_layer_s *layer, const struct net_flow_key_s *key);

/** Withdraw a registration of @p layer (same rules and returns). */
int net_flow_unregister(struct net_layer_s *layer, const struct net_flow_key_s *key);

/** The flow request carried by @p task, or NULL when it is none. */
struct net_flow_task_s *net_flow_task(struct net_task_s *task);

/**
 * For a layer between the flow's layer and the link: pass a delivered
 * flow request on to its own parent (destroyed when it has none).
 */
void net_flow_forward(struct net_layer_s *layer, struct net_task_s *task);

/**
 * For the link that registered a flow (in its context): send the
 * NET_FLOW_OP_ACTIVE marker of @p req up to @p child, the way the flow's
 * frames went so far.  Does not consume @p req.
 * @return 0, -ENOMEM, or the push's error.
 */
int net_flow_activate(struct net_layer_s *link, struct net_layer_s *child,
                      const struct net_flow_task_s *req);

/**
 * For a layer between the link and the flow's layer: pass a delivered
 * NET_FLOW_OP_ACTIVE marker on to @p child, the child the flow belongs
 * to (destroyed when NULL).
 */
void net_flow_forward_up(struct net_layer_s *layer, struct net_task_s *task,
                         struct net_layer_s *child);

#ifdef __cplusplus
}
#endif

#endif
