/* pcap file writer of the dumper (net/layer/dumper.h).  Classic libpcap
   format with nanosecond timestamps (magic 0xa1b23c4d), in host byte
   order as the format allows; read by tcpdump, tshark and Wireshark. */
#include <config.h>
#include <net/layer/dumper.h>
#include <glib.h>
#include <errno.h>
#include <stdio.h>

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_DEFAULT_SNAPLEN 262144u

struct net_pcap_writer_s
{
  FILE *f;
  bool own;          /* opened by path: closed by net_pcap_close */
  uint32_t snaplen;
};

uint32_t net_pcap_linktype(enum net_dump_link_e link)
{
  switch (link)
    {
    case NET_DUMP_LINK_ETHERNET:
      return 1;
    case NET_DUMP_LINK_IPV4:
      return 228;
    default:
      return 147;
    }
}

static int put32(FILE *f, uint32_t v)
{
  return fwrite(&v, sizeof v, 1, f) == 1 ? 0 : -EIO;
}

int net_pcap_open(const char *path, FILE *stream, enum net_dump_link_e link,
                  uint32_t snaplen, struct net_pcap_writer_s **writer)
{
  if (!writer || (!path && !stream))
    return -EINVAL;
  *writer = NULL;
  FILE *f = path ? fopen(path, "wb") : stream;
  if (!f)
    return -errno;
  struct net_pcap_writer_s *w = g_new0(struct net_pcap_writer_s, 1);
  w->f = f;
  w->own = path != NULL;
  w->snaplen = snaplen ? snaplen : PCAP_DEFAULT_SNAPLEN;
  uint16_t version[2] = { 2, 4 };
  int err = put32(f, PCAP_MAGIC_NSEC);
  if (!err && fwrite(version, sizeof version, 1, f) != 1)
    err = -EIO;
  if (!err)
    err = put32(f, 0);                     /* thiszone: UTC */
  if (!err)
    err = put32(f, 0);                     /* sigfigs */
  if (!err)
    err = put32(f, w->snaplen);
  if (!err)
    err = put32(f, net_pcap_linktype(link));
  if (!err && fflush(f) != 0)
    err = -EIO;
  if (err)
    {
      net_pcap_close(w);
      return err;
    }
  *writer = w;
  return 0;
}

int net_pcap_write(struct net_pcap_writer_s *w, net_time_t time,
                   const uint8_t *data, size_t len)
{
  if (!w || (!data && len))
    return -EINVAL;
  uint32_t caplen = len > w->snaplen ? w->snaplen : (uint32_t)len;
  uint32_t rec[4] = {
    (uint32_t)(time / NET_NSEC_PER_SEC), (uint32_t)(time % NET_NSEC_PER_SEC),
    caplen, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
  };
  if (fwrite(rec, sizeof rec, 1, w->f) != 1
      || (caplen && fwrite(data, caplen, 1, w->f) != 1))
    return -EIO;
  return 0;
}

int net_pcap_flush(struct net_pcap_writer_s *w)
{
  return w && fflush(w->f) == 0 ? 0 : -EIO;
}

int net_pcap_close(struct net_pcap_writer_s *w)
{
  if (!w)
    return 0;
  int err = fflush(w->f) == 0 ? 0 : -EIO;
  if (w->own && fclose(w->f) != 0)
    err = -EIO;
  g_free(w);
  return err;
}
