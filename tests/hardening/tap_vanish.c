/* Helper of tap-vanish.sh: a whole stack (ARP, IPv4, ICMP, UDP echo,
 * TCP echo on port 7) on an existing TAP interface, 10.0.0.2/24, that
 * waits for the interface to disappear under traffic.
 *
 *   tap_vanish TAPNAME loop|threaded
 *
 * Prints "ready" once the link is up.  When the link goes down (the
 * device's delegate says so) it keeps running for a moment, so that what
 * the stack still sends meets the dead link, then drops every reference
 * and checks that every layer was destroyed and every task freed, and
 * that no g_critical was logged.  Exit 0 then, 1 on any failure or when
 * the link is not up within 30 s or not down within 120 s. */
#include <config.h>
#include <net/scheduler.h>
#include <net/dev/tap.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/layer/tcp_echo.h>
#include <glib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int link_ups, link_downs, criticals;

static void on_link(void *delegate, struct net_layer_s *layer, bool up)
{
  atomic_fetch_add(up ? &link_ups : &link_downs, 1);
}

static const struct net_device_delegate_vtable_s link_vtable = {
  .link_changed = on_link,
};

static void on_log(const gchar *domain, GLogLevelFlags level,
                   const gchar *message, gpointer data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    atomic_fetch_add(&criticals, 1);
  fprintf(stderr, "tap_vanish: %s\n", message);
}

/* Run the scheduler until *@p counter is non-zero, at most @p seconds. */
static bool run_until(struct net_scheduler_s *sched, atomic_int *counter,
                      unsigned seconds)
{
  for (unsigned i = 0; i < seconds * 100 && !atomic_load(counter); i++)
    net_scheduler_run_for(sched, 10 * NET_NSEC_PER_MSEC);
  return atomic_load(counter) != 0;
}

static void print_stats(struct net_layer_s *layer)
{
  struct net_stat_s st[96];
  size_t n = MIN(net_layer_stats(layer, st, G_N_ELEMENTS(st)), G_N_ELEMENTS(st));
  fprintf(stderr, "%s:", net_layer_type_name(layer));
  for (size_t i = 0; i < n; i++)
    if (st[i].value)
      fprintf(stderr, " %s=%llu", st[i].name, (unsigned long long)st[i].value);
  fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
  if (argc != 3 || (strcmp(argv[2], "loop") && strcmp(argv[2], "threaded")))
    {
      fprintf(stderr, "usage: %s TAPNAME loop|threaded\n", argv[0]);
      return 2;
    }
  g_log_set_handler(NET_LOG_DOMAIN, G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
                    | G_LOG_FLAG_RECURSION, on_log, NULL);
  struct net_scheduler_s *sched = strcmp(argv[2], "loop")
    ? net_scheduler_threaded_create(&(struct net_scheduler_options_s){ .workers = 2 })
    : net_scheduler_loop_create(NULL, NULL);
  struct net_device_s *dev;
  struct net_tap_params_s tp = { .name = argv[1], .flags = NET_TAP_NO_CREATE };
  int err = net_tap_open(sched, &tp, &dev);
  if (err)
    {
      fprintf(stderr, "tap_vanish: %s: %s\n", argv[1], net_tap_strerror(err));
      return 1;
    }
  struct net_layer_s *eth, *tcp, *listener, *udp_echo;
  struct net_ethernet_params_s ep = { .mtu = 0 };
  struct net_inet_config_s ic = { 0 };
  struct net_inet_s inet;
  ic.ipv4.addrs[0].addr = 0x0a000002u;
  ic.ipv4.addrs[0].prefix_len = 24;
  ic.ipv4.addr_count = 1;
  if (net_device_layer_create(dev, NET_LAYER_ETHERNET, &ep, NULL, &link_vtable, &eth)
      || net_inet_create(eth, &ic, &inet)
      || net_tcp_create(sched, NULL, &tcp)
      || net_layer_bind(inet.ipv4, &(uint8_t){ NET_IPPROTO_TCP }, tcp)
      || net_tcp_echo_listen(tcp, 7, NULL, &listener)
      || net_udp_echo_create(sched, &udp_echo)
      || net_layer_bind(inet.udp, &(struct net_udp_bind_s){ .local_port = 7 },
                        udp_echo))
    {
      fprintf(stderr, "tap_vanish: cannot build the stack\n");
      return 1;
    }
  net_layer_refdec(udp_echo);

  if (!run_until(sched, &link_ups, 30))
    {
      fprintf(stderr, "tap_vanish: the link never came up\n");
      return 1;
    }
  printf("ready\n");
  fflush(stdout);
  if (!run_until(sched, &link_downs, 120))
    {
      fprintf(stderr, "tap_vanish: the link never went down\n");
      return 1;
    }
  printf("link down\n");
  fflush(stdout);
  /* The stack keeps trying for a moment: retransmissions, echoes. */
  net_scheduler_run_for(sched, 1500 * NET_NSEC_PER_MSEC);
  print_stats(eth);
  print_stats(tcp);

  net_layer_refdec(listener);
  net_layer_refdec(tcp);
  net_inet_release(&inet);
  net_layer_refdec(eth);
  net_device_refdec(dev);
  net_scheduler_run_until_idle(sched);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(sched, &st);
  net_scheduler_destroy(sched);
  fprintf(stderr, "tap_vanish: %zu layers, %zu tasks left; %llu tasks cancelled; "
          "%d criticals\n", st.live_layers, st.live_tasks,
          (unsigned long long)st.cancelled, atomic_load(&criticals));
  if (st.live_layers || st.live_tasks || atomic_load(&criticals))
    return 1;
  printf("clean\n");
  return 0;
}
