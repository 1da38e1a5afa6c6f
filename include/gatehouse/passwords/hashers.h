// Every hasher Django has shipped, in its encoded format.
//
//   preferred-capable          pbkdf2_sha256 (default), pbkdf2_sha1, argon2 (argon2id),
//                              bcrypt_sha256, bcrypt, scrypt
//   legacy (read, then upgrade) sha1, md5, unsalted_sha1, unsalted_md5, crypt
//
// Defaults are Django 6.1's. Each factory takes the limits beyond which a
// stored hash is refused (hasher.h).
#pragma once

#include <cstdint>
#include <memory>

#include "gatehouse/passwords/hasher.h"

namespace gatehouse::passwords {

inline constexpr std::uint64_t kDefaultPbkdf2Iterations = 1'500'000;

std::shared_ptr<const Hasher> pbkdf2_sha256_hasher(std::uint64_t iterations = kDefaultPbkdf2Iterations,
                                                   const HasherLimits& limits = {});
std::shared_ptr<const Hasher> pbkdf2_sha1_hasher(std::uint64_t iterations = kDefaultPbkdf2Iterations,
                                                 const HasherLimits& limits = {});

struct Argon2Params {
  std::uint32_t time_cost = 2;
  std::uint32_t memory_cost_kib = 102400;
  std::uint32_t parallelism = 8;
};
std::shared_ptr<const Hasher> argon2_hasher(const Argon2Params& params = {},
                                            const HasherLimits& limits = {});

std::shared_ptr<const Hasher> bcrypt_sha256_hasher(std::uint32_t rounds = 12,
                                                   const HasherLimits& limits = {});
// Plain bcrypt: passwords are cut at 72 bytes, and one with a NUL byte cannot
// be hashed (verify is false, encode throws), as Python's bcrypt.
std::shared_ptr<const Hasher> bcrypt_hasher(std::uint32_t rounds = 12, const HasherLimits& limits = {});

struct ScryptParams {
  std::uint64_t work_factor = 1u << 14;  // N
  std::uint32_t block_size = 8;          // r
  std::uint32_t parallelism = 5;         // p (Django 4.x wrote 1; both verify)
};
std::shared_ptr<const Hasher> scrypt_hasher(const ScryptParams& params = {},
                                            const HasherLimits& limits = {});

std::shared_ptr<const Hasher> sha1_hasher();
std::shared_ptr<const Hasher> md5_hasher();
std::shared_ptr<const Hasher> unsalted_sha1_hasher();
std::shared_ptr<const Hasher> unsalted_md5_hasher();
std::shared_ptr<const Hasher> crypt_hasher(const HasherLimits& limits = {});

}  // namespace gatehouse::passwords
