// Reading a password from standard input, as DESIGN.md's CLI contract says:
// to EOF, bytes as they are, less one trailing newline if present.
#pragma once

#include <cstdio>
#include <string>

namespace gatehouse::cli {

// Throws std::runtime_error on a read error or input over `max_bytes`.
std::string read_password_from_stdin(std::size_t max_bytes = 4u << 20);

}  // namespace gatehouse::cli
