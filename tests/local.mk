# tests/: shared test infrastructure.  Each area lists its own tests in
# its fragment; programs run through tests/lib/wrap.sh (plain, or under
# Valgrind with NET_TEST_WRAPPER=valgrind), shell tests through $(SHELL).
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
LOG_COMPILER = $(top_srcdir)/tests/lib/wrap.sh

EXTRA_DIST += \
	tests/lib/check_main.h \
	tests/lib/netns.sh \
	tests/lib/wrap.sh \
	tests/lib/valgrind.supp \
	tools/deps-debian.sh \
	tools/test-summary.sh \
	.ci/run

# Suites worth running under ThreadSanitizer (CI runs exactly these in its
# TSan build); areas append the tests that exercise threads.
print-tsan-tests:
	@echo $(TSAN_TESTS)
.PHONY: print-tsan-tests

# Public headers compile standalone.
TESTS += tests/headers.sh
dist_check_SCRIPTS += tests/headers.sh
AM_TESTS_ENVIRONMENT += \
	CC='$(CC)'; GLIB_CFLAGS='$(GLIB_CFLAGS)'; \
	NET_PUBLIC_HEADERS='$(netinclude_HEADERS) $(netlayerinclude_HEADERS) $(netdevinclude_HEADERS)'; \
	export CC GLIB_CFLAGS NET_PUBLIC_HEADERS;

# The README's demo (examples/demo.sh) runs and succeeds.
TESTS += tests/demo-check.sh
dist_check_SCRIPTS += tests/demo-check.sh
EXTRA_DIST += examples/demo.sh doc/design-decisions.md
