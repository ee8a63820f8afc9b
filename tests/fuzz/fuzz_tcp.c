/* Fuzz target: TCP segment processing against a live connection in each
 * interesting state.
 *
 * The first byte picks a scenario (mod SC_COUNT) and whether the peer
 * negotiates timestamps and window scaling ((byte / SC_COUNT) & 1).  The
 * harness plays the peer (10.0.0.1) through a real handshake until the
 * session is in the scenario's state, checks it got there, then plays
 * the records:
 *   - a segment: the record bytes are a TCP header and payload as sent by
 *     the peer.  FZ_CTL_FIX_CSUM computes the checksum; BIT5 sets the
 *     ports of the scenario's connection (BIT6: of a second connection to
 *     the echo port instead); FZ_CTL_FIX_LEN makes seq and ack relative:
 *     the header's fields are offsets from what the stack expects next
 *     and from the highest sequence it sent, and a timestamp option gets
 *     a fresh TSval and the stack's last TSval as TSecr.
 *   - BIT7: an application action on the scenario's session: data[0] % 6
 *     = send data[1] * 64 bytes, shutdown, abort, unbind (close), toggle
 *     echo, toggle Nagle.
 */
#include <config.h>
#include "fuzz.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fz_target_name[] = "tcp";

enum scenario_e
{
  SC_LISTEN,
  SC_SYN_RECEIVED,
  SC_ESTABLISHED_PASSIVE,   /* echo data in flight, out-of-order data held */
  SC_CLOSE_WAIT,
  SC_LAST_ACK,
  SC_SYN_SENT,
  SC_ESTABLISHED_ACTIVE,    /* 3000 bytes in flight */
  SC_FIN_WAIT_1,
  SC_FIN_WAIT_2,
  SC_CLOSING,
  SC_TIME_WAIT,
  SC_COUNT
};

#define PEER_ISN 1000u
#define PEER_WND 1024u      /* x 128 with window scaling */

struct tcp_fuzz_s
{
  struct fz_stack_s s;
  bool client;              /* the scenario's session is the client */
  bool ts;                  /* the peer uses timestamps and scaling */
  struct fz_flow_s *main, *echo;
  uint32_t peer_ts;         /* the peer's timestamp clock */
};

/* Options of the peer's segments: timestamp only (or none). */
static size_t peer_opts(struct tcp_fuzz_s *t, const struct fz_flow_s *f,
                        uint8_t *o)
{
  if (!t->ts)
    return 0;
  o[0] = o[1] = 1;
  o[2] = 8;
  o[3] = 10;
  fz_wr32(o + 4, ++t->peer_ts);
  fz_wr32(o + 8, f->stack_ts ? f->stack_tsval : 0);
  return 12;
}

/* A segment acknowledging all but the last @p unacked of what the stack
   sent. */
static void peer_send(struct tcp_fuzz_s *t, struct fz_flow_s *f, uint8_t flags,
                      uint32_t seq, uint32_t unacked, const uint8_t *data,
                      size_t len)
{
  uint8_t o[12];
  size_t ol = peer_opts(t, f, o);
  fz_tcp_send(&t->s, f, flags, seq, f->stack_nxt - unacked, PEER_WND, o, ol,
              data, len, false);
}

/* A SYN (or SYN-ACK) with MSS, and window scaling, SACK permitted and a
   timestamp when the scenario wants them. */
static void peer_syn(struct tcp_fuzz_s *t, struct fz_flow_s *f, uint8_t flags,
                     uint32_t ack)
{
  uint8_t o[20] = { 2, 4, 0x05, 0xb4 };
  size_t ol = 4;
  if (t->ts)
    {
      static const uint8_t more[16] = { 1, 3, 3, 7, 4, 2, 8, 10 };
      memcpy(o + 4, more, sizeof more);
      fz_wr32(o + 12, ++t->peer_ts);
      fz_wr32(o + 16, f->stack_ts ? f->stack_tsval : 0);
      ol = 20;
    }
  fz_tcp_send(&t->s, f, flags, PEER_ISN, ack, t->ts ? PEER_WND : 65535, o, ol,
              NULL, 0, false);
}

static void expect(struct tcp_fuzz_s *t, enum net_tcp_state_e want,
                   const char *scenario)
{
  enum net_tcp_state_e got = fz_session_state(&t->s, t->client);
  if (got != want)
    {
      fprintf(stderr, "fuzz_tcp: scenario %s ended in %s, not %s\n", scenario,
              net_tcp_state_name(got), net_tcp_state_name(want));
      abort();
    }
}

static void setup_passive(struct tcp_fuzz_s *t, enum scenario_e sc)
{
  static const uint8_t data[1000];
  struct fz_flow_s *f = t->main;
  peer_syn(t, f, 0x02, 0);
  if (!f->synced)
    abort();
  if (sc == SC_SYN_RECEIVED)
    return;
  peer_send(t, f, 0x10, PEER_ISN + 1, 0, NULL, 0);
  expect(t, NET_TCP_ESTABLISHED, "established-passive");
  /* In order data, echoed back: in flight from then on. */
  peer_send(t, f, 0x18, PEER_ISN + 1, 0, data, sizeof data);
  if (sc == SC_ESTABLISHED_PASSIVE)
    {
      /* And a segment beyond a hole, held out of order. */
      peer_send(t, f, 0x10, PEER_ISN + 1 + 2 * sizeof data, 0, data, 500);
      return;
    }
  peer_send(t, f, 0x11, PEER_ISN + 1 + sizeof data, 0, NULL, 0);
  expect(t, NET_TCP_CLOSE_WAIT, "close-wait");
  if (sc == SC_CLOSE_WAIT)
    return;
  net_tcp_shutdown(&fz_app_of(fz_session(&t->s, false))->layer,
                   fz_session(&t->s, false));
  fz_run(&t->s);
  expect(t, NET_TCP_LAST_ACK, "last-ack");
}

static void setup_active(struct tcp_fuzz_s *t, enum scenario_e sc)
{
  struct net_tcp_info_s info;
  fz_tcp_connect(&t->s, sc == SC_ESTABLISHED_ACTIVE || sc == SC_FIN_WAIT_1
                 ? 3000 : 0);
  if (net_tcp_session_info(t->s.client, &info) != 0)
    abort();
  t->main = fz_flow(&t->s, info.tuple.local_port, FZ_TCP_SERVER_PORT);
  struct fz_flow_s *f = t->main;
  if (!f || !f->synced)
    abort();
  if (sc == SC_SYN_SENT)
    return;
  peer_syn(t, f, 0x12, f->stack_nxt);
  if (sc == SC_ESTABLISHED_ACTIVE)
    {
      expect(t, NET_TCP_ESTABLISHED, "established-active");
      return;
    }
  net_tcp_shutdown(&t->s.client_app->layer, t->s.client);
  fz_run(&t->s);
  if (sc == SC_FIN_WAIT_1)
    {
      expect(t, NET_TCP_FIN_WAIT_1, "fin-wait-1");
      return;
    }
  if (sc == SC_CLOSING)
    {
      /* Simultaneous close: the peer's FIN crosses ours, ours unacked. */
      peer_send(t, f, 0x11, PEER_ISN + 1, 1, NULL, 0);
      expect(t, NET_TCP_CLOSING, "closing");
      return;
    }
  peer_send(t, f, 0x10, PEER_ISN + 1, 0, NULL, 0);
  expect(t, NET_TCP_FIN_WAIT_2, "fin-wait-2");
  if (sc == SC_FIN_WAIT_2)
    return;
  peer_send(t, f, 0x11, PEER_ISN + 1, 0, NULL, 0);
  expect(t, NET_TCP_TIME_WAIT, "time-wait");
}

/* Patch a timestamp option of the record, if any, to plausible values. */
static void fix_timestamp(struct tcp_fuzz_s *t, const struct fz_flow_s *f,
                          uint8_t *seg, size_t thlen)
{
  uint8_t *ts = fz_tcp_ts_option(seg, thlen);
  if (ts)
    {
      fz_wr32(ts + 2, ++t->peer_ts);
      fz_wr32(ts + 6, f->stack_ts ? f->stack_tsval : 0);
    }
}

static void segment(struct tcp_fuzz_s *t, const struct fz_record_s *r)
{
  uint8_t pkt[20 + FZ_MAX_FRAME];
  uint8_t *seg = pkt + 20;
  size_t len = r->len;
  memcpy(seg, r->data, len);
  struct fz_flow_s *f = (r->ctl & FZ_CTL_BIT6) ? t->echo : t->main;
  if (len >= 20 && f)
    {
      if (r->ctl & FZ_CTL_BIT5)
        {
          fz_wr16(seg, f->peer_port);
          fz_wr16(seg + 2, f->our_port);
        }
      if (r->ctl & FZ_CTL_FIX_LEN)
        {
          fz_wr32(seg + 4, f->stack_ack + fz_rd32(seg + 4));
          fz_wr32(seg + 8, f->stack_nxt + fz_rd32(seg + 8));
          size_t thlen = (size_t)(seg[12] >> 4) * 4;
          fix_timestamp(t, f, seg, MIN(thlen, len));
        }
    }
  size_t total = fz_build_ipv4(pkt, FZ_PEER_IP, FZ_OUR_IP, 6, 0, seg, len);
  fz_fix_ipv4(pkt, total, r->ctl & FZ_CTL_FIX_CSUM);
  fz_ipv4(&t->s, pkt, total, false);
}

static void action(struct tcp_fuzz_s *t, const struct fz_record_s *r)
{
  struct net_layer_s *session = fz_session(&t->s, t->client);
  struct fz_app_s *app = fz_app_of(session);
  if (!app)
    return;
  uint8_t op = r->len ? r->data[0] % 6 : 0;
  switch (op)
    {
    case 0:
      fz_app_send(session, (size_t)(r->len > 1 ? r->data[1] : 1) * 64);
      break;
    case 1:
      net_tcp_shutdown(&app->layer, session);
      break;
    case 2:
      net_tcp_abort(&app->layer, session);
      break;
    case 3:
      net_layer_unbind(session, &app->layer);
      break;
    case 4:
      app->echo = !app->echo;
      break;
    default:
      net_tcp_set_nodelay(&app->layer, session, r->len > 1 && (r->data[1] & 1));
      break;
    }
  fz_run(&t->s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz_in_s in = { data, size };
  struct tcp_fuzz_s t = { 0 };
  uint8_t first = fz_u8(&in);
  enum scenario_e sc = (enum scenario_e)(first % SC_COUNT);
  t.ts = (first / SC_COUNT) & 1;
  t.client = sc >= SC_SYN_SENT;

  fz_stack_init(&t.s, FZ_WITH_TCP);
  t.echo = fz_flow(&t.s, FZ_TCP_ECHO_PORT, FZ_TCP_PEER_PORT + 1);
  if (t.client)
    setup_active(&t, sc);
  else
    {
      t.main = fz_flow(&t.s, FZ_TCP_LISTEN_PORT, FZ_TCP_PEER_PORT);
      if (sc != SC_LISTEN)
        setup_passive(&t, sc);
    }

  struct fz_record_s r;
  while (fz_record(&in, FZ_MAX_FRAME - 20, &r))
    {
      fz_time_step(&t.s, r.ctl);
      if (r.ctl & FZ_CTL_BIT7)
        action(&t, &r);
      else
        segment(&t, &r);
    }
  fz_stack_fini(&t.s);
  return 0;
}
