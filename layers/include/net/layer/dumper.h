/**
 * @file net/layer/dumper.h
 * @brief Dumper layer: prints and records the packets it sees; the
 * tcpdump-style decoders and the pcap writer it is built from.
 *
 * Two ways to use the layer:
 * - sink (MutekH style): bind it anywhere as an ordinary child; every
 *   INBOUND or OUTBOUND packet task it receives is printed and destroyed.
 *   What the buffer holds is given by params.link (e.g. bound under
 *   Ethernet with ethertype 0x0800 it receives IPv4 packets).
 * - mirror: bind it under an Ethernet layer with the address
 *   NET_ETHERNET_MIRROR; it then sees every frame in and out of that
 *   layer, by reference (net/layer/ethernet.h), and prints "In"/"Out".
 *
 * Output, one line per packet, in the style of `tcpdump -n -S`:
 *   12:00:01.000042 Out IP 10.0.0.2.7 > 10.0.0.1.40000: Flags [S.], seq 1, ack 2, win 65535, options [mss 1460], length 0
 * Malformed packets are printed as such ("[truncated ip]", "[bad ihl 8]",
 * "[bad tcp cksum 1234]"), never read past their end.
 *
 * The decoders below are pure functions (no layer, no scheduler, no
 * allocation): unit-testable and fuzzable on their own.
 */
#ifndef NET_LAYER_DUMPER_H_
#define NET_LAYER_DUMPER_H_

#include <net/layer.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a packet starts with. */
enum net_dump_link_e
{
  NET_DUMP_LINK_ETHERNET, /**< an Ethernet frame (pcap LINKTYPE_ETHERNET) */
  NET_DUMP_LINK_IPV4,     /**< an IPv4 packet (pcap LINKTYPE_IPV4) */
  NET_DUMP_LINK_RAW,      /**< opaque bytes (pcap LINKTYPE_USER0) */
};

/** Output options (bit mask). */
enum net_dump_flags_e
{
  NET_DUMP_LINK_HEADER = 1u << 0, /**< print MACs and ethertype (tcpdump -e) */
  NET_DUMP_HEX = 1u << 1,         /**< hex dump of every packet (tcpdump -xx) */
  /** Timestamps as seconds on the scheduler clock (deterministic under a
      virtual clock) instead of local wall-clock time of day. */
  NET_DUMP_SCHED_TIME = 1u << 2,
};

/**
 * One-line summary of a packet, without timestamp or newline, into @p out
 * (always NUL-terminated when @p size > 0, truncated if needed).  Reads
 * only data[0, len).  Flags: NET_DUMP_LINK_HEADER.
 * @return the length of the full summary (like snprintf).
 */
size_t net_dump_summary(char *out, size_t size, enum net_dump_link_e link,
                        const uint8_t *data, size_t len, unsigned flags);

/**
 * Hex dump of data[0, len), 16 bytes per line, each line
 * "\t0x0010:  4500 0054 ...\n".  Same conventions as net_dump_summary().
 */
size_t net_dump_hex(char *out, size_t size, const uint8_t *data, size_t len);

/* ---- pcap ------------------------------------------------------------- */

/** A pcap file being written (nanosecond-resolution format). */
struct net_pcap_writer_s;

/** pcap link type of @p link (1 Ethernet, 228 IPv4, 147 user 0). */
uint32_t net_pcap_linktype(enum net_dump_link_e link);

/**
 * Start a pcap file at @p path (truncated if it exists) or, when @p path
 * is NULL, on @p stream (not closed by the writer).  @p snaplen: bytes
 * kept per packet (0 = 262144).
 * @return 0 and *@p writer, or a negative errno from fopen/fwrite.
 */
int net_pcap_open(const char *path, FILE *stream, enum net_dump_link_e link,
                  uint32_t snaplen, struct net_pcap_writer_s **writer);

/**
 * Append one packet captured at @p time (nanoseconds since the Unix epoch,
 * or any origin the reader should show).  Stores at most snaplen bytes and
 * the original length.  @return 0 or a negative errno (-EIO).
 */
int net_pcap_write(struct net_pcap_writer_s *writer, net_time_t time,
                   const uint8_t *data, size_t len);

/** Push buffered records to the file.  @return 0 or -EIO. */
int net_pcap_flush(struct net_pcap_writer_s *writer);

/** Flush and close (the file, when opened by path).  @return 0 or -EIO. */
int net_pcap_close(struct net_pcap_writer_s *writer);

/* ---- the layer -------------------------------------------------------- */

/** Creation options; zero-initialise and set what you need. */
struct net_dumper_params_s
{
  FILE *out;              /**< text output, or NULL for none */
  const char *pcap_path;  /**< pcap file to write, or NULL for none */
  enum net_dump_link_e link; /**< what a sink's packets start with */
  unsigned flags;         /**< enum net_dump_flags_e */
  uint32_t snaplen;       /**< pcap bytes per packet (0 = 262144) */
  bool pcap_flush;        /**< flush the pcap after each packet (tcpdump -U) */
  uint64_t max_packets;   /**< stop after this many (0 = no limit) */
};

/** Delegate of a dumper: the base vtable plus the end of a bounded
    capture. */
struct net_dumper_delegate_vtable_s
{
  struct net_layer_delegate_vtable_s base; /**< release: the dumper is being destroyed */
  /** Optional.  max_packets were dumped (called once, in scheduler
      context); later packets are ignored. */
  void (*done)(void *delegate, struct net_layer_s *dumper);
};

/**
 * Create a dumper.  The pcap file is opened here, so an unwritable path
 * fails now (not at the first packet).
 * @return 0 and *@p layer with one reference, -EINVAL, -ENOMEM, or the
 * errno of opening the pcap file.
 */
int net_dumper_create(struct net_scheduler_s *sched,
                      const struct net_dumper_params_s *params,
                      void *delegate,
                      const struct net_dumper_delegate_vtable_s *vtable,
                      struct net_layer_s **layer);

/** Packets dumped so far (any thread). */
uint64_t net_dumper_count(const struct net_layer_s *dumper);

#ifdef __cplusplus
}
#endif

#endif
