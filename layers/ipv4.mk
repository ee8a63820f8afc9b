# layers/ipv4.mk: the IPv4 suite (ARP, IPv4, ICMP, UDP, inet convenience).
netlayerinclude_HEADERS += \
	layers/include/net/layer/arp.h \
	layers/include/net/layer/icmp.h \
	layers/include/net/layer/inet.h \
	layers/include/net/layer/ipv4.h \
	layers/include/net/layer/udp.h

libnetwork_la_SOURCES += \
	layers/inet_util.c \
	layers/inet_util.h \
	layers/arp.c \
	layers/ipv4_private.h \
	layers/ipv4.c \
	layers/ipv4_input.c \
	layers/ipv4_output.c \
	layers/ipv4_neigh.c \
	layers/ipv4_reasm.c \
	layers/icmp.c \
	layers/udp.c \
	layers/udp_echo.c \
	layers/inet.c

# Tests: crafted frames through a fake link layer on a virtual clock.
IPV4_TEST_SUPPORT = tests/ipv4/harness.c tests/ipv4/harness.h
check_PROGRAMS += tests/ipv4/test_arp
TESTS += tests/ipv4/test_arp
tests_ipv4_test_arp_SOURCES = tests/ipv4/test_arp.c $(IPV4_TEST_SUPPORT)
tests_ipv4_test_arp_CFLAGS = $(NET_TEST_CFLAGS)
tests_ipv4_test_arp_LDADD = $(NET_TEST_LIBS)
check_PROGRAMS += tests/ipv4/test_ipv4
TESTS += tests/ipv4/test_ipv4
tests_ipv4_test_ipv4_SOURCES = tests/ipv4/test_ipv4.c $(IPV4_TEST_SUPPORT)
tests_ipv4_test_ipv4_CFLAGS = $(NET_TEST_CFLAGS)
tests_ipv4_test_ipv4_LDADD = $(NET_TEST_LIBS)
check_PROGRAMS += tests/ipv4/test_icmp_udp
TESTS += tests/ipv4/test_icmp_udp
tests_ipv4_test_icmp_udp_SOURCES = tests/ipv4/test_icmp_udp.c $(IPV4_TEST_SUPPORT)
tests_ipv4_test_icmp_udp_CFLAGS = $(NET_TEST_CFLAGS)
tests_ipv4_test_icmp_udp_LDADD = $(NET_TEST_LIBS)
check_PROGRAMS += tests/ipv4/test_inet_pair
TESTS += tests/ipv4/test_inet_pair
tests_ipv4_test_inet_pair_SOURCES = tests/ipv4/test_inet_pair.c $(IPV4_TEST_SUPPORT)
tests_ipv4_test_inet_pair_CFLAGS = $(NET_TEST_CFLAGS)
tests_ipv4_test_inet_pair_LDADD = $(NET_TEST_LIBS)
EXTRA_DIST += doc/ipv4.md

# Robustness: mutated frames through a persistent stack (the libFuzzer
# targets of ARP, IPv4, ICMP and UDP are in tests/fuzz, tests/hardening.mk).
check_PROGRAMS += tests/ipv4/test_fuzz_smoke
TESTS += tests/ipv4/test_fuzz_smoke
tests_ipv4_test_fuzz_smoke_SOURCES = tests/ipv4/test_fuzz_smoke.c \
	tests/ipv4/fuzz_inet.c tests/ipv4/fuzz_inet.h $(IPV4_TEST_SUPPORT)
tests_ipv4_test_fuzz_smoke_CFLAGS = $(NET_TEST_CFLAGS)
tests_ipv4_test_fuzz_smoke_LDADD = $(NET_TEST_LIBS)

# Example: the suite on a TAP (ping, UDP echo); see doc/ipv4.md.
bin_PROGRAMS += examples/pingable
examples_pingable_SOURCES = examples/pingable.c $(EXAMPLE_UTIL_SOURCES)
examples_pingable_LDADD = libnetwork.la $(GLIB_LIBS) -lpthread

# TAP tests against the kernel in a private netns (SKIP without root/tun).
TESTS += tests/ipv4/tap_pingable.sh
dist_check_SCRIPTS += tests/ipv4/tap_pingable.sh tests/ipv4/udp_check.py
# pingable under the threaded scheduler, against the kernel.
TSAN_TESTS += tests/ipv4/tap_pingable.sh
man_MANS += doc/pingable.1
EXTRA_DIST += doc/pingable.1
TSAN_TESTS += tests/ipv4/test_inet_pair
