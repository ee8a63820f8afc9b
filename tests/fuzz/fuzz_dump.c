/* Fuzz target: the dumper's decoders (pure functions).
 *
 * The first byte picks the link type (mod 3) and the flags; the second
 * the size of a small output buffer.  The rest is the packet.  Besides
 * the sanitizers' checks, the target asserts the snprintf-like contract:
 * the result is NUL-terminated, a truncated summary is a prefix of the
 * full one, and the returned length is the full length.
 */
#include <config.h>
#include "fuzz.h"
#include <net/layer/dumper.h>
#include <stdlib.h>
#include <string.h>

const char fz_target_name[] = "dump";

static void check(bool ok)
{
  if (!ok)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  enum net_dump_link_e link = (enum net_dump_link_e)(data[0] % 3);
  unsigned flags = (data[0] / 3) & NET_DUMP_LINK_HEADER;
  size_t small = data[1];
  const uint8_t *pkt = data + 2;
  size_t len = size - 2;

  /* Copy the packet so that ASan sees any read past its end. */
  uint8_t *copy = malloc(len ? len : 1);
  check(copy != NULL);
  memcpy(copy, pkt, len);

  size_t full = net_dump_summary(NULL, 0, link, copy, len, flags);
  char *out = malloc(full + 1);
  check(out != NULL);
  check(net_dump_summary(out, full + 1, link, copy, len, flags) == full);
  check(strlen(out) == full);
  char *part = malloc(small + 1);
  check(part != NULL);
  check(net_dump_summary(part, small, link, copy, len, flags) == full);
  if (small)
    check(strlen(part) == MIN(full, small - 1)
          && memcmp(part, out, strlen(part)) == 0);

  size_t hex = net_dump_hex(NULL, 0, copy, len);
  char *h = malloc(hex + 1);
  check(h != NULL);
  check(net_dump_hex(h, hex + 1, copy, len) == hex && strlen(h) == hex);

  free(h);
  free(part);
  free(out);
  free(copy);
  return 0;
}
