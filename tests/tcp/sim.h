/* Two TCP stacks in one process over the test wire, on a virtual clock:
 * side 0 (10.0.0.1) connects, side 1 (10.0.0.2) listens. */
#ifndef TESTS_TCP_SIM_H_
#define TESTS_TCP_SIM_H_

#include "tapp.h"
#include "wire.h"
#include <net/dev/pair.h>
#include <net/layer/inet.h>
#include "layers/tcp_private.h"
#include <glib.h>

struct sim_server_s
{
  bool start_on_peer_closed;
  bool close_on_peer_closed;
  uint64_t tx_total;            /* bytes each accepted app sends */
  bool shutdown_after;          /* and then shuts down */
  bool manual;                  /* sessions in manual receive mode */
  bool paused;                  /* apps start paused (manual) */
  unsigned chunk_min, chunk_max;
  struct net_tcp_session_options_s options;
  unsigned backlog, accept_max;
  bool refuse;                  /* the delegate refuses connections */
};

struct sim_s
{
  struct net_scheduler_s *sched;
  struct wire_s *wire;              /* test wire mode, or NULL */
  /* stack mode: pair device, Ethernet, IPv4 suite under each tcp layer */
  struct net_device_s *dev[2];
  struct net_layer_s *eth[2];
  struct net_inet_s inet[2];
  bool threaded;
  struct net_layer_s *tcp[2];
  uint64_t seed;
  struct net_layer_s *listener;
  struct sim_server_s server;
  GPtrArray *server_apps;       /* struct tapp_s *, referenced */
  GPtrArray *client_apps;       /* struct tapp_s *, referenced */
  GPtrArray *client_sessions;   /* struct net_layer_s *, referenced */
};

/* Seeds of the two streams of a connection (by client port). */
uint64_t sim_c2s_seed(const struct sim_s *sim, uint16_t client_port);
uint64_t sim_s2c_seed(const struct sim_s *sim, uint16_t client_port);

/* @p cfg applies to both tcp layers (NULL: defaults); seed overrides
   from the environment variable TCP_TEST_SEED when set. */
struct sim_s *sim_new(uint64_t seed, const struct wire_params_s *wp,
                      const struct net_tcp_config_s *cfg);
/* Over the real stack: pair device (impairments @p pp for both
   directions, seeded from @p seed), Ethernet, ARP/IPv4, tcp.  A threaded
   scheduler (real clock) when @p threaded. */
struct sim_s *sim_new_stack(uint64_t seed, const struct net_pair_params_s *pp,
                            const struct net_tcp_config_s *cfg, bool threaded);
/* The test wire on a threaded scheduler (real clock) when @p threaded. */
struct sim_s *sim_new_wire(uint64_t seed, const struct wire_params_s *wp,
                           const struct net_tcp_config_s *cfg0,
                           const struct net_tcp_config_s *cfg1, bool threaded);
/* The same with a configuration per side (client 0, server 1). */
struct sim_s *sim_new2(uint64_t seed, const struct wire_params_s *wp,
                       const struct net_tcp_config_s *cfg0,
                       const struct net_tcp_config_s *cfg1);
int sim_listen(struct sim_s *sim, uint16_t port, const struct sim_server_s *srv);
/* Connect from a fixed local port (no session inspection: safe while a
   threaded scheduler runs). */
struct tapp_s *sim_connect_from(struct sim_s *sim, uint16_t port,
                                uint16_t local_port, uint64_t tx_total,
                                bool shutdown_after);
/* Connect a new client app that sends @p tx_total bytes (then shuts down
   when @p shutdown_after). */
struct tapp_s *sim_connect(struct sim_s *sim, uint16_t port, uint64_t tx_total,
                           bool shutdown_after,
                           const struct net_tcp_session_options_s *opt);
/* Run the virtual clock by 10 ms steps until done(ctx) or @p limit of
   virtual time passed; returns done's last value. */
bool sim_run(struct sim_s *sim, bool (*done)(struct sim_s *sim, void *ctx),
             void *ctx, net_time_t limit);
/* Count of sessions bound under tcp[side]. */
size_t sim_sessions(const struct sim_s *sim, int side);
uint64_t sim_stat(const struct sim_s *sim, int side, const char *name);
/* Craft a segment (checksum filled) and deliver it to side @p to as if
   sent from @p src. */
void sim_inject(struct sim_s *sim, int to, uint32_t src,
                const struct net_tcp_hdr_out_s *h, const void *payload,
                size_t len);
/* Both streams of a connection arrived whole and exact (@p c2s bytes
   at the server app, @p s2c at the client app), events in order. */
void sim_check_exact(const struct sim_s *sim, const struct tapp_s *c,
                     const struct tapp_s *s, uint64_t c2s, uint64_t s2c);
/* Snapshot of the session an app is bound to. */
struct net_tcp_info_s sim_info(struct tapp_s *a);
/* Run the scheduler until nothing is runnable (no time passes). */
void sim_idle(struct sim_s *sim);
/* Print counters when TCP_TEST_VERBOSE is set. */
void sim_dump(const struct sim_s *sim);
/* Tear down and check nothing is left (layers, tasks). */
void sim_free(struct sim_s *sim);

/* Seed for a test: TCP_TEST_SEED or @p dflt; printed so failures can
   be reproduced. */
uint64_t sim_seed(uint64_t dflt);
/* Scale for heavy tests: TCP_TEST_SCALE (e.g. 0.1 under Valgrind). */
double sim_scale(void);

#endif
