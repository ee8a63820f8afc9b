/* Mutation entry of TCP for test_tcp_fuzz_smoke: one tcp layer under a
 * sink that plays IPv4 (it records what TCP sends), an echo listener on
 * port 7 and a connection the entry keeps established through handshakes
 * it crafts itself, on a virtual clock.  The stack persists from one
 * input to the next, so it is no libFuzzer target (a crash would not
 * replay from one input): that is tests/fuzz/fuzz_tcp.c, a fresh stack
 * per input, driven into every TCP state. */
#ifndef TESTS_TCP_FUZZ_TCP_H_
#define TESTS_TCP_FUZZ_TCP_H_

#include <stddef.h>
#include <stdint.h>

/* Build the stack (idempotent). */
void fuzz_tcp_setup(void);

/* One input: byte 0 controls, the rest is a TCP segment (header first).
   Byte 0: bits 0-1 where it goes (0: the established connection's
   4-tuple, 1: port 7 from the port in the segment, 2/3: as is); bit 2:
   sequence and acknowledgment numbers made relative to the connection
   (seq = RCV.NXT + seq % 65536, ack = SND.UNA + ack % 65536); bit 3: keep
   the checksum as given (else it is fixed); bits 4-5: a clock jump after
   delivery (none, 200 ms, 3 s, 70 s). */
void fuzz_tcp_input(const uint8_t *data, size_t size);

/* A counter of the tcp layer (0 when unknown). */
uint64_t fuzz_tcp_stat(const char *name);

/* Segments TCP sent so far. */
uint64_t fuzz_tcp_sent(void);

/* Open a fresh connection through a crafted handshake and check the echo
   of @p len bytes; true when it came back. */
int fuzz_tcp_echo_check(size_t len);

/* Tear everything down; returns the layers still alive (should be 0). */
size_t fuzz_tcp_teardown(void);

#endif
