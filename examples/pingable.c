/* pingable: the IPv4 suite on a TAP interface.  It answers ARP, ping (any
 * size up to 64 KiB, fragmented both ways) and UDP echo on port 7, and
 * prints the counters of every layer when SIGINT or SIGTERM stops it.
 *
 *   tap ── ethernet ──┬── arp
 *                     └── ipv4 ──┬── icmp
 *                                └── udp ── udp echo (port 7)
 */
#include <config.h>
#include <net/dev/tap.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/scheduler.h>
#include <getopt.h>
#include "example_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("Usage: pingable -i TAPNAME -a ADDR/PREFIX [-a ADDR/PREFIX...]\n"
        "                [-g GATEWAY] [--scheduler loop|threaded] [--create]\n"
        "Answer ARP, ping and UDP echo (port 7) on a TAP interface.\n"
        "\n"
        "  -i, --interface=NAME   TAP interface to attach to (required)\n"
        "  -a, --addr=A.B.C.D/N   an address of the stack (required, up to 8)\n"
        "  -g, --gateway=A.B.C.D  default gateway\n"
        "      --scheduler=KIND   loop (default) or threaded\n"
        "      --create           create the TAP if it does not exist\n"
        "  -h, --help             show this help and exit\n"
        "\n"
        "SIGINT or SIGTERM stops it; the counters of every layer go to stderr.\n"
        "Exit status: 0 on success, 1 when the stack could not start, 2 on a\n"
        "usage error.\n", out);
}

static int parse_options(int argc, char **argv, struct example_opts_s *o)
{
  static const struct option longopts[] = {
    { "interface", required_argument, NULL, 'i' },
    { "addr", required_argument, NULL, 'a' },
    { "gateway", required_argument, NULL, 'g' },
    { "scheduler", required_argument, NULL, 's' },
    { "create", no_argument, NULL, 'C' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "i:a:g:h", longopts, NULL)) != -1)
    {
      int taken = example_option("pingable", c, optarg, o);
      if (taken < 0)
        return 2;
      if (taken)
        continue;
      if (c == 'h')
        {
          usage(stdout);
          exit(EXIT_SUCCESS);
        }
      usage(stderr);
      return 2;
    }
  if (example_options_check("pingable", argc, argv, o, true) < 0)
    {
      usage(stderr);
      return 2;
    }
  return 0;
}

int main(int argc, char **argv)
{
  struct example_opts_s o = { 0 };
  int err = parse_options(argc, argv, &o);
  if (err)
    return err;

  struct example_signals_s sig = { 0 };
  example_signals_block(&sig);

  struct example_stack_s st;
  struct net_layer_s *echo = NULL;
  int status = EXIT_FAILURE;
  if (example_stack_open(&st, "pingable", &o, NULL, NULL, NULL) < 0)
    goto out;
  struct net_udp_bind_s port7 = { .local_port = 7 };
  err = net_udp_echo_create(st.sched, &echo);
  if (!err)
    err = net_layer_bind(st.inet.udp, &port7, echo);
  if (err < 0)
    {
      fprintf(stderr, "pingable: cannot start UDP echo: %s\n", g_strerror(-err));
      goto out;
    }

  if (example_signals_start(&sig, st.sched) < 0)
    {
      fprintf(stderr, "pingable: cannot start the signal thread\n");
      goto out;
    }
  char text[16];
  fprintf(stderr, "pingable: %s on %s, %s scheduler\n",
          net_ipv4_format(o.ipv4.addrs[0].addr, text), net_tap_name(st.tap),
          o.threaded ? "threaded" : "loop");
  net_scheduler_run(st.sched);
  int caught = example_signals_stop(&sig);

  example_stack_quiesce(&st);
  fprintf(stderr, "pingable: stopped%s%s\n", caught ? " by " : "",
          caught ? strsignal(caught) : "");
  example_print_stats(st.eth);
  example_print_stats(st.inet.arp);
  example_print_stats(st.inet.ipv4);
  example_print_stats(st.inet.icmp);
  example_print_stats(st.inet.udp);
  status = EXIT_SUCCESS;

out:
  if (echo)
    net_layer_refdec(echo);
  example_stack_close(&st);
  return status;
}
