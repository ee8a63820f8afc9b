# devices: devices (TAP, pair), the Ethernet layer they create, the dumper
# layer and netdump (fragment included by the top Makefile.am).
libnetwork_la_SOURCES += \
	libnetwork/device.c \
	layers/ethernet.c \
	layers/dump_decode.c \
	layers/pcap.c \
	layers/dumper.c \
	devices/prng.h \
	devices/pair.c \
	devices/tap.c

netlayerinclude_HEADERS += \
	layers/include/net/layer/ethernet.h \
	layers/include/net/layer/dumper.h

netdevinclude_HEADERS += \
	devices/include/net/dev/pair.h \
	devices/include/net/dev/tap.h

bin_PROGRAMS += examples/netdump
examples_netdump_SOURCES = examples/netdump.c $(EXAMPLE_UTIL_SOURCES)
examples_netdump_LDADD = libnetwork.la $(GLIB_LIBS) -lpthread
man_MANS += doc/netdump.1
EXTRA_DIST += doc/netdump.1 doc/devices.md

# Tests: pure decoders, the Ethernet layer over a fake driver, the pair
# device, the dumper layer, the TAP device (skips without root).
DEVICES_TESTS = \
	tests/devices/test_dump_decode \
	tests/devices/test_ethernet \
	tests/devices/test_pair \
	tests/devices/test_dumper \
	tests/devices/test_tap
check_PROGRAMS += $(DEVICES_TESTS) tests/devices/dumpgen
TESTS += $(DEVICES_TESTS) tests/devices/pcap-tshark.sh tests/devices/tap-netdump.sh
dist_check_SCRIPTS += tests/devices/pcap-tshark.sh tests/devices/tap-netdump.sh
EXTRA_DIST += \
	tests/devices/frames.h \
	tests/devices/recorder.h
tests_devices_test_dump_decode_CFLAGS = $(NET_TEST_CFLAGS)
tests_devices_test_dump_decode_LDADD = $(NET_TEST_LIBS)
tests_devices_test_ethernet_CFLAGS = $(NET_TEST_CFLAGS)
tests_devices_test_ethernet_LDADD = $(NET_TEST_LIBS)
tests_devices_test_pair_CFLAGS = $(NET_TEST_CFLAGS)
tests_devices_test_pair_LDADD = $(NET_TEST_LIBS)
tests_devices_test_dumper_CFLAGS = $(NET_TEST_CFLAGS)
tests_devices_test_dumper_LDADD = $(NET_TEST_LIBS)
tests_devices_test_tap_CFLAGS = $(NET_TEST_CFLAGS)
tests_devices_test_tap_LDADD = $(NET_TEST_LIBS)
tests_devices_dumpgen_CFLAGS = $(NET_TEST_CFLAGS)
tests_devices_dumpgen_LDADD = $(NET_TEST_LIBS)
CLEANFILES += test_dump_decode-*.pcap test_dumper-*.pcap
