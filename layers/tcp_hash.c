/* Keyed hashes of TCP: SipHash-2-4 (inet_util) under a per-layer secret
   for initial sequence numbers (RFC 6528), SYN cookies, timestamp offsets
   (RFC 7323 5.4) and ephemeral ports (RFC 6056); SipHash-1-3 for the
   demux tables (so that remote peers cannot aim at one hash chain). */
#include <config.h>
#include "tcp_private.h"
#include "inet_util.h"
#include <glib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *state)
{
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void net_tcp_key_init(uint8_t key[NET_TCP_KEY_LEN], uint64_t seed)
{
  if (seed == 0)
    {
      inet_random(key, NET_TCP_KEY_LEN);
      return;
    }
  uint64_t a = splitmix64(&seed), b = splitmix64(&seed);
  memcpy(key, &a, 8);
  memcpy(key + 8, &b, 8);
}

/* Hash input: a domain tag, then the tuple, then extra words. */
struct hash_in_s
{
  uint8_t b[32];
  size_t len;
};

static void hin_init(struct hash_in_s *h, uint8_t tag)
{
  h->b[0] = tag;
  h->len = 1;
}

static void hin_u32(struct hash_in_s *h, uint32_t v)
{
  memcpy(h->b + h->len, &v, 4);
  h->len += 4;
}

static void hin_tuple(struct hash_in_s *h, const struct net_tcp_tuple_s *t)
{
  hin_u32(h, t->local_addr);
  hin_u32(h, t->remote_addr);
  hin_u32(h, (uint32_t)t->local_port << 16 | t->remote_port);
}

uint32_t net_tcp_isn(const uint8_t key[NET_TCP_KEY_LEN],
                     const struct net_tcp_tuple_s *t, net_time_t now)
{
  struct hash_in_s h;
  hin_init(&h, 'I');
  hin_tuple(&h, t);
  /* M: a 4 microsecond clock, so ISNs of successive incarnations of a
     4-tuple keep increasing (RFC 6528 section 3). */
  return (uint32_t)(now / (4 * NET_NSEC_PER_USEC))
         + (uint32_t)inet_siphash(key, h.b, h.len);
}

uint32_t net_tcp_tuple_hash(const uint8_t key[NET_TCP_KEY_LEN],
                            const struct net_tcp_tuple_s *t)
{
  /* Looked up for every segment of the slow path: SipHash-1-3 over two
     words (a third of the cost of SipHash-2-4 over the tagged bytes),
     with the tag in the top byte for domain separation. */
  return (uint32_t)inet_siphash13_2u64(
      key, (uint64_t)t->local_addr << 32 | t->remote_addr,
      (uint64_t)'H' << 56 | (uint64_t)t->local_port << 16 | t->remote_port);
}

uint32_t net_tcp_ts_offset(const uint8_t key[NET_TCP_KEY_LEN],
                           const struct net_tcp_tuple_s *t)
{
  struct hash_in_s h;
  hin_init(&h, 'T');
  hin_tuple(&h, t);
  return (uint32_t)inet_siphash(key, h.b, h.len);
}

uint32_t net_tcp_port_offset(const uint8_t key[NET_TCP_KEY_LEN],
                             uint32_t local_addr, uint32_t remote_addr,
                             uint16_t remote_port)
{
  struct hash_in_s h;
  hin_init(&h, 'P');
  hin_u32(&h, local_addr);
  hin_u32(&h, remote_addr);
  hin_u32(&h, remote_port);
  return (uint32_t)inet_siphash(key, h.b, h.len);
}

/* MSS values a cookie can carry (3 bits): the common ones, so the
   rounding down costs little. */
static const uint16_t cookie_mss[8] = {
  536, 1200, 1360, 1440, 1460, 4312, 8960, 65495
};

static uint32_t cookie_hash(const uint8_t key[NET_TCP_KEY_LEN],
                            const struct net_tcp_tuple_s *t, uint32_t peer_isn,
                            uint64_t slot, unsigned idx)
{
  struct hash_in_s h;
  hin_init(&h, 'C');
  hin_tuple(&h, t);
  hin_u32(&h, peer_isn);
  hin_u32(&h, (uint32_t)slot);
  hin_u32(&h, idx);
  return (uint32_t)inet_siphash(key, h.b, h.len) & 0xffffff;
}

/* Layout: 5 bits of time slot, 3 bits of MSS index, 24 bits of keyed
   hash over the tuple, the peer's ISN, the slot and the index. */
uint32_t net_tcp_cookie_make(const uint8_t key[NET_TCP_KEY_LEN],
                             const struct net_tcp_tuple_s *t, uint32_t peer_isn,
                             uint16_t mss, net_time_t now)
{
  uint64_t slot = now / NET_TCP_COOKIE_SLOT;
  unsigned idx = 0;

  while (idx + 1 < G_N_ELEMENTS(cookie_mss) && cookie_mss[idx + 1] <= mss)
    idx++;
  return (uint32_t)(slot & 31) << 27 | (uint32_t)idx << 24
         | cookie_hash(key, t, peer_isn, slot, idx);
}

uint16_t net_tcp_cookie_check(const uint8_t key[NET_TCP_KEY_LEN],
                              const struct net_tcp_tuple_s *t,
                              uint32_t peer_isn, uint32_t cookie,
                              net_time_t now)
{
  uint64_t slot = now / NET_TCP_COOKIE_SLOT;
  unsigned idx = (cookie >> 24) & 7;

  /* Valid for the current and the previous slot: 64 to 128 s. */
  for (uint64_t age = 0; age < 2 && age <= slot; age++)
    {
      uint64_t s = slot - age;
      if ((s & 31) == cookie >> 27
          && cookie_hash(key, t, peer_isn, s, idx) == (cookie & 0xffffff))
        return cookie_mss[idx];
    }
  return 0;
}
