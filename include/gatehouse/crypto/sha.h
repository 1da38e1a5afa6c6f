// SHA-256 and SHA-1 (FIPS 180-4) on the CPU's SHA instructions where present,
// else portable code; MD5 (OpenSSL) for Django's legacy hashers only.
//
// The implementation is chosen once from CPUID; GATEHOUSE_CRYPTO=portable in
// the environment, or use_implementation(), forces the portable one (tests run
// both). Thread safety: hash objects are not shared; free functions are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

enum class Implementation { portable, sha_ni };

bool sha_ni_available() noexcept;
Implementation active_implementation() noexcept;
// Throws std::invalid_argument for sha_ni on a CPU without it. Not for use
// while other threads hash.
void use_implementation(Implementation impl);

namespace detail {
template <std::size_t Words>
class MdHash;
}

// Streaming hash: update() any number of times, then digest() once.
template <std::size_t Words>
class Hash {
 public:
  static constexpr std::size_t digest_size = 4 * Words;
  static constexpr std::size_t block_size = 64;

  Hash() noexcept;
  void update(std::string_view data) noexcept;
  // The digest (raw bytes). The object is spent afterwards.
  std::string digest() noexcept;

  // The chaining state after whole blocks only (HMAC key precomputation).
  // REQUIRES: a multiple of block_size bytes was fed.
  const std::uint32_t* state() const noexcept { return h_; }

 private:
  void compress(const unsigned char* data, std::size_t blocks) noexcept;
  std::uint32_t h_[Words];
  unsigned char buf_[64];
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;
};

using Sha256 = Hash<8>;
using Sha1 = Hash<5>;

std::string sha256(std::string_view data);
std::string sha1(std::string_view data);
std::string md5(std::string_view data);

}  // namespace gatehouse::crypto
