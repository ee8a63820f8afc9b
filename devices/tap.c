/* TAP device (net/dev/tap.h): a Linux TAP interface under an Ethernet
   layer.  Reads frames in bounded batches straight into pool buffers when
   the scheduler reports the fd readable; writes outbound frames.  With
   offloads, every frame carries a virtio-net header (IFF_VNET_HDR) saying
   which checksums are left to do or were verified, and which frames are
   TCP super-segments (up to 64 KiB, TUNSETOFFLOAD). */
#include <config.h>

#define G_LOG_DOMAIN NET_LOG_DOMAIN

#include <net/dev/tap.h>
#include <net/buffer.h>
#include <net/scheduler.h>
#include <net/task.h>
#include <glib.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>


/* Keep draining after a batch: pushed to the layer itself, so other
   layers get a turn between batches. */
#define TAP_OP_DRAIN (NET_ETHERNET_OP_DRIVER_BASE + 0)
/* First task of a new layer: start watching the fd from the layer's own
   context, so the watch handle is only ever touched there. */
#define TAP_OP_START (NET_ETHERNET_OP_DRIVER_BASE + 1)

#define TAP_DEFAULT_BATCH 64
/* Received frames start 2 bytes into a 4-byte boundary so the IP header
   behind the 14-byte Ethernet header is 4-byte aligned. */
#define TAP_RX_ALIGN 2
/* Frames read when no pool buffer is free are discarded through this
   (the kernel would otherwise keep the fd readable forever). */
#define TAP_SCRATCH_SIZE 65536

enum tap_stat_e
{
  TAP_RX_READS, TAP_RX_BATCHES, TAP_RX_NO_BUFFER, TAP_RX_TRUNCATED,
  TAP_RX_ERRORS, TAP_TX_ERRORS,
  TAP_RX_GSO, TAP_RX_CSUM_OFFLOAD, TAP_RX_BAD_VNET_HDR,
  TAP_TX_GSO, TAP_TX_CSUM_OFFLOAD, TAP_TX_BAD_OFFLOAD, TAP_RX_COPIED,
  TAP_STAT_COUNT
};

static const char *const tap_stat_names[TAP_STAT_COUNT] = {
  "tap_rx_reads", "tap_rx_batches", "tap_rx_no_buffer", "tap_rx_truncated",
  "tap_rx_errors", "tap_tx_errors",
  "tap_rx_gso", "tap_rx_csum_offload", "tap_rx_bad_vnet_hdr",
  "tap_tx_gso", "tap_tx_csum_offload", "tap_tx_bad_offload", "tap_rx_copied",
};

struct tap_s
{
  struct net_device_s dev;
  int fd;
  uint32_t mtu;
  unsigned rx_batch;
  bool vnet;                     /* frames carry a struct virtio_net_hdr */
  uint32_t offloads;             /* negotiated: enum net_tap_offload_e */
  pthread_mutex_t lock;                   /* guards eth against concurrent creation */
  struct net_layer_s *eth;       /* weak: cleared by detach */
  /* Touched only in the layer's context: */
  struct net_fd_watch_s *watch;
  bool gone;                     /* the interface disappeared */
  uint8_t *scratch;
  /* TSO: jumbo buffer the next read spills a super-frame into. */
  struct net_buffer_s *spare;
  _Atomic uint64_t stats[TAP_STAT_COUNT];
};

static const struct net_device_ops_s tap_ops;

static struct tap_s *tap_of(struct net_device_s *dev)
{
  return net_container_of(dev, struct tap_s, dev);
}

static void stat_inc(struct tap_s *t, enum tap_stat_e s)
{
  uint64_t v = atomic_load_explicit(&t->stats[s], memory_order_relaxed);
  atomic_store_explicit(&t->stats[s], v + 1, memory_order_relaxed);
}

/* The interface is gone (deleted while we were attached): the fd will
   only ever report errors, so stop watching it and say the link is down. */
static void tap_gone(struct tap_s *t, struct net_layer_s *eth)
{
  if (t->gone)
    return;
  t->gone = true;
  g_message("tap %s: interface disappeared, link down", t->dev.name);
  net_scheduler_fd_unwatch(t->watch);
  t->watch = NULL;
  net_ethernet_link_report(eth, false);
}

/* A read failed with @p err: wait for the next readiness, or give up on
   a vanished interface. */
static void tap_read_error(struct tap_s *t, struct net_layer_s *eth, int err)
{
  if (err == EAGAIN || err == EWOULDBLOCK)
    net_scheduler_fd_rearm(t->watch);
  else if (err == EBADFD || err == EIO || err == ENXIO)
    tap_gone(t, eth);
  else
    {
      stat_inc(t, TAP_RX_ERRORS);
      g_warning("tap %s: read: %s", t->dev.name, g_strerror(err));
      net_scheduler_fd_rearm(t->watch);
    }
}

/* Offload metadata of a received frame from its virtio-net header.
   Returns false when the header asks for something never negotiated. */
static bool tap_rx_offloads(struct tap_s *t, struct net_buffer_s *buf,
                            const struct virtio_net_hdr *vh)
{
  if (vh->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
    {
      /* NEEDS_CSUM: a packet of the kernel's own whose checksum was never
         computed since it never left the machine: as good as verified. */
      buf->offload_flags |= NET_BUFFER_CSUM_VALID;
      stat_inc(t, TAP_RX_CSUM_OFFLOAD);
    }
  switch (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN)
    {
    case VIRTIO_NET_HDR_GSO_NONE:
      return true;
    case VIRTIO_NET_HDR_GSO_TCPV4:
      if (!(t->offloads & NET_TAP_OFFLOAD_TSO4) || vh->gso_size == 0)
        return false;
      buf->offload_flags |= NET_BUFFER_GSO_TCPV4;
      buf->gso_size = vh->gso_size;
      stat_inc(t, TAP_RX_GSO);
      return true;
    default:
      return false;
    }
}

/* Read one frame into @p buf (into t->spare too when it does not fit and
   TSO may send super-frames).  Returns the frame's buffer with a
   reference of its own (the caller keeps its reference to @p buf), or
   NULL with *@p err set (0: frame dropped, go on; else the errno of the
   read). */
static struct net_buffer_s *tap_read_frame(struct tap_s *t,
                                           struct net_buffer_s *buf, int *err)
{
  struct virtio_net_hdr vh;
  struct iovec iov[3];
  int iovcnt = 0;
  size_t room = net_buffer_tailroom(buf);
  size_t hdr = t->vnet ? sizeof(vh) : 0;
  struct net_buffer_s *spare = t->spare;

  size_t capacity = room;

  if (t->vnet)
    iov[iovcnt++] = (struct iovec){ &vh, sizeof(vh) };
  iov[iovcnt++] = (struct iovec){ buf->data + buf->end, room };
  /* A super-frame goes on in the spare jumbo buffer, behind the room
     where its beginning is copied afterwards: a small frame costs no copy
     and no jumbo buffer. */
  if (spare && net_buffer_tailroom(spare) > room)
    {
      capacity = net_buffer_tailroom(spare);
      iov[iovcnt++] = (struct iovec){ spare->data + spare->end + room,
                                      capacity - room };
    }
  ssize_t n;
  do
    n = readv(t->fd, iov, iovcnt);
  while (n < 0 && errno == EINTR);
  *err = n < 0 ? errno : 0;
  if (n < 0)
    return NULL;
  stat_inc(t, TAP_RX_READS);
  if ((size_t)n < hdr)
    {
      stat_inc(t, TAP_RX_BAD_VNET_HDR);
      return NULL;
    }
  size_t len = (size_t)n - hdr;
  /* The kernel cuts a frame longer than the buffers and says how much it
     copied: a frame that fills them (more than any frame of our MTU) may
     have been cut. */
  if (len >= capacity)
    {
      /* With TSO and no jumbo buffer left, a super-frame has nowhere to go. */
      stat_inc(t, (t->offloads & NET_TAP_OFFLOAD_TSO4) && capacity == room
                  ? TAP_RX_NO_BUFFER : TAP_RX_TRUNCATED);
      return NULL;
    }
  struct net_buffer_s *medium = NULL;
  if (len > room)
    medium = net_buffer_alloc(net_scheduler_medium_pool(t->dev.scheduler),
                              buf->begin);
  if (medium && net_buffer_tailroom(medium) < len)
    {
      net_buffer_refdec(medium);
      medium = NULL;
    }
  if (medium)
    {
      /* A super-frame of a few MSS (the kernel sizes them by the flow's
         rate: many flows, small ones) does not hold a jumbo buffer, which
         every byte it carries would be charged for downstream: the copy
         is small, the spare stays. */
      uint8_t *to = net_buffer_put(medium, len);
      memcpy(to, buf->data + buf->end, room);
      memcpy(to + room, spare->data + spare->end + room, len - room);
      buf = medium;
      stat_inc(t, TAP_RX_COPIED);
    }
  else if (len > room)
    {
      memcpy(spare->data + spare->end, buf->data + buf->end, room);
      t->spare = NULL;
      buf = spare;
      net_buffer_put(buf, len);
    }
  else
    {
      net_buffer_refinc(buf);
      net_buffer_put(buf, len);
    }
  if (t->vnet && !tap_rx_offloads(t, buf, &vh))
    {
      stat_inc(t, TAP_RX_BAD_VNET_HDR);
      net_buffer_refdec(buf);
      return NULL;
    }
  return buf;
}

/* Read one frame.  Returns false when the fd has nothing more (or
   failed), after rearming the watch or declaring the interface gone. */
static bool tap_read_one(struct tap_s *t, struct net_layer_s *eth)
{
  struct net_scheduler_s *sched = eth->scheduler;
  size_t headroom = eth->context.prefix_size + TAP_RX_ALIGN;
  size_t max_frame = (size_t)eth->context.mtu + NET_ETHERNET_HEADER_LEN
                     + NET_ETHERNET_VLAN_LEN;
  struct net_buffer_s *buf = net_scheduler_buffer_alloc(sched, headroom, max_frame);
  int err;
  if ((t->offloads & NET_TAP_OFFLOAD_TSO4) && !t->spare)
    t->spare = net_buffer_alloc(net_scheduler_jumbo_pool(sched), headroom);
  if (!buf)
    {
      ssize_t n;
      if (!t->scratch)
        t->scratch = g_malloc(TAP_SCRATCH_SIZE);
      do
        n = read(t->fd, t->scratch, TAP_SCRATCH_SIZE);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        {
          tap_read_error(t, eth, errno);
          return false;
        }
      stat_inc(t, TAP_RX_NO_BUFFER);
      return true;
    }
  struct net_buffer_s *frame = tap_read_frame(t, buf, &err);
  net_buffer_refdec(buf);
  if (err)
    {
      tap_read_error(t, eth, err);
      return false;
    }
  if (frame)
    net_ethernet_input(eth, frame, net_scheduler_time(sched));
  return true;
}

static void tap_drain(struct tap_s *t, struct net_layer_s *eth)
{
  if (t->gone || !t->watch)
    return;
  stat_inc(t, TAP_RX_BATCHES);
  for (unsigned i = 0; i < t->rx_batch; i++)
    if (!tap_read_one(t, eth) || t->gone)
      return;
  /* Batch used up and maybe more to read: come back after the others. */
  struct net_task_s *task = net_scheduler_task_alloc(eth->scheduler);
  if (!task || net_task_notification_push(task, eth, eth, TAP_OP_DRAIN, 0, 0) < 0)
    net_scheduler_fd_rearm(t->watch);
}

static void tap_start(struct tap_s *t, struct net_layer_s *eth)
{
  t->watch = net_scheduler_fd_watch(eth->scheduler, eth, t->fd, G_IO_IN);
  if (!t->watch)
    {
      g_warning("tap %s: cannot watch the device fd; link stays down",
                t->dev.name);
      return;
    }
  net_ethernet_link_report(eth, true);
}

static void tap_task_handle(void *driver, struct net_layer_s *eth,
                            struct net_task_s *task)
{
  struct tap_s *t = driver;
  if (task->type == NET_TASK_NOTIFICATION)
    switch (task->notification.opcode)
      {
      case TAP_OP_START:
        tap_start(t, eth);
        break;
      case NET_OP_FD_READY:
      case TAP_OP_DRAIN:
        tap_drain(t, eth);
        break;
      default:
        break;
      }
  net_task_destroy(task);
}

/* The virtio-net header of an outbound frame: what the kernel still has
   to do (checksum, segmentation).  Returns false when the frame's offload
   metadata does not describe a TCP segment inside the frame. */
static bool tap_tx_offloads(struct tap_s *t, const struct net_buffer_s *frame,
                            struct virtio_net_hdr *vh)
{
  size_t len = net_buffer_len(frame);
  memset(vh, 0, sizeof(*vh));
  if (!(frame->offload_flags & NET_BUFFER_CSUM_PARTIAL))
    return true;
  size_t start = frame->csum_start, field = start + frame->csum_offset;
  if (field + 2 > len)
    return false;
  vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  vh->csum_start = frame->csum_start;
  vh->csum_offset = frame->csum_offset;
  stat_inc(t, TAP_TX_CSUM_OFFLOAD);
  if (!(frame->offload_flags & NET_BUFFER_GSO_TCPV4))
    return true;
  /* The TCP header starts where the checksum does; the kernel repeats
     everything up to its end (hdr_len) in front of every piece. */
  if (start + 20 > len || !(t->offloads & NET_TAP_OFFLOAD_TSO4) || !frame->gso_size)
    return false;
  size_t hdr_len = start + (size_t)(net_buffer_data(frame)[start + 12] >> 4) * 4;
  if (hdr_len > len)
    return false;
  vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh->gso_size = frame->gso_size;
  vh->hdr_len = (uint16_t)hdr_len;
  stat_inc(t, TAP_TX_GSO);
  return true;
}

static int tap_transmit(void *driver, struct net_layer_s *eth,
                        struct net_buffer_s *frame)
{
  struct tap_s *t = driver;
  if (t->gone)
    {
      net_buffer_refdec(frame);
      return -ENETDOWN;
    }
  struct virtio_net_hdr vh;
  struct iovec iov[2] = {
    { &vh, sizeof(vh) },
    { net_buffer_data(frame), net_buffer_len(frame) },
  };
  if (t->vnet && !tap_tx_offloads(t, frame, &vh))
    {
      stat_inc(t, TAP_TX_BAD_OFFLOAD);
      net_buffer_refdec(frame);
      return -EINVAL;
    }
  ssize_t n;
  do
    n = t->vnet ? writev(t->fd, iov, 2)
                : write(t->fd, net_buffer_data(frame), net_buffer_len(frame));
  while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  net_buffer_refdec(frame);
  if (!err)
    return 0;
  if (err == EAGAIN || err == EWOULDBLOCK)
    return -EAGAIN;
  if (err == EBADFD)
    {
      tap_gone(t, eth);
      return -ENETDOWN;
    }
  /* EIO: the kernel side of the interface is administratively down. */
  if (err == EIO)
    return -ENETDOWN;
  stat_inc(t, TAP_TX_ERRORS);
  return -err;
}

static void tap_detach(void *driver, struct net_layer_s *eth)
{
  struct tap_s *t = driver;
  /* A layer refused with -EBUSY is detached too: it must not touch the
     watch of the layer that owns the device.  The watch goes before eth
     is cleared, so a new layer's START cannot race with the unwatch. */
  pthread_mutex_lock(&t->lock);
  if (t->eth == eth)
    {
      net_scheduler_fd_unwatch(t->watch);
      t->watch = NULL;
      t->eth = NULL;
    }
  pthread_mutex_unlock(&t->lock);
}

static size_t tap_driver_stats(void *driver, struct net_stat_s *out, size_t max)
{
  struct tap_s *t = driver;
  for (size_t i = 0; i < TAP_STAT_COUNT && i < max; i++)
    {
      out[i].name = tap_stat_names[i];
      out[i].value = atomic_load_explicit(&t->stats[i], memory_order_relaxed);
    }
  return TAP_STAT_COUNT;
}

static const struct net_ethernet_driver_ops_s tap_eth_ops = {
  .transmit = tap_transmit,
  .task_handle = tap_task_handle,
  .detach = tap_detach,
  .stats = tap_driver_stats,
};

static int tap_layer_create(struct net_device_s *dev, uint32_t type,
                            const void *params, void *delegate,
                            const struct net_device_delegate_vtable_s *vtable,
                            struct net_layer_s **layer)
{
  struct tap_s *t = tap_of(dev);
  if (type != NET_LAYER_ETHERNET)
    return -EPROTONOSUPPORT;
  struct net_layer_s *eth;
  int err = net_ethernet_create(dev->scheduler, params, t->mtu, 0, &tap_eth_ops,
                                t, dev, delegate, vtable, &eth);
  if (err < 0)
    return err;
  uint32_t offloads = 0;
  if (t->offloads & NET_TAP_OFFLOAD_CSUM)
    offloads |= NET_OFFLOAD_CSUM;
  if (t->offloads & NET_TAP_OFFLOAD_TSO4)
    offloads |= NET_OFFLOAD_TSO4;
  net_ethernet_offloads_set(eth, offloads);
  /* Every frame up to the MTU must fit one large buffer. */
  size_t need = eth->context.prefix_size + TAP_RX_ALIGN + eth->context.mtu
                + NET_ETHERNET_HEADER_LEN + NET_ETHERNET_VLAN_LEN;
  if (net_buffer_pool_buffer_size(net_scheduler_large_pool(dev->scheduler)) < need)
    {
      g_warning("tap %s: MTU %u needs %zu-byte buffers; raise the scheduler's "
                "large_buffer_size", dev->name, eth->context.mtu, need);
      net_layer_refdec(eth);
      return -EMSGSIZE;
    }
  pthread_mutex_lock(&t->lock);
  bool busy = t->eth != NULL;
  if (!busy)
    {
      t->eth = eth;
      t->gone = false;
    }
  pthread_mutex_unlock(&t->lock);
  if (busy)
    {
      net_layer_refdec(eth);
      return -EBUSY;
    }
  struct net_task_s *start = net_scheduler_task_alloc(dev->scheduler);
  err = start ? net_task_notification_push(start, eth, eth, TAP_OP_START, 0, 0)
              : -ENOMEM;
  if (err < 0)
    {
      net_layer_refdec(eth); /* detach clears t->eth */
      return err;
    }
  *layer = eth;
  return 0;
}

static void tap_destroyed(struct net_device_s *dev)
{
  struct tap_s *t = tap_of(dev);
  /* The offloads belong to the interface and outlive us: the next user
     of a persistent TAP may read no virtio-net header. */
  if (t->offloads)
    ioctl(t->fd, TUNSETOFFLOAD, 0u);
  close(t->fd);
  net_buffer_refdec(t->spare);
  pthread_mutex_destroy(&t->lock);
  g_free(t->scratch);
  g_free(t);
}

static const struct net_device_ops_s tap_ops = {
  .layer_create = tap_layer_create,
  .destroyed = tap_destroyed,
};

static uint32_t interface_mtu(const char *name)
{
  uint32_t mtu = NET_ETHERNET_DEFAULT_MTU;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return mtu;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
  if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
    mtu = (uint32_t)ifr.ifr_mtu;
  close(s);
  return mtu;
}

/* Open /dev/net/tun and attach to (or create) the interface; with
   @p vnet, frames carry a virtio-net header of ours.  Returns the fd or a
   negative errno. */
static int tap_attach(const char *name, uint32_t flags, bool vnet,
                      struct ifreq *ifr)
{
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      int err = errno;
      if (err == ENXIO || err == ENODEV)
        err = ENOENT;
      if (err == EACCES)
        err = EPERM;
      return -err;
    }
  memset(ifr, 0, sizeof(*ifr));
  ifr->ifr_flags = IFF_TAP | IFF_NO_PI;
  if (flags & NET_TAP_EXCLUSIVE)
    ifr->ifr_flags |= IFF_TUN_EXCL;
  if (vnet)
    ifr->ifr_flags |= IFF_VNET_HDR;
  g_strlcpy(ifr->ifr_name, name, IFNAMSIZ);
  /* The header size belongs to the interface (a previous user may have
     changed it): set the one we write. */
  int hdr_size = sizeof(struct virtio_net_hdr);
  if (ioctl(fd, TUNSETIFF, ifr) < 0
      || (vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0))
    {
      int err = errno;
      close(fd);
      return err == EACCES ? -EPERM : -err;
    }
  return fd;
}

/* Ask the kernel for the offloads wanted, then for less: checksums
   alone, then nothing (the virtio-net header stays, all zero). */
static void tap_negotiate(struct tap_s *t, uint32_t wanted)
{
  t->vnet = true;
  static const struct
  {
    uint32_t offloads;
    unsigned features;
  } tries[] = {
    { NET_TAP_OFFLOAD_CSUM | NET_TAP_OFFLOAD_TSO4, TUN_F_CSUM | TUN_F_TSO4 },
    { NET_TAP_OFFLOAD_CSUM, TUN_F_CSUM },
    { 0, 0 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS(tries); i++)
    if ((tries[i].offloads & ~wanted) == 0
        && ioctl(t->fd, TUNSETOFFLOAD, tries[i].features) == 0)
      {
        t->offloads = tries[i].offloads;
        if (t->offloads != wanted)
          g_message("tap: offloads 0x%x asked, 0x%x granted", wanted, t->offloads);
        return;
      }
}

int net_tap_open(struct net_scheduler_s *sched,
                 const struct net_tap_params_s *params,
                 struct net_device_s **dev)
{
  static const struct net_tap_params_s defaults;
  if (!dev)
    return -EINVAL;
  *dev = NULL;
  if (!params)
    params = &defaults;
  const char *name = params->name ? params->name : "";
  if (!sched || params->flags & ~(uint32_t)(NET_TAP_NO_CREATE | NET_TAP_EXCLUSIVE)
      || (params->flags & NET_TAP_NO_CREATE && params->flags & NET_TAP_EXCLUSIVE)
      || (params->flags & NET_TAP_NO_CREATE && !*name))
    return -EINVAL;
  if (strlen(name) >= IFNAMSIZ)
    return -ENAMETOOLONG;
  if (params->offloads & ~(uint32_t)(NET_TAP_OFFLOAD_CSUM | NET_TAP_OFFLOAD_TSO4)
      || (params->offloads & NET_TAP_OFFLOAD_TSO4
          && !(params->offloads & NET_TAP_OFFLOAD_CSUM)))
    return -EINVAL;
  if (params->flags & NET_TAP_NO_CREATE && if_nametoindex(name) == 0)
    return -ENODEV;

  struct ifreq ifr;
  int fd = tap_attach(name, params->flags, params->offloads != 0, &ifr);
  if ((fd == -EINVAL || fd == -ENOTTY) && params->offloads)
    {
      g_message("tap: no virtio-net headers here (%s): no offloads",
                g_strerror(-fd));
      fd = tap_attach(name, params->flags, false, &ifr);
    }
  if (fd < 0)
    return fd;
  struct tap_s *t = g_new0(struct tap_s, 1);
  t->fd = fd;
  if (ifr.ifr_flags & IFF_VNET_HDR)
    tap_negotiate(t, params->offloads);
  else
    /* Offloads a previous user left on the interface would hand us
       unfinished checksums and super-frames without a header to say so. */
    ioctl(fd, TUNSETOFFLOAD, 0u);
  pthread_mutex_init(&t->lock, NULL);
  t->rx_batch = params->rx_batch ? params->rx_batch : TAP_DEFAULT_BATCH;
  char ifname[IFNAMSIZ + 1] = { 0 };
  memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
  t->mtu = interface_mtu(ifname);
  for (unsigned i = 0; i < TAP_STAT_COUNT; i++)
    atomic_init(&t->stats[i], 0);
  net_device_init(&t->dev, &tap_ops, sched, ifname);
  *dev = &t->dev;
  return 0;
}

bool net_tap_is(const struct net_device_s *dev)
{
  return dev && dev->ops == &tap_ops;
}

const char *net_tap_name(const struct net_device_s *dev)
{
  return net_tap_is(dev) ? dev->name : NULL;
}

uint32_t net_tap_offloads(const struct net_device_s *dev)
{
  return net_tap_is(dev)
         ? net_container_of(dev, const struct tap_s, dev)->offloads : 0;
}

uint32_t net_tap_mtu(const struct net_device_s *dev)
{
  return net_tap_is(dev)
         ? net_container_of(dev, const struct tap_s, dev)->mtu : 0;
}

const char *net_tap_strerror(int err)
{
  switch (err)
    {
    case 0:
      return "success";
    case -ENOENT:
      return "no /dev/net/tun (is the tun module loaded?)";
    case -EPERM:
      return "permission denied: needs CAP_NET_ADMIN (run as root, or create "
             "the TAP first with `ip tuntap add NAME mode tap user USER`)";
    case -ENAMETOOLONG:
      return "interface name too long (at most 15 bytes)";
    case -EBUSY:
      return "the TAP is already in use by another process";
    case -ENODEV:
      return "no such interface";
    case -EINVAL:
      return "invalid parameters, or the interface exists and is not a TAP";
    default:
      return g_strerror(-err);
    }
}
