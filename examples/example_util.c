/* Shared helpers of the command-line examples (example_util.h). */
#include <config.h>
#include "example_util.h"
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

int example_parse_addr(const char *prog, const char *text, struct net_ipv4_config_s *cfg)
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
