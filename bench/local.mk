# bench: files of this area (fragment included by the top Makefile.am)

# --- buffers (buffer helper): keep this block separate for easy merges ---
noinst_PROGRAMS += bench/bench_buffer
bench_bench_buffer_LDADD = libnetwork.la $(GLIB_LIBS)

# --- core: scheduler dispatch (built, never run by make check) ---
noinst_PROGRAMS += bench/bench_sched
bench_bench_sched_LDADD = libnetwork.la $(GLIB_LIBS)
EXTRA_DIST += bench/callgrind-task.sh

# --- performance: packets per second through the stack over the pair device,
# and its callgrind recipe (built, never run by make check) ---
noinst_PROGRAMS += bench/bench_pps
bench_bench_pps_LDADD = libnetwork.la $(GLIB_LIBS)
EXTRA_DIST += bench/callgrind-pps.sh
