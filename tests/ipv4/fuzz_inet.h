/* Mutation entry of the IPv4 suite for test_fuzz_smoke: one stack (ARP,
 * IPv4, ICMP, UDP with an echo on port 7 and a sink on 9) on a link layer
 * that swallows what the stack sends, on a virtual clock.  The stack
 * persists from one input to the next, so it is no libFuzzer target (a
 * crash would not replay from one input): those are the ethernet_arp,
 * ipv4, icmp, udp and stack targets of tests/fuzz/, a fresh stack per
 * input. */
#ifndef TESTS_IPV4_FUZZ_INET_H_
#define TESTS_IPV4_FUZZ_INET_H_

#include <stddef.h>
#include <stdint.h>

/* Build the stack (idempotent). */
void fuzz_inet_setup(void);

/* One input: byte 0 picks the ethertype (bit 0: ARP, else IPv4), link
   broadcast (bit 1) and a clock jump after delivery (bits 2-3: none,
   1 s, 31 s, 70 s); the rest is the frame payload. */
void fuzz_inet_input(const uint8_t *data, size_t size);

/* Counter of the stack's layers by "layer.name" (0 when unknown). */
uint64_t fuzz_inet_stat(const char *layer, const char *name);

/* Frames the stack sent so far. */
uint64_t fuzz_inet_sent(void);

/* Tear everything down; returns the layers still alive (should be 0). */
size_t fuzz_inet_teardown(void);

#endif
