/* netdump: print (and record) the frames on a TAP interface, tcpdump-style.
 *
 * The stack is a TAP device, the Ethernet layer it creates, and a dumper
 * bound to that layer as a mirror: the dumper sees every frame in and out
 * by reference.  See netdump(1). */
#include <config.h>
#include <net/dev/tap.h>
#include <net/layer/dumper.h>
#include <net/layer/ethernet.h>
#include <net/scheduler.h>
#include <getopt.h>
#include "example_util.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("Usage: netdump -i TAPNAME [-w FILE] [-x] [-e] [-q] [-c COUNT]\n"
        "               [--scheduler loop|threaded] [--create]\n"
        "Print the frames of a TAP interface, one line per frame (tcpdump -n style).\n"
        "\n"
        "  -i, --interface=NAME   TAP interface to attach to (required)\n"
        "  -w, --write=FILE       also write the frames to a pcap file\n"
        "  -x, --hex              hex dump of every frame\n"
        "  -e, --link             print MAC addresses and ethertype\n"
        "  -q, --quiet            print no frames (with -w: only record)\n"
        "  -c, --count=COUNT      exit after COUNT frames\n"
        "      --scheduler=KIND   loop (default) or threaded\n"
        "      --create           create the TAP if it does not exist\n"
        "  -h, --help             show this help and exit\n"
        "\n"
        "SIGINT or SIGTERM stops the capture; the counts go to stderr.\n"
        "Exit status: 0 on success, 1 when the capture could not start,\n"
        "2 on a usage error.\n", out);
}

struct options_s
{
  struct example_opts_s common;   /* no address: no IPv4 suite */
  const char *pcap;
  unsigned flags;
  bool quiet;
  uint64_t count;
};

static int parse_options(int argc, char **argv, struct options_s *o)
{
  static const struct option longopts[] = {
    { "interface", required_argument, NULL, 'i' },
    { "write", required_argument, NULL, 'w' },
    { "hex", no_argument, NULL, 'x' },
    { "link", no_argument, NULL, 'e' },
    { "quiet", no_argument, NULL, 'q' },
    { "count", required_argument, NULL, 'c' },
    { "scheduler", required_argument, NULL, 's' },
    { "create", no_argument, NULL, 'C' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "i:w:xeqc:h", longopts, NULL)) != -1)
    {
      int taken = example_option("netdump", c, optarg, &o->common);
      if (taken < 0)
        return 2;
      if (taken)
        continue;
      switch (c)
        {
        case 'w':
          o->pcap = optarg;
          break;
        case 'x':
          o->flags |= NET_DUMP_HEX;
          break;
        case 'e':
          o->flags |= NET_DUMP_LINK_HEADER;
          break;
        case 'q':
          o->quiet = true;
          break;
        case 'c':
          {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (errno || *end || !*optarg || n == 0 || optarg[0] == '-')
              {
                fprintf(stderr, "netdump: invalid count '%s'\n", optarg);
                return 2;
              }
            o->count = n;
            break;
          }
        case 'h':
          usage(stdout);
          exit(EXIT_SUCCESS);
        default:
          usage(stderr);
          return 2;
        }
    }
  if (example_options_check("netdump", argc, argv, &o->common, false) < 0)
    {
      usage(stderr);
      return 2;
    }
  return 0;
}

static void dumper_done(void *delegate, struct net_layer_s *dumper)
{
  net_scheduler_quit(delegate);
}

static const struct net_dumper_delegate_vtable_s dumper_delegate = {
  .done = dumper_done,
};

static uint64_t stat_of(struct net_layer_s *layer, const char *name)
{
  struct net_stat_s stats[64];
  size_t n = net_layer_stats(layer, stats, G_N_ELEMENTS(stats));
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(stats); i++)
    if (strcmp(stats[i].name, name) == 0)
      return stats[i].value;
  return 0;
}

int main(int argc, char **argv)
{
  struct options_s o = { 0 };
  int err = parse_options(argc, argv, &o);
  if (err)
    return err;

  struct example_signals_s sig = { 0 };
  example_signals_block(&sig);

  struct example_stack_s st;
  struct net_layer_s *dumper = NULL;
  int status = EXIT_FAILURE;
  if (example_stack_open(&st, "netdump", &o.common, NULL, NULL, NULL) < 0)
    goto out;
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct net_dumper_params_s dp = {
    .out = o.quiet ? NULL : stdout,
    .pcap_path = o.pcap,
    .link = NET_DUMP_LINK_ETHERNET,
    .flags = o.flags,
    .pcap_flush = true,
    .max_packets = o.count,
  };
  err = net_dumper_create(st.sched, &dp, st.sched, &dumper_delegate, &dumper);
  if (err < 0)
    {
      fprintf(stderr, "netdump: cannot write %s: %s\n", o.pcap ? o.pcap : "",
              g_strerror(-err));
      goto out;
    }
  uint16_t mirror = NET_ETHERNET_MIRROR;
  err = net_layer_bind(st.eth, &mirror, dumper);
  if (err < 0)
    {
      fprintf(stderr, "netdump: cannot attach the dumper: %s\n", g_strerror(-err));
      goto out;
    }

  if (example_signals_start(&sig, st.sched) < 0)
    {
      fprintf(stderr, "netdump: cannot start the signal thread\n");
      goto out;
    }
  fprintf(stderr, "netdump: listening on %s, link-type EN10MB (Ethernet), "
          "%s scheduler\n", net_tap_name(st.tap),
          o.common.threaded ? "threaded" : "loop");
  net_scheduler_run(st.sched);
  int caught = example_signals_stop(&sig);

  example_stack_quiesce(&st);
  fflush(stdout);
  fprintf(stderr, "\n%llu packets captured\n"
          "%llu packets received by the interface\n"
          "%llu packets dropped (no buffer or mirror backlog)\n",
          (unsigned long long)net_dumper_count(dumper),
          (unsigned long long)stat_of(st.eth, "rx_frames"),
          (unsigned long long)(stat_of(st.eth, "tap_rx_no_buffer")
                               + stat_of(st.eth, "mirror_dropped")));
  if (caught)
    fprintf(stderr, "netdump: stopped by %s\n", strsignal(caught));
  status = EXIT_SUCCESS;

out:
  if (dumper)
    net_layer_refdec(dumper);
  /* Destroying the scheduler runs the layers' destroyed handlers (the TAP
     stops watching its fd, the dumper completes its pcap). */
  example_stack_close(&st);
  return status;
}
