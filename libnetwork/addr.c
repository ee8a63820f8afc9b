/* Address formatting and parsing (net/addr.h). */
#include <config.h>
#include <net/addr.h>
#include <stdio.h>
#include <string.h>

const uint8_t net_mac_broadcast[NET_MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

char *net_mac_format(const uint8_t mac[NET_MAC_LEN], char *out)
{
  snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return out;
}

static int hex_digit(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int net_mac_parse(const char *text, uint8_t mac[NET_MAC_LEN])
{
  uint8_t parsed[NET_MAC_LEN];

  if (!text || !mac || strlen(text) != 17)
    return -EINVAL;
  for (unsigned i = 0; i < NET_MAC_LEN; i++)
    {
      const char *p = text + 3 * i;
      int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
      if (hi < 0 || lo < 0 || (i < NET_MAC_LEN - 1 && p[2] != ':'))
        return -EINVAL;
      parsed[i] = (uint8_t)(hi << 4 | lo);
    }
  /* Only a complete address is stored: a caller's previous value
     survives a typo. */
  memcpy(mac, parsed, NET_MAC_LEN);
  return 0;
}

char *net_ipv4_format(uint32_t addr, char *out)
{
  snprintf(out, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
           (addr >> 8) & 0xff, addr & 0xff);
  return out;
}

/* Strict decimal: 1 to 3 digits, no sign, no leading junk, value <= max,
   no leading zero ("010" is 8 to inet_aton() and 10 to others: refusing
   it, as inet_pton() does, keeps one text from meaning two addresses). */
static const char *parse_dec(const char *p, unsigned max, unsigned *value)
{
  const char *start = p;
  unsigned v = 0, digits = 0;
  while (*p >= '0' && *p <= '9' && digits < 3)
    {
      v = v * 10 + (unsigned)(*p++ - '0');
      digits++;
    }
  if (digits == 0 || v > max || (*p >= '0' && *p <= '9')
      || (digits > 1 && *start == '0'))
    return NULL;
  *value = v;
  return p;
}

int net_ipv4_parse(const char *text, uint32_t *addr, unsigned *prefix_len)
{
  if (!text || !addr)
    return -EINVAL;
  const char *p = text;
  uint32_t a = 0;
  for (unsigned i = 0; i < 4; i++)
    {
      unsigned octet;
      if (!(p = parse_dec(p, 255, &octet)))
        return -EINVAL;
      a = a << 8 | octet;
      if (i < 3 && *p++ != '.')
        return -EINVAL;
    }
  unsigned len = 32;
  if (*p == '/')
    {
      if (!prefix_len || !(p = parse_dec(p + 1, 32, &len)))
        return -EINVAL;
    }
  if (*p != '\0')
    return -EINVAL;
  *addr = a;
  if (prefix_len)
    *prefix_len = len;
  return 0;
}
