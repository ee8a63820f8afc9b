/* What the command-line examples on a TAP (tcpecho, pingable, netdump,
 * tcpclient) share: their common options, building and tearing down the
 * TAP -> Ethernet -> IPv4 suite stack, stopping on SIGINT/SIGTERM,
 * printing a layer's counters.  Not part of the library. */
#ifndef EXAMPLE_UTIL_H_
#define EXAMPLE_UTIL_H_

#include <net/dev/tap.h>
#include <net/layer.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/layer/ipv4.h>
#include <net/scheduler.h>
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
/* Print the use of the scheduler's packet pools (those used at all):
   the high-water mark tells how to size them. */
void example_print_pool_stats(struct net_scheduler_s *sched);

/* The options every TAP example takes: -i/--interface, -a/--addr (up to
   NET_IPV4_MAX_ADDRS), -g/--gateway, --scheduler=loop|threaded
   (getopt value 's'), --create ('C').  A program lists the ones it
   accepts in its own getopt tables and hands them to example_option(). */
struct example_opts_s
{
  const char *interface;
  struct net_ipv4_config_s ipv4;
  bool threaded;
  bool create;
};

/* Take getopt's option @p c with argument @p arg if it is one of those:
   1 when taken, 0 when it is not a common option, -1 on a bad value (the
   message, naming @p prog, is printed). */
int example_option(const char *prog, int c, const char *arg, struct example_opts_s *o);

/* After getopt: no argument left over, an interface given and, when
   @p need_addr, an address.  0, or -1 with the message printed. */
int example_options_check(const char *prog, int argc, char **argv,
                          const struct example_opts_s *o, bool need_addr);

/* The stack on a TAP: a scheduler, the TAP device, its Ethernet layer,
   and the IPv4 suite (ARP, IPv4, ICMP, UDP) when addresses were given. */
struct example_stack_s
{
  struct net_scheduler_s *sched;
  struct net_device_s *tap;
  struct net_layer_s *eth;
  struct net_inet_s inet;      /* all NULL without addresses */
};

/* Build that stack from @p o: the scheduler @p o asks for with options
   @p so (NULL: defaults), the TAP with @p tp (NULL: none; its name and
   creation flag come from @p o), the Ethernet layer with @p ep (NULL:
   defaults).  0, or a negative errno with the reason printed (naming
   @p prog); either way example_stack_close() releases what was built. */
int example_stack_open(struct example_stack_s *st, const char *prog,
                       const struct example_opts_s *o,
                       const struct net_scheduler_options_s *so,
                       const struct net_tap_params_s *tp,
                       const struct net_ethernet_params_s *ep);

/* After net_scheduler_run() returned: cut every layer off the link and
   wait until no handler runs (the threaded workers go on after a quit),
   so that counters can be read. */
void example_stack_quiesce(struct example_stack_s *st);

/* Release the stack's layers, the TAP and the scheduler; destroying the
   scheduler runs the layers' destruction.  Safe on a partly built one. */
void example_stack_close(struct example_stack_s *st);

#endif
