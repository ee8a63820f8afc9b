/* Fuzz target: the ICMP layer, and the errors it hands to IPv4, UDP and
 * TCP.
 *
 * The stack has a TCP connection to 10.0.0.1:5000 with data in flight
 * and has sent a UDP datagram to 10.0.0.1:9, so that received errors can
 * concern something real.  Records are ICMP messages that the harness
 * wraps in an IPv4 header from 10.0.0.1 to us (BIT6: from 10.0.0.3; BIT5:
 * to the subnet and Ethernet broadcast).  FZ_CTL_FIX_CSUM computes the
 * ICMP checksum.  BIT7 makes the quote of an error (after the 8-byte ICMP
 * header) about our own traffic: its IPv4 header gets our address as
 * source, 10.0.0.1 as destination, a valid header checksum, and the
 * ports of the TCP connection (protocol 6) or of the UDP datagram (17).
 */
#include <config.h>
#include "fuzz.h"
#include <net/checksum.h>
#include <string.h>

const char fz_target_name[] = "icmp";

static void quote_fix(struct fz_stack_s *s, uint8_t *icmp, size_t len)
{
  if (len < 8 + 20 + 8)
    return;
  uint8_t *q = icmp + 8;
  q[0] = 0x45;
  fz_wr32(q + 12, FZ_OUR_IP);
  fz_wr32(q + 16, FZ_PEER_IP);
  if (q[9] == NET_IPPROTO_TCP && s->client)
    {
      struct net_tcp_info_s info;
      if (net_tcp_session_info(s->client, &info) == 0)
        {
          fz_wr16(q + 20, info.tuple.local_port);
          fz_wr16(q + 22, info.tuple.remote_port);
          fz_wr32(q + 24, info.snd_una + fz_rd32(q + 24) % 4096);
        }
    }
  else if (q[9] == NET_IPPROTO_UDP)
    {
      fz_wr16(q + 20, FZ_UDP_SEND_PORT);
      fz_wr16(q + 22, FZ_UDP_SEND_PORT);
    }
  q[10] = q[11] = 0;
  uint16_t c = net_csum(q, 20);
  memcpy(q + 10, &c, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz_in_s in = { data, size };
  struct fz_stack_s s;
  struct fz_record_s r;
  fz_stack_init(&s, FZ_WITH_TCP);
  fz_tcp_connect(&s, 4000);
  struct net_tcp_info_s info;
  if (net_tcp_session_info(s.client, &info) == 0)
    {
      struct fz_flow_s *f = fz_flow(&s, info.tuple.local_port, FZ_TCP_SERVER_PORT);
      static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
      if (f)
        fz_tcp_send(&s, f, 0x12, 1000, f->stack_nxt, 65535, mss, sizeof mss,
                    NULL, 0, false);
    }
  fz_udp_send(&s, FZ_PEER_IP, FZ_UDP_SEND_PORT, 100);

  while (fz_record(&in, FZ_MAX_FRAME - 20, &r))
    {
      fz_time_step(&s, r.ctl);
      uint8_t p[FZ_MAX_FRAME];
      bool bcast = (r.ctl & FZ_CTL_BIT5) != 0;
      size_t len = fz_build_ipv4(p, (r.ctl & FZ_CTL_BIT6) ? FZ_OTHER_IP : FZ_PEER_IP,
                                 bcast ? 0x0a0000ffu : FZ_OUR_IP, 1, 0,
                                 r.data, r.len);
      if (r.ctl & FZ_CTL_BIT7)
        quote_fix(&s, p + 20, r.len);
      fz_fix_ipv4(p, len, r.ctl & FZ_CTL_FIX_CSUM);
      fz_ipv4(&s, p, len, bcast);
    }
  fz_stack_fini(&s);
  return 0;
}
