#include "gatehouse/core/random.h"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace gatehouse::core {

void random_bytes(void* out, std::size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    const ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  random_bytes(out.data(), n);
  return out;
}

std::uint64_t random_below(std::uint64_t bound) {
  if (bound == 0) throw std::invalid_argument("random_below(0)");
  // Reject the top partial range so every value is equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  for (;;) {
    std::uint64_t v;
    random_bytes(&v, sizeof v);
    if (v < limit) return v % bound;
  }
}

std::string random_string(std::size_t length, std::string_view alphabet) {
  if (alphabet.empty()) throw std::invalid_argument("random_string: empty alphabet");
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) out += alphabet[random_below(alphabet.size())];
  return out;
}

}  // namespace gatehouse::core
