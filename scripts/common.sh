# Shared by run.sh and test.sh: configure and build one tree.
# build_tree DIR [cmake args...]; BUILD_TARGET, if set, limits what is built.
# The project's own trees treat warnings as errors (GATEHOUSE_WERROR).
build_tree() {
  local dir="$1"
  shift
  cmake -S . -B "$dir" -G Ninja -DGATEHOUSE_WERROR=ON "$@" > "$dir.configure.log" 2>&1 || {
    cat "$dir.configure.log"
    return 1
  }
  cmake --build "$dir" -j "$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
}
