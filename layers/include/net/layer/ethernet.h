/**
 * @file net/layer/ethernet.h
 * @brief Ethernet layer: the link layer devices create; demux by ethertype.
 *
 * Contract with children (ARP, IPv4, any user protocol):
 * - bind address: a `const uint16_t *` ethertype (host order), e.g.
 *   NET_ETHERTYPE_IPV4; one child per ethertype (-EADDRINUSE otherwise).
 *   Values below 0x0600 are 802.3 lengths, not ethertypes, and are
 *   refused (-EINVAL) except NET_ETHERNET_MIRROR (see below).
 * - INBOUND to a child: the buffer begins at the payload (the Ethernet
 *   header is pulled, still in the headroom), task src/dst carry the MACs
 *   and the ethertype (valid = NET_ADDR_MAC | NET_ADDR_ETHERTYPE).  Only
 *   frames addressed to the interface MAC, to broadcast, or (with
 *   all_multicast) to a multicast group pass, unless the layer is
 *   promiscuous.  Padding is not removed (the layer cannot know the
 *   payload length; IPv4 trims with its total length).
 * - OUTBOUND from a child: the buffer begins at the child's payload with at
 *   least the child's context prefix_size of headroom; dst.mac is the next
 *   hop (valid must include NET_ADDR_MAC); the ethertype is the child's
 *   bind address.  Frames shorter than 60 bytes are padded.  A shared
 *   buffer is never written: the layer works on a private copy then.
 * - child context: addr.mac = the interface MAC, prefix_size += 14 (plus
 *   any device header), mtu = interface MTU (payload bytes, 1500 default).
 *
 * Mirrors: a child bound with the address NET_ETHERNET_MIRROR (at most
 * NET_ETHERNET_MAX_MIRRORS of them) receives, as INBOUND tasks of type
 * struct net_ethernet_mirror_task_s, a reference to the buffer of every
 * frame the layer receives from the medium (before any filtering or
 * validation) and of every frame it hands to the driver (after padding).
 * Nothing is copied: the mirror task records where the frame sits in the
 * buffer, because the stack keeps moving begin/end of the buffer it
 * owns while the mirror looks at it.  A mirror reads the bytes
 * [offset, offset + length) of the buffer's data and must never write
 * them; since the mirror's reference makes the buffer shared, every layer
 * that wants to write into it makes a private copy first (net/buffer.h).
 * Mirror tasks in flight are bounded per layer; beyond, frames are not
 * mirrored and counted (mirror_dropped).
 *
 * Fast path: the layer hosts the flow classifier of net/layer/flow.h
 * (unless params->no_fastpath): flow requests reaching it from its
 * children register flows, and a frame of a registered flow goes to the
 * flow's layer directly instead of to the child of its ethertype.
 *
 * Drivers: a device driver creates the layer with net_ethernet_create()
 * and a small driver vtable: transmit a frame, handle the driver's own
 * tasks (fd readiness, timers), detach when the layer goes.  Frames from
 * the medium enter with net_ethernet_input() (in the layer's context) or
 * net_ethernet_inject() (any thread), link changes with
 * net_ethernet_link_report().
 */
#ifndef NET_LAYER_ETHERNET_H_
#define NET_LAYER_ETHERNET_H_

#include <net/layer.h>
#include <net/buffer.h>
#include <net/task.h>
#include <net/device.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_ETHERNET_HEADER_LEN 14   /**< destination, source, type */
#define NET_ETHERNET_MIN_FRAME 60    /**< shortest frame, without FCS */
#define NET_ETHERNET_VLAN_LEN 4      /**< an 802.1Q tag a frame may carry */
#define NET_ETHERNET_DEFAULT_MTU 1500 /**< payload MTU without a device value */
#define NET_ETHERTYPE_IPV4 0x0800    /**< IPv4 (bind IPv4 with it) */
#define NET_ETHERTYPE_ARP  0x0806    /**< ARP (bind ARP with it) */
#define NET_ETHERTYPE_VLAN 0x8100    /**< 802.1Q tagged frame */
#define NET_ETHERTYPE_IPV6 0x86dd    /**< IPv6 */
/** Smallest value of the type field that is an ethertype (not a length). */
#define NET_ETHERTYPE_MIN  0x0600

/** Bind address of a mirror child (a length, never a real ethertype). */
#define NET_ETHERNET_MIRROR 0x0000
/** Mirror children one Ethernet layer accepts. */
#define NET_ETHERNET_MAX_MIRRORS 4
/** Mirror tasks one layer may have in flight before it stops mirroring. */
#define NET_ETHERNET_MIRROR_BACKLOG 4096

/** Opcodes of notifications the layer handles (pushed by the helpers). */
enum net_ethernet_opcode_e
{
  NET_ETHERNET_OP_BASE = NET_OP_LAYER_BASE + 0x0100,
  /** Link state report; notification.arg = 1 (up) or 0 (down). */
  NET_ETHERNET_OP_LINK = NET_ETHERNET_OP_BASE,
  /** First opcode a driver may use for its own tasks (forwarded to its
      task_handle); drivers number theirs from here. */
  NET_ETHERNET_OP_DRIVER_BASE = NET_ETHERNET_OP_BASE + 0x10,
};

/** Layer options chosen by whoever asks a device for an Ethernet layer;
    this is the @p params of net_device_layer_create(NET_LAYER_ETHERNET).
    Zero-initialise and set what you need. */
struct net_ethernet_params_s
{
  /** Interface MAC; all-zero = a random locally administered unicast. */
  uint8_t mac[NET_MAC_LEN];
  /** Payload MTU; 0 = the device's (1500 when it has none). */
  uint32_t mtu;
  /** Deliver every frame whatever its destination MAC. */
  bool promiscuous;
  /** Deliver every multicast frame (otherwise multicast is dropped). */
  bool all_multicast;
  /** No fast path: flow registrations (net/layer/flow.h) are ignored and
      every frame goes through the children by ethertype. */
  bool no_fastpath;
};

/** Which way a mirrored frame went. */
enum net_ethernet_direction_e
{
  NET_ETHERNET_DIR_IN,   /**< received from the medium */
  NET_ETHERNET_DIR_OUT,  /**< handed to the driver for transmission */
};

/** What a mirror child receives (task.type is NET_TASK_INBOUND; the
    task's packet.buffer holds one reference; packet.timestamp is the
    reception or transmission time). */
struct net_ethernet_mirror_task_s
{
  struct net_task_s task;  /**< the INBOUND task delivered to the mirror */
  uint32_t offset;    /**< first byte of the frame in buffer->data */
  uint32_t length;    /**< frame length (no FCS) */
  enum net_ethernet_direction_e direction; /**< received or sent */
};

/**
 * The mirror view of @p task, or NULL when @p task is not a mirror task
 * (a mirror child that is also bound elsewhere tells them apart this way).
 */
const struct net_ethernet_mirror_task_s *
net_ethernet_mirror_task(const struct net_task_s *task);

/** Frame bytes of a mirror task. */
static inline const uint8_t *
net_ethernet_mirror_frame(const struct net_ethernet_mirror_task_s *mt)
{
  return mt->task.packet.buffer->data + mt->offset;
}

/** What the layer needs from the device under it.  Every method runs in
    the layer's scheduler context (so never concurrently with another). */
struct net_ethernet_driver_ops_s
{
  /** Mandatory.  Send one frame: [begin, end) of @p frame is the whole
      frame (header and padding included, no FCS).  The bytes are
      read-only (mirrors may share them).  Takes over the reference.
      Return 0 or a negative errno, which the layer counts (tx_errors;
      -ENETDOWN and -EAGAIN are counted apart). */
  int (*transmit)(void *driver, struct net_layer_s *eth,
                  struct net_buffer_s *frame);
  /** Optional.  A task the layer does not handle itself: NET_OP_FD_READY
      notifications of the driver's fd watch, and notifications and
      timeouts with opcodes from NET_ETHERNET_OP_DRIVER_BASE.  Takes over
      the task (forward, keep or net_task_destroy() it).  Without it such
      tasks are destroyed. */
  void (*task_handle)(void *driver, struct net_layer_s *eth,
                      struct net_task_s *task);
  /** Optional.  The layer is being destroyed: stop using it (remove fd
      watches, forget the pointer).  The layer then drops its reference
      to the device. */
  void (*detach)(void *driver, struct net_layer_s *eth);
  /** Optional.  Driver counters appended to the layer's statistics; same
      convention as the layer's stats method. */
  size_t (*stats)(void *driver, struct net_stat_s *out, size_t max);
};

/**
 * Create an Ethernet layer on a medium (for device drivers, from their
 * layer_create).  @p params may be NULL (random MAC, MTU @p default_mtu).
 * @p device_header is the number of bytes the device writes in front of
 * each frame (e.g. a virtio-net header; 0 for none): it is added to the
 * layer's prefix_size so every buffer sent reserves it.  The layer takes
 * a reference on @p dev (may be NULL) and drops it after @c detach.  The
 * layer starts with its link down; the driver reports it up with
 * net_ethernet_link_report().
 * @return 0 and *@p layer with one reference, -EINVAL (bad MTU,
 * multicast MAC, missing ops), -ENOMEM.
 */
int net_ethernet_create(struct net_scheduler_s *sched,
                        const struct net_ethernet_params_s *params,
                        uint32_t default_mtu, uint16_t device_header,
                        const struct net_ethernet_driver_ops_s *ops,
                        void *driver, struct net_device_s *dev,
                        void *delegate,
                        const struct net_device_delegate_vtable_s *vtable,
                        struct net_layer_s **layer);

/**
 * A frame arrived from the medium: [begin, end) is the whole frame (no
 * FCS).  Call in @p eth's scheduler context (a driver's task_handle).
 * Takes over the buffer reference.  Mirrors see the frame first; then it
 * is validated, filtered, and delivered to the child bound with its
 * ethertype, or dropped and counted.
 */
void net_ethernet_input(struct net_layer_s *eth, struct net_buffer_s *frame,
                        net_time_t timestamp);

/**
 * Same as net_ethernet_input() from any thread: pushes an INBOUND task
 * to @p eth (a task handed to the layer from below is a received frame).
 * Takes over the buffer reference.
 * @return 0, or a negative errno (the frame was dropped): -ENOMEM (no
 * task), the push helpers' errors.
 */
int net_ethernet_inject(struct net_layer_s *eth, struct net_buffer_s *frame,
                        net_time_t timestamp);

/**
 * Announce what the medium does for the frames the layer sends (a mask of
 * enum net_layer_offload_e, net/layer.h): the layer puts it in its
 * context, which its children inherit, and accepts from them
 * NET_BUFFER_GSO_TCPV4 frames longer than the MTU when it includes
 * NET_OFFLOAD_TSO4.  For drivers, from their layer_create (before the
 * layer is handed out) or in the layer's context.  Received frames marked
 * NET_BUFFER_GSO_TCPV4 by the driver may exceed the MTU whatever was
 * announced (up to a 64 KiB IPv4 datagram).
 * @return 0, or -EINVAL (not an Ethernet layer, unknown bits).
 */
int net_ethernet_offloads_set(struct net_layer_s *eth, uint32_t offloads);

/**
 * Report the link state (any thread): a notification reaches the layer,
 * which tells its delegate (link_changed) when the state really changed.
 * While the link is down, frames sent by children are dropped
 * (tx_link_down).  Returns 0 or a negative errno (-ENOMEM: no task).
 */
int net_ethernet_link_report(struct net_layer_s *eth, bool up);

/** Link state as last handled by the layer (any thread). */
bool net_ethernet_link_is_up(const struct net_layer_s *eth);

/** Interface MAC of @p eth. */
void net_ethernet_mac(const struct net_layer_s *eth, uint8_t mac[NET_MAC_LEN]);

/** Whether @p layer is an Ethernet layer. */
bool net_ethernet_is(const struct net_layer_s *layer);

#ifdef __cplusplus
}
#endif

#endif
