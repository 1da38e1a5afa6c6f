#!/usr/bin/env bash
# Installs what Gatehouse needs, builds it, and runs `gatehouse serve` on the
# embedded SQLite default (gatehouse.sqlite3 in the working directory), or the
# `gatehouse` command with the arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

scripts/install-deps.sh
mkdir -p build
# Same configuration as the test command's release tree; only the command is built.
BUILD_TARGET=gatehouse build_tree build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_TESTS=ON -DGATEHOUSE_BENCH=ON

if [ "$#" -eq 0 ]; then
  exec build/release/gatehouse serve
fi
exec build/release/gatehouse "$@"
