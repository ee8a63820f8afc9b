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

struct options_s
{
  const char *interface;
  struct net_ipv4_config_s ipv4;
  bool threaded;
  bool create;
};

static int parse_options(int argc, char **argv, struct options_s *o)
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
    switch (c)
      {
      case 'i':
        o->interface = optarg;
        break;
      case 'a':
        if (example_parse_addr("pingable", optarg, &o->ipv4) < 0)
          return 2;
        break;
      case 'g':
        if (net_ipv4_parse(optarg, &o->ipv4.gateway, NULL) < 0)
          {
            fprintf(stderr, "pingable: invalid gateway '%s'\n", optarg);
            return 2;
          }
        break;
      case 's':
        if (strcmp(optarg, "loop") == 0)
          o->threaded = false;
        else if (strcmp(optarg, "threaded") == 0)
          o->threaded = true;
        else
          {
            fprintf(stderr, "pingable: unknown scheduler '%s' (loop or threaded)\n",
                    optarg);
            return 2;
          }
        break;
      case 'C':
        o->create = true;
        break;
      case 'h':
        usage(stdout);
        exit(EXIT_SUCCESS);
      default:
        usage(stderr);
        return 2;
      }
  if (optind < argc)
    {
      fprintf(stderr, "pingable: unexpected argument '%s'\n", argv[optind]);
      return 2;
    }
  if (!o->interface || !o->ipv4.addr_count)
    {
      fprintf(stderr, "pingable: an interface (-i) and an address (-a) are needed\n");
      usage(stderr);
      return 2;
    }
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

  struct net_scheduler_s *sched = o.threaded ? net_scheduler_threaded_create(NULL)
                         : net_scheduler_loop_create(NULL, NULL);
  if (!sched)
    {
      fprintf(stderr, "pingable: cannot create the scheduler\n");
      return EXIT_FAILURE;
    }

  struct net_tap_params_s tp = {
    .name = o.interface,
    .flags = o.create ? 0 : NET_TAP_NO_CREATE,
  };
  struct net_device_s *tap = NULL;
  struct net_layer_s *eth = NULL, *echo = NULL;
  struct net_inet_s inet = { 0 };
  int status = EXIT_FAILURE;
  err = net_tap_open(sched, &tp, &tap);
  if (err < 0)
    {
      fprintf(stderr, "pingable: cannot open TAP %s: %s\n", o.interface,
              net_tap_strerror(err));
      goto out;
    }
  err = net_device_layer_create(tap, NET_LAYER_ETHERNET, NULL, NULL, NULL, &eth);
  if (err < 0)
    {
      fprintf(stderr, "pingable: %s: %s\n", o.interface, g_strerror(-err));
      goto out;
    }
  struct net_inet_config_s cfg = { .ipv4 = o.ipv4 };
  err = net_inet_create(eth, &cfg, &inet);
  if (err < 0)
    {
      fprintf(stderr, "pingable: cannot build the IPv4 suite: %s\n", g_strerror(-err));
      goto out;
    }
  struct net_udp_bind_s port7 = { .local_port = 7 };
  err = net_udp_echo_create(sched, &echo);
  if (!err)
    err = net_layer_bind(inet.udp, &port7, echo);
  if (err < 0)
    {
      fprintf(stderr, "pingable: cannot start UDP echo: %s\n", g_strerror(-err));
      goto out;
    }

  if (example_signals_start(&sig, sched) < 0)
    {
      fprintf(stderr, "pingable: cannot start the signal thread\n");
      goto out;
    }
  char text[16];
  fprintf(stderr, "pingable: %s on %s, %s scheduler\n",
          net_ipv4_format(o.ipv4.addrs[0].addr, text), net_tap_name(tap),
          o.threaded ? "threaded" : "loop");
  net_scheduler_run(sched);
  int caught = example_signals_stop(&sig);

  /* Counters are read in no handler: cut the suite off the link and let
     every worker go idle first (the threaded workers run on after quit). */
  net_layer_unbind(eth, inet.arp);
  net_layer_unbind(eth, inet.ipv4);
  net_scheduler_run_until_idle(sched);
  fprintf(stderr, "pingable: stopped%s%s\n", caught ? " by " : "",
          caught ? strsignal(caught) : "");
  example_print_stats(eth);
  example_print_stats(inet.arp);
  example_print_stats(inet.ipv4);
  example_print_stats(inet.icmp);
  example_print_stats(inet.udp);
  status = EXIT_SUCCESS;

out:
  if (echo)
    net_layer_refdec(echo);
  net_inet_release(&inet);
  if (eth)
    {
      net_layer_unbind_all(eth);
      net_layer_refdec(eth);
    }
  if (tap)
    net_device_refdec(tap);
  /* Destroying the scheduler runs the layers' destruction. */
  net_scheduler_destroy(sched);
  return status;
}
