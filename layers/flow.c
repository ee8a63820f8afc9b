/* The fast path (net/layer/flow.h): flow requests travelling down the
   tree, and the classifier a link layer hosts (flow_table.h). */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include "flow_table.h"
#include <net/buffer.h>
#include <net/checksum.h>
#include <net/layer/ethernet.h>
#include <net/layer/ipv4.h>
#include <net/scheduler.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

/* ---- requests ------------------------------------------------------- */

static void flow_task_destroy(struct net_task_s *task)
{
  struct net_flow_task_s *ft = net_container_of(task, struct net_flow_task_s, task);
  net_layer_refdec(ft->layer);
  free(ft);
}

static int flow_request(struct net_layer_s *layer, const struct net_flow_key_s *key,
                        uint32_t opcode)
{
  if (!layer || !key)
    return -EINVAL;
  struct net_layer_s *parent = net_layer_parent(layer);
  if (!parent)
    return -ENOTCONN;
  struct net_flow_task_s *ft = malloc(sizeof(*ft));
  if (!ft)
    return -ENOMEM;
  net_task_init(&ft->task, flow_task_destroy);
  ft->key = *key;
  ft->layer = net_layer_refinc(layer);
  return net_task_notification_push(&ft->task, parent, layer, opcode, 0, 0);
}

int net_flow_register(struct net_layer_s *layer, const struct net_flow_key_s *key)
{
  return flow_request(layer, key, NET_FLOW_OP_REGISTER);
}

int net_flow_unregister(struct net_layer_s *layer, const struct net_flow_key_s *key)
{
  return flow_request(layer, key, NET_FLOW_OP_UNREGISTER);
}

int net_flow_activate(struct net_layer_s *link, struct net_layer_s *child,
                      const struct net_flow_task_s *req)
{
  struct net_flow_task_s *ft = malloc(sizeof(*ft));
  if (!ft)
    return -ENOMEM;
  net_task_init(&ft->task, flow_task_destroy);
  ft->key = req->key;
  ft->layer = net_layer_refinc(req->layer);
  return net_task_notification_push(&ft->task, child, link, NET_FLOW_OP_ACTIVE, 0, 0);
}

void net_flow_forward_up(struct net_layer_s *layer, struct net_task_s *task,
                         struct net_layer_s *child)
{
  if (!child)
    {
      net_task_destroy(task);
      return;
    }
  net_task_notification_push(task, child, layer, NET_FLOW_OP_ACTIVE, 0, 0);
}

struct net_flow_task_s *net_flow_task(struct net_task_s *task)
{
  if (!task || task->type != NET_TASK_NOTIFICATION || task->destroy != flow_task_destroy)
    return NULL;
  return net_container_of(task, struct net_flow_task_s, task);
}

void net_flow_forward(struct net_layer_s *layer, struct net_task_s *task)
{
  struct net_layer_s *parent = net_layer_parent(layer);
  if (!parent)
    {
      net_task_destroy(task);
      return;
    }
  net_task_notification_push(task, parent, layer, task->notification.opcode, 0, 0);
}

/* ---- the classifier's table ------------------------------------------ */

struct net_flow_entry_s
{
  struct net_flow_entry_s *next;
  struct net_flow_key_s key;
  struct net_layer_s *layer;    /* referenced */
};

struct net_flow_table_s
{
  struct net_flow_entry_s **buckets;
  size_t mask;
  size_t count;
  uint64_t seed[2];
};

#define FLOW_TABLE_MIN 64

/* Keyed with a random seed: an entry is an established connection, so a
   peer cannot choose many of them, and chains stay short (the table
   doubles when it holds more flows than buckets). */
static size_t flow_hash(const struct net_flow_table_s *t, uint32_t local_addr,
                        uint32_t remote_addr, uint16_t local_port,
                        uint16_t remote_port)
{
  uint64_t a = ((uint64_t)remote_addr << 32 | local_addr) ^ t->seed[0];
  uint64_t b = ((uint64_t)remote_port << 16 | local_port) ^ t->seed[1];
  uint64_t h = a * UINT64_C(0x9e3779b97f4a7c15) ^ b * UINT64_C(0xc2b2ae3d27d4eb4f);
  h ^= h >> 31;
  return (size_t)h & t->mask;
}

static bool key_eq(const struct net_flow_key_s *a, const struct net_flow_key_s *b)
{
  return a->local_addr == b->local_addr && a->remote_addr == b->remote_addr
         && a->local_port == b->local_port && a->remote_port == b->remote_port
         && a->protocol == b->protocol;
}

struct net_flow_table_s *net_flow_table_new(void)
{
  struct net_flow_table_s *t = calloc(1, sizeof(*t));
  if (!t)
    return NULL;
  t->buckets = calloc(FLOW_TABLE_MIN, sizeof(*t->buckets));
  if (!t->buckets)
    {
      free(t);
      return NULL;
    }
  t->mask = FLOW_TABLE_MIN - 1;
  t->seed[0] = (uint64_t)g_random_int() << 32 | g_random_int();
  t->seed[1] = (uint64_t)g_random_int() << 32 | g_random_int();
  return t;
}

void net_flow_table_free(struct net_flow_table_s *t)
{
  if (!t)
    return;
  for (size_t i = 0; i <= t->mask; i++)
    while (t->buckets[i])
      {
        struct net_flow_entry_s *e = t->buckets[i];
        t->buckets[i] = e->next;
        net_layer_refdec(e->layer);
        free(e);
      }
  free(t->buckets);
  free(t);
}

size_t net_flow_table_count(const struct net_flow_table_s *t)
{
  return t ? t->count : 0;
}

static struct net_flow_entry_s **flow_slot(struct net_flow_table_s *t,
                                           const struct net_flow_key_s *k)
{
  struct net_flow_entry_s **pp =
    &t->buckets[flow_hash(t, k->local_addr, k->remote_addr, k->local_port,
                          k->remote_port)];
  while (*pp && !key_eq(&(*pp)->key, k))
    pp = &(*pp)->next;
  return pp;
}

static void flow_grow(struct net_flow_table_s *t)
{
  size_t n = (t->mask + 1) * 2;
  struct net_flow_entry_s **old = t->buckets, **tab = calloc(n, sizeof(*tab));
  if (!tab)
    return;   /* longer chains, still correct */
  size_t old_n = t->mask + 1;
  t->buckets = tab;
  t->mask = n - 1;
  for (size_t i = 0; i < old_n; i++)
    while (old[i])
      {
        struct net_flow_entry_s *e = old[i];
        old[i] = e->next;
        size_t h = flow_hash(t, e->key.local_addr, e->key.remote_addr,
                             e->key.local_port, e->key.remote_port);
        e->next = tab[h];
        tab[h] = e;
      }
  free(old);
}

bool net_flow_table_request(struct net_flow_table_s *t, struct net_flow_task_s *ft)
{
  uint32_t op = ft->task.notification.opcode;
  if (op != NET_FLOW_OP_REGISTER && op != NET_FLOW_OP_UNREGISTER)
    return false;
  struct net_flow_entry_s **pp = flow_slot(t, &ft->key);
  struct net_flow_entry_s *e = *pp;
  if (op == NET_FLOW_OP_UNREGISTER)
    {
      /* Only the registered layer withdraws (a newer one may own it). */
      if (e && e->layer == ft->layer)
        {
          *pp = e->next;
          t->count--;
          net_layer_refdec(e->layer);
          free(e);
        }
      return false;
    }
  if (e)
    {
      net_layer_refdec(e->layer);
      e->layer = net_layer_refinc(ft->layer);
      return true;
    }
  if (ft->key.protocol != NET_IPPROTO_TCP)
    return false;
  e = malloc(sizeof(*e));
  if (!e)
    return false;   /* no fast path for this flow: the slow one works */
  e->key = ft->key;
  e->layer = net_layer_refinc(ft->layer);
  e->next = *pp;
  *pp = e;
  if (++t->count > t->mask + 1)
    flow_grow(t);
  return true;
}

static inline uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t rd16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

enum
{
  TCP_FIN = 0x01,
  TCP_SYN = 0x02,
  TCP_RST = 0x04,
};

struct net_layer_s *net_flow_classify(const struct net_flow_table_s *t,
                                      struct net_buffer_s *frame,
                                      struct net_addr_s *src,
                                      struct net_addr_s *dst)
{
  size_t len = net_buffer_len(frame);
  if (len < NET_ETHERNET_HEADER_LEN + NET_IPV4_HEADER_LEN + 20)
    return NULL;
  const uint8_t *eth = net_buffer_data(frame);
  const uint8_t *ip = eth + NET_ETHERNET_HEADER_LEN;
  /* Version 4 without options, TCP, not a fragment (DF allowed). */
  if (ip[0] != 0x45 || ip[9] != NET_IPPROTO_TCP || (ip[6] & 0xbf) || ip[7])
    return NULL;
  size_t total = rd16(ip + 2);
  const uint8_t *tcp = ip + NET_IPV4_HEADER_LEN;
  size_t doff = (size_t)(tcp[12] >> 4) * 4;
  if (total > len - NET_ETHERNET_HEADER_LEN || doff < 20
      || doff > total - NET_IPV4_HEADER_LEN || (tcp[13] & (TCP_SYN | TCP_FIN | TCP_RST)))
    return NULL;
  uint32_t remote_addr = rd32(ip + 12), local_addr = rd32(ip + 16);
  uint16_t remote_port = rd16(tcp), local_port = rd16(tcp + 2);
  const struct net_flow_entry_s *e =
    t->buckets[flow_hash(t, local_addr, remote_addr, local_port, remote_port)];
  for (; e; e = e->next)
    if (e->key.local_addr == local_addr && e->key.remote_addr == remote_addr
        && e->key.local_port == local_port && e->key.remote_port == remote_port)
      break;
  /* The header checksum last: only frames that would take the fast path
     pay for it. */
  if (!e || net_csum(ip, NET_IPV4_HEADER_LEN) != 0)
    return NULL;

  *src = (struct net_addr_s){
    .ipv4 = remote_addr, .protocol = NET_IPPROTO_TCP,
    .valid = NET_ADDR_MAC | NET_ADDR_IPV4 | NET_ADDR_PROTOCOL,
  };
  *dst = *src;
  dst->ipv4 = local_addr;
  memcpy(dst->mac, eth, NET_MAC_LEN);
  memcpy(src->mac, eth + NET_MAC_LEN, NET_MAC_LEN);
  net_buffer_trim(frame, NET_ETHERNET_HEADER_LEN + total);   /* link padding */
  net_buffer_pull(frame, NET_ETHERNET_HEADER_LEN + NET_IPV4_HEADER_LEN);
  return e->layer;
}
