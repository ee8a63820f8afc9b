/* Seed corpora of the fuzz targets: valid and typical-invalid inputs in
 * each target's record format (fuzz.h), written to DIR/<target>/.
 *
 *   tests/fuzz/gen_corpus DIR        (make fuzz-corpus: the source tree)
 *
 * Seeds that need the stack's own sequence numbers (a TCP handshake
 * through raw frames) are computed by running the harness's stack, which
 * is deterministic (virtual clock, fixed TCP key).
 */
#include <config.h>
#include "fuzz.h"
#include <net/checksum.h>
#include <net/layer/ethernet.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *out_dir;

struct seed_s
{
  uint8_t buf[1 << 16];
  size_t len;
};

static void add(struct seed_s *s, const void *data, size_t len)
{
  if (s->len + len > sizeof s->buf)
    abort();
  memcpy(s->buf + s->len, data, len);
  s->len += len;
}

static void rec(struct seed_s *s, uint8_t ctl, const void *data, size_t len)
{
  uint8_t h[3] = { ctl, (uint8_t)(len >> 8), (uint8_t)len };
  add(s, h, 3);
  add(s, data, len);
}

static void save(const char *target, const char *name, const struct seed_s *s)
{
  gchar *dir = g_build_filename(out_dir, target, NULL);
  gchar *path = g_build_filename(dir, name, NULL);
  GError *error = NULL;
  g_mkdir_with_parents(dir, 0755);
  if (!g_file_set_contents(path, (const gchar *)s->buf, (gssize)s->len, &error))
    {
      fprintf(stderr, "%s\n", error->message);
      exit(1);
    }
  g_free(path);
  g_free(dir);
}

/* ---- builders --------------------------------------------------------- */

static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
  memcpy(f, dst, 6);
  memcpy(f + 6, FZ_PEER_MAC, 6);
  fz_wr16(f + 12, type);
  return 14;
}

static size_t arp_frame(uint8_t *f, uint16_t op, uint32_t spa, uint32_t tpa,
                        bool bcast)
{
  size_t n = eth(f, bcast ? net_mac_broadcast : FZ_OUR_MAC, NET_ETHERTYPE_ARP);
  uint8_t mac[6];
  memcpy(mac, FZ_PEER_MAC, 6);
  mac[5] = (uint8_t)spa;
  return n + fz_build_arp(f + n, op, mac, spa, NULL, tpa);
}

static size_t icmp_echo(uint8_t *p, uint8_t type, size_t len)
{
  memset(p, 0, 8 + len);
  p[0] = type;
  fz_wr16(p + 4, 0x4242);
  fz_wr16(p + 6, 1);
  for (size_t i = 0; i < len; i++)
    p[8 + i] = (uint8_t)i;
  uint16_t c = net_csum(p, 8 + len);
  memcpy(p + 2, &c, 2);
  return 8 + len;
}

static size_t udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t len)
{
  fz_wr16(p, sport);
  fz_wr16(p + 2, dport);
  fz_wr16(p + 4, (uint16_t)(8 + len));
  p[6] = p[7] = 0;
  memset(p + 8, 'u', len);
  return 8 + len;
}

/* A TCP header (20 bytes + @p optlen of options) and @p len data bytes. */
static size_t tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq,
                  uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opts,
                  size_t optlen, size_t len)
{
  memset(p, 0, 20 + optlen);
  fz_wr16(p, sport);
  fz_wr16(p + 2, dport);
  fz_wr32(p + 4, seq);
  fz_wr32(p + 8, ack);
  p[12] = (uint8_t)((20 + optlen) / 4 << 4);
  p[13] = flags;
  fz_wr16(p + 14, wnd);
  memcpy(p + 20, opts, optlen);
  memset(p + 20 + optlen, 'd', len);
  return 20 + optlen + len;
}

/* An IPv4 packet from the peer to us, checksums right. */
static size_t ip(uint8_t *out, uint8_t proto, uint16_t frag, const uint8_t *l4,
                 size_t len)
{
  size_t n = fz_build_ipv4(out, FZ_PEER_IP, FZ_OUR_IP, proto, frag, l4, len);
  fz_fix_ipv4(out, n, FZ_CTL_FIX_CSUM);
  return n;
}

static const uint8_t syn_opts[20] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2,
                                      8, 10, 0, 0, 0, 1, 0, 0, 0, 0 };

/* ---- ethernet_arp ----------------------------------------------------- */

static void gen_ethernet_arp(void)
{
  struct seed_s s;
  uint8_t f[FZ_MAX_FRAME];
  size_t n;

  s.len = 0;
  rec(&s, 0, f, arp_frame(f, 1, FZ_PEER_IP, FZ_OUR_IP, true));
  rec(&s, 0, f, arp_frame(f, 2, 0x0a000005u, FZ_OUR_IP, false));
  rec(&s, 0, f, arp_frame(f, 1, 0x0a000006u, 0x0a000007u, true));
  save("ethernet_arp", "requests-replies", &s);

  s.len = 0;
  rec(&s, 0, f, arp_frame(f, 1, 0, FZ_OUR_IP, true));            /* probe */
  rec(&s, 0, f, arp_frame(f, 1, FZ_OUR_IP, FZ_OUR_IP, true));    /* conflict */
  n = arp_frame(f, 3, FZ_PEER_IP, FZ_OUR_IP, true);             /* bad op */
  rec(&s, 0, f, n);
  n = arp_frame(f, 1, FZ_PEER_IP, FZ_OUR_IP, true);
  f[14 + 1] = 6;                                                 /* bad htype */
  rec(&s, 0, f, n);
  rec(&s, 0, f, 14 + 20);                                        /* truncated */
  n = arp_frame(f, 1, 0xe0000001u, FZ_OUR_IP, true);            /* group spa */
  rec(&s, 0, f, n);
  save("ethernet_arp", "malformed-arp", &s);

  s.len = 0;
  for (uint32_t i = 10; i < 60; i++)
    rec(&s, (uint8_t)(i % 3), f, arp_frame(f, 1, 0x0a000000u | i, FZ_OUR_IP, true));
  save("ethernet_arp", "neighbour-flood", &s);

  s.len = 0;
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 3, 4 }, 2);      /* never answered */
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 3, 4 }, 2);      /* parked behind it */
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 5, 1 }, 2);
  rec(&s, 4, f, arp_frame(f, 2, 0x0a000005u, FZ_OUR_IP, false));   /* 1 s */
  rec(&s, 5, f, arp_frame(f, 1, FZ_PEER_IP, FZ_OUR_IP, true));     /* 10 s */
  rec(&s, FZ_CTL_BIT7 | 6, (uint8_t[]){ 3, 4 }, 2);                /* 60 s */
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 1, 255 }, 2);    /* fragmented */
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 255, 1 }, 2);    /* broadcast */
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 2, 1 }, 2);      /* ourselves */
  save("ethernet_arp", "resolution", &s);

  s.len = 0;
  rec(&s, 0, f, 10);                                              /* runt */
  n = eth(f, FZ_OUR_MAC, NET_ETHERTYPE_IPV4);
  memset(f + n, 0x45, FZ_MAX_FRAME - n);
  rec(&s, 0, f, FZ_MAX_FRAME);                                   /* oversize */
  n = eth(f, (const uint8_t[]){ 0x01, 0, 0x5e, 0, 0, 1 }, NET_ETHERTYPE_IPV4);
  rec(&s, 0, f, 60);                                             /* multicast */
  rec(&s, 0, f, eth(f, FZ_OUR_MAC, 0x0050) + 46);               /* 802.3 */
  rec(&s, 0, f, eth(f, FZ_OUR_MAC, 0x88b5) + 46);               /* no handler */
  rec(&s, 0, f, eth(f, FZ_PEER_MAC, NET_ETHERTYPE_ARP) + 46);   /* not for us */
  n = eth(f, FZ_OUR_MAC, NET_ETHERTYPE_VLAN);
  rec(&s, 0, f, n + 46);
  save("ethernet_arp", "frames", &s);
}

/* ---- ipv4 ------------------------------------------------------------- */

static void gen_ipv4(void)
{
  struct seed_s s;
  uint8_t l4[FZ_MAX_FRAME], p[FZ_MAX_FRAME];
  size_t n;

  s.len = 0;
  rec(&s, 0, p, ip(p, 1, 0, l4, icmp_echo(l4, 8, 56)));
  n = ip(p, 17, 0, l4, udp(l4, 1234, 7, 32));
  rec(&s, 0, p, n);
  rec(&s, FZ_CTL_BIT5, p, ip(p, 1, 0, l4, icmp_echo(l4, 8, 8)));
  rec(&s, 0, p, ip(p, 99, 0, l4, 16));                /* no such protocol */
  rec(&s, 0, p, ip(p, 6, 0, l4, tcp(l4, 40000, 7, 1, 0, 0x02, 65535,
                                    syn_opts, sizeof syn_opts, 0)));
  rec(&s, 0, p, ip(p, 6, 0, l4, tcp(l4, 40000, 81, 1, 0, 0x02, 65535, NULL, 0, 0)));
  save("ipv4", "datagrams", &s);

  /* A 3000-byte UDP datagram to the echo port in three fragments. */
  size_t ulen = udp(l4, 1234, 7, 3000 - 8);
  uint16_t c = net_csum_fold(net_csum_add(net_csum_pseudo_ipv4(FZ_PEER_IP, FZ_OUR_IP,
                                                               17, (uint32_t)ulen),
                                          l4, ulen));
  memcpy(l4 + 6, &c, 2);
  size_t frag_len[3] = { 1480, 1480, 40 };
  uint8_t frags[3][1600];
  size_t frag_n[3];
  for (unsigned i = 0, off = 0; i < 3; off += (unsigned)frag_len[i], i++)
    frag_n[i] = ip(frags[i], 17, (uint16_t)((i < 2 ? 0x2000 : 0) | off / 8),
                   l4 + off, frag_len[i]);
  s.len = 0;
  for (unsigned i = 0; i < 3; i++)
    rec(&s, 0, frags[i], frag_n[i]);
  save("ipv4", "fragments-in-order", &s);
  s.len = 0;
  rec(&s, 0, frags[2], frag_n[2]);
  rec(&s, 0, frags[0], frag_n[0]);
  rec(&s, 0, frags[0], frag_n[0]);                 /* duplicate */
  rec(&s, 0, frags[1], frag_n[1]);
  save("ipv4", "fragments-reordered", &s);
  s.len = 0;
  rec(&s, 0, frags[0], frag_n[0]);
  rec(&s, 6, frags[1], frag_n[1]);                 /* 60 s later: timed out */
  rec(&s, 0, frags[0], frag_n[0]);
  fz_wr16(frags[1] + 6, 0x2000 | 100);            /* overlaps the first */
  fz_fix_ipv4(frags[1], frag_n[1], FZ_CTL_FIX_CSUM);
  rec(&s, 0, frags[1], frag_n[1]);
  rec(&s, 0, frags[2], frag_n[2]);
  fz_wr16(frags[2] + 6, 8189);                    /* ping of death */
  fz_fix_ipv4(frags[2], frag_n[2], FZ_CTL_FIX_CSUM);
  rec(&s, 0, frags[2], frag_n[2]);
  save("ipv4", "fragments-bad", &s);

  s.len = 0;
  n = ip(p, 1, 0, l4, icmp_echo(l4, 8, 8));
  p[0] = 0x65;                                     /* version 6 */
  rec(&s, 0, p, n);
  p[0] = 0x44;                                     /* ihl 4 */
  rec(&s, FZ_CTL_FIX_CSUM, p, n);
  p[0] = 0x45;
  fz_wr16(p + 2, 200);                             /* longer than the frame */
  rec(&s, FZ_CTL_FIX_CSUM, p, n);
  fz_wr32(p + 12, 0x7f000001u);                    /* martian source */
  rec(&s, FZ_CTL_FIX_CSUM | FZ_CTL_FIX_LEN, p, n);
  rec(&s, 0, p, 12);                               /* truncated */
  /* Options: record route (kept and cut out), then loose source route. */
  uint8_t opt[FZ_MAX_FRAME];
  memcpy(opt, p, 20);
  opt[0] = 0x48;
  static const uint8_t rr[12] = { 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  memcpy(opt + 20, rr, sizeof rr);
  n = icmp_echo(opt + 32, 8, 16);
  fz_wr32(opt + 12, FZ_PEER_IP);
  rec(&s, FZ_CTL_FIX_CSUM | FZ_CTL_FIX_LEN, opt, 32 + n);
  opt[20] = 131;
  rec(&s, FZ_CTL_FIX_CSUM | FZ_CTL_FIX_LEN, opt, 32 + n);
  opt[21] = 40;                                    /* option past the header */
  rec(&s, FZ_CTL_FIX_CSUM | FZ_CTL_FIX_LEN, opt, 32 + n);
  save("ipv4", "malformed", &s);

  s.len = 0;
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 1, 255 }, 2);  /* fragmented send */
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 2, 10 }, 2);   /* loopback */
  rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 9, 1 }, 2);    /* unresolved */
  rec(&s, 5, p, ip(p, 1, 0, l4, icmp_echo(l4, 8, 1400)));
  save("ipv4", "sending", &s);
}

/* ---- icmp ------------------------------------------------------------- */

/* An error of @p type / @p code quoting a datagram of ours of @p proto. */
static size_t icmp_error(uint8_t *p, uint8_t type, uint8_t code, uint32_t info,
                         uint8_t proto)
{
  memset(p, 0, 8 + 28);
  p[0] = type;
  p[1] = code;
  fz_wr32(p + 4, info);
  fz_build_ipv4(p + 8, FZ_OUR_IP, FZ_PEER_IP, proto, 0, NULL, 8);
  fz_wr16(p + 2, 0);
  uint16_t c = net_csum(p, 36);
  memcpy(p + 2, &c, 2);
  return 36;
}

static void gen_icmp(void)
{
  struct seed_s s;
  uint8_t p[FZ_MAX_FRAME];
  const uint8_t fix = FZ_CTL_FIX_CSUM | FZ_CTL_BIT7;

  s.len = 0;
  rec(&s, 0, p, icmp_echo(p, 8, 56));
  rec(&s, 0, p, icmp_echo(p, 8, 1400));
  rec(&s, 0, p, icmp_echo(p, 0, 8));                  /* reply */
  rec(&s, FZ_CTL_BIT5, p, icmp_echo(p, 8, 8));        /* broadcast */
  rec(&s, 0, p, icmp_echo(p, 13, 12));                /* timestamp */
  rec(&s, 0, p, 4);                                   /* truncated */
  size_t n = icmp_echo(p, 8, 8);
  p[9] ^= 1;                                          /* bad checksum */
  rec(&s, 0, p, n);
  save("icmp", "echo", &s);

  s.len = 0;
  rec(&s, fix, p, icmp_error(p, 3, 3, 0, 17));        /* port unreachable */
  rec(&s, fix, p, icmp_error(p, 3, 4, 576, 6));       /* fragmentation needed */
  rec(&s, fix, p, icmp_error(p, 11, 0, 0, 6));        /* time exceeded */
  rec(&s, fix, p, icmp_error(p, 12, 0, 0x14000000, 17)); /* parameter problem */
  rec(&s, fix, p, icmp_error(p, 3, 1, 0, 6));         /* host unreachable */
  rec(&s, fix, p, icmp_error(p, 5, 1, FZ_PEER_IP, 6));   /* redirect */
  rec(&s, fix, p, icmp_error(p, 3, 3, 0, 6));         /* port unreachable: TCP */
  save("icmp", "errors", &s);

  s.len = 0;
  n = icmp_error(p, 3, 3, 0, 17);
  rec(&s, FZ_CTL_FIX_CSUM, p, 20);                    /* short quote */
  p[8] = 0x46;                                        /* quoted ihl 6 */
  rec(&s, FZ_CTL_FIX_CSUM, p, n);
  rec(&s, FZ_CTL_FIX_CSUM | FZ_CTL_BIT6, p, icmp_error(p, 3, 3, 0, 1));
  save("icmp", "errors-bad", &s);
}

/* ---- udp -------------------------------------------------------------- */

static void gen_udp(void)
{
  struct seed_s s;
  uint8_t p[FZ_MAX_FRAME];
  const uint8_t fix = FZ_CTL_FIX_CSUM | FZ_CTL_FIX_LEN;

  s.len = 0;
  rec(&s, fix, p, udp(p, 1234, 7, 100));
  rec(&s, fix, p, udp(p, 1234, 9, 10));
  rec(&s, fix, p, udp(p, 1234, 7, 1400));
  rec(&s, fix | FZ_CTL_BIT5, p, udp(p, 1234, 7, 10));     /* broadcast */
  rec(&s, FZ_CTL_FIX_LEN, p, udp(p, 1234, 7, 10));        /* checksum 0 */
  save("udp", "echo", &s);

  s.len = 0;
  for (uint16_t port = 1000; port < 1070; port++)
    rec(&s, fix | (port % 2 ? FZ_CTL_BIT6 : 0), p, udp(p, 1234, port, 8));
  rec(&s, 4 | fix, p, udp(p, 1234, 2000, 8));             /* 1 s later */
  save("udp", "closed-ports", &s);

  s.len = 0;
  size_t n = udp(p, 1234, 7, 20);
  fz_wr16(p + 4, 200);                                    /* too long */
  rec(&s, FZ_CTL_FIX_CSUM, p, n);
  fz_wr16(p + 4, 4);                                      /* too short */
  rec(&s, FZ_CTL_FIX_CSUM, p, n);
  rec(&s, 0, p, 5);                                       /* truncated */
  rec(&s, fix, p, udp(p, 0, 7, 4));                       /* port 0 */
  n = udp(p, 1234, 7, 4);
  p[6] = 0x12;                                            /* bad checksum */
  rec(&s, FZ_CTL_FIX_LEN, p, n);
  save("udp", "malformed", &s);
}

/* ---- tcp -------------------------------------------------------------- */

static void gen_tcp(void)
{
  static const char *const names[] = {
    "listen", "syn-received", "established-passive", "close-wait", "last-ack",
    "syn-sent", "established-active", "fin-wait-1", "fin-wait-2", "closing",
    "time-wait",
  };
  const unsigned count = G_N_ELEMENTS(names);
  /* Relative seq and ack, ports of the connection, checksum right. */
  const uint8_t rel = FZ_CTL_FIX_CSUM | FZ_CTL_FIX_LEN | FZ_CTL_BIT5;
  static const uint8_t ts[12] = { 1, 1, 8, 10 };
  uint8_t p[FZ_MAX_FRAME];
  struct seed_s s;

  for (unsigned sc = 0; sc < count; sc++)
    for (unsigned opt = 0; opt < 2; opt++)
      {
        gchar *name = g_strdup_printf("%s%s", names[sc], opt ? "-ts" : "");
        const uint8_t *o = opt ? ts : NULL;
        size_t ol = opt ? sizeof ts : 0;
        uint8_t first = (uint8_t)(sc + count * opt);

        /* ACK everything, data, then the peer's FIN. */
        s.len = 0;
        add(&s, &first, 1);
        rec(&s, rel, p, tcp(p, 0, 0, 0, 0, 0x10, 1024, o, ol, 0));
        rec(&s, rel, p, tcp(p, 0, 0, 0, 0, 0x18, 1024, o, ol, 100));
        rec(&s, rel | 2, p, tcp(p, 0, 0, 0, 0, 0x11, 1024, o, ol, 0));
        rec(&s, 6, p, 0);                           /* a minute passes */
        save("tcp", name, &s);

        /* Out of order data, duplicate ACKs, zero window, then RST. */
        s.len = 0;
        add(&s, &first, 1);
        rec(&s, rel, p, tcp(p, 0, 0, 3000, 0, 0x10, 1024, o, ol, 500));
        for (unsigned i = 0; i < 4; i++)
          rec(&s, rel, p, tcp(p, 0, 0, 0, (uint32_t)-2000, 0x10, 1024, o, ol, 0));
        rec(&s, rel | 4, p, tcp(p, 0, 0, 0, 0, 0x10, 0, o, ol, 0));
        rec(&s, rel | 5, p, tcp(p, 0, 0, 0, 0, 0x10, 1024, o, ol, 0));
        rec(&s, rel, p, tcp(p, 0, 0, 0, 0, 0x04, 0, NULL, 0, 0));
        g_free(name);
        name = g_strdup_printf("%s%s-ooo-rst", names[sc], opt ? "-ts" : "");
        save("tcp", name, &s);

        /* In-window SYN (challenge ACK), old duplicate, application calls. */
        s.len = 0;
        add(&s, &first, 1);
        rec(&s, rel, p, tcp(p, 0, 0, 10, 0, 0x02, 1024, syn_opts, sizeof syn_opts, 0));
        rec(&s, rel, p, tcp(p, 0, 0, (uint32_t)-100000, 0, 0x10, 1024, o, ol, 10));
        rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 0, 40 }, 2);       /* send */
        rec(&s, rel | 3, p, tcp(p, 0, 0, 0, 0, 0x10, 1024, o, ol, 0));
        rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 1 }, 1);           /* shutdown */
        rec(&s, FZ_CTL_BIT7, (uint8_t[]){ 3 }, 1);           /* close */
        rec(&s, rel, p, tcp(p, 0, 0, 0, 0, 0x18, 1024, o, ol, 10));
        g_free(name);
        name = g_strdup_printf("%s%s-app", names[sc], opt ? "-ts" : "");
        save("tcp", name, &s);
        g_free(name);
      }

  /* The echo port from a second peer port, and malformed headers. */
  s.len = 0;
  add(&s, (uint8_t[]){ 0 }, 1);
  const uint8_t echo = FZ_CTL_FIX_CSUM | FZ_CTL_BIT5 | FZ_CTL_BIT6;
  rec(&s, echo, p, tcp(p, 0, 0, 77, 0, 0x02, 65535, syn_opts, sizeof syn_opts, 0));
  rec(&s, echo | FZ_CTL_FIX_LEN, p, tcp(p, 0, 0, 0, 0, 0x10, 1024, NULL, 0, 0));
  rec(&s, echo | FZ_CTL_FIX_LEN, p, tcp(p, 0, 0, 0, 0, 0x18, 1024, NULL, 0, 300));
  size_t n = tcp(p, 0, 0, 0, 0, 0x10, 1024, NULL, 0, 0);
  p[12] = 0x40;                                          /* offset 4 */
  rec(&s, echo, p, n);
  p[12] = 0xf0;                                          /* past the end */
  rec(&s, echo, p, n);
  rec(&s, echo, p, 12);                                  /* truncated */
  n = tcp(p, 0, 0, 0, 0, 0x02, 1024, (const uint8_t[]){ 2, 3, 1, 1 }, 4, 0);
  rec(&s, echo, p, n);                                   /* bad MSS length */
  rec(&s, FZ_CTL_BIT5, p, tcp(p, 0, 0, 0, 0, 0x02, 1024, NULL, 0, 0)); /* csum */
  save("tcp", "echo-malformed", &s);

  /* A SYN flood on the listener: past the backlog, SYN cookies. */
  s.len = 0;
  add(&s, (uint8_t[]){ 0 }, 1);
  for (uint16_t i = 0; i < 12; i++)
    rec(&s, FZ_CTL_FIX_CSUM, p, tcp(p, (uint16_t)(30000 + i), FZ_TCP_LISTEN_PORT,
                                    i * 1000u, 0, 0x02, 65535, syn_opts,
                                    sizeof syn_opts, 0));
  save("tcp", "listen-syn-flood", &s);

  /* The backlog (4) full, the scenario's connection gets a SYN cookie
     and completes with it, then sends data. */
  s.len = 0;
  add(&s, (uint8_t[]){ 0 }, 1);
  for (uint16_t i = 0; i < 4; i++)
    rec(&s, FZ_CTL_FIX_CSUM, p, tcp(p, (uint16_t)(30000 + i), FZ_TCP_LISTEN_PORT,
                                    i * 1000u, 0, 0x02, 65535, syn_opts,
                                    sizeof syn_opts, 0));
  rec(&s, FZ_CTL_FIX_CSUM | FZ_CTL_BIT5, p, tcp(p, 0, 0, 1000, 0, 0x02, 65535,
                                                syn_opts, sizeof syn_opts, 0));
  rec(&s, rel, p, tcp(p, 0, 0, 0, 0, 0x10, 1024, ts, sizeof ts, 0));
  rec(&s, rel, p, tcp(p, 0, 0, 0, 0, 0x18, 1024, ts, sizeof ts, 200));
  save("tcp", "listen-syn-cookie", &s);
}

/* ---- dump ------------------------------------------------------------- */

/* A dump seed: link type and flags, output size, then the packet. */
static void dump_seed(const char *name, uint8_t head, const uint8_t *pkt,
                      size_t len)
{
  struct seed_s s = { .len = 0 };
  add(&s, (const uint8_t[]){ head, 40 }, 2);
  add(&s, pkt, len);
  save("dump", name, &s);
}

static void gen_dump(void)
{
  uint8_t f[FZ_MAX_FRAME], l4[FZ_MAX_FRAME];
  /* Ethernet frames, without (link 0) and with (3) the link header. */
  for (uint8_t head = 0; head <= 3; head += 3)
    {
      const char *k = head ? "eth-e" : "eth";
      gchar *name;
      size_t n = eth(f, FZ_OUR_MAC, NET_ETHERTYPE_IPV4);
      static const char *const what[3] = { "tcp", "udp", "icmp-fragment" };
      static const uint8_t proto[3] = { 6, 17, 1 };
      for (unsigned i = 0; i < 3; i++)
        {
          size_t len = i == 0 ? tcp(l4, 40000, 80, 1, 2, 0x12, 65535, syn_opts,
                                    sizeof syn_opts, 10)
                       : i == 1 ? udp(l4, 53, 1234, 12)
                       : icmp_error(l4, 3, 3, 0, 17);
          size_t m = n + ip(f + n, proto[i], i == 2 ? 0x2000 : 0, l4, len);
          name = g_strdup_printf("%s-%s", k, what[i]);
          dump_seed(name, head, f, m);
          g_free(name);
        }
      name = g_strdup_printf("%s-arp", k);
      dump_seed(name, head, f, arp_frame(f, 1, FZ_PEER_IP, FZ_OUR_IP, true));
      g_free(name);
    }
  struct seed_s s = { .len = 0 };
  add(&s, (const uint8_t[]){ 1, 7 }, 2);        /* IPv4, tiny output */
  add(&s, l4, ip(l4, 1, 0, f, icmp_echo(f, 8, 20)));
  save("dump", "ipv4-icmp", &s);
  s.len = 0;
  add(&s, (const uint8_t[]){ 2, 0 }, 2);        /* raw */
  add(&s, "opaque bytes", 12);
  save("dump", "raw", &s);
}

/* ---- stack ------------------------------------------------------------ */

/* A frame record of the stack target: IPv4 from the peer to us. */
static void stack_ip(struct seed_s *s, uint8_t ctl, const uint8_t *pkt, size_t len)
{
  uint8_t f[14 + FZ_MAX_FRAME];
  size_t n = eth(f, FZ_OUR_MAC, NET_ETHERTYPE_IPV4);
  memcpy(f + n, pkt, len);
  rec(s, ctl, f, n + len);
}

static void gen_stack(void)
{
  struct seed_s s;
  uint8_t f[FZ_MAX_FRAME], l4[FZ_MAX_FRAME], p[FZ_MAX_FRAME];

  s.len = 0;
  rec(&s, 0, f, arp_frame(f, 1, FZ_PEER_IP, FZ_OUR_IP, true));
  stack_ip(&s, 0, p, ip(p, 1, 0, l4, icmp_echo(l4, 8, 56)));
  size_t n = udp(l4, 1234, 7, 64);
  stack_ip(&s, FZ_CTL_BIT5 | FZ_CTL_FIX_CSUM, p, ip(p, 17, 0, l4, n));
  rec(&s, FZ_CTL_BIT6, (uint8_t[]){ 0, 20 }, 2);     /* connect, 1280 bytes */
  rec(&s, FZ_CTL_BIT6, (uint8_t[]){ 7, 3 }, 2);      /* UDP to 10.0.0.3 */
  rec(&s, FZ_CTL_BIT6 | 4, (uint8_t[]){ 2 }, 1);     /* shutdown */
  rec(&s, FZ_CTL_BIT6 | 5, (uint8_t[]){ 6 }, 1);     /* stop listening */
  save("stack", "mixed", &s);

  /* A whole connection to the echo port, with the stack's own numbers:
     run the stack to learn them. */
  struct fz_stack_s st;
  fz_stack_init(&st, FZ_WITH_TCP | FZ_WITH_DUMPER);
  struct fz_flow_s *fl = fz_flow(&st, FZ_TCP_ECHO_PORT, FZ_TCP_PEER_PORT);
  s.len = 0;
  n = ip(p, 6, 0, l4, tcp(l4, FZ_TCP_PEER_PORT, FZ_TCP_ECHO_PORT, 1000, 0, 0x02,
                          65535, syn_opts, sizeof syn_opts, 0));
  stack_ip(&s, 0, p, n);
  fz_ipv4(&st, p, n, false);
  uint32_t isn = fl->stack_iss;
  static const uint8_t tsopt[12] = { 1, 1, 8, 10, 0, 0, 0, 2 };
  uint8_t o[12];
  memcpy(o, tsopt, sizeof o);
  fz_wr32(o + 8, fl->stack_tsval);
  n = ip(p, 6, 0, l4, tcp(l4, FZ_TCP_PEER_PORT, FZ_TCP_ECHO_PORT, 1001, isn + 1,
                          0x10, 1024, o, sizeof o, 0));
  stack_ip(&s, 0, p, n);
  n = ip(p, 6, 0, l4, tcp(l4, FZ_TCP_PEER_PORT, FZ_TCP_ECHO_PORT, 1001, isn + 1,
                          0x18, 1024, o, sizeof o, 200));
  stack_ip(&s, 1, p, n);
  n = ip(p, 6, 0, l4, tcp(l4, FZ_TCP_PEER_PORT, FZ_TCP_ECHO_PORT, 1201, isn + 201,
                          0x11, 1024, o, sizeof o, 0));
  stack_ip(&s, 2, p, n);
  save("stack", "echo-connection", &s);
  fz_stack_fini(&st);
}

int main(int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf(stderr, "usage: %s DIR\n", argv[0]);
      return 2;
    }
  out_dir = argv[1];
  gen_ethernet_arp();
  gen_ipv4();
  gen_icmp();
  gen_udp();
  gen_tcp();
  gen_dump();
  gen_stack();
  return 0;
}
