/* The fast path's classifier (net/layer/flow.h) in the Ethernet layer,
   over the pair device: a layer registers a flow; crafted IPv4/TCP frames
   reach it directly only when the classifier may vouch for them, and
   otherwise the IPv4 child of the Ethernet layer, unchanged.  Plus
   registration rules: withdrawal, takeover, requests travelling through
   intermediate layers, the fast path turned off. */
#include <config.h>
#include <net/buffer.h>
#include <net/checksum.h>
#include <net/dev/pair.h>
#include <net/layer/ethernet.h>
#include <net/layer/flow.h>
#include <net/layer/ipv4.h>
#include <net/scheduler.h>
#include <net/task.h>
#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define PORT_A 40000
#define PORT_B 7
#define FLOW_TYPE 0x88b6

/* A layer that records what it receives, and may pass flow requests of
   its children on (an intermediate layer). */
struct rec_s
{
  struct net_layer_s layer;
  unsigned packets;
  size_t last_len;
  uint8_t last[128];          /* first bytes of the last packet */
  uint8_t last_ip[20];        /* the 20 bytes in front of it */
  struct net_addr_s last_src, last_dst;
  unsigned markers;           /* NET_FLOW_OP_ACTIVE received */
  unsigned packets_at_marker; /* packets received before it */
};

static void rec_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct rec_s *r = net_container_of(layer, struct rec_s, layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      struct net_buffer_s *b = task->packet.buffer;
      r->packets++;
      r->last_len = net_buffer_len(b);
      memcpy(r->last, net_buffer_data(b), MIN(r->last_len, sizeof(r->last)));
      if (net_buffer_headroom(b) >= 20)
        memcpy(r->last_ip, net_buffer_data(b) - 20, 20);
      r->last_src = task->packet.src;
      r->last_dst = task->packet.dst;
    }
  if (net_flow_task(task) && task->notification.opcode == NET_FLOW_OP_ACTIVE)
    {
      r->markers++;
      r->packets_at_marker = r->packets;
    }
  else if (net_flow_task(task))
    {
      net_flow_forward(layer, task);
      return;
    }
  net_task_destroy(task);
}

static void rec_destroyed(struct net_layer_s *layer)
{
  free(layer);
}

static const struct net_layer_handler_s rec_handler = {
  .type_name = "test-rec",
  .destroyed = rec_destroyed,
  .task_handle = rec_task_handle,
};

static struct rec_s *rec_new(struct net_scheduler_s *sched)
{
  struct rec_s *r = calloc(1, sizeof(*r));
  net_layer_init(&r->layer, &rec_handler, sched, NULL, NULL);
  return r;
}

struct world_s
{
  struct net_scheduler_s *sched;
  struct net_device_s *da, *db;
  struct net_layer_s *ea, *eb;
  struct rec_s *gen;          /* A: sends raw IPv4 frames */
  struct rec_s *slow;         /* B: the IPv4 child (slow path) */
  struct rec_s *mid;          /* B: an intermediate layer... */
  struct rec_s *flow;         /* ...with the flow's layer under it */
};

static void world_init(struct world_s *w, bool fastpath)
{
  memset(w, 0, sizeof(*w));
  struct net_scheduler_options_s so = { .clock = NET_CLOCK_VIRTUAL };
  w->sched = net_scheduler_loop_create(NULL, &so);
  ck_assert_int_eq(net_pair_create(w->sched, NULL, NULL, &w->da, &w->db), 0);
  struct net_ethernet_params_s pa = { .mac = { 2, 0, 0, 0, 0, 1 } };
  struct net_ethernet_params_s pb = { .mac = { 2, 0, 0, 0, 0, 2 }, .no_fastpath = !fastpath };
  ck_assert_int_eq(net_device_layer_create(w->da, NET_LAYER_ETHERNET, &pa, NULL, NULL, &w->ea), 0);
  ck_assert_int_eq(net_device_layer_create(w->db, NET_LAYER_ETHERNET, &pb, NULL, NULL, &w->eb), 0);
  w->gen = rec_new(w->sched);
  w->slow = rec_new(w->sched);
  w->mid = rec_new(w->sched);
  w->flow = rec_new(w->sched);
  uint16_t ip = NET_ETHERTYPE_IPV4, other = FLOW_TYPE;
  ck_assert_int_eq(net_layer_bind(w->ea, &ip, &w->gen->layer), 0);
  ck_assert_int_eq(net_layer_bind(w->eb, &ip, &w->slow->layer), 0);
  ck_assert_int_eq(net_layer_bind(w->eb, &other, &w->mid->layer), 0);
  ck_assert_int_eq(net_layer_bind(&w->mid->layer, NULL, &w->flow->layer), 0);
  net_scheduler_run_until_idle(w->sched);
}

static void world_fini(struct world_s *w)
{
  struct rec_s *all[] = { w->gen, w->slow, w->mid, w->flow };
  net_layer_unbind_all(&w->mid->layer);
  for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
    net_layer_refdec(&all[i]->layer);
  net_layer_unbind_all(w->ea);
  net_layer_unbind_all(w->eb);
  net_layer_refdec(w->ea);
  net_layer_refdec(w->eb);
  net_device_refdec(w->da);
  net_device_refdec(w->db);
  net_scheduler_run_until_idle(w->sched);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(w->sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  net_scheduler_destroy(w->sched);
}

static const struct net_flow_key_s key = {
  .local_addr = ADDR_B, .remote_addr = ADDR_A,
  .local_port = PORT_B, .remote_port = PORT_A,
  .protocol = NET_IPPROTO_TCP,
};

/* Run a request of the flow's layer from its own context: a
   notification to itself whose handling registers or withdraws. */
static void flow_request(struct world_s *w, struct rec_s *who, bool add)
{
  /* Outside any handler on a loop scheduler nothing runs concurrently,
     and the request is a task: it keeps its order all the same. */
  if (add)
    ck_assert_int_eq(net_flow_register(&who->layer, &key), 0);
  else
    ck_assert_int_eq(net_flow_unregister(&who->layer, &key), 0);
  net_scheduler_run_until_idle(w->sched);
}

/* Frame shapes. */
enum
{
  SH_OK = 0,
  SH_SYN = 1u << 0,
  SH_FIN = 1u << 1,
  SH_RST = 1u << 2,
  SH_OPTIONS = 1u << 3,     /* IPv4 header with 4 bytes of options */
  SH_FRAGMENT = 1u << 4,    /* MF set */
  SH_BAD_CSUM = 1u << 5,    /* wrong IPv4 header checksum */
  SH_OTHER_PORT = 1u << 6,  /* not the registered flow */
  SH_LONG_TOTAL = 1u << 7,  /* total length beyond the frame */
  SH_BAD_DOFF = 1u << 8,    /* TCP data offset < 5 */
  SH_DF = 1u << 9,          /* Don't Fragment: still fine */
  SH_VERSION6 = 1u << 10,   /* not version 4 */
};

static void send_ip(struct world_s *w, unsigned shape, size_t payload)
{
  size_t ihl = shape & SH_OPTIONS ? 24 : 20;
  size_t len = ihl + 20 + payload;
  struct net_buffer_s *buf = net_layer_buffer_alloc(&w->gen->layer, len);
  ck_assert_ptr_nonnull(buf);
  uint8_t *p = net_buffer_put(buf, len);
  memset(p, 0, len);
  p[0] = (uint8_t)((shape & SH_VERSION6 ? 0x60 : 0x40) | ihl / 4);
  size_t total = shape & SH_LONG_TOTAL ? len + 10 : len;
  p[2] = (uint8_t)(total >> 8);
  p[3] = (uint8_t)total;
  p[6] = shape & SH_FRAGMENT ? 0x20 : shape & SH_DF ? 0x40 : 0;
  p[8] = 64;
  p[9] = NET_IPPROTO_TCP;
  uint32_t src = ADDR_A, dst = ADDR_B;
  for (int i = 0; i < 4; i++)
    {
      p[12 + i] = (uint8_t)(src >> (24 - 8 * i));
      p[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
    }
  if (ihl == 24)
    p[20] = 1;   /* NOP, NOP, NOP, NOP */
  uint16_t c = net_csum(p, ihl);
  if (shape & SH_BAD_CSUM)
    c ^= 1;
  memcpy(p + 10, &c, 2);
  uint8_t *t = p + ihl;
  uint16_t sport = PORT_A, dport = shape & SH_OTHER_PORT ? PORT_B + 1 : PORT_B;
  t[0] = (uint8_t)(sport >> 8);
  t[1] = (uint8_t)sport;
  t[2] = (uint8_t)(dport >> 8);
  t[3] = (uint8_t)dport;
  t[12] = shape & SH_BAD_DOFF ? 0x40 : 0x50;
  t[13] = 0x10 | (shape & SH_SYN ? 0x02 : 0) | (shape & SH_FIN ? 0x01 : 0)
          | (shape & SH_RST ? 0x04 : 0);
  for (size_t i = 0; i < payload; i++)
    t[20 + i] = (uint8_t)i;
  struct net_addr_s to = { .valid = NET_ADDR_MAC };
  net_ethernet_mac(w->eb, to.mac);
  struct net_task_s *task = net_scheduler_task_alloc(w->sched);
  ck_assert_int_eq(net_task_outbound_push(task, w->ea, &w->gen->layer, NULL, &to, buf), 0);
  net_scheduler_run_until_idle(w->sched);
}

static uint64_t stat_of(struct net_layer_s *layer, const char *name)
{
  struct net_stat_s st[64];
  size_t n = net_layer_stats(layer, st, 64);
  for (size_t i = 0; i < n && i < 64; i++)
    if (strcmp(st[i].name, name) == 0)
      return st[i].value;
  ck_abort_msg("no counter %s", name);
  return 0;
}

/* Send one frame of @p shape: did it take the fast path? */
static bool went_fast(struct world_s *w, unsigned shape, size_t payload)
{
  unsigned fast = w->flow->packets, slow = w->slow->packets;
  send_ip(w, shape, payload);
  ck_assert_uint_eq(w->flow->packets + w->slow->packets, fast + slow + 1);
  return w->flow->packets == fast + 1;
}

START_TEST(test_classifier_rules)
{
  struct world_s w;
  world_init(&w, true);
  /* Nothing registered: the slow path, and no miss counted. */
  ck_assert(!went_fast(&w, SH_OK, 100));
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_misses"), 0);

  /* The request crosses the intermediate layer to the link, which sends
     its marker the slow way (here to the IPv4 child), behind the frame
     that went that way before. */
  flow_request(&w, w.flow, true);
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_flows"), 1);
  ck_assert_uint_eq(w.slow->markers, 1);
  ck_assert_uint_eq(w.slow->packets_at_marker, 1);
  ck_assert(went_fast(&w, SH_OK, 100));

  /* What the flow's layer gets: the TCP segment, the IPv4 header in
     front, addresses as IPv4 would set them. */
  ck_assert_uint_eq(w.flow->last_len, 20 + 100);
  ck_assert_uint_eq(w.flow->last[1], PORT_A & 0xff);
  ck_assert_uint_eq(w.flow->last[20 + 99], 99);
  ck_assert_uint_eq(w.flow->last_ip[0], 0x45);
  ck_assert_uint_eq(w.flow->last_src.ipv4, ADDR_A);
  ck_assert_uint_eq(w.flow->last_dst.ipv4, ADDR_B);
  ck_assert_uint_eq(w.flow->last_dst.protocol, NET_IPPROTO_TCP);
  ck_assert_uint_eq(w.flow->last_src.valid,
                    NET_ADDR_MAC | NET_ADDR_IPV4 | NET_ADDR_PROTOCOL);
  ck_assert_uint_eq(w.flow->last_src.mac[5], 1);
  ck_assert_uint_eq(w.flow->last_dst.mac[5], 2);

  /* A short segment padded by the link is trimmed to its datagram. */
  ck_assert(went_fast(&w, SH_OK, 0));
  ck_assert_uint_eq(w.flow->last_len, 20);
  ck_assert(went_fast(&w, SH_DF, 3));
  ck_assert_uint_eq(w.flow->last_len, 23);

  /* Everything the classifier cannot vouch for, or that controls the
     connection, goes the slow way, untouched. */
  static const unsigned slow_shapes[] = {
    SH_SYN, SH_FIN, SH_RST, SH_SYN | SH_FIN, SH_OPTIONS, SH_FRAGMENT, SH_BAD_CSUM,
    SH_OTHER_PORT, SH_LONG_TOTAL, SH_BAD_DOFF, SH_VERSION6,
  };
  for (size_t i = 0; i < G_N_ELEMENTS(slow_shapes); i++)
    {
      ck_assert_msg(!went_fast(&w, slow_shapes[i], 40), "shape 0x%x", slow_shapes[i]);
      ck_assert_uint_ge(w.slow->last_len, 20 + 20);   /* from the IPv4 header */
      ck_assert_uint_eq(w.slow->last[0] >> 4, slow_shapes[i] & SH_VERSION6 ? 6 : 4);
    }
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_hits"), 3);
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_misses"), G_N_ELEMENTS(slow_shapes));

  /* Withdrawn: the slow path again. */
  flow_request(&w, w.flow, false);
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_flows"), 0);
  ck_assert(!went_fast(&w, SH_OK, 10));
  world_fini(&w);
}
END_TEST

START_TEST(test_registration_rules)
{
  struct world_s w;
  world_init(&w, true);
  /* A newer registration takes the flow over; the older layer's
     withdrawal then changes nothing. */
  flow_request(&w, w.flow, true);
  flow_request(&w, w.mid, true);
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_flows"), 1);
  send_ip(&w, SH_OK, 10);
  ck_assert_uint_eq(w.mid->packets, 1);
  ck_assert_uint_eq(w.flow->packets + w.slow->packets, 0);
  flow_request(&w, w.flow, false);
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_flows"), 1);
  send_ip(&w, SH_OK, 10);
  ck_assert_uint_eq(w.mid->packets, 2);
  flow_request(&w, w.mid, false);
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_flows"), 0);
  ck_assert(!went_fast(&w, SH_OK, 10));
  /* A request without a parent fails at once. */
  struct rec_s *orphan = rec_new(w.sched);
  ck_assert_int_eq(net_flow_register(&orphan->layer, &key), -ENOTCONN);
  ck_assert_int_eq(net_flow_register(NULL, &key), -EINVAL);
  net_layer_refdec(&orphan->layer);
  /* The link holds the registered layer until it goes: the world's
     teardown must still free everything. */
  world_fini(&w);
}
END_TEST

START_TEST(test_fastpath_off)
{
  struct world_s w;
  world_init(&w, false);
  flow_request(&w, w.flow, true);
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_flows"), 0);
  ck_assert(!went_fast(&w, SH_OK, 100));
  ck_assert_uint_eq(stat_of(w.eb, "fastpath_hits"), 0);
  world_fini(&w);
}
END_TEST

static Suite *fastpath_suite(void)
{
  Suite *s = suite_create("fastpath");
  TCase *tc = tcase_create("classifier");
  tcase_add_test(tc, test_classifier_rules);
  tcase_add_test(tc, test_registration_rules);
  tcase_add_test(tc, test_fastpath_off);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(fastpath_suite());
}
