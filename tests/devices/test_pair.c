/* Pair device under the virtual clock: delivery, link state, exact
   delays, impairment rates over 100k frames for a fixed seed, identical
   sequences for identical seeds, MTU, queue limit, detach. */
#include <config.h>
#include <net/dev/pair.h>
#include "check_main.h"
#include <stdlib.h>
#include "recorder.h"
#include "../../devices/prng.h"

#define TEST_TYPE 0x88b5

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };

struct stack_s
{
  struct net_scheduler_s *sched;
  struct net_device_s *dev_a, *dev_b;
  struct net_layer_s *eth_a, *eth_b;
  struct recorder_s *rec_a, *rec_b;
};

static unsigned link_events[2][2];   /* [end][up] */

static void on_link(void *delegate, struct net_layer_s *layer, bool up)
{
  link_events[(uintptr_t)delegate][up]++;
}

static const struct net_device_delegate_vtable_s link_vt = { .link_changed = on_link };

static void stack_up(struct stack_s *s, const struct net_pair_params_s *ab,
                     const struct net_pair_params_s *ba)
{
  memset(link_events, 0, sizeof link_events);
  struct net_scheduler_options_s o = { .clock = NET_CLOCK_VIRTUAL };
  s->sched = net_scheduler_loop_create(NULL, &o);
  ck_assert_ptr_nonnull(s->sched);
  ck_assert_int_eq(net_pair_create(s->sched, ab, ba, &s->dev_a, &s->dev_b), 0);
  struct net_ethernet_params_s p = { 0 };
  memcpy(p.mac, mac_a, 6);
  ck_assert_int_eq(net_device_layer_create(s->dev_a, NET_LAYER_ETHERNET, &p,
                                           (void *)0, &link_vt, &s->eth_a), 0);
  memcpy(p.mac, mac_b, 6);
  ck_assert_int_eq(net_device_layer_create(s->dev_b, NET_LAYER_ETHERNET, &p,
                                           (void *)1, &link_vt, &s->eth_b), 0);
  s->rec_a = rec_new(s->sched);
  s->rec_b = rec_new(s->sched);
  uint16_t t = TEST_TYPE;
  ck_assert_int_eq(net_layer_bind(s->eth_a, &t, &s->rec_a->layer), 0);
  ck_assert_int_eq(net_layer_bind(s->eth_b, &t, &s->rec_b->layer), 0);
  net_scheduler_run_until_idle(s->sched);
}

static void stack_down(struct stack_s *s)
{
  net_layer_refdec(&s->rec_a->layer);
  net_layer_refdec(&s->rec_b->layer);
  if (s->eth_a)
    net_layer_refdec(s->eth_a);
  if (s->eth_b)
    net_layer_refdec(s->eth_b);
  net_device_refdec(s->dev_a);
  net_device_refdec(s->dev_b);
  net_scheduler_run_until_idle(s->sched);
  struct net_scheduler_stats_s st;
  net_scheduler_stats(s->sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  net_scheduler_destroy(s->sched);
}

/* Frame payload: a 32-bit sequence number, then filler. */
static void send_seq(struct stack_s *s, uint32_t seq, size_t len)
{
  uint8_t p[1500] = { 0 };
  p[0] = (uint8_t)(seq >> 24);
  p[1] = (uint8_t)(seq >> 16);
  p[2] = (uint8_t)(seq >> 8);
  p[3] = (uint8_t)seq;
  ck_assert_int_eq(rec_send(s->rec_a, mac_b, p, len), 0);
}

static uint32_t seq_of(struct recorder_s *r, unsigned i)
{
  const uint8_t *d = rec_get(r, i)->bytes->data;
  return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

START_TEST(test_prng)
{
  /* splitmix64 reference outputs for seed 0 (Vigna's implementation). */
  uint64_t x = 0;
  ck_assert_uint_eq(net_prng_splitmix64(&x), UINT64_C(0xe220a8397b1dcdaf));
  ck_assert_uint_eq(net_prng_splitmix64(&x), UINT64_C(0x6e789e6aa1b965f4));
  struct net_prng_s a, b;
  net_prng_seed(&a, 42);
  net_prng_seed(&b, 42);
  for (unsigned i = 0; i < 1000; i++)
    ck_assert_uint_eq(net_prng_next(&a), net_prng_next(&b));
  double sum = 0;
  for (unsigned i = 0; i < 100000; i++)
    {
      double d = net_prng_double(&a);
      ck_assert(d >= 0.0 && d < 1.0);
      sum += d;
      ck_assert_uint_le(net_prng_upto(&a, 6), 6);
    }
  ck_assert(sum / 100000 > 0.49 && sum / 100000 < 0.51);
  ck_assert_uint_eq(net_prng_upto(&a, 0), 0);
}
END_TEST

START_TEST(test_basic_delivery)
{
  struct stack_s s;
  stack_up(&s, NULL, NULL);
  ck_assert(net_ethernet_link_is_up(s.eth_a));
  ck_assert(net_ethernet_link_is_up(s.eth_b));
  ck_assert_uint_eq(link_events[0][1], 1);
  ck_assert_uint_eq(link_events[1][1], 1);
  for (uint32_t i = 0; i < 10; i++)
    send_seq(&s, i, 100);
  ck_assert_int_eq(rec_send(s.rec_b, mac_a, "pong", 4), 0);
  net_scheduler_run_until_idle(s.sched);
  ck_assert_uint_eq(s.rec_b->packets->len, 10);
  for (unsigned i = 0; i < 10; i++)
    {
      ck_assert_uint_eq(seq_of(s.rec_b, i), i);
      ck_assert_uint_eq(rec_get(s.rec_b, i)->bytes->len, 100);
      ck_assert_mem_eq(rec_get(s.rec_b, i)->src.mac, mac_a, 6);
    }
  ck_assert_uint_eq(s.rec_a->packets->len, 1);
  ck_assert_uint_eq(rec_get(s.rec_a, 0)->bytes->len, 46);   /* padded */
  struct net_pair_stats_s st;
  ck_assert_int_eq(net_pair_stats(s.dev_a, &st), 0);
  ck_assert_uint_eq(st.sent, 10);
  ck_assert_uint_eq(st.delivered, 10);
  ck_assert_uint_eq(stat_get(s.eth_a, "wire_sent"), 10);
  ck_assert_int_eq(net_device_layer_create(s.dev_a, NET_LAYER_ETHERNET, NULL,
                                           NULL, NULL, &(struct net_layer_s *){ NULL }),
                   -EBUSY);
  struct net_layer_s *l;
  ck_assert_int_eq(net_device_layer_create(s.dev_a, 0x1234, NULL, NULL, NULL, &l),
                   -EPROTONOSUPPORT);
  ck_assert(net_pair_is(s.dev_a));
  stack_down(&s);
}
END_TEST

START_TEST(test_exact_delay)
{
  struct net_pair_params_s ab = { .delay = 10 * NET_NSEC_PER_MSEC };
  struct stack_s s;
  stack_up(&s, &ab, NULL);
  net_time_t t0 = net_scheduler_time(s.sched);
  send_seq(&s, 1, 50);
  send_seq(&s, 2, 50);
  net_scheduler_run_until_idle(s.sched);
  ck_assert_uint_eq(s.rec_b->packets->len, 0);
  net_scheduler_run_for(s.sched, 10 * NET_NSEC_PER_MSEC - 1);
  ck_assert_uint_eq(s.rec_b->packets->len, 0);
  net_scheduler_run_for(s.sched, 1);
  net_scheduler_run_until_idle(s.sched);
  ck_assert_uint_eq(s.rec_b->packets->len, 2);
  ck_assert_uint_eq(rec_get(s.rec_b, 0)->timestamp, t0 + 10 * NET_NSEC_PER_MSEC);
  ck_assert_uint_eq(seq_of(s.rec_b, 0), 1);
  ck_assert_uint_eq(seq_of(s.rec_b, 1), 2);
  stack_down(&s);
}
END_TEST

/* Sends @p n frames in bursts and collects what arrives at B. */
static void run_traffic(struct stack_s *s, uint32_t n, GArray *arrivals)
{
  for (uint32_t i = 0; i < n; i++)
    {
      send_seq(s, i, 20);
      if (i % 500 == 499)
        net_scheduler_run_for(s->sched, NET_NSEC_PER_MSEC);
    }
  net_scheduler_run_for(s->sched, NET_NSEC_PER_SEC);
  for (unsigned i = 0; i < s->rec_b->packets->len; i++)
    {
      uint32_t q = seq_of(s->rec_b, i);
      g_array_append_val(arrivals, q);
    }
}

START_TEST(test_impairment_rates)
{
  const uint32_t n = 100000;
  struct net_pair_params_s ab = {
    .seed = 20240601, .loss = 0.10, .duplicate = 0.05, .reorder = 0.08,
    .delay = 2 * NET_NSEC_PER_MSEC, .reorder_delay = 3 * NET_NSEC_PER_MSEC,
  };
  struct stack_s s;
  stack_up(&s, &ab, NULL);
  GArray *arr = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  run_traffic(&s, n, arr);
  struct net_pair_stats_s st;
  net_pair_stats(s.dev_a, &st);
  ck_assert_uint_eq(st.sent, n);
  ck_assert_uint_eq(st.in_flight, 0);
  /* Tolerance: 5 standard deviations of a binomial(n, p). */
  ck_assert_msg(st.lost > 9500 && st.lost < 10500, "lost %llu",
                (unsigned long long)st.lost);
  uint64_t kept = n - st.lost;
  ck_assert_msg(st.duplicated > kept * 0.05 - 330 && st.duplicated < kept * 0.05 + 330,
                "duplicated %llu", (unsigned long long)st.duplicated);
  ck_assert_msg(st.reordered > kept * 0.08 - 420 && st.reordered < kept * 0.08 + 420,
                "reordered %llu", (unsigned long long)st.reordered);
  ck_assert_uint_eq(st.delivered, kept + st.duplicated);
  ck_assert_uint_eq(arr->len, st.delivered);

  /* What B saw agrees with the counters: distinct sequence numbers =
     frames not lost, repeats = duplicates, and frames overtaken. */
  uint8_t *seen = g_malloc0(n);
  uint64_t distinct = 0, repeats = 0, late = 0;
  uint32_t highest = 0;
  for (unsigned i = 0; i < arr->len; i++)
    {
      uint32_t q = g_array_index(arr, uint32_t, i);
      ck_assert_uint_lt(q, n);
      if (seen[q]++)
        repeats++;
      else
        distinct++;
      if (i && q < highest)
        late++;
      if (q > highest)
        highest = q;
    }
  ck_assert_uint_eq(distinct, kept);
  ck_assert_uint_eq(repeats, st.duplicated);
  /* A held-back frame arrives after later ones (its duplicate too). */
  ck_assert_uint_ge(late + 5, st.reordered);   /* the last frames may have no one to overtake them */
  ck_assert_uint_le(late, st.reordered * 2);
  g_free(seen);
  g_array_free(arr, TRUE);
  stack_down(&s);
}
END_TEST

static GArray *sequence_for(uint64_t seed)
{
  struct net_pair_params_s ab = {
    .seed = seed, .loss = 0.2, .duplicate = 0.1, .reorder = 0.1,
    .delay = NET_NSEC_PER_MSEC, .jitter = NET_NSEC_PER_MSEC,
  };
  struct stack_s s;
  stack_up(&s, &ab, NULL);
  GArray *arr = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  run_traffic(&s, 5000, arr);
  stack_down(&s);
  return arr;
}

START_TEST(test_same_seed_same_sequence)
{
  GArray *a = sequence_for(7), *b = sequence_for(7), *c = sequence_for(8);
  ck_assert_uint_gt(a->len, 3000);
  ck_assert_uint_eq(a->len, b->len);
  ck_assert_mem_eq(a->data, b->data, a->len * sizeof(uint32_t));
  ck_assert(a->len != c->len
            || memcmp(a->data, c->data, a->len * sizeof(uint32_t)) != 0);
  g_array_free(a, TRUE);
  g_array_free(b, TRUE);
  g_array_free(c, TRUE);
}
END_TEST

START_TEST(test_jitter_bounds)
{
  struct net_pair_params_s ab = { .seed = 3, .delay = 5 * NET_NSEC_PER_MSEC,
                                  .jitter = 2 * NET_NSEC_PER_MSEC };
  struct stack_s s;
  stack_up(&s, &ab, NULL);
  net_time_t t0 = net_scheduler_time(s.sched);
  for (uint32_t i = 0; i < 200; i++)
    send_seq(&s, i, 20);
  net_scheduler_run_for(s.sched, NET_NSEC_PER_SEC);
  ck_assert_uint_eq(s.rec_b->packets->len, 200);
  net_time_t lo = NET_TIME_NEVER, hi = 0;
  for (unsigned i = 0; i < 200; i++)
    {
      net_time_t t = rec_get(s.rec_b, i)->timestamp - t0;
      lo = t < lo ? t : lo;
      hi = t > hi ? t : hi;
      ck_assert_uint_ge(t, 5 * NET_NSEC_PER_MSEC);
      ck_assert_uint_le(t, 7 * NET_NSEC_PER_MSEC);
    }
  ck_assert_uint_lt(lo, hi);
  stack_down(&s);
}
END_TEST

START_TEST(test_mtu_and_queue_limit)
{
  struct net_pair_params_s ab = { .mtu = 100, .delay = NET_NSEC_PER_MSEC,
                                  .queue_limit = 3 };
  struct stack_s s;
  stack_up(&s, &ab, NULL);
  ck_assert_uint_eq(s.eth_a->context.mtu, 100);   /* layer MTU from the wire */
  ck_assert_int_eq(net_pair_configure(s.dev_a, &(struct net_pair_params_s){
                     .mtu = 80, .delay = NET_NSEC_PER_MSEC, .queue_limit = 3 }), 0);
  send_seq(&s, 0, 80);
  send_seq(&s, 1, 81);
  for (uint32_t i = 2; i < 6; i++)
    send_seq(&s, i, 20);
  net_scheduler_run_for(s.sched, 10 * NET_NSEC_PER_MSEC);
  struct net_pair_stats_s st;
  net_pair_stats(s.dev_a, &st);
  ck_assert_uint_eq(st.dropped_mtu, 1);
  ck_assert_uint_eq(st.dropped_queue, 2);
  ck_assert_uint_eq(s.rec_b->packets->len, 3);
  ck_assert_int_eq(net_pair_configure(s.dev_a, &(struct net_pair_params_s){
                     .loss = 1.5 }), -EINVAL);
  ck_assert_int_eq(net_pair_configure(s.dev_a, &(struct net_pair_params_s){
                     .loss = 0.0 / 0.0 }), -EINVAL);
  stack_down(&s);
}
END_TEST

START_TEST(test_peer_goes_away)
{
  struct net_pair_params_s ba = { .delay = 5 * NET_NSEC_PER_MSEC };
  struct stack_s s;
  stack_up(&s, NULL, &ba);
  /* B has a frame in flight to A when A's layer is dropped: the pending
     delivery keeps A alive until the frame's arrival time. */
  ck_assert_int_eq(rec_send(s.rec_b, mac_a, "x", 1), 0);
  net_scheduler_run_until_idle(s.sched);
  net_layer_unbind(s.eth_a, &s.rec_a->layer);
  net_layer_refdec(s.eth_a);
  s.eth_a = NULL;
  net_scheduler_run_until_idle(s.sched);
  ck_assert(net_ethernet_link_is_up(s.eth_b));
  net_scheduler_run_for(s.sched, 5 * NET_NSEC_PER_MSEC);
  net_scheduler_run_until_idle(s.sched);
  ck_assert(!net_ethernet_link_is_up(s.eth_b));
  ck_assert_uint_eq(link_events[1][0], 1);
  struct net_pair_stats_s st;
  net_pair_stats(s.dev_b, &st);
  ck_assert_uint_eq(st.delivered, 1);
  ck_assert_uint_eq(st.in_flight, 0);
  ck_assert_int_eq(rec_send(s.rec_b, mac_a, "y", 1), 0);
  net_scheduler_run_for(s.sched, 10 * NET_NSEC_PER_MSEC);
  ck_assert_uint_eq(stat_get(s.eth_b, "tx_drop_link_down"), 1);
  /* A new layer on A brings the link back. */
  ck_assert_int_eq(net_device_layer_create(s.dev_a, NET_LAYER_ETHERNET, NULL,
                                           (void *)0, &link_vt, &s.eth_a), 0);
  net_scheduler_run_until_idle(s.sched);
  ck_assert(net_ethernet_link_is_up(s.eth_b));
  ck_assert(net_ethernet_link_is_up(s.eth_a));
  stack_down(&s);
}
END_TEST

START_TEST(test_create_errors)
{
  struct net_scheduler_options_s o = { .clock = NET_CLOCK_VIRTUAL };
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, &o);
  struct net_device_s *a, *b;
  struct net_pair_params_s bad = { .duplicate = -0.1 };
  ck_assert_int_eq(net_pair_create(sched, &bad, NULL, &a, &b), -EINVAL);
  ck_assert_int_eq(net_pair_create(NULL, NULL, NULL, &a, &b), -EINVAL);
  /* Ends without layers are freed with their last reference. */
  ck_assert_int_eq(net_pair_create(sched, NULL, NULL, &a, &b), 0);
  ck_assert_int_eq(net_pair_stats(a, NULL), -EINVAL);
  net_device_refdec(a);
  net_device_refdec(b);
  net_scheduler_destroy(sched);
}
END_TEST

/* Both ends' layers destroyed at the same time on the threaded scheduler
   while frames cross in both directions, some immediate, some delayed by
   reordering: each end's detach flushes the frames heading to it and
   tells the other end its link went down while that end is itself being
   destroyed on the other worker.  No crash, no leak, no race (this suite
   runs under ThreadSanitizer). */
START_TEST(test_threaded_ends_vanish_together)
{
  const char *w = getenv("NET_TEST_WRAPPER");
  unsigned rounds = w && !strcmp(w, "valgrind") ? 10 : 100;
  struct net_scheduler_options_s o = { .workers = 2 };
  struct net_scheduler_s *sched = net_scheduler_threaded_create(&o);
  ck_assert_ptr_nonnull(sched);
  struct net_pair_params_s imp = { .seed = 7, .reorder = 0.3,
                                   .reorder_delay = NET_NSEC_PER_MSEC / 10 };
  for (unsigned r = 0; r < rounds; r++)
    {
      struct net_device_s *dev[2];
      struct net_layer_s *eth[2];
      struct recorder_s *rec[2];
      const uint8_t *mac[2] = { mac_a, mac_b };
      ck_assert_int_eq(net_pair_create(sched, &imp, &imp, &dev[0], &dev[1]), 0);
      for (int i = 0; i < 2; i++)
        {
          struct net_ethernet_params_s p = { 0 };
          memcpy(p.mac, mac[i], 6);
          ck_assert_int_eq(net_device_layer_create(dev[i], NET_LAYER_ETHERNET, &p,
                                                   NULL, NULL, &eth[i]), 0);
          rec[i] = rec_new(sched);
          uint16_t t = TEST_TYPE;
          ck_assert_int_eq(net_layer_bind(eth[i], &t, &rec[i]->layer), 0);
        }
      for (unsigned k = 0; k < 32; k++)
        for (int i = 0; i < 2; i++)
          rec_send(rec[i], mac[1 - i], NULL, 64);
      /* Frames still crossing when the last references go, at once. */
      net_layer_refdec(eth[0]);
      net_layer_refdec(eth[1]);
      net_device_refdec(dev[0]);
      net_device_refdec(dev[1]);
      /* Delayed frames keep their receiver alive until their arrival
         (0.1 ms): wait for them, boundedly. */
      struct net_scheduler_stats_s st;
      for (unsigned k = 0; k < 1000; k++)
        {
          net_scheduler_run_for(sched, NET_NSEC_PER_MSEC);
          net_scheduler_run_until_idle(sched);
          net_scheduler_stats(sched, &st);
          if (st.live_layers == 2)
            break;
        }
      ck_assert_uint_eq(st.live_layers, 2);   /* the recorders, still ours */
      for (int i = 0; i < 2; i++)
        net_layer_refdec(&rec[i]->layer);
      net_scheduler_run_until_idle(sched);
    }
  struct net_scheduler_stats_s st;
  net_scheduler_stats(sched, &st);
  ck_assert_uint_eq(st.live_layers, 0);
  ck_assert_uint_eq(st.live_tasks, 0);
  net_scheduler_destroy(sched);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("pair");
  TCase *tc = tcase_create("pair");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_prng);
  tcase_add_test(tc, test_basic_delivery);
  tcase_add_test(tc, test_exact_delay);
  tcase_add_test(tc, test_impairment_rates);
  tcase_add_test(tc, test_same_seed_same_sequence);
  tcase_add_test(tc, test_jitter_bounds);
  tcase_add_test(tc, test_mtu_and_queue_limit);
  tcase_add_test(tc, test_peer_goes_away);
  tcase_add_test(tc, test_create_errors);
  tcase_add_test(tc, test_threaded_ends_vanish_together);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return net_check_run(suite());
}
