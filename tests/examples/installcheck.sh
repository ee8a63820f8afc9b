#!/bin/sh
# Out-of-tree use of an installed libnetwork (run by `make installcheck`,
# hence by `make distcheck`):
#  1. every installed public header compiles on its own with nothing but
#     `pkg-config --cflags libnetwork`;
#  2. examples/hello.c builds with `pkg-config --cflags --libs libnetwork`
#     and runs against the installed shared library.
# Environment (from examples/local.mk): CC, PKG_CONFIG, DESTDIR, libdir,
# includedir, srcdir, EXTRA_CFLAGS (language, warnings, sanitizers),
# EXTRA_LDFLAGS.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pcdir="$DESTDIR$libdir/pkgconfig"
[ -f "$pcdir/libnetwork.pc" ] || { echo "FAIL: $pcdir/libnetwork.pc not installed"; exit 1; }
if [ -n "$DESTDIR" ]; then
  # Staged install: relocate the absolute paths of our .pc (only ours;
  # PKG_CONFIG_SYSROOT_DIR would relocate GLib's too).
  sed "s|^\([A-Za-z_]*\)=/|\1=$DESTDIR/|" "$pcdir/libnetwork.pc" > "$tmp/libnetwork.pc"
  pcdir=$tmp
fi
PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
cflags=$($PKG_CONFIG --cflags libnetwork)
libs=$($PKG_CONFIG --libs libnetwork)
echo "pkg-config --cflags --libs libnetwork: $cflags $libs"

n=0
for h in "$DESTDIR$includedir"/net/*.h "$DESTDIR$includedir"/net/*/*.h; do
  [ -f "$h" ] || continue
  name=${h#"$DESTDIR$includedir"/}
  printf '#include <%s>\nint installcheck_unit;\n' "$name" > "$tmp/h.c"
  # shellcheck disable=SC2086
  $CC $EXTRA_CFLAGS $cflags -fsyntax-only "$tmp/h.c" || {
    echo "FAIL: installed <$name> does not compile alone"; exit 1; }
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no header installed under $DESTDIR$includedir/net"; exit 1; }
echo "ok: $n installed headers compile alone"

# shellcheck disable=SC2086
$CC $EXTRA_CFLAGS $cflags "$srcdir/examples/hello.c" -o "$tmp/hello" $libs $EXTRA_LDFLAGS
LD_LIBRARY_PATH="$DESTDIR$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/hello" > "$tmp/out"
grep -q 'greeter got "hello #3" back' "$tmp/out" || {
  echo "FAIL: hello built out of tree printed:"; cat "$tmp/out"; exit 1; }
echo "ok: examples/hello.c built with pkg-config against the installed library and ran"
