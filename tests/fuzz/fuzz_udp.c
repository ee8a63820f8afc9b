/* Fuzz target: the UDP layer and its endpoints.
 *
 * Records are UDP datagrams (header and payload) that the harness wraps
 * in an IPv4 header from 10.0.0.1 to us (BIT6: from 10.0.0.3; BIT5: to
 * the subnet broadcast 10.0.0.255 and the Ethernet broadcast address).
 * FZ_CTL_FIX_LEN sets the UDP length, FZ_CTL_FIX_CSUM the checksum.
 * BIT7 sets the destination port to the echo endpoint (7), which answers.
 * Other ports: the sender endpoint (9), or none (ICMP port unreachable,
 * rate limited).
 */
#include <config.h>
#include "fuzz.h"
#include <string.h>

const char fz_target_name[] = "udp";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz_in_s in = { data, size };
  struct fz_stack_s s;
  struct fz_record_s r;
  fz_stack_init(&s, 0);
  while (fz_record(&in, FZ_MAX_FRAME - 20, &r))
    {
      fz_time_step(&s, r.ctl);
      uint8_t p[FZ_MAX_FRAME];
      bool bcast = (r.ctl & FZ_CTL_BIT5) != 0;
      size_t len = fz_build_ipv4(p, (r.ctl & FZ_CTL_BIT6) ? FZ_OTHER_IP : FZ_PEER_IP,
                                 bcast ? 0x0a0000ffu : FZ_OUR_IP, 17, 0,
                                 r.data, r.len);
      if ((r.ctl & FZ_CTL_BIT7) && r.len >= 4)
        fz_wr16(p + 22, FZ_UDP_ECHO_PORT);
      fz_fix_ipv4(p, len, r.ctl & (FZ_CTL_FIX_CSUM | FZ_CTL_FIX_LEN));
      fz_ipv4(&s, p, len, bcast);
    }
  fz_stack_fini(&s);
  return 0;
}
