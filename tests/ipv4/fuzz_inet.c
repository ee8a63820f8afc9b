/* Fuzzing entry of the IPv4 suite (fuzz_inet.h). */
#include <config.h>
#include "fuzz_inet.h"
#include <net/layer/inet.h>
#include <net/layer/ethernet.h>
#include <net/scheduler.h>
#include <glib.h>
#include <string.h>

struct sink_link_s
{
  struct net_layer_s layer;
  struct net_layer_s *arp, *ipv4;
  uint64_t sent;
};

static struct net_scheduler_s *sched;
static struct sink_link_s *fz_link;
static struct net_inet_s inet;

static void sink_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct sink_link_s *l = net_container_of(layer, struct sink_link_s, layer);
  if (task->type == NET_TASK_OUTBOUND)
    l->sent++;
  net_task_destroy(task);
}

static int sink_bound(struct net_layer_s *layer, const void *addr,
                      struct net_layer_s *child)
{
  struct sink_link_s *l = net_container_of(layer, struct sink_link_s, layer);
  if (*(const uint16_t *)addr == NET_ETHERTYPE_ARP)
    l->arp = child;
  else
    l->ipv4 = child;
  return 0;
}

static void sink_adjust(const struct net_layer_s *layer,
                        const struct net_layer_s *child,
                        struct net_layer_context_s *cctx)
{
  cctx->prefix_size += NET_ETHERNET_HEADER_LEN;
}

static void sink_destroyed(struct net_layer_s *layer)
{
  g_free(net_container_of(layer, struct sink_link_s, layer));
}

static const struct net_layer_handler_s sink_handler = {
  .type_name = "sink",
  .destroyed = sink_destroyed,
  .task_handle = sink_task,
  .bound = sink_bound,
  .child_context_adjust = sink_adjust,
};

/* An endpoint that drops what it gets. */
static void drop_task(struct net_layer_s *layer, struct net_task_s *task)
{
  net_task_destroy(task);
}

static void drop_destroyed(struct net_layer_s *layer)
{
  g_free(layer);
}

static const struct net_layer_handler_s drop_handler = {
  .type_name = "drop",
  .destroyed = drop_destroyed,
  .task_handle = drop_task,
};

void fuzz_inet_setup(void)
{
  if (sched)
    return;
  struct net_scheduler_options_s opt = {.clock = NET_CLOCK_VIRTUAL};
  sched = net_scheduler_loop_create(NULL, &opt);
  fz_link = g_new0(struct sink_link_s, 1);
  net_layer_init(&fz_link->layer, &sink_handler, sched, NULL, NULL);
  static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x02};
  memcpy(fz_link->layer.context.addr.mac, mac, 6);
  fz_link->layer.context.addr.valid = NET_ADDR_MAC;
  fz_link->layer.context.mtu = 1500;
  struct net_inet_config_s cfg = {0};
  cfg.ipv4.addrs[0].addr = 0x0a000002u;
  cfg.ipv4.addrs[0].prefix_len = 24;
  cfg.ipv4.addrs[1].addr = 0xc0a80102u;
  cfg.ipv4.addrs[1].prefix_len = 16;
  cfg.ipv4.addr_count = 2;
  cfg.ipv4.gateway = 0x0a000001u;
  cfg.icmp.error_rate = 1000000;   /* exercise error generation, not the bucket */
  cfg.icmp.error_burst = 1000000;
  net_inet_create(&fz_link->layer, &cfg, &inet);
  struct net_layer_s *echo;
  net_udp_echo_create(sched, &echo);
  struct net_udp_bind_s b7 = {.local_port = 7};
  net_layer_bind(inet.udp, &b7, echo);
  net_layer_refdec(echo);
  struct net_layer_s *sink = g_new0(struct net_layer_s, 1);
  net_layer_init(sink, &drop_handler, sched, NULL, NULL);
  struct net_udp_bind_s b9 = {.local_port = 9, .remote_addr = 0x0a000001u};
  net_layer_bind(inet.udp, &b9, sink);
  net_layer_refdec(sink);
  net_scheduler_run_until_idle(sched);
}

void fuzz_inet_input(const uint8_t *data, size_t size)
{
  static const net_time_t jumps[4] = {0, NET_NSEC_PER_SEC, 31 * NET_NSEC_PER_SEC,
                                      70 * NET_NSEC_PER_SEC};
  fuzz_inet_setup();
  if (size < 1)
    return;
  uint8_t ctl = data[0];
  data++;
  size--;
  bool arp = ctl & 1;
  struct net_layer_s *child = arp ? fz_link->arp : fz_link->ipv4;
  struct net_buffer_s *b = net_scheduler_buffer_alloc(sched, 64, size);
  if (!b || !child)
    {
      if (b)
        net_buffer_refdec(b);
      return;
    }
  memcpy(net_buffer_put(b, size), data, size);
  struct net_addr_s src = {.valid = NET_ADDR_MAC | NET_ADDR_ETHERTYPE,
                           .ethertype = arp ? NET_ETHERTYPE_ARP : NET_ETHERTYPE_IPV4,
                           .mac = {0x02, 0, 0, 0, 0, 0x01}};
  struct net_addr_s dst = src;
  memcpy(dst.mac, (ctl & 2) ? net_mac_broadcast : fz_link->layer.context.addr.mac, 6);
  struct net_task_s *t = net_scheduler_task_alloc(sched);
  if (!t)
    {
      net_buffer_refdec(b);
      return;
    }
  net_task_inbound_push(t, child, &fz_link->layer, net_scheduler_time(sched), &src,
                        &dst, b);
  net_scheduler_run_until_idle(sched);
  if (jumps[(ctl >> 2) & 3])
    net_scheduler_run_for(sched, jumps[(ctl >> 2) & 3]);
}

uint64_t fuzz_inet_stat(const char *layer, const char *name)
{
  struct net_layer_s *l = !strcmp(layer, "arp") ? inet.arp
    : !strcmp(layer, "ipv4") ? inet.ipv4 : !strcmp(layer, "icmp") ? inet.icmp
    : !strcmp(layer, "udp") ? inet.udp : NULL;
  struct net_stat_s st[128];
  size_t n = l ? net_layer_stats(l, st, G_N_ELEMENTS(st)) : 0;
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(st); i++)
    if (!strcmp(st[i].name, name))
      return st[i].value;
  return 0;
}

uint64_t fuzz_inet_sent(void)
{
  return fz_link ? fz_link->sent : 0;
}

size_t fuzz_inet_teardown(void)
{
  if (!sched)
    return 0;
  net_inet_release(&inet);
  net_layer_unbind_all(&fz_link->layer);
  net_layer_refdec(&fz_link->layer);
  net_scheduler_run_until_idle(sched);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(sched, &st);
  net_scheduler_destroy(sched);
  sched = NULL;
  fz_link = NULL;
  return st.live_layers;
}
