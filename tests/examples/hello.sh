#!/bin/sh
# examples/hello prints exactly this (virtual clock: same output on every
# run) and exits 0; under NET_TEST_WRAPPER=valgrind it also runs leak-free.
set -u
expected='t=1.000s greeter sends "hello #1"
t=1.000s greeter got "hello #1" back
t=2.000s greeter sends "hello #2"
t=2.000s greeter got "hello #2" back
t=3.000s greeter sends "hello #3"
t=3.000s greeter got "hello #3" back'
out=$("$top_srcdir/tests/lib/wrap.sh" "$top_builddir/examples/hello") || {
  echo "FAIL: hello exited with $?"; exit 1; }
if [ "$out" != "$expected" ]; then
  printf 'FAIL: unexpected output:\n%s\n--- expected:\n%s\n' "$out" "$expected"
  exit 1
fi
echo "ok: hello printed the six expected lines"
