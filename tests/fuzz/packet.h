/* Packet helpers of the fuzz harness, the seed generator and the
   hardening tests: network-order access, IPv4 headers and checksums. */
#ifndef TESTS_FUZZ_PACKET_H_
#define TESTS_FUZZ_PACKET_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Control bits fz_fix_ipv4() acts on (see fuzz.h for the others). */
enum
{
  FZ_CTL_FIX_CSUM = 0x08,    /* recompute checksums */
  FZ_CTL_FIX_LEN = 0x10,     /* recompute length fields */
};

void fz_wr16(uint8_t *p, uint16_t v);
void fz_wr32(uint8_t *p, uint32_t v);
uint16_t fz_rd16(const uint8_t *p);
uint32_t fz_rd32(const uint8_t *p);

/* An IPv4 header (20 bytes, checksum filled) and @p len payload bytes
   (@p payload NULL: those bytes are left as they are). */
size_t fz_build_ipv4(uint8_t *out, uint32_t src, uint32_t dst, uint8_t proto,
                     uint16_t frag, const uint8_t *payload, size_t len);

/* An Ethernet/IPv4 ARP packet (28 bytes) of operation @p op (1 request,
   2 reply); @p tha NULL: all zero. */
size_t fz_build_arp(uint8_t *out, uint16_t op, const uint8_t sha[6],
                    uint32_t spa, const uint8_t tha[6], uint32_t tpa);

/* Repair an IPv4 packet of @p len bytes in place: FZ_CTL_FIX_LEN sets its
   total length, FZ_CTL_FIX_CSUM recomputes the header checksum and, for
   an unfragmented ICMP, UDP or TCP datagram, the transport checksum. */
void fz_fix_ipv4(uint8_t *p, size_t len, unsigned ctl);

#endif
