/* Dumper layer on a pair under the virtual clock: golden text of a mirror
   (both directions, malformed frames), a sink, hex and link-header
   output, max_packets and its delegate, the pcap it writes. */
#include <config.h>
#include <net/dev/pair.h>
#include <net/layer/dumper.h>
#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "recorder.h"
#include "frames.h"

static struct net_scheduler_s *sched;
static struct net_device_s *dev_a, *dev_b;
static struct net_layer_s *eth_a, *eth_b;
static struct recorder_s *ip_a, *ip_b;

static void setup(void)
{
  struct net_scheduler_options_s o = { .clock = NET_CLOCK_VIRTUAL };
  sched = net_scheduler_loop_create(NULL, &o);
  struct net_pair_params_s ab = { .delay = NET_NSEC_PER_MSEC };
  struct net_pair_params_s ba = { .delay = 2 * NET_NSEC_PER_MSEC };
  ck_assert_int_eq(net_pair_create(sched, &ab, &ba, &dev_a, &dev_b), 0);
  struct net_ethernet_params_s p = { 0 };
  memcpy(p.mac, tf_mac_a, 6);
  ck_assert_int_eq(net_device_layer_create(dev_a, NET_LAYER_ETHERNET, &p, NULL,
                                           NULL, &eth_a), 0);
  memcpy(p.mac, tf_mac_b, 6);
  ck_assert_int_eq(net_device_layer_create(dev_b, NET_LAYER_ETHERNET, &p, NULL,
                                           NULL, &eth_b), 0);
  ip_a = rec_new(sched);
  ip_b = rec_new(sched);
  uint16_t t = NET_ETHERTYPE_IPV4;
  ck_assert_int_eq(net_layer_bind(eth_a, &t, &ip_a->layer), 0);
  net_scheduler_run_until_idle(sched);
}

static void teardown(void)
{
  net_layer_refdec(&ip_a->layer);
  net_layer_refdec(&ip_b->layer);
  net_layer_refdec(eth_a);
  net_layer_refdec(eth_b);
  net_device_refdec(dev_a);
  net_device_refdec(dev_b);
  net_scheduler_run_until_idle(sched);
  net_scheduler_destroy(sched);
}

/* IPv4 + UDP packet (no Ethernet header) from @p src to @p dst. */
static size_t udp_packet(uint8_t *out, uint32_t src, uint32_t dst,
                         uint16_t sport, uint16_t dport)
{
  size_t n = tf_ip(out, src, dst, 17, 8 + 5, 9, 0x4000);
  uint8_t *u = out + n;
  tf_put16(u, sport);
  tf_put16(u + 2, dport);
  tf_put16(u + 4, 13);
  memcpy(u + 8, "hello", 5);
  tf_l4_csum(u, 13, src, dst, 17, 6);
  return n + 13;
}

static unsigned done_calls;

static void on_done(void *delegate, struct net_layer_s *dumper)
{
  done_calls++;
}

static const struct net_dumper_delegate_vtable_s dumper_vt = { .done = on_done };

START_TEST(test_mirror_sink_and_pcap)
{
  char *text = NULL, *text2 = NULL, *text3 = NULL;
  size_t text_len = 0, text2_len = 0, text3_len = 0;
  FILE *out = open_memstream(&text, &text_len);
  FILE *out2 = open_memstream(&text2, &text2_len);
  FILE *out3 = open_memstream(&text3, &text3_len);
  char *pcap = g_strdup_printf("test_dumper-%d.pcap", (int)getpid());

  /* Mirror of A with a pcap; a second mirror stopping after one frame,
     with MACs and hex; a sink on B for IPv4. */
  struct net_layer_s *mirror, *mirror2, *sink;
  struct net_dumper_params_s dp = { .out = out, .pcap_path = pcap,
                                    .flags = NET_DUMP_SCHED_TIME };
  ck_assert_int_eq(net_dumper_create(sched, &dp, NULL, NULL, &mirror), 0);
  dp = (struct net_dumper_params_s){ .out = out2, .max_packets = 1,
                                     .flags = NET_DUMP_SCHED_TIME | NET_DUMP_HEX
                                              | NET_DUMP_LINK_HEADER };
  ck_assert_int_eq(net_dumper_create(sched, &dp, NULL, &dumper_vt, &mirror2), 0);
  dp = (struct net_dumper_params_s){ .out = out3, .link = NET_DUMP_LINK_IPV4,
                                     .flags = NET_DUMP_SCHED_TIME };
  ck_assert_int_eq(net_dumper_create(sched, &dp, NULL, NULL, &sink), 0);
  uint16_t m = NET_ETHERNET_MIRROR, ip = NET_ETHERTYPE_IPV4;
  ck_assert_int_eq(net_layer_bind(eth_a, &m, mirror), 0);
  ck_assert_int_eq(net_layer_bind(eth_a, &m, mirror2), 0);
  ck_assert_int_eq(net_layer_bind(eth_b, &ip, sink), 0);

  uint8_t pkt[64];
  size_t n = udp_packet(pkt, TF_IP_A, TF_IP_B, 5353, 7);
  ck_assert_int_eq(rec_send(ip_a, tf_mac_b, pkt, n), 0);
  net_scheduler_run_until_idle(sched);
  /* A runt reaches A from the wire. */
  struct net_buffer_s *b = net_scheduler_buffer_alloc(sched, 0, 5);
  memset(net_buffer_put(b, 5), 0xee, 5);
  ck_assert_int_eq(net_ethernet_inject(eth_a, b, 0), 0);
  net_scheduler_run_until_idle(sched);
  net_scheduler_run_for(sched, NET_NSEC_PER_MSEC);   /* A -> B arrives */
  /* B answers through a recorder swapped in for the sink. */
  net_layer_unbind(eth_b, sink);
  ck_assert_int_eq(net_layer_bind(eth_b, &ip, &ip_b->layer), 0);
  n = udp_packet(pkt, TF_IP_B, TF_IP_A, 7, 5353);
  ck_assert_int_eq(rec_send(ip_b, tf_mac_a, pkt, n), 0);
  net_scheduler_run_for(sched, 5 * NET_NSEC_PER_MSEC);

  ck_assert_uint_eq(net_dumper_count(mirror), 3);
  ck_assert_uint_eq(net_dumper_count(mirror2), 1);
  ck_assert_uint_eq(net_dumper_count(sink), 1);
  ck_assert_uint_eq(done_calls, 1);
  ck_assert_uint_eq(stat_get(mirror2, "ignored"), 2);
  ck_assert_uint_eq(stat_get(mirror, "in"), 2);
  ck_assert_uint_eq(stat_get(mirror, "out"), 1);
  ck_assert_uint_eq(ip_a->packets->len, 1);    /* the stack still works */

  net_layer_unbind(eth_a, mirror);
  net_layer_unbind(eth_a, mirror2);
  net_layer_refdec(mirror);
  net_layer_refdec(mirror2);
  net_layer_refdec(sink);
  net_scheduler_run_until_idle(sched);         /* destroyed: pcap closed */
  fclose(out);
  fclose(out2);
  fclose(out3);

  ck_assert_str_eq(text,
    "0.000000 Out IP 10.0.0.1.5353 > 10.0.0.2.7: UDP, length 5\n"
    "0.000000 In  [truncated ether], length 5\n"
    "0.003000 In  IP 10.0.0.2.7 > 10.0.0.1.5353: UDP, length 5\n");
  ck_assert_str_eq(text2,
    "0.000000 Out 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), "
    "length 60: IP 10.0.0.1.5353 > 10.0.0.2.7: UDP, length 5\n"
    "\t0x0000:  0200 0000 000b 0200 0000 000a 0800 4500\n"
    "\t0x0010:  0021 0009 4000 4011 26c1 0a00 0001 0a00\n"
    "\t0x0020:  0002 14e9 0007 000d 930f 6865 6c6c 6f00\n"
    "\t0x0030:  0000 0000 0000 0000 0000 0000\n");
  ck_assert_str_eq(text3, "0.001000 IP 10.0.0.1.5353 > 10.0.0.2.7: UDP, length 5\n");

  /* The pcap holds the three frames with their times and lengths. */
  gchar *data;
  gsize len;
  ck_assert(g_file_get_contents(pcap, &data, &len, NULL));
  ck_assert_uint_eq(len, 24 + (16 + 60) + (16 + 5) + (16 + 60));
  uint32_t r[4];
  memcpy(r, data + 24 + 16 + 60 + 16 + 5, 16);
  ck_assert_uint_eq(r[0], 0);
  ck_assert_uint_eq(r[1], 3 * NET_NSEC_PER_MSEC);
  ck_assert_uint_eq(r[2], 60);
  g_free(data);
  unlink(pcap);
  g_free(pcap);
  free(text);
  free(text2);
  free(text3);
}
END_TEST

START_TEST(test_create_errors)
{
  struct net_layer_s *d;
  struct net_dumper_params_s dp = { .pcap_path = "/nonexistent-dir/x.pcap" };
  ck_assert_int_eq(net_dumper_create(sched, &dp, NULL, NULL, &d), -ENOENT);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(net_dumper_create(sched, NULL, NULL, NULL, &d), -EINVAL);
  dp = (struct net_dumper_params_s){ .link = 17 };
  ck_assert_int_eq(net_dumper_create(sched, &dp, NULL, NULL, &d), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("dumper");
  TCase *tc = tcase_create("dumper");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_mirror_sink_and_pcap);
  tcase_add_test(tc, test_create_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
