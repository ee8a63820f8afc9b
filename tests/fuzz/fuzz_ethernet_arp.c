/* Fuzz target: the Ethernet layer and ARP.
 *
 * Records are whole frames handed to the Ethernet layer as the driver
 * would.  BIT5 turns the frame into an ARP frame for us: destination our
 * MAC (BIT6: broadcast), ethertype 0x0806, so most mutations exercise the
 * ARP parser and cache.  BIT7 instead makes the stack send a datagram to
 * 10.0.0.data[0] (data[1] * 8 bytes): next-hop resolution, parked
 * packets, retries and failures, fragmentation.  The harness answers ARP
 * requests for 10.0.0.1 only.
 */
#include <config.h>
#include "fuzz.h"
#include <net/layer/ethernet.h>
#include <string.h>

const char fz_target_name[] = "ethernet_arp";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz_in_s in = { data, size };
  struct fz_stack_s s;
  struct fz_record_s r;
  fz_stack_init(&s, 0);
  while (fz_record(&in, FZ_MAX_FRAME, &r))
    {
      fz_time_step(&s, r.ctl);
      if (r.ctl & FZ_CTL_BIT7)
        {
          fz_udp_action(&s, &r, 3);
          continue;
        }
      uint8_t f[FZ_MAX_FRAME];
      memcpy(f, r.data, r.len);
      if ((r.ctl & FZ_CTL_BIT5) && r.len >= 14)
        {
          memcpy(f, (r.ctl & FZ_CTL_BIT6) ? net_mac_broadcast : FZ_OUR_MAC, 6);
          fz_wr16(f + 12, NET_ETHERTYPE_ARP);
        }
      fz_frame(&s, f, r.len);
    }
  fz_stack_fini(&s);
  return 0;
}
