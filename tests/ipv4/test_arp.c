/* ARP layer: replies, learning, malformed input, resolution with retries
   and back-off, cache expiry, bounded cache, gratuitous announcements. */
#include <config.h>
#include "harness.h"
#include <string.h>

static const uint8_t zero_mac[6];

START_TEST(gratuitous_on_config)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  /* hstack_init swallowed the startup announcement: add an address. */
  ck_assert_int_eq(net_ipv4_addr_add(s.inet.ipv4, 0x0a000102u, 24), 0);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_ARP);
  ck_assert_mem_eq(f->dst_mac, net_mac_broadcast, 6);
  ck_assert_uint_eq(hrd16(f->data + 6), 1);
  ck_assert_uint_eq(hrd32(f->data + 14), 0x0a000102u);
  ck_assert_uint_eq(hrd32(f->data + 24), 0x0a000102u);
  ck_assert_mem_eq(f->data + 8, H_OUR_MAC, 6);
  hframe_free(f);
  ck_assert_uint_eq(hstat(s.inet.arp, "tx_gratuitous"), 2);
  hstack_fini(&s);
}
END_TEST

START_TEST(reply_to_request)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  uint8_t arp[28];
  hbuild_arp(arp, 1, H_PEER_MAC, H_PEER_IP, zero_mac, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, arp, sizeof arp, true);
  /* Not for us: no answer, not learned. */
  hbuild_arp(arp, 1, H_PEER_MAC, 0x0a000003u, zero_mac, 0x0a000004u);
  hlink_inject(&s, NET_ETHERTYPE_ARP, arp, sizeof arp, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 1);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_ARP);
  ck_assert_mem_eq(f->dst_mac, H_PEER_MAC, 6);
  ck_assert_uint_eq(hrd16(f->data + 6), 2);
  ck_assert_mem_eq(f->data + 8, H_OUR_MAC, 6);
  ck_assert_uint_eq(hrd32(f->data + 14), H_OUR_IP);
  ck_assert_mem_eq(f->data + 18, H_PEER_MAC, 6);
  ck_assert_uint_eq(hrd32(f->data + 24), H_PEER_IP);
  hframe_free(f);
  ck_assert_uint_eq(hstat(s.inet.arp, "learned"), 1);
  ck_assert_uint_eq(hstat(s.inet.arp, "rx_not_for_us"), 1);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_entries"), 1);
  hstack_fini(&s);
}
END_TEST

START_TEST(malformed)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  uint8_t arp[28];
  hbuild_arp(arp, 1, H_PEER_MAC, H_PEER_IP, zero_mac, H_OUR_IP);
  /* A real wire pads short frames to 46 bytes of payload: truncated ARP
     packets exist on the fake link only. */
  if (!hlink_pads())
    for (size_t len = 0; len < 28; len += 3)
      hlink_inject(&s, NET_ETHERTYPE_ARP, arp, len, true);
  uint8_t bad[28];
  memcpy(bad, arp, 28);
  bad[1] = 6;   /* htype */
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  memcpy(bad, arp, 28);
  bad[2] = 0x86;   /* ptype */
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  memcpy(bad, arp, 28);
  bad[4] = 8;   /* hlen */
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  memcpy(bad, arp, 28);
  bad[5] = 16;   /* plen */
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  memcpy(bad, arp, 28);
  bad[7] = 3;   /* RARP */
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  static const uint8_t group[6] = {0x01, 0, 0x5e, 0, 0, 1};
  hbuild_arp(bad, 1, group, H_PEER_IP, zero_mac, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  hbuild_arp(bad, 1, zero_mac, H_PEER_IP, zero_mac, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  hbuild_arp(bad, 1, H_PEER_MAC, 0xffffffffu, zero_mac, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  hbuild_arp(bad, 1, H_OUR_MAC, H_PEER_IP, zero_mac, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  /* Someone else claims our address: counted, not learned, defended
     (the only frame we send). */
  hbuild_arp(bad, 2, H_PEER_MAC, H_OUR_IP, zero_mac, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 1);
  hlink_clear(&s);
  ck_assert_uint_eq(hstat(s.inet.arp, "drop_truncated"), hlink_pads() ? 0 : 10);
  ck_assert_uint_eq(hstat(s.inet.arp, "drop_bad_format"), 4);
  ck_assert_uint_eq(hstat(s.inet.arp, "drop_bad_op"), 1);
  ck_assert_uint_eq(hstat(s.inet.arp, "drop_bad_sender"), 3);
  ck_assert_uint_eq(hstat(s.inet.arp, "drop_own_mac"), 1);
  ck_assert_uint_eq(hstat(s.inet.arp, "addr_conflicts"), 1);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_entries"), 0);
  hstack_fini(&s);
}
END_TEST

/* A conflicting claim on our address is answered with one announcement,
   then not again for 10 s (RFC 5227 defence). */
START_TEST(address_defence)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  uint8_t bad[28];
  hbuild_arp(bad, 2, H_PEER_MAC, H_OUR_IP, zero_mac, H_OUR_IP);
  for (int i = 0; i < 3; i++)
    hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 1);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_mem_eq(f->dst_mac, net_mac_broadcast, 6);
  ck_assert_uint_eq(hrd32(f->data + 14), H_OUR_IP);
  ck_assert_mem_eq(f->data + 8, H_OUR_MAC, 6);
  hframe_free(f);
  hrun_for(&s, 9 * NET_NSEC_PER_SEC);
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  hrun_for(&s, 2 * NET_NSEC_PER_SEC);
  hlink_inject(&s, NET_ETHERTYPE_ARP, bad, 28, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 1);
  hlink_clear(&s);
  ck_assert_uint_eq(hstat(s.inet.arp, "addr_conflicts"), 5);
  ck_assert_uint_eq(hstat(s.inet.arp, "tx_defenses"), 2);
  hstack_fini(&s);
}
END_TEST

/* An unanswered next hop: requests at 0, 1 s, 3 s (back-off), failure at
   7 s; parked datagrams dropped, the sender told EHOSTUNREACH. */
START_TEST(resolution_fails_with_backoff)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  hep_send(ep, 0x0a000009u, 9, "x", 1, false);
  hep_send(ep, 0x0a000009u, 9, "y", 1, false);
  hrun_for(&s, 7 * NET_NSEC_PER_SEC + NET_NSEC_PER_SEC / 2);
  ck_assert_uint_eq(hlink_count(&s), 3);
  net_time_t at[3];
  for (int i = 0; i < 3; i++)
    {
      struct hframe_s *f = hlink_pop(&s);
      ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_ARP);
      ck_assert_mem_eq(f->dst_mac, net_mac_broadcast, 6);
      ck_assert_uint_eq(hrd32(f->data + 24), 0x0a000009u);
      at[i] = f->at;
      hframe_free(f);
    }
  ck_assert_uint_eq(at[1] - at[0], 1 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(at[2] - at[1], 2 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hstat(s.inet.arp, "resolve_failed"), 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_neigh_failed"), 2);
  ck_assert_uint_eq(ep->errors->len, 2);
  struct herr_s e = g_array_index(ep->errors, struct herr_s, 0);
  ck_assert_int_eq(e.err, -EHOSTUNREACH);
  ck_assert(e.local);
  ck_assert_uint_eq(e.dst, 0x0a000009u);
  /* FAILED is held (1 s): a new datagram fails at once, no request. */
  hep_send(ep, 0x0a000009u, 9, "z", 1, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(ep->errors->len, 3);
  hstack_fini(&s);
}
END_TEST

/* More datagrams than the per-next-hop queue holds while resolving: the
   oldest are dropped and counted, the rest leave once resolved. */
START_TEST(queue_overflow)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  for (int i = 0; i < 20; i++)
    {
      uint8_t b = (uint8_t)i;
      hep_send(ep, H_PEER_IP, 9, &b, 1, false);
    }
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 1);   /* the ARP request */
  hlink_clear(&s);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_neigh_queue_full"), 4);
  uint8_t arp[28];
  hbuild_arp(arp, 2, H_PEER_MAC, H_PEER_IP, H_OUR_MAC, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, arp, sizeof arp, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 16);
  for (int i = 4; i < 20; i++)
    {
      struct hframe_s *f = hlink_pop(&s);
      ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_IPV4);
      ck_assert_mem_eq(f->dst_mac, H_PEER_MAC, 6);
      ck_assert_uint_eq(f->len, 20 + 8 + 1);
      ck_assert_uint_eq(f->data[28], i);   /* in order, the newest kept */
      hframe_free(f);
    }
  ck_assert_uint_eq(hstat(s.inet.arp, "resolved"), 1);
  hstack_fini(&s);
}
END_TEST

/* Reachable for 30 s, then STALE: used once more, a unicast probe goes
   out; unanswered, the entry is dropped; unused entries are reclaimed. */
START_TEST(cache_expiry)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  hlink_learn_peer(&s, H_PEER_IP);
  hep_send(ep, H_PEER_IP, 9, "a", 1, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 1);   /* no ARP needed */
  hlink_clear(&s);
  hrun_for(&s, 31 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hlink_count(&s), 0);
  hep_send(ep, H_PEER_IP, 9, "b", 1, false);
  hrun(&s);
  /* The datagram leaves with the known address; ARP probes by unicast. */
  ck_assert_uint_eq(hlink_count(&s), 2);
  struct hframe_s *f = hlink_pop(&s);
  struct hframe_s *g = hlink_pop(&s);
  if (f->ethertype == NET_ETHERTYPE_IPV4)
    {
      struct hframe_s *t = f;
      f = g;
      g = t;
    }
  ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_ARP);
  ck_assert_mem_eq(f->dst_mac, H_PEER_MAC, 6);
  ck_assert_mem_eq(g->dst_mac, H_PEER_MAC, 6);
  hframe_free(f);
  hframe_free(g);
  hrun_for(&s, 10 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hlink_count(&s), 2);   /* two more probes */
  hlink_clear(&s);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_entries"), 0);
  ck_assert_uint_eq(hstat(s.inet.arp, "resolve_failed"), 1);

  /* Learned and never used: reclaimed after gc_stale_time. */
  hlink_learn_peer(&s, 0x0a000005u);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_entries"), 1);
  hrun_for(&s, 100 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_entries"), 0);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_expired"), 1);
  hstack_fini(&s);
}
END_TEST

/* The cache never holds more than cache_max entries: the least recently
   used resolved entry gives way; unresolved ones are never evicted. */
START_TEST(bounded_cache)
{
  struct hstack_s s;
  struct net_inet_config_s cfg = {0};
  cfg.ipv4.addrs[0].addr = H_OUR_IP;
  cfg.ipv4.addrs[0].prefix_len = 16;
  cfg.ipv4.addr_count = 1;
  cfg.arp.cache_max = 4;
  hstack_init(&s, &cfg);
  for (uint32_t i = 0; i < 10; i++)
    hlink_learn_peer(&s, 0x0a000100u + i);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_entries"), 4);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_evicted"), 6);
  /* Four unresolved next hops fill it; a fifth cannot get an entry. */
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  for (uint32_t i = 0; i < 5; i++)
    hep_send(ep, 0x0a000200u + i, 9, "q", 1, false);
  hrun(&s);
  ck_assert_uint_eq(hstat(s.inet.arp, "cache_entries"), 4);
  ck_assert_uint_eq(hstat(s.inet.arp, "query_nobufs"), 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_neigh_failed"), 1);
  hstack_fini(&s);
}
END_TEST

/* Tearing the stack down while it waits (parked packets, a pending
   resolution, an incomplete datagram, armed timers) leaks nothing: every
   layer is destroyed (checked by hstack_fini, and by Valgrind/ASan). */
START_TEST(teardown_while_busy)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  for (int i = 0; i < 5; i++)
    hep_send(ep, 0x0a000009u, 9, "w", 1, false);
  uint8_t p[64];
  size_t n = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 9, 0x2000, 64,
                         "0123456789abcdef", 16);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n, false);
  hrun(&s);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_datagrams"), 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "neigh_entries"), 1);
  hstack_fini(&s);
}
END_TEST

static Suite *arp_suite(void)
{
  Suite *s = suite_create("arp");
  TCase *tc = tcase_create("arp");
  tcase_add_test(tc, gratuitous_on_config);
  tcase_add_test(tc, reply_to_request);
  tcase_add_test(tc, malformed);
  tcase_add_test(tc, address_defence);
  tcase_add_test(tc, resolution_fails_with_backoff);
  tcase_add_test(tc, queue_overflow);
  tcase_add_test(tc, cache_expiry);
  tcase_add_test(tc, bounded_cache);
  tcase_add_test(tc, teardown_while_busy);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return hrun_suite(arp_suite) ? 1 : 0;
}
