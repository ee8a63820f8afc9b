/*
 * File descriptor watches shared by the scheduler backends.
 *
 * A watch turns readiness into a NOTIFICATION task (NET_OP_FD_READY) for
 * its layer.  The notification task is embedded in the watch, so
 * readiness never fails for lack of memory; while it is in flight, further
 * readiness is remembered and notified again once the layer destroys the
 * task.  The watch lives until the handle is unwatched AND no notification
 * is in flight (and the backend dropped what it holds), counted in refs.
 */
#ifndef NET_FD_WATCH_H_
#define NET_FD_WATCH_H_

#include "scheduler_private.h"

#pragma GCC visibility push(hidden)

struct net_fd_watch_s
{
  struct net_scheduler_s *sched;
  struct net_layer_s *layer;
  int fd;
  GIOCondition events;
  atomic_uint refs;
  atomic_uint lock;       /* spinlock over the three fields below */
  bool in_flight;
  bool dead;              /* unwatched: never notify again */
  GIOCondition pending;   /* readiness seen while in flight */
  struct net_task_s task; /* the notification */

  /* Backend fields. */
  void *tag;  /* loop: g_source_add_unix_fd() tag; threaded: non-NULL while polled */
  GIOCondition revents;            /* loop: readiness being dispatched */
  bool paused;                     /* loop: notified, not rearmed yet */
  GIOCondition polled;             /* loop: the events GLib polls for */
  struct net_fd_watch_s *next;     /* backend list */
  struct net_fd_watch_s *prev;
  struct net_fd_watch_s *ready_next;  /* being notified */
  struct net_fd_watch_s *grave_next;  /* threaded: unwatched, not freed yet */
};

/* A new watch with one reference (the handle), or NULL. */
struct net_fd_watch_s *net_fd_watch_new(struct net_scheduler_s *sched,
                                        struct net_layer_s *layer, int fd,
                                        GIOCondition events);
void net_fd_watch_ref(struct net_fd_watch_s *watch);
void net_fd_watch_unref(struct net_fd_watch_s *watch);

/* Readiness @p revents: push (or remember) a notification. */
void net_fd_watch_notify(struct net_fd_watch_s *watch, GIOCondition revents);

/* The handle is gone (backend already stopped polling the fd): cancel a
   queued notification and drop the handle reference. */
void net_fd_watch_kill(struct net_fd_watch_s *watch);

#pragma GCC visibility pop

#endif
