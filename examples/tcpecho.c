/* tcpecho: a TCP (and UDP) echo server on a TAP interface, built from
 * libnetwork layers.  It also answers ARP and ping, can mirror every
 * frame to a packet dumper, and prints its counters when SIGINT or
 * SIGTERM stops it.
 *
 *   tap ── ethernet ──┬── arp
 *                     ├── (dumper mirror)
 *                     └── ipv4 ──┬── icmp
 *                                ├── udp ── udp echo (port)
 *                                └── tcp ── listener (port) ··> session ── tcp echo
 */
#include <config.h>
#include <net/dev/tap.h>
#include <net/layer/dumper.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/layer/tcp_echo.h>
#include <net/scheduler.h>
#include "example_util.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("Usage: tcpecho -i TAPNAME --addr A.B.C.D/N [--gateway A.B.C.D]\n"
        "               [--port PORT] [--scheduler loop|threaded] [--workers N]\n"
        "               [--dump] [--pcap FILE] [--create] [--offload none|csum|tso]\n"
        "               [--window KIB] [--no-fastpath] [--no-direct]\n"
        "               [--busy-poll USEC]\n"
        "Echo TCP and UDP on a port of a TAP interface; answer ARP and ping.\n"
        "\n"
        "  -i, --interface=NAME   TAP interface to attach to (required)\n"
        "  -a, --addr=A.B.C.D/N   address of the stack (required)\n"
        "  -g, --gateway=A.B.C.D  default gateway\n"
        "  -p, --port=PORT        echo port (default 7)\n"
        "      --scheduler=KIND   loop (default) or threaded\n"
        "      --workers=N        threads of the threaded scheduler (default: CPUs)\n"
        "  -d, --dump             print every frame in and out (tcpdump style)\n"
        "  -w, --pcap=FILE        write every frame in and out to a pcap file\n"
        "      --create           create the TAP if it does not exist\n"
        "      --offload=WHAT     offloads asked of the TAP: none, csum (checksums)\n"
        "                         or tso (checksums and TCP segmentation, default)\n"
        "      --window=KIB       receive window and send buffer of each connection\n"
        "                         (default: the TCP layer's, 256 and 512 KiB)\n"
        "      --no-direct        loop scheduler: queue every task (by default a task's\n"
        "                         handler runs at once when its layer is idle: direct\n"
        "                         dispatch, run-to-completion)\n"
        "      --no-fastpath      every segment through ethernet, ipv4 and tcp (the\n"
        "                         fast path hands established connections' segments\n"
        "                         from the link to their session directly)\n"
        "      --busy-poll=USEC   loop scheduler: after work, poll the TAP without\n"
        "                         sleeping for USEC microseconds (default 50; 0 = off):\n"
        "                         no wake-up to wait for when the next frame comes\n"
        "                         soon, for a CPU kept busy meanwhile\n"
        "  -h, --help             show this help and exit\n"
        "\n"
        "SIGINT or SIGTERM stops it; the counters go to stderr.\n"
        "Exit status: 0 on success, 1 when the stack could not start, 2 on a\n"
        "usage error.\n", out);
}

struct options_s
{
  struct example_opts_s common;
  uint16_t port;
  unsigned workers;
  bool dump;
  const char *pcap;
  uint32_t offloads;
  uint32_t window;      /* receive window and send buffer, bytes (0: default) */
  bool no_fastpath;
  bool no_direct;       /* loop scheduler: no direct dispatch */
  unsigned busy_poll;   /* loop scheduler: busy polling, microseconds */
};

static int parse_options(int argc, char **argv, struct options_s *o)
{
  static const struct option longopts[] = {
    { "interface", required_argument, NULL, 'i' },
    { "addr", required_argument, NULL, 'a' },
    { "gateway", required_argument, NULL, 'g' },
    { "port", required_argument, NULL, 'p' },
    { "scheduler", required_argument, NULL, 's' },
    { "workers", required_argument, NULL, 'W' },
    { "dump", no_argument, NULL, 'd' },
    { "pcap", required_argument, NULL, 'w' },
    { "create", no_argument, NULL, 'C' },
    { "offload", required_argument, NULL, 'O' },
    { "window", required_argument, NULL, 'N' },
    { "no-fastpath", no_argument, NULL, 'F' },
    { "no-direct", no_argument, NULL, 'D' },
    { "busy-poll", required_argument, NULL, 'B' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  char *end;

  o->port = 7;
  o->busy_poll = 50;
  o->offloads = NET_TAP_OFFLOAD_CSUM | NET_TAP_OFFLOAD_TSO4;
  while ((c = getopt_long(argc, argv, "i:a:g:p:dw:h", longopts, NULL)) != -1)
    {
      int taken = example_option("tcpecho", c, optarg, &o->common);
      if (taken < 0)
        return 2;
      if (taken)
        continue;
      switch (c)
        {
        case 'p':
          {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v == 0 || v > 65535)
              {
                fprintf(stderr, "tcpecho: invalid port '%s'\n", optarg);
                return 2;
              }
            o->port = (uint16_t)v;
            break;
          }
        case 'W':
          {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v == 0 || v > 1024)
              {
                fprintf(stderr, "tcpecho: invalid worker count '%s'\n", optarg);
                return 2;
              }
            o->workers = (unsigned)v;
            break;
          }
        case 'd':
          o->dump = true;
          break;
        case 'w':
          o->pcap = optarg;
          break;
        case 'F':
          o->no_fastpath = true;
          break;
        case 'D':
          o->no_direct = true;
          break;
        case 'B':
          {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v > 1000000)
              {
                fprintf(stderr, "tcpecho: invalid busy-poll time '%s' (microseconds, "
                        "0 to 1000000)\n", optarg);
                return 2;
              }
            o->busy_poll = (unsigned)v;
            break;
          }
        case 'N':
          {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v < 4 || v > 1024 * 1024)
              {
                fprintf(stderr, "tcpecho: invalid window '%s' (KiB, 4 to 1048576)\n",
                        optarg);
                return 2;
              }
            o->window = (uint32_t)v * 1024;
            break;
          }
        case 'O':
          if (strcmp(optarg, "none") == 0)
            o->offloads = 0;
          else if (strcmp(optarg, "csum") == 0)
            o->offloads = NET_TAP_OFFLOAD_CSUM;
          else if (strcmp(optarg, "tso") == 0)
            o->offloads = NET_TAP_OFFLOAD_CSUM | NET_TAP_OFFLOAD_TSO4;
          else
            {
              fprintf(stderr, "tcpecho: unknown offload '%s' (none, csum or tso)\n",
                      optarg);
              return 2;
            }
          break;
        case 'h':
          usage(stdout);
          exit(EXIT_SUCCESS);
        default:
          usage(stderr);
          return 2;
        }
    }
  if (example_options_check("tcpecho", argc, argv, &o->common, true) < 0)
    {
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

  /* Room for the receive windows and send buffers of many connections;
     the pools only allocate what is used. */
  struct net_scheduler_options_s so = {
    .workers = o.workers,
    /* Run-to-completion: a segment goes through its layers as calls
       (fewer instructions per packet, see doc/performance.md). */
    .direct_depth = o.no_direct ? 0 : 8,
    .busy_poll = (net_time_t)o.busy_poll * NET_NSEC_PER_USEC,
    .large_buffers = 32768,
    .small_buffers = 16384,
    /* TSO: each connection holds up to a few dozen super-segments
       (receive window and send buffer), in medium and jumbo buffers. */
    .medium_buffers = 8192,
    .jumbo_buffers = 4096,
  };
  struct example_stack_s st;
  struct net_layer_s *dumper = NULL, *udp_echo = NULL;
  struct net_layer_s *tcp = NULL, *listener = NULL;
  struct net_tcp_echo_stats_s echo_stats = { 0 };
  int status = EXIT_FAILURE;
  struct net_tap_params_s tp = { .offloads = o.offloads };
  struct net_ethernet_params_s ep = { .no_fastpath = o.no_fastpath };
  if (example_stack_open(&st, "tcpecho", &o.common, &so, &tp, &ep) < 0)
    goto out;
  struct net_scheduler_s *sched = st.sched;
  if (o.dump || o.pcap)
    {
      setvbuf(stdout, NULL, _IOLBF, 0);
      struct net_dumper_params_s dp = {
        .out = o.dump ? stdout : NULL,
        .pcap_path = o.pcap,
        .link = NET_DUMP_LINK_ETHERNET,
        .pcap_flush = true,
      };
      uint16_t mirror = NET_ETHERNET_MIRROR;
      err = net_dumper_create(sched, &dp, NULL, NULL, &dumper);
      if (!err)
        err = net_layer_bind(st.eth, &mirror, dumper);
      if (err < 0)
        {
          fprintf(stderr, "tcpecho: cannot start the dumper%s%s: %s\n",
                  o.pcap ? " on " : "", o.pcap ? o.pcap : "", g_strerror(-err));
          goto out;
        }
    }
  struct net_udp_bind_s udp_port = { .local_port = o.port };
  err = net_udp_echo_create(sched, &udp_echo);
  if (!err)
    err = net_layer_bind(st.inet.udp, &udp_port, udp_echo);
  if (err < 0)
    {
      fprintf(stderr, "tcpecho: cannot start UDP echo: %s\n", g_strerror(-err));
      goto out;
    }
  uint8_t proto = NET_IPPROTO_TCP;
  struct net_tcp_config_s tcfg = { 0 };
  tcfg.session.rcv_buf = tcfg.session.snd_buf = o.window;
  err = net_tcp_create(sched, &tcfg, &tcp);
  if (!err)
    err = net_layer_bind(st.inet.ipv4, &proto, tcp);
  if (!err)
    err = net_tcp_echo_listen(tcp, o.port, &echo_stats, &listener);
  if (err < 0)
    {
      fprintf(stderr, "tcpecho: cannot start TCP echo: %s\n", g_strerror(-err));
      goto out;
    }

  if (example_signals_start(&sig, sched) < 0)
    {
      fprintf(stderr, "tcpecho: cannot start the signal thread\n");
      goto out;
    }
  char text[16];
  uint32_t granted = net_tap_offloads(st.tap);
  fprintf(stderr, "tcpecho: echo on %s port %u (TCP and UDP), %s, %s scheduler, "
          "offloads: %s\n", net_ipv4_format(o.common.ipv4.addrs[0].addr, text),
          o.port, net_tap_name(st.tap), o.common.threaded ? "threaded" : "loop",
          granted & NET_TAP_OFFLOAD_TSO4 ? "checksums and TSO"
          : granted & NET_TAP_OFFLOAD_CSUM ? "checksums" : "none");
  net_scheduler_run(sched);
  int caught = example_signals_stop(&sig);

  example_stack_quiesce(&st);
  if (dumper)
    fflush(stdout);
  fprintf(stderr, "tcpecho: stopped%s%s\n", caught ? " by " : "",
          caught ? strsignal(caught) : "");
  fprintf(stderr, "  echo.tcp_connections %llu\n  echo.tcp_bytes %llu\n",
          (unsigned long long)atomic_load(&echo_stats.connections),
          (unsigned long long)atomic_load(&echo_stats.bytes));
  example_print_stats(tcp);
  example_print_stats(udp_echo);
  example_print_stats(st.eth);
  example_print_stats(st.inet.arp);
  example_print_stats(st.inet.ipv4);
  example_print_stats(st.inet.icmp);
  example_print_stats(st.inet.udp);
  example_print_pool_stats(sched);
  status = EXIT_SUCCESS;

out:
  if (listener)
    {
      net_layer_unbind(tcp, listener);
      net_layer_refdec(listener);
    }
  if (tcp)
    net_layer_refdec(tcp);
  if (udp_echo)
    net_layer_refdec(udp_echo);
  if (dumper)
    net_layer_refdec(dumper);
  example_stack_close(&st);
  return status;
}
