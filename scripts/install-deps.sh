#!/usr/bin/env bash
# Installs every Debian package Gatehouse needs to build, test and benchmark.
# Idempotent: apt-get skips what is already installed. Runs apt-get update first.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev clang-format   # libFuzzer and the sanitizer runtimes
  # libraries (DESIGN.md, "Dependencies")
  libboost-dev libcli11-dev libssl-dev libargon2-dev libcrypt-dev libzxcvbn-dev
  libsqlite3-dev libpq-dev libunistring-dev zlib1g-dev nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-django python3-argon2 python3-bcrypt python3-psycopg2  # the Django round trips
  postgresql-15 sqlite3                                  # real databases for the tests
)

if [ "${GATEHOUSE_SKIP_APT:-0}" = "1" ]; then exit 0; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
