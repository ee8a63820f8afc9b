/* libFuzzer target of the IPv4 suite parsers (ARP, IPv4 with options and
   reassembly, ICMP, UDP): see fuzz_inet.h for the input format.
   Build with ./configure --enable-fuzzers CC=clang. */
#include <config.h>
#include "fuzz_inet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_inet_input(data, size);
  return 0;
}
