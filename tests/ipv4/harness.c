/* IPv4 suite test harness (harness.h). */
#include <config.h>
#include "harness.h"
#include <net/dev/pair.h>
#include <stdio.h>
#include <string.h>

enum hmode_e hmode = HMODE_FAKE_LINK;

bool hlink_pads(void)
{
  return hmode == HMODE_PAIR;
}

const uint8_t H_OUR_MAC[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t H_PEER_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

uint16_t hrd16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t hrd32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
  wr16(p, (uint16_t)(v >> 16));
  wr16(p + 2, (uint16_t)v);
}

/* ---- fake link -------------------------------------------------------- */

static void hlink_record(struct hlink_s *l, struct net_task_s *task,
                         uint16_t ethertype)
{
  struct net_buffer_s *b = task->packet.buffer;
  ck_assert(task->packet.dst.valid & NET_ADDR_MAC);
  struct hframe_s *f = g_new0(struct hframe_s, 1);
  f->ethertype = ethertype;
  memcpy(f->dst_mac, task->packet.dst.mac, 6);
  f->len = net_buffer_len(b);
  /* Cut the link padding as a receiver does: by the IPv4 total length,
     or the ARP packet size. */
  if (ethertype == NET_ETHERTYPE_IPV4 && f->len >= 4)
    f->len = MIN(f->len, hrd16(net_buffer_data(b) + 2));
  else if (ethertype == NET_ETHERTYPE_ARP)
    f->len = MIN(f->len, 28);
  f->data = g_memdup2(net_buffer_data(b), f->len);
  f->at = net_scheduler_time(l->layer.scheduler);
  g_queue_push_tail(l->frames, f);
}

static void hlink_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct hlink_s *l = net_container_of(layer, struct hlink_s, layer);
  if (l->ethertype && task->type == NET_TASK_INBOUND && task->packet.buffer)
    hlink_record(l, task, l->ethertype);   /* pair mode capture */
  else if (!l->ethertype && task->type == NET_TASK_OUTBOUND && task->packet.buffer)
    {
      /* The contract: room for our 14-byte header in front. */
      ck_assert_uint_ge(net_buffer_headroom(task->packet.buffer),
                        NET_ETHERNET_HEADER_LEN);
      hlink_record(l, task, task->source == l->arp ? NET_ETHERTYPE_ARP
                                                   : NET_ETHERTYPE_IPV4);
    }
  net_task_destroy(task);
}

static int hlink_bound(struct net_layer_s *layer, const void *addr,
                       struct net_layer_s *child)
{
  struct hlink_s *l = net_container_of(layer, struct hlink_s, layer);
  uint16_t type = *(const uint16_t *)addr;
  struct net_layer_s **slot = type == NET_ETHERTYPE_ARP ? &l->arp
    : type == NET_ETHERTYPE_IPV4 ? &l->ipv4 : NULL;
  if (!slot)
    return -EPROTONOSUPPORT;
  if (*slot)
    return -EADDRINUSE;
  *slot = child;
  return 0;
}

static void hlink_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct hlink_s *l = net_container_of(layer, struct hlink_s, layer);
  if (l->arp == child)
    l->arp = NULL;
  if (l->ipv4 == child)
    l->ipv4 = NULL;
}

static void hlink_adjust(const struct net_layer_s *layer,
                         const struct net_layer_s *child,
                         struct net_layer_context_s *cctx)
{
  cctx->prefix_size += NET_ETHERNET_HEADER_LEN;
}

static void hlink_destroyed(struct net_layer_s *layer)
{
  g_free(net_container_of(layer, struct hlink_s, layer));
}

static const struct net_layer_handler_s hlink_handler = {
  .type_name = "hlink",
  .destroyed = hlink_destroyed,
  .task_handle = hlink_task,
  .bound = hlink_bound,
  .unbound = hlink_unbound,
  .child_context_adjust = hlink_adjust,
};

void hframe_free(struct hframe_s *f)
{
  if (f)
    {
      g_free(f->data);
      g_free(f);
    }
}

struct hframe_s *hlink_pop(struct hstack_s *s)
{
  return g_queue_pop_head(&s->frames);
}

size_t hlink_count(struct hstack_s *s)
{
  return s->frames.length;
}

void hlink_clear(struct hstack_s *s)
{
  struct hframe_s *f;
  while ((f = hlink_pop(s)))
    hframe_free(f);
}

void hlink_inject(struct hstack_s *s, uint16_t ethertype, const void *data,
                  size_t len, bool bcast)
{
  struct net_addr_s src = {.valid = NET_ADDR_MAC | NET_ADDR_ETHERTYPE,
                           .ethertype = ethertype};
  struct net_addr_s dst = src;
  memcpy(src.mac, H_PEER_MAC, 6);
  memcpy(dst.mac, bcast ? net_mac_broadcast : H_OUR_MAC, 6);
  struct net_task_s *t = net_scheduler_task_alloc(s->sched);
  ck_assert_ptr_nonnull(t);
  if (hmode == HMODE_PAIR)
    {
      /* Sent by the peer's capture layer, through the real wire. */
      struct hlink_s *cap = ethertype == NET_ETHERTYPE_ARP ? s->cap_arp : s->cap_ipv4;
      struct net_buffer_s *b = net_layer_buffer_alloc(&cap->layer, len);
      ck_assert_ptr_nonnull(b);
      memcpy(net_buffer_put(b, len), data, len);
      ck_assert_int_eq(net_task_outbound_push(t, s->peer_eth, &cap->layer, &src,
                                              &dst, b), 0);
      return;
    }
  struct net_layer_s *child = ethertype == NET_ETHERTYPE_ARP ? s->link->arp : s->link->ipv4;
  ck_assert_ptr_nonnull(child);
  struct net_buffer_s *b = net_scheduler_buffer_alloc(s->sched, 64, len);
  ck_assert_ptr_nonnull(b);
  memcpy(net_buffer_put(b, len), data, len);
  ck_assert_int_eq(net_task_inbound_push(t, child, &s->link->layer,
                                         net_scheduler_time(s->sched), &src,
                                         &dst, b), 0);
}

void hlink_learn_peer(struct hstack_s *s, uint32_t peer_ip)
{
  static const uint8_t zero[6];
  uint8_t arp[28];
  hbuild_arp(arp, 1, H_PEER_MAC, peer_ip, zero, H_OUR_IP);
  hlink_inject(s, NET_ETHERTYPE_ARP, arp, sizeof arp, true);
  hrun(s);
  hlink_clear(s);   /* our ARP reply */
}

void hrun(struct hstack_s *s)
{
  net_scheduler_run_until_idle(s->sched);
}

void hrun_for(struct hstack_s *s, net_time_t ns)
{
  net_scheduler_run_for(s->sched, ns);
}

static struct hlink_s *hlink_new(struct hstack_s *s, uint16_t ethertype)
{
  struct hlink_s *l = g_new0(struct hlink_s, 1);
  ck_assert_int_eq(net_layer_init(&l->layer, &hlink_handler, s->sched, NULL, NULL), 0);
  l->ethertype = ethertype;
  l->frames = &s->frames;
  return l;
}

/* Pair mode: our Ethernet on one end, the peer's (promiscuous, with the
   capture layers) on the other. */
static struct net_layer_s *hstack_pair_link(struct hstack_s *s)
{
  ck_assert_int_eq(net_pair_create(s->sched, NULL, NULL, &s->dev, &s->peer_dev), 0);
  struct net_ethernet_params_s ours = {.mtu = 1500};
  memcpy(ours.mac, H_OUR_MAC, 6);
  struct net_ethernet_params_s peer = {.mtu = 1500, .promiscuous = true,
                                       .all_multicast = true};
  memcpy(peer.mac, H_PEER_MAC, 6);
  ck_assert_int_eq(net_device_layer_create(s->dev, NET_LAYER_ETHERNET, &ours,
                                           NULL, NULL, &s->eth), 0);
  ck_assert_int_eq(net_device_layer_create(s->peer_dev, NET_LAYER_ETHERNET, &peer,
                                           NULL, NULL, &s->peer_eth), 0);
  s->cap_arp = hlink_new(s, NET_ETHERTYPE_ARP);
  s->cap_ipv4 = hlink_new(s, NET_ETHERTYPE_IPV4);
  ck_assert_int_eq(net_layer_bind(s->peer_eth, &s->cap_arp->ethertype,
                                  &s->cap_arp->layer), 0);
  ck_assert_int_eq(net_layer_bind(s->peer_eth, &s->cap_ipv4->ethertype,
                                  &s->cap_ipv4->layer), 0);
  return s->eth;
}

void hstack_init(struct hstack_s *s, struct net_inet_config_s *config)
{
  /* Large buffers of 16 KiB so endpoints can send 4000-byte datagrams. */
  struct net_scheduler_options_s opt = {.clock = NET_CLOCK_VIRTUAL,
                                        .large_buffer_size = 16384};
  memset(s, 0, sizeof *s);
  g_queue_init(&s->frames);
  s->sched = net_scheduler_loop_create(NULL, &opt);
  ck_assert_ptr_nonnull(s->sched);
  struct net_layer_s *link;
  if (hmode == HMODE_PAIR)
    link = hstack_pair_link(s);
  else
    {
      s->link = hlink_new(s, 0);
      memcpy(s->link->layer.context.addr.mac, H_OUR_MAC, 6);
      s->link->layer.context.addr.valid = NET_ADDR_MAC;
      s->link->layer.context.mtu = 1500;
      link = &s->link->layer;
    }

  struct net_inet_config_s def = {0};
  if (!config)
    {
      def.ipv4.addrs[0].addr = H_OUR_IP;
      def.ipv4.addrs[0].prefix_len = 24;
      def.ipv4.addr_count = 1;
      def.ipv4.gateway = H_PEER_IP;
      config = &def;
    }
  ck_assert_int_eq(net_inet_create(link, config, &s->inet), 0);
  hrun(s);
  hlink_clear(s);
}

void hstack_fini(struct hstack_s *s)
{
  net_inet_release(&s->inet);
  if (s->link)
    {
      net_layer_unbind_all(&s->link->layer);
      net_layer_refdec(&s->link->layer);
    }
  if (s->eth)
    {
      net_layer_unbind_all(s->eth);
      net_layer_unbind_all(s->peer_eth);
      net_layer_refdec(&s->cap_arp->layer);
      net_layer_refdec(&s->cap_ipv4->layer);
      net_layer_refdec(s->eth);
      net_layer_refdec(s->peer_eth);
      net_device_refdec(s->dev);
      net_device_refdec(s->peer_dev);
    }
  hrun(s);
  hlink_clear(s);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(s->sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  net_scheduler_destroy(s->sched);
}

int hrun_suite(Suite *(*make)(void))
{
  static const char *const names[] = {"fake link", "pair device"};
  int failed = 0;
  for (int mode = HMODE_FAKE_LINK; mode <= HMODE_PAIR; mode++)
    {
      hmode = (enum hmode_e)mode;
      printf("-- %s\n", names[mode]);
      fflush(stdout);
      SRunner *sr = srunner_create(make());
      srunner_run_all(sr, CK_NORMAL);
      failed += srunner_ntests_failed(sr);
      srunner_free(sr);
    }
  return failed;
}

/* ---- endpoint --------------------------------------------------------- */

static void hep_task(struct net_layer_s *layer, struct net_task_s *task)
{
  struct hep_s *ep = net_container_of(layer, struct hep_s, layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      struct hframe_s *f = g_new0(struct hframe_s, 1);
      f->len = net_buffer_len(task->packet.buffer);
      f->data = g_memdup2(net_buffer_data(task->packet.buffer), f->len);
      g_queue_push_tail(&ep->inbound, f);
      ep->last_src = task->packet.src;
      ep->last_dst = task->packet.dst;
    }
  else if (task->type == NET_TASK_NOTIFICATION
           && task->notification.opcode == NET_IPV4_OP_ERROR)
    {
      const struct net_ipv4_error_s *e =
        net_container_of(task, struct net_ipv4_error_s, task);
      struct herr_s r = {.err = task->notification.err, .type = e->icmp_type,
                         .code = e->icmp_code, .local = e->local, .mtu = e->mtu,
                         .dst = e->dst, .protocol = e->protocol};
      g_array_append_val(ep->errors, r);
    }
  net_task_destroy(task);
}

static void hep_destroyed(struct net_layer_s *layer)
{
  struct hep_s *ep = net_container_of(layer, struct hep_s, layer);
  struct hframe_s *f;
  while ((f = g_queue_pop_head(&ep->inbound)))
    hframe_free(f);
  g_array_free(ep->errors, TRUE);
  g_free(ep);
}

static const struct net_layer_handler_s hep_handler = {
  .type_name = "hep",
  .destroyed = hep_destroyed,
  .task_handle = hep_task,
};

struct hep_s *hep_new(struct hstack_s *s)
{
  struct hep_s *ep = g_new0(struct hep_s, 1);
  ck_assert_int_eq(net_layer_init(&ep->layer, &hep_handler, s->sched, NULL, NULL), 0);
  g_queue_init(&ep->inbound);
  ep->errors = g_array_new(FALSE, TRUE, sizeof(struct herr_s));
  return ep;
}

int hep_bind_udp(struct hstack_s *s, struct hep_s *ep, uint16_t port,
                 uint32_t remote, uint16_t rport)
{
  struct net_udp_bind_s b = {.local_port = port, .remote_addr = remote,
                             .remote_port = rport};
  int err = net_layer_bind(s->inet.udp, &b, &ep->layer);
  /* UDP holds it from now on; it lives until the stack goes. */
  net_layer_refdec(&ep->layer);
  return err;
}

void hep_send(struct hep_s *ep, uint32_t dst, uint16_t dport, const void *data,
              size_t len, bool df)
{
  struct net_buffer_s *b = net_layer_buffer_alloc(&ep->layer, len);
  ck_assert_ptr_nonnull(b);
  memcpy(net_buffer_put(b, len), data, len);
  struct net_addr_s d = {.ipv4 = dst, .port = dport};
  if (dst)
    d.valid = NET_ADDR_IPV4 | NET_ADDR_PORT;
  if (df)
    d.valid |= NET_IPV4_ADDR_DF;
  struct net_task_s *t = net_scheduler_task_alloc(ep->layer.scheduler);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(net_task_outbound_push(t, net_layer_parent(&ep->layer), &ep->layer, NULL,
                                          &d, b), 0);
}

/* ---- builders --------------------------------------------------------- */

size_t hbuild_ipv4(uint8_t *out, uint32_t src, uint32_t dst, uint8_t proto,
                   uint16_t id, uint16_t frag, uint8_t ttl, const void *payload,
                   size_t len)
{
  out[0] = 0x45;
  out[1] = 0;
  wr16(out + 2, (uint16_t)(20 + len));
  wr16(out + 4, id);
  wr16(out + 6, frag);
  out[8] = ttl;
  out[9] = proto;
  out[10] = out[11] = 0;
  wr32(out + 12, src);
  wr32(out + 16, dst);
  uint16_t c = net_csum(out, 20);
  memcpy(out + 10, &c, 2);
  if (len)
    memcpy(out + 20, payload, len);
  return 20 + len;
}

size_t hbuild_icmp_echo(uint8_t *out, uint8_t type, uint16_t id, uint16_t seq,
                        const void *data, size_t len)
{
  out[0] = type;
  out[1] = 0;
  out[2] = out[3] = 0;
  wr16(out + 4, id);
  wr16(out + 6, seq);
  if (len)
    memcpy(out + 8, data, len);
  uint16_t c = net_csum(out, 8 + len);
  memcpy(out + 2, &c, 2);
  return 8 + len;
}

size_t hbuild_udp(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport,
                  uint16_t dport, const void *data, size_t len)
{
  wr16(out, sport);
  wr16(out + 2, dport);
  wr16(out + 4, (uint16_t)(8 + len));
  out[6] = out[7] = 0;
  if (len)
    memcpy(out + 8, data, len);
  uint16_t c = net_csum_fold(net_csum_add(net_csum_pseudo_ipv4(src, dst, 17,
                                                               (uint32_t)(8 + len)),
                                          out, 8 + len));
  if (c == 0)
    c = 0xffff;
  memcpy(out + 6, &c, 2);
  return 8 + len;
}

size_t hbuild_arp(uint8_t *out, uint16_t op, const uint8_t sha[6], uint32_t spa,
                  const uint8_t tha[6], uint32_t tpa)
{
  wr16(out, 1);
  wr16(out + 2, 0x0800);
  out[4] = 6;
  out[5] = 4;
  wr16(out + 6, op);
  memcpy(out + 8, sha, 6);
  wr32(out + 14, spa);
  memcpy(out + 18, tha, 6);
  wr32(out + 24, tpa);
  return 28;
}

uint64_t hstat(struct net_layer_s *layer, const char *name)
{
  struct net_stat_s st[128];
  size_t n = net_layer_stats(layer, st, G_N_ELEMENTS(st));
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(st); i++)
    if (!strcmp(st[i].name, name))
      return st[i].value;
  ck_abort_msg("no counter %s in %s", name, net_layer_type_name(layer));
  return 0;
}
