// PBKDF2 (RFC 8018) with HMAC-SHA256 or HMAC-SHA1: the cost of every login.
//
// The HMAC inner and outer states are computed once, so one iteration is two
// compressions; on SHA-NI the loop stays in registers. pbkdf2_batch() runs
// independent derivations interleaved on one core (multi-buffer), which
// raises throughput per core over one derivation at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

enum class Prf { hmac_sha1, hmac_sha256 };

// Throws std::invalid_argument unless iterations >= 1 and 1 <= length <= 1 MiB.
std::string pbkdf2(Prf prf, std::string_view password, std::string_view salt,
                   std::uint64_t iterations, std::size_t length);

struct Pbkdf2Job {
  Prf prf;
  std::string_view password;
  std::string_view salt;
  std::uint64_t iterations;
  std::size_t length;
  std::string out;  // filled by pbkdf2_batch
};

// Derives every job; same results as pbkdf2() one by one. Jobs with the same
// PRF and iteration count are interleaved. Throws as pbkdf2() does, before
// doing any work, if any job is invalid.
void pbkdf2_batch(std::span<Pbkdf2Job> jobs);

}  // namespace gatehouse::crypto
