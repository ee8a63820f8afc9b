# tests: files of this area (fragment included by the top Makefile.am)
EXTRA_DIST += tests/lib/netns.sh
