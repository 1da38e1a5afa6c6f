#!/usr/bin/env bash
# Installs what Gatehouse needs, builds it three ways and runs every test:
#   release    -Werror, RelWithDebInfo: the whole suite, and a smoke run of each
#              benchmark binary (figures come from bench/README.md, not from here)
#   asan       AddressSanitizer + UndefinedBehaviorSanitizer (leaks included)
#   tsan       ThreadSanitizer, for the concurrent code (signals, core, the hash pool)
#   fuzz       clang + libFuzzer + ASan/UBSan: every target of fuzz/ in turn over
#              its seeds and regressions, GATEHOUSE_FUZZ_SECONDS in all (default 120)
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

echo "== plain Release builds (GCC, clang), installed and used by a project of its own"
# check NAME COMMAND...: one more pass or failure in the totals.
check() {
  local name="$1"
  shift
  if "$@" > "build/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "$name: passed"
  else
    tail -40 "build/$name.log"
    echo "test.sh: $name failed (build/$name.log)" >&2
    failed=$((failed + 1))
  fi
}
# The API reference: Doxygen over the public headers; the count of undocumented declarations is printed.
check docs cmake --build build/release --target docs
grep -h "^docs:" build/docs.log || true
prefix="$pg_parent/prefix"
# The libraries and the command only, as a user's `cmake -DCMAKE_BUILD_TYPE=Release` builds them (-Werror on).
check release-gcc build_tree build/release-gcc -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_TESTS=OFF -DGATEHOUSE_BENCH=OFF \
  -DGATEHOUSE_EXAMPLES=ON -DCMAKE_INSTALL_PREFIX="$prefix"
check install cmake --install build/release-gcc
# The Debian package, installed with dpkg and logged in through (as root; scripts/package-test.sh).
check package bash -c "cd build/release-gcc && rm -f gatehouse_*.deb && cpack -G DEB"
check package-install scripts/package-test.sh build/release-gcc/gatehouse_*_amd64.deb
# find_package(Gatehouse) from outside the tree, with a user's warnings at -O2.
check outside-cmake bash -c "cmake -S examples/outside -B build/outside -G Ninja -DCMAKE_PREFIX_PATH='$prefix' \
  -DCMAKE_BUILD_TYPE=Release '-DCMAKE_CXX_FLAGS=-O2 -Wall -Wextra -Werror' && cmake --build build/outside \
  && ctest --test-dir build/outside --output-on-failure"
# pkg-config gatehouse, by hand.
pc_path="$prefix/lib/pkgconfig:$prefix/lib/$(gcc -dumpmachine)/pkgconfig"
check outside-pkg-config bash -c "g++ -O2 -Wall -Wextra -Werror examples/users_groups_permissions.cpp \
  \$(PKG_CONFIG_PATH='$pc_path' pkg-config --cflags --libs gatehouse) -o build/pkg-config-example \
  && build/pkg-config-example | diff -u examples/users_groups_permissions.expected -"
CXX=clang++ check release-clang build_tree build/release-clang -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_TESTS=OFF \
  -DGATEHOUSE_BENCH=OFF -DGATEHOUSE_EXAMPLES=ON

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
# Every target (one per fuzz/corpus/<target>/) in turn, sharing GATEHOUSE_FUZZ_SECONDS
# (at least 5 s each), over a copy of its seeds plus what earlier runs found
# (fuzz/regressions/<target>/). An input that fails is kept in build/fuzz-artifacts/.
# The server targets' allocations on the server's threads outlive each input, which
# would have libFuzzer re-run and leak-check nearly every one: they are checked at exit.
fuzz_targets=(fuzz/corpus/*/)
fuzz_seconds=$((${GATEHOUSE_FUZZ_SECONDS:-120} / ${#fuzz_targets[@]}))
[ "$fuzz_seconds" -ge 5 ] || fuzz_seconds=5
mkdir -p build/fuzz-artifacts
for dir in "${fuzz_targets[@]}"; do
  t=$(basename "$dir")
  corpus=$(mktemp -d)
  cp -r "$dir." "$corpus/"
  if [ -d "fuzz/regressions/$t" ]; then cp -r "fuzz/regressions/$t/." "$corpus/"; fi
  case "$t" in server | api_json) leaks=0 ;; *) leaks=1 ;; esac
  if build/fuzz/fuzz/"$t"_fuzz -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=4096 -detect_leaks="$leaks" \
       -print_final_stats=1 -artifact_prefix="build/fuzz-artifacts/$t-" "$corpus" > "build/fuzz-$t.log" 2>&1; then
    passed=$((passed + 1))
    echo "fuzz $t:"
    grep -E "^(Done|stat::number_of_executed_units)" "build/fuzz-$t.log" | sed 's/^/  /' || true
  else
    tail -50 "build/fuzz-$t.log"
    echo "test.sh: fuzz target $t failed; its input is in build/fuzz-artifacts/$t-* (once fixed, keep it in fuzz/regressions/$t/)" >&2
    failed=$((failed + 1))
  fi
  rm -rf "$corpus"
done

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
