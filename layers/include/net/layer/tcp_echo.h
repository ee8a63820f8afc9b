/**
 * @file net/layer/tcp_echo.h
 * @brief TCP echo application layer (RFC 862 over TCP): every byte a
 * session delivers is sent back; the peer's FIN is answered with ours
 * once everything was echoed.
 *
 * The echo layer runs the session in manual receive mode: a byte counts
 * against the receive window until it sits in the send buffer, so a peer
 * that does not read its echo is slowed down by TCP flow control instead
 * of filling memory.
 */
#ifndef NET_LAYER_TCP_ECHO_H_
#define NET_LAYER_TCP_ECHO_H_

#include <net/layer/tcp.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Counters shared by the echo layers of one server (any thread). */
struct net_tcp_echo_stats_s
{
  _Atomic uint64_t connections;  /**< sessions served so far */
  _Atomic uint64_t active;       /**< sessions with an echo layer now */
  _Atomic uint64_t bytes;        /**< bytes echoed */
};

/**
 * Create an echo layer; bind it under a session with
 * net_layer_bind(session, NULL, echo).  @p stats may be NULL; it must
 * outlive the layer.  *@p echo holds one reference.
 * @return 0, -EINVAL, -ENOMEM.
 */
int net_tcp_echo_create(struct net_scheduler_s *sched,
                        struct net_tcp_echo_stats_s *stats,
                        struct net_layer_s **echo);

/**
 * Listen on @p port of @p tcp and bind an echo layer to every accepted
 * connection (sessions with Nagle off and manual receive).  @p stats may
 * be NULL; it must outlive the listener.  *@p listener holds one
 * reference; stop with net_layer_unbind(tcp, listener).
 * @return as net_tcp_listen().
 */
int net_tcp_echo_listen(struct net_layer_s *tcp, uint16_t port,
                        struct net_tcp_echo_stats_s *stats,
                        struct net_layer_s **listener);

#ifdef __cplusplus
}
#endif

#endif
