# layers/ipv4.mk: the IPv4 suite (ARP, IPv4, ICMP, UDP, inet convenience).
# The sources join libnetwork_la_SOURCES once the core they run on landed.
netlayerinclude_HEADERS += \
	layers/include/net/layer/arp.h \
	layers/include/net/layer/icmp.h \
	layers/include/net/layer/inet.h \
	layers/include/net/layer/ipv4.h \
	layers/include/net/layer/udp.h
