#!/bin/sh
# Code quoted in the documentation is real code.  In each Markdown file
# below, every ```c block must follow a line
#   <!-- snippet: PATH -->
# (PATH relative to the top source directory) and appear in that file
# verbatim, as consecutive lines.  So the tutorial cannot drift from the
# example that make check builds and tests.
set -u
top=${top_srcdir:-.}
docs=${NET_SNIPPET_DOCS:-"README.md doc/writing-a-layer.md doc/composing.md"}
status=0
for md in $docs; do
  if [ ! -f "$top/$md" ]; then
    echo "FAIL: $md is missing"
    status=1
    continue
  fi
  awk -v md="$md" -v top="$top" '
    function load(path,   line, n) {
      if (path in loaded) return loaded[path]
      n = 0
      while ((getline line < (top "/" path)) > 0) src[path, ++n] = line
      close(top "/" path)
      loaded[path] = n
      return n
    }
    function check(   n, i, j, ok) {
      if (file == "") {
        printf "FAIL: %s:%d: ```c block without <!-- snippet: FILE --> before it\n", md, start
        bad = 1; return
      }
      n = load(file)
      if (n == 0) {
        printf "FAIL: %s:%d: %s is missing or empty\n", md, start, file
        bad = 1; return
      }
      for (i = 1; i + nb - 1 <= n; i++) {
        ok = 1
        for (j = 1; j <= nb && ok; j++) if (src[file, i + j - 1] != block[j]) ok = 0
        if (ok) { count++; return }
      }
      printf "FAIL: %s:%d: this block is not in %s verbatim:\n", md, start, file
      for (j = 1; j <= nb; j++) printf "  | %s\n", block[j]
      bad = 1
    }
    inblock && /^```[ \t]*$/ { check(); inblock = 0; file = ""; next }
    inblock { block[++nb] = $0; next }
    /^```c[ \t]*$/ { inblock = 1; nb = 0; start = NR; file = pending; pending = ""; next }
    /^<!-- snippet: [^ ]+ -->[ \t]*$/ { pending = $3; next }
    { if ($0 !~ /^[ \t]*$/) pending = "" }
    END {
      if (inblock) { printf "FAIL: %s: unterminated code block\n", md; bad = 1 }
      if (!bad) printf "ok: %s: %d C blocks found verbatim in their sources\n", md, count
      exit bad
    }' "$top/$md" || status=1
done
exit $status
