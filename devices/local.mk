# devices: files of this area (fragment included by the top Makefile.am)
netlayerinclude_HEADERS += \
	layers/include/net/layer/ethernet.h
