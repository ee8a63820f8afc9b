/* Test application layer for TCP sessions: sends a seeded byte stream,
 * checks the stream it receives byte for byte, records every event. */
#ifndef TESTS_TCP_TAPP_H_
#define TESTS_TCP_TAPP_H_

#include <net/layer/tcp.h>
#include <stdatomic.h>

struct tapp_s
{
  struct net_layer_s layer;
  /* what to send */
  uint64_t tx_seed, tx_total, tx_sent;
  bool shutdown_after;      /* shutdown once tx_total bytes are queued */
  bool start_on_peer_closed; /* send only after the peer's FIN */
  bool close_on_peer_closed; /* shutdown when the peer's FIN comes */
  bool raw;                 /* raw OUTBOUND tasks, constant bytes */
  bool shut;
  unsigned chunk_min, chunk_max;
  uint64_t rng;
  /* what we receive */
  uint64_t rx_seed, rx_bytes;
  uint64_t rx_bad;          /* first wrong offset + 1, 0 = all good */
  bool manual;              /* the session runs in manual receive mode */
  bool paused;              /* manual: do not release what arrives */
  uint64_t held;            /* manual: bytes not released yet */
  /* events */
  unsigned connected, peer_closed, closed, writable, dropped, accepted;
  int closed_err;
  net_time_t connected_at, peer_closed_at, closed_at;
  unsigned eagain;
  unsigned order_errors;    /* events after CLOSED, data after PEER_CLOSED */
  unsigned no_buffer;       /* pool empty: retried 1 ms later */
  bool retry_armed;
  bool dangling;
};

/* CLOSED events seen by all test apps (safe to poll from any thread;
   an app writes nothing after it counted itself here). */
extern atomic_uint tapp_closed_total;

struct tapp_s *tapp_new(struct net_scheduler_s *sched, uint64_t tx_seed,
                        uint64_t tx_total, uint64_t rx_seed);
struct net_layer_s *tapp_layer(struct tapp_s *a);
/* Queue more data (also called on CONNECTED and WRITABLE). */
void tapp_pump(struct tapp_s *a);
/* Manual mode: release what is held and stop pausing. */
void tapp_resume(struct tapp_s *a);

/* Expected stream byte @p i of stream @p seed. */
uint8_t tapp_pattern(uint64_t seed, uint64_t i);

#endif
