/* libFuzzer target of TCP (segment parsing, demux, listener and session
   state machines): see fuzz_tcp.h for the input format.
   Build with ./configure --enable-fuzzers CC=clang. */
#include <config.h>
#include "fuzz_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_tcp_input(data, size);
  return 0;
}
