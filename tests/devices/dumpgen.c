/* dumpgen PCAP: run a short simulated exchange on a pair device (virtual
   clock) with a mirror dumper on end A writing PCAP, and print the
   dumper's text on stdout.  Used by pcap-tshark.sh to check that tshark
   reads our pcap cleanly and agrees with our decoders. */
#include <config.h>
#include <net/dev/pair.h>
#include <net/layer/dumper.h>
#include <stdio.h>
#include <stdlib.h>
#include "recorder.h"
#include "frames.h"

static struct recorder_s *bind_rec(struct net_layer_s *eth, uint16_t type)
{
  struct recorder_s *r = rec_new(eth->scheduler);
  g_assert(net_layer_bind(eth, &type, &r->layer) == 0);
  return r;
}

/* Strip the Ethernet header of a crafted frame: children send payloads. */
static void send_frame(struct recorder_s *r, const uint8_t *f, size_t len)
{
  g_assert(rec_send(r, f, f + 14, len - 14) == 0);
}

int main(int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf(stderr, "usage: dumpgen PCAP\n");
      return 2;
    }
  struct net_scheduler_options_s o = { .clock = NET_CLOCK_VIRTUAL };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &o);
  struct net_device_s *a, *b;
  struct net_pair_params_s ab = { .delay = NET_NSEC_PER_MSEC };
  g_assert(net_pair_create(sched, &ab, &ab, &a, &b) == 0);
  struct net_layer_s *eth_a, *eth_b;
  struct net_ethernet_params_s p = { 0 };
  memcpy(p.mac, tf_mac_a, 6);
  g_assert(net_device_layer_create(a, NET_LAYER_ETHERNET, &p, NULL, NULL, &eth_a) == 0);
  memcpy(p.mac, tf_mac_b, 6);
  g_assert(net_device_layer_create(b, NET_LAYER_ETHERNET, &p, NULL, NULL, &eth_b) == 0);
  struct recorder_s *ip_a = bind_rec(eth_a, 0x0800), *arp_a = bind_rec(eth_a, 0x0806);
  struct recorder_s *ip_b = bind_rec(eth_b, 0x0800), *arp_b = bind_rec(eth_b, 0x0806);
  struct net_layer_s *dumper;
  struct net_dumper_params_s dp = { .out = stdout, .pcap_path = argv[1],
                                    .flags = NET_DUMP_SCHED_TIME };
  g_assert(net_dumper_create(sched, &dp, NULL, NULL, &dumper) == 0);
  uint16_t m = NET_ETHERNET_MIRROR;
  g_assert(net_layer_bind(eth_a, &m, dumper) == 0);
  net_scheduler_run_until_idle(sched);

  uint8_t f[2000];
  static const uint8_t zero[6];
  size_t n = tf_eth(f, net_mac_broadcast, tf_mac_a, 0x0806);
  n += tf_arp(f + n, 1, tf_mac_a, TF_IP_A, zero, TF_IP_B);
  send_frame(arp_a, f, n);
  n = tf_eth(f, tf_mac_a, tf_mac_b, 0x0806);
  n += tf_arp(f + n, 2, tf_mac_b, TF_IP_B, tf_mac_a, TF_IP_A);
  send_frame(arp_b, f, n);
  n = tf_icmp_echo_frame(f, 8, 77, 1, 56);
  send_frame(ip_a, f, n);
  n = tf_udp_frame(f, 5353, 7, "hello", 5);
  send_frame(ip_a, f, n);
  static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
                                      0, 0, 0, 0, 1, 3, 3, 7 };
  n = tf_tcp_frame(f, 40000, 7, 1000, 0, 0x02, 64240, syn_opts, sizeof syn_opts,
                   NULL, 0);
  send_frame(ip_a, f, n);
  n = tf_tcp_frame(f, 40000, 7, 1001, 5001, 0x18, 502, NULL, 0, "data!", 5);
  send_frame(ip_a, f, n);
  n = tf_tcp_frame(f, 40000, 7, 1006, 5001, 0x11, 502, NULL, 0, NULL, 0);
  send_frame(ip_a, f, n);
  /* A malformed IPv4 header (IHL 3) and a 1500-byte UDP datagram. */
  n = tf_udp_frame(f, 1, 2, "x", 1);
  f[14] = 0x43;
  send_frame(ip_a, f, n);
  uint8_t big[1472];
  memset(big, 0x5a, sizeof big);
  n = tf_udp_frame(f, 9, 9, big, sizeof big);
  send_frame(ip_a, f, n);
  net_scheduler_run_for(sched, 10 * NET_NSEC_PER_MSEC);

  int status = net_dumper_count(dumper) == 9 ? 0 : 1;
  net_layer_unbind(eth_a, dumper);
  net_layer_refdec(dumper);
  struct recorder_s *recs[] = { ip_a, arp_a, ip_b, arp_b };
  for (unsigned i = 0; i < 4; i++)
    net_layer_refdec(&recs[i]->layer);
  net_layer_refdec(eth_a);
  net_layer_refdec(eth_b);
  net_device_refdec(a);
  net_device_refdec(b);
  net_scheduler_run_until_idle(sched);
  net_scheduler_destroy(sched);
  return status;
}
