/* Segment queues of a TCP session: lists of (buffer reference, sequence
   range).  The buffers are shared with whoever handed them in (the
   application's send buffers, the received frames), never copied; nodes
   come from a small per-session cache so the steady state does not
   allocate. */
#include <config.h>
#include "tcp_private.h"
#include <net/buffer.h>
#include <stdlib.h>
#include <string.h>

/* Nodes kept for reuse per session: enough for a full default send
   queue of 2 KiB buffers (512 KiB), so bulk transfers do not allocate;
   at 40 bytes a node, at most 10 KiB per session. */
#define SEG_CACHE_MAX 256

struct net_tcp_seg_s *net_tcp_seg_get(struct net_tcp_seg_cache_s *c)
{
  struct net_tcp_seg_s *seg = c->free;
  if (seg)
    {
      c->free = seg->next;
      c->count--;
    }
  else
    {
      seg = malloc(sizeof(*seg));
      if (!seg)
        return NULL;
    }
  seg->next = NULL;
  seg->buf = NULL;
  return seg;
}

void net_tcp_seg_put(struct net_tcp_seg_cache_s *c, struct net_tcp_seg_s *seg)
{
  if (c->count >= SEG_CACHE_MAX)
    {
      free(seg);
      return;
    }
  seg->next = c->free;
  c->free = seg;
  c->count++;
}

void net_tcp_seg_cache_clear(struct net_tcp_seg_cache_s *c)
{
  while (c->free)
    {
      struct net_tcp_seg_s *seg = c->free;
      c->free = seg->next;
      free(seg);
    }
  c->count = 0;
}

static size_t seg_truesize(const struct net_tcp_seg_s *seg)
{
  return seg->buf ? seg->buf->size : 0;
}

void net_tcp_segq_append(struct net_tcp_segq_s *q, struct net_tcp_seg_s *seg)
{
  seg->next = NULL;
  if (q->tail)
    q->tail->next = seg;
  else
    q->head = seg;
  q->tail = seg;
  q->bytes += seg->len;
  q->truesize += seg_truesize(seg);
  q->count++;
}

struct net_tcp_seg_s *net_tcp_segq_pop(struct net_tcp_segq_s *q)
{
  struct net_tcp_seg_s *seg = q->head;
  if (!seg)
    return NULL;
  q->head = seg->next;
  if (!q->head)
    q->tail = NULL;
  q->bytes -= seg->len;
  q->truesize -= seg_truesize(seg);
  q->count--;
  seg->next = NULL;
  return seg;
}

static void seg_free(struct net_tcp_seg_cache_s *c, struct net_tcp_seg_s *seg)
{
  if (seg->buf)
    net_buffer_refdec(seg->buf);
  net_tcp_seg_put(c, seg);
}

void net_tcp_segq_purge(struct net_tcp_segq_s *q, struct net_tcp_seg_cache_s *c)
{
  struct net_tcp_seg_s *seg;
  while ((seg = net_tcp_segq_pop(q)))
    seg_free(c, seg);
}

size_t net_tcp_segq_drop_front(struct net_tcp_segq_s *q,
                               struct net_tcp_seg_cache_s *c, uint32_t n,
                               struct net_tcp_seg_s **hint)
{
  size_t released = 0;

  while (n && q->head)
    {
      struct net_tcp_seg_s *seg = q->head;
      if (seg->len > n)
        {
          seg->seq += n;
          seg->off += n;
          seg->len -= n;
          q->bytes -= n;
          break;
        }
      n -= seg->len;
      if (hint && *hint == seg)
        *hint = NULL;
      released += seg_truesize(seg);
      net_tcp_segq_pop(q);
      seg_free(c, seg);
    }
  return released;
}

void net_tcp_segq_copy(const struct net_tcp_segq_s *q, uint32_t seq,
                       uint8_t *out, uint32_t len,
                       struct net_tcp_seg_s **hint)
{
  struct net_tcp_seg_s *seg = q->head;

  /* Sending walks forward through the queue: resume where the previous
     copy stopped instead of scanning the whole window again. */
  if (hint && *hint && net_tcp_seq_ge(seq, (*hint)->seq))
    seg = *hint;
  while (seg && net_tcp_seq_ge(seq, seg->seq + seg->len))
    seg = seg->next;
  while (len && seg)
    {
      uint32_t skip = seq - seg->seq;
      uint32_t n = seg->len - skip;
      if (n > len)
        n = len;
      memcpy(out, seg->buf->data + seg->off + skip, n);
      out += n;
      seq += n;
      len -= n;
      if (hint)
        *hint = seg;
      if (len)
        seg = seg->next;
    }
}

uint32_t net_tcp_segq_insert(struct net_tcp_segq_s *q,
                             struct net_tcp_seg_cache_s *c,
                             struct net_tcp_seg_s *seg)
{
  struct net_tcp_seg_s *prev = NULL, *cur = q->head;
  uint32_t end = seg->seq + seg->len;

  if (seg->len == 0)
    {
      seg_free(c, seg);
      return 0;
    }
  /* Segments mostly arrive in order behind a hole: try the tail first. */
  if (q->tail && net_tcp_seq_ge(seg->seq, q->tail->seq + q->tail->len))
    {
      prev = q->tail;
      cur = NULL;
    }
  else
    {
      /* First node ending after our start. */
      while (cur && net_tcp_seq_le(cur->seq + cur->len, seg->seq))
        {
          prev = cur;
          cur = cur->next;
        }
      /* It starts at or before us: keep its bytes, cut ours. */
      if (cur && net_tcp_seq_le(cur->seq, seg->seq))
        {
          uint32_t cut = cur->seq + cur->len - seg->seq;
          if (cut >= seg->len)
            {
              seg_free(c, seg);
              return 0;
            }
          seg->seq += cut;
          seg->off += cut;
          seg->len -= cut;
          prev = cur;
          cur = cur->next;
        }
      /* Nodes starting before our end: drop those we cover entirely, cut
         our tail at the first one we do not. */
      while (cur && net_tcp_seq_lt(cur->seq, end))
        {
          if (net_tcp_seq_le(cur->seq + cur->len, end))
            {
              struct net_tcp_seg_s *next = cur->next;
              if (prev)
                prev->next = next;
              else
                q->head = next;
              if (q->tail == cur)
                q->tail = prev;
              q->bytes -= cur->len;
              q->truesize -= seg_truesize(cur);
              q->count--;
              seg_free(c, cur);
              cur = next;
              continue;
            }
          seg->len = cur->seq - seg->seq;
          break;
        }
    }
  seg->next = cur;
  if (prev)
    prev->next = seg;
  else
    q->head = seg;
  if (!cur)
    q->tail = seg;
  q->bytes += seg->len;
  q->truesize += seg_truesize(seg);
  q->count++;
  return seg->len;
}
