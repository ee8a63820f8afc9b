/* IPv4 layer: header validation (every field out of range), options,
   reassembly (out of order, duplicates, overlaps, timeouts, limits),
   fragmentation and DF on transmit, IP IDs, loopback. */
#include <config.h>
#include "harness.h"
#include <string.h>

/* A UDP datagram from the peer to our port 7 (echo bound) as an IPv4
   packet; @p out needs 20 + 8 + len bytes. */
static size_t udp_packet(uint8_t *out, uint16_t id, const void *data, size_t len)
{
  uint8_t udp[2048];
  size_t ulen = hbuild_udp(udp, H_PEER_IP, H_OUR_IP, 4000, 7, data, len);
  return hbuild_ipv4(out, H_PEER_IP, H_OUR_IP, 17, id, 0, 64, udp, ulen);
}

static void fix_csum(uint8_t *h)
{
  size_t hlen = (size_t)(h[0] & 15) * 4;
  h[10] = h[11] = 0;
  uint16_t c = net_csum(h, hlen);
  memcpy(h + 10, &c, 2);
}

static struct hep_s *bind_sink(struct hstack_s *s)
{
  struct hep_s *ep = hep_new(s);
  ck_assert_int_eq(hep_bind_udp(s, ep, 7, 0, 0), 0);
  return ep;
}

START_TEST(valid_packet_delivered)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t p[64];
  size_t n = udp_packet(p, 1, "hello", 5);
  /* Link padding after the datagram is cut off. */
  memset(p + n, 0xee, 10);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n + 10, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  struct hframe_s *f = g_queue_peek_head(&ep->inbound);
  ck_assert_uint_eq(f->len, 5);
  ck_assert_mem_eq(f->data, "hello", 5);
  ck_assert_uint_eq(ep->last_src.ipv4, H_PEER_IP);
  ck_assert_uint_eq(ep->last_src.port, 4000);
  ck_assert_uint_eq(ep->last_dst.ipv4, H_OUR_IP);
  ck_assert_uint_eq(ep->last_dst.port, 7);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "rx_delivered"), 1);
  hstack_fini(&s);
}
END_TEST

struct bad_case_s
{
  const char *counter;
  void (*mutate)(uint8_t *p, size_t *len);
};

static void m_short(uint8_t *p, size_t *len) { *len = 19; }
static void m_empty(uint8_t *p, size_t *len) { *len = 0; }
static void m_version(uint8_t *p, size_t *len) { p[0] = 0x65; fix_csum(p); }
static void m_ihl_small(uint8_t *p, size_t *len) { p[0] = 0x44; }
static void m_ihl_big(uint8_t *p, size_t *len) { p[0] = 0x4f; *len = 40; }
static void m_csum(uint8_t *p, size_t *len) { p[10] ^= 1; }
static void m_total_small(uint8_t *p, size_t *len) { p[2] = 0; p[3] = 19; fix_csum(p); }
static void m_total_big(uint8_t *p, size_t *len) { p[2] = 0x05; p[3] = 0xdc; fix_csum(p); }
static void m_evil(uint8_t *p, size_t *len) { p[6] |= 0x80; fix_csum(p); }
static void m_src_bcast(uint8_t *p, size_t *len) { memset(p + 12, 0xff, 4); fix_csum(p); }
static void m_src_mcast(uint8_t *p, size_t *len) { p[12] = 224; fix_csum(p); }
static void m_src_loop(uint8_t *p, size_t *len) { p[12] = 127; fix_csum(p); }
static void m_src_zero(uint8_t *p, size_t *len) { memset(p + 12, 0, 4); fix_csum(p); }
static void m_src_ours(uint8_t *p, size_t *len) { memcpy(p + 12, p + 16, 4); fix_csum(p); }
static void m_src_subnet_bcast(uint8_t *p, size_t *len) { p[15] = 255; fix_csum(p); }
static void m_dst_other(uint8_t *p, size_t *len) { p[19] = 99; fix_csum(p); }
static void m_dst_mcast(uint8_t *p, size_t *len) { p[16] = 239; fix_csum(p); }

/* Options: the header grows by 4 bytes; the datagram moves along. */
static void with_option(uint8_t *p, size_t *len, const uint8_t opt[4])
{
  memmove(p + 24, p + 20, *len - 20);
  memcpy(p + 20, opt, 4);
  *len += 4;
  p[0] = 0x46;
  p[2] = (uint8_t)(*len >> 8);
  p[3] = (uint8_t)*len;
  fix_csum(p);
}

static void m_opt_overrun(uint8_t *p, size_t *len)
{
  static const uint8_t o[4] = {7, 9, 4, 0};   /* length past the header */
  with_option(p, len, o);
}

static void m_opt_zero_len(uint8_t *p, size_t *len)
{
  static const uint8_t o[4] = {7, 0, 0, 0};
  with_option(p, len, o);
}

static void m_opt_truncated(uint8_t *p, size_t *len)
{
  static const uint8_t o[4] = {1, 1, 1, 68};   /* type, no length byte */
  with_option(p, len, o);
}

static void m_opt_lsrr(uint8_t *p, size_t *len)
{
  static const uint8_t o[4] = {131, 3, 4, 0};
  with_option(p, len, o);
}

static void m_opt_ssrr(uint8_t *p, size_t *len)
{
  static const uint8_t o[4] = {137, 3, 4, 0};
  with_option(p, len, o);
}

static const struct bad_case_s bad_cases[] = {
  {"drop_truncated", m_short},
  {"drop_truncated", m_empty},
  {"drop_bad_version", m_version},
  {"drop_bad_ihl", m_ihl_small},
  {"drop_truncated", m_ihl_big},
  {"drop_bad_checksum", m_csum},
  {"drop_bad_length", m_total_small},
  {"drop_truncated", m_total_big},
  {"drop_bad_flags", m_evil},
  {"drop_martian_src", m_src_bcast},
  {"drop_martian_src", m_src_mcast},
  {"drop_martian_src", m_src_loop},
  {"drop_martian_src", m_src_zero},
  {"drop_martian_src", m_src_ours},
  {"drop_martian_src", m_src_subnet_bcast},
  {"drop_not_ours", m_dst_other},
  {"drop_not_ours", m_dst_mcast},
  {"drop_bad_options", m_opt_overrun},
  {"drop_bad_options", m_opt_zero_len},
  {"drop_bad_options", m_opt_truncated},
  {"drop_source_route", m_opt_lsrr},
  {"drop_source_route", m_opt_ssrr},
};

START_TEST(bad_header_dropped)
{
  const struct bad_case_s *c = &bad_cases[_i];
  /* Frames under 46 bytes of payload are padded on a real wire. */
  if (hlink_pads() && (c->mutate == m_short || c->mutate == m_empty))
    return;
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t p[128];
  size_t n = udp_packet(p, 1, "data", 4);
  c->mutate(p, &n);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 0);
  ck_assert_uint_eq(hlink_count(&s), 0);   /* no error answer either */
  ck_assert_uint_eq(hstat(s.inet.ipv4, c->counter), 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "rx_delivered"), 0);
  hstack_fini(&s);
}
END_TEST

/* Every prefix of a valid datagram is dropped without a crash. */
START_TEST(truncations)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t p[256];
  static const char data[100] = "truncated";
  size_t n = udp_packet(p, 1, data, sizeof data);
  /* On a real wire frames are padded to 46 bytes: start there. */
  size_t first = hlink_pads() ? 46 : 0;
  for (size_t len = first; len < n; len++)
    hlink_inject(&s, NET_ETHERTYPE_IPV4, p, len, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 0);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_truncated"), n - first);
  hstack_fini(&s);
}
END_TEST

START_TEST(options_accepted_and_stripped)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t p[128];
  size_t n = udp_packet(p, 1, "opts", 4);
  static const uint8_t o[4] = {1, 1, 1, 0};   /* NOP NOP NOP END */
  with_option(p, &n, o);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  struct hframe_s *f = g_queue_peek_head(&ep->inbound);
  ck_assert_mem_eq(f->data, "opts", 4);
  hstack_fini(&s);
}
END_TEST

/* RFC 1122 3.2.1.7: a host does not drop a datagram for its TTL. */
START_TEST(ttl_zero_accepted)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t p[64];
  size_t n = udp_packet(p, 1, "ttl", 3);
  p[8] = 0;
  fix_csum(p);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  hstack_fini(&s);
}
END_TEST

/* ---- reassembly -------------------------------------------------------- */

/* Fragment a UDP datagram of @p len payload bytes into pieces of @p step
   bytes (multiple of 8): frags[i] / flen[i]. */
static size_t make_frags(uint8_t frags[][1600], size_t *flen, uint16_t id,
                         const uint8_t *payload, size_t len, size_t step)
{
  static uint8_t udp[70000];
  size_t ulen = hbuild_udp(udp, H_PEER_IP, H_OUR_IP, 4000, 7, payload, len);
  size_t count = 0;
  for (size_t off = 0; off < ulen; off += step)
    {
      size_t l = MIN(step, ulen - off);
      uint16_t frag = (uint16_t)((off / 8) | (off + l < ulen ? 0x2000 : 0));
      flen[count] = hbuild_ipv4(frags[count], H_PEER_IP, H_OUR_IP, 17, id, frag,
                                64, udp + off, l);
      count++;
    }
  return count;
}

static uint8_t frags[64][1600];
static size_t flen[64];

static void fill_payload(uint8_t *b, size_t len, unsigned seed)
{
  for (size_t i = 0; i < len; i++)
    b[i] = (uint8_t)(i * 7 + seed);
}

START_TEST(reassembly_out_of_order)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t payload[4000];
  fill_payload(payload, sizeof payload, 3);
  size_t n = make_frags(frags, flen, 77, payload, sizeof payload, 1480);
  ck_assert_uint_eq(n, 3);
  int order[] = {2, 0, 1};
  for (int i = 0; i < 3; i++)
    hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[order[i]], flen[order[i]], false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  struct hframe_s *f = g_queue_peek_head(&ep->inbound);
  ck_assert_uint_eq(f->len, sizeof payload);
  ck_assert_mem_eq(f->data, payload, sizeof payload);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_ok"), 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_bytes"), 0);
  hstack_fini(&s);
}
END_TEST

/* Exact duplicates (a duplicating link) are dropped alone; the datagram
   still completes once, tiny 8-byte fragments included. */
START_TEST(reassembly_duplicates)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t payload[200];
  fill_payload(payload, sizeof payload, 5);
  size_t n = make_frags(frags, flen, 78, payload, sizeof payload, 8);
  for (size_t i = n; i-- > 0;)
    {
      hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[i], flen[i], false);
      if (i % 3 == 0)
        hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[i], flen[i], false);
    }
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  struct hframe_s *f = g_queue_peek_head(&ep->inbound);
  ck_assert_mem_eq(f->data, payload, sizeof payload);
  ck_assert_uint_ge(hstat(s.inet.ipv4, "drop_frag_duplicate"), 1);
  hstack_fini(&s);
}
END_TEST

/* An overlapping fragment poisons the datagram: nothing is delivered, not
   even after the missing pieces come, until the timeout clears it. */
START_TEST(reassembly_overlap)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t payload[64];
  fill_payload(payload, sizeof payload, 9);
  size_t n = make_frags(frags, flen, 79, payload, sizeof payload, 16);
  ck_assert_uint_eq(n, 5);   /* 72 bytes: 16,16,16,16,8 */
  hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[0], flen[0], false);
  /* A rogue piece at offset 8, length 16: overlaps [0,16). */
  uint8_t rogue[64];
  size_t rl = hbuild_ipv4(rogue, H_PEER_IP, H_OUR_IP, 17, 79, 0x2000 | 1, 64,
                          "AAAAAAAAAAAAAAAA", 16);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, rogue, rl, false);
  for (size_t i = 1; i < n; i++)
    hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[i], flen[i], false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 0);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_frag_overlap"), 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_frag_poisoned"), n - 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_bytes"), 0);
  /* Poisoned entries send no time exceeded. */
  hrun_for(&s, 31 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_datagrams"), 0);
  /* Afterwards the same ID reassembles normally. */
  for (size_t i = 0; i < n; i++)
    hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[i], flen[i], false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  hstack_fini(&s);
}
END_TEST

/* Inconsistent ends: two last fragments that disagree, or data past the
   end, poison too. */
START_TEST(reassembly_inconsistent_end)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct hep_s *ep = bind_sink(&s);
  uint8_t p[64];
  size_t l = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 80, 2, 64, "12345678", 8);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, l, false);   /* last: ends at 24 */
  l = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 80, 3, 64, "12345678", 8);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, l, false);   /* last: ends at 32 */
  l = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 81, 0x2000 | 4, 64, "12345678", 8);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, l, false);   /* [32,40) */
  l = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 81, 2, 64, "12345678", 8);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, l, false);   /* last at 24: too short */
  /* A non-last fragment not a multiple of 8, and an empty one. */
  l = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 82, 0x2000, 64, "1234567", 7);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, l, false);
  l = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 83, 0x2000 | 8, 64, "", 0);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, l, false);
  /* Past 65535 bytes (ping of death). */
  l = hbuild_ipv4(p, H_PEER_IP, H_OUR_IP, 17, 84, 0x1fff, 64, "12345678", 8);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, l, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 0);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_frag_overlap"), 2);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_frag_bad_length"), 2);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_frag_too_big"), 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_bytes"), 0);
  hstack_fini(&s);
}
END_TEST

/* Never completed: memory held until the timeout (virtual clock), then
   reclaimed; time exceeded goes out only when fragment zero was seen. */
START_TEST(reassembly_timeout)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  uint8_t payload[3000];
  fill_payload(payload, sizeof payload, 1);
  size_t n = make_frags(frags, flen, 85, payload, sizeof payload, 1480);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[0], flen[0], false);
  n = make_frags(frags, flen, 86, payload, sizeof payload, 1480);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[1], flen[1], false);
  hrun(&s);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_datagrams"), 2);
  ck_assert_uint_gt(hstat(s.inet.ipv4, "reasm_bytes"), 0);
  hrun_for(&s, 29 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_datagrams"), 2);
  ck_assert_uint_eq(hlink_count(&s), 0);
  hrun_for(&s, 5 * NET_NSEC_PER_SEC);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_datagrams"), 0);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_bytes"), 0);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "reasm_timeout"), 2);
  ck_assert_uint_eq(hlink_count(&s), 1);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_uint_eq(f->data[9], 1);            /* ICMP */
  ck_assert_uint_eq(f->data[20], 11);          /* time exceeded */
  ck_assert_uint_eq(f->data[21], 1);           /* reassembly */
  ck_assert_uint_eq(hrd16(f->data + 28 + 4), 85);   /* quotes datagram 85 */
  hframe_free(f);
  (void)n;
  hstack_fini(&s);
}
END_TEST

/* Limits: datagrams in progress and bytes held are bounded; the oldest
   incomplete datagrams give way. */
START_TEST(reassembly_limits)
{
  struct hstack_s s;
  struct net_inet_config_s cfg = {0};
  cfg.ipv4.addrs[0].addr = H_OUR_IP;
  cfg.ipv4.addrs[0].prefix_len = 24;
  cfg.ipv4.addr_count = 1;
  cfg.ipv4.reasm_max_datagrams = 4;
  cfg.ipv4.reasm_mem_max = 64 * 1024;   /* about 3 fragments of 16 KiB buffers */
  hstack_init(&s, &cfg);
  struct hep_s *ep = bind_sink(&s);
  uint8_t payload[3000];
  fill_payload(payload, sizeof payload, 2);
  for (uint16_t id = 100; id < 110; id++)
    {
      make_frags(frags, flen, id, payload, sizeof payload, 1480);
      hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[0], flen[0], false);
      hrun(&s);
      ck_assert_uint_le(hstat(s.inet.ipv4, "reasm_datagrams"), 4);
      ck_assert_uint_le(hstat(s.inet.ipv4, "reasm_bytes"), 64 * 1024);
    }
  ck_assert_uint_ge(hstat(s.inet.ipv4, "reasm_evicted"), 6);
  /* The newest one still completes. */
  make_frags(frags, flen, 109, payload, sizeof payload, 1480);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[1], flen[1], false);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, frags[2], flen[2], false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 1);
  hstack_fini(&s);
}
END_TEST

/* ---- transmit ---------------------------------------------------------- */

/* A 4000-byte datagram leaves in MTU-sized fragments that reassemble to
   the original; with DF it is refused with EMSGSIZE and the MTU. */
START_TEST(fragmentation_and_df)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  static uint8_t payload[4000];
  fill_payload(payload, sizeof payload, 4);
  hep_send(ep, H_PEER_IP, 9, payload, sizeof payload, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 3);
  static uint8_t whole[4100];
  size_t total = 0;
  uint16_t id = 0;
  for (int i = 0; i < 3; i++)
    {
      struct hframe_s *f = hlink_pop(&s);
      ck_assert_uint_le(f->len, 1500);
      ck_assert_uint_eq(net_csum(f->data, 20), 0);
      ck_assert_uint_eq(hrd16(f->data + 2), f->len);
      uint16_t frag = hrd16(f->data + 6);
      if (i == 0)
        id = hrd16(f->data + 4);
      ck_assert_uint_eq(hrd16(f->data + 4), id);
      ck_assert_uint_eq(!!(frag & 0x2000), i < 2);
      size_t off = (size_t)(frag & 0x1fff) * 8;
      ck_assert_uint_eq(off, total);
      memcpy(whole + off, f->data + 20, f->len - 20);
      total += f->len - 20;
      hframe_free(f);
    }
  ck_assert_uint_eq(total, 8 + sizeof payload);
  ck_assert_mem_eq(whole + 8, payload, sizeof payload);
  ck_assert_uint_eq(net_csum_fold(net_csum_add(net_csum_pseudo_ipv4(
    H_OUR_IP, H_PEER_IP, 17, (uint32_t)total), whole, total)), 0);

  hep_send(ep, H_PEER_IP, 9, payload, sizeof payload, true);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(ep->errors->len, 1);
  struct herr_s e = g_array_index(ep->errors, struct herr_s, 0);
  ck_assert_int_eq(e.err, -EMSGSIZE);
  ck_assert_uint_eq(e.mtu, 1500);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_tx_df"), 1);
  /* DF under the MTU goes out with the bit set. */
  hep_send(ep, H_PEER_IP, 9, payload, 100, true);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_uint_eq(hrd16(f->data + 6), 0x4000);
  hframe_free(f);
  hstack_fini(&s);
}
END_TEST

/* IDs: consecutive datagrams to one destination count up. */
START_TEST(ip_ids)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  hlink_learn_peer(&s, H_PEER_IP);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  for (int i = 0; i < 3; i++)
    hep_send(ep, H_PEER_IP, 9, "id", 2, false);
  hrun(&s);
  uint16_t ids[3];
  for (int i = 0; i < 3; i++)
    {
      struct hframe_s *f = hlink_pop(&s);
      ids[i] = hrd16(f->data + 4);
      hframe_free(f);
    }
  ck_assert_uint_eq((uint16_t)(ids[0] + 1), ids[1]);
  ck_assert_uint_eq((uint16_t)(ids[1] + 1), ids[2]);
  hstack_fini(&s);
}
END_TEST

/* Off-link destinations go to the gateway's MAC; with no gateway they
   fail with ENETUNREACH; a datagram to ourselves loops back. */
START_TEST(routing)
{
  struct hstack_s s;
  struct net_inet_config_s cfg = {0};
  cfg.ipv4.addrs[0].addr = H_OUR_IP;
  cfg.ipv4.addrs[0].prefix_len = 24;
  cfg.ipv4.addr_count = 1;
  hstack_init(&s, &cfg);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 5000, 0, 0), 0);
  hep_send(ep, 0x08080808u, 53, "q", 1, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(ep->errors->len, 1);
  ck_assert_int_eq(g_array_index(ep->errors, struct herr_s, 0).err, -ENETUNREACH);

  ck_assert_int_eq(net_ipv4_gateway_set(s.inet.ipv4, H_PEER_IP), 0);
  hlink_learn_peer(&s, H_PEER_IP);
  hep_send(ep, 0x08080808u, 53, "q", 1, false);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_ptr_nonnull(f);
  ck_assert_mem_eq(f->dst_mac, H_PEER_MAC, 6);
  ck_assert_uint_eq(hrd32(f->data + 16), 0x08080808u);
  hframe_free(f);

  /* Loopback: to our own address, through the receive path. */
  hep_send(ep, H_OUR_IP, 5000, "self", 4, false);
  hrun(&s);
  ck_assert_uint_eq(hlink_count(&s), 0);
  ck_assert_uint_eq(ep->inbound.length, 1);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "tx_loopback"), 1);

  /* Limited broadcast goes to ff:ff:ff:ff:ff:ff without ARP. */
  hep_send(ep, 0xffffffffu, 9, "b", 1, false);
  hrun(&s);
  f = hlink_pop(&s);
  ck_assert_mem_eq(f->dst_mac, net_mac_broadcast, 6);
  hframe_free(f);
  hstack_fini(&s);
}
END_TEST

/* Two subnets: traffic to each leaves from the address on that subnet,
   and ARP asks from it too; both addresses and the subnet broadcast are
   accepted. */
START_TEST(multiple_addresses)
{
  struct hstack_s s;
  struct net_inet_config_s cfg = {0};
  cfg.ipv4.addrs[0].addr = H_OUR_IP;
  cfg.ipv4.addrs[0].prefix_len = 24;
  cfg.ipv4.addrs[1].addr = 0xc0a80102u;   /* 192.168.1.2 */
  cfg.ipv4.addrs[1].prefix_len = 24;
  cfg.ipv4.addr_count = 2;
  hstack_init(&s, &cfg);
  ck_assert_uint_eq(hstat(s.inet.arp, "tx_gratuitous"), 2);
  struct hep_s *ep = hep_new(&s);
  ck_assert_int_eq(hep_bind_udp(&s, ep, 7, 0, 0), 0);
  hep_send(ep, 0xc0a80109u, 9, "x", 1, false);
  hrun(&s);
  struct hframe_s *f = hlink_pop(&s);
  ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_ARP);
  ck_assert_uint_eq(hrd32(f->data + 14), 0xc0a80102u);   /* sender */
  ck_assert_uint_eq(hrd32(f->data + 24), 0xc0a80109u);   /* target */
  hframe_free(f);
  uint8_t arp[28];
  hbuild_arp(arp, 2, H_PEER_MAC, 0xc0a80109u, H_OUR_MAC, 0xc0a80102u);
  hlink_inject(&s, NET_ETHERTYPE_ARP, arp, sizeof arp, false);
  hrun(&s);
  f = hlink_pop(&s);
  ck_assert_uint_eq(f->ethertype, NET_ETHERTYPE_IPV4);
  ck_assert_uint_eq(hrd32(f->data + 12), 0xc0a80102u);
  ck_assert_uint_eq(hrd32(f->data + 16), 0xc0a80109u);
  hframe_free(f);

  uint8_t p[64], udp[32];
  size_t ul = hbuild_udp(udp, 0xc0a80109u, 0xc0a80102u, 4000, 7, "b", 1);
  size_t n = hbuild_ipv4(p, 0xc0a80109u, 0xc0a80102u, 17, 1, 0, 64, udp, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n, false);
  ul = hbuild_udp(udp, 0xc0a80109u, 0xc0a801ffu, 4000, 7, "c", 1);
  n = hbuild_ipv4(p, 0xc0a80109u, 0xc0a801ffu, 17, 2, 0, 64, udp, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n, true);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 2);
  ck_assert_uint_eq(ep->last_dst.ipv4, 0xc0a801ffu);
  ck_assert(ep->last_dst.valid & NET_IPV4_ADDR_BROADCAST);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "rx_broadcast"), 1);

  /* Removing an address: datagrams to it are no longer ours. */
  ck_assert_int_eq(net_ipv4_addr_del(s.inet.ipv4, 0xc0a80102u), 0);
  hrun(&s);
  ul = hbuild_udp(udp, 0xc0a80109u, 0xc0a80102u, 4000, 7, "d", 1);
  n = hbuild_ipv4(p, 0xc0a80109u, 0xc0a80102u, 17, 3, 0, 64, udp, ul);
  hlink_inject(&s, NET_ETHERTYPE_IPV4, p, n, false);
  hrun(&s);
  ck_assert_uint_eq(ep->inbound.length, 2);
  ck_assert_uint_eq(hstat(s.inet.ipv4, "drop_not_ours"), 1);
  hstack_fini(&s);
}
END_TEST

/* Bad configuration is refused up front. */
START_TEST(config_validation)
{
  struct hstack_s s;
  hstack_init(&s, NULL);
  struct net_layer_s *l = NULL;
  struct net_ipv4_config_s c = {0};
  c.addr_count = 1;
  c.addrs[0].addr = 0xe0000001u;
  c.addrs[0].prefix_len = 24;
  ck_assert_int_eq(net_ipv4_create(s.sched, &c, NULL, &l), -EINVAL);
  c.addrs[0].addr = H_OUR_IP;
  c.addrs[0].prefix_len = 33;
  ck_assert_int_eq(net_ipv4_create(s.sched, &c, NULL, &l), -EINVAL);
  c.addr_count = NET_IPV4_MAX_ADDRS + 1;
  ck_assert_int_eq(net_ipv4_create(s.sched, &c, NULL, &l), -EINVAL);
  ck_assert_int_eq(net_ipv4_addr_add(s.inet.ipv4, 0, 24), -EINVAL);
  ck_assert_int_eq(net_ipv4_addr_add(s.inet.udp, H_OUR_IP, 24), -EINVAL);
  ck_assert_int_eq(net_ipv4_gateway_set(s.inet.ipv4, 0xffffffffu), -EINVAL);
  /* A second child for one protocol is refused. */
  struct hep_s *ep = hep_new(&s);
  static const uint8_t udp = 17;
  ck_assert_int_eq(net_layer_bind(s.inet.ipv4, &udp, &ep->layer), -EADDRINUSE);
  net_layer_refdec(&ep->layer);
  hstack_fini(&s);
}
END_TEST

static Suite *ipv4_suite(void)
{
  Suite *s = suite_create("ipv4");
  TCase *tc = tcase_create("rx");
  tcase_add_test(tc, valid_packet_delivered);
  tcase_add_loop_test(tc, bad_header_dropped, 0, G_N_ELEMENTS(bad_cases));
  tcase_add_test(tc, truncations);
  tcase_add_test(tc, options_accepted_and_stripped);
  tcase_add_test(tc, ttl_zero_accepted);
  suite_add_tcase(s, tc);
  tc = tcase_create("reassembly");
  tcase_add_test(tc, reassembly_out_of_order);
  tcase_add_test(tc, reassembly_duplicates);
  tcase_add_test(tc, reassembly_overlap);
  tcase_add_test(tc, reassembly_inconsistent_end);
  tcase_add_test(tc, reassembly_timeout);
  tcase_add_test(tc, reassembly_limits);
  suite_add_tcase(s, tc);
  tc = tcase_create("tx");
  tcase_add_test(tc, fragmentation_and_df);
  tcase_add_test(tc, ip_ids);
  tcase_add_test(tc, routing);
  tcase_add_test(tc, multiple_addresses);
  tcase_add_test(tc, config_validation);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return hrun_suite(ipv4_suite) ? 1 : 0;
}
