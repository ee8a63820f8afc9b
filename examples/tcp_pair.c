/* tcp_pair: TCP between two complete stacks in one process, over the pair
 * device, with the dumper mirroring host A's Ethernet layer.  A virtual
 * clock makes the run deterministic (seeded wire, seeded TCP) and fast.
 *
 *   host A (192.0.2.1)                            host B (192.0.2.2)
 *   pair end A ── ethernet ──┬── (dumper mirror)   pair end B ── ethernet ──┬── arp
 *                            ├── arp                                        └── ipv4 ── ...
 *                            └── ipv4 ──┬── icmp, udp                             └── tcp ── listener (7)
 *                                       └── tcp ── session ── echo client              ··> session ── tcp echo
 *
 * The echo client (examples/echo_client.c) sends a pattern, checks that
 * every byte comes back in order, and half-closes; the echo server
 * closes in turn.  Exit status 0 when the whole pattern came back intact
 * and the connection closed in order.
 *
 * usage: tcp_pair [--bytes N] [--loss P] [--delay MS] [--seed S] [--dump]
 */
#include <config.h>
#include "echo_client.h"
#include <net/dev/pair.h>
#include <net/layer/dumper.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/layer/tcp_echo.h>
#include <net/scheduler.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_A 0xc0000201u   /* 192.0.2.1, TEST-NET-1 */
#define HOST_B 0xc0000202u   /* 192.0.2.2 */
#define ECHO_PORT 7

/* One host: Ethernet on a pair end, the IPv4 suite, TCP. */
struct host_s
{
  struct net_layer_s *eth, *tcp;
  struct net_inet_s inet;
};

static int host_build(struct net_device_s *end, uint8_t id, uint32_t addr,
                      uint64_t seed, struct host_s *h)
{
  static const uint8_t proto_tcp = NET_IPPROTO_TCP;
  struct net_ethernet_params_s link = { .mac = { 2, 0, 0, 0, 0, id } };
  struct net_inet_config_s cfg = {
    .ipv4 = { .addrs = { { addr, 24 } }, .addr_count = 1 },
  };
  /* A seeded TCP picks the same ISNs and ports on every run. */
  struct net_tcp_config_s tcp = { .seed = seed + id };
  int err = net_device_layer_create(end, NET_LAYER_ETHERNET, &link, NULL, NULL,
                                    &h->eth);
  if (!err)
    err = net_inet_create(h->eth, &cfg, &h->inet);
  if (!err)
    err = net_tcp_create(h->eth->scheduler, &tcp, &h->tcp);
  if (!err)
    err = net_layer_bind(h->inet.ipv4, &proto_tcp, h->tcp);
  return err;
}

static void host_release(struct host_s *h)
{
  if (h->tcp)
    net_layer_refdec(h->tcp);
  net_inet_release(&h->inet);
  if (h->eth)
    {
      /* Unbinding the root's children takes the tree apart: each layer
         goes once its last reference does. */
      net_layer_unbind_all(h->eth);
      net_layer_refdec(h->eth);
    }
}

/* One counter of a layer, by name (0 when it has none of that name).
   Called once the scheduler stopped, so reading the layer is safe. */
static uint64_t stat_of(const struct net_layer_s *layer, const char *name)
{
  struct net_stat_s st[64];
  size_t n = net_layer_stats(layer, st, G_N_ELEMENTS(st));
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(st); i++)
    if (strcmp(st[i].name, name) == 0)
      return st[i].value;
  return 0;
}

static int parse(int argc, char **argv, uint64_t *bytes,
                 struct net_pair_params_s *wire, bool *dump)
{
  static const struct option opts[] = {
    { "bytes", required_argument, NULL, 'b' },
    { "loss", required_argument, NULL, 'l' },
    { "delay", required_argument, NULL, 'd' },
    { "seed", required_argument, NULL, 's' },
    { "dump", no_argument, NULL, 'D' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "b:l:d:s:D", opts, NULL)) != -1)
    {
      char *end = NULL;
      errno = 0;
      switch (c)
        {
        case 'b':
          *bytes = strtoull(optarg, &end, 10);
          break;
        case 'l':
          wire->loss = strtod(optarg, &end);
          break;
        case 'd':
          wire->delay = (net_time_t)(strtod(optarg, &end) * 1e6);
          break;
        case 's':
          wire->seed = strtoull(optarg, &end, 0);
          break;
        case 'D':
          *dump = true;
          continue;
        default:
          return -1;
        }
      if (errno || *end)
        {
          fprintf(stderr, "tcp_pair: bad value '%s'\n", optarg);
          return -1;
        }
    }
  return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
  uint64_t bytes = 100000;
  bool dump = false;
  struct net_pair_params_s wire = { .seed = 1, .delay = 5 * NET_NSEC_PER_MSEC };
  if (parse(argc, argv, &bytes, &wire, &dump) < 0)
    {
      fprintf(stderr, "usage: tcp_pair [--bytes N] [--loss P] [--delay MS] "
                      "[--seed S] [--dump]\n");
      return 2;
    }
  /* The same impairments both ways, each direction with its own seed. */
  struct net_pair_params_s back = wire;
  back.seed = wire.seed + 1000;

  struct net_scheduler_options_s options = { .clock = NET_CLOCK_VIRTUAL };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &options);
  struct net_device_s *end_a = NULL, *end_b = NULL;
  struct host_s a = { 0 }, b = { 0 };
  struct net_layer_s *dumper = NULL, *listener = NULL, *client = NULL;
  struct net_layer_s *session = NULL;
  struct echo_client_outcome_s outcome = { 0 };
  int status = EXIT_FAILURE;

  int err = sched ? net_pair_create(sched, &wire, &back, &end_a, &end_b) : -ENOMEM;
  if (!err)
    err = host_build(end_a, 1, HOST_A, wire.seed, &a);
  if (!err)
    err = host_build(end_b, 2, HOST_B, wire.seed, &b);
  if (!err && dump)
    {
      /* A mirror sees every frame in and out of host A's Ethernet layer,
         by reference; timestamps on the (virtual) scheduler clock. */
      static const uint16_t mirror = NET_ETHERNET_MIRROR;
      struct net_dumper_params_s dp = {
        .out = stdout,
        .link = NET_DUMP_LINK_ETHERNET,
        .flags = NET_DUMP_SCHED_TIME,
      };
      err = net_dumper_create(sched, &dp, NULL, NULL, &dumper);
      if (!err)
        err = net_layer_bind(a.eth, &mirror, dumper);
    }
  /* B serves TCP echo; A connects with the echo client as its application,
     bound before the SYN leaves so it sees every event. */
  if (!err)
    err = net_tcp_echo_listen(b.tcp, ECHO_PORT, NULL, &listener);
  if (!err)
    err = echo_client_create(sched, bytes, 1400, &outcome, &echo_client_stop_vtable,
                             &client);
  if (!err)
    {
      struct net_tcp_connect_params_s cp = {
        .remote = { .addr = HOST_B, .port = ECHO_PORT },
        .app = client,
      };
      err = net_tcp_connect(a.tcp, &cp, NULL, NULL, &session);
    }
  if (err)
    {
      fprintf(stderr, "tcp_pair: cannot build the stacks: %s\n", strerror(-err));
      goto out;
    }
  net_scheduler_run(sched);   /* until the client's delegate quits */

  struct net_pair_stats_s ab, ba;
  net_pair_stats(end_a, &ab);
  net_pair_stats(end_b, &ba);
  const struct echo_client_result_s *r = &outcome.result;
  printf("wire: %llu frames A->B (%llu lost), %llu frames B->A (%llu lost)\n",
         (unsigned long long)ab.sent, (unsigned long long)ab.lost,
         (unsigned long long)ba.sent, (unsigned long long)ba.lost);
  printf("tcp A: %llu segments out, %llu retransmitted (%llu fast); "
         "tcp B: %llu segments out, %llu retransmitted (%llu fast)\n",
         (unsigned long long)stat_of(a.tcp, "segs_out"),
         (unsigned long long)stat_of(a.tcp, "retransmits"),
         (unsigned long long)stat_of(a.tcp, "fast_retransmits"),
         (unsigned long long)stat_of(b.tcp, "segs_out"),
         (unsigned long long)stat_of(b.tcp, "retransmits"),
         (unsigned long long)stat_of(b.tcp, "fast_retransmits"));
  printf("echo client: sent %llu, received %llu, %s, %s%s after %.3f s\n",
         (unsigned long long)r->sent, (unsigned long long)r->received,
         r->first_bad ? "CORRUPTED" : "byte-exact",
         r->err ? "connection failed: " : "connection closed in order",
         r->err ? strerror(-r->err) : "", (r->closed_at - r->connected_at) / 1e9);
  /* CLOSED with err 0 means both FINs were sent and acknowledged. */
  if (outcome.done && !r->err && !r->first_bad && r->sent == bytes
      && r->received == bytes)
    status = EXIT_SUCCESS;

out:
  if (session)
    net_layer_refdec(session);
  if (client)
    net_layer_refdec(client);
  if (listener)
    {
      net_layer_unbind(b.tcp, listener);
      net_layer_refdec(listener);
    }
  if (dumper)
    net_layer_refdec(dumper);
  host_release(&a);
  host_release(&b);
  net_device_refdec(end_a);
  net_device_refdec(end_b);
  net_scheduler_destroy(sched);
  return status;
}
