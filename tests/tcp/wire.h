/* A simulated network for TCP tests: one layer acting as the IPv4
 * parent of two tcp layers (side 0 = 10.0.0.1, side 1 = 10.0.0.2) that
 * carries segments between them through the scheduler, with seeded
 * loss, duplication, reordering and delay under the virtual clock. */
#ifndef TESTS_TCP_WIRE_H_
#define TESTS_TCP_WIRE_H_

#include <net/layer.h>
#include <net/scheduler.h>
#include <stdint.h>

#define WIRE_ADDR0 0x0a000001u
#define WIRE_ADDR1 0x0a000002u

struct wire_s;

/* Called for every segment entering the wire (before impairments);
   return true to drop it.  @p seg points at the TCP header. */
typedef bool (*wire_filter_t)(void *ctx, int from, const uint8_t *seg,
                              size_t len, net_time_t now);

struct wire_params_s
{
  uint64_t seed;
  double loss;          /* probability a segment is lost */
  double dup;           /* probability it is duplicated */
  double reorder;       /* probability it is held back by up to jitter */
  net_time_t delay;     /* one-way delay */
  net_time_t jitter;    /* extra delay of reordered segments */
  uint32_t mtu;         /* transport MTU given to the tcp layers [1480] */
  wire_filter_t filter;
  void *filter_ctx;
};

struct wire_stats_s
{
  uint64_t sent[2];     /* segments that entered from each side */
  uint64_t lost, duplicated, reordered, filtered, unroutable;
};

struct wire_s *wire_new(struct net_scheduler_s *sched,
                        const struct wire_params_s *params);
struct net_layer_s *wire_layer(struct wire_s *w);
/* Bind @p tcp on side 0 or 1. */
int wire_attach(struct wire_s *w, int side, struct net_layer_s *tcp);
void wire_set_loss(struct wire_s *w, double loss);
void wire_set_filter(struct wire_s *w, wire_filter_t filter, void *ctx);
void wire_stats(const struct wire_s *w, struct wire_stats_s *st);
/* Deliver a crafted segment (TCP header first) to side @p to, as if
   sent by @p src, at once. */
void wire_inject(struct wire_s *w, int to, uint32_t src, const uint8_t *seg,
                 size_t len);
/* Unbind both sides and drop the creator's reference. */
void wire_free(struct wire_s *w);

#endif
