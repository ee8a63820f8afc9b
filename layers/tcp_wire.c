/* TCP header and options on the wire: parse, write, checksum (RFC 9293
   3.1, RFC 7323).  Pure functions: no layer, no allocation. */
#include <config.h>
#include "tcp_private.h"
#include "inet_util.h"
#include <string.h>

enum
{
  OPT_EOL = 0,
  OPT_NOP = 1,
  OPT_MSS = 2,
  OPT_WS = 3,
  OPT_SACK_OK = 4,
  OPT_TS = 8,
};

/* Options are TLVs after the fixed header.  A length that is below 2 or
   runs past the header is malformed (RFC 9293 3.1 asks to survive it; we
   drop the segment).  A known option with an unexpected length is
   ignored, as an unknown one is. */
static enum net_tcp_parse_err_e parse_options(const uint8_t *p, size_t len,
                                              struct net_tcp_seg_info_s *si)
{
  size_t i = 0;

  while (i < len)
    {
      uint8_t kind = p[i];
      if (kind == OPT_EOL)
        break;
      if (kind == OPT_NOP)
        {
          i++;
          continue;
        }
      if (i + 1 >= len)
        return NET_TCP_PARSE_OPTION;
      uint8_t olen = p[i + 1];
      if (olen < 2 || i + olen > len)
        return NET_TCP_PARSE_OPTION;
      const uint8_t *v = p + i + 2;
      switch (kind)
        {
        case OPT_MSS:
          if (olen == 4)
            {
              si->opts |= NET_TCP_OPT_MSS;
              si->mss = inet_rd16(v);
            }
          break;
        case OPT_WS:
          if (olen == 3)
            {
              si->opts |= NET_TCP_OPT_WS;
              /* RFC 7323 2.3: a shift above 14 is used as 14. */
              si->wscale = v[0] > NET_TCP_MAX_WSCALE ? NET_TCP_MAX_WSCALE : v[0];
            }
          break;
        case OPT_SACK_OK:
          if (olen == 2)
            si->opts |= NET_TCP_OPT_SACK_OK;
          break;
        case OPT_TS:
          if (olen == 10)
            {
              si->opts |= NET_TCP_OPT_TS;
              si->tsval = inet_rd32(v);
              si->tsecr = inet_rd32(v + 4);
            }
          break;
        default:
          break;
        }
      i += olen;
    }
  return NET_TCP_PARSE_OK;
}

enum net_tcp_parse_err_e net_tcp_parse(const uint8_t *seg, size_t len,
                                       struct net_tcp_seg_info_s *si)
{
  memset(si, 0, sizeof(*si));
  if (len < NET_TCP_HEADER_LEN)
    return NET_TCP_PARSE_SHORT;
  size_t hlen = (size_t)(seg[12] >> 4) * 4;
  if (hlen < NET_TCP_HEADER_LEN)
    return NET_TCP_PARSE_OFFSET;
  if (hlen > len)
    return NET_TCP_PARSE_SHORT;
  si->sport = inet_rd16(seg);
  si->dport = inet_rd16(seg + 2);
  si->seq = inet_rd32(seg + 4);
  si->ack = inet_rd32(seg + 8);
  si->flags = seg[13] & 0x3f;
  si->wnd = inet_rd16(seg + 14);
  si->urp = inet_rd16(seg + 18);
  si->hlen = (uint8_t)hlen;
  si->len = (uint32_t)(len - hlen);
  return parse_options(seg + NET_TCP_HEADER_LEN, hlen - NET_TCP_HEADER_LEN, si);
}

size_t net_tcp_header_len(uint8_t opts)
{
  size_t len = NET_TCP_HEADER_LEN;
  if (opts & NET_TCP_OPT_MSS)
    len += 4;
  if (opts & NET_TCP_OPT_TS)
    len += 12;
  if (opts & NET_TCP_OPT_WS)
    len += 4;
  return len;
}

/* Options are laid out as the common stacks do (MSS, NOP NOP TS, NOP WS)
   so every option stays 32-bit aligned. */
size_t net_tcp_write_header(uint8_t *out, const struct net_tcp_hdr_out_s *h)
{
  size_t hlen = net_tcp_header_len(h->opts);
  uint8_t *o = out + NET_TCP_HEADER_LEN;

  inet_wr16(out, h->sport);
  inet_wr16(out + 2, h->dport);
  inet_wr32(out + 4, h->seq);
  inet_wr32(out + 8, h->ack);
  out[12] = (uint8_t)((hlen / 4) << 4);
  out[13] = h->flags;
  inet_wr16(out + 14, h->wnd);
  inet_wr16(out + 16, 0);
  inet_wr16(out + 18, 0);
  if (h->opts & NET_TCP_OPT_MSS)
    {
      o[0] = OPT_MSS;
      o[1] = 4;
      inet_wr16(o + 2, h->mss);
      o += 4;
    }
  if (h->opts & NET_TCP_OPT_TS)
    {
      o[0] = OPT_NOP;
      o[1] = OPT_NOP;
      o[2] = OPT_TS;
      o[3] = 10;
      inet_wr32(o + 4, h->tsval);
      inet_wr32(o + 8, h->tsecr);
      o += 12;
    }
  if (h->opts & NET_TCP_OPT_WS)
    {
      o[0] = OPT_NOP;
      o[1] = OPT_WS;
      o[2] = 3;
      o[3] = h->wscale;
    }
  return hlen;
}

void net_tcp_checksum_fill(uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
  uint32_t sum = net_csum_pseudo_ipv4(src, dst, NET_IPPROTO_TCP, (uint32_t)len);
  uint16_t c;

  seg[16] = 0;
  seg[17] = 0;
  c = net_csum_fold(net_csum_add(sum, seg, len));
  memcpy(seg + 16, &c, sizeof(c));
}

void net_tcp_checksum_offload(struct net_buffer_s *buf)
{
  uint8_t *seg = net_buffer_data(buf);

  /* IPv4 contract: the field at 0, IPv4 adds the pseudo-header and
     finishes the sum or leaves it to the device (net/layer/ipv4.h). */
  seg[16] = 0;
  seg[17] = 0;
  buf->offload_flags |= NET_BUFFER_CSUM_PARTIAL;
  buf->csum_start = 0;
  buf->csum_offset = 16;
}

bool net_tcp_checksum_ok(const uint8_t *seg, size_t len, uint32_t src,
                         uint32_t dst)
{
  uint32_t sum = net_csum_pseudo_ipv4(src, dst, NET_IPPROTO_TCP, (uint32_t)len);
  return net_csum_fold(net_csum_add(sum, seg, len)) == 0;
}
