/**
 * @file net/dev/pair.h
 * @brief Pair device: two ends of an in-memory Ethernet wire.
 *
 * net_pair_create() makes two devices on one scheduler; each offers one
 * Ethernet layer (net_device_layer_create(NET_LAYER_ETHERNET), params a
 * `const struct net_ethernet_params_s *` or NULL).  What one end's layer
 * transmits, the other end's layer receives — the buffer itself, not a
 * copy.  The link of both layers is up while both exist.
 *
 * Impairments are set per direction (the frames an end sends) and drawn
 * from a PRNG of the pair's own seeded per direction, so a run is
 * reproducible from its seeds.  Delays are in scheduler clock time: under
 * a virtual clock (NET_CLOCK_VIRTUAL) they are exact.  For every frame,
 * in this order:
 *  - frames whose payload exceeds @c mtu are dropped (dropped_mtu);
 *  - with probability @c loss the frame is lost;
 *  - with probability @c duplicate a second copy is delivered right after
 *    the original;
 *  - the frame arrives after @c delay plus a uniform random extra in
 *    [0, @c jitter] (jitter alone may reorder frames, as on netem), plus
 *    @c reorder_delay with probability @c reorder (so later frames
 *    overtake it);
 *  - at most @c queue_limit frames are in flight per direction (tail drop).
 * Frames with the same arrival time arrive in the order they were sent.
 * Every frame draws the same count of random numbers whatever happens to
 * it, so changing one rate does not reshuffle the others' sequences.
 *
 * A delayed frame is delivered by a timer of the receiving layer, so a
 * layer with frames on their way to it lives (at most the delay) until
 * they arrived, even when its last user reference is gone; while no
 * layer exists at an end, frames sent to it are dropped
 * (dropped_no_peer).  The MTU of a layer created on an end defaults to the
 * wire MTU of that end's direction (else 1500).
 */
#ifndef NET_DEV_PAIR_H_
#define NET_DEV_PAIR_H_

#include <net/device.h>
#include <net/layer/ethernet.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Impairments of one direction; zero-initialised = a perfect wire. */
struct net_pair_params_s
{
  uint64_t seed;            /**< PRNG seed of this direction */
  double loss;              /**< probability a frame is lost, [0, 1] */
  double duplicate;         /**< probability a frame arrives twice, [0, 1] */
  double reorder;           /**< probability a frame is held back, [0, 1] */
  net_time_t delay;         /**< fixed one-way latency */
  net_time_t jitter;        /**< extra uniform random latency, [0, jitter] */
  net_time_t reorder_delay; /**< extra latency of held-back frames (0 = 1 ms) */
  uint32_t mtu;             /**< largest payload carried, 0 = no limit */
  uint32_t queue_limit;     /**< frames in flight (0 = 65536) */
  /** Offloads (enum net_layer_offload_e) announced to the layer created
      on the sending end (read at creation): its frames reach the peer as
      they were sent, checksums left to do (NET_BUFFER_CSUM_PARTIAL, which
      the peer's layers count as verified) and TCP super-segments whole
      (NET_BUFFER_GSO_TCPV4, exempt from @c mtu), as between two virtual
      machines on one host. */
  uint32_t offloads;
};

/** Counters of one direction (frames sent by one end). */
struct net_pair_stats_s
{
  uint64_t sent;            /**< frames the end's layer handed to the wire */
  uint64_t delivered;       /**< frames handed to the peer's layer */
  uint64_t lost;            /**< dropped by the loss draw */
  uint64_t duplicated;      /**< extra copies made */
  uint64_t reordered;       /**< frames held back by reorder_delay */
  uint64_t dropped_mtu;     /**< payload larger than the wire MTU */
  uint64_t dropped_no_peer; /**< no layer at the other end (link down) */
  uint64_t dropped_queue;   /**< queue_limit reached */
  uint64_t dropped_no_buffer; /**< no buffer for a duplicate */
  uint64_t in_flight;       /**< frames currently delayed on the wire */
};

/**
 * Create the two ends on @p sched.  @p a_to_b / @p b_to_a impair the
 * frames sent by end A / end B (NULL: perfect).  Each end is a device
 * holding one reference owned by the caller; the wire lives until both
 * ends and their layers are gone.
 * @return 0, -EINVAL (bad rates or offloads), -ENOMEM.
 */
int net_pair_create(struct net_scheduler_s *sched,
                    const struct net_pair_params_s *a_to_b,
                    const struct net_pair_params_s *b_to_a,
                    struct net_device_s **a, struct net_device_s **b);

/**
 * Change the impairments of the frames @p end sends (any thread); the
 * PRNG is re-seeded from params->seed.  Frames already in flight keep
 * their arrival time; @c offloads only matter to a layer created later.
 * @return 0, -EINVAL (not a pair end, bad rates or offloads).
 */
int net_pair_configure(struct net_device_s *end,
                       const struct net_pair_params_s *params);

/** Counters of the frames @p end sent (any thread).  Returns 0 or -EINVAL. */
int net_pair_stats(struct net_device_s *end, struct net_pair_stats_s *stats);

/** Whether @p dev is an end of a pair. */
bool net_pair_is(const struct net_device_s *dev);

#ifdef __cplusplus
}
#endif

#endif
