# layers/tcp*: TCP (RFC 9293) as layers -- the tcp demux layer, listeners,
# sessions -- and the TCP echo application layer.
libnetwork_la_SOURCES += \
	layers/tcp_private.h \
	layers/tcp.c \
	layers/tcp_cc.c \
	layers/tcp_echo.c \
	layers/tcp_hash.c \
	layers/tcp_input.c \
	layers/tcp_listener.c \
	layers/tcp_output.c \
	layers/tcp_queue.c \
	layers/tcp_rmem.c \
	layers/tcp_session.c \
	layers/tcp_timer.c \
	layers/tcp_wire.c

netlayerinclude_HEADERS += \
	layers/include/net/layer/tcp.h \
	layers/include/net/layer/tcp_echo.h

# Unit tests of the pure parts (parsing, hashes, cookies, queues).
check_PROGRAMS += tests/tcp/test_tcp_units
TESTS += tests/tcp/test_tcp_units
tests_tcp_test_tcp_units_SOURCES = tests/tcp/test_tcp_units.c
tests_tcp_test_tcp_units_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir)
tests_tcp_test_tcp_units_LDADD = $(NET_TEST_LIBS)

# Robustness: mutated segments through a persistent stack (the libFuzzer
# target of TCP is tests/fuzz/fuzz_tcp, tests/hardening.mk).
check_PROGRAMS += tests/tcp/test_tcp_fuzz_smoke
TESTS += tests/tcp/test_tcp_fuzz_smoke
tests_tcp_test_tcp_fuzz_smoke_SOURCES = tests/tcp/test_tcp_fuzz_smoke.c \
	tests/tcp/fuzz_tcp.c tests/tcp/fuzz_tcp.h
tests_tcp_test_tcp_fuzz_smoke_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir)
tests_tcp_test_tcp_fuzz_smoke_LDADD = $(NET_TEST_LIBS)

# Simulated two-stack tests (virtual clock, seeded test wire).
TCP_SIM_SUPPORT = \
	tests/tcp/wire.c tests/tcp/wire.h \
	tests/tcp/tapp.c tests/tcp/tapp.h \
	tests/tcp/sim.c tests/tcp/sim.h
check_PROGRAMS += tests/tcp/test_tcp_sim
TESTS += tests/tcp/test_tcp_sim
tests_tcp_test_tcp_sim_SOURCES = tests/tcp/test_tcp_sim.c $(TCP_SIM_SUPPORT)
tests_tcp_test_tcp_sim_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir)
tests_tcp_test_tcp_sim_LDADD = $(NET_TEST_LIBS)

# The TCP echo demo and its test against the kernel over a TAP.
bin_PROGRAMS += examples/tcpecho
examples_tcpecho_SOURCES = examples/tcpecho.c $(EXAMPLE_UTIL_SOURCES)
examples_tcpecho_LDADD = libnetwork.la $(GLIB_LIBS) -lpthread
TESTS += tests/tcp/tap_tcpecho.sh
dist_check_SCRIPTS += tests/tcp/tap_tcpecho.sh tests/tcp/tcp_check.py
check_PROGRAMS += tests/tcp/test_tcp_states
TESTS += tests/tcp/test_tcp_states
tests_tcp_test_tcp_states_SOURCES = tests/tcp/test_tcp_states.c $(TCP_SIM_SUPPORT)
tests_tcp_test_tcp_states_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir)
tests_tcp_test_tcp_states_LDADD = $(NET_TEST_LIBS)
# Over pair device + Ethernet + IPv4, loop and threaded schedulers.
check_PROGRAMS += tests/tcp/test_tcp_stack
TESTS += tests/tcp/test_tcp_stack
tests_tcp_test_tcp_stack_SOURCES = tests/tcp/test_tcp_stack.c $(TCP_SIM_SUPPORT)
tests_tcp_test_tcp_stack_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir)
tests_tcp_test_tcp_stack_LDADD = $(NET_TEST_LIBS)
# Its threaded case over the test wire alone, for the TSan run.
check_PROGRAMS += tests/tcp/test_tcp_threaded
TESTS += tests/tcp/test_tcp_threaded
TSAN_TESTS += tests/tcp/test_tcp_threaded
tests_tcp_test_tcp_threaded_SOURCES = tests/tcp/test_tcp_stack.c $(TCP_SIM_SUPPORT)
tests_tcp_test_tcp_threaded_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir) -DTCP_THREADED_ONLY
tests_tcp_test_tcp_threaded_LDADD = $(NET_TEST_LIBS)

# The application interface in one program, quoted by doc/tcp.md.
noinst_PROGRAMS += examples/tcp_upper
examples_tcp_upper_SOURCES = examples/tcp_upper.c
examples_tcp_upper_LDADD = libnetwork.la $(GLIB_LIBS)
TESTS += tests/tcp/tcp_upper.sh
dist_check_SCRIPTS += tests/tcp/tcp_upper.sh
EXTRA_DIST += doc/tcp.md doc/tcpecho.1
man_MANS += doc/tcpecho.1
