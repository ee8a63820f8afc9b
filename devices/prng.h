/* Seeded pseudo-random numbers for simulated media (private header).
 *
 * xoshiro256** (Blackman & Vigna) seeded through splitmix64: fast, good
 * statistical quality, and — unlike rand() — a state of our own, so a
 * simulation is reproducible from its seed whatever else runs in the
 * process.  Not for anything that must be unpredictable (ISNs, MACs). */
#ifndef NET_DEV_PRNG_H_
#define NET_DEV_PRNG_H_

#include <stdint.h>

struct net_prng_s
{
  uint64_t s[4];
};

static inline uint64_t net_prng_splitmix64(uint64_t *x)
{
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline void net_prng_seed(struct net_prng_s *p, uint64_t seed)
{
  for (unsigned i = 0; i < 4; i++)
    p->s[i] = net_prng_splitmix64(&seed);
}

static inline uint64_t net_prng_rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t net_prng_next(struct net_prng_s *p)
{
  uint64_t *s = p->s;
  uint64_t result = net_prng_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = net_prng_rotl(s[3], 45);
  return result;
}

/* Uniform in [0, 1) with 53 bits of precision. */
static inline double net_prng_double(struct net_prng_s *p)
{
  return (double)(net_prng_next(p) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n] (inclusive; n may be UINT64_MAX).  Rejection keeps it
   unbiased. */
static inline uint64_t net_prng_upto(struct net_prng_s *p, uint64_t n)
{
  if (n == UINT64_MAX)
    return net_prng_next(p);
  uint64_t range = n + 1;
  uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t x;
  do
    x = net_prng_next(p);
  while (x >= limit);
  return x % range;
}

#endif
