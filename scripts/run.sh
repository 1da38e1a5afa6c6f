#!/usr/bin/env bash
# Installs what building and running Gatehouse needs (nothing for the tests), builds it, and runs `gatehouse serve` on the
# embedded SQLite default (gatehouse.sqlite3 in the working directory), or the
# `gatehouse` command with the arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

scripts/install-deps.sh --run
mkdir -p build
# The test command's release tree, without the tests, benchmarks and examples
# (GoogleTest and Google Benchmark are test packages); only the command is built.
BUILD_TARGET=gatehouse build_tree build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_TESTS=OFF \
  -DGATEHOUSE_BENCH=OFF -DGATEHOUSE_EXAMPLES=OFF -DGATEHOUSE_CLI=ON

if [ "$#" -eq 0 ]; then
  exec build/release/gatehouse serve
fi
exec build/release/gatehouse "$@"
