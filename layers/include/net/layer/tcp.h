/**
 * @file net/layer/tcp.h
 * @brief TCP (RFC 9293): a demux layer under IPv4, listener layers and one
 * session layer per connection, with the application as a layer bound
 * under its session.
 *
 * @code
 *   ipv4 ── tcp ──┬── listener(port) ··(accept)··┐
 *                 └── session(4-tuple) ── app  <─┘
 * @endcode
 *
 * The tcp layer is bound under IPv4 with protocol NET_IPPROTO_TCP.  It
 * verifies checksums, demultiplexes segments by 4-tuple to sessions and by
 * local port to listeners (hash tables, O(1)), answers segments to nothing
 * with RST, handles SYNs for listeners (bounded backlog, SYN cookies when
 * it overflows) and forwards what sessions send to IPv4.
 *
 * Application interface (an application is any layer bound as the only
 * child of a session, with net_layer_bind(session, NULL, app)):
 * - data in: INBOUND tasks from the session, the buffer positioned at the
 *   payload, src/dst = remote/local address and port;
 * - data out: net_tcp_send() (bounded send buffer: -EAGAIN then a
 *   NET_TCP_EV_WRITABLE notification), or raw OUTBOUND tasks to the
 *   session (beyond the bound they are dropped and reported with
 *   NET_TCP_EV_SEND_DROPPED);
 * - events: NOTIFICATION tasks with the opcodes of enum net_tcp_event_e to
 *   the application, and the same events through the session delegate;
 * - control: net_tcp_shutdown() (FIN after queued data), net_tcp_abort()
 *   (RST), net_tcp_recv_done() (manual receive window), unbinding the
 *   application (= close: FIN, later data is answered with RST).
 *
 * Sessions are owned by the tcp layer (their parent).  A session that is
 * over (CLOSED, after TIME_WAIT or a reset) is unbound by the tcp layer;
 * its application becomes dangling when the session is destroyed.
 */
#ifndef NET_LAYER_TCP_H_
#define NET_LAYER_TCP_H_

#include <net/layer.h>
#include <net/task.h>
#include <net/buffer.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_TCP_HEADER_LEN 20   /**< header without options */
#define NET_TCP_HEADER_MAX 60   /**< header with the most options */

/** First opcode of the TCP layers' notifications. */
#define NET_TCP_OP_BASE (NET_OP_LAYER_BASE + 0x0600)

/** Connection states (RFC 9293 3.3.2). */
enum net_tcp_state_e
{
  NET_TCP_CLOSED,
  NET_TCP_LISTEN,
  NET_TCP_SYN_SENT,
  NET_TCP_SYN_RECEIVED,
  NET_TCP_ESTABLISHED,
  NET_TCP_FIN_WAIT_1,
  NET_TCP_FIN_WAIT_2,
  NET_TCP_CLOSE_WAIT,
  NET_TCP_CLOSING,
  NET_TCP_LAST_ACK,
  NET_TCP_TIME_WAIT,
};

/**
 * Session events: opcodes of the NOTIFICATION tasks a session sends to its
 * application, and the @p event argument of the delegate's @c event.
 */
enum net_tcp_event_e
{
  /** The handshake completed (active and passive opens). err = 0. */
  NET_TCP_EV_CONNECTED = NET_TCP_OP_BASE,
  /** The peer sent FIN: every byte it sent was delivered before this. */
  NET_TCP_EV_PEER_CLOSED,
  /** The send buffer has room again after net_tcp_send() said -EAGAIN. */
  NET_TCP_EV_WRITABLE,
  /** The connection is over.  err: 0 (orderly close, both FINs acked),
      -ECONNREFUSED (RST to our SYN), -ECONNRESET (RST), -ETIMEDOUT
      (retransmissions or keepalive gave up), -ECONNABORTED (local abort
      or the listener refused it). */
  NET_TCP_EV_CLOSED,
  /** A raw OUTBOUND task was dropped, arg = its payload length.  err:
      -ENOBUFS (send buffer full), -EPIPE (shut down or closed), -ENOMEM. */
  NET_TCP_EV_SEND_DROPPED,
  /** To a listener's child: a connection waits for an application.
      Take it with net_tcp_accept_take(). */
  NET_TCP_EV_ACCEPT,
};

/** A local endpoint (listener bind address).  addr 0 = any address. */
struct net_tcp_endpoint_s
{
  uint32_t addr;  /**< host order */
  uint16_t port;  /**< host order */
};

/** A connection's addresses (host order). */
struct net_tcp_tuple_s
{
  uint32_t local_addr;   /**< our address */
  uint32_t remote_addr;  /**< the peer's address */
  uint16_t local_port;   /**< our port */
  uint16_t remote_port;  /**< the peer's port */
};

/**
 * Per-session options.  Zero-initialise: every 0/false field means "the
 * default" (given in brackets).
 */
struct net_tcp_session_options_s
{
  /** Receive buffer: the largest window offered, bytes [256 KiB].  The
      receive memory of the session (capacity of the buffers it holds,
      see net_tcp_config_s::rcv_mem_max) is bounded to twice this: the
      window closes sooner when small segments come in large buffers. */
  uint32_t rcv_buf;
  /** Send buffer: capacity of the buffers it may hold, bytes [512 KiB]. */
  uint32_t snd_buf;
  /** MSS announced to the peer [context mtu - 20]. */
  uint16_t mss;
  /** Disable Nagle's algorithm: send small segments at once [false]. */
  bool nodelay;
  /** Receive flow control by the application: delivered bytes count
      against the window until net_tcp_recv_done() [false: the window
      reopens as soon as data are delivered]. */
  bool manual_recv;
  /** Do not offer window scaling (RFC 7323) [offered]. */
  bool no_wscale;
  /** Do not offer timestamps (RFC 7323) [offered]. */
  bool no_timestamps;
  /** Send keepalive probes when idle [false]. */
  bool keepalive;
  net_time_t keepalive_idle;      /**< idle time before probing [2 h] */
  net_time_t keepalive_interval;  /**< between probes [75 s] */
  unsigned keepalive_count;       /**< unanswered probes before giving up [9] */
};

/** Configuration of a tcp layer.  Zero-initialise: 0 means the default. */
struct net_tcp_config_s
{
  /** Defaults of every session of this layer. */
  struct net_tcp_session_options_s session;
  net_time_t msl;          /**< maximum segment lifetime; TIME_WAIT = 2 MSL [30 s] */
  net_time_t rto_initial;  /**< RTO before any RTT sample (RFC 6298) [1 s] */
  net_time_t rto_min;      /**< lower bound of the RTO [200 ms] */
  net_time_t rto_max;      /**< upper bound of the backed-off RTO [120 s] */
  net_time_t delack;       /**< delayed-ACK timeout [40 ms] */
  net_time_t fin_timeout;  /**< FIN_WAIT_2 without application [60 s] */
  unsigned syn_retries;    /**< SYN retransmissions before -ETIMEDOUT [6] */
  unsigned synack_retries; /**< SYN-ACK retransmissions [5] */
  unsigned max_retries;    /**< data retransmissions before -ETIMEDOUT [15] */
  unsigned max_sessions;   /**< sessions (all states) per tcp layer [65536] */
  /** Reassembly memory per session, buffer capacity in bytes [rcv_buf]. */
  uint32_t ooo_max;
  /** Buffer capacity all send queues of the layer may hold together
      [half the scheduler's large pool]; beyond, net_tcp_send() says
      -EAGAIN to sessions that have data queued already. */
  size_t snd_mem_max;
  /** Buffer capacity all reassembly queues may hold together [a quarter
      of the large pool]; beyond, out-of-order segments are dropped. */
  size_t ooo_mem_max;
  /** Receive memory of all sessions together: buffer capacity (the
      pool buffer sizes actually held, not payload bytes) of in-order data
      waiting for or held by applications (manual receive) plus the
      reassembly queues [a quarter of the scheduler's large pool].  At
      this hard limit new in-order data are dropped (counted in
      drop_rcv_memory, the ACK still goes out) except for a session that
      holds none, so that a connection whose application reads always
      progresses; windows stop advancing. */
  size_t rcv_mem_max;
  /** Receive memory above which the layer is under pressure [half of
      rcv_mem_max]: new windows shrink to a share of what is left (the
      right edge already offered is never taken back), reassembly queues
      are pruned and new out-of-order segments refused. */
  size_t rcv_mem_pressure;
  /** Challenge ACKs (RFC 5961) per second per session [1000]. */
  unsigned challenge_ack_limit;
  uint16_t ephemeral_min;  /**< ephemeral port range [49152] */
  uint16_t ephemeral_max;  /**< [65535] */
  /** Never answer SYNs beyond a listener's backlog with SYN cookies. */
  bool no_syncookies;
  /** Key of the keyed hashes (ISNs, cookies, ports): derived from this
      seed when non-zero (reproducible tests), random otherwise. */
  uint64_t seed;
};

/**
 * Create a tcp layer; bind it under IPv4 with
 * `net_layer_bind(ipv4, &(uint8_t){NET_IPPROTO_TCP}, tcp)`.
 * @p config may be NULL (defaults).  *@p tcp holds one reference.
 * @return 0, -EINVAL (bad config: ephemeral_min > ephemeral_max), -ENOMEM.
 */
int net_tcp_create(struct net_scheduler_s *sched,
                   const struct net_tcp_config_s *config,
                   struct net_layer_s **tcp);

/**
 * Copy the configuration of a tcp layer, defaults resolved (e.g. to base
 * a listener's session options on it).  Any thread.
 * @return 0, or -EINVAL when @p tcp is not a tcp layer.
 */
int net_tcp_get_config(const struct net_layer_s *tcp,
                       struct net_tcp_config_s *config);

/* ------------------------------------------------------------------ */
/* Passive open                                                        */

/** Listener delegate: the base vtable plus the accept decision. */
struct net_tcp_listener_delegate_vtable_s
{
  struct net_layer_delegate_vtable_s base; /**< release: the listener is being destroyed */
  /**
   * Optional.  A connection completed its handshake.  Bind an application
   * to it (net_layer_bind(session, NULL, app)) and return 0; or return 0
   * and bind one later (the session counts in the accept queue until
   * then); or return a negative errno to reset it.  Runs in the
   * listener's scheduler context.  Without this method the listener's
   * child layer gets a NET_TCP_EV_ACCEPT notification instead (and with
   * neither, the connection is reset).
   */
  int (*accept)(void *delegate, struct net_layer_s *listener,
                struct net_layer_s *session);
};

/** What net_tcp_listen() listens on, and its limits. */
struct net_tcp_listen_params_s
{
  struct net_tcp_endpoint_s local; /**< port mandatory; addr 0 = any */
  /** Half-open connections (SYN_RECEIVED) at most [128]; beyond, SYN
      cookies (or drops when the layer has them disabled). */
  unsigned backlog;
  /** Established connections without an application yet, at most [128];
      beyond, new SYNs are dropped. */
  unsigned accept_max;
  /** Options of the accepted sessions (NULL: the tcp layer's defaults). */
  const struct net_tcp_session_options_s *options;
};

/**
 * Create a listener and bind it under @p tcp.  *@p listener holds one
 * reference (the tcp layer holds another while it is bound); stop
 * listening with net_layer_unbind(tcp, listener).  Call from outside the
 * tcp layer's handlers.
 * @return 0, -EINVAL (port 0), -EADDRINUSE, -ENOMEM.
 */
int net_tcp_listen(struct net_layer_s *tcp,
                   const struct net_tcp_listen_params_s *params,
                   void *delegate,
                   const struct net_tcp_listener_delegate_vtable_s *vtable,
                   struct net_layer_s **listener);

/**
 * Take the session carried by a delivered NET_TCP_EV_ACCEPT notification.
 * @return the session with a reference for the caller (bind an
 * application to it, then drop the reference), or NULL when it was taken
 * already.  The caller still destroys the task.
 */
struct net_layer_s *net_tcp_accept_take(struct net_task_s *task);

/* ------------------------------------------------------------------ */
/* Active open and sessions                                            */

/** Session delegate: the base vtable plus session events. */
struct net_tcp_session_delegate_vtable_s
{
  struct net_layer_delegate_vtable_s base; /**< release: the session is being destroyed */
  /** Optional.  @p event is an enum net_tcp_event_e value (never
      NET_TCP_EV_ACCEPT); runs in the session's scheduler context. */
  void (*event)(void *delegate, struct net_layer_s *session,
                uint32_t event, int err);
};

/** Whom net_tcp_connect() connects to, from where, and how. */
struct net_tcp_connect_params_s
{
  struct net_tcp_endpoint_s remote; /**< both fields mandatory */
  /** addr 0: the tcp layer's address; port 0: an ephemeral port
      (RFC 6056 algorithm 3). */
  struct net_tcp_endpoint_s local;
  /** NULL: the tcp layer's defaults. */
  const struct net_tcp_session_options_s *options;
  /** Optional application bound to the session before the SYN leaves, so
      it sees every event. */
  struct net_layer_s *app;
};

/**
 * Active open: create a session, bind it under @p tcp and send the SYN.
 * The result arrives as NET_TCP_EV_CONNECTED or NET_TCP_EV_CLOSED (with
 * the error) through the delegate and the application.  *@p session holds
 * one reference for the caller.  Call from outside the tcp layer's
 * handlers.  @p delegate / @p vtable may be NULL.
 * @return 0, -EINVAL, -EADDRNOTAVAIL (no local address, or no free
 * ephemeral port), -EADDRINUSE (the 4-tuple exists), -EMFILE (session
 * limit), -ENOMEM.
 */
int net_tcp_connect(struct net_layer_s *tcp,
                    const struct net_tcp_connect_params_s *params,
                    void *delegate,
                    const struct net_tcp_session_delegate_vtable_s *vtable,
                    struct net_layer_s **session);

/**
 * Queue @p buf (payload in [begin, end)) for sending on @p session.  The
 * send buffer is bounded by the capacity of the buffers it holds: when it
 * is full the call fails with -EAGAIN and a NET_TCP_EV_WRITABLE
 * notification follows once room is back (an empty send buffer always
 * takes one buffer, whatever its size).  @p app is the sending layer
 * (source of the task, which keeps data and shutdown in order; may be
 * NULL outside any layer).  Any thread.
 * @return 0 (the buffer reference was taken over), or, the caller keeping
 * its reference in every case: -EAGAIN, -EPIPE (shut down or closed),
 * -ENOMEM (no task), -EINVAL, -ESHUTDOWN (the scheduler is shutting down).
 */
int net_tcp_send(struct net_layer_s *app, struct net_layer_s *session,
                 struct net_buffer_s *buf);

/** Send-buffer room in bytes of buffer capacity right now (any thread). */
size_t net_tcp_send_space(const struct net_layer_s *session);

/**
 * Manual receive mode: the application is done with @p bytes delivered
 * bytes; the window reopens (a window update is sent when it matters).
 * No-op in automatic mode.  Any thread.
 */
void net_tcp_recv_done(struct net_layer_s *app, struct net_layer_s *session,
                       size_t bytes);

/**
 * Half-close: send FIN once every queued byte is sent; receiving goes on
 * until the peer's FIN.  Later net_tcp_send() fail with -EPIPE.  Any
 * thread; ordered after the data @p app sent before.
 * @return 0, -ENOMEM (no task), -EINVAL.
 */
int net_tcp_shutdown(struct net_layer_s *app, struct net_layer_s *session);

/**
 * Abort: send RST, drop both queues; NET_TCP_EV_CLOSED(-ECONNABORTED)
 * follows.  Any thread.  @return 0, -ENOMEM, -EINVAL.
 */
int net_tcp_abort(struct net_layer_s *app, struct net_layer_s *session);

/** Turn Nagle's algorithm off (@p nodelay true) or on.  Any thread. */
int net_tcp_set_nodelay(struct net_layer_s *app, struct net_layer_s *session,
                        bool nodelay);

/** Snapshot of a session (see net_tcp_session_info()). */
struct net_tcp_info_s
{
  enum net_tcp_state_e state;     /**< RFC 9293 state */
  struct net_tcp_tuple_s tuple;   /**< addresses and ports */
  uint32_t snd_una;         /**< oldest unacknowledged sequence number */
  uint32_t snd_nxt;         /**< next sequence number to send */
  uint32_t snd_wnd;         /**< peer's receive window, bytes (scaled) */
  uint32_t cwnd;            /**< congestion window, bytes */
  uint32_t ssthresh;        /**< slow-start threshold, bytes */
  uint32_t rcv_nxt;         /**< next sequence number expected */
  uint32_t rcv_wnd;         /**< window we offer, bytes */
  uint16_t snd_mss;         /**< payload bytes per segment we send */
  uint8_t snd_wscale;       /**< shift applied to the peer's windows */
  uint8_t rcv_wscale;       /**< shift applied to the windows we send */
  bool timestamps;          /**< RFC 7323 timestamps in use */
  net_time_t srtt;          /**< smoothed round-trip time (RFC 6298) */
  net_time_t rttvar;        /**< round-trip time variation */
  net_time_t rto;           /**< current retransmission timeout */
  unsigned backoff;         /**< consecutive RTO expirations */
  uint64_t segs_in;         /**< segments received */
  uint64_t segs_out;        /**< segments sent */
  uint64_t bytes_in;        /**< payload bytes received in order */
  uint64_t bytes_out;       /**< payload bytes sent, retransmissions included */
  uint64_t retransmits;     /**< segments sent again */
  uint64_t timeouts;        /**< retransmission timer expirations */
  uint64_t fast_retransmits; /**< retransmissions on duplicate ACKs */
  uint64_t zero_window_probes; /**< probes of a closed peer window */
  uint64_t ooo_segs;        /**< segments received out of order */
  uint64_t dup_segs;        /**< segments already received in part, or out of window */
  uint64_t challenge_acks;  /**< RFC 5961 challenge ACKs sent */
};

/**
 * Fill @p info with a consistent snapshot.  Any thread: the session's
 * handlers are held off while it is taken (net_layer_exclusive(), which
 * waits while another thread runs the session), so from a handler do not
 * ask about a session that may at the same time wait for your layer.
 * The caller holds a reference on @p session (or is the session's parent
 * or child, in a handler).
 * @return 0, or -EINVAL when @p session is not a TCP session.
 */
int net_tcp_session_info(const struct net_layer_s *session,
                         struct net_tcp_info_s *info);

/** "ESTABLISHED", "TIME_WAIT"... */
const char *net_tcp_state_name(enum net_tcp_state_e state);

/** True when @p layer is a TCP session layer. */
bool net_tcp_is_session(const struct net_layer_s *layer);

#ifdef __cplusplus
}
#endif

#endif
