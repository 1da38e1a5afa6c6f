#!/usr/bin/env bash
# Installs what Gatehouse needs, builds it, and runs the `gatehouse` command
# with the arguments given (default: --help, then --version).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

scripts/install-deps.sh
mkdir -p build
# Same configuration as the test command's release tree; only the command is built.
BUILD_TARGET=gatehouse build_tree build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_TESTS=ON -DGATEHOUSE_BENCH=ON

if [ "$#" -eq 0 ]; then
  build/release/gatehouse --help
  exec build/release/gatehouse --version
fi
exec build/release/gatehouse "$@"
