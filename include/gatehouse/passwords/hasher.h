// Hasher: one password hashing algorithm in Django's encoded format
// ("<algorithm>$<fields...>"), the C++ form of django.contrib.auth.hashers'
// BasePasswordHasher.
//
// verify() and must_update() never throw: a malformed, truncated or
// out-of-limits encoded string is simply not a match. encode() throws
// std::invalid_argument for a salt the format cannot hold.
//
// Thread safety: hashers are immutable; every method may run on any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::passwords {

// The most work a stored hash may ask for before it is refused as malformed:
// a hash is data, and data must not be able to stall a login for minutes.
struct HasherLimits {
  std::uint64_t max_pbkdf2_iterations = 100'000'000;  // Django's default: 1,500,000
  std::uint32_t max_bcrypt_rounds = 18;               // default 12; 2^18 is 64x that
  std::uint32_t max_argon2_memory_kib = 1u << 20;     // 1 GiB; default 100 MiB
  std::uint32_t max_argon2_time_cost = 64;            // default 2
  std::uint32_t max_argon2_parallelism = 64;          // default 8
  std::uint64_t max_scrypt_memory = 256u << 20;       // 128 * r * N bytes; default 16 MiB
  std::uint32_t max_scrypt_parallelism = 64;          // default 5
  std::uint32_t max_crypt_rounds = 1'000'000;         // SHA-crypt "rounds="; default 5000
};

// What PBKDF2 hashers expose so the hash pool can batch verifications.
struct Pbkdf2Parts {
  bool sha256;  // else SHA-1
  std::uint64_t iterations;
  std::string_view salt;
  std::string_view hash_b64;
};

class Hasher {
 public:
  virtual ~Hasher() = default;

  // The name before the first '$' (Django's `algorithm`).
  virtual std::string_view algorithm() const noexcept = 0;

  // A fresh salt in this hasher's format (Django: 22 letters and digits).
  virtual std::string salt() const;
  // Encodes `password` with `salt`.
  virtual std::string encode(std::string_view password, std::string_view salt) const = 0;
  std::string encode(std::string_view password) const { return encode(password, salt()); }

  // Whether `encoded` is in this hasher's format, within the limits (so that
  // verify() would compute rather than refuse).
  virtual bool is_well_formed(std::string_view encoded) const noexcept = 0;

  // Whether `password` matches `encoded`; false for anything malformed.
  virtual bool verify(std::string_view password, std::string_view encoded) const noexcept = 0;

  // Whether `encoded` (made by this algorithm) should be re-hashed: weaker
  // parameters than this hasher's, or too short a salt.
  virtual bool must_update(std::string_view encoded) const noexcept;

  // Spends the work a verification at this hasher's parameters would, when
  // `encoded` has weaker ones, so a wrong password costs the same either way.
  virtual void harden_runtime(std::string_view password, std::string_view encoded) const noexcept;

  // Salts shorter than this many letters and digits carry < 128 bits and
  // trigger must_update (Django's salt_entropy).
  static constexpr std::size_t kSaltLength = 22;

  // Set for PBKDF2 hashers on well-formed input (the batch path).
  virtual std::optional<Pbkdf2Parts> pbkdf2_parts(std::string_view) const noexcept {
    return std::nullopt;
  }
};

}  // namespace gatehouse::passwords
