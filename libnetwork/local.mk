# libnetwork/: the core (no protocol knowledge) and the scheduler backends.
libnetwork_la_SOURCES += \
	libnetwork/addr.c \
	libnetwork/checksum.c \
	libnetwork/layer.c \
	libnetwork/task.c \
	libnetwork/scheduler.c \
	libnetwork/scheduler_private.h \
	libnetwork/fd_watch.c \
	libnetwork/fd_watch.h \
	schedulers/loop.c \
	schedulers/threaded.c

netinclude_HEADERS += \
	libnetwork/include/net/types.h \
	libnetwork/include/net/addr.h \
	libnetwork/include/net/buffer.h \
	libnetwork/include/net/checksum.h \
	libnetwork/include/net/device.h \
	libnetwork/include/net/layer.h \
	libnetwork/include/net/scheduler.h \
	libnetwork/include/net/task.h

# --- buffers (buffer helper): keep this block separate for easy merges ---
libnetwork_la_SOURCES += libnetwork/buffer.c

check_PROGRAMS += tests/core/test_buffer
TESTS += tests/core/test_buffer
tests_core_test_buffer_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_test_buffer_LDADD = $(NET_TEST_LIBS)
TSAN_TESTS += tests/core/test_buffer

check_PROGRAMS += tests/core/test_addr tests/core/test_checksum
TESTS += tests/core/test_addr tests/core/test_checksum
tests_core_test_addr_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_test_addr_LDADD = $(NET_TEST_LIBS)
tests_core_test_checksum_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_test_checksum_LDADD = $(NET_TEST_LIBS)

# --- core: layers, tasks, schedulers ---
CORE_TEST_SUPPORT = tests/core/tlayer.c tests/core/tlayer.h
check_PROGRAMS += tests/core/test_layer tests/core/test_sched
TESTS += tests/core/test_layer tests/core/test_sched
tests_core_test_layer_SOURCES = tests/core/test_layer.c $(CORE_TEST_SUPPORT)
tests_core_test_layer_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_test_layer_LDADD = $(NET_TEST_LIBS)
tests_core_test_sched_SOURCES = tests/core/test_sched.c $(CORE_TEST_SUPPORT)
tests_core_test_sched_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_test_sched_LDADD = $(NET_TEST_LIBS)
check_PROGRAMS += tests/core/test_stress
TESTS += tests/core/test_stress
tests_core_test_stress_SOURCES = tests/core/test_stress.c $(CORE_TEST_SUPPORT)
tests_core_test_stress_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_test_stress_LDADD = $(NET_TEST_LIBS)
check_PROGRAMS += tests/core/test_fdstress
TESTS += tests/core/test_fdstress
tests_core_test_fdstress_SOURCES = tests/core/test_fdstress.c $(CORE_TEST_SUPPORT)
tests_core_test_fdstress_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_test_fdstress_LDADD = $(NET_TEST_LIBS)
TSAN_TESTS += tests/core/test_layer tests/core/test_sched tests/core/test_stress \
	tests/core/test_fdstress

EXTRA_DIST += doc/buffers.md

EXTRA_DIST += doc/architecture.md
