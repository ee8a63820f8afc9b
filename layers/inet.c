/* net_inet_create(): the IPv4 suite on an Ethernet layer in one call
   (net/layer/inet.h). */
#include <config.h>
#include <net/layer/inet.h>
#include <net/layer/ethernet.h>
#include <glib.h>
#include <string.h>

void net_inet_release(struct net_inet_s *inet)
{
  struct net_layer_s **all[] = {&inet->udp, &inet->icmp, &inet->ipv4, &inet->arp};
  for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
    if (*all[i])
      {
        net_layer_refdec(*all[i]);
        *all[i] = NULL;
      }
}

int net_inet_create(struct net_layer_s *link,
                    const struct net_inet_config_s *config,
                    struct net_inet_s *inet)
{
  static const struct net_inet_config_s none;
  if (!link || !inet)
    return -EINVAL;
  if (!config)
    config = &none;
  memset(inet, 0, sizeof *inet);
  struct net_scheduler_s *sched = link->scheduler;
  static const uint16_t arp_type = NET_ETHERTYPE_ARP, ip_type = NET_ETHERTYPE_IPV4;
  static const uint8_t icmp_proto = NET_IPPROTO_ICMP, udp_proto = NET_IPPROTO_UDP;

  int err = net_arp_create(sched, &config->arp, &inet->arp);
  if (!err)
    err = net_ipv4_create(sched, &config->ipv4, inet->arp, &inet->ipv4);
  if (!err)
    err = net_icmp_create(sched, &config->icmp, &inet->icmp);
  if (!err)
    err = net_udp_create(sched, &config->udp, &inet->udp);
  /* Bottom-up order would let traffic in before the transports exist;
     bind the leaves first. */
  if (!err)
    err = net_layer_bind(inet->ipv4, &icmp_proto, inet->icmp);
  if (!err)
    err = net_layer_bind(inet->ipv4, &udp_proto, inet->udp);
  if (!err)
    err = net_layer_bind(link, &arp_type, inet->arp);
  if (!err)
    {
      err = net_layer_bind(link, &ip_type, inet->ipv4);
      if (err)
        net_layer_unbind(link, inet->arp);
    }
  if (err)
    {
      if (inet->ipv4)
        net_layer_unbind_all(inet->ipv4);
      net_inet_release(inet);
    }
  return err;
}
