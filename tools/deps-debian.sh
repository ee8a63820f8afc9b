#!/bin/sh
# Install what building, testing and running libnetwork needs on Debian
# (run as root).  Idempotent; used by the README commands and by CI.
set -eu
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential autoconf automake libtool pkg-config \
  libglib2.0-dev check \
  clang libclang-rt-14-dev valgrind \
  iproute2 iputils-ping netcat-openbsd python3 python3-scapy tshark \
  doxygen liblwip-dev >/dev/null
