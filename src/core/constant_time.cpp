#include "gatehouse/core/constant_time.h"

namespace gatehouse::core {

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Walk the whole of `b` whatever the lengths, so the time depends on the
  // length of the secret side only.
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const std::size_t n = b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<unsigned>(x ^ static_cast<unsigned char>(b[i]));
    // Keep the compiler from turning the loop into an early exit.
    __asm__ volatile("" : "+r"(diff));
  }
  return diff == 0;
}

}  // namespace gatehouse::core
