/* echo_client: send a pattern, check its echo, close (echo_client.h). */
#include <config.h>
#include "echo_client.h"
#include <net/buffer.h>
#include <net/scheduler.h>
#include <stdlib.h>

#define ECHO_CLIENT_CHUNK_MAX 1400

struct echo_client_s
{
  struct net_layer_s layer;
  uint64_t total;
  size_t chunk;
  bool shut, finished;
  struct echo_client_result_s result;
};

static struct echo_client_s *client_of(struct net_layer_s *layer)
{
  return net_container_of(layer, struct echo_client_s, layer);
}

uint8_t echo_client_pattern(uint64_t offset)
{
  /* Not periodic in 256: a lost, duplicated or reordered segment shows. */
  return (uint8_t)((offset ^ (offset >> 8) ^ (offset >> 16)) * 37 + 11);
}

/* Queue as much as the send buffer takes; NET_TCP_EV_WRITABLE brings us
   back when it was full. */
static void client_pump(struct echo_client_s *c)
{
  struct net_layer_s *session = net_layer_parent(&c->layer);
  if (!session || c->shut)
    return;
  while (c->result.sent < c->total)
    {
      size_t n = c->total - c->result.sent < c->chunk
                 ? (size_t)(c->total - c->result.sent) : c->chunk;
      struct net_buffer_s *buf = net_layer_buffer_alloc(&c->layer, n);
      if (!buf)
        return;   /* pools exhausted: WRITABLE or the next echo retries */
      uint8_t *p = net_buffer_put(buf, n);
      for (size_t i = 0; i < n; i++)
        p[i] = echo_client_pattern(c->result.sent + i);
      int err = net_tcp_send(&c->layer, session, buf);
      if (err)
        {
          net_buffer_refdec(buf);   /* on failure the buffer stays ours */
          return;
        }
      c->result.sent += n;
    }
  c->shut = true;
  net_tcp_shutdown(&c->layer, session);
}

static void client_finish(struct echo_client_s *c, int err)
{
  if (c->finished)
    return;
  c->finished = true;
  c->result.err = err;
  c->result.closed_at = net_scheduler_time(c->layer.scheduler);
  const struct echo_client_delegate_vtable_s *vt = c->layer.delegate_vtable
    ? net_container_of(c->layer.delegate_vtable,
                       struct echo_client_delegate_vtable_s, base)
    : NULL;
  if (vt && vt->finished)
    vt->finished(c->layer.delegate, &c->layer, &c->result);
}

static void client_receive(struct echo_client_s *c, const struct net_buffer_s *buf)
{
  const uint8_t *p = net_buffer_data(buf);
  size_t n = net_buffer_len(buf);
  for (size_t i = 0; i < n && !c->result.first_bad; i++)
    if (p[i] != echo_client_pattern(c->result.received + i))
      c->result.first_bad = c->result.received + i + 1;
  c->result.received += n;
  /* An echo frees send-buffer room on the server: keep the pipe full. */
  client_pump(c);
}

static void client_event(struct echo_client_s *c, uint32_t event, int err)
{
  switch (event)
    {
    case NET_TCP_EV_CONNECTED:
      c->result.connected_at = net_scheduler_time(c->layer.scheduler);
      client_pump(c);
      break;
    case NET_TCP_EV_WRITABLE:
      client_pump(c);
      break;
    case NET_TCP_EV_PEER_CLOSED:
      c->result.peer_closed = true;
      break;
    case NET_TCP_EV_CLOSED:
      client_finish(c, err);
      break;
    default:
      break;
    }
}

static void client_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct echo_client_s *c = client_of(layer);
  if (task->type == NET_TASK_INBOUND && task->packet.buffer
      && task->source == net_layer_parent(layer))
    client_receive(c, task->packet.buffer);
  else if (task->type == NET_TASK_NOTIFICATION && task->source == net_layer_parent(layer))
    client_event(c, task->notification.opcode, task->notification.err);
  net_task_destroy(task);
}

static int client_bound(struct net_layer_s *layer, const void *addr,
                        struct net_layer_s *child)
{
  return -ENOTSUP;   /* an application is a leaf */
}

static void client_dangling(struct net_layer_s *layer)
{
  /* The session is gone without telling us it closed (unbound by hand,
     or the stack torn down). */
  client_finish(client_of(layer), -ECONNABORTED);
}

static void client_destroyed(struct net_layer_s *layer)
{
  free(client_of(layer));
}

static const struct net_layer_handler_s client_handler = {
  .type_name = "echo-client",
  .destroyed = client_destroyed,
  .task_handle = client_task_handle,
  .bound = client_bound,
  .dangling = client_dangling,
};

/* The delegate of programs that run one connection: keep the result,
   stop the scheduler. */
static void stop_on_finished(void *delegate, struct net_layer_s *client,
                             const struct echo_client_result_s *result)
{
  struct echo_client_outcome_s *o = delegate;
  o->result = *result;
  o->done = true;
  net_scheduler_quit(client->scheduler);
}

const struct echo_client_delegate_vtable_s echo_client_stop_vtable = {
  .finished = stop_on_finished,
};

int echo_client_create(struct net_scheduler_s *sched, uint64_t total,
                       size_t chunk, void *delegate,
                       const struct echo_client_delegate_vtable_s *vtable,
                       struct net_layer_s **layer)
{
  if (!sched || !layer || chunk == 0 || chunk > ECHO_CLIENT_CHUNK_MAX)
    return -EINVAL;
  struct echo_client_s *c = calloc(1, sizeof(*c));
  if (!c)
    return -ENOMEM;
  int err = net_layer_init(&c->layer, &client_handler, sched, delegate,
                           vtable ? &vtable->base : NULL);
  if (err)
    {
      free(c);
      return err;
    }
  c->total = total;
  c->chunk = chunk;
  *layer = &c->layer;
  return 0;
}
