/* Ethernet layer over a fake driver: demux by ethertype, MAC filtering,
   padding without writing shared buffers, drop counters, malformed
   frames, mirrors, link state, child context. */
#include <config.h>
#include <net/layer/ethernet.h>
#include "check_main.h"
#include <stdlib.h>
#include "recorder.h"
#include "frames.h"

static const uint8_t our_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t other_mac[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x99 };
static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

struct fake_driver_s
{
  GPtrArray *sent;          /* GByteArray of each transmitted frame */
  int result;               /* what transmit returns */
  bool detached;
  unsigned other_tasks;
};

static int fake_transmit(void *driver, struct net_layer_s *eth,
                         struct net_buffer_s *frame)
{
  struct fake_driver_s *d = driver;
  GByteArray *a = g_byte_array_new();
  g_byte_array_append(a, net_buffer_data(frame), (guint)net_buffer_len(frame));
  g_ptr_array_add(d->sent, a);
  net_buffer_refdec(frame);
  return d->result;
}

static void fake_task_handle(void *driver, struct net_layer_s *eth,
                             struct net_task_s *task)
{
  ((struct fake_driver_s *)driver)->other_tasks++;
  net_task_destroy(task);
}

static void fake_detach(void *driver, struct net_layer_s *eth)
{
  ((struct fake_driver_s *)driver)->detached = true;
}

static const struct net_ethernet_driver_ops_s fake_ops = {
  .transmit = fake_transmit,
  .task_handle = fake_task_handle,
  .detach = fake_detach,
};

static unsigned link_ups, link_downs;

static void on_link(void *delegate, struct net_layer_s *layer, bool up)
{
  if (up)
    link_ups++;
  else
    link_downs++;
}

static const struct net_device_delegate_vtable_s delegate_vt = {
  .link_changed = on_link,
};

static struct net_scheduler_s *sched;
static struct net_layer_s *eth;
static struct fake_driver_s drv;
static struct recorder_s *ip_child, *arp_child;

static void make_eth(const struct net_ethernet_params_s *p)
{
  ck_assert_int_eq(net_ethernet_create(sched, p, 0, 0, &fake_ops, &drv, NULL,
                                       NULL, &delegate_vt, &eth), 0);
  ip_child = rec_new(sched);
  arp_child = rec_new(sched);
  uint16_t t = NET_ETHERTYPE_IPV4;
  ck_assert_int_eq(net_layer_bind(eth, &t, &ip_child->layer), 0);
  t = NET_ETHERTYPE_ARP;
  ck_assert_int_eq(net_layer_bind(eth, &t, &arp_child->layer), 0);
  ck_assert_int_eq(net_ethernet_link_report(eth, true), 0);
  net_scheduler_run_until_idle(sched);
}

static void setup(void)
{
  struct net_scheduler_options_s o = { .clock = NET_CLOCK_VIRTUAL };
  sched = net_scheduler_loop_create(NULL, &o);
  ck_assert_ptr_nonnull(sched);
  memset(&drv, 0, sizeof drv);
  drv.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
  link_ups = link_downs = 0;
  struct net_ethernet_params_s p = { .mtu = 1500 };
  memcpy(p.mac, our_mac, 6);
  make_eth(&p);
}

static void teardown(void)
{
  net_layer_refdec(&ip_child->layer);
  net_layer_refdec(&arp_child->layer);
  if (eth)
    net_layer_refdec(eth);
  net_scheduler_run_until_idle(sched);
  net_scheduler_destroy(sched);
  g_ptr_array_free(drv.sent, TRUE);
}

/* Inject a frame of @p len bytes: header dst/src/type, payload pattern. */
static void inject(const uint8_t *dst, uint16_t type, size_t len)
{
  struct net_buffer_s *b = net_scheduler_buffer_alloc(sched, 0, len);
  ck_assert_ptr_nonnull(b);
  uint8_t *f = net_buffer_put(b, len);
  for (size_t i = 0; i < len; i++)
    f[i] = (uint8_t)(i * 7);
  if (len >= 14)
    tf_eth(f, dst, other_mac, type);
  ck_assert_int_eq(net_ethernet_inject(eth, b, 1234), 0);
  net_scheduler_run_until_idle(sched);
}

START_TEST(test_context)
{
  ck_assert_uint_eq(ip_child->layer.context.prefix_size, 14);
  ck_assert_uint_eq(ip_child->layer.context.mtu, 1500);
  ck_assert(ip_child->layer.context.addr.valid & NET_ADDR_MAC);
  ck_assert_mem_eq(ip_child->layer.context.addr.mac, our_mac, 6);
  uint8_t mac[6];
  net_ethernet_mac(eth, mac);
  ck_assert_mem_eq(mac, our_mac, 6);
  ck_assert(net_ethernet_is(eth));
  ck_assert(!net_ethernet_is(&ip_child->layer));
}
END_TEST

START_TEST(test_bind_rules)
{
  struct recorder_s *r = rec_new(sched);
  uint16_t t = NET_ETHERTYPE_IPV4;
  ck_assert_int_eq(net_layer_bind(eth, &t, &r->layer), -EADDRINUSE);
  t = 0x0100;   /* a length, not an ethertype */
  ck_assert_int_eq(net_layer_bind(eth, &t, &r->layer), -EINVAL);
  ck_assert_int_eq(net_layer_bind(eth, NULL, &r->layer), -EINVAL);
  net_layer_refdec(&r->layer);
  /* An ethertype is free again once its child is unbound. */
  net_layer_unbind(eth, &arp_child->layer);
  struct recorder_s *r2 = rec_new(sched);
  t = NET_ETHERTYPE_ARP;
  ck_assert_int_eq(net_layer_bind(eth, &t, &r2->layer), 0);
  inject(our_mac, NET_ETHERTYPE_ARP, 60);
  ck_assert_uint_eq(r2->packets->len, 1);
  ck_assert_uint_eq(arp_child->packets->len, 0);
  net_layer_refdec(&r2->layer);
}
END_TEST

/* Many protocols bound, some unbound in between: each frame still goes to
   the child of its EtherType, and each child's frames go out with its
   EtherType (the bound protocols are a small array that grows and is
   compacted on unbind). */
START_TEST(test_many_protocols)
{
  enum { N = 10 };
  struct recorder_s *r[N];
  for (unsigned i = 0; i < N; i++)
    {
      r[i] = rec_new(sched);
      uint16_t t = (uint16_t)(0x88b0 + i);
      ck_assert_int_eq(net_layer_bind(eth, &t, &r[i]->layer), 0);
    }
  net_layer_unbind(eth, &ip_child->layer);
  net_layer_unbind(eth, &r[3]->layer);
  net_layer_unbind(eth, &r[N - 1]->layer);
  for (unsigned i = 0; i < N; i++)
    inject(our_mac, (uint16_t)(0x88b0 + i), 60);
  inject(our_mac, NET_ETHERTYPE_IPV4, 60);
  inject(our_mac, NET_ETHERTYPE_ARP, 60);
  for (unsigned i = 0; i < N; i++)
    ck_assert_uint_eq(r[i]->packets->len, i == 3 || i == N - 1 ? 0 : 1);
  ck_assert_uint_eq(ip_child->packets->len, 0);
  ck_assert_uint_eq(arp_child->packets->len, 1);
  ck_assert_uint_eq(stat_get(eth, "drop_no_handler"), 3);

  ck_assert_int_eq(rec_send(r[5], other_mac, "x", 1), 0);
  ck_assert_int_eq(rec_send(arp_child, other_mac, "y", 1), 0);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(drv.sent->len, 2);
  GByteArray *f = g_ptr_array_index(drv.sent, 0);
  ck_assert_uint_eq(f->data[12] << 8 | f->data[13], 0x88b5);
  f = g_ptr_array_index(drv.sent, 1);
  ck_assert_uint_eq(f->data[12] << 8 | f->data[13], NET_ETHERTYPE_ARP);
  for (unsigned i = 0; i < N; i++)
    net_layer_refdec(&r[i]->layer);
}
END_TEST

START_TEST(test_demux)
{
  inject(our_mac, NET_ETHERTYPE_IPV4, 100);
  inject(our_mac, NET_ETHERTYPE_ARP, 60);
  inject(our_mac, NET_ETHERTYPE_IPV4, 1514);
  inject(our_mac, 0x88b5, 60);
  ck_assert_uint_eq(ip_child->packets->len, 2);
  ck_assert_uint_eq(arp_child->packets->len, 1);
  struct rec_packet_s *p = rec_get(ip_child, 0);
  ck_assert_uint_eq(p->bytes->len, 86);
  ck_assert_uint_eq(p->bytes->data[0], (uint8_t)(14 * 7));   /* header pulled */
  ck_assert_uint_eq(p->src.valid, NET_ADDR_MAC | NET_ADDR_ETHERTYPE);
  ck_assert_mem_eq(p->src.mac, other_mac, 6);
  ck_assert_mem_eq(p->dst.mac, our_mac, 6);
  ck_assert_uint_eq(p->dst.ethertype, NET_ETHERTYPE_IPV4);
  ck_assert_uint_eq(p->timestamp, 1234);
  ck_assert_uint_eq(rec_get(ip_child, 1)->bytes->len, 1500);
  ck_assert_uint_eq(stat_get(eth, "drop_no_handler"), 1);
  ck_assert_uint_eq(stat_get(eth, "rx_frames"), 4);
  ck_assert_uint_eq(stat_get(eth, "rx_unicast"), 4);
}
END_TEST

START_TEST(test_filtering)
{
  inject(net_mac_broadcast, NET_ETHERTYPE_ARP, 60);
  inject(other_mac, NET_ETHERTYPE_ARP, 60);
  inject(mcast_mac, NET_ETHERTYPE_IPV4, 60);
  ck_assert_uint_eq(arp_child->packets->len, 1);
  ck_assert_uint_eq(ip_child->packets->len, 0);
  ck_assert_uint_eq(stat_get(eth, "rx_broadcast"), 1);
  ck_assert_uint_eq(stat_get(eth, "drop_not_for_us"), 1);
  ck_assert_uint_eq(stat_get(eth, "drop_multicast"), 1);
}
END_TEST

START_TEST(test_promiscuous_multicast)
{
  net_layer_refdec(&ip_child->layer);
  net_layer_refdec(&arp_child->layer);
  net_layer_refdec(eth);
  net_scheduler_run_until_idle(sched);
  struct net_ethernet_params_s p = { .all_multicast = true };
  memcpy(p.mac, our_mac, 6);
  make_eth(&p);
  inject(mcast_mac, NET_ETHERTYPE_IPV4, 60);
  inject(other_mac, NET_ETHERTYPE_IPV4, 60);
  ck_assert_uint_eq(ip_child->packets->len, 1);
  ck_assert_uint_eq(stat_get(eth, "rx_multicast"), 1);
  ck_assert_uint_eq(stat_get(eth, "drop_not_for_us"), 1);

  net_layer_refdec(&ip_child->layer);
  net_layer_refdec(&arp_child->layer);
  net_layer_refdec(eth);
  net_scheduler_run_until_idle(sched);
  p.all_multicast = false;
  p.promiscuous = true;
  make_eth(&p);
  inject(mcast_mac, NET_ETHERTYPE_IPV4, 60);
  inject(other_mac, NET_ETHERTYPE_IPV4, 60);
  ck_assert_uint_eq(ip_child->packets->len, 2);
  ck_assert_uint_eq(stat_get(eth, "rx_otherhost"), 1);
}
END_TEST

START_TEST(test_malformed)
{
  inject(our_mac, 0, 0);
  inject(our_mac, 0, 13);
  inject(our_mac, NET_ETHERTYPE_IPV4, 1515);        /* payload 1501 > MTU */
  inject(our_mac, NET_ETHERTYPE_VLAN, 1518);        /* tagged: 4 more allowed */
  inject(our_mac, NET_ETHERTYPE_VLAN, 1519);
  inject(our_mac, 46, 60);                          /* 802.3 length field */
  ck_assert_uint_eq(stat_get(eth, "drop_runt"), 2);
  ck_assert_uint_eq(stat_get(eth, "drop_oversize"), 2);
  ck_assert_uint_eq(stat_get(eth, "drop_no_handler"), 1);
  ck_assert_uint_eq(stat_get(eth, "drop_length_field"), 1);
  ck_assert_uint_eq(ip_child->packets->len + arp_child->packets->len, 0);
  ck_assert_uint_eq(stat_get(eth, "rx_frames"), 6);
}
END_TEST

START_TEST(test_transmit_and_padding)
{
  ck_assert_int_eq(rec_send(ip_child, other_mac, "abc", 3), 0);
  ck_assert_int_eq(rec_send(ip_child, other_mac, NULL, 1500), 0);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(drv.sent->len, 2);
  GByteArray *f = g_ptr_array_index(drv.sent, 0);
  ck_assert_uint_eq(f->len, 60);
  ck_assert_mem_eq(f->data, other_mac, 6);
  ck_assert_mem_eq(f->data + 6, our_mac, 6);
  ck_assert_uint_eq(f->data[12], 0x08);
  ck_assert_uint_eq(f->data[13], 0x00);
  ck_assert_mem_eq(f->data + 14, "abc", 3);
  for (unsigned i = 17; i < 60; i++)
    ck_assert_uint_eq(f->data[i], 0);
  ck_assert_uint_eq(((GByteArray *)g_ptr_array_index(drv.sent, 1))->len, 1514);
  ck_assert_uint_eq(stat_get(eth, "tx_frames"), 2);
  ck_assert_uint_eq(stat_get(eth, "tx_bytes"), 60 + 1514);
  ck_assert_uint_eq(stat_get(eth, "tx_padded"), 1);
  ck_assert_uint_eq(stat_get(eth, "tx_copied"), 0);
}
END_TEST

/* The sender keeps a reference (as a retransmission queue would): the
   layer must not write the header or the padding into that buffer. */
START_TEST(test_shared_buffer_not_written)
{
  struct net_buffer_s *b = net_layer_buffer_alloc(&ip_child->layer, 4);
  ck_assert_ptr_nonnull(b);
  memcpy(net_buffer_put(b, 4), "wxyz", 4);
  memset(b->data, 0xaa, b->begin);                      /* headroom */
  memset(b->data + b->end, 0xbb, net_buffer_tailroom(b));
  net_buffer_refinc(b);
  struct net_addr_s dst = { .valid = NET_ADDR_MAC };
  memcpy(dst.mac, other_mac, 6);
  ck_assert_int_eq(net_task_outbound_push(net_scheduler_task_alloc(sched), eth,
                                          &ip_child->layer, NULL, &dst, b), 0);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(drv.sent->len, 1);
  ck_assert_uint_eq(((GByteArray *)g_ptr_array_index(drv.sent, 0))->len, 60);
  ck_assert_uint_eq(stat_get(eth, "tx_copied"), 1);
  for (uint32_t i = 0; i < b->begin; i++)
    ck_assert_uint_eq(b->data[i], 0xaa);
  for (uint32_t i = b->end; i < b->size; i++)
    ck_assert_uint_eq(b->data[i], 0xbb);
  ck_assert_uint_eq(net_buffer_len(b), 4);
  net_buffer_refdec(b);
}
END_TEST

START_TEST(test_transmit_drops)
{
  struct net_buffer_s *b;
  /* No destination MAC. */
  b = net_layer_buffer_alloc(&ip_child->layer, 10);
  net_buffer_put(b, 10);
  ck_assert_int_eq(net_task_outbound_push(net_scheduler_task_alloc(sched), eth,
                                          &ip_child->layer, NULL, NULL, b), 0);
  /* No headroom: copied. */
  b = net_scheduler_buffer_alloc(sched, 0, 100);
  net_buffer_put(b, 100);
  struct net_addr_s dst = { .valid = NET_ADDR_MAC };
  memcpy(dst.mac, other_mac, 6);
  ck_assert_int_eq(net_task_outbound_push(net_scheduler_task_alloc(sched), eth,
                                          &ip_child->layer, NULL, &dst, b), 0);
  /* Larger than the MTU. */
  ck_assert_int_eq(rec_send(ip_child, other_mac, NULL, 1501), 0);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(stat_get(eth, "tx_drop_no_dst"), 1);
  ck_assert_uint_eq(stat_get(eth, "tx_copied"), 1);
  ck_assert_uint_eq(stat_get(eth, "tx_drop_oversize"), 1);
  ck_assert_uint_eq(drv.sent->len, 1);
  /* Driver errors are counted by kind. */
  drv.result = -EAGAIN;
  rec_send(ip_child, other_mac, NULL, 10);
  net_scheduler_run_until_idle(sched);
  drv.result = -EIO;
  rec_send(ip_child, other_mac, NULL, 10);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(stat_get(eth, "tx_drop_busy"), 1);
  ck_assert_uint_eq(stat_get(eth, "tx_errors"), 1);
  drv.result = 0;
  /* Link down: dropped before the driver. */
  net_ethernet_link_report(eth, false);
  net_scheduler_run_until_idle(sched);
  rec_send(ip_child, other_mac, NULL, 10);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(stat_get(eth, "tx_drop_link_down"), 1);
  ck_assert_uint_eq(drv.sent->len, 3);
}
END_TEST

START_TEST(test_link_state)
{
  ck_assert_uint_eq(link_ups, 1);
  ck_assert(net_ethernet_link_is_up(eth));
  net_ethernet_link_report(eth, true);      /* no change: no event */
  net_ethernet_link_report(eth, false);
  net_ethernet_link_report(eth, false);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(link_ups, 1);
  ck_assert_uint_eq(link_downs, 1);
  ck_assert(!net_ethernet_link_is_up(eth));
  ck_assert_uint_eq(stat_get(eth, "link_changes"), 2);
}
END_TEST

START_TEST(test_mirrors)
{
  struct recorder_s *m1 = rec_new(sched), *m2 = rec_new(sched);
  uint16_t mirror = NET_ETHERNET_MIRROR;
  ck_assert_int_eq(net_layer_bind(eth, &mirror, &m1->layer), 0);
  ck_assert_int_eq(net_layer_bind(eth, &mirror, &m2->layer), 0);
  struct recorder_s *more[3];
  for (unsigned i = 0; i < 3; i++)
    more[i] = rec_new(sched);
  ck_assert_int_eq(net_layer_bind(eth, &mirror, &more[0]->layer), 0);
  ck_assert_int_eq(net_layer_bind(eth, &mirror, &more[1]->layer), 0);
  ck_assert_int_eq(net_layer_bind(eth, &mirror, &more[2]->layer), -ENOSPC);
  for (unsigned i = 0; i < 3; i++)
    {
      net_layer_unbind(eth, &more[i]->layer);
      net_layer_refdec(&more[i]->layer);
    }

  inject(our_mac, NET_ETHERTYPE_IPV4, 100);
  inject(other_mac, NET_ETHERTYPE_IPV4, 70);   /* filtered: still mirrored */
  inject(our_mac, 0, 5);                       /* runt: still mirrored */
  rec_send(ip_child, other_mac, "abc", 3);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(ip_child->packets->len, 1);
  for (unsigned k = 0; k < 2; k++)
    {
      struct recorder_s *m = k ? m2 : m1;
      ck_assert_uint_eq(m->packets->len, 4);
      ck_assert_int_eq(rec_get(m, 0)->direction, NET_ETHERNET_DIR_IN);
      ck_assert_uint_eq(rec_get(m, 0)->bytes->len, 100);
      ck_assert_mem_eq(rec_get(m, 0)->bytes->data, our_mac, 6);
      ck_assert_uint_eq(rec_get(m, 1)->bytes->len, 70);
      ck_assert_uint_eq(rec_get(m, 2)->bytes->len, 5);
      ck_assert_int_eq(rec_get(m, 3)->direction, NET_ETHERNET_DIR_OUT);
      ck_assert_uint_eq(rec_get(m, 3)->bytes->len, 60);
      ck_assert_mem_eq(rec_get(m, 3)->bytes->data + 14, "abc", 3);
    }
  /* The child saw its payload, not a mirror's view. */
  ck_assert_uint_eq(rec_get(ip_child, 0)->bytes->len, 86);
  ck_assert_uint_eq(stat_get(eth, "mirror_frames"), 8);
  net_layer_refdec(&m1->layer);
  net_layer_refdec(&m2->layer);
}
END_TEST

START_TEST(test_driver_tasks_and_detach)
{
  struct net_task_s *t = net_scheduler_task_alloc(sched);
  ck_assert_int_eq(net_task_notification_push(t, eth, eth,
                                              NET_ETHERNET_OP_DRIVER_BASE, 0, 0), 0);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(drv.other_tasks, 1);
  net_layer_refdec(eth);
  eth = NULL;
  net_scheduler_run_until_idle(sched);
  ck_assert(drv.detached);
}
END_TEST

START_TEST(test_create_errors)
{
  struct net_layer_s *l;
  struct net_ethernet_params_s p = { .mtu = 67 };
  ck_assert_int_eq(net_ethernet_create(sched, &p, 0, 0, &fake_ops, &drv, NULL,
                                       NULL, NULL, &l), -EINVAL);
  ck_assert_ptr_null(l);
  p.mtu = 0;
  p.mac[0] = 0x01;   /* multicast MAC */
  ck_assert_int_eq(net_ethernet_create(sched, &p, 0, 0, &fake_ops, &drv, NULL,
                                       NULL, NULL, &l), -EINVAL);
  static const struct net_ethernet_driver_ops_s no_tx = { 0 };
  ck_assert_int_eq(net_ethernet_create(sched, NULL, 0, 0, &no_tx, &drv, NULL,
                                       NULL, NULL, &l), -EINVAL);
  /* Defaults: random locally administered unicast MAC, MTU 1500. */
  ck_assert_int_eq(net_ethernet_create(sched, NULL, 0, 0, &fake_ops, &drv, NULL,
                                       NULL, NULL, &l), 0);
  uint8_t mac[6];
  net_ethernet_mac(l, mac);
  ck_assert_uint_eq(mac[0] & 3, 2);
  ck_assert_uint_eq(l->context.mtu, 1500);
  net_layer_refdec(l);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("ethernet");
  TCase *tc = tcase_create("ethernet");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_context);
  tcase_add_test(tc, test_bind_rules);
  tcase_add_test(tc, test_demux);
  tcase_add_test(tc, test_many_protocols);
  tcase_add_test(tc, test_filtering);
  tcase_add_test(tc, test_promiscuous_multicast);
  tcase_add_test(tc, test_malformed);
  tcase_add_test(tc, test_transmit_and_padding);
  tcase_add_test(tc, test_shared_buffer_not_written);
  tcase_add_test(tc, test_transmit_drops);
  tcase_add_test(tc, test_link_state);
  tcase_add_test(tc, test_mirrors);
  tcase_add_test(tc, test_driver_tasks_and_detach);
  tcase_add_test(tc, test_create_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
