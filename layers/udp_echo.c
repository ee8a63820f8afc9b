/* UDP echo endpoint (RFC 862), net_udp_echo_create() in net/layer/udp.h:
   each datagram goes back to its sender in the same buffer. */
#include <config.h>
#include <net/layer/udp.h>
#include <net/scheduler.h>
#include <glib.h>
#include "inet_util.h"

struct udp_echo_s
{
  struct net_layer_s layer;
};

static void udp_echo_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct net_layer_s *parent = net_layer_parent(layer);
  if (task->type != NET_TASK_INBOUND || !task->packet.buffer || !parent)
    {
      net_task_destroy(task);
      return;
    }
  /* Answer from the address and port the datagram was sent to, with the
     same task and buffer turned around. */
  struct net_addr_s src = task->packet.dst, dst = task->packet.src;
  src.valid = NET_ADDR_IPV4 | NET_ADDR_PORT;
  dst.valid = NET_ADDR_IPV4 | NET_ADDR_PORT;
  net_task_outbound_push(task, parent, layer, &src, &dst,
                         net_task_packet_steal_buffer(task));
}

static void udp_echo_destroyed(struct net_layer_s *layer)
{
  g_free(net_container_of(layer, struct udp_echo_s, layer));
}

static const struct net_layer_handler_s udp_echo_handler = {
  .type_name = "udp_echo",
  .destroyed = udp_echo_destroyed,
  .task_handle = udp_echo_task_handle,
};

int net_udp_echo_create(struct net_scheduler_s *sched, struct net_layer_s **layer)
{
  if (!sched || !layer)
    return -EINVAL;
  struct udp_echo_s *echo = g_try_new0(struct udp_echo_s, 1);
  if (!echo)
    return -ENOMEM;
  int err = net_layer_init(&echo->layer, &udp_echo_handler, sched, NULL, NULL);
  if (err)
    {
      g_free(echo);
      return err;
    }
  *layer = &echo->layer;
  return 0;
}
