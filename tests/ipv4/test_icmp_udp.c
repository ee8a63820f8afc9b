/* ICMP and UDP layers: echo (small and reassembled), errors generated
   (protocol and port unreachable) with RFC 1122 suppression rules and
   rate limiting, errors received and handed to endpoints, UDP demux,
   checksums, malformed datagrams, the UDP echo application. */
#include <config.h>
#include "harness.h"
#include <string.h>

static uint8_t pkt[70000];

static void ping(struct hstack_s *s, uint16_t seq, const uint8_t *data, size_t len,
                 bool bcast)
{
  static uint8_t icmp[70000];
  size_t il = hbuild_icmp_echo(icmp, 8, 0x1234, seq, data, len);
  size_t n = hbuild_ipv4(pkt, H_PEER_IP, bcast ? 0x0a0000ffu : H_OUR_IP, 1, seq,
                         0, 64, icmp, il);
  hlink_inject(s, NET_ETHERTYPE_IPV4, pkt, n, bcast);
}

START_TEST(echo_small)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  uint8_t data[56];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)i;
  ping(&s, 1, data, sizeof data, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 1);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_IPV4);
  ck_assert_mem_eq(f->dst_mac, H_PEER_MAC, 6);
  ck_assert_uint_eq(f->len, 20 + 8 + sizeof data);
  ck_assert_uint_eq(hrd32(f->data + 12), H_OUR_IP);
  ck_assert_uint_eq(hrd32(f->data + 16), H_PEER_IP);
  ck_assert_uint_eq(f->data[20], 0);                 /* echo reply */
  ck_assert_uint_eq(hrd16(f->data + 24), 0x1234);
  ck_assert_uint_eq(hrd16(f->data + 26), 1);
  ck_assert_uint_eq(net_csum(f->data + 20, f->len - 20), 0);
  ck_assert_mem_eq(f->data + 28, data, sizeof data);
  hframe_free(f);
  hstack_fini(&s);
}
END_TEST

/* The first ping to an unknown peer waits for ARP, then goes. */
START_TEST(echo_resolves_peer)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  ping(&s, 1, (const uint8_t *)"abcd", 4, false);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_ARP);
  hframe_free(f);
  uint8_t arp[28];
  hbuild_arp(arp, 2, H_PEER_MAC, H_PEER_IP, H_OUR_MAC, H_OUR_IP);
  hlink_inject(&s, NET_ETHERTYPE_ARP, arp, sizeof arp, false);
  hrun(&s);
  f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->data[20], 0);
  hframe_free(f);
  hstack_fini(&s);
}
END_TEST

/* 4000 bytes: fragments in, reassembled, answered, fragments out. */
START_TEST(echo_large_fragmented)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  static uint8_t data[4000], icmp[4100], whole[4100];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 13);
  size_t il = hbuild_icmp_echo(icmp, 8, 7, 9, data, sizeof data);
  for (size_t off = 0; off < il; off += 1480)
    {
      size_t l = MIN(1480, il - off);
      size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 4242,
                             (uint16_t)(off / 8 | (off + l < il ? 0x2000 : 0)), 64,
                             icmp + off, l);
      hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
    }
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 3);
  size_t total = 0;
  struct hframe_s *f;
  while ((f = hlink_pop(&s)))
    {
      size_t off = (size_t)(hrd16(f->data + 6) & 0x1fff) * 8;
      memcpy(whole + off, f->data + 20, f->len - 20);
      total += f->len - 20;
      hframe_free(f);
    }
  ck_assert_uint_eq(total, il);
  ck_assert_uint_eq(whole[0], 0);
  ck_assert_uint_eq(net_csum(whole, total), 0);
  ck_assert_mem_eq(whole + 8, data, sizeof data);
  hstack_fini(&s);
}
END_TEST

START_TEST(echo_broadcast_ignored)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  ping(&s, 1, (const uint8_t *)"abcd", 4, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(hstat(s.inet.icmp, "drop_echo_broadcast"), 1);
  hstack_fini(&s);
}
END_TEST

START_TEST(icmp_malformed)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  uint8_t icmp[64];
  size_t il = hbuild_icmp_echo(icmp, 8, 1, 1, "xy", 2);
  for (size_t l = 0; l < 8; l++)
    {
      size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 1, 0, 64, icmp, l);
      hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
    }
  icmp[5] ^= 0x40;   /* checksum now wrong */
  size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 1, 0, 64, icmp, il);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  /* An error whose quote is too short to tell whom it concerns. */
  uint8_t err[8 + 20] = {3, 3};
  uint16_t c = net_csum(err, sizeof err);
  memcpy(err + 2, &c, 2);
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 1, 0, 64, err, sizeof err);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  /* Redirects are ignored. */
  uint8_t redirect[8 + 28] = {5, 1};
  c = net_csum(redirect, sizeof redirect);
  memcpy(redirect + 2, &c, 2);
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 1, 0, 64, redirect, sizeof redirect);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(hstat(s.inet.icmp, "drop_truncated"), 8);
  ck_assert_uint_eq(hstat(s.inet.icmp, "drop_bad_checksum"), 1);
  ck_assert_uint_eq(hstat(s.inet.icmp, "drop_bad_quote"), 1);
  ck_assert_uint_eq(hstat(s.inet.icmp, "rx_ignored"), 1);
  hstack_fini(&s);
}
END_TEST

/* An unknown protocol gets "protocol unreachable" quoting its header. */
START_TEST(protocol_unreachable)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 99, 0x55aa, 0, 64,
                         "0123456789abcdef", 16);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->data[9], 1);
  ck_assert_uint_eq(f->data[20], 3);
  ck_assert_uint_eq(f->data[21], 2);
  ck_assert_uint_eq(net_csum(f->data + 20, f->len - 20), 0);
  ck_assert_uint_eq(f->len, 20 + 8 + n);     /* whole datagram quoted */
  ck_assert_mem_eq(f->data + 28, pkt, n);
  hframe_free(f);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_no_protocol"), 1);
  hstack_fini(&s);
}
END_TEST

static size_t udp_to(uint8_t *out, uint32_t dst, uint16_t dport, const void *d,
                     size_t len)
{
  uint8_t udp[2048];
  size_t ul = hbuild_udp(udp, H_PEER_IP, dst, 4000, dport, d, len);
  return hbuild_ipv4(out, H_PEER_IP, dst, 17, 3, 0, 64, udp, ul);
}

START_TEST(port_unreachable)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  size_t n = udp_to(pkt, H_OUR_IP, 9999, "closed", 6);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->data[20], 3);
  ck_assert_uint_eq(f->data[21], 3);
  ck_assert_mem_eq(f->data + 28, pkt, n);
  hframe_free(f);
  /* Not for broadcasts (IP or link level). */
  n = udp_to(pkt, 0x0a0000ffu, 9999, "closed", 6);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  n = udp_to(pkt, H_OUR_IP, 9999, "closed", 6);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(hstat(s.inet.icmp, "err_suppressed_broadcast"), 2);
  ck_assert_uint_eq(hstat(s.inet.udp, "drop_no_port"), 3);
  hstack_fini(&s);
}
END_TEST

/* Token bucket: a burst of 50, then 100 per second (virtual clock). */
START_TEST(rate_limited)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  /* Resolve the peer at the IPv4 level first (echo is not limited), so
     the neighbour queue does not cap the burst. */
  ping(&s, 1, (const uint8_t *)"warm", 4, false);
  hrun(&s);
  hlink_clear(&s);
  size_t n = udp_to(pkt, H_OUR_IP, 9999, "x", 1);
  for (int i = 0; i < 200; i++)
    hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 50);
  ck_assert_uint_eq(hstat(s.inet.icmp, "err_rate_limited"), 150);
  hlink_clear(&s);
  hrun_for(&s, NET_NSEC_PER_SEC / 2);
  for (int i = 0; i < 200; i++)
    hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 50);   /* half a second refills 50 */
  hlink_clear(&s);
  hstack_fini(&s);
}
END_TEST

/* No error about an ICMP error, nor about a non-first fragment: an
   incomplete ICMP error datagram times out silently, an incomplete echo
   request gets time exceeded. */
START_TEST(no_error_about_errors)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  uint8_t err[8 + 28 + 16] = {3, 1};
  size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 500, 0x2000, 64, err, 16);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  uint8_t echo[32];
  hbuild_icmp_echo(echo, 8, 1, 1, "0123456789", 10);
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 501, 0x2000, 64, echo, 16);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  /* A lone non-first fragment: no time exceeded either. */
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 502, 2, 64, echo, 16);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun_for(&s, 40 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_timeout"), 3);
  ck_assert_uint_eq(hstat(s.inet.icmp, "err_suppressed_icmp_error"), 1);
  /* Only one IPv4 frame (besides ARP probes of the now stale peer). */
  struct hframe_s *f, *te = NULL;
  int ipv4_frames = 0;
  while ((f = hlink_pop(&s)))
    {
      if (f->ethertype == NET_ETHERTYPE_IPV4 && ++ipv4_frames == 1)
        te = f;
      else
        hframe_free(f);
    }
  ck_assert_int_eq(ipv4_frames, 1);
  f = te;
  ck_assert_uint_eq(f->data[20], 11);
  ck_assert_uint_eq(hrd16(f->data + 28 + 4), 501);
  hframe_free(f);
  hstack_fini(&s);
}
END_TEST

/* A port unreachable about our datagram reaches the endpoint that sent
   it as ECONNREFUSED. */
START_TEST(error_delivered_to_endpoint)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, H_PEER_IP, 53), 0);
  hep_send(ep, 0, 0, "query", 5, false);   /* connected */
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(hrd16(f->data + 20), 5000);
  ck_assert_uint_eq(hrd16(f->data + 22), 53);
  uint8_t err[8 + 64] = {3, 3};
  memcpy(err + 8, f->data, 28);
  uint16_t c = net_csum(err, 36);
  memcpy(err + 2, &c, 2);
  size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 9, 0, 64, err, 36);
  hframe_free(f);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->errors->len, 1);
  struct herr_s e = g_array_index(ep->errors, struct herr_s, 0);
  ck_assert_int_eq(e.err, -ECONNREFUSED);
  ck_assert(!e.local);
  ck_assert_uint_eq(e.type, 3);
  ck_assert_uint_eq(e.code, 3);
  /* An error about a datagram that is not ours goes nowhere. */
  err[8 + 12] = 9;
  err[2] = err[3] = 0;
  c = net_csum(err, 36);
  memcpy(err + 2, &c, 2);
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 1, 9, 0, 64, err, 36);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->errors->len, 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_error"), 1);
  hstack_fini(&s);
}
END_TEST

/* UDP echo on port 7: byte-exact, correct checksum, back to the sender. */
START_TEST(udp_echo)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  struct net_layer_s *echo;
  ck_assert_int_eq(net_udp_echo_create(s.sched, &echo), 0);
  struct net_udp_bind_s b = {.local_port = 7};
  ck_assert_int_eq(net_layer_bind(s.inet.udp, &b, echo), 0);
  net_layer_refdec(echo);
  uint8_t data[300];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(255 - i);
  size_t n = udp_to(pkt, H_OUR_IP, 7, data, sizeof data);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->len, n);
  ck_assert_uint_eq(hrd16(f->data + 20), 7);
  ck_assert_uint_eq(hrd16(f->data + 22), 4000);
  ck_assert_uint_eq(net_csum_fold(net_csum_add(net_csum_pseudo_ipv4(
    H_OUR_IP, H_PEER_IP, 17, (uint32_t)(f->len - 20)), f->data + 20, f->len - 20)), 0);
  ck_assert_mem_eq(f->data + 28, data, sizeof data);
  hframe_free(f);
  hstack_fini(&s);
}
END_TEST

START_TEST(udp_malformed)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 7, 0, 0), 0);
  uint8_t udp[64];
  size_t ul = hbuild_udp(udp, H_PEER_IP, H_OUR_IP, 4000, 7, "payload", 7);
  for (size_t l = 0; l < 8; l++)
    {
      size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 17, 1, 0, 64, udp, l);
      hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
    }
  uint8_t bad[64];
  memcpy(bad, udp, ul);
  bad[5] = 40;   /* length past the datagram */
  size_t n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 17, 1, 0, 64, bad, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  memcpy(bad, udp, ul);
  bad[5] = 4;    /* shorter than the header */
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 17, 1, 0, 64, bad, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  memcpy(bad, udp, ul);
  bad[9] ^= 0xff;   /* payload changed under the checksum */
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 17, 1, 0, 64, bad, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  memcpy(bad, udp, ul);
  bad[0] = bad[1] = 0;   /* source port 0 */
  bad[6] = bad[7] = 0;
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 17, 1, 0, 64, bad, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 0);
  ck_assert_uint_eq(hstat(s.inet.udp, "drop_truncated"), 8);
  ck_assert_uint_eq(hstat(s.inet.udp, "drop_bad_length"), 2);
  ck_assert_uint_eq(hstat(s.inet.udp, "drop_bad_checksum"), 1);
  ck_assert_uint_eq(hstat(s.inet.udp, "drop_bad_port"), 1);
  /* Checksum 0 means none: accepted.  A UDP length shorter than the IP
     payload trims it. */
  memcpy(bad, udp, ul);
  bad[6] = bad[7] = 0;
  bad[5] = 8 + 3;
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 17, 1, 0, 64, bad, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  struct hframe_s *f = g_queue_peek_head(&ep->inbound);
  ck_assert_uint_eq(f->len, 3);
  ck_assert_mem_eq(f->data, "pay", 3);
  hstack_fini(&s);
}
END_TEST

/* Demux: connected beats bound address beats wildcard; same tuple twice
   is refused; port 0 picks an ephemeral port. */
START_TEST(udp_demux)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *any = hep_new(&s), *conn = hep_new(&s), *dup = hep_new(&s),
    *eph = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, any, 700, 0, 0), 0);
  ck_assert_int_eq(hep_bind_udp(&s, conn, 700, H_PEER_IP, 4000), 0);
  net_layer_refinc(&dup->layer);
  ck_assert_int_eq(hep_bind_udp(&s, dup, 700, 0, 0), -EADDRINUSE);
  net_layer_refdec(&dup->layer);
  ck_assert_int_eq(hep_bind_udp(&s, eph, 0, 0, 0), 0);
  ck_assert_uint_ge(eph->layer.context.addr.port, NET_UDP_EPHEMERAL_MIN);
  ck_assert(eph->layer.context.addr.valid & NET_ADDR_PORT);
  ck_assert_uint_eq(any->layer.context.addr.port, 700);
  ck_assert_uint_eq(any->layer.context.prefix_size, 14 + 20 + 8);
  ck_assert_uint_eq(any->layer.context.mtu, 1500 - 20 - 8);

  size_t n = udp_to(pkt, H_OUR_IP, 700, "c", 1);   /* from 4000: connected */
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  uint8_t udp[64];
  size_t ul = hbuild_udp(udp, H_PEER_IP, H_OUR_IP, 4001, 700, "w", 1);
  n = hbuild_ipv4(pkt, H_PEER_IP, H_OUR_IP, 17, 1, 0, 64, udp, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(conn->inbound.length, 1);
  ck_assert_uint_eq(any->inbound.length, 1);
  ck_assert_mem_eq(((struct hframe_s *)g_queue_peek_head(&conn->inbound))->data, "c", 1);
  ck_assert_mem_eq(((struct hframe_s *)g_queue_peek_head(&any->inbound))->data, "w", 1);
  /* Unbinding frees the port. */
  net_layer_unbind(s.inet.udp, &conn->layer);
  n = udp_to(pkt, H_OUR_IP, 700, "c", 1);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, pkt, n, false);
  hrun(&s);
  ck_assert_uint_eq(any->inbound.length, 2);
  hstack_fini(&s);
}
END_TEST

/* Checksum generation can be turned off (RFC 768: 0 = none); an ICMP error
   request about a buffer that is not a delivered datagram is refused. */
START_TEST(udp_no_checksum_and_bad_request)
{
  struct hstack_s s;
  struct net_inet_config_s cfg = {0};
  cfg.ipv4.addrs[0].addr = H_OUR_IP;
  cfg.ipv4.addrs[0].prefix_len = 24;
  cfg.ipv4.addr_count = 1;
  cfg.udp.no_tx_checksum = true;
  hstack_init(&s, &cfg);
  hlink_learn_peer(&s, H_PEER_IP);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  hep_send(ep, H_PEER_IP, 9, "plain", 5, false);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(hrd16(f->data + 26), 0);
  ck_assert_mem_eq(f->data + 28, "plain", 5);
  hframe_free(f);

  struct net_buffer_s *b = net_layer_buffer_alloc(&ep->layer, 8);
  memset(b->data, 0, b->size);   /* headroom included: no IPv4 header there */
  net_buffer_put(b, 8);
  struct net_addr_s a = {.ipv4 = H_PEER_IP, .valid = NET_ADDR_IPV4};
  ck_assert_int_eq(net_ipv4_icmp_error_request(s.inet.udp, b, &a, &a, 3, 3), -EINVAL);
  b = net_layer_buffer_alloc(&ep->layer, 8);
  ck_assert_int_eq(net_ipv4_icmp_error_request(&ep->layer, b, &a, &a, 3, 3), -EINVAL);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  hstack_fini(&s);
}
END_TEST

static Suite *icmp_udp_suite(void)
{
  Suite *s = suite_create("icmp_udp");
  TCase *tc = tcase_create("icmp");
  tcase_add_test(tc, echo_small);
  tcase_add_test(tc, echo_resolves_peer);
  tcase_add_test(tc, echo_large_fragmented);
  tcase_add_test(tc, echo_broadcast_ignored);
  tcase_add_test(tc, icmp_malformed);
  tcase_add_test(tc, protocol_unreachable);
  tcase_add_test(tc, port_unreachable);
  tcase_add_test(tc, rate_limited);
  tcase_add_test(tc, no_error_about_errors);
  tcase_add_test(tc, error_delivered_to_endpoint);
  suite_add_tcase(s, tc);
  tc = tcase_create("udp");
  tcase_add_test(tc, udp_echo);
  tcase_add_test(tc, udp_malformed);
  tcase_add_test(tc, udp_demux);
  tcase_add_test(tc, udp_no_checksum_and_bad_request);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return hrun_suite(icmp_udp_suite) ? 1 : 0;
}
