# bench: files of this area (fragment included by the top Makefile.am)

# --- buffers (buffer helper): keep this block separate for easy merges ---
noinst_PROGRAMS += bench/bench_buffer
bench_bench_buffer_LDADD = libnetwork.la $(GLIB_LIBS)
