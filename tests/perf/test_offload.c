/* Offloads and the fast path over the pair device, no root needed: two
   whole stacks (ethernet, IPv4, TCP) on a virtual clock, a client
   streaming to the TCP echo of the other side and checking every byte
   that comes back, with offloads none, csum and tso, the fast path on and
   off, on a perfect and on a lossy wire.  A mirror
   on the client's link checks what the offloads left to the "hardware":
   every frame sent with its checksum left undone is finished in software
   where its metadata says and must then verify.  Plus the Ethernet rules
   for frames longer than the MTU. */
#include <config.h>
#include <net/buffer.h>
#include <net/checksum.h>
#include <net/dev/pair.h>
#include <net/layer/ethernet.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/layer/tcp_echo.h>
#include <net/scheduler.h>
#include <net/task.h>
#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define ECHO_PORT 7
#define TEST_TYPE 0x88b5

static uint8_t pattern(uint64_t i)
{
  return (uint8_t)((i * 2654435761u) >> 11 ^ i >> 9);
}

/* ---- the client application ------------------------------------------ */

struct client_s
{
  struct net_layer_s layer;
  uint64_t total;       /* bytes to send */
  uint64_t sent;
  uint64_t echoed;      /* bytes back, verified in order */
  uint64_t mismatches;
  bool mss_writes;      /* write one MSS at a time (else bigger chunks) */
  bool shut;
  bool peer_closed;
  bool closed;
  int close_err;
};

static void client_write(struct client_s *c)
{
  struct net_layer_s *session = net_layer_parent(&c->layer);
  /* Big writes, as a bulk application does: TSO gets whole buffers. */
  size_t chunk = c->mss_writes ? c->layer.context.mtu : 4 * c->layer.context.mtu + 123;
  while (session && c->sent < c->total)
    {
      size_t len = c->total - c->sent < chunk ? c->total - c->sent : chunk;
      struct net_buffer_s *buf = net_layer_buffer_alloc(&c->layer, len);
      ck_assert_ptr_nonnull(buf);
      uint8_t *p = net_buffer_put(buf, len);
      for (size_t i = 0; i < len; i++)
        p[i] = pattern(c->sent + i);
      if (net_tcp_send(&c->layer, session, buf) != 0)
        {
          net_buffer_refdec(buf);
          return;
        }
      c->sent += len;
    }
  if (session && c->sent == c->total && !c->shut)
    {
      c->shut = true;
      net_tcp_shutdown(&c->layer, session);
    }
}

static void client_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct client_s *c = net_container_of(layer, struct client_s, layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      const uint8_t *p = net_buffer_data(task->packet.buffer);
      size_t len = net_buffer_len(task->packet.buffer);
      for (size_t i = 0; i < len; i++)
        if (p[i] != pattern(c->echoed + i))
          c->mismatches++;
      c->echoed += len;
    }
  else if (task->type == NET_TASK_NOTIFICATION)
    switch (task->notification.opcode)
      {
      case NET_TCP_EV_CONNECTED:
      case NET_TCP_EV_WRITABLE:
        client_write(c);
        break;
      case NET_TCP_EV_PEER_CLOSED:
        c->peer_closed = true;
        break;
      case NET_TCP_EV_CLOSED:
        c->closed = true;
        c->close_err = task->notification.err;
        break;
      default:
        break;
      }
  net_task_destroy(task);
}

static void layer_free(struct net_layer_s *layer)
{
  free(layer);
}

static const struct net_layer_handler_s client_handler = {
  .type_name = "test-client",
  .destroyed = layer_free,
  .task_handle = client_task_handle,
};

/* ---- a mirror checking offloaded frames ------------------------------- */

struct mirror_s
{
  struct net_layer_s layer;
  uint64_t frames, partial, gso, partial_ok, partial_bad, oversize;
  uint32_t mtu;
};

/* Finish an offloaded checksum as a device would, on a copy of the frame,
   then check the TCP checksum like a receiver. */
static bool finish_and_verify(const struct net_ethernet_mirror_task_s *mt)
{
  const struct net_buffer_s *buf = mt->task.packet.buffer;
  size_t len = mt->length;
  /* csum_start follows begin, wherever the stack moved it since. */
  size_t start = buf->begin + buf->csum_start - mt->offset;
  if (len < 14 + 20 + 20 || start + buf->csum_offset + 2 > len)
    return false;
  uint8_t *f = malloc(len);
  memcpy(f, net_ethernet_mirror_frame(mt), len);
  uint16_t c = net_csum_fold(net_csum_add(0, f + start, len - start));
  memcpy(f + start + buf->csum_offset, &c, 2);
  const uint8_t *ip = f + 14;
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  size_t total = (size_t)ip[2] << 8 | ip[3];
  uint32_t src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
  uint32_t dst = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | (uint32_t)ip[18] << 8 | ip[19];
  bool ok = ip[9] == NET_IPPROTO_TCP && start == 14 + ihl && total <= len - 14
            && buf->csum_offset == 16
            && net_csum_fold(net_csum_add(net_csum_pseudo_ipv4(src, dst, NET_IPPROTO_TCP,
                                                               (uint32_t)(total - ihl)),
                                          f + start, total - ihl)) == 0;
  free(f);
  return ok;
}

static void mirror_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct mirror_s *m = net_container_of(layer, struct mirror_s, layer);
  const struct net_ethernet_mirror_task_s *mt = net_ethernet_mirror_task(task);
  if (mt && mt->direction == NET_ETHERNET_DIR_OUT)
    {
      uint32_t flags = mt->task.packet.buffer->offload_flags;
      m->frames++;
      if (mt->length > m->mtu + 14)
        m->oversize++;
      if (flags & NET_BUFFER_GSO_TCPV4)
        m->gso++;
      if (flags & NET_BUFFER_CSUM_PARTIAL)
        {
          m->partial++;
          if (finish_and_verify(mt))
            m->partial_ok++;
          else
            m->partial_bad++;
        }
    }
  net_task_destroy(task);
}

static const struct net_layer_handler_s mirror_handler = {
  .type_name = "test-mirror",
  .destroyed = layer_free,
  .task_handle = mirror_task_handle,
};

/* ---- two stacks -------------------------------------------------------- */

struct side_s
{
  struct net_device_s *dev;
  struct net_layer_s *eth;
  struct net_inet_s inet;
  struct net_layer_s *tcp;
};

struct world_s
{
  struct net_scheduler_s *sched;
  struct side_s side[2];
  struct mirror_s *mirror;
  struct net_layer_s *listener;
  struct net_tcp_echo_stats_s echo_stats;
};

static void side_init(struct world_s *w, int i, struct net_device_s *dev, bool fast)
{
  struct side_s *s = &w->side[i];
  struct net_ethernet_params_s ep = { .mac = { 0x02, 0, 0, 0, 0, (uint8_t)(i + 1) },
                                      .no_fastpath = !fast };
  struct net_inet_config_s ic = { .arp.no_gratuitous = true };
  ic.ipv4.addrs[0].addr = i ? ADDR_B : ADDR_A;
  ic.ipv4.addrs[0].prefix_len = 24;
  ic.ipv4.addr_count = 1;
  s->dev = dev;
  ck_assert_int_eq(net_device_layer_create(dev, NET_LAYER_ETHERNET, &ep, NULL, NULL,
                                           &s->eth), 0);
  ck_assert_int_eq(net_inet_create(s->eth, &ic, &s->inet), 0);
  ck_assert_int_eq(net_tcp_create(w->sched, NULL, &s->tcp), 0);
  ck_assert_int_eq(net_layer_bind(s->inet.ipv4, &(uint8_t){ NET_IPPROTO_TCP }, s->tcp), 0);
}

static void world_init(struct world_s *w, const struct net_pair_params_s *wire,
                       size_t jumbo_buffers, bool fast)
{
  memset(w, 0, sizeof(*w));
  struct net_scheduler_options_s so = { .clock = NET_CLOCK_VIRTUAL,
                                        .jumbo_buffers = jumbo_buffers };
  w->sched = net_scheduler_loop_create(NULL, &so);
  ck_assert_ptr_nonnull(w->sched);
  struct net_device_s *a, *b;
  ck_assert_int_eq(net_pair_create(w->sched, wire, wire, &a, &b), 0);
  side_init(w, 0, a, fast);
  side_init(w, 1, b, fast);
  w->mirror = calloc(1, sizeof(*w->mirror));
  net_layer_init(&w->mirror->layer, &mirror_handler, w->sched, NULL, NULL);
  w->mirror->mtu = w->side[0].eth->context.mtu;
  uint16_t mirror = NET_ETHERNET_MIRROR;
  ck_assert_int_eq(net_layer_bind(w->side[0].eth, &mirror, &w->mirror->layer), 0);
}

static void world_fini(struct world_s *w)
{
  if (w->listener)
    {
      net_layer_unbind(w->side[1].tcp, w->listener);
      net_layer_refdec(w->listener);
    }
  net_layer_refdec(&w->mirror->layer);
  for (int i = 0; i < 2; i++)
    {
      struct side_s *s = &w->side[i];
      net_layer_refdec(s->tcp);
      net_inet_release(&s->inet);
      net_layer_unbind_all(s->eth);
      net_layer_refdec(s->eth);
      net_device_refdec(s->dev);
    }
  net_scheduler_run_for(w->sched, 600 * NET_NSEC_PER_SEC);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(w->sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  net_scheduler_destroy(w->sched);
}

static uint64_t layer_stat(struct net_layer_s *layer, const char *name)
{
  struct net_stat_s st[64];
  size_t n = net_layer_stats(layer, st, 64);
  for (size_t i = 0; i < n && i < 64; i++)
    if (strcmp(st[i].name, name) == 0)
      return st[i].value;
  return 0;
}

/* ---- echo over the pair, offloads x wire ----------------------------- */

static const uint32_t offload_modes[] = {
  0, NET_OFFLOAD_CSUM, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4,
};

static void echo_run(uint32_t offloads, bool fast, bool lossy, size_t jumbo_buffers)
{
  struct net_pair_params_s wire = { .seed = 42, .offloads = offloads };
  if (lossy)
    {
      wire.loss = 0.02;
      wire.duplicate = 0.01;
      wire.reorder = 0.02;
      wire.delay = NET_NSEC_PER_MSEC;
      wire.reorder_delay = 3 * NET_NSEC_PER_MSEC;
    }
  struct world_s w;
  world_init(&w, &wire, jumbo_buffers, fast);
  ck_assert_int_eq(net_tcp_echo_listen(w.side[1].tcp, ECHO_PORT, &w.echo_stats,
                                       &w.listener), 0);
  struct client_s *c = calloc(1, sizeof(*c));
  net_layer_init(&c->layer, &client_handler, w.sched, NULL, NULL);
  c->total = lossy ? 300000 : 2000000;
  c->mss_writes = jumbo_buffers != 0;
  struct net_tcp_connect_params_s cp = {
    .remote = { ADDR_B, ECHO_PORT },
    .app = &c->layer,
  };
  struct net_layer_s *session;
  ck_assert_int_eq(net_tcp_connect(w.side[0].tcp, &cp, NULL, NULL, &session), 0);
  /* Bounded in virtual time; a healthy run needs a fraction of it. */
  for (unsigned i = 0; i < 60000 && !c->closed; i++)
    net_scheduler_run_for(w.sched, 10 * NET_NSEC_PER_MSEC);

  ck_assert_msg(c->closed, "connection not over (echoed %llu of %llu)",
                (unsigned long long)c->echoed, (unsigned long long)c->total);
  ck_assert_int_eq(c->close_err, 0);
  ck_assert(c->peer_closed);
  ck_assert_uint_eq(c->echoed, c->total);
  ck_assert_uint_eq(c->mismatches, 0);
  ck_assert_uint_eq(atomic_load(&w.echo_stats.bytes), c->total);

  struct mirror_s *m = w.mirror;
  ck_assert_uint_gt(m->frames, 0);
  ck_assert_uint_eq(m->partial_bad, 0);
  ck_assert_uint_eq(m->partial_ok, m->partial);
  ck_assert_uint_eq(layer_stat(w.side[1].eth, "drop_oversize"), 0);
  if (offloads & NET_OFFLOAD_CSUM)
    ck_assert_uint_gt(m->partial, 0);
  else
    ck_assert_uint_eq(m->partial, 0);
  if (offloads & NET_OFFLOAD_TSO4)
    {
      /* Super-segments went out, larger than the MTU... */
      ck_assert_uint_gt(m->gso, 0);
      ck_assert_uint_gt(m->oversize, 0);
      /* ...so far fewer frames than MSS-sized segments. */
      if (!lossy && !jumbo_buffers)
        ck_assert_uint_lt(m->frames, c->total / c->layer.context.mtu / 2);
    }
  else
    {
      ck_assert_uint_eq(m->gso, 0);
      ck_assert_uint_eq(m->oversize, 0);
    }
  /* Both stacks served the connection's segments directly (or not); the
     switch was ordered by the link's marker, never by giving up on it. */
  for (int i = 0; i < 2; i++)
    {
      if (fast)
        {
          ck_assert_uint_gt(layer_stat(w.side[i].eth, "fastpath_hits"), 0);
          ck_assert_uint_gt(layer_stat(w.side[i].tcp, "fastpath_registered"), 0);
        }
      else
        ck_assert_uint_eq(layer_stat(w.side[i].eth, "fastpath_hits")
                          + layer_stat(w.side[i].eth, "fastpath_flows"), 0);
      ck_assert_uint_eq(layer_stat(w.side[i].tcp, "fastpath_marker_lost"), 0);
    }
  if (jumbo_buffers)
    {
      /* Super-segments found no buffer, smaller ones went instead, with
         no retransmission timeout for it. */
      uint64_t nobuf = layer_stat(w.side[0].tcp, "drop_no_buffer")
                       + layer_stat(w.side[1].tcp, "drop_no_buffer");
      ck_assert_uint_gt(nobuf, 0);
      ck_assert_uint_eq(layer_stat(w.side[0].tcp, "timeouts")
                        + layer_stat(w.side[1].tcp, "timeouts"), 0);
    }
  net_layer_refdec(session);
  net_layer_refdec(&c->layer);
  world_fini(&w);
}

/* _i: offload mode (_i % 3), fast path on for _i < 3. */
START_TEST(test_echo_perfect)
{
  echo_run(offload_modes[_i % 3], _i < 3, false, 0);
}
END_TEST

START_TEST(test_echo_lossy)
{
  echo_run(offload_modes[_i % 3], _i < 3, true, 0);
}
END_TEST

/* So few jumbo buffers that super-segments often find none: TCP then goes
   on one MSS at a time, and nothing is lost for it. */
START_TEST(test_echo_jumbo_starved)
{
  echo_run(NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4, true, false, 3);
}
END_TEST

/* ---- Ethernet: frames longer than the MTU ----------------------------- */

struct raw_s
{
  struct net_layer_s layer;
  uint64_t received;
};

static void raw_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct raw_s *r = net_container_of(layer, struct raw_s, layer);
  if (task->type == NET_TASK_INBOUND)
    r->received++;
  net_task_destroy(task);
}

static const struct net_layer_handler_s raw_handler = {
  .type_name = "test-raw",
  .destroyed = layer_free,
  .task_handle = raw_task_handle,
};

static struct raw_s *raw_new(struct net_scheduler_s *sched)
{
  struct raw_s *r = calloc(1, sizeof(*r));
  net_layer_init(&r->layer, &raw_handler, sched, NULL, NULL);
  return r;
}

/* Send a @p len byte payload from @p from to the other end's MAC. */
static void raw_send(struct raw_s *from, struct net_layer_s *peer_eth, size_t len,
                     bool gso)
{
  struct net_buffer_s *buf = net_layer_buffer_alloc(&from->layer, len);
  ck_assert_ptr_nonnull(buf);
  memset(net_buffer_put(buf, len), 0, len);
  if (gso)
    {
      buf->offload_flags = NET_BUFFER_GSO_TCPV4;
      buf->gso_size = 1000;
    }
  struct net_addr_s dst = { .valid = NET_ADDR_MAC };
  net_ethernet_mac(peer_eth, dst.mac);
  struct net_task_s *t = net_scheduler_task_alloc(from->layer.scheduler);
  ck_assert_int_eq(net_task_outbound_push(t, net_layer_parent(&from->layer), &from->layer, NULL,
                                          &dst, buf), 0);
}

START_TEST(test_ethernet_oversize)
{
  struct net_scheduler_options_s so = { .clock = NET_CLOCK_VIRTUAL };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &so);
  /* A announces TSO, B does not. */
  struct net_pair_params_s pa = { .offloads = NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 };
  struct net_pair_params_s pb = { 0 };
  struct net_device_s *da, *db;
  ck_assert_int_eq(net_pair_create(sched, &pa, &pb, &da, &db), 0);
  struct net_layer_s *ea, *eb;
  ck_assert_int_eq(net_device_layer_create(da, NET_LAYER_ETHERNET, NULL, NULL, NULL, &ea), 0);
  ck_assert_int_eq(net_device_layer_create(db, NET_LAYER_ETHERNET, NULL, NULL, NULL, &eb), 0);
  ck_assert_uint_eq(ea->context.offloads, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4);
  ck_assert_uint_eq(eb->context.offloads, 0);
  ck_assert_int_eq(net_ethernet_offloads_set(eb, 1u << 9), -EINVAL);
  struct raw_s *ra = raw_new(sched), *rb = raw_new(sched);
  uint16_t type = TEST_TYPE;
  ck_assert_int_eq(net_layer_bind(ea, &type, &ra->layer), 0);
  ck_assert_int_eq(net_layer_bind(eb, &type, &rb->layer), 0);
  /* The children inherit the offloads. */
  ck_assert_uint_eq(ra->layer.context.offloads, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4);
  net_scheduler_run_until_idle(sched);

  raw_send(ra, eb, 3000, true);     /* super-frame from a TSO link: passes */
  raw_send(ra, eb, 3000, false);    /* plain oversize frame: dropped */
  raw_send(rb, ea, 3000, true);     /* super-frame without TSO: dropped */
  raw_send(ra, eb, 1500, false);    /* ordinary frames pass both ways */
  raw_send(rb, ea, 1500, false);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(rb->received, 2);
  ck_assert_uint_eq(ra->received, 1);
  ck_assert_uint_eq(layer_stat(ea, "tx_drop_oversize"), 1);
  ck_assert_uint_eq(layer_stat(eb, "tx_drop_oversize"), 1);

  /* A frame marked as a super-frame by the receiving driver may exceed the
     MTU on the way in, up to a 64 KiB datagram; an unmarked one may not. */
  struct net_buffer_s *f = net_scheduler_buffer_alloc(sched, 64, 4000);
  memset(net_buffer_put(f, 4000), 0, 4000);
  uint8_t *h = net_buffer_data(f);
  net_ethernet_mac(eb, h);
  h[12] = TEST_TYPE >> 8;
  h[13] = TEST_TYPE & 0xff;
  struct net_buffer_s *g = net_buffer_copy(net_scheduler_jumbo_pool(sched), f, 64);
  g->offload_flags = NET_BUFFER_GSO_TCPV4;
  ck_assert_int_eq(net_ethernet_inject(eb, f, 0), 0);
  ck_assert_int_eq(net_ethernet_inject(eb, g, 0), 0);
  net_scheduler_run_until_idle(sched);
  ck_assert_uint_eq(rb->received, 3);
  ck_assert_uint_eq(layer_stat(eb, "drop_oversize"), 1);

  net_layer_refdec(&ra->layer);
  net_layer_refdec(&rb->layer);
  net_layer_unbind_all(ea);
  net_layer_unbind_all(eb);
  net_layer_refdec(ea);
  net_layer_refdec(eb);
  net_device_refdec(da);
  net_device_refdec(db);
  net_scheduler_run_until_idle(sched);
  net_scheduler_destroy(sched);
}
END_TEST

/* ---- buffers: csum_start follows begin --------------------------------- */

START_TEST(test_csum_start_follows_begin)
{
  struct net_buffer_pool_s *pool = net_buffer_pool_create("t", 256, 4);
  struct net_buffer_s *b = net_buffer_alloc(pool, 64);
  net_buffer_put(b, 40);
  b->offload_flags = NET_BUFFER_CSUM_PARTIAL;
  b->csum_start = 0;
  b->csum_offset = 16;
  net_buffer_push(b, 20);
  net_buffer_push(b, 14);
  ck_assert_uint_eq(b->csum_start, 34);
  net_buffer_pull(b, 14);
  ck_assert_uint_eq(b->csum_start, 20);
  struct net_buffer_s *c = net_buffer_copy(pool, b, 8);
  ck_assert_uint_eq(c->csum_start, 20);
  ck_assert_uint_eq(c->offload_flags, NET_BUFFER_CSUM_PARTIAL);
  /* Without the flag the field means nothing and is left alone. */
  b->offload_flags = 0;
  net_buffer_push(b, 14);
  ck_assert_uint_eq(b->csum_start, 20);
  net_buffer_refdec(b);
  net_buffer_refdec(c);
  net_buffer_pool_refdec(pool);
}
END_TEST

static Suite *offload_suite(void)
{
  Suite *s = suite_create("offload");
  TCase *tc = tcase_create("echo");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_echo_perfect, 0, 2 * G_N_ELEMENTS(offload_modes));
  tcase_add_loop_test(tc, test_echo_lossy, 0, 2 * G_N_ELEMENTS(offload_modes));
  tcase_add_test(tc, test_echo_jumbo_starved);
  suite_add_tcase(s, tc);
  tc = tcase_create("units");
  tcase_add_test(tc, test_ethernet_oversize);
  tcase_add_test(tc, test_csum_start_follows_begin);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(offload_suite());
}
