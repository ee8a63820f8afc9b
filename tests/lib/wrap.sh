#!/bin/sh
# Log compiler of the test programs: runs a test as is, or under a tool
# chosen by NET_TEST_WRAPPER when the suites are run as a gate:
#   NET_TEST_WRAPPER=valgrind make check   memcheck, errors or leaks fail
# Check forks each test by default, which hides leaks from Valgrind and
# costs time under it: CK_FORK=no runs them in one process.
case "${NET_TEST_WRAPPER:-}" in
  "")
    exec "$@" ;;
  valgrind)
    CK_FORK=no
    export CK_FORK
    # G_SLICE/G_DEBUG: make GLib allocations visible to memcheck.
    G_SLICE=always-malloc G_DEBUG=gc-friendly
    export G_SLICE G_DEBUG
    exec "${top_builddir:-.}/libtool" --mode=execute valgrind -q \
      --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
      --errors-for-leak-kinds=definite,indirect \
      --suppressions="${top_srcdir:-.}/tests/lib/valgrind.supp" "$@" ;;
  *)
    echo "unknown NET_TEST_WRAPPER=$NET_TEST_WRAPPER" >&2
    exit 99 ;;
esac
