# tests/hardening.mk: fuzz targets, overload and fault tests
# (doc/robustness.md).  Included last by the top Makefile.am: the fuzz
# library below reuses the final libnetwork_la_SOURCES.

# ---- fuzzing ------------------------------------------------------------
# Each target is one file defining LLVMFuzzerTestOneInput.  In every build
# the committed corpus of each target is replayed by a small driver (a
# regression test that runs plainly, under the sanitizers and Valgrind);
# with --enable-fuzzers (clang) the same files are linked with libFuzzer.
FUZZ_PACKET = tests/fuzz/packet.h tests/fuzz/packet.c
FUZZ_HARNESS = tests/fuzz/fuzz.h tests/fuzz/fuzz_harness.c $(FUZZ_PACKET)

FUZZ_REPLAYS = \
	tests/fuzz/replay_ethernet_arp \
	tests/fuzz/replay_ipv4 \
	tests/fuzz/replay_icmp \
	tests/fuzz/replay_udp \
	tests/fuzz/replay_tcp \
	tests/fuzz/replay_dump \
	tests/fuzz/replay_stack
check_PROGRAMS += $(FUZZ_REPLAYS) tests/fuzz/gen_corpus
TESTS += $(FUZZ_REPLAYS)
FUZZ_REPLAY_LIBS = libnetwork.la $(GLIB_LIBS)

tests_fuzz_replay_ethernet_arp_SOURCES = tests/fuzz/fuzz_ethernet_arp.c tests/fuzz/replay.c $(FUZZ_HARNESS)
tests_fuzz_replay_ethernet_arp_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_ipv4_SOURCES = tests/fuzz/fuzz_ipv4.c tests/fuzz/replay.c $(FUZZ_HARNESS)
tests_fuzz_replay_ipv4_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_icmp_SOURCES = tests/fuzz/fuzz_icmp.c tests/fuzz/replay.c $(FUZZ_HARNESS)
tests_fuzz_replay_icmp_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_udp_SOURCES = tests/fuzz/fuzz_udp.c tests/fuzz/replay.c $(FUZZ_HARNESS)
tests_fuzz_replay_udp_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_tcp_SOURCES = tests/fuzz/fuzz_tcp.c tests/fuzz/replay.c $(FUZZ_HARNESS)
tests_fuzz_replay_tcp_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_dump_SOURCES = tests/fuzz/fuzz_dump.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_dump_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_stack_SOURCES = tests/fuzz/fuzz_stack.c tests/fuzz/replay.c $(FUZZ_HARNESS)
tests_fuzz_replay_stack_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_gen_corpus_SOURCES = tests/fuzz/gen_corpus.c $(FUZZ_HARNESS)
tests_fuzz_gen_corpus_LDADD = $(FUZZ_REPLAY_LIBS)

# Regenerate the seed corpora in the source tree (commit the result).
fuzz-corpus: tests/fuzz/gen_corpus$(EXEEXT)
	tests/fuzz/gen_corpus$(EXEEXT) $(srcdir)/tests/fuzz/corpus
.PHONY: fuzz-corpus

EXTRA_DIST += tests/fuzz/corpus tests/fuzz/run.sh tests/fuzz/coverage.sh \
	doc/robustness.md

if FUZZERS
# The library's sources again, instrumented for coverage-guided fuzzing
# and built with ASan+UBSan, linked into each target with libFuzzer's
# main.  Run them with tests/fuzz/run.sh.
FUZZ_COMPILE_FLAGS = -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1
FUZZ_LINK_FLAGS = -fsanitize=fuzzer,address,undefined
FUZZ_TARGET_CFLAGS = $(AX_STD_CFLAGS) $(WARN_CFLAGS) $(GLIB_CFLAGS) $(FUZZ_COMPILE_FLAGS)
FUZZ_LIBS = tests/fuzz/libnetfuzz.la $(GLIB_LIBS) -lm

noinst_LTLIBRARIES += tests/fuzz/libnetfuzz.la
tests_fuzz_libnetfuzz_la_SOURCES = $(libnetwork_la_SOURCES)
tests_fuzz_libnetfuzz_la_CFLAGS = $(FUZZ_TARGET_CFLAGS)

FUZZERS_BIN = \
	tests/fuzz/fuzz_ethernet_arp \
	tests/fuzz/fuzz_ipv4 \
	tests/fuzz/fuzz_icmp \
	tests/fuzz/fuzz_udp \
	tests/fuzz/fuzz_tcp \
	tests/fuzz/fuzz_dump \
	tests/fuzz/fuzz_stack
noinst_PROGRAMS += $(FUZZERS_BIN)

tests_fuzz_fuzz_ethernet_arp_SOURCES = tests/fuzz/fuzz_ethernet_arp.c $(FUZZ_HARNESS)
tests_fuzz_fuzz_ethernet_arp_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_ethernet_arp_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_ethernet_arp_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_ipv4_SOURCES = tests/fuzz/fuzz_ipv4.c $(FUZZ_HARNESS)
tests_fuzz_fuzz_ipv4_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_ipv4_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_ipv4_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_icmp_SOURCES = tests/fuzz/fuzz_icmp.c $(FUZZ_HARNESS)
tests_fuzz_fuzz_icmp_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_icmp_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_icmp_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_udp_SOURCES = tests/fuzz/fuzz_udp.c $(FUZZ_HARNESS)
tests_fuzz_fuzz_udp_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_udp_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_udp_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_tcp_SOURCES = tests/fuzz/fuzz_tcp.c $(FUZZ_HARNESS)
tests_fuzz_fuzz_tcp_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_tcp_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_tcp_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_dump_SOURCES = tests/fuzz/fuzz_dump.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_dump_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_dump_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_dump_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_stack_SOURCES = tests/fuzz/fuzz_stack.c $(FUZZ_HARNESS)
tests_fuzz_fuzz_stack_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_stack_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_stack_LDADD = $(FUZZ_LIBS)

# make fuzz [FUZZ_SECONDS=N]: every target for N seconds (tests/fuzz/run.sh).
FUZZ_SECONDS = 60
fuzz: $(FUZZERS_BIN)
	FUZZ_BUILDDIR=. top_srcdir='$(abs_top_srcdir)' \
	  $(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_SECONDS)
else
fuzz:
	@echo "fuzz targets need: ./configure --enable-fuzzers CC=clang" >&2; exit 1
endif
.PHONY: fuzz

# ---- overload and faults -------------------------------------------------
HARDENING_SUPPORT = tests/hardening/hnet.h tests/hardening/hnet.c $(FUZZ_PACKET)
check_PROGRAMS += tests/hardening/test_overload
TESTS += tests/hardening/test_overload
tests_hardening_test_overload_SOURCES = tests/hardening/test_overload.c $(HARDENING_SUPPORT)
tests_hardening_test_overload_CFLAGS = $(NET_TEST_CFLAGS)
tests_hardening_test_overload_LDADD = $(NET_TEST_LIBS)
check_PROGRAMS += tests/hardening/test_faults
TESTS += tests/hardening/test_faults
TSAN_TESTS += tests/hardening/test_faults
tests_hardening_test_faults_SOURCES = tests/hardening/test_faults.c $(HARDENING_SUPPORT)
tests_hardening_test_faults_CFLAGS = $(NET_TEST_CFLAGS)
tests_hardening_test_faults_LDADD = $(NET_TEST_LIBS)

# The TAP device disappearing under traffic (root, private netns).
check_PROGRAMS += tests/hardening/tap_vanish
TESTS += tests/hardening/tap-vanish.sh
dist_check_SCRIPTS += tests/hardening/tap-vanish.sh
tests_hardening_tap_vanish_LDADD = libnetwork.la $(GLIB_LIBS)

# Known limit (doc/robustness.md): expected to fail until fixed.
check_PROGRAMS += tests/hardening/test_pinned_memory
TESTS += tests/hardening/test_pinned_memory
tests_hardening_test_pinned_memory_SOURCES = tests/hardening/test_pinned_memory.c $(FUZZ_HARNESS)
tests_hardening_test_pinned_memory_CFLAGS = $(NET_TEST_CFLAGS)
tests_hardening_test_pinned_memory_LDADD = $(NET_TEST_LIBS)

# ---- ThreadSanitizer -----------------------------------------------------
# Besides the suites the areas list, everything else that runs the
# threaded scheduler: the pair device with both ends torn down at once,
# and the examples against the kernel over a TAP (root; SKIP otherwise).
TSAN_TESTS += \
	tests/devices/test_pair \
	tests/tcp/tap_tcpecho.sh \
	tests/examples/tap_tcpclient.sh \
	tests/devices/tap-netdump.sh \
	tests/hardening/tap-vanish.sh
