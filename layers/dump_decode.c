/* Packet decoders of the dumper (net/layer/dumper.h): one tcpdump-style
   line per packet.  Pure functions over (pointer, length): every field is
   bounds-checked before it is read, malformed input is printed as such
   ("[truncated ip]", "[bad ihl 3]") and never read past. */
#include <config.h>
#include <net/layer/dumper.h>
#include <net/layer/ethernet.h>
#include <net/layer/ipv4.h>
#include <net/checksum.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bounded text builder: appends what fits, always NUL-terminated, and
   counts the length the whole text would have (snprintf convention). */
struct sb_s
{
  char *buf;
  size_t size;
  size_t len;
};

G_GNUC_PRINTF(2, 3)
static void sb_printf(struct sb_s *sb, const char *fmt, ...)
{
  size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    sb->len += (size_t)n;
}

static uint16_t rd16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *ip_str(const uint8_t *p, char out[16])
{
  return net_ipv4_format(rd32(p), out);
}

/* ---- TCP ---------------------------------------------------------------- */

static void tcp_options(struct sb_s *sb, const uint8_t *o, size_t len)
{
  sb_printf(sb, ", options [");
  size_t i = 0;
  bool first = true;
  while (i < len)
    {
      uint8_t kind = o[i];
      if (!first)
        sb_printf(sb, ",");
      first = false;
      if (kind == 0)
        {
          sb_printf(sb, "eol");
          break;
        }
      if (kind == 1)
        {
          sb_printf(sb, "nop");
          i++;
          continue;
        }
      if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
        {
          sb_printf(sb, "[bad opt]");
          break;
        }
      uint8_t olen = o[i + 1];
      const uint8_t *v = o + i + 2;
      if (kind == 2 && olen == 4)
        sb_printf(sb, "mss %u", rd16(v));
      else if (kind == 3 && olen == 3)
        sb_printf(sb, "wscale %u", v[0]);
      else if (kind == 4 && olen == 2)
        sb_printf(sb, "sackOK");
      else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0)
        {
          sb_printf(sb, "sack %u", (olen - 2) / 8);
          for (unsigned b = 0; b + 8 <= (unsigned)olen - 2; b += 8)
            sb_printf(sb, " {%u:%u}", rd32(v + b), rd32(v + b + 4));
        }
      else if (kind == 8 && olen == 10)
        sb_printf(sb, "TS val %u ecr %u", rd32(v), rd32(v + 4));
      else
        sb_printf(sb, "unknown-%u len %u", kind, olen);
      i += olen;
    }
  sb_printf(sb, "]");
}

static bool l4_checksum_ok(const uint8_t *ip, uint8_t proto, const uint8_t *l4,
                           size_t len)
{
  uint32_t sum = net_csum_pseudo_ipv4(rd32(ip + 12), rd32(ip + 16), proto,
                                      (uint32_t)len);
  return net_csum_fold(net_csum_add(sum, l4, len)) == 0;
}

static void tcp(struct sb_s *sb, const uint8_t *ip, const char *src,
                const char *dst, const uint8_t *d, size_t len, bool fragment)
{
  if (len < 4)
    {
      sb_printf(sb, "IP %s > %s: [truncated tcp]", src, dst);
      return;
    }
  sb_printf(sb, "IP %s.%u > %s.%u: ", src, rd16(d), dst, rd16(d + 2));
  if (len < 20)
    {
      sb_printf(sb, "[truncated tcp]");
      return;
    }
  unsigned doff = (unsigned)(d[12] >> 4) * 4;
  if (doff < 20)
    {
      sb_printf(sb, "[bad tcp offset %u]", doff);
      return;
    }
  if (doff > len)
    {
      sb_printf(sb, "[truncated tcp]");
      return;
    }
  uint8_t fl = d[13];
  char flags[10];
  size_t n = 0;
  static const struct { uint8_t bit; char c; } names[] = {
    { 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
    { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (fl & names[i].bit)
      flags[n++] = names[i].c;
  flags[n] = 0;
  uint32_t seq = rd32(d + 4), ack = rd32(d + 8);
  size_t payload = len - doff;
  sb_printf(sb, "Flags [%s]", n ? flags : "none");
  if (payload)
    sb_printf(sb, ", seq %u:%u", seq, (uint32_t)(seq + payload));
  else if (fl & 0x07)
    sb_printf(sb, ", seq %u", seq);
  if (fl & 0x10)
    sb_printf(sb, ", ack %u", ack);
  sb_printf(sb, ", win %u", rd16(d + 14));
  if (fl & 0x20)
    sb_printf(sb, ", urg %u", rd16(d + 18));
  if (doff > 20)
    tcp_options(sb, d + 20, doff - 20);
  sb_printf(sb, ", length %zu", payload);
  if (!fragment && !l4_checksum_ok(ip, NET_IPPROTO_TCP, d, len))
    sb_printf(sb, " [bad tcp cksum %04x]", rd16(d + 16));
}

/* ---- UDP ---------------------------------------------------------------- */

static void udp(struct sb_s *sb, const uint8_t *ip, const char *src,
                const char *dst, const uint8_t *d, size_t len, bool fragment)
{
  if (len < 8)
    {
      sb_printf(sb, "IP %s > %s: [truncated udp]", src, dst);
      return;
    }
  unsigned ulen = rd16(d + 4);
  sb_printf(sb, "IP %s.%u > %s.%u: UDP", src, rd16(d), dst, rd16(d + 2));
  if (ulen < 8 || (!fragment && ulen > len))
    {
      sb_printf(sb, " [bad udp length %u]", ulen);
      return;
    }
  sb_printf(sb, ", length %u", ulen - 8);
  if (!fragment && rd16(d + 6) != 0
      && !l4_checksum_ok(ip, NET_IPPROTO_UDP, d, ulen))
    sb_printf(sb, " [bad udp cksum %04x]", rd16(d + 6));
}

/* ---- ICMP --------------------------------------------------------------- */

static void icmp_unreach(struct sb_s *sb, const uint8_t *d, size_t len)
{
  uint8_t code = d[1];
  const uint8_t *in = d + 8;
  size_t inlen = len - 8;
  char a[16];
  /* The offending datagram's header tells what was unreachable. */
  bool inner = inlen >= 20 && (in[0] >> 4) == 4 && (in[0] & 15) >= 5
               && (size_t)(in[0] & 15) * 4 <= inlen;
  if (!inner)
    {
      sb_printf(sb, "ICMP unreachable, code %u [truncated icmp]", code);
      return;
    }
  size_t ihl = (size_t)(in[0] & 15) * 4;
  uint8_t proto = in[9];
  ip_str(in + 16, a);
  switch (code)
    {
    case 0:
      sb_printf(sb, "ICMP net %s unreachable", a);
      break;
    case 1:
      sb_printf(sb, "ICMP host %s unreachable", a);
      break;
    case 2:
      sb_printf(sb, "ICMP %s protocol %u unreachable", a, proto);
      break;
    case 3:
      if ((proto == NET_IPPROTO_UDP || proto == NET_IPPROTO_TCP)
          && inlen >= ihl + 4)
        sb_printf(sb, "ICMP %s %s port %u unreachable", a,
                  proto == NET_IPPROTO_UDP ? "udp" : "tcp", rd16(in + ihl + 2));
      else
        sb_printf(sb, "ICMP %s port unreachable", a);
      break;
    case 4:
      sb_printf(sb, "ICMP %s unreachable - need to frag (mtu %u)", a, rd16(d + 6));
      break;
    default:
      sb_printf(sb, "ICMP %s unreachable, code %u", a, code);
      break;
    }
}

static void icmp(struct sb_s *sb, const char *src, const char *dst,
                 const uint8_t *d, size_t len, bool fragment)
{
  sb_printf(sb, "IP %s > %s: ", src, dst);
  if (len < 8)
    {
      sb_printf(sb, "[truncated icmp]");
      return;
    }
  uint8_t type = d[0], code = d[1];
  switch (type)
    {
    case 0:
    case 8:
      sb_printf(sb, "ICMP echo %s, id %u, seq %u", type ? "request" : "reply",
                rd16(d + 4), rd16(d + 6));
      break;
    case 3:
      icmp_unreach(sb, d, len);
      break;
    case 11:
      sb_printf(sb, "ICMP %s", code == 1 ? "ip reassembly time exceeded"
                               : "time exceeded in-transit");
      break;
    default:
      sb_printf(sb, "ICMP type %u, code %u", type, code);
      break;
    }
  sb_printf(sb, ", length %zu", len);
  if (!fragment && net_csum(d, len) != 0)
    sb_printf(sb, " [bad icmp cksum %04x]", rd16(d + 2));
}

/* ---- IPv4 --------------------------------------------------------------- */

static void ipv4(struct sb_s *sb, const uint8_t *d, size_t len)
{
  if (len < 1)
    {
      sb_printf(sb, "IP [truncated ip]");
      return;
    }
  if (d[0] >> 4 != 4)
    {
      sb_printf(sb, "IP [bad ip version %u], length %zu", d[0] >> 4, len);
      return;
    }
  size_t ihl = (size_t)(d[0] & 15) * 4;
  if (ihl < NET_IPV4_HEADER_LEN)
    {
      sb_printf(sb, "IP [bad ihl %zu], length %zu", ihl, len);
      return;
    }
  if (len < ihl)
    {
      sb_printf(sb, "IP [truncated ip], length %zu", len);
      return;
    }
  char src[16], dst[16];
  ip_str(d + 12, src);
  ip_str(d + 16, dst);
  size_t tot = rd16(d + 2);
  if (tot < ihl)
    {
      sb_printf(sb, "IP %s > %s: [bad ip total length %zu]", src, dst, tot);
      return;
    }
  if (tot > len)
    {
      sb_printf(sb, "IP %s > %s: [truncated ip] total length %zu, %zu captured",
                src, dst, tot, len);
      return;
    }
  uint16_t id = rd16(d + 4), frag = rd16(d + 6);
  unsigned offset = (unsigned)(frag & 0x1fff) * 8;
  bool more = frag & 0x2000;
  uint8_t proto = d[9];
  const uint8_t *l4 = d + ihl;
  size_t l4len = tot - ihl;     /* trailing Ethernet padding excluded */
  if (offset)
    sb_printf(sb, "IP %s > %s: ip-proto-%u", src, dst, proto);
  else if (proto == NET_IPPROTO_TCP)
    tcp(sb, d, src, dst, l4, l4len, more);
  else if (proto == NET_IPPROTO_UDP)
    udp(sb, d, src, dst, l4, l4len, more);
  else if (proto == NET_IPPROTO_ICMP)
    icmp(sb, src, dst, l4, l4len, more);
  else
    sb_printf(sb, "IP %s > %s: ip-proto-%u %zu", src, dst, proto, l4len);
  if (offset || more)
    sb_printf(sb, " (frag %u:%zu@%u%s)", id, l4len, offset, more ? "+" : "");
  if (d[8] == 0)
    sb_printf(sb, " [ttl 0]");
  if (net_csum(d, ihl) != 0)
    sb_printf(sb, " [bad ip cksum %04x]", rd16(d + 10));
}

/* ---- ARP ---------------------------------------------------------------- */

static void arp(struct sb_s *sb, const uint8_t *d, size_t len)
{
  sb_printf(sb, "ARP, ");
  if (len < 8)
    {
      sb_printf(sb, "[truncated arp]");
      return;
    }
  uint16_t htype = rd16(d), ptype = rd16(d + 2), op = rd16(d + 6);
  if (htype != 1 || ptype != NET_ETHERTYPE_IPV4 || d[4] != 6 || d[5] != 4)
    {
      sb_printf(sb, "hardware %u, protocol 0x%04x, op %u, length %zu",
                htype, ptype, op, len);
      return;
    }
  if (len < 28)
    {
      sb_printf(sb, "[truncated arp]");
      return;
    }
  char sha[18], spa[16], tha[18], tpa[16];
  net_mac_format(d + 8, sha);
  ip_str(d + 14, spa);
  net_mac_format(d + 18, tha);
  ip_str(d + 24, tpa);
  static const uint8_t zero[NET_MAC_LEN];
  if (op == 1)
    {
      sb_printf(sb, "Request who-has %s", tpa);
      if (memcmp(d + 18, zero, NET_MAC_LEN) != 0)
        sb_printf(sb, " (%s)", tha);
      sb_printf(sb, " tell %s", spa);
    }
  else if (op == 2)
    sb_printf(sb, "Reply %s is-at %s", spa, sha);
  else
    sb_printf(sb, "op %u", op);
  sb_printf(sb, ", length %zu", len);
}

/* ---- Ethernet ----------------------------------------------------------- */

static const char *ethertype_name(uint16_t type)
{
  switch (type)
    {
    case NET_ETHERTYPE_IPV4:
      return "IPv4";
    case NET_ETHERTYPE_ARP:
      return "ARP";
    case NET_ETHERTYPE_IPV6:
      return "IPv6";
    case NET_ETHERTYPE_VLAN:
      return "802.1Q";
    default:
      return "Unknown";
    }
}

static void ethernet(struct sb_s *sb, const uint8_t *d, size_t len,
                     unsigned flags)
{
  if (len < NET_ETHERNET_HEADER_LEN)
    {
      sb_printf(sb, "[truncated ether], length %zu", len);
      return;
    }
  size_t off = NET_ETHERNET_HEADER_LEN;
  uint16_t type = rd16(d + 12);
  if (flags & NET_DUMP_LINK_HEADER)
    {
      char s[18], t[18];
      sb_printf(sb, "%s > %s, ", net_mac_format(d + 6, s), net_mac_format(d, t));
    }
  if (type == NET_ETHERTYPE_VLAN)
    {
      if (len < off + NET_ETHERNET_VLAN_LEN)
        {
          sb_printf(sb, "802.1Q [truncated vlan], length %zu", len);
          return;
        }
      uint16_t tci = rd16(d + off);
      sb_printf(sb, "vlan %u, p %u, ", tci & 0xfff, tci >> 13);
      type = rd16(d + off + 2);
      off += NET_ETHERNET_VLAN_LEN;
    }
  if (flags & NET_DUMP_LINK_HEADER)
    sb_printf(sb, "ethertype %s (0x%04x), length %zu: ", ethertype_name(type),
              type, len);
  const uint8_t *p = d + off;
  size_t plen = len - off;
  if (type < NET_ETHERTYPE_MIN)
    sb_printf(sb, "802.3, length %u", type);
  else if (type == NET_ETHERTYPE_IPV4)
    ipv4(sb, p, plen);
  else if (type == NET_ETHERTYPE_ARP)
    arp(sb, p, plen);
  else if (type == NET_ETHERTYPE_IPV6)
    sb_printf(sb, "IP6, length %zu", plen);
  else
    sb_printf(sb, "ethertype 0x%04x, length %zu", type, plen);
}

size_t net_dump_summary(char *out, size_t size, enum net_dump_link_e link,
                        const uint8_t *data, size_t len, unsigned flags)
{
  struct sb_s sb = { out, size, 0 };
  if (size)
    out[0] = 0;
  if (!data)
    len = 0;
  switch (link)
    {
    case NET_DUMP_LINK_ETHERNET:
      ethernet(&sb, data, len, flags);
      break;
    case NET_DUMP_LINK_IPV4:
      ipv4(&sb, data, len);
      break;
    default:
      sb_printf(&sb, "raw, length %zu", len);
      break;
    }
  return sb.len;
}

size_t net_dump_hex(char *out, size_t size, const uint8_t *data, size_t len)
{
  struct sb_s sb = { out, size, 0 };
  if (size)
    out[0] = 0;
  for (size_t line = 0; line < len; line += 16)
    {
      sb_printf(&sb, "\t0x%04zx: ", line);
      for (size_t i = line; i < len && i < line + 16; i += 2)
        {
          if (i + 1 < len)
            sb_printf(&sb, " %02x%02x", data[i], data[i + 1]);
          else
            sb_printf(&sb, " %02x", data[i]);
        }
      sb_printf(&sb, "\n");
    }
  return sb.len;
}
