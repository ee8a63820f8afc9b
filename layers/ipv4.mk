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
