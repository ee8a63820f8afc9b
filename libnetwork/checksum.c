/* The Internet checksum (RFC 1071) (net/checksum.h). */
#include <config.h>
#include <net/checksum.h>
#include <glib.h>
#include <string.h>

/* One's complement addition of 64-bit words: the carry out of the top
   goes back in at the bottom (end-around carry), so summing the raw
   memory 8 bytes at a time gives, once folded, the sum of its 16-bit
   words in memory order (RFC 1071 section 2(B), (C)). */
static inline uint64_t csum64(uint64_t acc, uint64_t w)
{
  acc += w;
  return acc + (acc < w);
}

/* Bulk of a long buffer, 32 bytes per round: on x86-64 one add-with-carry
   chain (the carry flag survives lea and dec); elsewhere the portable
   loop.  Returns the sum of the first len & ~31 bytes added to @p acc. */
static uint64_t csum_blocks(uint64_t acc, const uint8_t *p, size_t blocks)
{
#if defined(__x86_64__) && defined(__GNUC__)
  __asm__("clc\n"
          "1:\n\t"
          "adcq 0(%[p]), %[acc]\n\t"
          "adcq 8(%[p]), %[acc]\n\t"
          "adcq 16(%[p]), %[acc]\n\t"
          "adcq 24(%[p]), %[acc]\n\t"
          "lea 32(%[p]), %[p]\n\t"
          "dec %[n]\n\t"
          "jnz 1b\n\t"
          "adcq $0, %[acc]"
          : [acc] "+r"(acc), [p] "+r"(p), [n] "+r"(blocks)
          :
          : "cc", "memory");
#else
  for (; blocks > 0; blocks--, p += 32)
    {
      uint64_t w[4];
      memcpy(w, p, sizeof(w));
      acc = csum64(csum64(csum64(csum64(acc, w[0]), w[1]), w[2]), w[3]);
    }
#endif
  return acc;
}

uint32_t net_csum_add(uint32_t sum, const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t acc = sum;

  if (len >= 32)
    {
      acc = csum_blocks(acc, p, len / 32);
      p += len & ~(size_t)31;
      len &= 31;
    }
  while (len >= 8)
    {
      uint64_t w;
      memcpy(&w, p, 8);
      acc = csum64(acc, w);
      p += 8;
      len -= 8;
    }
  if (len >= 4)
    {
      uint32_t w;
      memcpy(&w, p, 4);
      acc = csum64(acc, w);
      p += 4;
      len -= 4;
    }
  if (len >= 2)
    {
      uint16_t w;
      memcpy(&w, p, 2);
      acc = csum64(acc, w);
      p += 2;
      len -= 2;
    }
  if (len)
    {
      /* The odd byte is the high-order byte of a network-order word. */
      uint16_t w = 0;
      memcpy(&w, p, 1);
      acc = csum64(acc, w);
    }
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  return (uint32_t)acc;
}

uint32_t net_csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t protocol,
                              uint32_t len)
{
  /* The 16-bit words of the pseudo-header as numbers (big-endian on the
     wire), summed and folded; then in memory order like every partial
     sum of net_csum_add(), which on a little-endian host is the byte
     swap (RFC 1071 2(B)): no 12-byte buffer to walk. */
  uint64_t sum = (uint64_t)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff)
                 + protocol + (len >> 16) + (len & 0xffff);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  sum = (uint16_t)(sum << 8 | sum >> 8);
#endif
  return (uint32_t)sum;
}
