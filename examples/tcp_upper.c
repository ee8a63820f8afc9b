/* tcp_upper: the TCP application interface in one file.  A server
 * answers every line in upper case; a client sends a few lines, half-
 * closes, prints the answers and the close.  Both stacks live in this
 * process, joined by the pair device, on a virtual clock:
 *
 *   pair A ── ethernet ── inet ── tcp ── session ── client app
 *   pair B ── ethernet ── inet ── tcp ──┬── listener (port 7)
 *                                       └── session ── upper app
 *
 * Quoted by doc/tcp.md; run by tests/tcp/tcp_upper.sh.
 */
#include <config.h>
#include <net/buffer.h>
#include <net/dev/pair.h>
#include <net/layer/inet.h>
#include <net/layer/tcp.h>
#include <net/scheduler.h>
#include <net/task.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the server application: one layer per connection ---------------- */

struct upper_s
{
  struct net_layer_s layer;
};

/* Data arrive as INBOUND tasks from the session (the buffer holds the
   payload), events as NOTIFICATION tasks. */
static void upper_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct net_layer_s *session = net_layer_parent(layer);

  if (task->type == NET_TASK_INBOUND && session)
    {
      /* Send the same buffer back: it is ours once stolen from the task. */
      struct net_buffer_s *buf = net_task_packet_steal_buffer(task);
      uint8_t *p = net_buffer_data(buf);
      for (size_t i = 0; i < net_buffer_len(buf); i++)
        p[i] = (uint8_t)toupper(p[i]);
      if (net_tcp_send(layer, session, buf) != 0)
        net_buffer_refdec(buf);   /* send buffer full or closed: dropped */
    }
  else if (task->type == NET_TASK_NOTIFICATION && session
           && task->notification.opcode == NET_TCP_EV_PEER_CLOSED)
    net_tcp_shutdown(layer, session);   /* the peer is done: so are we */
  net_task_destroy(task);
}

static void upper_destroyed(struct net_layer_s *layer)
{
  free(net_container_of(layer, struct upper_s, layer));
}

static const struct net_layer_handler_s upper_handler = {
  .type_name = "upper",
  .destroyed = upper_destroyed,
  .task_handle = upper_task_handle,
};

/* The listener's delegate binds a new application to each connection. */
static int upper_accept(void *delegate, struct net_layer_s *listener,
                        struct net_layer_s *session)
{
  struct upper_s *u = calloc(1, sizeof(*u));
  if (!u)
    return -ENOMEM;
  int err = net_layer_init(&u->layer, &upper_handler, listener->scheduler, NULL, NULL);
  if (!err)
    {
      err = net_layer_bind(session, NULL, &u->layer);
      net_layer_refdec(&u->layer);   /* the session holds it now */
    }
  else
    free(u);
  return err;   /* an error resets the connection */
}

static const struct net_tcp_listener_delegate_vtable_s upper_listener = {
  .accept = upper_accept,
};

/* ---- the client application ----------------------------------------- */

static const char *const lines[] = { "hello, tcp\n", "layers all the way down\n" };

static void client_send_lines(struct net_layer_s *client, struct net_layer_s *session)
{
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
    {
      size_t n = strlen(lines[i]);
      /* Reserve the headroom the layers below need for their headers. */
      struct net_buffer_s *buf = net_layer_buffer_alloc(client, n);
      if (!buf)
        return;
      memcpy(net_buffer_put(buf, n), lines[i], n);
      if (net_tcp_send(client, session, buf) != 0)
        net_buffer_refdec(buf);
    }
  net_tcp_shutdown(client, session);   /* half-close: FIN after the data */
}

static void client_task_handle(struct net_layer_s *client, struct net_task_s *task)
{
  struct net_layer_s *session = net_layer_parent(client);

  if (task->type == NET_TASK_INBOUND)
    printf("client got: %.*s", (int)net_buffer_len(task->packet.buffer),
           (const char *)net_buffer_data(task->packet.buffer));
  else if (task->type == NET_TASK_NOTIFICATION)
    switch (task->notification.opcode)
      {
      case NET_TCP_EV_CONNECTED:
        printf("client: connected\n");
        if (session)
          client_send_lines(client, session);
        break;
      case NET_TCP_EV_PEER_CLOSED:
        printf("client: the server closed its side\n");
        break;
      case NET_TCP_EV_CLOSED:
        printf("client: connection closed (%s)\n",
               task->notification.err ? strerror(-task->notification.err) : "ok");
        break;
      default:
        break;
      }
  net_task_destroy(task);
}

static void client_destroyed(struct net_layer_s *layer)
{
  free(layer);
}

static const struct net_layer_handler_s client_handler = {
  .type_name = "client",
  .destroyed = client_destroyed,
  .task_handle = client_task_handle,
};

/* ---- two stacks on a pair device ------------------------------------- */

struct host_s
{
  struct net_device_s *dev;
  struct net_layer_s *eth, *tcp;
  struct net_inet_s inet;
};

static int host_create(struct net_device_s *dev, uint32_t addr, struct host_s *h)
{
  struct net_inet_config_s cfg = { .ipv4 = { .addr_count = 1 } };
  uint8_t proto = NET_IPPROTO_TCP;
  int err;

  h->dev = dev;
  cfg.ipv4.addrs[0].addr = addr;
  cfg.ipv4.addrs[0].prefix_len = 24;
  err = net_device_layer_create(dev, NET_LAYER_ETHERNET, NULL, NULL, NULL, &h->eth);
  if (!err)
    err = net_inet_create(h->eth, &cfg, &h->inet);
  if (!err)
    err = net_tcp_create(dev->scheduler, NULL, &h->tcp);
  if (!err)
    err = net_layer_bind(h->inet.ipv4, &proto, h->tcp);
  return err;
}

static void host_release(struct host_s *h)
{
  if (h->tcp)
    net_layer_refdec(h->tcp);
  net_inet_release(&h->inet);
  if (h->eth)
    {
      net_layer_unbind_all(h->eth);
      net_layer_refdec(h->eth);
    }
  net_device_refdec(h->dev);
}

int main(void)
{
  struct net_scheduler_options_s so = { .clock = NET_CLOCK_VIRTUAL };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &so);
  struct net_device_s *a, *b;
  struct host_s client_host = { 0 }, server_host = { 0 };
  struct net_layer_s *listener = NULL, *session = NULL, *client;
  struct net_pair_params_s wire = { .delay = NET_NSEC_PER_MSEC };
  int err;

  if (!sched || net_pair_create(sched, &wire, &wire, &a, &b) != 0)
    return EXIT_FAILURE;
  err = host_create(a, 0x0a000001, &client_host);        /* 10.0.0.1 */
  if (!err)
    err = host_create(b, 0x0a000002, &server_host);      /* 10.0.0.2 */

  /* Passive open: port 7 of the server, an "upper" app per connection. */
  struct net_tcp_listen_params_s lp = { .local = { .port = 7 } };
  if (!err)
    err = net_tcp_listen(server_host.tcp, &lp, NULL, &upper_listener, &listener);

  /* Active open: the client app is bound before the SYN leaves. */
  client = calloc(1, sizeof(*client));
  if (!err && client)
    err = net_layer_init(client, &client_handler, sched, NULL, NULL);
  struct net_tcp_connect_params_s cp = {
    .remote = { .addr = 0x0a000002, .port = 7 },
    .app = client,
  };
  if (!err)
    err = net_tcp_connect(client_host.tcp, &cp, NULL, NULL, &session);
  if (err)
    {
      fprintf(stderr, "tcp_upper: %s\n", strerror(-err));
      return EXIT_FAILURE;
    }
  net_layer_refdec(client);   /* the session holds the client app */

  /* A virtual second is plenty: ARP, handshake, data, both FINs. */
  net_scheduler_run_for(sched, NET_NSEC_PER_SEC);

  net_layer_refdec(session);
  net_layer_unbind(server_host.tcp, listener);
  net_layer_refdec(listener);
  host_release(&client_host);
  host_release(&server_host);
  /* Let everything unwind (TIME_WAIT included) before the scheduler goes. */
  net_scheduler_run_for(sched, 120 * NET_NSEC_PER_SEC);
  net_scheduler_destroy(sched);
  return EXIT_SUCCESS;
}
