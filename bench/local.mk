# bench: files of this area (fragment included by the top Makefile.am)

# --- buffers (buffer helper): keep this block separate for easy merges ---
noinst_PROGRAMS += bench/bench_buffer
bench_bench_buffer_LDADD = libnetwork.la $(GLIB_LIBS)

# --- core: scheduler dispatch (built, never run by make check) ---
noinst_PROGRAMS += bench/bench_sched
bench_bench_sched_LDADD = libnetwork.la $(GLIB_LIBS)
EXTRA_DIST += bench/callgrind-task.sh

# --- performance: packets per second through the stack over the pair device,
# and its callgrind recipe (built, never run by make check) ---
noinst_PROGRAMS += bench/bench_pps
bench_bench_pps_LDADD = libnetwork.la $(GLIB_LIBS)
EXTRA_DIST += bench/callgrind-pps.sh

# Offloads: two stacks over the pair device with offloads none/csum/tso on
# a perfect and a lossy wire (no root), and tcpecho against the kernel
# over a TAP with each offload setting (root; SKIP otherwise).
check_PROGRAMS += tests/perf/test_offload
TESTS += tests/perf/test_offload tests/perf/tap_offload.sh
dist_check_SCRIPTS += tests/perf/tap_offload.sh
tests_perf_test_offload_CFLAGS = $(NET_TEST_CFLAGS)
tests_perf_test_offload_LDADD = $(NET_TEST_LIBS)

# The fast path: flow requests and the classifier the Ethernet layer hosts.
libnetwork_la_SOURCES += layers/flow.c layers/flow_table.h
netlayerinclude_HEADERS += layers/include/net/layer/flow.h
check_PROGRAMS += tests/perf/test_fastpath
TESTS += tests/perf/test_fastpath
tests_perf_test_fastpath_CFLAGS = $(NET_TEST_CFLAGS)
tests_perf_test_fastpath_LDADD = $(NET_TEST_LIBS)
check_PROGRAMS += tests/perf/test_csum
TESTS += tests/perf/test_csum
tests_perf_test_csum_CFLAGS = $(NET_TEST_CFLAGS)
tests_perf_test_csum_LDADD = $(NET_TEST_LIBS)
# Busy polling of the loop scheduler (options.busy_poll).
check_PROGRAMS += tests/perf/test_busypoll
TESTS += tests/perf/test_busypoll
TSAN_TESTS += tests/perf/test_busypoll
tests_perf_test_busypoll_SOURCES = tests/perf/test_busypoll.c $(CORE_TEST_SUPPORT)
tests_perf_test_busypoll_CFLAGS = $(NET_TEST_CFLAGS)
tests_perf_test_busypoll_LDADD = $(NET_TEST_LIBS)

# The echo benchmark against lwIP and the kernel (root; its own Makefile,
# not built by make; see bench/peers/README.md and doc/performance.md).
EXTRA_DIST += bench/peers/Makefile bench/peers/README.md bench/peers/echo_client.c \
	bench/peers/kernel_echo.c bench/peers/lwip_echo.c bench/peers/run_peers.sh \
	doc/performance.md
