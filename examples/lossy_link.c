/* lossy_link: two IPv4 hosts in one process, joined by the pair device,
 * with the tutorial's impair layer (doc/writing-a-layer.md) inserted
 * between Ethernet and IPv4 on one of them.  Everything runs on a virtual
 * clock: the run is deterministic and takes milliseconds.
 *
 *   host A (192.0.2.1)                         host B (192.0.2.2)
 *   pair end A ── ethernet ──┬── arp             pair end B ── ethernet ──┬── arp
 *                            └── impair                                   └── ipv4 ──┬── icmp
 *                                 └── ipv4 ──┬── icmp                                └── udp ── udp echo (7)
 *                                            └── udp ── prober
 *
 * The prober sends numbered UDP probes to B's echo port, one every
 * interval, and times each echo.  ARP is bound beside the impair layer,
 * so address resolution is not impaired: only IPv4 is.  When the probes
 * are done it asks the impair layer for its counters with a QUERY and
 * prints a report.  Exit status 0 when the report adds up: every echo
 * took exactly twice the impair delay, and every probe that did not come
 * back was lost by the impair layer, one way or the other.
 *
 * usage: lossy_link [--count N] [--loss P] [--delay MS] [--seed S] [--quiet]
 */
#include <config.h>
#include "impair.h"
#include <net/dev/pair.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/scheduler.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_A 0xc0000201u   /* 192.0.2.1, TEST-NET-1 */
#define HOST_B 0xc0000202u   /* 192.0.2.2 */
#define ECHO_PORT 7

enum
{
  PROBER_OP_BASE = NET_OP_LAYER_BASE + 0x7800,
  PROBER_OP_SEND,      /* TIMEOUT: send the next probe */
  PROBER_OP_DONE,      /* TIMEOUT: stragglers had their chance */
};

/* What a probe carries (host byte order: both ends are this process). */
struct probe_s
{
  uint32_t seq;
  uint64_t sent_at;
};

/* --- the prober: an application layer bound under UDP --------------- */

struct prober_s
{
  struct net_layer_s layer;
  struct net_layer_s *impair;      /* queried for its counters at the end */
  unsigned count, sent;
  net_time_t interval;
  net_time_t *rtt;                 /* per probe; NET_TIME_NEVER = no echo */
  unsigned echoed;
  bool quiet;
  struct impair_stats_s impair_stats;
  bool have_stats;
};

static struct prober_s *prober_of(struct net_layer_s *layer)
{
  return net_container_of(layer, struct prober_s, layer);
}

static void prober_send(struct prober_s *p)
{
  struct net_layer_s *self = &p->layer;
  struct probe_s probe = { p->sent, net_scheduler_time(self->scheduler) };
  struct net_buffer_s *buf = net_layer_buffer_alloc(self, sizeof(probe));
  struct net_task_s *task = net_scheduler_task_alloc(self->scheduler);
  struct net_layer_s *parent = net_layer_parent(self);
  if (!buf || !task || !parent)
    {
      fprintf(stderr, "prober: cannot send probe %u\n", p->sent);
      net_buffer_refdec(buf);
      if (task)
        net_task_destroy(task);
      p->sent++;
      return;
    }
  memcpy(net_buffer_put(buf, sizeof(probe)), &probe, sizeof(probe));
  struct net_addr_s dst = { .ipv4 = HOST_B, .port = ECHO_PORT,
                            .valid = NET_ADDR_IPV4 | NET_ADDR_PORT };
  net_task_outbound_push(task, parent, self, NULL, &dst, buf);
  p->sent++;
}

static void prober_timeout(struct prober_s *p, struct net_task_s *task)
{
  struct net_layer_s *self = &p->layer;
  if (task->timeout.opcode == PROBER_OP_SEND)
    {
      prober_send(p);
      /* Re-arm the delivered timer: the next probe, or the end. */
      bool more = p->sent < p->count;
      net_time_t next = task->timeout.deadline + (more ? p->interval : NET_NSEC_PER_SEC);
      net_task_timeout_push(task, self, self, next, 0,
                            more ? PROBER_OP_SEND : PROBER_OP_DONE);
      return;
    }
  /* Done: ask the impair layer for its counters; the answer comes back
     to us as a RESPONSE. */
  net_task_destroy(task);
  struct impair_stats_query_s *q = impair_stats_query_alloc();
  if (!q || net_task_query_push(&q->task, p->impair, self, IMPAIR_OP_STATS) < 0)
    {
      fprintf(stderr, "prober: cannot query the impair layer\n");
      net_scheduler_quit(self->scheduler);
    }
}

static void prober_inbound(struct prober_s *p, struct net_task_s *task)
{
  struct net_buffer_s *buf = task->packet.buffer;
  struct probe_s probe;
  if (!buf || net_buffer_len(buf) != sizeof(probe)
      || task->packet.src.ipv4 != HOST_B || task->packet.src.port != ECHO_PORT)
    return;
  memcpy(&probe, net_buffer_data(buf), sizeof(probe));
  if (probe.seq >= p->count || p->rtt[probe.seq] != NET_TIME_NEVER)
    return;
  p->rtt[probe.seq] = net_scheduler_time(p->layer.scheduler) - probe.sent_at;
  p->echoed++;
  if (!p->quiet)
    printf("probe %u: echoed after %.3f ms\n", probe.seq,
           p->rtt[probe.seq] / 1e6);
}

static void prober_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct prober_s *p = prober_of(layer);
  switch (task->type)
    {
    case NET_TASK_TIMEOUT:
      prober_timeout(p, task);
      return;
    case NET_TASK_INBOUND:
      prober_inbound(p, task);
      break;
    case NET_TASK_RESPONSE:
      if (task->query.opcode == IMPAIR_OP_STATS && task->query.err == 0)
        {
          p->impair_stats =
            net_container_of(task, struct impair_stats_query_s, task)->stats;
          p->have_stats = true;
        }
      net_scheduler_quit(layer->scheduler);
      break;
    case NET_TASK_OUTBOUND:
    case NET_TASK_QUERY:
    case NET_TASK_NOTIFICATION:
      /* Nobody queries the prober; an ICMP error (IPv4 notifies UDP, UDP
         its endpoint) would only mean a probe was lost, which the report
         counts anyway. */
      break;
    }
  net_task_destroy(task);
}

static void prober_destroyed(struct net_layer_s *layer)
{
  struct prober_s *p = prober_of(layer);
  free(p->rtt);
  free(p);
}

static const struct net_layer_handler_s prober_handler = {
  .type_name = "prober",
  .destroyed = prober_destroyed,
  .task_handle = prober_task_handle,
};

static int prober_create(struct net_scheduler_s *sched, struct net_layer_s *impair,
                         unsigned count, net_time_t interval, bool quiet,
                         struct prober_s **out)
{
  struct prober_s *p = calloc(1, sizeof(*p));
  struct net_task_s *timer = net_scheduler_task_alloc(sched);
  if (p)
    p->rtt = malloc(count * sizeof(*p->rtt));
  int err = p && p->rtt && timer
    ? net_layer_init(&p->layer, &prober_handler, sched, NULL, NULL) : -ENOMEM;
  if (err)
    {
      if (timer)
        net_task_destroy(timer);
      if (p)
        free(p->rtt);
      free(p);
      return err;
    }
  for (unsigned i = 0; i < count; i++)
    p->rtt[i] = NET_TIME_NEVER;
  p->impair = impair;
  p->count = count;
  p->interval = interval;
  p->quiet = quiet;
  err = net_task_timeout_push(timer, &p->layer, &p->layer,
                              net_scheduler_time(sched) + interval, 0,
                              PROBER_OP_SEND);
  if (err)
    {
      net_layer_refdec(&p->layer);
      return err;
    }
  *out = p;
  return 0;
}

/* --- the two hosts ---------------------------------------------------- */

struct host_a_s
{
  struct net_layer_s *eth, *arp, *impair, *ipv4, *icmp, *udp;
};

/* Host A, by hand, to put the impair layer between Ethernet and IPv4. */
static int host_a_build(struct net_scheduler_s *sched, struct net_device_s *dev,
                        const struct impair_config_s *impair, struct host_a_s *h)
{
  static const uint16_t ethertype_arp = NET_ETHERTYPE_ARP;
  static const uint16_t ethertype_ipv4 = NET_ETHERTYPE_IPV4;
  static const uint8_t proto_icmp = NET_IPPROTO_ICMP, proto_udp = NET_IPPROTO_UDP;
  struct net_ethernet_params_s link = { .mac = { 2, 0, 0, 0, 0, 1 } };
  struct net_ipv4_config_s ip = { .addrs = { { HOST_A, 24 } }, .addr_count = 1 };
  int err = net_device_layer_create(dev, NET_LAYER_ETHERNET, &link, NULL, NULL,
                                    &h->eth);
  if (!err)
    err = net_arp_create(sched, NULL, &h->arp);
  if (!err)
    err = net_layer_bind(h->eth, &ethertype_arp, h->arp);
  if (!err)  /* IPv4 asks ARP for next hops directly, not through its parent */
    err = net_ipv4_create(sched, &ip, h->arp, &h->ipv4);
  if (!err)
    err = impair_create(sched, impair, NULL, NULL, &h->impair);
  /* Ethernet takes the impair layer for its IPv4 child... */
  if (!err)
    err = net_layer_bind(h->eth, &ethertype_ipv4, h->impair);
  /* ...and IPv4 takes it for its Ethernet parent. */
  if (!err)
    err = net_layer_bind(h->impair, NULL, h->ipv4);
  if (!err)
    err = net_icmp_create(sched, NULL, &h->icmp);
  if (!err)
    err = net_layer_bind(h->ipv4, &proto_icmp, h->icmp);
  if (!err)
    err = net_udp_create(sched, NULL, &h->udp);
  if (!err)
    err = net_layer_bind(h->ipv4, &proto_udp, h->udp);
  return err;
}

static void host_a_release(struct host_a_s *h)
{
  struct net_layer_s *layers[] = { h->udp, h->icmp, h->ipv4, h->impair, h->arp, h->eth };
  for (size_t i = 0; i < G_N_ELEMENTS(layers); i++)
    if (layers[i])
      net_layer_refdec(layers[i]);
}

/* Host B: the whole IPv4 suite in one call, and a UDP echo endpoint. */
static int host_b_build(struct net_device_s *dev, struct net_layer_s **eth,
                        struct net_inet_s *inet, struct net_layer_s **echo)
{
  struct net_ethernet_params_s link = { .mac = { 2, 0, 0, 0, 0, 2 } };
  struct net_inet_config_s cfg = {
    .ipv4 = { .addrs = { { HOST_B, 24 } }, .addr_count = 1 },
  };
  struct net_udp_bind_s port = { .local_port = ECHO_PORT };
  int err = net_device_layer_create(dev, NET_LAYER_ETHERNET, &link, NULL, NULL, eth);
  if (!err)
    err = net_inet_create(*eth, &cfg, inet);
  if (!err)
    err = net_udp_echo_create((*eth)->scheduler, echo);
  if (!err)
    err = net_layer_bind(inet->udp, &port, *echo);
  return err;
}

/* --- the report ---------------------------------------------------------- */

static int report(const struct prober_s *p, net_time_t delay)
{
  const struct impair_stats_s *st = &p->impair_stats;
  uint64_t lost_down = st->dropped[IMPAIR_DOWN][IMPAIR_DROP_LOSS];
  uint64_t lost_up = st->dropped[IMPAIR_UP][IMPAIR_DROP_LOSS];
  unsigned exact = 0;
  for (unsigned i = 0; i < p->count; i++)
    if (p->rtt[i] == 2 * delay)
      exact++;
  printf("sent %u probes, %u echoed, %u lost\n", p->sent, p->echoed,
         p->count - p->echoed);
  printf("impair layer: %llu lost going down (probes), %llu lost coming up "
         "(echoes), %llu passed down, %llu passed up\n",
         (unsigned long long)lost_down, (unsigned long long)lost_up,
         (unsigned long long)st->passed[IMPAIR_DOWN],
         (unsigned long long)st->passed[IMPAIR_UP]);
  printf("round trips of exactly 2 x %.3f ms: %u of %u\n", delay / 1e6, exact,
         p->echoed);
  /* Everything IPv4 sent went through the impair layer: each probe that
     did not come back was lost there, one way or the other. */
  bool ok = p->have_stats && p->sent == p->count && exact == p->echoed
            && p->echoed + lost_down + lost_up == p->count
            && st->passed[IMPAIR_DOWN] == p->count - lost_down
            && st->passed[IMPAIR_UP] == p->echoed;
  printf("%s\n", ok ? "consistent" : "INCONSISTENT");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int parse(int argc, char **argv, unsigned *count,
                 struct impair_config_s *impair, bool *quiet)
{
  static const struct option opts[] = {
    { "count", required_argument, NULL, 'n' },
    { "loss", required_argument, NULL, 'l' },
    { "delay", required_argument, NULL, 'd' },
    { "seed", required_argument, NULL, 's' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "n:l:d:s:q", opts, NULL)) != -1)
    {
      char *end = NULL;
      errno = 0;
      switch (c)
        {
        case 'n':
          *count = (unsigned)strtoul(optarg, &end, 10);
          if (*count == 0 || *count > 1000000)
            errno = EINVAL;
          break;
        case 'l':
          impair->loss = strtod(optarg, &end);
          break;
        case 'd':
          impair->delay = (net_time_t)(strtod(optarg, &end) * 1e6);
          break;
        case 's':
          impair->seed = strtoull(optarg, &end, 0);
          break;
        case 'q':
          *quiet = true;
          continue;
        default:
          return -1;
        }
      if (errno || *end)
        {
          fprintf(stderr, "lossy_link: bad value '%s'\n", optarg);
          return -1;
        }
    }
  return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
  unsigned count = 20;
  bool quiet = false;
  struct impair_config_s impair = { .seed = 1, .loss = 0.1,
                                    .delay = 25 * NET_NSEC_PER_MSEC };
  if (parse(argc, argv, &count, &impair, &quiet) < 0)
    {
      fprintf(stderr, "usage: lossy_link [--count N] [--loss P] [--delay MS] "
                      "[--seed S] [--quiet]\n");
      return 2;
    }

  struct net_scheduler_options_s options = { .clock = NET_CLOCK_VIRTUAL };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &options);
  struct net_device_s *end_a = NULL, *end_b = NULL;
  struct host_a_s a = { 0 };
  struct net_layer_s *eth_b = NULL, *echo = NULL;
  struct net_inet_s inet_b = { 0 };
  struct prober_s *prober = NULL;
  struct net_udp_bind_s any_port = { 0 };   /* an ephemeral port */
  int status = EXIT_FAILURE;

  int err = sched ? net_pair_create(sched, NULL, NULL, &end_a, &end_b) : -ENOMEM;
  if (!err)
    err = host_a_build(sched, end_a, &impair, &a);
  if (!err)
    err = host_b_build(end_b, &eth_b, &inet_b, &echo);
  if (!err)
    err = prober_create(sched, a.impair, count, 100 * NET_NSEC_PER_MSEC, quiet,
                        &prober);
  if (!err)
    err = net_layer_bind(a.udp, &any_port, &prober->layer);
  if (err)
    {
      fprintf(stderr, "lossy_link: cannot build the stacks: %s\n", strerror(-err));
      goto out;
    }
  printf("impair between Ethernet and IPv4 on host A: loss %.2f, delay %.3f ms "
         "each way, seed %llu\n", impair.loss, impair.delay / 1e6,
         (unsigned long long)impair.seed);
  net_scheduler_run(sched);   /* until the prober has the impair counters */
  status = report(prober, impair.delay);

out:
  /* Our references only: the parents hold theirs until the roots go.
     Unbinding the Ethernet layers' children takes each tree apart. */
  if (prober)
    net_layer_refdec(&prober->layer);
  if (echo)
    net_layer_refdec(echo);
  net_inet_release(&inet_b);
  if (eth_b)
    net_layer_unbind_all(eth_b);
  if (a.eth)
    net_layer_unbind_all(a.eth);
  host_a_release(&a);
  if (eth_b)
    net_layer_refdec(eth_b);
  net_device_refdec(end_a);
  net_device_refdec(end_b);
  net_scheduler_destroy(sched);
  return status;
}
