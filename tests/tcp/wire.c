/* Simulated wire between two tcp layers (see wire.h). */
#include <config.h>
#include "wire.h"
#include <net/buffer.h>
#include <net/task.h>
#include <net/layer/ipv4.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wire_s
{
  struct net_layer_s layer;
  struct wire_params_s p;
  struct net_layer_s *side[2];
  uint64_t rng;
  struct wire_stats_s st;
  bool trace;
};

/* A segment in flight: a timeout task that carries the buffer. */
struct wpkt_s
{
  struct net_task_s task;
  struct net_buffer_s *buf;
  int to;
};

static const uint32_t side_addr[2] = { WIRE_ADDR0, WIRE_ADDR1 };

static uint64_t rnd(struct wire_s *w)
{
  uint64_t z = (w->rng += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static double rnd01(struct wire_s *w)
{
  return (double)(rnd(w) >> 11) / (double)(UINT64_C(1) << 53);
}

static void wpkt_destroy(struct net_task_s *task)
{
  struct wpkt_s *p = net_container_of(task, struct wpkt_s, task);
  if (p->buf)
    net_buffer_refdec(p->buf);
  free(p);
}

static void deliver_from(struct wire_s *w, int to, uint32_t src,
                         struct net_buffer_s *buf)
{
  struct net_layer_s *dst = w->side[to];
  if (!dst)
    {
      net_buffer_refdec(buf);
      return;
    }
  struct net_addr_s a_src = {
    .ipv4 = src, .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PROTOCOL,
  };
  struct net_addr_s a_dst = {
    .ipv4 = side_addr[to], .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_IPV4 | NET_ADDR_PROTOCOL,
  };
  struct net_task_s *task = net_scheduler_task_alloc(w->layer.scheduler);
  if (!task)
    {
      net_buffer_refdec(buf);
      return;
    }
  net_task_inbound_push(task, dst, &w->layer, net_scheduler_time(w->layer.scheduler),
                        &a_src, &a_dst, buf);
}

static void deliver_now(struct wire_s *w, int to, struct net_buffer_s *buf)
{
  deliver_from(w, to, side_addr[!to], buf);
}

static void schedule(struct wire_s *w, int to, struct net_buffer_s *buf,
                     net_time_t delay)
{
  if (delay == 0)
    {
      deliver_now(w, to, buf);
      return;
    }
  struct wpkt_s *p = malloc(sizeof(*p));
  if (!p)
    {
      net_buffer_refdec(buf);
      return;
    }
  net_task_init(&p->task, wpkt_destroy);
  p->buf = buf;
  p->to = to;
  net_task_timeout_push(&p->task, &w->layer, &w->layer,
                        net_scheduler_time(w->layer.scheduler) + delay, 0, 1);
}

static void wire_outbound(struct wire_s *w, struct net_task_s *task)
{
  int from = task->source == w->side[0] ? 0 : task->source == w->side[1] ? 1 : -1;
  struct net_buffer_s *buf = net_task_packet_steal_buffer(task);
  net_time_t now = net_scheduler_time(w->layer.scheduler);
  bool task_dst_valid = task->packet.dst.valid & NET_ADDR_IPV4;
  uint32_t task_dst = task->packet.dst.ipv4;

  net_task_destroy(task);
  if (from < 0 || !buf)
    {
      if (buf)
        net_buffer_refdec(buf);
      return;
    }
  w->st.sent[from]++;
  /* Only the other side's address is reachable (replies to injected
     segments from elsewhere vanish). */
  if (!(task_dst_valid && task_dst == side_addr[!from]))
    {
      w->st.unroutable++;
      net_buffer_refdec(buf);
      return;
    }
  if (w->trace)
    {
      const uint8_t *h = net_buffer_data(buf);
      size_t len = net_buffer_len(buf);
      if (len >= 20)
        fprintf(stderr, "%10.6f %d> %u>%u %c%c%c%c seq=%u ack=%u win=%u len=%zu\n",
                (double)now / 1e9, from, (unsigned)(h[0] << 8 | h[1]),
                (unsigned)(h[2] << 8 | h[3]), h[13] & 2 ? 'S' : '.', h[13] & 16 ? 'A' : '.',
                h[13] & 1 ? 'F' : '.', h[13] & 4 ? 'R' : '.',
                (unsigned)(h[4] << 24 | h[5] << 16 | h[6] << 8 | h[7]),
                (unsigned)(h[8] << 24 | h[9] << 16 | h[10] << 8 | h[11]),
                (unsigned)(h[14] << 8 | h[15]), len - (size_t)(h[12] >> 4) * 4);
    }
  if (w->p.filter && w->p.filter(w->p.filter_ctx, from, net_buffer_data(buf),
                                 net_buffer_len(buf), now))
    {
      w->st.filtered++;
      net_buffer_refdec(buf);
      return;
    }
  if (w->p.loss > 0 && rnd01(w) < w->p.loss)
    {
      w->st.lost++;
      net_buffer_refdec(buf);
      return;
    }
  if (w->p.dup > 0 && rnd01(w) < w->p.dup)
    {
      struct net_buffer_s *copy = net_buffer_copy(buf->pool, buf, net_buffer_headroom(buf));
      if (copy)
        {
          w->st.duplicated++;
          schedule(w, !from, copy, w->p.delay + (net_time_t)(rnd01(w) * (double)w->p.jitter));
        }
    }
  net_time_t delay = w->p.delay;
  if (w->p.reorder > 0 && rnd01(w) < w->p.reorder)
    {
      w->st.reordered++;
      delay += (net_time_t)(rnd01(w) * (double)w->p.jitter);
    }
  schedule(w, !from, buf, delay);
}

static void wire_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct wire_s *w = net_container_of(layer, struct wire_s, layer);

  if (task->type == NET_TASK_OUTBOUND)
    {
      wire_outbound(w, task);
      return;
    }
  if (task->type == NET_TASK_TIMEOUT && task->destroy == wpkt_destroy)
    {
      struct wpkt_s *p = net_container_of(task, struct wpkt_s, task);
      struct net_buffer_s *buf = p->buf;
      int to = p->to;
      p->buf = NULL;
      net_task_destroy(task);
      deliver_now(w, to, buf);
      return;
    }
  net_task_destroy(task);
}

static int wire_bound(struct net_layer_s *layer, const void *addr,
                      struct net_layer_s *child)
{
  struct wire_s *w = net_container_of(layer, struct wire_s, layer);
  int side = *(const int *)addr;
  if (side < 0 || side > 1)
    return -EINVAL;
  if (w->side[side])
    return -EADDRINUSE;
  w->side[side] = child;
  return 0;
}

static void wire_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct wire_s *w = net_container_of(layer, struct wire_s, layer);
  for (int i = 0; i < 2; i++)
    if (w->side[i] == child)
      w->side[i] = NULL;
}

static void wire_child_context_adjust(const struct net_layer_s *layer,
                                      const struct net_layer_s *child,
                                      struct net_layer_context_s *cctx)
{
  const struct wire_s *w = net_container_of(layer, const struct wire_s, layer);
  int side = w->side[1] == child ? 1 : 0;
  cctx->addr.ipv4 = side_addr[side];
  cctx->addr.protocol = NET_IPPROTO_TCP;
  cctx->addr.valid = NET_ADDR_IPV4 | NET_ADDR_PROTOCOL;
  cctx->prefix_size = 14 + 20;
  cctx->mtu = w->p.mtu;
}

static void wire_destroyed(struct net_layer_s *layer)
{
  free(net_container_of(layer, struct wire_s, layer));
}

static const struct net_layer_handler_s wire_handler = {
  .type_name = "test-wire",
  .destroyed = wire_destroyed,
  .task_handle = wire_task_handle,
  .bound = wire_bound,
  .unbound = wire_unbound,
  .child_context_adjust = wire_child_context_adjust,
};

struct wire_s *wire_new(struct net_scheduler_s *sched,
                        const struct wire_params_s *params)
{
  struct wire_s *w = calloc(1, sizeof(*w));
  if (!w)
    return NULL;
  if (net_layer_init(&w->layer, &wire_handler, sched, NULL, NULL))
    {
      free(w);
      return NULL;
    }
  if (params)
    w->p = *params;
  if (!w->p.mtu)
    w->p.mtu = 1480;
  w->rng = w->p.seed;
  w->trace = getenv("TCP_TEST_TRACE") != NULL;
  return w;
}

struct net_layer_s *wire_layer(struct wire_s *w)
{
  return &w->layer;
}

int wire_attach(struct wire_s *w, int side, struct net_layer_s *tcp)
{
  return net_layer_bind(&w->layer, &side, tcp);
}

void wire_set_loss(struct wire_s *w, double loss)
{
  w->p.loss = loss;
}

void wire_set_filter(struct wire_s *w, wire_filter_t filter, void *ctx)
{
  w->p.filter = filter;
  w->p.filter_ctx = ctx;
}

void wire_stats(const struct wire_s *w, struct wire_stats_s *st)
{
  *st = w->st;
}

void wire_inject(struct wire_s *w, int to, uint32_t src, const uint8_t *seg,
                 size_t len)
{
  struct net_buffer_s *buf = net_scheduler_buffer_alloc(w->layer.scheduler, 64, len);
  if (!buf)
    return;
  memcpy(net_buffer_put(buf, len), seg, len);
  deliver_from(w, to, src, buf);
}

void wire_free(struct wire_s *w)
{
  net_layer_unbind_all(&w->layer);
  net_layer_refdec(&w->layer);
}
