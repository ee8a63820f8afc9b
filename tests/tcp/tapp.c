/* Test application layer (see tapp.h). */
#include <config.h>
#include "tapp.h"
#include <net/buffer.h>
#include <net/scheduler.h>
#include <net/task.h>
#include <stdlib.h>
#include <string.h>

atomic_uint tapp_closed_total;

static uint64_t mix(uint64_t z)
{
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

uint8_t tapp_pattern(uint64_t seed, uint64_t i)
{
  return (uint8_t)(mix(seed * UINT64_C(0x9e3779b97f4a7c15) + (i >> 3)) >> (8 * (i & 7)));
}

static void pattern_fill(uint64_t seed, uint64_t off, uint8_t *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
    p[i] = tapp_pattern(seed, off + i);
}

static uint64_t pattern_check(uint64_t seed, uint64_t off, const uint8_t *p,
                              size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (p[i] != tapp_pattern(seed, off + i))
      return off + i + 1;
  return 0;
}

void tapp_pump(struct tapp_s *a)
{
  struct net_layer_s *session = net_layer_parent(&a->layer);
  if (!session || (a->start_on_peer_closed && !a->peer_closed))
    return;
  while (a->tx_sent < a->tx_total)
    {
      uint64_t left = a->tx_total - a->tx_sent;
      unsigned span = a->chunk_max - a->chunk_min + 1;
      a->rng = mix(a->rng + 1);
      size_t len = a->chunk_min + (size_t)(a->rng % span);
      if (len > left)
        len = (size_t)left;
      struct net_buffer_s *buf = net_layer_buffer_alloc(&a->layer, len);
      if (!buf)
        {
          /* The pool is empty for now: no event will say when it is not,
             so look again soon. */
          a->no_buffer++;
          if (!a->retry_armed)
            {
              struct net_task_s *t = net_scheduler_task_alloc(a->layer.scheduler);
              if (t && net_task_timeout_push(t, &a->layer, &a->layer,
                                             net_scheduler_time(a->layer.scheduler)
                                               + NET_NSEC_PER_MSEC,
                                             0, 1) == 0)
                a->retry_armed = true;
            }
          return;
        }
      if (a->raw)
        {
          /* No flow control: the session drops what does not fit. */
          memset(net_buffer_put(buf, len), 0x5a, len);
          struct net_task_s *task = net_scheduler_task_alloc(a->layer.scheduler);
          if (!task)
            {
              net_buffer_refdec(buf);
              return;
            }
          net_task_outbound_push(task, session, &a->layer, NULL, NULL, buf);
          a->tx_sent += len;
          continue;
        }
      pattern_fill(a->tx_seed, a->tx_sent, net_buffer_put(buf, len), len);
      int err = net_tcp_send(&a->layer, session, buf);
      if (err)
        {
          net_buffer_refdec(buf);
          if (err == -EAGAIN)
            a->eagain++;
          return;
        }
      a->tx_sent += len;
    }
  if (a->shutdown_after && !a->shut)
    {
      a->shut = true;
      net_tcp_shutdown(&a->layer, session);
    }
}

void tapp_resume(struct tapp_s *a)
{
  a->paused = false;
  if (a->held && net_layer_parent(&a->layer))
    net_tcp_recv_done(&a->layer, net_layer_parent(&a->layer), a->held);
  a->held = 0;
}

static void tapp_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct tapp_s *a = net_container_of(layer, struct tapp_s, layer);
  net_time_t now = net_scheduler_time(layer->scheduler);

  if (a->closed || (task->type == NET_TASK_INBOUND && a->peer_closed))
    a->order_errors++;
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      const struct net_buffer_s *buf = task->packet.buffer;
      size_t len = net_buffer_len(buf);
      if (!a->rx_bad && !a->raw)
        a->rx_bad = pattern_check(a->rx_seed, a->rx_bytes, net_buffer_data(buf), len);
      a->rx_bytes += len;
      if (a->manual)
        {
          if (a->paused)
            a->held += len;
          else if (net_layer_parent(layer))
            net_tcp_recv_done(layer, net_layer_parent(layer), len);
        }
    }
  else if (task->type == NET_TASK_TIMEOUT)
    {
      a->retry_armed = false;
      net_task_destroy(task);
      tapp_pump(a);
      return;
    }
  else if (task->type == NET_TASK_NOTIFICATION)
    {
      switch (task->notification.opcode)
        {
        case NET_TCP_EV_CONNECTED:
          a->connected++;
          a->connected_at = now;
          tapp_pump(a);
          break;
        case NET_TCP_EV_WRITABLE:
          a->writable++;
          tapp_pump(a);
          break;
        case NET_TCP_EV_PEER_CLOSED:
          a->peer_closed++;
          a->peer_closed_at = now;
          tapp_pump(a);
          if (a->close_on_peer_closed && !a->shut && net_layer_parent(layer))
            {
              a->shut = true;
              net_tcp_shutdown(layer, net_layer_parent(layer));
            }
          break;
        case NET_TCP_EV_CLOSED:
          a->closed++;
          a->closed_err = task->notification.err;
          a->closed_at = now;
          atomic_fetch_add_explicit(&tapp_closed_total, 1, memory_order_release);
          break;
        case NET_TCP_EV_SEND_DROPPED:
          a->dropped++;
          break;
        default:
          break;
        }
    }
  net_task_destroy(task);
}

static void tapp_dangling(struct net_layer_s *layer)
{
  net_container_of(layer, struct tapp_s, layer)->dangling = true;
}

static void tapp_destroyed(struct net_layer_s *layer)
{
  free(net_container_of(layer, struct tapp_s, layer));
}

static const struct net_layer_handler_s tapp_handler = {
  .type_name = "test-app",
  .destroyed = tapp_destroyed,
  .task_handle = tapp_task_handle,
  .dangling = tapp_dangling,
};

struct tapp_s *tapp_new(struct net_scheduler_s *sched, uint64_t tx_seed,
                        uint64_t tx_total, uint64_t rx_seed)
{
  struct tapp_s *a = calloc(1, sizeof(*a));
  if (!a)
    return NULL;
  if (net_layer_init(&a->layer, &tapp_handler, sched, NULL, NULL))
    {
      free(a);
      return NULL;
    }
  a->tx_seed = tx_seed;
  a->tx_total = tx_total;
  a->rx_seed = rx_seed;
  a->chunk_min = 1;
  a->chunk_max = 2000;
  a->rng = tx_seed;
  return a;
}

struct net_layer_s *tapp_layer(struct tapp_s *a)
{
  return &a->layer;
}
