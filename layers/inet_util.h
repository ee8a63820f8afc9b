/* Private helpers shared by the IPv4 suite layers (arp, ipv4, icmp, udp):
   network byte order access, keyed hashing, counters and a one-shot
   timer that a layer re-arms for its next deadline. */
#ifndef NET_LAYERS_INET_UTIL_H_
#define NET_LAYERS_INET_UTIL_H_

#include <net/types.h>
#include <net/task.h>
#include <net/layer.h>

/* Network-order loads and stores on possibly unaligned header bytes. */
static inline uint16_t inet_rd16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t inet_rd32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void inet_wr16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void inet_wr32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* RFC 1624 incremental update of a stored checksum when the 16-bit word
   @old (network order value) becomes @new. */
static inline uint16_t inet_csum_update16(uint16_t csum, uint16_t old,
                                          uint16_t new_)
{
  uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new_;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* SipHash-2-4 of @len bytes under a 128-bit key: unpredictable per-boot
   hashing for IP IDs and ephemeral ports. */
uint64_t inet_siphash(const uint8_t key[16], const void *data, size_t len);

/* SipHash-1-3 (the reduced-round variant that Rust's HashMap and Linux's
   hsiphash use for hash tables) of two 64-bit words: for the per-segment
   demux tables, where the key only has to keep remote peers from aiming
   at one chain; ISNs and cookies keep SipHash-2-4. */
uint64_t inet_siphash13_2u64(const uint8_t key[16], uint64_t a, uint64_t b);

/* Fill @len bytes with unpredictable data (getrandom, else GLib PRNG). */
void inet_random(void *buf, size_t len);

/* Copy named counters into a stats method's output. */
size_t inet_stats_copy(const char *const *names, const uint64_t *values,
                       size_t count, struct net_stat_s *out, size_t max);

/* One outstanding timer task per user: armed for the earliest deadline
   asked, re-armed by its owner when it fires. */
struct inet_timer_s
{
  struct net_task_s *task;   /* outstanding TIMEOUT task, NULL if none */
  net_time_t deadline;
  net_time_t precision;
  uint32_t opcode;
};

/* The time up to which work is due when the timer fires: the scheduler
   may fire it up to its precision early, and work due in that window must
   be done now or re-arming would fire again at once without the (virtual)
   clock moving. */
static inline net_time_t inet_timer_horizon(const struct inet_timer_s *timer,
                                            net_time_t now)
{
  return now + timer->precision;
}

/* Arm (or move earlier) the timer of @layer for @deadline.  Returns 0 or
   -ENOMEM (the caller's next event will retry). */
int inet_timer_arm(struct inet_timer_s *timer, struct net_layer_s *layer,
                   net_time_t deadline, net_time_t precision);

/* A TIMEOUT task was delivered: true when it is this timer's (the timer
   is then idle again; the caller destroys the task). */
bool inet_timer_fired(struct inet_timer_s *timer, struct net_task_s *task);

/* Cancel the outstanding task if any (from the owner's handler). */
void inet_timer_cancel(struct inet_timer_s *timer, struct net_layer_s *layer);

/* Forget the outstanding task: the core cancelled it (dangling). */
static inline void inet_timer_forget(struct inet_timer_s *timer)
{
  timer->task = NULL;
}

/* Allocate a plain task from the layer's scheduler. */
struct net_task_s *inet_task_alloc(struct net_layer_s *layer);

#endif
