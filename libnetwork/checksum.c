/* The Internet checksum (RFC 1071) (net/checksum.h). */
#include <config.h>
#include <net/checksum.h>
#include <string.h>

/* Sums 64 bits at a time into a 64-bit accumulator: the carries of one's
   complement addition are preserved in the upper half and folded at the
   end, which is both simpler and ~4x faster than a 16-bit loop.  Reading
   through memcpy keeps it alignment-safe; the result is byte-order neutral
   (RFC 1071 section 2(B)) so it works on the raw network-order bytes. */
uint32_t net_csum_add(uint32_t sum, const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t acc = sum;

  while (len >= 8)
    {
      uint64_t w;
      memcpy(&w, p, 8);
      acc += (uint32_t)w;
      acc += w >> 32;
      p += 8;
      len -= 8;
    }
  if (len >= 4)
    {
      uint32_t w;
      memcpy(&w, p, 4);
      acc += w;
      p += 4;
      len -= 4;
    }
  if (len >= 2)
    {
      uint16_t w;
      memcpy(&w, p, 2);
      acc += w;
      p += 2;
      len -= 2;
    }
  if (len)
    {
      /* The odd byte is the high-order byte of a network-order word. */
      uint16_t w = 0;
      memcpy(&w, p, 1);
      acc += w;
    }
  while (acc >> 32)
    acc = (acc & 0xffffffffu) + (acc >> 32);
  return (uint32_t)acc;
}

uint32_t net_csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t protocol,
                              uint32_t len)
{
  uint8_t ph[12] = {
    (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
    (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
    0, protocol, (uint8_t)(len >> 8), (uint8_t)len,
  };
  return net_csum_add(0, ph, sizeof(ph));
}
