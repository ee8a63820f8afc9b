/* ICMP layer (net/layer/icmp.h): echo, received errors, rate-limited
   error generation (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3.2.8 quoting). */
#include <config.h>
#define G_LOG_DOMAIN "libnetwork"
#include <net/layer/icmp.h>
#include <net/layer/ipv4.h>
#include <net/buffer.h>
#include <net/checksum.h>
#include <net/scheduler.h>
#include <glib.h>
#include <string.h>
#include "inet_util.h"


/* An error quotes as much of the offending datagram as fits in 576 bytes
   (RFC 1812 4.3.2.3), at least its header and 8 bytes (RFC 792). */
#define ICMP_QUOTE_MAX (576 - NET_IPV4_HEADER_LEN - NET_ICMP_HEADER_LEN)

#define ICMP_STATS(X)                                                       \
  X(RX_PACKETS, "rx_packets")                                               \
  X(RX_ECHO_REQUESTS, "rx_echo_requests")                                   \
  X(RX_ECHO_REPLIES, "rx_echo_replies")                                     \
  X(RX_ERRORS, "rx_errors")                                                 \
  X(RX_IGNORED, "rx_ignored")                                               \
  X(TX_ECHO_REPLIES, "tx_echo_replies")                                     \
  X(TX_ERRORS, "tx_errors")                                                 \
  X(DROP_TRUNCATED, "drop_truncated")                                       \
  X(DROP_BAD_CHECKSUM, "drop_bad_checksum")                                 \
  X(DROP_BAD_QUOTE, "drop_bad_quote")                                       \
  X(DROP_ECHO_BROADCAST, "drop_echo_broadcast")                             \
  X(DROP_ECHO_DISABLED, "drop_echo_disabled")                               \
  X(DROP_NOMEM, "drop_nomem")                                               \
  X(DROP_BAD_TASK, "drop_bad_task")                                         \
  X(ERR_SUPPRESSED_ICMP, "err_suppressed_icmp_error")                       \
  X(ERR_SUPPRESSED_BCAST, "err_suppressed_broadcast")                       \
  X(ERR_SUPPRESSED_FRAG, "err_suppressed_fragment")                         \
  X(ERR_SUPPRESSED_SRC, "err_suppressed_source")                            \
  X(ERR_RATE_LIMITED, "err_rate_limited")

enum icmp_stat_e
{
#define X(id, name) ICMP_##id,
  ICMP_STATS(X)
#undef X
  ICMP_STAT_COUNT
};

static const char *const icmp_stat_names[ICMP_STAT_COUNT] = {
#define X(id, name) name,
  ICMP_STATS(X)
#undef X
};

struct icmp_s
{
  struct net_layer_s layer;
  struct net_icmp_config_s cfg;
  /* Token bucket in nanotokens: one token = NET_NSEC_PER_SEC units, the
     bucket gains error_rate units per nanosecond. */
  uint64_t tokens;
  net_time_t refill_time;
  uint64_t stats[ICMP_STAT_COUNT];
};

static struct icmp_s *icmp_from_layer(const struct net_layer_s *layer)
{
  return net_container_of(layer, struct icmp_s, layer);
}

static void icmp_drop(struct icmp_s *icmp, struct net_task_s *task,
                      enum icmp_stat_e reason)
{
  icmp->stats[reason]++;
  net_task_destroy(task);
}

/* True for the types that are errors (not queries): never answered with
   an error themselves (RFC 1122 3.2.2). */
static bool icmp_type_is_error(uint8_t type)
{
  return type == NET_ICMP_DEST_UNREACH || type == NET_ICMP_SOURCE_QUENCH
    || type == NET_ICMP_REDIRECT || type == NET_ICMP_TIME_EXCEEDED
    || type == NET_ICMP_PARAM_PROBLEM
    || (type != NET_ICMP_ECHO_REPLY && type != NET_ICMP_ECHO_REQUEST
        && !(type >= 13 && type <= 18));   /* unknown types: assume error */
}

static bool icmp_rate_allow(struct icmp_s *icmp)
{
  net_time_t now = net_scheduler_time(icmp->layer.scheduler);
  uint64_t cap = (uint64_t)icmp->cfg.error_burst * NET_NSEC_PER_SEC;
  uint64_t elapsed = now - icmp->refill_time;
  icmp->refill_time = now;
  if (elapsed >= cap / icmp->cfg.error_rate)
    icmp->tokens = cap;
  else
    icmp->tokens = MIN(cap, icmp->tokens + elapsed * icmp->cfg.error_rate);
  if (icmp->tokens < NET_NSEC_PER_SEC)
    return false;
  icmp->tokens -= NET_NSEC_PER_SEC;
  return true;
}

/* Send @p buf down to IPv4; @p task (a delivered task whose buffer was
   taken, or NULL) is reused rather than a new one allocated. */
static void icmp_send(struct icmp_s *icmp, struct net_task_s *task,
                      struct net_buffer_s *buf, uint32_t src, uint32_t dst)
{
  struct net_layer_s *parent = net_layer_parent(&icmp->layer);
  if (!task)
    task = inet_task_alloc(&icmp->layer);
  if (!task || !parent)
    {
      if (task)
        net_task_destroy(task);
      net_buffer_refdec(buf);
      icmp->stats[ICMP_DROP_NOMEM]++;
      return;
    }
  struct net_addr_s s = {.ipv4 = src, .valid = src ? NET_ADDR_IPV4 : 0};
  struct net_addr_s d = {.ipv4 = dst, .valid = NET_ADDR_IPV4};
  net_task_outbound_push(task, parent, &icmp->layer, &s, &d, buf);
}

static void icmp_echo(struct icmp_s *icmp, struct net_task_s *task)
{
  const struct net_addr_s *dst = &task->packet.dst;
  if (icmp->cfg.no_echo)
    {
      icmp_drop(icmp, task, ICMP_DROP_ECHO_DISABLED);
      return;
    }
  /* Like Linux's icmp_echo_ignore_broadcasts: no smurf amplifier. */
  if (dst->valid & NET_IPV4_ADDR_BROADCAST)
    {
      icmp_drop(icmp, task, ICMP_DROP_ECHO_BROADCAST);
      return;
    }
  if (net_buffer_make_writable(&task->packet.buffer))
    {
      icmp_drop(icmp, task, ICMP_DROP_NOMEM);
      return;
    }
  /* The request becomes the reply in place: only the type changes, so
     the checksum is patched (RFC 1624), the payload is not touched. */
  uint8_t *p = net_buffer_data(task->packet.buffer);
  uint16_t csum;
  memcpy(&csum, p + 2, 2);
  uint16_t old_word, new_word;
  memcpy(&old_word, p, 2);
  p[0] = NET_ICMP_ECHO_REPLY;
  memcpy(&new_word, p, 2);
  csum = inet_csum_update16(csum, old_word, new_word);
  memcpy(p + 2, &csum, 2);
  task->packet.buffer->offload_flags = 0;   /* a new packet, complete */
  uint32_t peer = task->packet.src.ipv4, us = dst->ipv4;
  icmp->stats[ICMP_TX_ECHO_REPLIES]++;
  icmp_send(icmp, task, net_task_packet_steal_buffer(task), us, peer);
}

static int icmp_errno(uint8_t type, uint8_t code)
{
  if (type == NET_ICMP_TIME_EXCEEDED)
    return -EHOSTUNREACH;
  if (type == NET_ICMP_PARAM_PROBLEM)
    return -EPROTO;
  switch (code)   /* NET_ICMP_DEST_UNREACH, as Linux's icmp_err_convert */
    {
    case NET_ICMP_NET_UNREACH:
    case 6:   /* destination network unknown */
    case 11:  /* network unreachable for TOS */
      return -ENETUNREACH;
    case NET_ICMP_PROT_UNREACH:
      return -ENOPROTOOPT;
    case NET_ICMP_PORT_UNREACH:
      return -ECONNREFUSED;
    case NET_ICMP_FRAG_NEEDED:
      return -EMSGSIZE;
    case 5:   /* source route failed */
      return -EOPNOTSUPP;
    case 7:   /* destination host unknown */
      return -EHOSTDOWN;
    case 9:
    case 10:
    case 13:  /* administratively prohibited */
      return -EACCES;
    default:
      return -EHOSTUNREACH;
    }
}

/* An error about something we sent: check the quote, let IPv4 find the
   transport it concerns. */
static void icmp_error_input(struct icmp_s *icmp, struct net_task_s *task)
{
  struct net_buffer_s *buf = task->packet.buffer;
  const uint8_t *p = net_buffer_data(buf);
  size_t len = net_buffer_len(buf);
  const uint8_t *q = p + NET_ICMP_HEADER_LEN;
  size_t qlen = len - NET_ICMP_HEADER_LEN;
  size_t qhlen = qlen >= NET_IPV4_HEADER_LEN ? (size_t)(q[0] & 0x0f) * 4 : 0;
  if (qlen < NET_IPV4_HEADER_LEN || q[0] >> 4 != 4 || qhlen < NET_IPV4_HEADER_LEN
      || qlen < qhlen + 8 || (inet_rd16(q + 6) & 0x1fff) != 0)
    {
      /* The quote must hold a first fragment's header and 8 bytes of
         transport header, or we cannot tell whom it concerns. */
      icmp_drop(icmp, task, ICMP_DROP_BAD_QUOTE);
      return;
    }
  icmp->stats[ICMP_RX_ERRORS]++;
  struct net_ipv4_error_s *e = net_ipv4_error_alloc();
  if (!e)
    {
      icmp_drop(icmp, task, ICMP_DROP_NOMEM);
      return;
    }
  e->icmp_type = p[0];
  e->icmp_code = p[1];
  e->reporter = task->packet.src.ipv4;
  if (p[0] == NET_ICMP_DEST_UNREACH && p[1] == NET_ICMP_FRAG_NEEDED)
    e->mtu = inet_rd16(p + 6);   /* RFC 1191 next-hop MTU */
  e->src = inet_rd32(q + 12);
  e->dst = inet_rd32(q + 16);
  e->protocol = q[9];
  e->quote_len = (uint8_t)MIN(qlen - qhlen, sizeof e->quote);
  memcpy(e->quote, q + qhlen, e->quote_len);
  int err = icmp_errno(p[0], p[1]);
  net_task_destroy(task);
  struct net_layer_s *parent = net_layer_parent(&icmp->layer);
  if (!parent)
    {
      net_task_destroy(&e->task);
      return;
    }
  net_task_notification_push(&e->task, parent, &icmp->layer,
                             NET_IPV4_OP_ERROR, err, 0);
}

static void icmp_input(struct icmp_s *icmp, struct net_task_s *task)
{
  struct net_buffer_s *buf = task->packet.buffer;
  icmp->stats[ICMP_RX_PACKETS]++;
  if (!buf)
    {
      icmp_drop(icmp, task, ICMP_DROP_BAD_TASK);
      return;
    }
  size_t len = net_buffer_len(buf);
  if (len < NET_ICMP_HEADER_LEN)
    {
      icmp_drop(icmp, task, ICMP_DROP_TRUNCATED);
      return;
    }
  if (!(buf->offload_flags & (NET_BUFFER_CSUM_VALID | NET_BUFFER_CSUM_PARTIAL))
      && net_csum(net_buffer_data(buf), len) != 0)
    {
      icmp_drop(icmp, task, ICMP_DROP_BAD_CHECKSUM);
      return;
    }
  uint8_t type = net_buffer_data(buf)[0];
  switch (type)
    {
    case NET_ICMP_ECHO_REQUEST:
      icmp->stats[ICMP_RX_ECHO_REQUESTS]++;
      icmp_echo(icmp, task);
      return;
    case NET_ICMP_ECHO_REPLY:
      icmp_drop(icmp, task, ICMP_RX_ECHO_REPLIES);
      return;
    case NET_ICMP_DEST_UNREACH:
    case NET_ICMP_TIME_EXCEEDED:
    case NET_ICMP_PARAM_PROBLEM:
      icmp_error_input(icmp, task);
      return;
    default:
      /* Redirects (a host keeps its routes, RFC 1122 allows ignoring
         them when unauthenticated), source quench (RFC 6633), others. */
      icmp_drop(icmp, task, ICMP_RX_IGNORED);
      return;
    }
}

/* Build and send the error IPv4 asked for, unless RFC 1122 3.2.2 forbids
   it or the rate limit says no. */
static void icmp_error_output(struct icmp_s *icmp, struct net_task_s *task)
{
  struct net_ipv4_icmp_request_s *r =
    net_container_of(task, struct net_ipv4_icmp_request_s, task);
  struct net_buffer_s *orig = r->buffer;
  size_t len = orig ? net_buffer_len(orig) : 0;
  const uint8_t *h = orig ? net_buffer_data(orig) : NULL;
  size_t hlen = len >= NET_IPV4_HEADER_LEN ? (size_t)(h[0] & 0x0f) * 4 : 0;
  if (hlen < NET_IPV4_HEADER_LEN || hlen > len)
    {
      icmp_drop(icmp, task, ICMP_DROP_BAD_TASK);
      return;
    }
  uint32_t src = inet_rd32(h + 12), dst = inet_rd32(h + 16);
  if (r->broadcast || net_ipv4_is_special(dst))
    {
      icmp_drop(icmp, task, ICMP_ERR_SUPPRESSED_BCAST);
      return;
    }
  if (inet_rd16(h + 6) & 0x1fff)
    {
      icmp_drop(icmp, task, ICMP_ERR_SUPPRESSED_FRAG);
      return;
    }
  if (net_ipv4_is_special(src) || (src >> 24) == 127 || (src >> 28) == 0xf)
    {
      icmp_drop(icmp, task, ICMP_ERR_SUPPRESSED_SRC);
      return;
    }
  if (h[9] == NET_IPPROTO_ICMP
      && (len <= hlen || icmp_type_is_error(h[hlen])))
    {
      icmp_drop(icmp, task, ICMP_ERR_SUPPRESSED_ICMP);
      return;
    }
  if (!icmp_rate_allow(icmp))
    {
      icmp_drop(icmp, task, ICMP_ERR_RATE_LIMITED);
      return;
    }
  size_t quote = MIN(len, (size_t)ICMP_QUOTE_MAX);
  struct net_buffer_s *buf = net_layer_buffer_alloc(&icmp->layer,
                                                    NET_ICMP_HEADER_LEN + quote);
  uint8_t *p = buf ? net_buffer_put(buf, NET_ICMP_HEADER_LEN + quote) : NULL;
  if (!p)
    {
      if (buf)
        net_buffer_refdec(buf);
      icmp_drop(icmp, task, ICMP_DROP_NOMEM);
      return;
    }
  p[0] = r->type;
  p[1] = r->code;
  p[2] = p[3] = 0;
  if (r->type == NET_ICMP_PARAM_PROBLEM)
    inet_wr32(p + 4, r->info << 24);   /* pointer in the first byte */
  else
    inet_wr32(p + 4, r->info & 0xffff);   /* next-hop MTU, or unused */
  memcpy(p + NET_ICMP_HEADER_LEN, h, quote);
  uint16_t csum = net_csum(p, NET_ICMP_HEADER_LEN + quote);
  memcpy(p + 2, &csum, 2);
  net_task_destroy(task);
  icmp->stats[ICMP_TX_ERRORS]++;
  /* The offending datagram was addressed to us: answer from there. */
  icmp_send(icmp, NULL, buf, dst, src);
}

static void icmp_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct icmp_s *icmp = icmp_from_layer(layer);
  switch (task->type)
    {
    case NET_TASK_INBOUND:
      icmp_input(icmp, task);
      return;
    case NET_TASK_NOTIFICATION:
      if (task->notification.opcode == NET_IPV4_OP_ICMP_REQUEST
          && task->source == net_layer_parent(layer))
        {
          icmp_error_output(icmp, task);
          return;
        }
      /* NET_IPV4_OP_ERROR about an echo reply or error we sent: nobody to
         tell. */
      net_task_destroy(task);
      return;
    default:
      icmp_drop(icmp, task, ICMP_DROP_BAD_TASK);
      return;
    }
}

static size_t icmp_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                         size_t max)
{
  const struct icmp_s *icmp = icmp_from_layer(layer);
  return inet_stats_copy(icmp_stat_names, icmp->stats, ICMP_STAT_COUNT, out, max);
}

static void icmp_destroyed(struct net_layer_s *layer)
{
  g_free(icmp_from_layer(layer));
}

static const struct net_layer_handler_s icmp_handler = {
  .type_name = "icmp",
  .destroyed = icmp_destroyed,
  .task_handle = icmp_task_handle,
  .stats = icmp_stats,
};

int net_icmp_create(struct net_scheduler_s *sched,
                    const struct net_icmp_config_s *config,
                    struct net_layer_s **layer)
{
  if (!sched || !layer)
    return -EINVAL;
  struct icmp_s *icmp = g_try_new0(struct icmp_s, 1);
  if (!icmp)
    return -ENOMEM;
  if (config)
    icmp->cfg = *config;
  if (!icmp->cfg.error_rate)
    icmp->cfg.error_rate = 100;
  if (!icmp->cfg.error_burst)
    icmp->cfg.error_burst = 50;
  icmp->tokens = (uint64_t)icmp->cfg.error_burst * NET_NSEC_PER_SEC;
  int err = net_layer_init(&icmp->layer, &icmp_handler, sched, NULL, NULL);
  if (err)
    {
      g_free(icmp);
      return err;
    }
  icmp->refill_time = net_scheduler_time(sched);
  *layer = &icmp->layer;
  return 0;
}
