/* What the command-line examples (tcpecho, pingable, netdump) share:
 * stopping on SIGINT/SIGTERM, printing a layer's counters, parsing an
 * interface address.  Not part of the library. */
#ifndef EXAMPLE_UTIL_H_
#define EXAMPLE_UTIL_H_

#include <net/scheduler.h>
#include <net/layer.h>
#include <net/layer/ipv4.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

/* SIGINT and SIGTERM are blocked in every thread and taken by one thread
   of ours, which stops the scheduler (safe from any thread). */
struct example_signals_s
{
  sigset_t set;
  struct net_scheduler_s *sched;
  pthread_t thread;
  bool started;
  atomic_bool stopping;    /* main is done: a signal only ends the thread */
  atomic_int caught;
};

/* Block SIGINT and SIGTERM; call before creating any thread (scheduler
   workers inherit the mask). */
void example_signals_block(struct example_signals_s *s);

/* Start the thread that turns SIGINT/SIGTERM into net_scheduler_quit(). */
int example_signals_start(struct example_signals_s *s, struct net_scheduler_s *sched);

/* End that thread; returns the signal that stopped the program, or 0. */
int example_signals_stop(struct example_signals_s *s);

/* Print the non-zero counters of @p layer to stderr as "  type.name value".
   Call when no handler of the layer runs (after the scheduler went idle). */
void example_print_stats(struct net_layer_s *layer);

/* Add "A.B.C.D/N" to @p cfg's interface addresses; 0, or -EINVAL with a
   message naming @p prog. */
int example_parse_addr(const char *prog, const char *text, struct net_ipv4_config_s *cfg);

#endif
