#!/bin/sh
# Every installed public header compiles on its own (no hidden include
# order), with the project's warnings, in C11.
set -u
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in $NET_PUBLIC_HEADERS; do
  name=${h#*/include/}
  printf '#include <%s>\nint net_header_test_%s;\n' "$name" "$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)" > "$tmp/t.c"
  if ! $CC -std=gnu11 -Wall -Wextra -Werror -fsyntax-only \
       -I"$top_srcdir/libnetwork/include" -I"$top_srcdir/layers/include" \
       -I"$top_srcdir/devices/include" $GLIB_CFLAGS "$tmp/t.c"; then
    echo "FAIL: $name does not compile alone"
    fail=1
  else
    echo "ok: $name"
  fi
done
exit $fail
