/* Fuzzing harness shared by the libFuzzer targets of tests/fuzz/.
 *
 * Every target feeds one input into a fresh stack, so that a crash found
 * by the fuzzer replays from that input alone:
 *
 *   fake driver ── ethernet ──┬── arp
 *                  (+ dumper) └── ipv4 ──┬── icmp
 *                                         ├── udp ──┬── udp echo (port 7)
 *                                         │         └── sender (port 9)
 *                                         └── tcp ──┬── echo listener (7)
 *                                                   ├── listener (80)
 *                                                   └── client session
 *
 * The stack is 10.0.0.2/24 with the "peer" 10.0.0.1 as gateway, on a loop
 * scheduler with a virtual clock: time moves only when an input says so,
 * so runs are deterministic (the TCP keys come from a fixed seed).  The
 * fake driver records what the stack sends: ARP requests for the peer are
 * answered, and TCP segments update the per-connection view that lets an
 * input speak in sequence numbers relative to what the stack expects.
 *
 * An input is a sequence of records (fz_record()): a control byte (time
 * step, fix-ups, target-specific bits), a length and that many bytes.
 * After the last record the harness lets two minutes of virtual time pass
 * (timers: retransmissions, reassembly and ARP timeouts, TIME_WAIT), then
 * tears everything down and checks that nothing leaked: no layer, no
 * task, no buffer.  A g_critical (misuse detected by the core) aborts.
 */
#ifndef TESTS_FUZZ_FUZZ_H_
#define TESTS_FUZZ_FUZZ_H_

#include <net/scheduler.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/layer/tcp_echo.h>
#include <stddef.h>
#include <stdint.h>
#include "packet.h"

/* Every target defines these two (the replay driver names its corpus
   after fz_target_name). */
extern const char fz_target_name[];
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_OUR_IP 0x0a000002u      /* 10.0.0.2 */
#define FZ_PEER_IP 0x0a000001u     /* 10.0.0.1, also the gateway */
#define FZ_OTHER_IP 0x0a000003u    /* 10.0.0.3, on link, never answers */
extern const uint8_t FZ_OUR_MAC[6];
extern const uint8_t FZ_PEER_MAC[6];

#define FZ_TCP_ECHO_PORT 7
#define FZ_TCP_LISTEN_PORT 80
#define FZ_TCP_PEER_PORT 40000     /* the peer's port towards listeners */
#define FZ_TCP_SERVER_PORT 5000    /* where the client session connects */
#define FZ_UDP_ECHO_PORT 7
#define FZ_UDP_SEND_PORT 9

/* Largest frame a record carries: above the 1514-byte maximum, so that
   oversize frames are tried too. */
#define FZ_MAX_FRAME 1600

/* ---- input ------------------------------------------------------------ */

struct fz_in_s
{
  const uint8_t *p;
  size_t n;
};

uint8_t fz_u8(struct fz_in_s *in);
uint16_t fz_u16(struct fz_in_s *in);
uint32_t fz_u32(struct fz_in_s *in);

/* Control byte of a record. */
enum
{
  FZ_CTL_TIME_MASK = 0x07,   /* virtual time before the record: fz_time_step() */
  /* 0x08, 0x10: FZ_CTL_FIX_CSUM, FZ_CTL_FIX_LEN (packet.h) */
  FZ_CTL_BIT5 = 0x20,        /* target-specific */
  FZ_CTL_BIT6 = 0x40,
  FZ_CTL_BIT7 = 0x80,
};

struct fz_record_s
{
  uint8_t ctl;
  const uint8_t *data;
  size_t len;               /* <= @c max given to fz_record() */
};

/* Next record: control byte, 16-bit length (modulo max + 1), bytes (fewer
   when the input ends).  False when the input is exhausted. */
bool fz_record(struct fz_in_s *in, size_t max, struct fz_record_s *rec);

/* ---- the stack -------------------------------------------------------- */

/* Parts a target wants (fz_stack_init()). */
enum
{
  FZ_WITH_TCP = 1u << 0,     /* tcp layer, listeners */
  FZ_WITH_DUMPER = 1u << 1,  /* a dumper mirror printing to /dev/null */
  /* The scheduler's default pools (else 256 buffers each, so that
     exhaustion is reachable from a fuzz input). */
  FZ_DEFAULT_POOLS = 1u << 2,
};

/* The harness's view of one TCP connection, from the segments the stack
   sent: what it expects next and what it sent last. */
struct fz_flow_s
{
  bool used;
  uint16_t our_port, peer_port;
  bool synced;               /* a SYN of the stack was seen */
  uint32_t stack_iss;
  uint32_t stack_nxt;        /* past the highest sequence it sent */
  uint32_t stack_ack;        /* its last acknowledgement: our next seq */
  uint16_t stack_wnd;
  uint8_t stack_flags;       /* flags of its last segment */
  bool stack_ts;             /* its last segment had a timestamp */
  uint32_t stack_tsval;      /* ... this one */
};

#define FZ_FLOWS 8
#define FZ_ACCEPTED 4

/* Application layer of the harness's sessions (client and accepted):
   echoes what arrives when asked, records events. */
struct fz_app_s
{
  struct net_layer_s layer;
  bool echo;
  uint64_t rx_bytes;
  unsigned connected, peer_closed, closed, writable;
};

struct fz_stack_s
{
  struct net_scheduler_s *sched;
  struct net_layer_s *eth;
  struct net_inet_s inet;
  struct net_layer_s *udp_echo, *udp_send;
  struct net_layer_s *tcp, *echo_listener, *listener, *dumper;
  struct net_tcp_echo_stats_s echo_stats;
  struct net_layer_s *client;           /* referenced, or NULL */
  struct fz_app_s *client_app;          /* referenced, or NULL */
  struct net_layer_s *accepted[FZ_ACCEPTED];   /* referenced */
  unsigned accepted_count;
  struct fz_flow_s flows[FZ_FLOWS];
  uint64_t tx_frames;
};

/* Once per process: log handling (g_critical aborts), /dev/null. */
void fz_init(void);

void fz_stack_init(struct fz_stack_s *s, unsigned features);
/* Let timers run, tear down, abort when anything leaked. */
void fz_stack_fini(struct fz_stack_s *s);

/* Advance the virtual clock by step @p code (0..7: 0, 1 ms, 10 ms,
   100 ms, 1 s, 10 s, 60 s, 0) and run what became due. */
void fz_time_step(struct fz_stack_s *s, unsigned code);
void fz_run(struct fz_stack_s *s);

/* Hand a whole frame to the Ethernet layer, as the driver would. */
void fz_frame(struct fz_stack_s *s, const uint8_t *frame, size_t len);
/* An IPv4 packet from the peer's MAC to ours (or to broadcast). */
void fz_ipv4(struct fz_stack_s *s, const uint8_t *pkt, size_t len, bool bcast);

/* Ask the UDP sender endpoint to send @p len bytes to @p dst:@p port
   (makes the stack resolve neighbours, fragment, get ICMP errors). */
void fz_udp_send(struct fz_stack_s *s, uint32_t dst, uint16_t port, size_t len);

/* The record as a sending action: to 10.0.0.data[0] (@p host when the
   record is empty), data[1] * 8 bytes. */
void fz_udp_action(struct fz_stack_s *s, const struct fz_record_s *r,
                   uint8_t host);

/* ---- TCP peer --------------------------------------------------------- */

/* The flow of a connection, created when unknown (NULL when full). */
struct fz_flow_s *fz_flow(struct fz_stack_s *s, uint16_t our_port,
                          uint16_t peer_port);

/* Send a segment from the peer (10.0.0.1:@p f->peer_port) to the stack.
   @p opts: raw option bytes (padded to 4 by the harness).  The checksum
   is right unless @p bad_csum. */
void fz_tcp_send(struct fz_stack_s *s, const struct fz_flow_s *f, uint8_t flags,
                 uint32_t seq, uint32_t ack, uint16_t wnd, const uint8_t *opts,
                 size_t optlen, const uint8_t *data, size_t len, bool bad_csum);

/* The timestamp option (kind 8, length 10) among the options of the TCP
   header @p seg of @p thlen bytes, or NULL. */
uint8_t *fz_tcp_ts_option(const uint8_t *seg, size_t thlen);

/* Start the client session: connect to 10.0.0.1:FZ_TCP_SERVER_PORT with
   a harness application that sends @p tx bytes once connected. */
void fz_tcp_connect(struct fz_stack_s *s, size_t tx);

/* Session and state of the client, or of the last accepted session. */
struct net_layer_s *fz_session(struct fz_stack_s *s, bool client);
enum net_tcp_state_e fz_session_state(struct fz_stack_s *s, bool client);

/* The application of a session (its child), or NULL. */
struct fz_app_s *fz_app_of(struct net_layer_s *session);
/* Queue @p len bytes on @p session from its application. */
void fz_app_send(struct net_layer_s *session, size_t len);

#endif
