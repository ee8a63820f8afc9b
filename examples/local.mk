# examples/: small programs that compose stacks, each built and run by
# make check (tests/examples/), and the tutorial's layer (impair).

# hello: the smallest composition (README's example is taken from it).
noinst_PROGRAMS += examples/hello
examples_hello_SOURCES = examples/hello.c
examples_hello_LDADD = libnetwork.la $(GLIB_LIBS)

# impair: the layer written in doc/writing-a-layer.md, linked into the
# examples and tests that use it.
IMPAIR_SOURCES = examples/impair.c examples/impair.h

TESTS += tests/examples/hello.sh
dist_check_SCRIPTS += tests/examples/hello.sh

check_PROGRAMS += tests/examples/test_impair
TESTS += tests/examples/test_impair
tests_examples_test_impair_SOURCES = tests/examples/test_impair.c $(IMPAIR_SOURCES)
tests_examples_test_impair_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/examples
tests_examples_test_impair_CFLAGS = $(NET_TEST_CFLAGS)
tests_examples_test_impair_LDADD = $(NET_TEST_LIBS)
TSAN_TESTS += tests/examples/test_impair

# The documentation quotes real code: see tests/examples/snippets.sh.
TESTS += tests/examples/snippets.sh
dist_check_SCRIPTS += tests/examples/snippets.sh

# The API reference stays complete (skips without doxygen).
TESTS += tests/examples/doc-check.sh
dist_check_SCRIPTS += tests/examples/doc-check.sh
AM_TESTS_ENVIRONMENT += DOXYGEN='$(DOXYGEN)'; export DOXYGEN;

# Out-of-tree build against the installed headers and library through
# pkg-config; make distcheck runs installcheck, so it proves the install.
EXTRA_DIST += tests/examples/installcheck.sh
installcheck-local: installcheck-examples
installcheck-examples:
	$(AM_V_GEN)CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' DESTDIR='$(DESTDIR)' \
	  libdir='$(libdir)' includedir='$(includedir)' srcdir='$(srcdir)' \
	  EXTRA_CFLAGS='$(AX_STD_CFLAGS) $(WARN_CFLAGS) $(SAN_CFLAGS)' \
	  EXTRA_LDFLAGS='$(SAN_LDFLAGS)' \
	  $(SHELL) $(srcdir)/tests/examples/installcheck.sh
.PHONY: installcheck-examples

# lossy_link: two IPv4 hosts on the pair device, the impair layer between
# Ethernet and IPv4 on one of them, UDP probes, a stats QUERY.
noinst_PROGRAMS += examples/lossy_link
examples_lossy_link_SOURCES = examples/lossy_link.c $(IMPAIR_SOURCES)
examples_lossy_link_LDADD = libnetwork.la $(GLIB_LIBS)
TESTS += tests/examples/lossy_link.sh
dist_check_SCRIPTS += tests/examples/lossy_link.sh

# The echo client: an application layer for TCP sessions, used over the
# pair device (tcp_pair) and over a real TAP (tcpclient).
ECHO_CLIENT_SOURCES = examples/echo_client.c examples/echo_client.h

# tcp_pair: TCP between two complete stacks on the pair device, the
# dumper mirroring one Ethernet layer.
noinst_PROGRAMS += examples/tcp_pair
examples_tcp_pair_SOURCES = examples/tcp_pair.c $(ECHO_CLIENT_SOURCES)
examples_tcp_pair_LDADD = libnetwork.la $(GLIB_LIBS)
TESTS += tests/examples/tcp_pair.sh
dist_check_SCRIPTS += tests/examples/tcp_pair.sh

# tcpclient: the same echo client on a real TAP, the Linux kernel as the
# server (the test runs in a private network namespace, SKIP without root).
noinst_PROGRAMS += examples/tcpclient
examples_tcpclient_SOURCES = examples/tcpclient.c $(ECHO_CLIENT_SOURCES) \
  $(EXAMPLE_UTIL_SOURCES)
examples_tcpclient_LDADD = libnetwork.la $(GLIB_LIBS)
TESTS += tests/examples/tap_tcpclient.sh
dist_check_SCRIPTS += tests/examples/tap_tcpclient.sh

# What the command-line examples on a TAP (tcpecho, pingable, netdump,
# tcpclient) share.
EXAMPLE_UTIL_SOURCES = examples/example_util.c examples/example_util.h
