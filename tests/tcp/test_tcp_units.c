/* Unit tests of the pure parts of TCP: header and option parsing
 * (malformed input included), header writing, checksums, sequence
 * arithmetic, SipHash, ISNs, SYN cookies, segment queues, receive
 * memory: pressure states, windows from memory, no window shrink. */
#include <config.h>
#include "layers/tcp_private.h"
#include "layers/inet_util.h"
#include "check_main.h"
#include <net/buffer.h>
#include <stdlib.h>
#include <string.h>

static size_t build(uint8_t *out, const struct net_tcp_hdr_out_s *h,
                    const uint8_t *payload, size_t len)
{
  size_t hl = net_tcp_write_header(out, h);
  if (len)
    memcpy(out + hl, payload, len);
  return hl + len;
}

START_TEST(parse_roundtrip)
{
  static const uint8_t optsets[] = {
    0, NET_TCP_OPT_MSS, NET_TCP_OPT_TS, NET_TCP_OPT_WS,
    NET_TCP_OPT_MSS | NET_TCP_OPT_TS | NET_TCP_OPT_WS,
  };
  for (size_t i = 0; i < sizeof(optsets); i++)
    {
      struct net_tcp_hdr_out_s h = {
        .sport = 1234, .dport = 80, .seq = 0xfffffff0u, .ack = 7,
        .flags = NET_TCP_SYN | NET_TCP_ACK, .wnd = 65535, .opts = optsets[i],
        .mss = 1460, .wscale = 7, .tsval = 0xdeadbeef, .tsecr = 42,
      };
      uint8_t seg[128];
      size_t len = build(seg, &h, (const uint8_t *)"hello", 5);
      struct net_tcp_seg_info_s si;
      ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_OK);
      ck_assert_uint_eq(si.sport, 1234);
      ck_assert_uint_eq(si.dport, 80);
      ck_assert_uint_eq(si.seq, 0xfffffff0u);
      ck_assert_uint_eq(si.ack, 7);
      ck_assert_uint_eq(si.flags, NET_TCP_SYN | NET_TCP_ACK);
      ck_assert_uint_eq(si.wnd, 65535);
      ck_assert_uint_eq(si.len, 5);
      ck_assert_uint_eq(si.hlen, net_tcp_header_len(optsets[i]));
      ck_assert_uint_eq(si.hlen % 4, 0);
      ck_assert_uint_eq(si.opts, optsets[i]);
      if (optsets[i] & NET_TCP_OPT_MSS)
        ck_assert_uint_eq(si.mss, 1460);
      if (optsets[i] & NET_TCP_OPT_WS)
        ck_assert_uint_eq(si.wscale, 7);
      if (optsets[i] & NET_TCP_OPT_TS)
        {
          ck_assert_uint_eq(si.tsval, 0xdeadbeef);
          ck_assert_uint_eq(si.tsecr, 42);
        }
    }
}
END_TEST

/* A header with raw option bytes (padded to 4 with EOL). */
static size_t with_options(uint8_t *seg, const uint8_t *opt, size_t olen)
{
  struct net_tcp_hdr_out_s h = { .sport = 1, .dport = 2, .flags = NET_TCP_ACK };
  net_tcp_write_header(seg, &h);
  size_t padded = (olen + 3) & ~(size_t)3;
  memset(seg + 20, 0, padded);
  memcpy(seg + 20, opt, olen);
  seg[12] = (uint8_t)(((20 + padded) / 4) << 4);
  return 20 + padded;
}

START_TEST(parse_malformed)
{
  uint8_t seg[80] = { 0 };
  struct net_tcp_seg_info_s si;
  struct net_tcp_hdr_out_s h = { .sport = 1, .dport = 2 };
  net_tcp_write_header(seg, &h);

  /* Shorter than a header, at every length. */
  for (size_t len = 0; len < 20; len++)
    ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_SHORT);
  /* Data offset below 5. */
  for (uint8_t off = 0; off < 5; off++)
    {
      seg[12] = (uint8_t)(off << 4);
      ck_assert_int_eq(net_tcp_parse(seg, 20, &si), NET_TCP_PARSE_OFFSET);
    }
  /* Data offset past the end. */
  seg[12] = 15 << 4;
  ck_assert_int_eq(net_tcp_parse(seg, 59, &si), NET_TCP_PARSE_SHORT);
  ck_assert_int_eq(net_tcp_parse(seg, 60, &si), NET_TCP_PARSE_OK);

  /* Option length 0, 1, running past the header, truncated TLV. */
  static const uint8_t zero[] = { 8, 0 };
  static const uint8_t one[] = { 2, 1 };
  static const uint8_t past[] = { 1, 1, 8, 10, 0, 0 };
  static const uint8_t lone[] = { 1, 1, 1, 5 };
  size_t len = with_options(seg, zero, sizeof(zero));
  ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_OPTION);
  len = with_options(seg, one, sizeof(one));
  ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_OPTION);
  len = with_options(seg, past, sizeof(past));
  ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_OPTION);
  len = with_options(seg, lone, sizeof(lone));
  ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_OPTION);

  /* Known options with a wrong length are ignored, unknown ones skipped,
     EOL ends the list, a huge window shift is clamped to 14. */
  static const uint8_t odd[] = { 2, 3, 5, 99, 4, 0, 0, 3, 3, 20, 1 };
  len = with_options(seg, odd, sizeof(odd));
  ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_OK);
  ck_assert_uint_eq(si.opts, NET_TCP_OPT_WS);
  ck_assert_uint_eq(si.wscale, 14);
  static const uint8_t eol[] = { 0, 2, 4, 5, 180 };
  len = with_options(seg, eol, sizeof(eol));
  ck_assert_int_eq(net_tcp_parse(seg, len, &si), NET_TCP_PARSE_OK);
  ck_assert_uint_eq(si.opts, 0);
}
END_TEST

/* Random bytes never make the parser read out of bounds (ASan/Valgrind
   check the reads) and always give a verdict. */
START_TEST(parse_random)
{
  uint64_t x = 12345;
  for (int n = 0; n < 20000; n++)
    {
      uint8_t buf[64];
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      size_t len = (size_t)(x >> 58);
      uint8_t *seg = g_malloc(len ? len : 1);
      for (size_t i = 0; i < len; i++)
        {
          x = x * 6364136223846793005ull + 1442695040888963407ull;
          buf[i] = (uint8_t)(x >> 56);
        }
      memcpy(seg, buf, len);
      struct net_tcp_seg_info_s si;
      enum net_tcp_parse_err_e e = net_tcp_parse(seg, len, &si);
      ck_assert_int_le(e, NET_TCP_PARSE_OPTION);
      if (e == NET_TCP_PARSE_OK)
        ck_assert_uint_eq(si.hlen + si.len, len);
      g_free(seg);
    }
}
END_TEST

START_TEST(checksum)
{
  struct net_tcp_hdr_out_s h = { .sport = 7, .dport = 9, .seq = 1, .flags = NET_TCP_ACK,
                                 .opts = NET_TCP_OPT_TS, .tsval = 5 };
  uint8_t seg[100];
  size_t len = build(seg, &h, (const uint8_t *)"odd length!", 11);
  net_tcp_checksum_fill(seg, len, 0x0a000001, 0x0a000002);
  ck_assert(net_tcp_checksum_ok(seg, len, 0x0a000001, 0x0a000002));
  ck_assert(!net_tcp_checksum_ok(seg, len, 0x0a000001, 0x0a000003));
  for (size_t i = 0; i < len; i++)
    {
      seg[i] ^= 0x10;
      ck_assert(!net_tcp_checksum_ok(seg, len, 0x0a000001, 0x0a000002));
      seg[i] ^= 0x10;
    }
}
END_TEST

START_TEST(seq_arith)
{
  ck_assert(net_tcp_seq_lt(0xfffffff0u, 5));
  ck_assert(net_tcp_seq_gt(5, 0xfffffff0u));
  ck_assert(net_tcp_seq_le(7, 7));
  ck_assert(net_tcp_seq_ge(7, 7));
  ck_assert_uint_eq(net_tcp_seq_min(0xffffffffu, 1), 0xffffffffu);
}
END_TEST

START_TEST(siphash_vector)
{
  /* Reference vector of the SipHash paper (appendix A). */
  uint8_t key[16], msg[15];
  for (int i = 0; i < 16; i++)
    key[i] = (uint8_t)i;
  for (int i = 0; i < 15; i++)
    msg[i] = (uint8_t)i;
  ck_assert_uint_eq(inet_siphash(key, msg, 15), UINT64_C(0xa129ca6149be45e5));
  /* SipHash-1-3 of the 16 bytes 0..15 (computed with a reference
     implementation of SipHash-c-d that reproduces the vector above). */
  ck_assert_uint_eq(inet_siphash13_2u64(key, UINT64_C(0x0706050403020100),
                                        UINT64_C(0x0f0e0d0c0b0a0908)),
                    UINT64_C(0xcc4fdd1a7d908b66));
}
END_TEST

START_TEST(isn_and_cookies)
{
  uint8_t key[NET_TCP_KEY_LEN], key2[NET_TCP_KEY_LEN];
  net_tcp_key_init(key, 1);
  net_tcp_key_init(key2, 2);
  ck_assert(memcmp(key, key2, sizeof(key)) != 0);
  struct net_tcp_tuple_s t = { 0x0a000002, 0x0a000001, 7, 40000 };
  struct net_tcp_tuple_s u = t;
  u.remote_port++;
  /* ISNs: keyed per tuple, and growing with a 4 us clock for one tuple. */
  ck_assert_uint_ne(net_tcp_isn(key, &t, 0), net_tcp_isn(key, &u, 0));
  ck_assert_uint_ne(net_tcp_isn(key, &t, 0), net_tcp_isn(key2, &t, 0));
  ck_assert_uint_eq(net_tcp_isn(key, &t, 4000 * 1000) - net_tcp_isn(key, &t, 0), 1000);

  net_time_t now = 1000 * NET_NSEC_PER_SEC;
  static const uint16_t mss[] = { 100, 536, 1400, 1460, 1500, 9000 };
  static const uint16_t want[] = { 536, 536, 1360, 1460, 1460, 8960 };
  for (size_t i = 0; i < sizeof(mss) / sizeof(mss[0]); i++)
    {
      uint32_t c = net_tcp_cookie_make(key, &t, 777, mss[i], now);
      ck_assert_uint_eq(net_tcp_cookie_check(key, &t, 777, c, now), want[i]);
      /* Still valid one slot later, not two. */
      ck_assert_uint_eq(net_tcp_cookie_check(key, &t, 777, c, now + NET_TCP_COOKIE_SLOT),
                        want[i]);
      ck_assert_uint_eq(net_tcp_cookie_check(key, &t, 777, c, now + 2 * NET_TCP_COOKIE_SLOT), 0);
      /* Bound to the tuple, the peer's ISN, the key; not forgeable by
         flipping the MSS bits. */
      ck_assert_uint_eq(net_tcp_cookie_check(key, &u, 777, c, now), 0);
      ck_assert_uint_eq(net_tcp_cookie_check(key, &t, 778, c, now), 0);
      ck_assert_uint_eq(net_tcp_cookie_check(key2, &t, 777, c, now), 0);
      ck_assert_uint_eq(net_tcp_cookie_check(key, &t, 777, c ^ (1u << 24), now), 0);
    }
}
END_TEST

/* Segment queues over real buffers. */
static struct net_buffer_pool_s *pool;

static struct net_tcp_seg_s *seg_of(struct net_tcp_seg_cache_s *c, uint32_t seq,
                                    uint32_t len)
{
  struct net_tcp_seg_s *seg = net_tcp_seg_get(c);
  seg->buf = net_buffer_alloc(pool, 16);
  uint8_t *p = net_buffer_put(seg->buf, len);
  for (uint32_t i = 0; i < len; i++)
    p[i] = (uint8_t)(seq + i);
  seg->seq = seq;
  seg->off = seg->buf->begin;
  seg->len = len;
  return seg;
}

static void check_queue(const struct net_tcp_segq_s *q, const uint32_t *ranges,
                        size_t n)
{
  const struct net_tcp_seg_s *s = q->head;
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++, s = s->next)
    {
      ck_assert_ptr_nonnull(s);
      ck_assert_uint_eq(s->seq, ranges[2 * i]);
      ck_assert_uint_eq(s->seq + s->len, ranges[2 * i + 1]);
      for (uint32_t k = 0; k < s->len; k++)
        ck_assert_uint_eq(s->buf->data[s->off + k], (uint8_t)(s->seq + k));
      bytes += s->len;
    }
  ck_assert_ptr_null(s);
  ck_assert_uint_eq(q->count, n);
  ck_assert_uint_eq(q->bytes, bytes);
}

START_TEST(segq_reassembly)
{
  pool = net_buffer_pool_create("t", 256, 64);
  struct net_tcp_segq_s q = { 0 };
  struct net_tcp_seg_cache_s c = { 0 };

  ck_assert_uint_eq(net_tcp_segq_insert(&q, &c, seg_of(&c, 100, 10)), 10);
  ck_assert_uint_eq(net_tcp_segq_insert(&q, &c, seg_of(&c, 130, 10)), 10);
  /* Fully covered: dropped. */
  ck_assert_uint_eq(net_tcp_segq_insert(&q, &c, seg_of(&c, 102, 5)), 0);
  /* Overlaps the end of the first: front trimmed. */
  ck_assert_uint_eq(net_tcp_segq_insert(&q, &c, seg_of(&c, 105, 10)), 5);
  /* Covers [120,125) and overlaps 130: tail trimmed. */
  ck_assert_uint_eq(net_tcp_segq_insert(&q, &c, seg_of(&c, 118, 15)), 12);
  static const uint32_t r1[] = { 100, 110, 110, 115, 118, 130, 130, 140 };
  check_queue(&q, r1, 4);
  /* Swallows the middle two entirely. */
  ck_assert_uint_eq(net_tcp_segq_insert(&q, &c, seg_of(&c, 109, 25)), 20);
  static const uint32_t r2[] = { 100, 110, 110, 130, 130, 140 };
  check_queue(&q, r2, 3);
  /* Copy across nodes and a drop from the front. */
  uint8_t out[40];
  struct net_tcp_seg_s *hint = NULL;
  net_tcp_segq_copy(&q, 105, out, 30, &hint);
  for (int i = 0; i < 30; i++)
    ck_assert_uint_eq(out[i], (uint8_t)(105 + i));
  ck_assert_uint_gt(net_tcp_segq_drop_front(&q, &c, 12, &hint), 0);
  static const uint32_t r3[] = { 112, 130, 130, 140 };
  check_queue(&q, r3, 2);
  net_tcp_segq_copy(&q, 112, out, 28, &hint);
  for (int i = 0; i < 28; i++)
    ck_assert_uint_eq(out[i], (uint8_t)(112 + i));
  net_tcp_segq_purge(&q, &c);
  ck_assert_uint_eq(q.count, 0);
  ck_assert_uint_eq(q.truesize, 0);
  net_tcp_seg_cache_clear(&c);
  struct net_buffer_pool_stats_s st;
  net_buffer_pool_stats(pool, &st);
  ck_assert_uint_eq(st.in_use, 0);
  net_buffer_pool_refdec(pool);
}
END_TEST

/* ---- receive memory (tcp_rmem.c) ---------------------------------- */

START_TEST(rmem_states)
{
  ck_assert_int_eq(net_tcp_rmem_state(0, 100, 200), NET_TCP_RMEM_NORMAL);
  ck_assert_int_eq(net_tcp_rmem_state(99, 100, 200), NET_TCP_RMEM_NORMAL);
  ck_assert_int_eq(net_tcp_rmem_state(100, 100, 200), NET_TCP_RMEM_PRESSURE);
  ck_assert_int_eq(net_tcp_rmem_state(199, 100, 200), NET_TCP_RMEM_PRESSURE);
  ck_assert_int_eq(net_tcp_rmem_state(200, 100, 200), NET_TCP_RMEM_HARD);
  ck_assert_int_eq(net_tcp_rmem_state(5000, 100, 200), NET_TCP_RMEM_HARD);
}
END_TEST

START_TEST(rmem_room)
{
  const size_t max = 4 << 20, pressure = 2 << 20;
  /* Full segments (1460 bytes in 2176-byte buffers): the byte budget
     rules, the memory budget (2 rcv_buf of capacity) is larger. */
  struct net_tcp_rmem_view_s v = {
    .rcv_buf = 256 * 1024, .ratio = 1460 * 1024 / 2176, .mss = 1460,
    .pressure = pressure, .max = max,
  };
  bool clamped = true;
  ck_assert_uint_eq(net_tcp_rmem_room(&v, &clamped), 256 * 1024);
  ck_assert(!clamped);
  v.held_bytes = 100 * 1460;
  v.sess_mem = 100 * 2176;
  ck_assert_uint_eq(net_tcp_rmem_room(&v, NULL), 256 * 1024 - 100 * 1460);

  /* 100-byte segments in the same buffers: the memory budget rules and
     closes the window long before the bytes would. */
  v.ratio = 100 * 1024 / 2176;
  v.held_bytes = 200 * 100;
  v.sess_mem = 200 * 2176;
  uint32_t room = net_tcp_rmem_room(&v, &clamped);
  ck_assert(!clamped);
  ck_assert_uint_eq(room, (uint32_t)((512 * 1024 - 200 * 2176) * (uint64_t)v.ratio / 1024));
  ck_assert_uint_lt(room, 256 * 1024 - 200 * 100);
  v.sess_mem = 241 * 2176;          /* over 2 rcv_buf of capacity */
  v.held_bytes = 241 * 100;
  ck_assert_uint_eq(net_tcp_rmem_room(&v, NULL), 0);

  /* Pressure: at most a quarter of what is left below the limit. */
  v.ratio = 1024;
  v.held_bytes = v.sess_mem = 4096;
  v.total = max - 40000;
  ck_assert_uint_eq(net_tcp_rmem_room(&v, &clamped), 10000);
  ck_assert(clamped);
  /* Just entering pressure, the share (512 KiB) is still above what
     the session's own budgets give. */
  v.total = pressure;
  ck_assert_uint_eq(net_tcp_rmem_room(&v, &clamped), 256 * 1024 - 4096);
  ck_assert(!clamped);

  /* Hard limit: nothing more, unless the session holds nothing (then
     one segment: a reading connection always progresses). */
  v.total = max;
  ck_assert_uint_eq(net_tcp_rmem_room(&v, &clamped), 0);
  ck_assert(clamped);
  v.held_bytes = v.sess_mem = 0;
  ck_assert_uint_eq(net_tcp_rmem_room(&v, &clamped), 1460);
  v.rcv_buf = 1000;                 /* ...within the byte budget */
  ck_assert_uint_eq(net_tcp_rmem_room(&v, NULL), 1000);
}
END_TEST

/* A session as the receive-memory code sees it (no scheduler). */
static struct net_tcp_session_s *rmem_session(size_t max, size_t pressure)
{
  struct net_tcp_shared_s *sh = calloc(1, sizeof(*sh));
  struct net_tcp_session_s *s = calloc(1, sizeof(*s));
  ck_assert_ptr_nonnull(sh);
  ck_assert_ptr_nonnull(s);
  atomic_init(&sh->rcv_mem, 0);
  atomic_init(&sh->ooo_mem, 0);
  for (size_t i = 0; i < NET_TCP_STAT_COUNT; i++)
    atomic_init(&sh->stats[i], 0);
  sh->cfg.rcv_mem_max = max;
  sh->cfg.rcv_mem_pressure = pressure;
  sh->large_buf_size = 2176;
  s->shared = sh;
  s->cfg = &sh->cfg;
  s->opt.rcv_buf = 256 * 1024;
  s->opt.manual_recv = true;
  s->rcv_mss = 1460;
  s->rcv_wscale = 3;
  atomic_init(&s->rcv_held, 0);
  return s;
}

static void rmem_session_free(struct net_tcp_session_s *s)
{
  net_tcp_segq_purge(&s->ooq, &s->cache);
  net_tcp_seg_cache_clear(&s->cache);
  free(s->shared);
  free(s);
}

static uint64_t rmem_stat(struct net_tcp_session_s *s, enum net_tcp_stat_e c)
{
  return atomic_load(&s->shared->stats[c]);
}

START_TEST(rmem_window_never_shrinks)
{
  const size_t max = 1 << 20;
  struct net_tcp_session_s *s = rmem_session(max, max / 2);
  s->rcv_nxt = s->rcv_adv = 1000;
  uint32_t wnd = net_tcp_rcv_window(s);
  ck_assert_uint_eq(wnd, 256 * 1024);
  s->rcv_adv = s->rcv_nxt + wnd;     /* offered (what xmit records) */

  /* Ten full segments arrive and stay with the application. */
  for (int i = 0; i < 10; i++)
    {
      ck_assert(net_tcp_rmem_admit(s, 2176));
      net_tcp_rmem_charge(s, 2176, 1460);
      net_tcp_rmem_delivered(s, 2176, 1460);
      s->rcv_nxt += 1460;
    }
  ck_assert_uint_eq(s->held_mem, 10 * 2176);
  ck_assert_uint_eq(net_tcp_rmem_total(s->shared), 10 * 2176);

  /* Others pinned the rest: the hard limit.  New data of a session that
     holds some is refused and counted... */
  atomic_fetch_add(&s->shared->rcv_mem, (long)max);
  ck_assert(!net_tcp_rmem_admit(s, 2176));
  ck_assert_uint_eq(rmem_stat(s, NET_TCP_STAT_DROP_RCV_MEMORY), 1);
  /* ...and the window stops advancing, but the edge offered stays. */
  wnd = net_tcp_rcv_window(s);
  ck_assert_uint_eq(s->rcv_nxt + wnd, s->rcv_adv);
  ck_assert_uint_gt(rmem_stat(s, NET_TCP_STAT_RCV_WINDOW_CLAMPED), 0);
  /* The peer fills the window up to the edge: zero, never negative. */
  s->rcv_nxt = s->rcv_adv;
  ck_assert_uint_eq(net_tcp_rcv_window(s), 0);

  /* The application returns half: its share of capacity goes back. */
  atomic_fetch_sub(&s->rcv_held, 5 * 1460);
  net_tcp_rmem_settle(s);
  ck_assert_uint_eq(s->held_mem, 5 * 2176);
  ck_assert_uint_eq(net_tcp_rmem_total(s->shared), max + 5 * 2176);
  ck_assert_uint_eq(net_tcp_rcv_window(s), 0);
  /* Everything: the session holds nothing, one segment opens even at
     the hard limit (in window units: 1456 with a shift of 3). */
  atomic_fetch_sub(&s->rcv_held, 5 * 1460);
  ck_assert_uint_eq(net_tcp_rcv_window(s), 1456);
  ck_assert_uint_eq(s->held_mem, 0);
  ck_assert_uint_eq(net_tcp_rmem_total(s->shared), max);
  ck_assert(net_tcp_rmem_admit(s, 2176));

  /* Pressure only: the window grows by a share of what is left. */
  atomic_store(&s->shared->rcv_mem, (long)(max - 64 * 1024));
  s->rcv_adv = s->rcv_nxt;
  wnd = net_tcp_rcv_window(s);
  ck_assert_uint_le(wnd, 16 * 1024);
  ck_assert_uint_ge(wnd, 1456);
  rmem_session_free(s);
}
END_TEST

START_TEST(rmem_prune_under_pressure)
{
  const size_t max = 64 * 1024;
  pool = net_buffer_pool_create("t", 256, 64);
  struct net_tcp_session_s *s = rmem_session(max, max / 2);
  /* Two out-of-order segments, charged as the input path does. */
  for (uint32_t i = 0; i < 2; i++)
    {
      size_t before = s->ooq.truesize;
      net_tcp_segq_insert(&s->ooq, &s->cache, seg_of(&s->cache, 5000 + 100 * i, 10));
      atomic_fetch_add(&s->shared->ooo_mem, (long)(s->ooq.truesize - before));
    }
  /* Normal: kept. */
  ck_assert(net_tcp_rmem_admit(s, 256));
  ck_assert_uint_eq(s->ooq.count, 2);
  /* Under pressure the reassembly queue goes first, counted. */
  atomic_store(&s->shared->rcv_mem, (long)(max / 2));
  s->flags |= NET_TCP_SF_OOO_FIN;
  ck_assert(net_tcp_rmem_admit(s, 256));
  ck_assert_uint_eq(s->ooq.count, 0);
  ck_assert_uint_eq(atomic_load(&s->shared->ooo_mem), 0);
  ck_assert_uint_eq(rmem_stat(s, NET_TCP_STAT_OOO_PRUNED), 2);
  ck_assert(!(s->flags & NET_TCP_SF_OOO_FIN));
  rmem_session_free(s);
  struct net_buffer_pool_stats_s st;
  net_buffer_pool_stats(pool, &st);
  ck_assert_uint_eq(st.in_use, 0);
  net_buffer_pool_refdec(pool);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp-units");
  TCase *tc = tcase_create("wire");
  tcase_add_test(tc, parse_roundtrip);
  tcase_add_test(tc, parse_malformed);
  tcase_add_test(tc, parse_random);
  tcase_add_test(tc, checksum);
  tcase_add_test(tc, seq_arith);
  suite_add_tcase(s, tc);
  tc = tcase_create("hash");
  tcase_add_test(tc, siphash_vector);
  tcase_add_test(tc, isn_and_cookies);
  suite_add_tcase(s, tc);
  tc = tcase_create("queue");
  tcase_add_test(tc, segq_reassembly);
  suite_add_tcase(s, tc);
  tc = tcase_create("rmem");
  tcase_add_test(tc, rmem_states);
  tcase_add_test(tc, rmem_room);
  tcase_add_test(tc, rmem_window_never_shrinks);
  tcase_add_test(tc, rmem_prune_under_pressure);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
