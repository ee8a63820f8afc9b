/* Test network of the overload and fault suites: two full stacks
 * (Ethernet, ARP, IPv4, ICMP, UDP, TCP) joined by the pair device on one
 * scheduler, and an application layer that streams a seeded pattern and
 * checks what comes back, or stalls like a reader that never reads.
 *
 *   node 0 "client" 10.0.0.1/24 ── pair ── node 1 "server" 10.0.0.2/24
 *                                            (gateway 10.0.0.1)
 *
 * The server has a UDP echo endpoint on port 7.  Everything else (TCP
 * listeners, connections) is up to the test.
 */
#ifndef TESTS_HARDENING_HNET_H_
#define TESTS_HARDENING_HNET_H_

#include <net/scheduler.h>
#include <net/device.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/dev/pair.h>
#include <glib.h>
#include <stdatomic.h>

#define HN_CLIENT_IP 0x0a000001u
#define HN_SERVER_IP 0x0a000002u
extern const uint8_t HN_MAC[2][6];

struct hn_node_s
{
  struct net_device_s *dev;
  struct net_layer_s *eth;
  struct net_inet_s inet;
  struct net_layer_s *tcp;
  struct net_layer_s *udp_port9;    /* weak: bound under udp */
};

struct hn_net_s
{
  struct net_scheduler_s *sched;
  struct hn_node_s node[2];
  GPtrArray *apps;             /* struct hn_app_s *, referenced */
  GPtrArray *refs;             /* other layers to release: sessions, listeners */
  guint log_handler;
};

/* Options of hn_net_init(); zero fields keep the defaults. */
struct hn_params_s
{
  struct net_scheduler_options_s sched;   /* clock virtual unless threaded */
  bool threaded;
  struct net_tcp_config_s tcp;            /* both nodes */
  struct net_inet_config_s inet;          /* addresses are set by hn */
  net_time_t delay;                       /* one-way wire latency */
  bool no_fastpath;                       /* Ethernet layers without it */
};

void hn_net_init(struct hn_net_s *n, const struct hn_params_s *p);
/* Drop every reference, run until idle, check that no layer, task or
   buffer is left and no g_critical was logged, destroy the scheduler. */
void hn_net_fini(struct hn_net_s *n);
/* Drop every reference and destroy the scheduler at once, whatever is in
   flight (the shutdown test); a critical still fails the test. */
void hn_net_abandon(struct hn_net_s *n);

/* g_critical messages of the library seen since the start (a critical
   is a bug: the core detected misuse). */
unsigned hn_criticals(void);

/* Named counter of a layer (the test fails when it does not exist). */
uint64_t hn_stat(struct net_layer_s *layer, const char *name);
/* Buffers of a pool in use now, and since the start at most. */
size_t hn_pool_in_use(struct net_buffer_pool_s *pool);

/* Run until idle, or for @p ns of scheduler time. */
void hn_run(struct hn_net_s *n);
void hn_run_for(struct hn_net_s *n, net_time_t ns);

/* A frame handed to node @p i's Ethernet layer as if from the wire. */
void hn_inject(struct hn_net_s *n, int i, const uint8_t *frame, size_t len);

/* An IPv4 packet from @p src to node 1, from node 0's MAC (its gateway):
   an Ethernet header in front of it, then hn_inject(). */
void hn_inject_ipv4(struct hn_net_s *n, const uint8_t *pkt, size_t len);

/* Make node @p i send a UDP datagram of @p len bytes to @p dst:@p port
   (from port 9, through an endpoint of the harness that ignores what it
   receives). */
void hn_udp_send(struct hn_net_s *n, int i, uint32_t dst, uint16_t port,
                 size_t len);

/* ---- application ------------------------------------------------------ */

struct hn_app_s
{
  struct net_layer_s layer;
  uint64_t seed;            /* pattern of what it sends and expects back */
  uint64_t tx_total, tx_queued;
  bool echo_check;          /* what arrives must be the pattern */
  bool stalled;             /* manual receive: keep what arrives */
  GQueue held;              /* buffers kept while stalled */
  uint64_t held_bytes;
  /* Read by the test while a worker of the threaded scheduler may be
     running the app (timers fire at any time): atomics. */
  _Atomic uint64_t rx_bytes;
  _Atomic uint64_t rx_bad;  /* first wrong offset + 1; 0 = all right */
  atomic_bool connected, peer_closed, closed;
  atomic_int closed_err;
};

struct hn_app_s *hn_app_new(struct hn_net_s *n, uint64_t seed, uint64_t tx_total);
/* Queue more of the stream (on CONNECTED, WRITABLE, or from the test
   when buffers were short). */
void hn_app_pump(struct hn_app_s *a);
/* Stop stalling: give every held byte back to TCP (recv_done). */
void hn_app_resume(struct hn_app_s *a);

/* Connect a client app to the server's @p port; the app sends @p tx. */
struct hn_app_s *hn_connect(struct hn_net_s *n, uint16_t port, uint64_t tx,
                            uint64_t seed,
                            const struct net_tcp_session_options_s *opt);

/* A listener on the server (hn_listen()). */
struct hn_listen_params_s
{
  uint16_t port;
  unsigned backlog;                          /* 0: the default */
  const struct net_tcp_session_options_s *options;   /* NULL: defaults */
  bool stalled;     /* apps keep what arrives (sessions in manual receive) */
  bool check;       /* apps check what arrives against pattern @c seed */
  uint64_t seed;
};

/* Listen on the server: each accepted session gets an app (in n->apps)
   as @p p says.  The listener is released by hn_net_fini(). */
void hn_listen(struct hn_net_s *n, const struct hn_listen_params_s *p);

/* Scale for heavy tests: 1, or HN_VALGRIND_SCALE under Valgrind
   (NET_TEST_WRAPPER=valgrind), so that the gate stays fast. */
double hn_scale(void);

#endif
