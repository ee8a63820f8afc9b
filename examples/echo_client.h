/* echo_client: an application layer for a TCP session that sends a
 * pattern of bytes, checks that the same bytes come back, and closes.
 *
 * It is what examples/tcp_pair.c (two stacks on the pair device) and
 * examples/tcpclient.c (a real TAP, the Linux kernel as the server) bind
 * under their session: the same application layer over a simulated wire
 * and a real one.
 *
 *   ... ── tcp ── session (net_tcp_connect) ── echo client
 *
 * It sends with net_tcp_send() (stopping at -EAGAIN until
 * NET_TCP_EV_WRITABLE), half-closes once everything is queued, checks
 * every byte it receives, and reports through its delegate when the
 * connection is over.
 */
#ifndef EXAMPLES_ECHO_CLIENT_H_
#define EXAMPLES_ECHO_CLIENT_H_

#include <net/layer/tcp.h>

/** What happened, reported when the connection is over. */
struct echo_client_result_s
{
  uint64_t sent;            /**< bytes queued with net_tcp_send() */
  uint64_t received;        /**< bytes received */
  uint64_t first_bad;       /**< offset of the first wrong byte + 1, 0 = none */
  net_time_t connected_at;  /**< scheduler time of NET_TCP_EV_CONNECTED, or 0 */
  net_time_t closed_at;     /**< scheduler time of NET_TCP_EV_CLOSED */
  int err;                  /**< err of NET_TCP_EV_CLOSED (0: orderly close) */
  bool peer_closed;         /**< the peer's FIN arrived */
};

/** Delegate: the base vtable first, then the end of the connection. */
struct echo_client_delegate_vtable_s
{
  struct net_layer_delegate_vtable_s base;
  /** The connection is over (called once, in scheduler context). */
  void (*finished)(void *delegate, struct net_layer_s *client,
                   const struct echo_client_result_s *result);
};

/** What echo_client_stop_vtable's delegate is: the result once done. */
struct echo_client_outcome_s
{
  struct echo_client_result_s result;
  bool done;                /**< the connection is over, result is set */
};

/**
 * A ready-made delegate vtable for programs that run one connection:
 * with a struct echo_client_outcome_s as the delegate, it stores the
 * result and stops the scheduler (net_scheduler_quit(), safe from the
 * worker threads of the threaded scheduler too).
 */
extern const struct echo_client_delegate_vtable_s echo_client_stop_vtable;

/**
 * Create a client that will send @p total bytes (in writes of up to
 * @p chunk bytes, at most 1400) once its session is connected.  Bind it
 * under a session (net_tcp_connect() params.app, or net_layer_bind()).
 * @return 0 and *@p layer with one reference, -EINVAL, -ENOMEM.
 */
int echo_client_create(struct net_scheduler_s *sched, uint64_t total,
                       size_t chunk, void *delegate,
                       const struct echo_client_delegate_vtable_s *vtable,
                       struct net_layer_s **layer);

/** Byte @p offset of the stream every client sends. */
uint8_t echo_client_pattern(uint64_t offset);

#endif
