/* A test layer that records what it receives (packets with their
   addresses and times) and sends packets on demand (header-only). */
#ifndef NET_TEST_RECORDER_H_
#define NET_TEST_RECORDER_H_

#include <net/layer.h>
#include <net/task.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <net/layer/ethernet.h>
#include <glib.h>
#include <string.h>

struct rec_packet_s
{
  GByteArray *bytes;
  struct net_addr_s src, dst;
  net_time_t timestamp;
  enum net_task_type_e type;
  int direction;            /* mirror tasks: NET_ETHERNET_DIR_*, else -1 */
};

struct recorder_s
{
  struct net_layer_s layer;
  GArray *packets;          /* struct rec_packet_s */
  unsigned contexts;        /* context_changed calls */
  bool *destroyed_flag;
};

static inline void rec_packet_clear(gpointer p)
{
  g_byte_array_unref(((struct rec_packet_s *)p)->bytes);
}

static void rec_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct recorder_s *r = net_container_of(layer, struct recorder_s, layer);
  if ((task->type == NET_TASK_INBOUND || task->type == NET_TASK_OUTBOUND)
      && task->packet.buffer)
    {
      struct rec_packet_s p = { .src = task->packet.src, .dst = task->packet.dst,
                                .timestamp = task->packet.timestamp,
                                .type = task->type, .direction = -1 };
      const struct net_ethernet_mirror_task_s *mt = net_ethernet_mirror_task(task);
      if (mt)
        {
          p.direction = (int)mt->direction;
          p.bytes = g_byte_array_new();
          g_byte_array_append(p.bytes, net_ethernet_mirror_frame(mt), mt->length);
        }
      else
        {
          p.bytes = g_byte_array_new();
          g_byte_array_append(p.bytes, net_buffer_data(task->packet.buffer),
                              (guint)net_buffer_len(task->packet.buffer));
        }
      g_array_append_val(r->packets, p);
    }
  net_task_destroy(task);
}

static void rec_context_changed(struct net_layer_s *layer)
{
  net_container_of(layer, struct recorder_s, layer)->contexts++;
}

static void rec_destroyed(struct net_layer_s *layer)
{
  struct recorder_s *r = net_container_of(layer, struct recorder_s, layer);
  if (r->destroyed_flag)
    *r->destroyed_flag = true;
  g_array_free(r->packets, TRUE);
  g_free(r);
}

static const struct net_layer_handler_s rec_handler = {
  .type_name = "recorder",
  .destroyed = rec_destroyed,
  .task_handle = rec_task_handle,
  .context_changed = rec_context_changed,
};

static inline struct recorder_s *rec_new(struct net_scheduler_s *sched)
{
  struct recorder_s *r = g_new0(struct recorder_s, 1);
  r->packets = g_array_new(FALSE, TRUE, sizeof(struct rec_packet_s));
  g_array_set_clear_func(r->packets, rec_packet_clear);
  g_assert(net_layer_init(&r->layer, &rec_handler, sched, NULL, NULL) == 0);
  return r;
}

static inline struct rec_packet_s *rec_get(struct recorder_s *r, unsigned i)
{
  g_assert(i < r->packets->len);
  return &g_array_index(r->packets, struct rec_packet_s, i);
}

/* Send @p len bytes of @p data (or a pattern when NULL) to the parent,
   to @p dst_mac, with the headroom the recorder's context asks for. */
static inline int rec_send(struct recorder_s *r, const uint8_t *dst_mac,
                           const void *data, size_t len)
{
  struct net_buffer_s *b = net_layer_buffer_alloc(&r->layer, len);
  if (!b)
    return -ENOMEM;
  uint8_t *p = net_buffer_put(b, len);
  if (data)
    memcpy(p, data, len);
  else
    for (size_t i = 0; i < len; i++)
      p[i] = (uint8_t)i;
  struct net_addr_s dst = { .valid = NET_ADDR_MAC };
  memcpy(dst.mac, dst_mac, NET_MAC_LEN);
  struct net_task_s *t = net_scheduler_task_alloc(r->layer.scheduler);
  if (!t)
    {
      net_buffer_refdec(b);
      return -ENOMEM;
    }
  return net_task_outbound_push(t, net_layer_parent(&r->layer), &r->layer, NULL, &dst, b);
}

/* Value of the counter @p name of @p layer (fails the test if absent). */
static inline uint64_t stat_get(struct net_layer_s *layer, const char *name)
{
  struct net_stat_s s[128];
  size_t n = net_layer_stats(layer, s, G_N_ELEMENTS(s));
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(s); i++)
    if (strcmp(s[i].name, name) == 0)
      return s[i].value;
  g_error("no counter %s in %s", name, net_layer_type_name(layer));
  return 0;
}

#endif
