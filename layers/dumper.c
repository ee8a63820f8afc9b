/* Dumper layer (net/layer/dumper.h): prints one line per packet it
   receives, as a sink or as an Ethernet mirror, and records a pcap. */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include <net/layer/dumper.h>
#include <net/layer/ethernet.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <net/task.h>
#include <glib.h>
#include <string.h>
#include <time.h>


enum dumper_stat_e
{
  DUMP_PACKETS, DUMP_BYTES, DUMP_IN, DUMP_OUT, DUMP_IGNORED,
  DUMP_PCAP_ERRORS, DUMP_OUTPUT_ERRORS, DUMP_STAT_COUNT
};

static const char *const dumper_stat_names[DUMP_STAT_COUNT] = {
  "packets", "bytes", "in", "out", "ignored", "pcap_errors", "output_errors",
};

struct dumper_s
{
  struct net_layer_s layer;
  FILE *out;
  struct net_pcap_writer_s *pcap;
  enum net_dump_link_e link;
  unsigned flags;
  bool pcap_flush;
  bool done;
  uint64_t max_packets;
  /* Added to scheduler time to get wall-clock time (0 with
     NET_DUMP_SCHED_TIME). */
  net_time_t wall_offset;
  char *hex;              /* hex dump text, grown as needed */
  size_t hex_size;
  _Atomic uint64_t stats[DUMP_STAT_COUNT];
};

static struct dumper_s *dumper_of(struct net_layer_s *layer)
{
  return net_container_of(layer, struct dumper_s, layer);
}

static const struct dumper_s *dumper_of_const(const struct net_layer_s *layer)
{
  return net_container_of(layer, const struct dumper_s, layer);
}

/* Single writer (the handler), any reader: see ethernet.c. */
static void stat_add(struct dumper_s *d, enum dumper_stat_e s, uint64_t n)
{
  uint64_t v = atomic_load_explicit(&d->stats[s], memory_order_relaxed);
  atomic_store_explicit(&d->stats[s], v + n, memory_order_relaxed);
}

static void format_time(const struct dumper_s *d, net_time_t t, char out[32])
{
  unsigned usec = (unsigned)(t % NET_NSEC_PER_SEC / NET_NSEC_PER_USEC);
  time_t sec = (time_t)(t / NET_NSEC_PER_SEC);
  struct tm tm;
  if (d->flags & NET_DUMP_SCHED_TIME || !localtime_r(&sec, &tm))
    snprintf(out, 32, "%llu.%06u", (unsigned long long)sec, usec);
  else
    snprintf(out, 32, "%02d:%02d:%02d.%06u", tm.tm_hour, tm.tm_min,
             tm.tm_sec, usec);
}

static void print_packet(struct dumper_s *d, net_time_t t, const char *dir,
                         enum net_dump_link_e link, const uint8_t *data,
                         size_t len)
{
  char ts[32], line[1024];
  format_time(d, t, ts);
  net_dump_summary(line, sizeof line, link, data, len, d->flags);
  int err = fprintf(d->out, "%s %s%s\n", ts, dir, line) < 0;
  if (d->flags & NET_DUMP_HEX)
    {
      size_t need = net_dump_hex(NULL, 0, data, len) + 1;
      if (need > d->hex_size)
        {
          d->hex_size = need;
          d->hex = g_realloc(d->hex, need);
        }
      net_dump_hex(d->hex, d->hex_size, data, len);
      err |= fputs(d->hex, d->out) < 0;
    }
  if (err)
    stat_add(d, DUMP_OUTPUT_ERRORS, 1);
}

static void dump(struct dumper_s *d, net_time_t t, int dir,
                 enum net_dump_link_e link, const uint8_t *data, size_t len)
{
  if (d->done)
    {
      stat_add(d, DUMP_IGNORED, 1);
      return;
    }
  stat_add(d, DUMP_PACKETS, 1);
  stat_add(d, DUMP_BYTES, len);
  if (dir >= 0)
    stat_add(d, dir == NET_ETHERNET_DIR_IN ? DUMP_IN : DUMP_OUT, 1);
  net_time_t wall = t + d->wall_offset;
  if (d->out)
    print_packet(d, wall, dir < 0 ? "" : dir == NET_ETHERNET_DIR_IN ? "In  " : "Out ",
                 link, data, len);
  if (d->pcap && (net_pcap_write(d->pcap, wall, data, len) < 0
                  || (d->pcap_flush && net_pcap_flush(d->pcap) < 0)))
    stat_add(d, DUMP_PCAP_ERRORS, 1);
  uint64_t n = atomic_load_explicit(&d->stats[DUMP_PACKETS], memory_order_relaxed);
  if (d->max_packets && n >= d->max_packets)
    {
      d->done = true;
      if (d->pcap)
        net_pcap_flush(d->pcap);
      if (d->out)
        fflush(d->out);
      const struct net_dumper_delegate_vtable_s *vt =
        (const struct net_dumper_delegate_vtable_s *)d->layer.delegate_vtable;
      if (vt && vt->done)
        vt->done(d->layer.delegate, &d->layer);
    }
}

static void dumper_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct dumper_s *d = dumper_of(layer);
  const struct net_ethernet_mirror_task_s *mt = net_ethernet_mirror_task(task);
  if (mt && mt->task.packet.buffer)
    dump(d, task->packet.timestamp, (int)mt->direction, NET_DUMP_LINK_ETHERNET,
         net_ethernet_mirror_frame(mt), mt->length);
  else if ((task->type == NET_TASK_INBOUND || task->type == NET_TASK_OUTBOUND)
           && task->packet.buffer)
    {
      net_time_t t = task->packet.timestamp ? task->packet.timestamp
                     : net_scheduler_time(layer->scheduler);
      dump(d, t, -1, d->link, net_buffer_data(task->packet.buffer),
           net_buffer_len(task->packet.buffer));
    }
  net_task_destroy(task);
}

static size_t dumper_stats(const struct net_layer_s *layer,
                           struct net_stat_s *out, size_t max)
{
  const struct dumper_s *d = dumper_of_const(layer);
  for (size_t i = 0; i < DUMP_STAT_COUNT && i < max; i++)
    {
      out[i].name = dumper_stat_names[i];
      out[i].value = atomic_load_explicit(&d->stats[i], memory_order_relaxed);
    }
  return DUMP_STAT_COUNT;
}

static void dumper_destroyed(struct net_layer_s *layer)
{
  struct dumper_s *d = dumper_of(layer);
  if (d->pcap && net_pcap_close(d->pcap) < 0)
    g_warning("dumper: error closing the pcap file");
  if (d->out)
    fflush(d->out);
  g_free(d->hex);
  g_free(d);
}

static const struct net_layer_handler_s dumper_handler = {
  .type_name = "dumper",
  .destroyed = dumper_destroyed,
  .task_handle = dumper_task_handle,
  .stats = dumper_stats,
};

uint64_t net_dumper_count(const struct net_layer_s *dumper)
{
  g_return_val_if_fail(dumper && dumper->handler == &dumper_handler, 0);
  return atomic_load_explicit(&dumper_of_const(dumper)->stats[DUMP_PACKETS],
                              memory_order_relaxed);
}

int net_dumper_create(struct net_scheduler_s *sched,
                      const struct net_dumper_params_s *params,
                      void *delegate,
                      const struct net_dumper_delegate_vtable_s *vtable,
                      struct net_layer_s **layer)
{
  if (!layer)
    return -EINVAL;
  *layer = NULL;
  if (!sched || !params || params->link > NET_DUMP_LINK_RAW)
    return -EINVAL;
  struct dumper_s *d = g_new0(struct dumper_s, 1);
  if (params->pcap_path)
    {
      int err = net_pcap_open(params->pcap_path, NULL, params->link,
                              params->snaplen, &d->pcap);
      if (err < 0)
        {
          g_free(d);
          return err;
        }
    }
  int err = net_layer_init(&d->layer, &dumper_handler, sched, delegate,
                           vtable ? &vtable->base : NULL);
  if (err < 0)
    {
      net_pcap_close(d->pcap);
      g_free(d);
      return err;
    }
  d->out = params->out;
  d->link = params->link;
  d->flags = params->flags;
  d->pcap_flush = params->pcap_flush;
  d->max_packets = params->max_packets;
  for (unsigned i = 0; i < DUMP_STAT_COUNT; i++)
    atomic_init(&d->stats[i], 0);
  if (!(d->flags & NET_DUMP_SCHED_TIME))
    d->wall_offset = (net_time_t)g_get_real_time() * NET_NSEC_PER_USEC
                     - net_scheduler_time(sched);
  *layer = &d->layer;
  return 0;
}
