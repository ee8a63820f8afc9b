/* TCP internals shared by layers/tcp*.c (not installed). */
#ifndef NET_TCP_PRIVATE_H_
#define NET_TCP_PRIVATE_H_

#include <net/layer/tcp.h>
#include <net/layer/ipv4.h>
#include <net/scheduler.h>
#include <net/checksum.h>
#include <stdatomic.h>

/* ------------------------------------------------------------------ */
/* Sequence-number arithmetic (RFC 9293 3.4): modulo 2^32 comparisons. */

static inline bool net_tcp_seq_lt(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b) < 0;
}
static inline bool net_tcp_seq_le(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b) <= 0;
}
static inline bool net_tcp_seq_gt(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b) > 0;
}
static inline bool net_tcp_seq_ge(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b) >= 0;
}
static inline uint32_t net_tcp_seq_min(uint32_t a, uint32_t b)
{
  return net_tcp_seq_lt(a, b) ? a : b;
}

/* ------------------------------------------------------------------ */
/* Wire format (tcp_wire.c)                                            */

enum
{
  NET_TCP_FIN = 0x01,
  NET_TCP_SYN = 0x02,
  NET_TCP_RST = 0x04,
  NET_TCP_PSH = 0x08,
  NET_TCP_ACK = 0x10,
  NET_TCP_URG = 0x20,
};

/* Options present in a segment (struct net_tcp_seg_info_s::opts). */
enum
{
  NET_TCP_OPT_MSS = 1u << 0,
  NET_TCP_OPT_WS = 1u << 1,
  NET_TCP_OPT_TS = 1u << 2,
  NET_TCP_OPT_SACK_OK = 1u << 3,
};

#define NET_TCP_MAX_WSCALE 14
#define NET_TCP_DEFAULT_MSS 536   /* RFC 9293 3.7.1 when no MSS option */

/* A parsed segment header. */
struct net_tcp_seg_info_s
{
  uint32_t seq, ack;
  uint16_t sport, dport;
  uint16_t wnd;           /* raw, unscaled */
  uint16_t urp;
  uint8_t flags;
  uint8_t hlen;           /* header bytes incl. options */
  uint8_t opts;           /* NET_TCP_OPT_* found */
  uint8_t wscale;
  uint16_t mss;
  uint32_t tsval, tsecr;
  uint32_t len;           /* payload bytes */
};

/* Why a segment was refused by the parser. */
enum net_tcp_parse_err_e
{
  NET_TCP_PARSE_OK = 0,
  NET_TCP_PARSE_SHORT,    /* shorter than 20 bytes or than its data offset */
  NET_TCP_PARSE_OFFSET,   /* data offset < 5 */
  NET_TCP_PARSE_OPTION,   /* malformed option list */
};

/* Parse the header and options at @p seg (@p len bytes: header + payload). */
enum net_tcp_parse_err_e net_tcp_parse(const uint8_t *seg, size_t len,
                                       struct net_tcp_seg_info_s *si);

/* A header to write. */
struct net_tcp_hdr_out_s
{
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t wnd;
  uint8_t opts;           /* NET_TCP_OPT_MSS / WS / TS */
  uint8_t wscale;
  uint16_t mss;
  uint32_t tsval, tsecr;
};

/* Header length of @p opts (20 + aligned options). */
size_t net_tcp_header_len(uint8_t opts);

/* Write the header (checksum zero) at @p out; returns its length. */
size_t net_tcp_write_header(uint8_t *out, const struct net_tcp_hdr_out_s *h);

/* Fill the checksum of the segment [seg, seg+len) between @p src/@p dst. */
void net_tcp_checksum_fill(uint8_t *seg, size_t len, uint32_t src, uint32_t dst);

/* Leave the checksum of the segment in [begin, end) of @p buf to IPv4
   and the device under it (NET_BUFFER_CSUM_PARTIAL). */
void net_tcp_checksum_offload(struct net_buffer_s *buf);

/* True when the segment's checksum is right. */
bool net_tcp_checksum_ok(const uint8_t *seg, size_t len, uint32_t src,
                         uint32_t dst);

/* ------------------------------------------------------------------ */
/* Keyed hashes (tcp_hash.c)                                           */

#define NET_TCP_KEY_LEN 16

/* Derive a key from a seed (tests) or from the system's entropy. */
void net_tcp_key_init(uint8_t key[NET_TCP_KEY_LEN], uint64_t seed);

/* RFC 6528 ISN: 4 us clock + keyed hash of the 4-tuple. */
uint32_t net_tcp_isn(const uint8_t key[NET_TCP_KEY_LEN],
                     const struct net_tcp_tuple_s *t, net_time_t now);

/* Hash of a 4-tuple (demux tables) and of a port (listener table). */
uint32_t net_tcp_tuple_hash(const uint8_t key[NET_TCP_KEY_LEN],
                            const struct net_tcp_tuple_s *t);

/* Per-connection timestamp offset (RFC 7323 section 5.4). */
uint32_t net_tcp_ts_offset(const uint8_t key[NET_TCP_KEY_LEN],
                           const struct net_tcp_tuple_s *t);

/* RFC 6056 algorithm 3 offset for the ephemeral port search. */
uint32_t net_tcp_port_offset(const uint8_t key[NET_TCP_KEY_LEN],
                             uint32_t local_addr, uint32_t remote_addr,
                             uint16_t remote_port);

/* SYN cookies: the ISN of a stateless SYN-ACK encodes an MSS index and a
   64 s time slot; net_tcp_cookie_check() returns the MSS or 0. */
#define NET_TCP_COOKIE_SLOT (64 * NET_NSEC_PER_SEC)
uint32_t net_tcp_cookie_make(const uint8_t key[NET_TCP_KEY_LEN],
                             const struct net_tcp_tuple_s *t, uint32_t peer_isn,
                             uint16_t mss, net_time_t now);
uint16_t net_tcp_cookie_check(const uint8_t key[NET_TCP_KEY_LEN],
                              const struct net_tcp_tuple_s *t,
                              uint32_t peer_isn, uint32_t cookie,
                              net_time_t now);

/* ------------------------------------------------------------------ */
/* Counters of a tcp layer (relaxed atomics: sessions on other threads
   add to them).  Keep in step with net_tcp_stat_names[]. */

enum net_tcp_stat_e
{
  NET_TCP_STAT_SEGS_IN,
  NET_TCP_STAT_SEGS_OUT,
  NET_TCP_STAT_ACTIVE_OPENS,
  NET_TCP_STAT_PASSIVE_OPENS,
  NET_TCP_STAT_ESTABLISHED,
  NET_TCP_STAT_CLOSED,
  NET_TCP_STAT_RESETS_RECEIVED,
  NET_TCP_STAT_RESETS_SENT,
  NET_TCP_STAT_RETRANSMITS,
  NET_TCP_STAT_TIMEOUTS,
  NET_TCP_STAT_FAST_RETRANSMITS,
  NET_TCP_STAT_ZERO_WINDOW_PROBES,
  NET_TCP_STAT_KEEPALIVE_PROBES,
  NET_TCP_STAT_CHALLENGE_ACKS,
  NET_TCP_STAT_COOKIES_SENT,
  NET_TCP_STAT_COOKIES_ACCEPTED,
  NET_TCP_STAT_TIME_WAIT_REUSED,
  NET_TCP_STAT_DROP_SHORT,
  NET_TCP_STAT_DROP_BAD_OFFSET,
  NET_TCP_STAT_DROP_BAD_OPTION,
  NET_TCP_STAT_DROP_BAD_CHECKSUM,
  NET_TCP_STAT_DROP_BAD_ADDRESS,
  NET_TCP_STAT_DROP_NO_SOCKET,
  NET_TCP_STAT_DROP_BACKLOG,
  NET_TCP_STAT_DROP_ACCEPT_QUEUE,
  NET_TCP_STAT_DROP_SESSION_LIMIT,
  NET_TCP_STAT_DROP_BAD_COOKIE,
  NET_TCP_STAT_DROP_OUT_OF_WINDOW,
  NET_TCP_STAT_DROP_PAWS,
  NET_TCP_STAT_DROP_BAD_ACK,
  NET_TCP_STAT_DROP_OOO_MEMORY,
  NET_TCP_STAT_DROP_AFTER_CLOSE,
  NET_TCP_STAT_DROP_NO_BUFFER,
  NET_TCP_STAT_DROP_SEND_OVERFLOW,
  NET_TCP_STAT_SEND_MEM_PRESSURE,
  NET_TCP_STAT_DROP_RCV_MEMORY,
  NET_TCP_STAT_DROP_OOO_PRESSURE,
  NET_TCP_STAT_OOO_PRUNED,
  NET_TCP_STAT_RCV_WINDOW_CLAMPED,
  NET_TCP_STAT_FLOW_REGISTERED,
  NET_TCP_STAT_FLOW_HELD,
  NET_TCP_STAT_FLOW_MARKER_LOST,
  NET_TCP_STAT_COUNT
};

extern const char *const net_tcp_stat_names[NET_TCP_STAT_COUNT];

/* State shared by a tcp layer and its sessions/listeners, which may
   outlive it (refcounted). */
struct net_tcp_shared_s
{
  atomic_uint refcount;
  struct net_tcp_config_s cfg;          /* defaults resolved */
  uint8_t key[NET_TCP_KEY_LEN];
  /* Buffer capacity held by all send queues and reassembly queues of
     the layer's sessions: bounded below the scheduler's pools, so that
     queued data can never starve transmission (see net_tcp_send). */
  atomic_long snd_mem, ooo_mem;
  /* Buffer capacity of in-order received data: waiting in rcvq or held
     by applications in manual receive mode (tcp_rmem.c). */
  atomic_long rcv_mem;
  /* Capacity of one large pool buffer: the truesize of a full segment,
     the first guess of a session's payload/truesize ratio. */
  size_t large_buf_size;
  _Atomic uint64_t stats[NET_TCP_STAT_COUNT];
};

static inline void net_tcp_count(struct net_tcp_shared_s *sh,
                                 enum net_tcp_stat_e c, uint64_t n)
{
  atomic_fetch_add_explicit(&sh->stats[c], n, memory_order_relaxed);
}

/* The scheduler's large pool (where segments to send come from), or its
   jumbo pool (super-segments of offloading devices), is three quarters
   used: queue no more unless a queue is empty. */
bool net_tcp_pool_pressure(struct net_scheduler_s *sched);

struct net_tcp_shared_s *net_tcp_shared_refinc(struct net_tcp_shared_s *sh);
void net_tcp_shared_refdec(struct net_tcp_shared_s *sh);

/* Fill the defaults of an options structure (0 = default). */
void net_tcp_options_resolve(struct net_tcp_session_options_s *o);

/* ------------------------------------------------------------------ */
/* Private opcodes                                                     */

enum
{
  /* to a session from itself: start the active open */
  NET_TCP_OP_OPEN = NET_TCP_OP_BASE + 0x80,
  /* to a session from its application (or anyone) */
  NET_TCP_OP_SHUTDOWN,
  NET_TCP_OP_ABORT,
  NET_TCP_OP_NODELAY,     /* arg: 0/1 */
  NET_TCP_OP_WINDOW,      /* the application consumed data (manual mode) */
  /* to the tcp layer from a session: it is over, unbind it */
  NET_TCP_OP_DONE,
  /* to a listener from a session: handshake complete (accept task) */
  NET_TCP_OP_ESTABLISHED,
  /* to a session from itself: report the past to a new application */
  NET_TCP_OP_REPLAY,
  /* to a session: its application took the CLOSED event, tell the tcp
     layer it may unbind the session */
  NET_TCP_OP_FINAL,
  /* the session timer */
  NET_TCP_OP_TIMER,
};

/* ------------------------------------------------------------------ */
/* Segment queues (tcp_queue.c): the send queue, the reassembly queue
   and the queue of in-order data waiting for an application all hold
   refcounted buffers, never copies. */

struct net_tcp_seg_s
{
  struct net_tcp_seg_s *next;
  struct net_buffer_s *buf;
  uint32_t seq;   /* sequence number of the first byte */
  uint32_t off;   /* offset of the first byte in buf->data */
  uint32_t len;   /* payload bytes */
};

struct net_tcp_segq_s
{
  struct net_tcp_seg_s *head, *tail;
  size_t bytes;     /* payload bytes */
  size_t truesize;  /* capacity of the buffers held */
  unsigned count;
};

/* Per-session cache of queue nodes so the steady state does not malloc. */
struct net_tcp_seg_cache_s
{
  struct net_tcp_seg_s *free;
  unsigned count;
};

struct net_tcp_seg_s *net_tcp_seg_get(struct net_tcp_seg_cache_s *c);
void net_tcp_seg_put(struct net_tcp_seg_cache_s *c, struct net_tcp_seg_s *seg);
void net_tcp_seg_cache_clear(struct net_tcp_seg_cache_s *c);

/* Append (takes the buffer reference). */
void net_tcp_segq_append(struct net_tcp_segq_s *q, struct net_tcp_seg_s *seg);
/* Detach the head (caller owns node and buffer). */
struct net_tcp_seg_s *net_tcp_segq_pop(struct net_tcp_segq_s *q);
/* Free every node and buffer. */
void net_tcp_segq_purge(struct net_tcp_segq_s *q, struct net_tcp_seg_cache_s *c);
/* Drop @p n bytes from the front (acknowledged data); returns the buffer
   capacity released.  *@p hint is cleared when its node goes. */
size_t net_tcp_segq_drop_front(struct net_tcp_segq_s *q,
                               struct net_tcp_seg_cache_s *c, uint32_t n,
                               struct net_tcp_seg_s **hint);
/* Copy @p len bytes starting at sequence @p seq into @p out.  @p hint
   caches the node where the previous copy ended (may be NULL). */
void net_tcp_segq_copy(const struct net_tcp_segq_s *q, uint32_t seq,
                       uint8_t *out, uint32_t len,
                       struct net_tcp_seg_s **hint);
/* Insert an out-of-order segment: its front is cut where queued bytes
   overlap it, queued nodes it covers entirely are dropped, its tail is
   cut at the next node.  The node is consumed (freed when redundant).
   Returns its length once inserted, 0 when nothing of it was new. */
uint32_t net_tcp_segq_insert(struct net_tcp_segq_s *q,
                             struct net_tcp_seg_cache_s *c,
                             struct net_tcp_seg_s *seg);

/* ------------------------------------------------------------------ */
/* Layers                                                              */

struct net_tcp_listener_s;

/* Session flags. */
enum
{
  NET_TCP_SF_PASSIVE = 1u << 0,      /* created for a listener */
  NET_TCP_SF_COOKIE = 1u << 1,       /* to initialise from a SYN cookie */
  NET_TCP_SF_FIN_QUEUED = 1u << 2,   /* shutdown asked: FIN after data */
  NET_TCP_SF_FIN_RCVD = 1u << 3,     /* the peer's FIN was processed */
  NET_TCP_SF_APP_BOUND = 1u << 4,    /* an application was bound once */
  NET_TCP_SF_APP_GONE = 1u << 5,     /* ... and unbound since */
  NET_TCP_SF_SYNQ = 1u << 6,         /* counted in the listener's backlog */
  NET_TCP_SF_ACCEPTQ = 1u << 7,      /* counted in its accept queue */
  NET_TCP_SF_TS = 1u << 8,           /* timestamps negotiated */
  NET_TCP_SF_WS = 1u << 9,           /* window scaling negotiated */
  NET_TCP_SF_ACK_NOW = 1u << 10,     /* send an ACK at the next output */
  NET_TCP_SF_PERSIST = 1u << 11,     /* the rtx timer is the persist timer */
  NET_TCP_SF_RECOVERY = 1u << 12,    /* NewReno fast recovery */
  NET_TCP_SF_RTT_TIMING = 1u << 13,  /* rtt_seq is being timed (Karn) */
  NET_TCP_SF_DONE = 1u << 14,        /* over, the tcp layer was told */
  NET_TCP_SF_WS_OFFERED = 1u << 16,  /* our SYN offered window scaling */
  NET_TCP_SF_TS_OFFERED = 1u << 17,
  NET_TCP_SF_PARTIAL_SEEN = 1u << 18, /* first partial ACK in recovery */
  NET_TCP_SF_WINDOW_UPDATE = 1u << 19, /* send a window update */
  NET_TCP_SF_OOO_FIN = 1u << 20,     /* a FIN beyond a hole, at ooo_fin_seq */
  NET_TCP_SF_CLOSED_SENT = 1u << 21, /* NET_TCP_EV_CLOSED was reported */
  NET_TCP_SF_ESTABLISHED = 1u << 22, /* the handshake completed once */
  NET_TCP_SF_REPLAY = 1u << 23,      /* an application bound, past events
                                        not reported to it yet */
  NET_TCP_SF_RTX_TS = 1u << 24,      /* rtx_tsval is valid */
  NET_TCP_SF_FLOW = 1u << 25,        /* registered for the fast path */
  NET_TCP_SF_FLOW_ACTIVE = 1u << 26, /* ...and the link's marker arrived */
};

struct net_tcp_session_s
{
  struct net_layer_s layer;
  struct net_tcp_shared_s *shared;
  const struct net_tcp_config_s *cfg;  /* &shared->cfg */

  /* Owned by the tcp layer's handlers: demux chain and key. */
  struct net_tcp_session_s *hash_next;
  struct net_tcp_tuple_s tuple;

  struct net_tcp_listener_s *listener; /* reference until accepted */
  struct net_tcp_session_options_s opt;
  enum net_tcp_state_e state;
  uint32_t flags;
  int close_err;

  /* Send sequence space (RFC 9293 3.3.1). */
  uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
  uint32_t snd_wnd, max_snd_wnd;       /* bytes (scaled) */
  uint8_t snd_wscale, rcv_wscale;
  uint16_t rcv_mss;                    /* MSS we announce */
  uint16_t peer_mss;                   /* MSS the peer announced */
  uint16_t mss;                        /* payload per segment we send */
  struct net_tcp_segq_s sndq;          /* unacknowledged + unsent data */
  uint32_t sndq_seq;                   /* sequence of sndq's first byte */
  struct net_tcp_seg_s *snd_hint;      /* node of the last copy */
  uint32_t fin_seq;                    /* with SF_FIN_QUEUED */

  /* Congestion control (RFC 5681, NewReno RFC 6582). */
  uint32_t cwnd, ssthresh, recover, ca_acked;
  unsigned dupacks;

  /* RTT and RTO (RFC 6298). */
  net_time_t srtt, rttvar, rto;
  unsigned backoff;                    /* consecutive expirations */
  uint32_t rtt_seq;
  net_time_t rtt_time;

  /* Receive sequence space. */
  uint32_t irs, rcv_nxt, rcv_adv;      /* rcv_adv: right edge offered */
  struct net_tcp_segq_s ooq;           /* out-of-order segments */
  struct net_tcp_segq_s rcvq;          /* in order, no application yet */
  uint32_t ooo_fin_seq;                /* with SF_OOO_FIN */
  unsigned segs_unacked;               /* full segments since our last ACK */

  /* Timestamps (RFC 7323). */
  uint32_t ts_recent, ts_offset, last_ack_sent;
  uint32_t rtx_tsval;                  /* TSval of the last retransmission */
  net_time_t ts_recent_time;

  /* Unanswered keepalive or zero-window probes. */
  unsigned probes;
  net_time_t last_rcv;                 /* last segment received */

  /* Timers: one TIMEOUT task armed at the earliest deadline. */
  net_time_t t_rtx, t_delack, t_keep, t_2msl;
  struct net_task_s *timer;
  net_time_t timer_at;

  /* RFC 5961 challenge ACK rate; last reply to an unacceptable ACK. */
  net_time_t chack_second;
  unsigned chack_count;
  net_time_t oow_last;

  struct net_tcp_seg_cache_s cache;

  /* Fast path: segments that came the fast way before the link's marker
     (net/layer/flow.h), held so they keep their order with the slow way. */
  struct net_tcp_parked_s *parked_head, *parked_tail;
  unsigned parked_count;

  /* Application side (any thread). */
  atomic_long snd_space;               /* send-buffer room, bytes */
  atomic_bool want_writable;
  atomic_bool snd_closed;              /* shutdown or over: -EPIPE */
  atomic_long rcv_held;                /* manual mode: delivered, not done */
  /* Receive memory (tcp_rmem.c), session context only: buffer capacity
     of what the application holds, the rcv_held value it matches, and
     the payload/capacity ratio of received segments (1/1024 units). */
  size_t held_mem;
  long held_seen;
  uint32_t rcv_ratio;
  atomic_bool want_window;

  /* Counters (written by the session, read by info). */
  uint64_t segs_in, segs_out, bytes_in, bytes_out;
  uint64_t retransmits, timeouts, fast_retransmits, zero_window_probes;
  uint64_t ooo_segs, dup_segs, challenge_acks;
};

struct net_tcp_listener_s
{
  struct net_layer_s layer;
  struct net_tcp_shared_s *shared;
  struct net_tcp_listener_s *hash_next;  /* tcp layer's handlers only */
  struct net_tcp_endpoint_s local;
  unsigned backlog, accept_max;
  struct net_tcp_session_options_s opt;
  atomic_uint syn_count;       /* sessions in SYN_RECEIVED */
  atomic_uint accept_count;    /* established, no application yet */
  net_time_t last_cookie;      /* tcp layer's handlers only */
  bool cookie_sent;
};

struct net_tcp_s
{
  struct net_layer_s layer;
  struct net_tcp_shared_s *shared;
  struct net_tcp_session_s **sessions;   /* 4-tuple hash, chained */
  size_t sessions_mask;
  /* Written by the layer's handlers only; atomic so that statistics can
     be read from any thread. */
  atomic_size_t session_count;
  struct net_tcp_listener_s **listeners; /* port hash, chained */
  size_t listeners_mask;
  atomic_size_t listener_count;
  uint32_t ephemeral_next;
};

extern const struct net_layer_handler_s net_tcp_session_handler;
extern const struct net_layer_handler_s net_tcp_listener_handler;
extern const struct net_layer_handler_s net_tcp_handler;

static inline struct net_tcp_session_s *net_tcp_session(struct net_layer_s *l)
{
  return net_container_of(l, struct net_tcp_session_s, layer);
}
static inline struct net_tcp_listener_s *net_tcp_listener(struct net_layer_s *l)
{
  return net_container_of(l, struct net_tcp_listener_s, layer);
}

/* Session life (tcp_session.c). */
struct net_tcp_session_s *net_tcp_session_new(
  struct net_scheduler_s *sched, struct net_tcp_shared_s *shared,
  const struct net_tcp_session_options_s *opt, void *delegate,
  const struct net_tcp_session_delegate_vtable_s *vtable);
void net_tcp_session_event(struct net_tcp_session_s *s, uint32_t event, int err,
                           uintptr_t arg);
/* The connection is over: report @p err, drop queues and timers, ask the
   tcp layer to unbind the session. */
void net_tcp_session_finish(struct net_tcp_session_s *s, int err);
void net_tcp_session_set_state(struct net_tcp_session_s *s,
                               enum net_tcp_state_e state);
/* Handshake complete: tell the listener or the application. */
void net_tcp_session_established(struct net_tcp_session_s *s);
/* Fast path (net/layer/flow.h): ask for it once the connection carried
   some traffic (a short one is not worth the registration). */
void net_tcp_session_flow_check(struct net_tcp_session_s *s);
/* A segment that came the fast way: held (true) while the link's marker
   is still on its way the slow way. */
bool net_tcp_session_flow_hold(struct net_tcp_session_s *s, struct net_task_s *task);
/* Send-buffer room came back: WRITABLE when the application waits. */
void net_tcp_session_space_returned(struct net_tcp_session_s *s, size_t n);
/* Receive window room (rcv_buf minus what the application holds). */
uint32_t net_tcp_session_rcv_space(const struct net_tcp_session_s *s);
/* Hand in-order data to the application (or keep them until one binds);
   consumes @p task when not NULL, else allocates one. */
void net_tcp_session_deliver(struct net_tcp_session_s *s,
                             struct net_task_s *task, struct net_buffer_s *buf);

/* Segment arrival (tcp_input.c): consumes @p task. */
void net_tcp_input(struct net_tcp_session_s *s, struct net_task_s *task);
/* Drop the reassembly queue (and its share of the layer's memory). */
void net_tcp_ooq_purge(struct net_tcp_session_s *s);
/* Window shift we offer for a receive buffer of @p rcv_buf bytes. */
uint8_t net_tcp_wscale_for(uint32_t rcv_buf);

/* Receive memory accounting (tcp_rmem.c).  Received in-order data are
   charged by buffer capacity (truesize) to their session and to the
   layer (shared->rcv_mem) from acceptance until the application gives
   them back (net_tcp_recv_done(), manual mode) or, in automatic mode,
   until they are handed to it; reassembly queues are charged apart
   (shared->ooo_mem) and count in the same total. */

/* Global state of the layer's receive memory (in-order + reassembly). */
enum net_tcp_rmem_state_e
{
  NET_TCP_RMEM_NORMAL,
  NET_TCP_RMEM_PRESSURE,   /* >= rcv_mem_pressure */
  NET_TCP_RMEM_HARD,       /* >= rcv_mem_max */
};

enum net_tcp_rmem_state_e net_tcp_rmem_state(size_t total, size_t pressure,
                                             size_t max);

/* What the receive window is computed from (pure, for the unit tests). */
struct net_tcp_rmem_view_s
{
  uint32_t rcv_buf;      /* the session's receive buffer, bytes */
  size_t held_bytes;     /* payload held: rcvq + application (manual) */
  size_t sess_mem;       /* capacity held: rcvq + application (manual) */
  uint32_t ratio;        /* payload per capacity, 1/1024 units, > 0 */
  uint32_t mss;          /* one segment, bytes */
  size_t total;          /* the layer's receive memory */
  size_t pressure, max;  /* rcv_mem_pressure, rcv_mem_max */
};

/* Room for new data, bytes: the least of what the byte budget (rcv_buf)
   and the memory budget (2 rcv_buf of capacity, converted at the
   session's ratio) leave; under pressure the memory budget is at most a
   quarter of what is left below rcv_mem_max, at the hard limit nothing,
   except that a session holding nothing always gets one segment.
   *@p clamped (may be NULL) says whether the global state cut it. */
uint32_t net_tcp_rmem_room(const struct net_tcp_rmem_view_s *v, bool *clamped);

/* The layer's receive memory (in-order + reassembly). */
size_t net_tcp_rmem_total(struct net_tcp_shared_s *sh);
/* Give back the charge of what the application returned since the last
   call (net_tcp_recv_done() only moves rcv_held, from any thread). */
void net_tcp_rmem_settle(struct net_tcp_session_s *s);
/* Room for new data now (from the last settled state). */
uint32_t net_tcp_rmem_space(const struct net_tcp_session_s *s, bool *clamped);
/* May in-order data in a buffer of @p truesize bytes be accepted?  Under
   pressure the session's reassembly queue goes first; false (the data
   are to be dropped, counted) at the hard limit unless the session holds
   nothing. */
bool net_tcp_rmem_admit(struct net_tcp_session_s *s, size_t truesize);
/* Under pressure: drop the session's reassembly queue (counted). */
void net_tcp_rmem_prune(struct net_tcp_session_s *s);
/* @p len bytes in a buffer of @p truesize bytes were accepted in order
   (they wait in rcvq or go to the application). */
void net_tcp_rmem_charge(struct net_tcp_session_s *s, size_t truesize,
                         uint32_t len);
/* They were handed to the application: held until net_tcp_recv_done()
   in manual mode, else released. */
void net_tcp_rmem_delivered(struct net_tcp_session_s *s, size_t truesize,
                            uint32_t len);
/* The session is destroyed: give back what the application still holds
   (rcvq's charge goes with rcvq, see net_tcp_rcvq_purge()). */
void net_tcp_rmem_release(struct net_tcp_session_s *s);
/* Empty rcvq and give back its charge. */
void net_tcp_rcvq_purge(struct net_tcp_session_s *s);

/* Output (tcp_output.c). */
void net_tcp_output(struct net_tcp_session_s *s);
int net_tcp_send_ack(struct net_tcp_session_s *s);
int net_tcp_send_rst(struct net_tcp_session_s *s);
/* Keepalive probe: an ACK one below SND.UNA, which the peer must answer. */
int net_tcp_send_keepalive(struct net_tcp_session_s *s);
/* Our FIN was sent at least once. */
static inline bool net_tcp_fin_sent(const struct net_tcp_session_s *s)
{
  return (s->flags & NET_TCP_SF_FIN_QUEUED) && net_tcp_seq_gt(s->snd_max, s->fin_seq);
}
/* Send the segment at @p seq (retransmission, SYN, probe): at most one
   MSS of the queued data from there. */
int net_tcp_send_segment(struct net_tcp_session_s *s, uint32_t seq,
                         uint32_t max_len, bool probe);
/* Window to offer now, unscaled bytes, never shrinking the right edge. */
uint32_t net_tcp_rcv_window(struct net_tcp_session_s *s);
/* Payload per segment given the negotiated options. */
void net_tcp_update_mss(struct net_tcp_session_s *s);
/* Largest payload handed to IPv4 at once: the MSS, or a whole number of
   MSS up to 64 KiB when the device segments (TSO). */
uint32_t net_tcp_seg_max(const struct net_tcp_session_s *s);
/* Current time in the units of the timestamp option (ms). */
uint32_t net_tcp_ts_now(const struct net_tcp_session_s *s);

/* RTT, RTO, congestion control (tcp_cc.c). */
void net_tcp_rtt_sample(struct net_tcp_session_s *s, net_time_t rtt);
void net_tcp_cc_init(struct net_tcp_session_s *s);
/* A new ACK covered @p acked bytes. */
void net_tcp_cc_ack(struct net_tcp_session_s *s, uint32_t ack, uint32_t acked);
/* A duplicate ACK. */
void net_tcp_cc_dupack(struct net_tcp_session_s *s);
/* The retransmission timer expired. */
void net_tcp_cc_timeout(struct net_tcp_session_s *s);
/* Bytes in flight. */
static inline uint32_t net_tcp_flight(const struct net_tcp_session_s *s)
{
  return s->snd_max - s->snd_una;
}

/* Timers (tcp_timer.c). */
void net_tcp_timer_update(struct net_tcp_session_s *s);
void net_tcp_timer_fired(struct net_tcp_session_s *s, struct net_task_s *task);
void net_tcp_timer_stop_all(struct net_tcp_session_s *s);
/* (Re)start the retransmission timer at now + backed-off RTO. */
void net_tcp_rtx_restart(struct net_tcp_session_s *s);
void net_tcp_rtx_stop(struct net_tcp_session_s *s);
/* Keepalive / idle timer after a received segment. */
void net_tcp_keepalive_reset(struct net_tcp_session_s *s);
void net_tcp_delack_arm(struct net_tcp_session_s *s);
void net_tcp_time_wait_start(struct net_tcp_session_s *s);
/* Backed-off RTO. */
net_time_t net_tcp_rto_current(const struct net_tcp_session_s *s);

/* tcp layer (tcp.c): answer a segment to nothing with RST (RFC 9293). */
void net_tcp_reply_rst(struct net_layer_s *from, struct net_tcp_shared_s *sh,
                       uint32_t src, uint32_t dst,
                       const struct net_tcp_seg_info_s *si);

/* Listener (tcp_listener.c). */
struct net_tcp_listener_s *net_tcp_listener_refinc(struct net_tcp_listener_s *l);
/* A passive session left the backlog / accept queue. */
void net_tcp_listener_syn_done(struct net_tcp_listener_s *l);
void net_tcp_listener_accept_done(struct net_tcp_listener_s *l);
/* A passive session completed its handshake: queue it for accepting.
   Returns 0, or -ENOMEM. */
int net_tcp_listener_offer(struct net_tcp_listener_s *l,
                           struct net_tcp_session_s *s);

static inline net_time_t net_tcp_now(const struct net_tcp_session_s *s)
{
  return net_scheduler_time(s->layer.scheduler);
}

#endif
