#!/bin/sh
# The API reference stays complete: Doxygen, run on the public headers
# with the project's Doxyfile (EXTRACT_ALL off), reports no undocumented
# function, structure, field, enumeration or macro, and no other problem
# (a @p naming no parameter, a broken reference...).  `make doc-check` runs
# this too; `make doc` writes the HTML.
set -u
if [ -z "${DOXYGEN:-}" ]; then
  echo "SKIP: doxygen was not found by configure"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/doc/api"
sed -e 's|@VERSION[@]|check|g' \
    -e "s|@abs_top_srcdir[@]|$top_srcdir|g" \
    -e "s|@abs_top_builddir[@]|$tmp|g" \
    -e 's|^GENERATE_HTML .*|GENERATE_HTML = NO|' \
    "$top_srcdir/doc/Doxyfile.in" > "$tmp/Doxyfile"
"$DOXYGEN" "$tmp/Doxyfile" > "$tmp/out" 2>&1 || {
  echo "FAIL: doxygen failed:"; cat "$tmp/out"; exit 1; }
if grep -q ':[0-9]*: warning:' "$tmp/doc/api/warnings.log"; then
  grep ':[0-9]*: warning:' "$tmp/doc/api/warnings.log" | sed "s|$top_srcdir/||"
  echo "FAIL: $(grep -c ':[0-9]*: warning:' "$tmp/doc/api/warnings.log") Doxygen warnings in the public headers (see net/layer.h and doc/writing-a-layer.md for the style)"
  exit 1
fi
n=$(ls "$top_srcdir"/libnetwork/include/net/*.h "$top_srcdir"/layers/include/net/layer/*.h \
       "$top_srcdir"/devices/include/net/dev/*.h 2>/dev/null | wc -l)
echo "ok: every entity of the $n public headers is documented"
