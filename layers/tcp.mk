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
	layers/tcp_session.c \
	layers/tcp_timer.c \
	layers/tcp_wire.c

netlayerinclude_HEADERS += \
	layers/include/net/layer/tcp.h \
	layers/include/net/layer/tcp_echo.h
