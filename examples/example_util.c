/* Shared helpers of the command-line examples (example_util.h). */
#include <config.h>
#include "example_util.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

void example_signals_block(struct example_signals_s *s)
{
  sigemptyset(&s->set);
  sigaddset(&s->set, SIGINT);
  sigaddset(&s->set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &s->set, NULL);
}

static void *signal_thread(void *arg)
{
  struct example_signals_s *s = arg;
  int sig;
  if (sigwait(&s->set, &sig) == 0 && !atomic_load(&s->stopping))
    {
      atomic_store(&s->caught, sig);
      net_scheduler_quit(s->sched);
    }
  return NULL;
}

int example_signals_start(struct example_signals_s *s, struct net_scheduler_s *sched)
{
  s->sched = sched;
  if (pthread_create(&s->thread, NULL, signal_thread, s) != 0)
    return -EAGAIN;
  s->started = true;
  return 0;
}

int example_signals_stop(struct example_signals_s *s)
{
  if (s->started)
    {
      /* Wake the thread with a signal of its own: cancelling a thread in
         sigwait() trips the sanitizers' thread teardown. */
      atomic_store(&s->stopping, true);
      pthread_kill(s->thread, SIGTERM);
      pthread_join(s->thread, NULL);
      s->started = false;
    }
  return atomic_load(&s->caught);
}

void example_print_stats(struct net_layer_s *layer)
{
  struct net_stat_s stats[128];
  if (!layer)
    return;
  size_t n = net_layer_stats(layer, stats, G_N_ELEMENTS(stats));
  for (size_t i = 0; i < n && i < G_N_ELEMENTS(stats); i++)
    if (stats[i].value)
      fprintf(stderr, "  %s.%s %llu\n", net_layer_type_name(layer), stats[i].name,
              (unsigned long long)stats[i].value);
}

void example_print_pool_stats(struct net_scheduler_s *sched)
{
  struct net_buffer_pool_s *pools[] = {
    net_scheduler_small_pool(sched), net_scheduler_large_pool(sched),
    net_scheduler_medium_pool(sched), net_scheduler_jumbo_pool(sched),
  };
  for (size_t i = 0; i < G_N_ELEMENTS(pools); i++)
    {
      struct net_buffer_pool_stats_s ps;
      if (!pools[i])
        continue;
      net_buffer_pool_stats(pools[i], &ps);
      if (ps.allocs)
        fprintf(stderr, "  pool.%s high_water %zu of %zu x %zu bytes, "
                "%llu allocs, %llu failures\n", net_buffer_pool_name(pools[i]),
                ps.high_water, ps.capacity, ps.buffer_size,
                (unsigned long long)ps.allocs, (unsigned long long)ps.failures);
    }
}

static int parse_addr(const char *prog, const char *text, struct net_ipv4_config_s *cfg)
{
  uint32_t addr;
  unsigned len;
  if (cfg->addr_count == NET_IPV4_MAX_ADDRS
      || net_ipv4_parse(text, &addr, &len) < 0 || !strchr(text, '/'))
    {
      fprintf(stderr, "%s: invalid address '%s' (A.B.C.D/N)\n", prog, text);
      return -EINVAL;
    }
  cfg->addrs[cfg->addr_count].addr = addr;
  cfg->addrs[cfg->addr_count].prefix_len = (uint8_t)len;
  cfg->addr_count++;
  return 0;
}

int example_option(const char *prog, int c, const char *arg, struct example_opts_s *o)
{
  switch (c)
    {
    case 'i':
      o->interface = arg;
      return 1;
    case 'a':
      return parse_addr(prog, arg, &o->ipv4) < 0 ? -1 : 1;
    case 'g':
      if (net_ipv4_parse(arg, &o->ipv4.gateway, NULL) < 0)
        {
          fprintf(stderr, "%s: invalid gateway '%s'\n", prog, arg);
          return -1;
        }
      return 1;
    case 's':
      if (strcmp(arg, "loop") != 0 && strcmp(arg, "threaded") != 0)
        {
          fprintf(stderr, "%s: unknown scheduler '%s' (loop or threaded)\n", prog, arg);
          return -1;
        }
      o->threaded = strcmp(arg, "threaded") == 0;
      return 1;
    case 'C':
      o->create = true;
      return 1;
    default:
      return 0;
    }
}

int example_options_check(const char *prog, int argc, char **argv,
                          const struct example_opts_s *o, bool need_addr)
{
  if (optind < argc)
    {
      fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
      return -1;
    }
  if (!o->interface)
    {
      fprintf(stderr, "%s: no interface given (-i TAPNAME)\n", prog);
      return -1;
    }
  if (need_addr && !o->ipv4.addr_count)
    {
      fprintf(stderr, "%s: no address given (--addr A.B.C.D/N)\n", prog);
      return -1;
    }
  return 0;
}

int example_stack_open(struct example_stack_s *st, const char *prog,
                       const struct example_opts_s *o,
                       const struct net_scheduler_options_s *so,
                       const struct net_tap_params_s *tp,
                       const struct net_ethernet_params_s *ep)
{
  *st = (struct example_stack_s){ 0 };
  st->sched = o->threaded ? net_scheduler_threaded_create(so)
                          : net_scheduler_loop_create(NULL, so);
  if (!st->sched)
    {
      fprintf(stderr, "%s: cannot create the scheduler\n", prog);
      return -ENOMEM;
    }
  struct net_tap_params_s tap_params = { 0 };
  if (tp)
    tap_params = *tp;
  tap_params.name = o->interface;
  if (!o->create)
    tap_params.flags |= NET_TAP_NO_CREATE;
  int err = net_tap_open(st->sched, &tap_params, &st->tap);
  if (err < 0)
    {
      fprintf(stderr, "%s: cannot open TAP %s: %s\n", prog, o->interface,
              net_tap_strerror(err));
      return err;
    }
  err = net_device_layer_create(st->tap, NET_LAYER_ETHERNET, ep, NULL, NULL, &st->eth);
  if (err < 0)
    {
      fprintf(stderr, "%s: %s: %s\n", prog, o->interface, g_strerror(-err));
      return err;
    }
  if (!o->ipv4.addr_count)
    return 0;
  struct net_inet_config_s cfg = { .ipv4 = o->ipv4 };
  err = net_inet_create(st->eth, &cfg, &st->inet);
  if (err < 0)
    fprintf(stderr, "%s: cannot build the IPv4 suite: %s\n", prog, g_strerror(-err));
  return err;
}

void example_stack_quiesce(struct example_stack_s *st)
{
  net_layer_unbind_all(st->eth);
  net_scheduler_run_until_idle(st->sched);
}

void example_stack_close(struct example_stack_s *st)
{
  net_inet_release(&st->inet);
  if (st->eth)
    {
      net_layer_unbind_all(st->eth);
      net_layer_refdec(st->eth);
    }
  if (st->tap)
    net_device_refdec(st->tap);
  if (st->sched)
    net_scheduler_destroy(st->sched);
  *st = (struct example_stack_s){ 0 };
}
