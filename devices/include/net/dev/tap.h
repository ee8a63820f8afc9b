/**
 * @file net/dev/tap.h
 * @brief TAP device: a Linux TAP interface as the medium of an Ethernet
 * layer.
 *
 * net_tap_open() opens /dev/net/tun with IFF_TAP | IFF_NO_PI: it attaches
 * to an existing (persistent) TAP of that name, or creates one that lives
 * as long as the device.  The device then offers one Ethernet layer
 * (net_device_layer_create(NET_LAYER_ETHERNET), params a `const struct
 * net_ethernet_params_s *` or NULL: random locally administered MAC, MTU
 * of the interface).  That layer is the stack's own station on the wire:
 * the kernel side of the TAP is another host with its own MAC.
 *
 * The fd is non-blocking and watched by the scheduler
 * (net_scheduler_fd_watch), so it works under both backends.  When it is
 * readable the layer reads up to @c rx_batch frames straight into pool
 * buffers (with the headroom the layer's context asks for), then yields
 * to other layers and goes on until read() says EAGAIN.  Frames are
 * written with one write() each (writev() with offloads).  Frames longer
 * than the MTU (and not super-frames) or shorter than an Ethernet header
 * are dropped and counted by the Ethernet layer.
 * When the interface disappears (read/write fail with EBADFD or EIO) the
 * link is reported down and the fd is no longer watched.
 *
 * Statistics (the Ethernet layer's, with the driver's appended):
 * tap_rx_reads, tap_rx_batches, tap_rx_no_buffer, tap_rx_truncated,
 * tap_rx_errors, tap_tx_errors; with offloads: tap_rx_gso (super-frames
 * received), tap_rx_csum_offload (checksums the kernel vouched for),
 * tap_rx_bad_vnet_hdr (headers asking for what was not negotiated:
 * dropped), tap_tx_gso, tap_tx_csum_offload (work left to the kernel),
 * tap_tx_bad_offload (offload metadata not describing the frame: dropped),
 * tap_rx_copied (super-frames of at most 16 KiB moved out of the jumbo
 * buffer into a medium one, net_scheduler_medium_pool()).
 */
#ifndef NET_DEV_TAP_H_
#define NET_DEV_TAP_H_

#include <net/device.h>
#include <net/layer/ethernet.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Flags of struct net_tap_params_s. */
enum net_tap_flags_e
{
  /** Only attach: fail with -ENODEV when no interface has that name. */
  NET_TAP_NO_CREATE = 1u << 0,
  /** Only create: fail with -EBUSY when the interface already exists. */
  NET_TAP_EXCLUSIVE = 1u << 1,
};

/**
 * Offloads (IFF_VNET_HDR + TUNSETOFFLOAD): every frame then carries a
 * virtio-net header.  Asked for in net_tap_params_s::offloads, granted as
 * far as the kernel agrees (net_tap_offloads() says what was), announced
 * to the Ethernet layer (net_ethernet_offloads_set()) and through it to
 * every layer above.  Both apply in both directions:
 * - CSUM: we send TCP/UDP packets with NET_BUFFER_CSUM_PARTIAL and the
 *   kernel finishes their checksum; the kernel tells us which packets it
 *   verified or never checksummed (its own), marked NET_BUFFER_CSUM_VALID.
 * - TSO4 (needs CSUM): we send TCP/IPv4 super-segments of up to 64 KiB
 *   (NET_BUFFER_GSO_TCPV4) and the kernel hands us such super-frames
 *   (marked NET_BUFFER_GSO_TCPV4, read into jumbo buffers of the
 *   scheduler: net_scheduler_jumbo_pool()).
 */
enum net_tap_offload_e
{
  NET_TAP_OFFLOAD_CSUM = 1u << 0, /**< checksums done by the kernel side */
  NET_TAP_OFFLOAD_TSO4 = 1u << 1, /**< TCPv4 segmentation by the kernel */
};

/** Creation options; zero-initialise and set what you need. */
struct net_tap_params_s
{
  /** Interface name (at most 15 bytes); NULL or "" lets the kernel pick
      "tapN" (see net_tap_name()). */
  const char *name;
  uint32_t flags;      /**< enum net_tap_flags_e */
  unsigned rx_batch;   /**< frames read per turn (0 = 64) */
  uint32_t offloads;   /**< enum net_tap_offload_e wanted (0 = none) */
};

/**
 * Open a TAP interface as a device on @p sched.
 * @return 0 and *@p dev holding one reference, or:
 *  -EINVAL        bad parameters (unknown flags or offloads, TSO4 without
 *                 CSUM), or the interface exists but is not a TAP;
 *  -ENAMETOOLONG  name of 16 bytes or more;
 *  -ENOENT        no /dev/net/tun (module tun not loaded, no device node);
 *  -EPERM         no permission: CAP_NET_ADMIN is needed to create a TAP,
 *                 or to attach to one owned by another user;
 *  -EBUSY         the TAP is already attached to another process (or
 *                 exists while NET_TAP_EXCLUSIVE was asked);
 *  -ENODEV        NET_TAP_NO_CREATE and no such interface;
 *                 (an offload the kernel refuses is not an error: see
 *                 net_tap_offloads());
 *  -ENOMEM, or another errno of open/ioctl.
 */
int net_tap_open(struct net_scheduler_s *sched,
                 const struct net_tap_params_s *params,
                 struct net_device_s **dev);

/** Name of the interface (the kernel's choice when none was given). */
const char *net_tap_name(const struct net_device_s *dev);

/** MTU of the interface as the kernel reported it at open (1500 when it
    could not be read). */
uint32_t net_tap_mtu(const struct net_device_s *dev);

/** Offloads granted by the kernel (enum net_tap_offload_e; 0 when none
    was asked for or @p dev is not a TAP). */
uint32_t net_tap_offloads(const struct net_device_s *dev);

/** Whether @p dev is a TAP device. */
bool net_tap_is(const struct net_device_s *dev);

/** A human explanation of an error of net_tap_open() (static string). */
const char *net_tap_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
