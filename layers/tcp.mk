# layers: files of this area (fragment included by the top Makefile.am)
