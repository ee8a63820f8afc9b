/* IPv4 layer (net/layer/ipv4.h): the layer object, its configuration,
   its children and the error plumbing between ICMP and transports.
   Packet paths are in ipv4_input.c, ipv4_output.c, ipv4_neigh.c and
   ipv4_reasm.c. */
#include <config.h>
#define G_LOG_DOMAIN "libnetwork"
#include "ipv4_private.h"
#include <net/layer/flow.h>
#include <net/layer/icmp.h>
#include <string.h>


static const char *const ipv4_stat_names[IPV4_STAT_COUNT] = {
#define X(id, name) name,
  IPV4_STATS(X)
#undef X
};

/* Configuration change carried to the layer's own handler so that it is
   applied in scheduler context, serialised with packet handling. */
struct ipv4_ctl_s
{
  struct net_task_s task;
  enum { CTL_ADDR_ADD, CTL_ADDR_DEL, CTL_GATEWAY } op;
  uint32_t addr;
  uint8_t prefix_len;
};

static const struct net_layer_handler_s ipv4_handler;

bool ipv4_is_local(const struct ipv4_s *ip, uint32_t addr)
{
  for (unsigned i = 0; i < ip->addr_count; i++)
    if (ip->addrs[i].addr == addr)
      return true;
  return false;
}

bool ipv4_is_broadcast(const struct ipv4_s *ip, uint32_t addr)
{
  if (addr == UINT32_MAX)
    return true;
  for (unsigned i = 0; i < ip->addr_count; i++)
    {
      /* /31 and /32 have no broadcast address (RFC 3021). */
      if (ip->addrs[i].prefix_len >= 31)
        continue;
      uint32_t mask = net_ipv4_mask(ip->addrs[i].prefix_len);
      if (addr == (ip->addrs[i].addr | ~mask))
        return true;
    }
  return false;
}

uint32_t ipv4_primary(const struct ipv4_s *ip)
{
  return ip->addr_count ? ip->addrs[0].addr : 0;
}

int ipv4_child_protocol(const struct ipv4_s *ip,
                        const struct net_layer_s *child)
{
  /* Our own map, not the child's context: that one is rewritten in the
     child's context, possibly on another worker. */
  if (child == ip->last_child)
    return ip->last_protocol;
  gpointer v = g_hash_table_lookup(ip->child_protocols, child);
  if (!v)
    return -1;
  /* A cache in a const lookup: IPv4's own state, its handler only. */
  struct ipv4_s *w = (struct ipv4_s *)ip;
  w->last_child = child;
  w->last_protocol = GPOINTER_TO_INT(v) - 1;
  return w->last_protocol;
}

static void ipv4_resolver_notify(struct ipv4_s *ip, uint32_t opcode,
                                 uint32_t addr)
{
  if (!ip->resolver)
    return;
  struct net_task_s *task = inet_task_alloc(&ip->layer);
  if (!task)
    {
      g_warning("ipv4: cannot tell ARP about an address change (no task)");
      return;
    }
  net_task_notification_push(task, ip->resolver, &ip->layer, opcode, 0, addr);
}

static bool ipv4_valid_ifaddr(uint32_t addr, unsigned prefix_len)
{
  return addr != 0 && prefix_len <= 32 && !net_ipv4_is_special(addr)
    && (addr >> 24) != 127;
}

/* Add or update an address; false when the table is full. */
static bool ipv4_addr_set(struct ipv4_s *ip, uint32_t addr, uint8_t prefix_len)
{
  for (unsigned i = 0; i < ip->addr_count; i++)
    if (ip->addrs[i].addr == addr)
      {
        ip->addrs[i].prefix_len = prefix_len;
        return true;
      }
  if (ip->addr_count == NET_IPV4_MAX_ADDRS)
    return false;
  ip->addrs[ip->addr_count].addr = addr;
  ip->addrs[ip->addr_count].prefix_len = prefix_len;
  ip->addr_count++;
  return true;
}

static void ipv4_control(struct ipv4_s *ip, struct ipv4_ctl_s *ctl)
{
  char text[16];
  switch (ctl->op)
    {
    case CTL_ADDR_ADD:
      if (!ipv4_addr_set(ip, ctl->addr, ctl->prefix_len))
        {
          ipv4_count(ip, IPV4_CONFIG_ERRORS);
          g_warning("ipv4: address table full, %s not added",
                    net_ipv4_format(ctl->addr, text));
          return;
        }
      ipv4_resolver_notify(ip, NET_ARP_OP_ADDR_ADD, ctl->addr);
      break;
    case CTL_ADDR_DEL:
      for (unsigned i = 0; i < ip->addr_count; i++)
        if (ip->addrs[i].addr == ctl->addr)
          {
            memmove(&ip->addrs[i], &ip->addrs[i + 1],
                    (ip->addr_count - i - 1) * sizeof ip->addrs[0]);
            ip->addr_count--;
            ipv4_resolver_notify(ip, NET_ARP_OP_ADDR_DEL, ctl->addr);
            break;
          }
      break;
    case CTL_GATEWAY:
      ip->gateway = ctl->addr;
      return;
    }
  net_layer_context_changed(&ip->layer);
}

static void ipv4_ctl_free(struct net_task_s *task)
{
  g_free(net_container_of(task, struct ipv4_ctl_s, task));
}

static int ipv4_ctl_push(struct net_layer_s *layer, int op, uint32_t addr,
                         uint8_t prefix_len)
{
  if (!layer || layer->handler != &ipv4_handler)
    return -EINVAL;
  struct ipv4_ctl_s *ctl = g_try_new0(struct ipv4_ctl_s, 1);
  if (!ctl)
    return -ENOMEM;
  net_task_init(&ctl->task, ipv4_ctl_free);
  ctl->op = op;
  ctl->addr = addr;
  ctl->prefix_len = prefix_len;
  return net_task_notification_push(&ctl->task, layer, layer,
                                    NET_IPV4_OP_CONTROL, 0, 0);
}

int net_ipv4_addr_add(struct net_layer_s *layer, uint32_t addr,
                      unsigned prefix_len)
{
  if (!ipv4_valid_ifaddr(addr, prefix_len))
    return -EINVAL;
  return ipv4_ctl_push(layer, CTL_ADDR_ADD, addr, (uint8_t)prefix_len);
}

int net_ipv4_addr_del(struct net_layer_s *layer, uint32_t addr)
{
  return ipv4_ctl_push(layer, CTL_ADDR_DEL, addr, 0);
}

int net_ipv4_gateway_set(struct net_layer_s *layer, uint32_t gateway)
{
  if (gateway != 0 && net_ipv4_is_special(gateway))
    return -EINVAL;
  return ipv4_ctl_push(layer, CTL_GATEWAY, gateway, 0);
}

/* ---- errors --------------------------------------------------------- */

static void ipv4_error_free(struct net_task_s *task)
{
  g_free(net_container_of(task, struct net_ipv4_error_s, task));
}

struct net_ipv4_error_s *net_ipv4_error_alloc(void)
{
  struct net_ipv4_error_s *e = g_try_new0(struct net_ipv4_error_s, 1);
  if (e)
    net_task_init(&e->task, ipv4_error_free);
  return e;
}

static void ipv4_error_push(struct ipv4_s *ip, struct net_ipv4_error_s *e,
                            int err)
{
  struct net_layer_s *child = ip->children[e->protocol];
  if (!child)
    {
      ipv4_count(ip, IPV4_DROP_ERROR);
      net_task_destroy(&e->task);
      return;
    }
  ipv4_count(ip, IPV4_ERRORS_DELIVERED);
  net_task_notification_push(&e->task, child, &ip->layer, NET_IPV4_OP_ERROR,
                             err, 0);
}

void ipv4_error_local(struct ipv4_s *ip, const struct net_buffer_s *buf,
                      uint32_t src, uint32_t dst, uint8_t protocol, int err,
                      uint8_t type, uint8_t code, uint32_t mtu)
{
  struct net_ipv4_error_s *e = net_ipv4_error_alloc();
  if (!e)
    {
      ipv4_count(ip, IPV4_DROP_ERROR);
      return;
    }
  e->icmp_type = type;
  e->icmp_code = code;
  e->local = true;
  e->mtu = mtu;
  e->src = src;
  e->dst = dst;
  e->protocol = protocol;
  size_t len = net_buffer_len(buf);
  e->quote_len = (uint8_t)MIN(len, sizeof e->quote);
  memcpy(e->quote, net_buffer_data(buf), e->quote_len);
  ipv4_error_push(ip, e, err);
}

/* An ICMP error received by our ICMP child: check it is about a datagram
   of ours, then hand a copy to the transport concerned. */
static void ipv4_error_received(struct ipv4_s *ip, struct net_task_s *task)
{
  struct net_ipv4_error_s *in = net_container_of(task, struct net_ipv4_error_s, task);
  int err = task->notification.err;

  if (task->source != ip->children[NET_IPPROTO_ICMP] || !ipv4_is_local(ip, in->src)
      || in->quote_len < 8)
    {
      ipv4_count(ip, IPV4_DROP_ERROR);
      net_task_destroy(task);
      return;
    }
  struct net_ipv4_error_s *e = net_ipv4_error_alloc();
  if (!e)
    {
      ipv4_count(ip, IPV4_DROP_ERROR);
      net_task_destroy(task);
      return;
    }
  memcpy((char *)e + sizeof e->task, (char *)in + sizeof in->task,
         sizeof *e - sizeof e->task);
  net_task_destroy(task);
  ipv4_error_push(ip, e, err);
}

static void ipv4_request_free(struct net_task_s *task)
{
  struct net_ipv4_icmp_request_s *r =
    net_container_of(task, struct net_ipv4_icmp_request_s, task);
  if (r->buffer)
    net_buffer_refdec(r->buffer);
  g_free(r);
}

static struct net_ipv4_icmp_request_s *ipv4_request_alloc(void)
{
  struct net_ipv4_icmp_request_s *r = g_try_new0(struct net_ipv4_icmp_request_s, 1);
  if (r)
    net_task_init(&r->task, ipv4_request_free);
  return r;
}

void ipv4_icmp_request(struct ipv4_s *ip, struct net_buffer_s *buf,
                       uint8_t type, uint8_t code, uint32_t info,
                       bool broadcast)
{
  struct net_layer_s *icmp = ip->children[NET_IPPROTO_ICMP];
  struct net_ipv4_icmp_request_s *r = icmp ? ipv4_request_alloc() : NULL;
  if (!r)
    {
      ipv4_count(ip, IPV4_DROP_ICMP_REQUEST);
      net_buffer_refdec(buf);
      return;
    }
  r->buffer = buf;
  r->type = type;
  r->code = code;
  r->info = info;
  r->broadcast = broadcast;
  ipv4_count(ip, IPV4_ICMP_REQUESTS);
  net_task_notification_push(&r->task, icmp, &ip->layer,
                             NET_IPV4_OP_ICMP_REQUEST, 0, 0);
}

/* A transport asked for an ICMP error: pass it on to our ICMP child. */
static void ipv4_request_received(struct ipv4_s *ip, struct net_task_s *task)
{
  struct net_ipv4_icmp_request_s *r =
    net_container_of(task, struct net_ipv4_icmp_request_s, task);
  struct net_buffer_s *buf = r->buffer;
  r->buffer = NULL;
  if (ipv4_child_protocol(ip, task->source) < 0 || !buf)
    {
      ipv4_count(ip, IPV4_DROP_ICMP_REQUEST);
      if (buf)
        net_buffer_refdec(buf);
      net_task_destroy(task);
      return;
    }
  ipv4_icmp_request(ip, buf, r->type, r->code, r->info, r->broadcast);
  net_task_destroy(task);
}

int net_ipv4_icmp_error_request(struct net_layer_s *child,
                                struct net_buffer_s *buffer,
                                const struct net_addr_s *src,
                                const struct net_addr_s *dst,
                                uint8_t type, uint8_t code)
{
  struct net_layer_s *parent = child ? net_layer_parent(child) : NULL;
  if (!parent || parent->handler != &ipv4_handler || !src || !dst)
    {
      net_buffer_refdec(buffer);
      return -EINVAL;
    }
  /* The delivered datagram's header sits right in front of begin
     (contract of INBOUND tasks): check it really is that header. */
  const uint8_t *h = net_buffer_push(buffer, NET_IPV4_HEADER_LEN);
  if (!h || h[0] != 0x45 || inet_rd32(h + 12) != src->ipv4
      || inet_rd32(h + 16) != dst->ipv4)
    {
      net_buffer_refdec(buffer);
      return -EINVAL;
    }
  struct net_ipv4_icmp_request_s *r = ipv4_request_alloc();
  if (!r)
    {
      net_buffer_refdec(buffer);
      return -ENOMEM;
    }
  r->buffer = buffer;
  r->type = type;
  r->code = code;
  r->broadcast = (dst->valid & NET_IPV4_ADDR_BROADCAST) != 0;
  return net_task_notification_push(&r->task, parent, child,
                                    NET_IPV4_OP_ICMP_REQUEST, 0, 0);
}

/* ---- layer handlers -------------------------------------------------- */

static void ipv4_notification(struct ipv4_s *ip, struct net_task_s *task)
{
  switch (task->notification.opcode)
    {
    case NET_IPV4_OP_CONTROL:
      if (task->source == &ip->layer)
        ipv4_control(ip, net_container_of(task, struct ipv4_ctl_s, task));
      break;
    case NET_IPV4_OP_ERROR:
      ipv4_error_received(ip, task);
      return;
    case NET_IPV4_OP_ICMP_REQUEST:
      ipv4_request_received(ip, task);
      return;
    case NET_FLOW_OP_REGISTER:
    case NET_FLOW_OP_UNREGISTER:
      /* A transport's flow asks for the fast path: towards the link. */
      if (net_flow_task(task) && ipv4_child_protocol(ip, task->source) >= 0)
        {
          net_flow_forward(&ip->layer, task);
          return;
        }
      ipv4_count(ip, IPV4_DROP_BAD_TASK);
      break;
    case NET_FLOW_OP_ACTIVE:
      /* The link's marker, behind the flow's frames: to the transport. */
      if (net_flow_task(task) && task->source == net_layer_parent(&ip->layer))
        {
          net_flow_forward_up(&ip->layer, task,
                              ip->children[net_flow_task(task)->key.protocol]);
          return;
        }
      ipv4_count(ip, IPV4_DROP_BAD_TASK);
      break;
    default:
      ipv4_count(ip, IPV4_DROP_BAD_TASK);
      break;
    }
  net_task_destroy(task);
}

static void ipv4_task_handle(struct net_layer_s *layer, struct net_task_s *task)
{
  struct ipv4_s *ip = ipv4_from_layer(layer);
  switch (task->type)
    {
    case NET_TASK_INBOUND:
      if (task->source == net_layer_parent(layer) || task->source == layer)
        {
          ipv4_input(ip, task);
          return;
        }
      break;
    case NET_TASK_OUTBOUND:
      ipv4_output(ip, task);
      return;
    case NET_TASK_RESPONSE:
      if (task->query.opcode == NET_ARP_OP_RESOLVE)
        {
          ipv4_neigh_response(ip, task);
          return;
        }
      break;
    case NET_TASK_TIMEOUT:
      if (inet_timer_fired(&ip->reasm_timer, task))
        ipv4_reasm_timeout(ip);
      net_task_destroy(task);
      return;
    case NET_TASK_NOTIFICATION:
      ipv4_notification(ip, task);
      return;
    default:
      break;
    }
  ipv4_count(ip, IPV4_DROP_BAD_TASK);
  net_task_destroy(task);
}

static int ipv4_bound(struct net_layer_s *layer, const void *addr,
                      struct net_layer_s *child)
{
  struct ipv4_s *ip = ipv4_from_layer(layer);
  if (!addr)
    return -EINVAL;
  uint8_t protocol = *(const uint8_t *)addr;
  if (ip->children[protocol] || g_hash_table_contains(ip->child_protocols, child))
    return -EADDRINUSE;
  ip->children[protocol] = child;
  g_hash_table_insert(ip->child_protocols, child, GINT_TO_POINTER(protocol + 1));
  return 0;
}

static void ipv4_unbound(struct net_layer_s *layer, struct net_layer_s *child)
{
  struct ipv4_s *ip = ipv4_from_layer(layer);
  int protocol = ipv4_child_protocol(ip, child);
  if (protocol >= 0)
    {
      ip->children[protocol] = NULL;
      g_hash_table_remove(ip->child_protocols, child);
      if (ip->last_child == child)
        ip->last_child = NULL;
    }
}

static void ipv4_child_context_adjust(const struct net_layer_s *layer,
                                      const struct net_layer_s *child,
                                      struct net_layer_context_s *cctx)
{
  const struct ipv4_s *ip = ipv4_from_layer(layer);
  cctx->prefix_size += NET_IPV4_HEADER_LEN;
  cctx->mtu = cctx->mtu > NET_IPV4_HEADER_LEN ? cctx->mtu - NET_IPV4_HEADER_LEN : 0;
  cctx->addr.valid &= (uint8_t)~(NET_ADDR_IPV4 | NET_ADDR_PROTOCOL | NET_ADDR_ETHERTYPE);
  cctx->addr.ipv4 = ipv4_primary(ip);
  if (ip->addr_count)
    cctx->addr.valid |= NET_ADDR_IPV4;
  int protocol = ipv4_child_protocol(ip, child);
  if (protocol >= 0)
    {
      cctx->addr.protocol = (uint8_t)protocol;
      cctx->addr.valid |= NET_ADDR_PROTOCOL;
    }
}

static void ipv4_dangling(struct net_layer_s *layer)
{
  struct ipv4_s *ip = ipv4_from_layer(layer);
  /* The core cancelled our timer and queued tasks; what we hold for the
     link (parked packets, fragments) has no way out any more. */
  inet_timer_forget(&ip->reasm_timer);
  ipv4_neigh_flush(ip);
  ipv4_reasm_flush(ip);
}

static size_t ipv4_stats(const struct net_layer_s *layer, struct net_stat_s *out,
                         size_t max)
{
  struct ipv4_s *ip = ipv4_from_layer(layer);
  /* Gauges, sampled now (stats runs in the layer's context). */
  ip->stats[IPV4_REASM_DATAGRAMS] = ip->reasm_list.length;
  ip->stats[IPV4_REASM_BYTES] = ip->reasm_mem;
  ip->stats[IPV4_NEIGH_ENTRIES] = g_hash_table_size(ip->neigh);
  return inet_stats_copy(ipv4_stat_names, ip->stats, IPV4_STAT_COUNT, out, max);
}

static void ipv4_destroyed(struct net_layer_s *layer)
{
  struct ipv4_s *ip = ipv4_from_layer(layer);
  ipv4_neigh_flush(ip);
  ipv4_reasm_flush(ip);
  g_hash_table_destroy(ip->neigh);
  g_hash_table_destroy(ip->child_protocols);
  if (ip->resolver)
    net_layer_refdec(ip->resolver);
  if (ip->reasm_pool)
    net_buffer_pool_refdec(ip->reasm_pool);
  g_free(ip);
}

static const struct net_layer_handler_s ipv4_handler = {
  .type_name = "ipv4",
  .destroyed = ipv4_destroyed,
  .task_handle = ipv4_task_handle,
  .bound = ipv4_bound,
  .unbound = ipv4_unbound,
  .dangling = ipv4_dangling,
  .child_context_adjust = ipv4_child_context_adjust,
  .stats = ipv4_stats,
};

static void ipv4_neigh_free(gpointer data)
{
  struct ipv4_neigh_s *n = data;
  g_free(n->parked);
  g_free(n);
}

int net_ipv4_create(struct net_scheduler_s *sched,
                    const struct net_ipv4_config_s *config,
                    struct net_layer_s *resolver,
                    struct net_layer_s **layer)
{
  static const struct net_ipv4_config_s none;
  if (!sched || !layer)
    return -EINVAL;
  if (!config)
    config = &none;
  if (config->addr_count > NET_IPV4_MAX_ADDRS
      || (config->gateway && net_ipv4_is_special(config->gateway))
      || (config->reasm_max_size
          && (config->reasm_max_size < 576
              || config->reasm_max_size > NET_IPV4_MAX_DATAGRAM)))
    return -EINVAL;
  for (unsigned i = 0; i < config->addr_count; i++)
    if (!ipv4_valid_ifaddr(config->addrs[i].addr, config->addrs[i].prefix_len))
      return -EINVAL;

  struct ipv4_s *ip = g_try_new0(struct ipv4_s, 1);
  if (!ip)
    return -ENOMEM;
  ip->cfg = *config;
  if (!ip->cfg.ttl)
    ip->cfg.ttl = 64;
  if (!ip->cfg.reasm_timeout)
    ip->cfg.reasm_timeout = 30 * NET_NSEC_PER_SEC;
  if (!ip->cfg.reasm_mem_max)
    ip->cfg.reasm_mem_max = 256 * 1024;
  if (!ip->cfg.reasm_max_datagrams)
    ip->cfg.reasm_max_datagrams = 64;
  if (!ip->cfg.reasm_max_size)
    ip->cfg.reasm_max_size = NET_IPV4_MAX_DATAGRAM;
  if (!ip->cfg.neigh_max)
    ip->cfg.neigh_max = 256;
  if (!ip->cfg.neigh_queue_len)
    ip->cfg.neigh_queue_len = 16;
  ip->gateway = config->gateway;
  for (unsigned i = 0; i < config->addr_count; i++)
    ipv4_addr_set(ip, config->addrs[i].addr, config->addrs[i].prefix_len);

  ip->neigh = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                    ipv4_neigh_free);
  ip->child_protocols = g_hash_table_new(g_direct_hash, g_direct_equal);
  g_queue_init(&ip->reasm_list);
  ip->reasm_timer.opcode = IPV4_TIMER_REASM;
  inet_random(ip->id_key, sizeof ip->id_key);
  inet_random(ip->ids, sizeof ip->ids);
  ip->id_last_protocol = -1;
  /* Datagrams larger than the scheduler's large buffers are reassembled
     into these; allocated lazily, so an idle pool costs nothing. */
  ip->reasm_pool = net_buffer_pool_create("ipv4-reasm",
                                          ip->cfg.reasm_max_size + 512, 8);

  int err = net_layer_init(&ip->layer, &ipv4_handler, sched, NULL, NULL);
  if (err || !ip->reasm_pool)
    {
      if (ip->reasm_pool)
        net_buffer_pool_refdec(ip->reasm_pool);
      g_hash_table_destroy(ip->neigh);
      g_hash_table_destroy(ip->child_protocols);
      g_free(ip);
      return err ? err : -ENOMEM;
    }
  if (resolver)
    {
      ip->resolver = net_layer_refinc(resolver);
      for (unsigned i = 0; i < ip->addr_count; i++)
        ipv4_resolver_notify(ip, NET_ARP_OP_ADDR_ADD, ip->addrs[i].addr);
    }
  *layer = &ip->layer;
  return 0;
}
