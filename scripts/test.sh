#!/usr/bin/env bash
# Installs what Gatehouse needs, builds it three ways and runs every test:
#   release    -Werror, RelWithDebInfo: the whole suite, and a smoke run of each
#              benchmark binary (figures come from bench/README.md, not from here)
#   asan       AddressSanitizer + UndefinedBehaviorSanitizer (leaks included)
#   tsan       ThreadSanitizer, for the concurrent code (signals, core, the hash pool)
#   fuzz       clang + libFuzzer + ASan/UBSan: check_password and identify_hasher
#              over the seed corpus for GATEHOUSE_FUZZ_SECONDS (default 60)
# Storage tests run on SQLite and on a throwaway PostgreSQL 15 cluster
# (scripts/postgres-cluster.sh); cache tests also on a throwaway Redis
# (scripts/redis-server.sh). Prints one closing line
# "tests: N passed, N failed" over all runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

scripts/install-deps.sh
mkdir -p build
# playwright-core for the browser tests, at the version package-lock.json pins
# (it drives Debian's /usr/bin/chromium; no browser is downloaded).
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

# A throwaway PostgreSQL cluster on loopback for every storage test, removed on exit.
pg_parent=$(mktemp -d /tmp/gatehouse-pg.XXXXXX)
chmod 755 "$pg_parent"
cleanup() {
  scripts/redis-server.sh stop "$pg_parent/redis" || true
  scripts/postgres-cluster.sh stop "$pg_parent/cluster"
  rm -rf "$pg_parent"
}
trap cleanup EXIT
GATEHOUSE_TEST_POSTGRES_URL=$(scripts/postgres-cluster.sh start "$pg_parent/cluster")
export GATEHOUSE_TEST_POSTGRES_URL
echo "PostgreSQL for the tests: $GATEHOUSE_TEST_POSTGRES_URL"
# And a throwaway Redis for the cache, session and throttle tests.
GATEHOUSE_TEST_REDIS_URL=$(scripts/redis-server.sh start "$pg_parent/redis")
export GATEHOUSE_TEST_REDIS_URL
echo "Redis for the tests: $GATEHOUSE_TEST_REDIS_URL"

passed=0
failed=0
# run_ctest DIR [ctest args...]: runs CTest, adds its counts to the totals.
run_ctest() {
  local dir="$1"
  shift
  local log="$dir.ctest.log" rc=0
  (cd "$dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@") 2>&1 | tee "$log" || rc=$?
  local total fails
  total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\)/\2/p' "$log" | tail -1)
  fails=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\)/\1/p' "$log" | tail -1)
  if [ -z "$total" ]; then
    echo "test.sh: no test result from CTest in $dir" >&2
    failed=$((failed + 1))
    return
  fi
  passed=$((passed + total - fails))
  failed=$((failed + fails))
  if [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then failed=$((failed + 1)); fi
}

echo "== release build"
build_tree build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_TESTS=ON -DGATEHOUSE_BENCH=ON
run_ctest build/release
echo "== benchmark smoke run (no timing is asserted)"
for b in build/release/bench/*_bench; do
  if "$b" --benchmark_min_time=0.001 > "$b.smoke.log" 2>&1; then
    passed=$((passed + 1))
  else
    cat "$b.smoke.log"
    echo "test.sh: benchmark $b failed to run" >&2
    failed=$((failed + 1))
  fi
done

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
build_tree build/asan -DCMAKE_BUILD_TYPE=Debug -DGATEHOUSE_SANITIZE=address,undefined -DGATEHOUSE_TESTS=ON -DGATEHOUSE_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest build/asan

echo "== ThreadSanitizer build (concurrent layers)"
build_tree build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_SANITIZE=thread -DGATEHOUSE_TESTS=ON -DGATEHOUSE_BENCH=OFF
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
run_ctest build/tsan -L 'core|signals|http|app|tasks|cache'
run_ctest build/tsan -R '^HashPool\.'
unset TSAN_OPTIONS

echo "== libFuzzer (clang, ASan+UBSan)"
CXX=clang++ build_tree build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_SANITIZE=address,undefined \
  -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -DGATEHOUSE_TESTS=OFF -DGATEHOUSE_BENCH=OFF -DGATEHOUSE_FUZZ=ON
fuzz_corpus=$(mktemp -d)
cp fuzz/corpus/* "$fuzz_corpus/"
if build/fuzz/fuzz/check_password_fuzz -max_total_time="${GATEHOUSE_FUZZ_SECONDS:-60}" -timeout=10 \
     -rss_limit_mb=4096 -print_final_stats=1 "$fuzz_corpus" > build/fuzz.log 2>&1; then
  passed=$((passed + 1))
  grep -E "^(Done|stat::number_of_executed_units)" build/fuzz.log || true
else
  tail -50 build/fuzz.log
  echo "test.sh: the fuzzer found a failure (input saved in the working directory)" >&2
  failed=$((failed + 1))
fi
rm -rf "$fuzz_corpus"

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
