// The CSPRNG: the kernel's getrandom(2). Everything secret (salts, tokens,
// one-time codes, session keys) comes from here.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::core {

// Django's get_random_string alphabet: letters and digits.
inline constexpr std::string_view kRandomStringAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// Fills `out` with `n` random bytes. Throws std::system_error if the kernel
// cannot supply them (never silently weaker randomness).
void random_bytes(void* out, std::size_t n);
std::string random_bytes(std::size_t n);

// Uniform in [0, bound). REQUIRES: bound > 0. No modulo bias.
std::uint64_t random_below(std::uint64_t bound);

// `length` characters drawn uniformly from `alphabet` (Django's get_random_string).
// REQUIRES: alphabet not empty.
std::string random_string(std::size_t length, std::string_view alphabet = kRandomStringAlphabet);

}  // namespace gatehouse::core
