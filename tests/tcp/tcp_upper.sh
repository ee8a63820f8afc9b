#!/bin/sh
# The example that doc/tcp.md quotes runs and says what the doc says:
# connected, both lines in upper case, the server's FIN, a clean close;
# and the doc's code blocks are that example, verbatim.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
out=$("$top_builddir/examples/tcp_upper") || { echo "FAIL: tcp_upper exited with $?"; exit 1; }
echo "$out"
for want in "client: connected" "HELLO, TCP" "LAYERS ALL THE WAY DOWN" \
            "client: the server closed its side" "client: connection closed (ok)"; do
  echo "$out" | grep -qF "$want" || { echo "FAIL: missing '$want'"; exit 1; }
done
NET_SNIPPET_DOCS="doc/tcp.md" top_srcdir="$top_srcdir" \
  sh "$top_srcdir/tests/examples/snippets.sh" || exit 1
echo "PASS"
