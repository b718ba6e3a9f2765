#!/bin/bash
# scripts/setup.sh: install Tessera's build and test dependencies on Debian 12
# (run as root, or with sudo available). libclang-rt-14-dev (libFuzzer runtime,
# only "recommended" by clang) is listed explicitly for the fuzz smoke run. Skips apt entirely when every
# package is already installed, so reruns are fast.
#
#   bash scripts/setup.sh          # everything (build + tests + fuzz + bench)
set -euo pipefail

PACKAGES=(build-essential cmake clang pkg-config liburing-dev libmimalloc-dev libck-dev
          libgtest-dev redis-server redis-tools python3-redis valgrind libclang-rt-14-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1 || ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done
# node and npm for the ioredis client test (test_cluster_replicas installs
# ioredis with npm); a node that came with its own npm is kept as it is
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present (${PACKAGES[*]})"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# Installing redis-server on a systemd host starts a redis on 6379; Tessera's
# tests and scripts use their own ports, so that is harmless.
$SUDO apt-get install -y "${missing[@]}"
echo "setup: done"
