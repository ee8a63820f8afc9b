/* hello: the smallest libnetwork stack.
 *
 *   loopback          a root layer: what its child sends down comes back up
 *      └── greeter    a leaf: every second a timer makes it send "hello #n"
 *                     down; it prints what comes back and stops after three
 *
 * It runs on a virtual clock, so the three seconds pass at once and the
 * output is the same on every run (tests/examples/hello.sh compares it).
 * Built against an installed libnetwork:
 *   cc -std=gnu11 hello.c $(pkg-config --cflags --libs libnetwork) -o hello
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <net/layer.h>
#include <net/task.h>
#include <net/scheduler.h>
#include <net/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- loopback: turns every packet its child sends around ------------- */

static void loopback_task_handle(struct net_layer_s *self, struct net_task_s *task)
{
  if (task->type != NET_TASK_OUTBOUND || !task->source)
    {
      net_task_destroy(task);
      return;
    }
  /* The same task and buffer go back up to the sender, source and
     destination swapped. */
  struct net_addr_s src = task->packet.dst, dst = task->packet.src;
  struct net_buffer_s *buffer = net_task_packet_steal_buffer(task);
  net_task_inbound_push(task, task->source, self,
                        net_scheduler_time(self->scheduler), &src, &dst, buffer);
}

static void loopback_destroyed(struct net_layer_s *self)
{
  free(self);
}

static const struct net_layer_handler_s loopback_handler = {
  .type_name = "loopback",
  .destroyed = loopback_destroyed,
  .task_handle = loopback_task_handle,
};

static int loopback_create(struct net_scheduler_s *sched, struct net_layer_s **layer)
{
  struct net_layer_s *self = malloc(sizeof(*self));
  if (!self)
    return -ENOMEM;
  int err = net_layer_init(self, &loopback_handler, sched, NULL, NULL);
  if (err)
    free(self);
  else
    *layer = self;
  return err;
}

/* --- greeter: a timer, packets down, packets up ------------------------ */

struct greeter_s
{
  struct net_layer_s layer;   /* first member: the core knows only this */
  unsigned count, sent, received;
};

static void greeter_timeout(struct greeter_s *g, struct net_task_s *timer)
{
  struct net_layer_s *self = &g->layer;
  char text[32];
  int len = snprintf(text, sizeof(text), "hello #%u", ++g->sent);
  /* Headroom for the headers of the layers below: our context's prefix. */
  struct net_buffer_s *buffer = net_layer_buffer_alloc(self, (size_t)len);
  struct net_task_s *task = net_scheduler_task_alloc(self->scheduler);
  struct net_layer_s *parent = net_layer_parent(self);
  if (buffer && task && parent)
    {
      memcpy(net_buffer_put(buffer, (size_t)len), text, (size_t)len);
      printf("t=%.3fs greeter sends \"%s\"\n",
             net_scheduler_time(self->scheduler) / 1e9, text);
      net_task_outbound_push(task, parent, self, NULL, NULL, buffer);
    }
  else
    {
      fprintf(stderr, "greeter: cannot send, stopping\n");
      net_buffer_refdec(buffer);
      if (task)
        net_task_destroy(task);
      net_scheduler_quit(self->scheduler);
    }
  if (g->sent < g->count)  /* the delivered timer is ours: arm it again */
    net_task_timeout_push(timer, self, self, timer->timeout.deadline + NET_NSEC_PER_SEC,
                          0, 0);
  else
    net_task_destroy(timer);
}

static void greeter_task_handle(struct net_layer_s *self, struct net_task_s *task)
{
  struct greeter_s *g = net_container_of(self, struct greeter_s, layer);
  if (task->type == NET_TASK_TIMEOUT)
    {
      greeter_timeout(g, task);
      return;
    }
  if (task->type == NET_TASK_INBOUND && task->packet.buffer)
    {
      struct net_buffer_s *b = task->packet.buffer;
      printf("t=%.3fs greeter got \"%.*s\" back\n",
             net_scheduler_time(self->scheduler) / 1e9, (int)net_buffer_len(b),
             (const char *)net_buffer_data(b));
      if (++g->received == g->count)
        net_scheduler_quit(self->scheduler);
    }
  net_task_destroy(task);
}

static void greeter_destroyed(struct net_layer_s *self)
{
  free(net_container_of(self, struct greeter_s, layer));
}

static const struct net_layer_handler_s greeter_handler = {
  .type_name = "greeter",
  .destroyed = greeter_destroyed,
  .task_handle = greeter_task_handle,
};

static int greeter_create(struct net_scheduler_s *sched, unsigned count,
                          struct net_layer_s **layer)
{
  struct greeter_s *g = calloc(1, sizeof(*g));
  struct net_task_s *timer = net_scheduler_task_alloc(sched);
  int err = g && timer ? net_layer_init(&g->layer, &greeter_handler, sched, NULL, NULL)
                       : -ENOMEM;
  if (!err)
    {
      g->count = count;
      /* First greeting one second from now. */
      err = net_task_timeout_push(timer, &g->layer, &g->layer,
                                  net_scheduler_time(sched) + NET_NSEC_PER_SEC, 0, 0);
      timer = NULL;  /* pushed: destroyed by the push on failure */
      if (err)
        net_layer_refdec(&g->layer);
      else
        *layer = &g->layer;
      return err;
    }
  if (timer)
    net_task_destroy(timer);
  free(g);
  return err;
}

/* --- the stack ---------------------------------------------------------- */

int main(void)
{
  /* A virtual clock: time jumps to the next timer when nothing else runs. */
  struct net_scheduler_options_s options = { .clock = NET_CLOCK_VIRTUAL };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &options);
  struct net_layer_s *wire = NULL, *greeter = NULL;
  int err = sched ? loopback_create(sched, &wire) : -ENOMEM;
  if (!err)
    err = greeter_create(sched, 3, &greeter);
  if (!err)  /* on success the parent takes its own reference on the child */
    err = net_layer_bind(wire, NULL, greeter);
  if (!err)
    net_scheduler_run(sched);  /* until the greeter calls net_scheduler_quit() */
  /* Drop our references (the wire holds one on the greeter while it is
     bound), then destroy the scheduler: it runs what is left, frees all. */
  if (greeter)
    net_layer_refdec(greeter);
  if (wire)
    net_layer_refdec(wire);
  net_scheduler_destroy(sched);
  if (err)
    fprintf(stderr, "hello: %s\n", strerror(-err));
  return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
