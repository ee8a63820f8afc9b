/* Crafting test frames: Ethernet, ARP, IPv4, ICMP, UDP, TCP with correct
   checksums, into caller buffers (test helper, header-only). */
#ifndef NET_TEST_FRAMES_H_
#define NET_TEST_FRAMES_H_

#include <net/checksum.h>
#include <net/addr.h>
#include <string.h>

static const uint8_t tf_mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t tf_mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
#define TF_IP_A 0x0a000001u /* 10.0.0.1 */
#define TF_IP_B 0x0a000002u /* 10.0.0.2 */

static inline void tf_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void tf_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Ethernet header; returns 14. */
static inline size_t tf_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                            uint16_t type)
{
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  tf_put16(f + 12, type);
  return 14;
}

/* ARP for IPv4 over Ethernet; returns 28. */
static inline size_t tf_arp(uint8_t *p, uint16_t op, const uint8_t *sha,
                            uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
  tf_put16(p, 1);
  tf_put16(p + 2, 0x0800);
  p[4] = 6;
  p[5] = 4;
  tf_put16(p + 6, op);
  memcpy(p + 8, sha, 6);
  tf_put32(p + 14, spa);
  memcpy(p + 18, tha, 6);
  tf_put32(p + 24, tpa);
  return 28;
}

/* IPv4 header (20 bytes) for @p l4len bytes of payload; returns 20. */
static inline size_t tf_ip(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
                           size_t l4len, uint16_t id, uint16_t frag)
{
  memset(p, 0, 20);
  p[0] = 0x45;
  tf_put16(p + 2, (uint16_t)(20 + l4len));
  tf_put16(p + 4, id);
  tf_put16(p + 6, frag);
  p[8] = 64;
  p[9] = proto;
  tf_put32(p + 12, src);
  tf_put32(p + 16, dst);
  uint16_t c = net_csum(p, 20);
  memcpy(p + 10, &c, 2);
  return 20;
}

static inline void tf_l4_csum(uint8_t *l4, size_t len, uint32_t src,
                              uint32_t dst, uint8_t proto, size_t csum_at)
{
  l4[csum_at] = l4[csum_at + 1] = 0;
  uint16_t c = net_csum_fold(net_csum_add(net_csum_pseudo_ipv4(src, dst, proto,
                                                               (uint32_t)len),
                                          l4, len));
  memcpy(l4 + csum_at, &c, 2);
}

/* Whole Ethernet + IPv4 + UDP frame; returns its length. */
static inline size_t tf_udp_frame(uint8_t *f, uint16_t sport, uint16_t dport,
                                  const void *payload, size_t plen)
{
  size_t n = tf_eth(f, tf_mac_b, tf_mac_a, 0x0800);
  n += tf_ip(f + n, TF_IP_A, TF_IP_B, 17, 8 + plen, 1, 0x4000);
  uint8_t *u = f + n;
  tf_put16(u, sport);
  tf_put16(u + 2, dport);
  tf_put16(u + 4, (uint16_t)(8 + plen));
  if (plen)
    memcpy(u + 8, payload, plen);
  tf_l4_csum(u, 8 + plen, TF_IP_A, TF_IP_B, 17, 6);
  return n + 8 + plen;
}

/* Whole Ethernet + IPv4 + TCP frame with options; returns its length. */
static inline size_t tf_tcp_frame(uint8_t *f, uint16_t sport, uint16_t dport,
                                  uint32_t seq, uint32_t ack, uint8_t flags,
                                  uint16_t win, const uint8_t *opts, size_t olen,
                                  const void *payload, size_t plen)
{
  size_t n = tf_eth(f, tf_mac_b, tf_mac_a, 0x0800);
  size_t thl = 20 + olen;
  n += tf_ip(f + n, TF_IP_A, TF_IP_B, 6, thl + plen, 2, 0x4000);
  uint8_t *t = f + n;
  memset(t, 0, 20);
  tf_put16(t, sport);
  tf_put16(t + 2, dport);
  tf_put32(t + 4, seq);
  tf_put32(t + 8, ack);
  t[12] = (uint8_t)((thl / 4) << 4);
  t[13] = flags;
  tf_put16(t + 14, win);
  if (olen)
    memcpy(t + 20, opts, olen);
  if (plen)
    memcpy(t + thl, payload, plen);
  tf_l4_csum(t, thl + plen, TF_IP_A, TF_IP_B, 6, 16);
  return n + thl + plen;
}

/* Whole Ethernet + IPv4 + ICMP echo frame; returns its length. */
static inline size_t tf_icmp_echo_frame(uint8_t *f, uint8_t type, uint16_t id,
                                        uint16_t seq, size_t plen)
{
  size_t n = tf_eth(f, tf_mac_b, tf_mac_a, 0x0800);
  n += tf_ip(f + n, TF_IP_A, TF_IP_B, 1, 8 + plen, 3, 0);
  uint8_t *c = f + n;
  c[0] = type;
  c[1] = 0;
  c[2] = c[3] = 0;
  tf_put16(c + 4, id);
  tf_put16(c + 6, seq);
  for (size_t i = 0; i < plen; i++)
    c[8 + i] = (uint8_t)i;
  uint16_t s = net_csum(c, 8 + plen);
  memcpy(c + 2, &s, 2);
  return n + 8 + plen;
}

#endif
