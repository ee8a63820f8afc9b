/* Receive memory of TCP sessions, accounted like Linux's sk_rmem_alloc
   and tcp_mem: by the capacity of the buffers held (truesize), not by
   payload bytes, per session and for the whole layer.
 *
 * In-order data are charged from the moment they are accepted until the
 * application gives them back: in manual receive mode that is
 * net_tcp_recv_done(), which any thread may call and which only moves
 * the byte counter rcv_held; the session converts what came back into
 * capacity here, in its own context, proportionally (data are consumed
 * in order, so the ratio of what remains is the ratio of what came).
 * In automatic mode data are released when handed to the application.
 * The window offered follows the memory left (net_tcp_rmem_room()), so a
 * peer that pins small segments in large buffers sees it close sooner,
 * and the layer's total (in-order + reassembly) is bounded by
 * rcv_mem_max with a pressure state below it. */
#include <config.h>
#include "tcp_private.h"
#include <stdint.h>

enum net_tcp_rmem_state_e net_tcp_rmem_state(size_t total, size_t pressure,
                                             size_t max)
{
  if (total >= max)
    return NET_TCP_RMEM_HARD;
  if (total >= pressure)
    return NET_TCP_RMEM_PRESSURE;
  return NET_TCP_RMEM_NORMAL;
}

uint32_t net_tcp_rmem_room(const struct net_tcp_rmem_view_s *v, bool *clamped)
{
  size_t bytes_room = v->rcv_buf > v->held_bytes ? v->rcv_buf - v->held_bytes : 0;
  size_t budget = 2 * (size_t)v->rcv_buf;
  size_t mem_room = budget > v->sess_mem ? budget - v->sess_mem : 0;
  size_t limit = SIZE_MAX;
  bool cut = false;

  switch (net_tcp_rmem_state(v->total, v->pressure, v->max))
    {
    case NET_TCP_RMEM_PRESSURE:
      /* A share of what is left: every new offer is smaller than the
         last, so the total approaches the hard limit ever more slowly. */
      limit = (v->max - v->total) / 4;
      break;
    case NET_TCP_RMEM_HARD:
      limit = 0;
      break;
    default:
      break;
    }
  if (mem_room > limit)
    {
      mem_room = limit;
      cut = true;
    }
  uint64_t room = (uint64_t)mem_room * v->ratio / 1024;
  /* A session holding nothing always gets a segment: a connection whose
     application reads keeps going whatever others pin. */
  if (v->sess_mem == 0 && room < v->mss)
    room = v->mss;
  if (room > bytes_room)
    room = bytes_room;
  if (room > UINT32_MAX)
    room = UINT32_MAX;
  if (clamped)
    *clamped = cut;
  return (uint32_t)room;
}

size_t net_tcp_rmem_total(struct net_tcp_shared_s *sh)
{
  long in = atomic_load_explicit(&sh->rcv_mem, memory_order_relaxed);
  long ooo = atomic_load_explicit(&sh->ooo_mem, memory_order_relaxed);
  return (size_t)(in > 0 ? in : 0) + (size_t)(ooo > 0 ? ooo : 0);
}

static void uncharge(struct net_tcp_session_s *s, size_t truesize)
{
  if (truesize)
    atomic_fetch_sub_explicit(&s->shared->rcv_mem, (long)truesize,
                              memory_order_relaxed);
}

void net_tcp_rmem_settle(struct net_tcp_session_s *s)
{
  long cur = atomic_load_explicit(&s->rcv_held, memory_order_acquire);
  if (cur >= s->held_seen)
    return;
  size_t rel = s->held_mem;
  if (cur > 0 && s->held_seen > 0)
    rel = (size_t)((uint64_t)s->held_mem * (uint64_t)(s->held_seen - cur)
                   / (uint64_t)s->held_seen);
  s->held_mem -= rel;
  s->held_seen = cur;
  uncharge(s, rel);
}

static uint32_t ratio_of(const struct net_tcp_session_s *s)
{
  if (s->rcv_ratio)
    return s->rcv_ratio;
  /* No segment yet: assume full segments in large buffers. */
  uint32_t mss = s->rcv_mss ? s->rcv_mss : NET_TCP_DEFAULT_MSS;
  size_t size = s->shared->large_buf_size;
  if (!size || mss >= size)
    return 1024;
  return (uint32_t)((uint64_t)mss * 1024 / size);
}

uint32_t net_tcp_rmem_space(const struct net_tcp_session_s *s, bool *clamped)
{
  long held = atomic_load_explicit(&s->rcv_held, memory_order_acquire);
  struct net_tcp_rmem_view_s v = {
    .rcv_buf = s->opt.rcv_buf,
    .held_bytes = (size_t)(held > 0 ? held : 0) + s->rcvq.bytes,
    .sess_mem = s->rcvq.truesize + s->held_mem,
    .ratio = ratio_of(s),
    .mss = s->rcv_mss ? s->rcv_mss : NET_TCP_DEFAULT_MSS,
    .total = net_tcp_rmem_total(s->shared),
    .pressure = s->cfg->rcv_mem_pressure,
    .max = s->cfg->rcv_mem_max,
  };
  return net_tcp_rmem_room(&v, clamped);
}

void net_tcp_rmem_prune(struct net_tcp_session_s *s)
{
  if (!s->ooq.head)
    return;
  net_tcp_count(s->shared, NET_TCP_STAT_OOO_PRUNED, s->ooq.count);
  /* The peer retransmits whatever was beyond the hole, FIN included. */
  s->flags &= ~NET_TCP_SF_OOO_FIN;
  net_tcp_ooq_purge(s);
}

bool net_tcp_rmem_admit(struct net_tcp_session_s *s, size_t truesize)
{
  const struct net_tcp_config_s *cfg = s->cfg;

  net_tcp_rmem_settle(s);
  size_t total = net_tcp_rmem_total(s->shared);
  if (s->ooq.head
      && net_tcp_rmem_state(total, cfg->rcv_mem_pressure, cfg->rcv_mem_max)
           != NET_TCP_RMEM_NORMAL)
    {
      net_tcp_rmem_prune(s);
      total = net_tcp_rmem_total(s->shared);
    }
  if (total + truesize <= cfg->rcv_mem_max
      || s->rcvq.truesize + s->held_mem == 0)
    return true;
  net_tcp_count(s->shared, NET_TCP_STAT_DROP_RCV_MEMORY, 1);
  return false;
}

void net_tcp_rmem_charge(struct net_tcp_session_s *s, size_t truesize,
                         uint32_t len)
{
  atomic_fetch_add_explicit(&s->shared->rcv_mem, (long)truesize,
                            memory_order_relaxed);
  if (!truesize)
    return;
  /* Moving average over about eight segments. */
  uint64_t r = (uint64_t)len * 1024 / truesize;
  if (r > 1024)
    r = 1024;
  if (r == 0)
    r = 1;
  s->rcv_ratio = (uint32_t)((ratio_of(s) * UINT64_C(7) + r) / 8);
  if (!s->rcv_ratio)
    s->rcv_ratio = 1;
}

void net_tcp_rmem_delivered(struct net_tcp_session_s *s, size_t truesize,
                            uint32_t len)
{
  if (!s->opt.manual_recv)
    {
      uncharge(s, truesize);
      return;
    }
  s->held_mem += truesize;
  s->held_seen += len;
  atomic_fetch_add_explicit(&s->rcv_held, (long)len, memory_order_acq_rel);
}

void net_tcp_rmem_release(struct net_tcp_session_s *s)
{
  uncharge(s, s->held_mem);
  s->held_mem = 0;
}

void net_tcp_rcvq_purge(struct net_tcp_session_s *s)
{
  uncharge(s, s->rcvq.truesize);
  net_tcp_segq_purge(&s->rcvq, &s->cache);
}
