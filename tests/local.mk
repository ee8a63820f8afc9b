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
# TSan build); areas append the tests that exercise threads: everything
# that runs the threaded scheduler.
print-tsan-tests:
	@echo $(TSAN_TESTS)

# make tsan-check [TSAN_ROUNDS=N], in a --enable-tsan build: TSAN_TESTS,
# N times over (races are intermittent).  Every ThreadSanitizer report of
# every process the tests start -- forked Check children, examples in a
# netns, helpers whose exit status a script does not look at -- is written
# to tsan-reports/, printed at the end, and fails the target even when
# every test passed.  Stops at the first failing round (its logs stay).
# G_SLICE=always-malloc: GLib's slice allocator (GLib < 2.76) hands memory
# between threads through magazines locked with futexes TSan cannot see,
# which shows as races between one thread's allocation and another's use;
# with malloc TSan follows the memory.
TSAN_ROUNDS = 2
tsan-check:
	@rm -rf tsan-reports && mkdir tsan-reports
	@status=0; round=1; \
	while [ $$round -le $(TSAN_ROUNDS) ] && [ $$status = 0 ]; do \
	  echo "== ThreadSanitizer round $$round of $(TSAN_ROUNDS)"; \
	  TSAN_OPTIONS="$${TSAN_OPTIONS:+$$TSAN_OPTIONS:}log_path=$(abs_top_builddir)/tsan-reports/report" \
	  G_SLICE=always-malloc $(MAKE) $(AM_MAKEFLAGS) check TESTS="$(TSAN_TESTS)" || status=1; \
	  ls tsan-reports | grep -q . && status=1; \
	  round=`expr $$round + 1`; \
	done; \
	for r in tsan-reports/*; do \
	  [ -f "$$r" ] && { echo "--- $$r"; cat "$$r"; }; \
	done; \
	if [ $$status != 0 ]; then \
	  echo "tsan-check: failed tests or ThreadSanitizer reports (above)" >&2; \
	fi; \
	exit $$status
clean-tsan-reports:
	rm -rf tsan-reports
clean-local: clean-tsan-reports
.PHONY: print-tsan-tests tsan-check clean-tsan-reports

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
