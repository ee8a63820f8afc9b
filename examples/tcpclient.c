/* tcpclient: a TCP client on a TAP interface, built from libnetwork
 * layers: it connects to a TCP echo server (the Linux kernel's side of
 * the TAP, in the test), sends a pattern, checks that every byte comes
 * back, and closes.  The application is the same echo client layer that
 * examples/tcp_pair.c runs over the simulated pair device.
 *
 *   tap ── ethernet ──┬── arp
 *                     └── ipv4 ──┬── icmp, udp
 *                                └── tcp ── session (to ADDR:PORT) ── echo client
 *
 * usage: tcpclient -i TAP --addr A.B.C.D/N --connect A.B.C.D:PORT
 *                  [--bytes N] [--gateway A.B.C.D] [--scheduler loop|threaded]
 *                  [--timeout S]
 * Exit status: 0 when the echo came back byte-exact and the connection
 * closed in order, 1 otherwise, 2 on a usage error.
 */
#include <config.h>
#include "echo_client.h"
#include "example_util.h"
#include <net/layer/tcp.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct options_s
{
  struct example_opts_s common;
  uint32_t server;
  uint16_t port;
  uint64_t bytes;
  unsigned timeout;
};

static void usage(void)
{
  fputs("usage: tcpclient -i TAP --addr A.B.C.D/N --connect A.B.C.D:PORT\n"
        "                 [--bytes N] [--gateway A.B.C.D]\n"
        "                 [--scheduler loop|threaded] [--timeout S]\n", stderr);
}

static int parse_connect(const char *text, uint32_t *addr, uint16_t *port)
{
  const char *colon = strrchr(text, ':');
  char host[16], *end;
  if (!colon || colon - text >= (ptrdiff_t)sizeof(host))
    return -EINVAL;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  unsigned long p = strtoul(colon + 1, &end, 10);
  if (*end || p == 0 || p > 65535 || net_ipv4_parse(host, addr, NULL) < 0)
    return -EINVAL;
  *port = (uint16_t)p;
  return 0;
}

static int parse(int argc, char **argv, struct options_s *o)
{
  static const struct option opts[] = {
    { "interface", required_argument, NULL, 'i' },
    { "addr", required_argument, NULL, 'a' },
    { "gateway", required_argument, NULL, 'g' },
    { "connect", required_argument, NULL, 'c' },
    { "bytes", required_argument, NULL, 'b' },
    { "scheduler", required_argument, NULL, 's' },
    { "timeout", required_argument, NULL, 't' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "i:a:g:c:b:s:t:", opts, NULL)) != -1)
    {
      int taken = example_option("tcpclient", c, optarg, &o->common);
      if (taken < 0)
        return -1;
      if (taken)
        continue;
      char *end = NULL;
      int err = 0;
      switch (c)
        {
        case 'c':
          err = parse_connect(optarg, &o->server, &o->port);
          break;
        case 'b':
          o->bytes = strtoull(optarg, &end, 10);
          break;
        case 't':
          o->timeout = (unsigned)strtoul(optarg, &end, 10);
          break;
        default:
          return -1;
        }
      if (err || (end && *end))
        {
          fprintf(stderr, "tcpclient: bad value '%s'\n", optarg);
          return -1;
        }
    }
  if (example_options_check("tcpclient", argc, argv, &o->common, true) < 0)
    return -1;
  if (!o->port)
    {
      fprintf(stderr, "tcpclient: no server given (--connect A.B.C.D:PORT)\n");
      return -1;
    }
  return 0;
}

/* A watchdog thread: stop the scheduler if the exchange takes too long
   (a dead server must not hang the program). */
struct watchdog_s
{
  GMutex lock;
  GCond cond;
  bool stop;
  gint64 deadline;    /* g_get_monotonic_time() microseconds */
  struct net_scheduler_s *sched;
  bool fired;
};

static gpointer watchdog_run(gpointer data)
{
  struct watchdog_s *w = data;
  g_mutex_lock(&w->lock);
  while (!w->stop)
    if (!g_cond_wait_until(&w->cond, &w->lock, w->deadline))
      {
        w->fired = true;
        net_scheduler_quit(w->sched);
        break;
      }
  g_mutex_unlock(&w->lock);
  return NULL;
}

int main(int argc, char **argv)
{
  struct options_s o = { .bytes = 1000000, .timeout = 30 };
  if (parse(argc, argv, &o) < 0)
    {
      usage();
      return 2;
    }
  struct example_stack_s st;
  struct net_layer_s *tcp = NULL, *client = NULL, *session = NULL;
  struct echo_client_outcome_s outcome = { 0 };
  static const uint8_t proto_tcp = NET_IPPROTO_TCP;
  int status = EXIT_FAILURE;

  int err = example_stack_open(&st, "tcpclient", &o.common, NULL, NULL, NULL);
  if (err)
    goto out;
  struct net_scheduler_s *sched = st.sched;
  err = net_tcp_create(sched, NULL, &tcp);
  if (!err)
    err = net_layer_bind(st.inet.ipv4, &proto_tcp, tcp);
  if (!err)
    err = echo_client_create(sched, o.bytes, 1400, &outcome, &echo_client_stop_vtable,
                             &client);
  if (!err)
    {
      struct net_tcp_connect_params_s cp = {
        .remote = { .addr = o.server, .port = o.port },
        .app = client,
      };
      err = net_tcp_connect(tcp, &cp, NULL, NULL, &session);
    }
  if (err)
    {
      fprintf(stderr, "tcpclient: cannot build the stack: %s\n", strerror(-err));
      goto out;
    }

  struct watchdog_s dog = {
    .deadline = g_get_monotonic_time() + (gint64)o.timeout * G_USEC_PER_SEC,
    .sched = sched,
  };
  g_mutex_init(&dog.lock);
  g_cond_init(&dog.cond);
  GThread *dog_thread = g_thread_new("watchdog", watchdog_run, &dog);
  net_scheduler_run(sched);   /* until the client's delegate (or the dog) quits */
  g_mutex_lock(&dog.lock);
  dog.stop = true;
  g_cond_signal(&dog.cond);
  g_mutex_unlock(&dog.lock);
  g_thread_join(dog_thread);
  g_mutex_clear(&dog.lock);
  g_cond_clear(&dog.cond);

  const struct echo_client_result_s *r = &outcome.result;
  if (dog.fired && !outcome.done)
    printf("tcpclient: no result after %u s: sent %s\n", o.timeout,
           r->connected_at ? "some" : "nothing (not connected)");
  else
    printf("tcpclient: sent %llu, received %llu, %s, %s%s\n",
           (unsigned long long)r->sent, (unsigned long long)r->received,
           r->first_bad ? "CORRUPTED" : "byte-exact",
           r->err ? "connection failed: " : "connection closed in order",
           r->err ? strerror(-r->err) : "");
  /* CLOSED with err 0 means both FINs were sent and acknowledged. */
  if (outcome.done && !r->err && !r->first_bad && r->sent == o.bytes
      && r->received == o.bytes)
    status = EXIT_SUCCESS;

out:
  if (session)
    net_layer_refdec(session);
  if (client)
    net_layer_refdec(client);
  if (tcp)
    net_layer_refdec(tcp);
  example_stack_close(&st);
  return status;
}
