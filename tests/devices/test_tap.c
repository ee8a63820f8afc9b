/* TAP device against the Linux kernel, in a private network namespace
   (unshare): open errors, frames both ways through an AF_PACKET socket
   on the kernel side, oversize drops, a burst bigger than a read batch,
   link down when the interface is deleted.  Exits 77 (SKIP) without root
   or /dev/net/tun. */
#include <config.h>
#include <net/dev/tap.h>
#include "check_main.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "recorder.h"

#define TEST_TYPE 0x88b5

static const uint8_t our_mac[6] = { 0x02, 0x42, 0, 0, 0, 1 };
static const uint8_t kernel_peer_mac[6] = { 0x02, 0x42, 0, 0, 0, 2 };

/* A persistent TAP, administratively up, as `ip tuntap add` would make. */
static void make_persistent_tap(const char *name)
{
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  struct ifreq ifr = { 0 };
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
  ck_assert_int_eq(ioctl(fd, TUNSETIFF, &ifr), 0);
  ck_assert_int_eq(ioctl(fd, TUNSETPERSIST, 1), 0);
  close(fd);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  memset(&ifr, 0, sizeof ifr);
  g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
  ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
  ifr.ifr_flags |= IFF_UP;
  ck_assert_int_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
  close(s);
}

/* The kernel side: a raw packet socket on the interface. */
static int kernel_socket(const char *name)
{
  int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(TEST_TYPE));
  ck_assert_int_ge(s, 0);
  struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                             .sll_protocol = htons(TEST_TYPE),
                             .sll_ifindex = (int)if_nametoindex(name) };
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sll, sizeof sll), 0);
  return s;
}

static void kernel_send(int s, size_t payload, uint32_t tag)
{
  uint8_t f[2000] = { 0 };
  memcpy(f, our_mac, 6);
  memcpy(f + 6, kernel_peer_mac, 6);
  f[12] = TEST_TYPE >> 8;
  f[13] = TEST_TYPE & 0xff;
  memcpy(f + 14, &tag, 4);
  ck_assert_int_eq(send(s, f, 14 + payload, 0), (ssize_t)(14 + payload));
}

/* Run the scheduler until @p done says so, at most ~5 s of real time (a
   readiness bound, not a timing assertion). */
static void run_until(struct net_scheduler_s *sched, bool (*done)(void *), void *arg)
{
  for (unsigned i = 0; i < 500 && !done(arg); i++)
    net_scheduler_run_for(sched, 10 * NET_NSEC_PER_MSEC);
}

struct count_s
{
  struct recorder_s *rec;
  unsigned want;
};

static bool got_packets(void *arg)
{
  struct count_s *c = arg;
  return c->rec->packets->len >= c->want;
}

static bool link_down(void *arg)
{
  return !net_ethernet_link_is_up(arg);
}

static bool link_up(void *arg)
{
  return net_ethernet_link_is_up(arg);
}

START_TEST(test_open_errors)
{
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, NULL);
  struct net_device_s *dev;
  struct net_tap_params_s p = { .name = "a-name-too-long-for-linux" };
  ck_assert_int_eq(net_tap_open(sched, &p, &dev), -ENAMETOOLONG);
  ck_assert_ptr_null(dev);
  p = (struct net_tap_params_s){ .name = "lntnope0", .flags = NET_TAP_NO_CREATE };
  ck_assert_int_eq(net_tap_open(sched, &p, &dev), -ENODEV);
  p = (struct net_tap_params_s){ .name = "lo" };
  ck_assert_int_eq(net_tap_open(sched, &p, &dev), -EINVAL);
  p = (struct net_tap_params_s){ .name = "lnt1", .offloads = NET_TAP_OFFLOAD_TSO4 };
  ck_assert_int_eq(net_tap_open(sched, &p, &dev), -EINVAL);   /* TSO4 needs CSUM */
  p = (struct net_tap_params_s){ .name = "lnt1", .offloads = 1u << 7 };
  ck_assert_int_eq(net_tap_open(sched, &p, &dev), -EINVAL);
  ck_assert_str_eq(net_tap_strerror(-EPERM), "permission denied: needs CAP_NET_ADMIN "
                   "(run as root, or create the TAP first with `ip tuntap add "
                   "NAME mode tap user USER`)");

  make_persistent_tap("lnt1");
  p = (struct net_tap_params_s){ .name = "lnt1", .flags = NET_TAP_EXCLUSIVE };
  ck_assert_int_eq(net_tap_open(sched, &p, &dev), -EBUSY);
  p = (struct net_tap_params_s){ .name = "lnt1", .flags = NET_TAP_NO_CREATE };
  ck_assert_int_eq(net_tap_open(sched, &p, &dev), 0);
  ck_assert_str_eq(net_tap_name(dev), "lnt1");
  ck_assert(net_tap_is(dev));
  ck_assert_uint_eq(net_tap_mtu(dev), 1500);
  struct net_device_s *dev2;
  ck_assert_int_eq(net_tap_open(sched, &p, &dev2), -EBUSY);   /* attached */
  net_device_refdec(dev);

  /* No name: the kernel picks one, and the TAP goes with the device. */
  ck_assert_int_eq(net_tap_open(sched, NULL, &dev), 0);
  ck_assert_int_eq(strncmp(net_tap_name(dev), "tap", 3), 0);
  unsigned index = if_nametoindex(net_tap_name(dev));
  ck_assert_uint_ne(index, 0);
  char name[IFNAMSIZ];
  g_strlcpy(name, net_tap_name(dev), sizeof name);
  net_device_refdec(dev);
  ck_assert_uint_eq(if_nametoindex(name), 0);
  net_scheduler_destroy(sched);
}
END_TEST

START_TEST(test_frames_both_ways)
{
  struct net_scheduler_s *sched = net_scheduler_loop_create(NULL, NULL);
  make_persistent_tap("lnt2");
  int ks = kernel_socket("lnt2");
  struct net_device_s *dev;
  struct net_tap_params_s tp = { .name = "lnt2", .rx_batch = 8 };
  ck_assert_int_eq(net_tap_open(sched, &tp, &dev), 0);
  struct net_ethernet_params_s ep = { .mtu = 1000 };
  memcpy(ep.mac, our_mac, 6);
  struct net_layer_s *eth;
  ck_assert_int_eq(net_device_layer_create(dev, NET_LAYER_ETHERNET, &ep, NULL,
                                           NULL, &eth), 0);
  ck_assert_int_eq(net_device_layer_create(dev, NET_LAYER_ETHERNET, &ep, NULL,
                                           NULL, &(struct net_layer_s *){ NULL }),
                   -EBUSY);
  struct recorder_s *rec = rec_new(sched);
  uint16_t type = TEST_TYPE;
  ck_assert_int_eq(net_layer_bind(eth, &type, &rec->layer), 0);
  run_until(sched, link_up, eth);
  ck_assert(net_ethernet_link_is_up(eth));

  /* Kernel -> stack, including frames over our MTU (dropped). */
  kernel_send(ks, 100, 1);
  kernel_send(ks, 1001, 2);
  kernel_send(ks, 1000, 3);
  struct count_s c = { rec, 2 };
  run_until(sched, got_packets, &c);
  ck_assert_uint_eq(rec->packets->len, 2);
  ck_assert_uint_eq(rec_get(rec, 0)->bytes->len, 100);
  ck_assert_uint_eq(rec_get(rec, 1)->bytes->len, 1000);
  ck_assert_mem_eq(rec_get(rec, 0)->src.mac, kernel_peer_mac, 6);
  ck_assert_uint_eq(stat_get(eth, "drop_oversize"), 1);

  /* A burst longer than a read batch. */
  for (uint32_t i = 0; i < 200; i++)
    kernel_send(ks, 46, 100 + i);
  c.want = 202;
  run_until(sched, got_packets, &c);
  ck_assert_uint_eq(rec->packets->len, 202);
  for (uint32_t i = 0; i < 200; i++)
    {
      uint32_t tag;
      memcpy(&tag, rec_get(rec, 2 + i)->bytes->data, 4);
      ck_assert_uint_eq(tag, 100 + i);
    }
  ck_assert_uint_gt(stat_get(eth, "tap_rx_batches"), 200 / 8);

  /* Stack -> kernel: padded to 60 bytes. */
  ck_assert_int_eq(rec_send(rec, kernel_peer_mac, "ping", 4), 0);
  struct pollfd pfd = { .fd = ks, .events = POLLIN };
  uint8_t buf[2000];
  ssize_t n = 0;
  for (unsigned i = 0; i < 500 && n <= 0; i++)
    {
      net_scheduler_run_for(sched, 10 * NET_NSEC_PER_MSEC);
      while (n <= 0 && poll(&pfd, 1, 0) == 1)
        {
          /* The socket also sees what the kernel side itself sent. */
          struct sockaddr_ll from;
          socklen_t fl = sizeof from;
          n = recvfrom(ks, buf, sizeof buf, MSG_DONTWAIT,
                       (struct sockaddr *)&from, &fl);
          if (n > 0 && from.sll_pkttype == PACKET_OUTGOING)
            n = 0;
        }
    }
  ck_assert_int_eq(n, 60);
  ck_assert_mem_eq(buf, kernel_peer_mac, 6);
  ck_assert_mem_eq(buf + 6, our_mac, 6);
  ck_assert_mem_eq(buf + 14, "ping", 4);
  ck_assert_uint_eq(stat_get(eth, "tx_frames"), 1);

  /* The interface disappears: link down, sends dropped. */
  int s = system("ip link del lnt2 2>/dev/null");
  if (s == 0)
    {
      run_until(sched, link_down, eth);
      ck_assert(!net_ethernet_link_is_up(eth));
      rec_send(rec, kernel_peer_mac, "lost", 4);
      net_scheduler_run_for(sched, 10 * NET_NSEC_PER_MSEC);
      ck_assert_uint_eq(stat_get(eth, "tx_drop_link_down"), 1);
    }
  close(ks);
  net_layer_refdec(&rec->layer);
  net_layer_refdec(eth);
  net_device_refdec(dev);
  net_scheduler_run_until_idle(sched);
  net_scheduler_destroy(sched);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tap");
  TCase *tc = tcase_create("tap");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_open_errors);
  tcase_add_test(tc, test_frames_both_ways);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  if (geteuid() != 0)
    {
      fprintf(stderr, "SKIP: needs root (TAP devices, network namespaces)\n");
      return 77;
    }
  if (access("/dev/net/tun", R_OK | W_OK) != 0)
    {
      fprintf(stderr, "SKIP: no /dev/net/tun\n");
      return 77;
    }
  /* Every test (forked by Check) runs in this private namespace: nothing
     leaks to the host, and everything vanishes with the process. */
  if (unshare(CLONE_NEWNET) != 0)
    {
      fprintf(stderr, "SKIP: cannot create a network namespace: %s\n",
              g_strerror(errno));
      return 77;
    }
  return net_check_run(suite());
}
