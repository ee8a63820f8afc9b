#!/bin/sh
# The README's demo command keeps working: run examples/demo.sh (tcpecho on
# a TAP in a private namespace, the kernel as client) and require success.
. "$top_srcdir/tests/lib/netns.sh"
netns_require python3
TCPECHO="$top_builddir/examples/tcpecho" exec "$top_srcdir/examples/demo.sh"
