/* Fuzz target: the IPv4 layer, reassembly included.
 *
 * Records are IPv4 packets from the peer's MAC; the stack keeps its state
 * from one record to the next, so a sequence of fragments builds (and
 * times out, poisons, evicts) reassembly state.  FZ_CTL_FIX_LEN sets the
 * total length, FZ_CTL_FIX_CSUM the header checksum (and the transport
 * checksum of an unfragmented datagram).  BIT5 sends the frame to the
 * Ethernet broadcast address; BIT6 sets the source to 10.0.0.1 and the
 * destination to us before fixing; BIT7 makes the stack send a datagram
 * to 10.0.0.data[0] of data[1] * 8 bytes instead (routing, fragmentation,
 * local errors).
 */
#include <config.h>
#include "fuzz.h"
#include <string.h>

const char fz_target_name[] = "ipv4";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz_in_s in = { data, size };
  struct fz_stack_s s;
  struct fz_record_s r;
  fz_stack_init(&s, FZ_WITH_TCP);
  while (fz_record(&in, FZ_MAX_FRAME, &r))
    {
      fz_time_step(&s, r.ctl);
      if (r.ctl & FZ_CTL_BIT7)
        {
          fz_udp_action(&s, &r, 1);
          continue;
        }
      uint8_t p[FZ_MAX_FRAME];
      memcpy(p, r.data, r.len);
      if ((r.ctl & FZ_CTL_BIT6) && r.len >= 20)
        {
          fz_wr32(p + 12, FZ_PEER_IP);
          fz_wr32(p + 16, FZ_OUR_IP);
        }
      fz_fix_ipv4(p, r.len, r.ctl);
      fz_ipv4(&s, p, r.len, (r.ctl & FZ_CTL_BIT5) != 0);
    }
  fz_stack_fini(&s);
  return 0;
}
