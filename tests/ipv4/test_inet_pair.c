/* Two complete stacks (Ethernet, ARP, IPv4, ICMP, UDP) over the pair
   device on a virtual clock: ARP through real Ethernet layers, UDP echo of
   fragmented datagrams on a perfect wire, and on wires that duplicate,
   reorder and lose frames (seeded, reproducible). */
#include <config.h>
#include "check_main.h"
#include "harness.h"
#include <net/dev/pair.h>
#include <string.h>

#define A_IP 0x0a000001u
#define B_IP 0x0a000002u

struct pair_s
{
  struct hstack_s a, b;         /* only sched / inet are used */
  struct net_device_s *da, *db;
  struct net_layer_s *ea, *eb;
};

static void stack_on(struct hstack_s *s, struct net_device_s *dev,
                     struct net_layer_s **eth, uint32_t ip)
{
  ck_assert_int_eq(net_device_layer_create(dev, NET_LAYER_ETHERNET, NULL, NULL,
                                           NULL, eth), 0);
  struct net_inet_config_s cfg = {0};
  cfg.ipv4.addrs[0].addr = ip;
  cfg.ipv4.addrs[0].prefix_len = 24;
  cfg.ipv4.addr_count = 1;
  ck_assert_int_eq(net_inet_create(*eth, &cfg, &s->inet), 0);
}

static void pair_init_on(struct pair_s *p, const struct net_pair_params_s *wire,
                         bool threaded)
{
  memset(p, 0, sizeof *p);
  struct net_scheduler_options_s opt = {.clock = NET_CLOCK_VIRTUAL,
                                        .large_buffer_size = 16384};
  if (threaded)
    {
      opt.clock = NET_CLOCK_MONOTONIC;
      opt.workers = 4;
      p->a.sched = p->b.sched = net_scheduler_threaded_create(&opt);
    }
  else
    p->a.sched = p->b.sched = net_scheduler_loop_create(NULL, &opt);
  ck_assert_ptr_nonnull(p->a.sched);
  struct net_pair_params_s ab = {0}, ba = {0};
  if (wire)
    {
      ab = *wire;
      ba = *wire;
      ba.seed = wire->seed * 31 + 7;
    }
  ck_assert_int_eq(net_pair_create(p->a.sched, &ab, &ba, &p->da, &p->db), 0);
  stack_on(&p->a, p->da, &p->ea, A_IP);
  stack_on(&p->b, p->db, &p->eb, B_IP);
  struct net_layer_s *echo;
  ck_assert_int_eq(net_udp_echo_create(p->b.sched, &echo), 0);
  struct net_udp_bind_s port7 = {.local_port = 7};
  ck_assert_int_eq(net_layer_bind(p->b.inet.udp, &port7, echo), 0);
  net_layer_refdec(echo);
  if (!threaded)
    net_scheduler_run_for(p->a.sched, NET_NSEC_PER_SEC);
  net_scheduler_run_until_idle(p->a.sched);
}

static void pair_init(struct pair_s *p, const struct net_pair_params_s *wire)
{
  pair_init_on(p, wire, false);
}

static void pair_fini(struct pair_s *p)
{
  net_inet_release(&p->a.inet);
  net_inet_release(&p->b.inet);
  net_layer_unbind_all(p->ea);
  net_layer_unbind_all(p->eb);
  /* One end after the other: pair.c's pair_detach() races with itself
     when both ends' layers are destroyed at once on two workers (TSan,
     reported to the devices area). */
  net_layer_refdec(p->ea);
  net_scheduler_run_until_idle(p->a.sched);
  net_layer_refdec(p->eb);
  net_device_refdec(p->da);
  net_device_refdec(p->db);
  net_scheduler_run_until_idle(p->a.sched);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(p->a.sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  net_scheduler_destroy(p->a.sched);
}

static size_t payload_of(unsigned seq, uint8_t *out)
{
  size_t len = 4 + (seq * 997) % 9000;   /* 4 .. 9003 bytes */
  out[0] = (uint8_t)(seq >> 24);
  out[1] = (uint8_t)(seq >> 16);
  out[2] = (uint8_t)(seq >> 8);
  out[3] = (uint8_t)seq;
  for (size_t i = 4; i < len; i++)
    out[i] = (uint8_t)(seq + i * 3);
  return len;
}

/* Send @p count datagrams from A to B's echo, one every 10 ms; return how
   many distinct ones came back (each checked byte for byte). */
static unsigned echo_round(struct pair_s *p, unsigned count)
{
  struct hep_s *ep = hep_new(&p->a);
  ck_assert_int_eq(hep_bind_udp(&p->a, ep, 6000, B_IP, 7), 0);
  static uint8_t buf[10000];
  for (unsigned seq = 0; seq < count; seq++)
    {
      size_t len = payload_of(seq, buf);
      hep_send(ep, 0, 0, buf, len, false);
      net_scheduler_run_for(p->a.sched, 10 * NET_NSEC_PER_MSEC);
    }
  net_scheduler_run_for(p->a.sched, 5 * NET_NSEC_PER_SEC);
  bool *seen = g_new0(bool, count);
  unsigned distinct = 0;
  struct hframe_s *f;
  while ((f = g_queue_pop_head(&ep->inbound)))
    {
      ck_assert_uint_ge(f->len, 4);
      unsigned seq = hrd32(f->data);
      ck_assert_uint_lt(seq, count);
      size_t len = payload_of(seq, buf);
      ck_assert_uint_eq(f->len, len);
      ck_assert_mem_eq(f->data, buf, len);
      if (!seen[seq])
        distinct++;
      seen[seq] = true;
      hframe_free(f);
    }
  g_free(seen);
  net_layer_unbind(p->a.inet.udp, &ep->layer);
  return distinct;
}

START_TEST(perfect_wire)
{
  struct pair_s p;
  pair_init(&p, NULL);
  ck_assert_uint_eq(echo_round(&p, 60), 60);
  ck_assert_uint_eq(hstat(p.a.inet.arp, "resolved"), 1);
  ck_assert_uint_gt(hstat(p.b.inet.ipv4, "reasm_ok"), 0);
  ck_assert_uint_gt(hstat(p.a.inet.ipv4, "reasm_ok"), 0);
  ck_assert_uint_eq(hstat(p.b.inet.udp, "drop_bad_checksum"), 0);
  pair_fini(&p);
}
END_TEST

/* Duplicated and reordered frames: every datagram still comes back whole;
   duplicate fragments are dropped alone. */
START_TEST(duplicating_reordering_wire)
{
  struct net_pair_params_s wire = {.seed = 42 + (uint64_t)_i, .duplicate = 0.2,
                                   .reorder = 0.2, .jitter = NET_NSEC_PER_MSEC};
  struct pair_s p;
  pair_init(&p, &wire);
  ck_assert_uint_eq(echo_round(&p, 60), 60);
  ck_assert_uint_gt(hstat(p.b.inet.ipv4, "drop_frag_duplicate")
                    + hstat(p.a.inet.ipv4, "drop_frag_duplicate"), 0);
  pair_fini(&p);
}
END_TEST

/* A wire that offloads checksums: unfragmented datagrams leave with the
   checksum for the "device" to finish and arrive counted as verified
   (they never left the machine); fragmented ones are summed in software.
   Either way every echo comes back whole. */
START_TEST(checksum_offload_wire)
{
  struct net_pair_params_s wire = {.offloads = NET_OFFLOAD_CSUM};
  struct pair_s p;
  pair_init(&p, &wire);
  ck_assert_uint_eq(echo_round(&p, 60), 60);
  ck_assert_uint_eq(hstat(p.b.inet.udp, "drop_bad_checksum"), 0);
  ck_assert_uint_eq(hstat(p.a.inet.udp, "drop_bad_checksum"), 0);
  pair_fini(&p);
}
END_TEST

/* Lossy wire: what is lost is lost, nothing leaks; incomplete datagrams
   are reclaimed after the reassembly timeout. */
START_TEST(lossy_wire)
{
  struct net_pair_params_s wire = {.seed = 7 + (uint64_t)_i, .loss = 0.2,
                                   .duplicate = 0.05, .reorder = 0.1};
  struct pair_s p;
  pair_init(&p, &wire);
  unsigned got = echo_round(&p, 60);
  ck_assert_uint_gt(got, 0);
  ck_assert_uint_lt(got, 60);
  net_scheduler_run_for(p.a.sched, 40 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hstat(p.a.inet.ipv4, "reasm_bytes"), 0);
  ck_assert_uint_eq(hstat(p.b.inet.ipv4, "reasm_bytes"), 0);
  ck_assert_uint_eq(hstat(p.a.inet.ipv4, "reasm_datagrams"), 0);
  ck_assert_uint_eq(hstat(p.b.inet.ipv4, "reasm_datagrams"), 0);
  ck_assert_uint_gt(hstat(p.b.inet.ipv4, "reasm_timeout")
                    + hstat(p.a.inet.ipv4, "reasm_timeout"), 0);
  pair_fini(&p);
}
END_TEST

/* The threaded scheduler (real clock, 4 workers): the layers of both
   stacks run in parallel; every echo comes back whole.  Under TSan this is
   the race check of the suite. */
START_TEST(threaded_scheduler)
{
  struct pair_s p;
  pair_init_on(&p, NULL, true);
  struct hep_s *ep = hep_new(&p.a);
  ck_assert_int_eq(hep_bind_udp(&p.a, ep, 6000, B_IP, 7), 0);
  static uint8_t buf[10000];
  const unsigned count = 200;
  /* One datagram first: the burst would overflow the queue of packets
     waiting for ARP (16).  Then the burst; idle means every echo is in.
     Bounded: a lost one fails the count. */
  for (unsigned seq = 0; seq < count; seq++)
    {
      size_t len = payload_of(seq, buf);
      hep_send(ep, 0, 0, buf, len, false);
      unsigned want = seq == 0 ? 1 : count;
      if (seq != 0 && seq != count - 1)
        continue;
      /* Read the endpoint's queue only once the workers are idle. */
      for (int i = 0; i < 200; i++)
        {
          net_scheduler_run_until_idle(p.a.sched);
          if (ep->inbound.length >= want)
            break;
          g_usleep(10000);
        }
    }
  ck_assert_uint_eq(ep->inbound.length, count);
  struct hframe_s *f;
  while ((f = g_queue_pop_head(&ep->inbound)))
    {
      size_t len = payload_of(hrd32(f->data), buf);
      ck_assert_uint_eq(f->len, len);
      ck_assert_mem_eq(f->data, buf, len);
      hframe_free(f);
    }
  net_layer_unbind(p.a.inet.udp, &ep->layer);
  pair_fini(&p);
}
END_TEST

static Suite *pair_suite(void)
{
  Suite *s = suite_create("inet_pair");
  TCase *tc = tcase_create("pair");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, perfect_wire);
  tcase_add_test(tc, checksum_offload_wire);
  tcase_add_loop_test(tc, duplicating_reordering_wire, 0, 3);
  tcase_add_loop_test(tc, lossy_wire, 0, 3);
  tcase_add_test(tc, threaded_scheduler);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(pair_suite());
}
