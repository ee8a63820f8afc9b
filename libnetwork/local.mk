# libnetwork/: the core (no protocol knowledge) and the scheduler backends.
libnetwork_la_SOURCES += \
	libnetwork/addr.c \
	libnetwork/checksum.c

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
