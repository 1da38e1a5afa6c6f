#include "stdin_password.h"

#include <stdexcept>

namespace gatehouse::cli {

std::string read_password_from_stdin(std::size_t max_bytes) {
  std::string out;
  char buf[65536];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, stdin);
    out.append(buf, n);
    if (out.size() > max_bytes)
      throw std::runtime_error("password on standard input is longer than " + std::to_string(max_bytes) + " bytes");
    if (n < sizeof buf) {
      if (std::ferror(stdin)) throw std::runtime_error("could not read standard input");
      break;
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace gatehouse::cli
