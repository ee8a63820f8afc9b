/* Private helpers of the IPv4 suite (inet_util.h). */
#include <config.h>
#include "inet_util.h"
#include <net/scheduler.h>
#include <glib.h>
#include <string.h>
#include <sys/random.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                   \
  do                                                               \
    {                                                              \
      v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);     \
      v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                       \
      v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                       \
      v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);     \
    }                                                              \
  while (0)

static uint64_t load64_le(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* One load instead of eight: the byte loop cost a third of a hash. */
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
#else
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
#endif
}

uint64_t inet_siphash(const uint8_t key[16], const void *data, size_t len)
{
  const uint8_t *in = data;
  uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
  uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
  uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
  uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
  uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
  size_t full = len & ~(size_t)7;

  for (size_t i = 0; i < full; i += 8)
    {
      uint64_t m = load64_le(in + i);
      v3 ^= m;
      SIPROUND;
      SIPROUND;
      v0 ^= m;
    }
  uint64_t b = (uint64_t)len << 56;
  for (size_t i = 0; i < (len & 7); i++)
    b |= (uint64_t)in[full + i] << (8 * i);
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t inet_siphash13_2u64(const uint8_t key[16], uint64_t a, uint64_t b)
{
  uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
  uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
  uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
  uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
  uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
  /* The two words, then the length block of a 16-byte message, as
     SipHash over the words' little-endian bytes would do. */
  const uint64_t m[3] = { a, b, UINT64_C(16) << 56 };

  for (unsigned i = 0; i < 3; i++)
    {
      v3 ^= m[i];
      SIPROUND;
      v0 ^= m[i];
    }
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

void inet_random(void *buf, size_t len)
{
  uint8_t *p = buf;
  while (len)
    {
      ssize_t n = getrandom(p, len, GRND_NONBLOCK);
      if (n <= 0)
        break;
      p += n;
      len -= (size_t)n;
    }
  /* No entropy yet (early boot): still different per run. */
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t)g_random_int();
}

size_t inet_stats_copy(const char *const *names, const uint64_t *values,
                       size_t count, struct net_stat_s *out, size_t max)
{
  for (size_t i = 0; i < count && i < max; i++)
    {
      out[i].name = names[i];
      out[i].value = values[i];
    }
  return count;
}

struct net_task_s *inet_task_alloc(struct net_layer_s *layer)
{
  return net_scheduler_task_alloc(layer->scheduler);
}

int inet_timer_arm(struct inet_timer_s *timer, struct net_layer_s *layer,
                   net_time_t deadline, net_time_t precision)
{
  if (timer->task)
    {
      if (timer->deadline <= deadline)
        return 0;
      /* A task that cannot be cancelled is being delivered: it will run
         the owner's expiry logic, which re-arms for what is due. */
      if (!net_scheduler_task_cancel(layer->scheduler, timer->task))
        return 0;
      timer->task = NULL;
    }
  struct net_task_s *task = inet_task_alloc(layer);
  if (!task)
    return -ENOMEM;
  int err = net_task_timeout_push(task, layer, layer, deadline, precision,
                                  timer->opcode);
  if (err)
    return err;
  timer->task = task;
  timer->deadline = deadline;
  timer->precision = precision;
  return 0;
}

bool inet_timer_fired(struct inet_timer_s *timer, struct net_task_s *task)
{
  if (task != timer->task)
    return false;
  timer->task = NULL;
  return true;
}

void inet_timer_cancel(struct inet_timer_s *timer, struct net_layer_s *layer)
{
  if (timer->task)
    net_scheduler_task_cancel(layer->scheduler, timer->task);
  timer->task = NULL;
}
