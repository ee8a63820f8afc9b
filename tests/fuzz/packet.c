/* Packet helpers (packet.h). */
#include <config.h>
#include "packet.h"
#include <net/checksum.h>
#include <net/layer/ipv4.h>
#include <string.h>

void fz_wr16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

void fz_wr32(uint8_t *p, uint32_t v)
{
  fz_wr16(p, (uint16_t)(v >> 16));
  fz_wr16(p + 2, (uint16_t)v);
}

uint16_t fz_rd16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t fz_rd32(const uint8_t *p)
{
  return (uint32_t)fz_rd16(p) << 16 | fz_rd16(p + 2);
}

static void fz_csum_store(uint8_t *at, uint16_t csum)
{
  memcpy(at, &csum, 2);   /* net_csum() returns network order */
}

size_t fz_build_ipv4(uint8_t *out, uint32_t src, uint32_t dst, uint8_t proto,
                     uint16_t frag, const uint8_t *payload, size_t len)
{
  memset(out, 0, 20);
  out[0] = 0x45;
  fz_wr16(out + 2, (uint16_t)(20 + len));
  fz_wr16(out + 4, 0x1234);
  fz_wr16(out + 6, frag);
  out[8] = 64;
  out[9] = proto;
  fz_wr32(out + 12, src);
  fz_wr32(out + 16, dst);
  fz_csum_store(out + 10, net_csum(out, 20));
  if (len && payload)
    memmove(out + 20, payload, len);
  return 20 + len;
}

void fz_fix_ipv4(uint8_t *p, size_t len, unsigned ctl)
{
  if (len < 20)
    return;
  size_t hlen = (size_t)(p[0] & 0x0f) * 4;
  if ((ctl & FZ_CTL_FIX_LEN) && len <= 0xffff)
    fz_wr16(p + 2, (uint16_t)len);
  if (!(ctl & FZ_CTL_FIX_CSUM) || hlen < 20 || hlen > len)
    return;
  p[10] = p[11] = 0;
  fz_csum_store(p + 10, net_csum(p, hlen));
  size_t total = fz_rd16(p + 2);
  if (total > len || total < hlen || (fz_rd16(p + 6) & 0x3fff))
    return;
  uint8_t *l4 = p + hlen;
  size_t l4len = total - hlen;
  uint32_t src = fz_rd32(p + 12), dst = fz_rd32(p + 16);
  uint32_t pseudo = net_csum_pseudo_ipv4(src, dst, p[9], (uint32_t)l4len);
  switch (p[9])
    {
    case NET_IPPROTO_ICMP:
      if (l4len >= 4)
        {
          l4[2] = l4[3] = 0;
          fz_csum_store(l4 + 2, net_csum(l4, l4len));
        }
      break;
    case NET_IPPROTO_UDP:
      if (l4len >= 8)
        {
          if (ctl & FZ_CTL_FIX_LEN)
            fz_wr16(l4 + 4, (uint16_t)l4len);
          l4[6] = l4[7] = 0;
          uint16_t c = net_csum_fold(net_csum_add(pseudo, l4, l4len));
          fz_csum_store(l4 + 6, c ? c : 0xffff);
        }
      break;
    case NET_IPPROTO_TCP:
      if (l4len >= 20)
        {
          l4[16] = l4[17] = 0;
          fz_csum_store(l4 + 16, net_csum_fold(net_csum_add(pseudo, l4, l4len)));
        }
      break;
    default:
      break;
    }
}

size_t fz_build_arp(uint8_t *out, uint16_t op, const uint8_t sha[6],
                    uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
  fz_wr16(out, 1);
  fz_wr16(out + 2, 0x0800);
  out[4] = 6;
  out[5] = 4;
  fz_wr16(out + 6, op);
  memcpy(out + 8, sha, 6);
  fz_wr32(out + 14, spa);
  if (tha)
    memcpy(out + 18, tha, 6);
  else
    memset(out + 18, 0, 6);
  fz_wr32(out + 24, tpa);
  return 28;
}
