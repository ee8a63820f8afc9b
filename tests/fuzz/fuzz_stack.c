/* Fuzz target: the whole stack, frame after frame, under the virtual
 * clock: Ethernet with a dumper mirror, ARP, IPv4, ICMP, UDP echo, TCP
 * echo and a listener, a client connection.
 *
 * Records are whole frames.  BIT5 sets the Ethernet header (peer to us,
 * IPv4), and then FZ_CTL_FIX_LEN / FZ_CTL_FIX_CSUM repair the IPv4 packet
 * as in the ipv4 target.  BIT6 makes the record an action of the local
 * side instead, data[0] % 8: connect the client (data[1] * 64 bytes to
 * send), the client sends data[1] * 64 bytes, shuts down, aborts, closes
 * (unbinds its application), the last accepted session shuts down, the
 * listener on port 80 stops, a UDP datagram to 10.0.0.data[1].
 */
#include <config.h>
#include "fuzz.h"
#include <net/layer/ethernet.h>
#include <string.h>

const char fz_target_name[] = "stack";

static void action(struct fz_stack_s *s, const struct fz_record_s *r)
{
  uint8_t op = r->len ? r->data[0] % 8 : 0;
  size_t n = (size_t)(r->len > 1 ? r->data[1] : 1);
  struct net_layer_s *client = s->client;
  struct fz_app_s *app = fz_app_of(client);
  struct net_layer_s *accepted = fz_session(s, false);
  switch (op)
    {
    case 0:
      if (!client)
        fz_tcp_connect(s, n * 64);
      break;
    case 1:
      if (app)
        fz_app_send(client, n * 64);
      break;
    case 2:
      if (app)
        net_tcp_shutdown(&app->layer, client);
      break;
    case 3:
      if (app)
        net_tcp_abort(&app->layer, client);
      break;
    case 4:
      if (app)
        net_layer_unbind(client, &app->layer);
      break;
    case 5:
      if (fz_app_of(accepted))
        net_tcp_shutdown(&fz_app_of(accepted)->layer, accepted);
      break;
    case 6:
      if (s->listener)
        net_layer_unbind(s->tcp, s->listener);
      break;
    default:
      fz_udp_send(s, 0x0a000000u | (uint32_t)n, FZ_UDP_SEND_PORT, 64);
      break;
    }
  fz_run(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz_in_s in = { data, size };
  struct fz_stack_s s;
  struct fz_record_s r;
  fz_stack_init(&s, FZ_WITH_TCP | FZ_WITH_DUMPER);
  while (fz_record(&in, FZ_MAX_FRAME, &r))
    {
      fz_time_step(&s, r.ctl);
      if (r.ctl & FZ_CTL_BIT6)
        {
          action(&s, &r);
          continue;
        }
      uint8_t f[FZ_MAX_FRAME];
      memcpy(f, r.data, r.len);
      if ((r.ctl & FZ_CTL_BIT5) && r.len >= 14)
        {
          memcpy(f, FZ_OUR_MAC, 6);
          memcpy(f + 6, FZ_PEER_MAC, 6);
          fz_wr16(f + 12, NET_ETHERTYPE_IPV4);
          fz_fix_ipv4(f + 14, r.len - 14, r.ctl);
        }
      fz_frame(&s, f, r.len);
    }
  fz_stack_fini(&s);
  return 0;
}
