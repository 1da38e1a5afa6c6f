#include <openssl/evp.h>

#include <cpuid.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "gatehouse/crypto/hmac.h"
#include "gatehouse/crypto/sha.h"
#include "kernels.h"

namespace gatehouse::crypto {

namespace detail {

namespace {

bool cpu_has_sha_ni() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  const bool ssse3 = (c & bit_SSSE3) != 0, sse41 = (c & bit_SSE4_1) != 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  return ssse3 && sse41 && (b & bit_SHA) != 0;
}

constexpr Kernels kPortable{sha256_blocks_portable, sha1_blocks_portable, pbkdf2_sha256_portable,
                            pbkdf2_sha1_portable};
constexpr Kernels kShaNi{sha256_blocks_ni, sha1_blocks_ni, pbkdf2_sha256_ni, pbkdf2_sha1_ni};

const Kernels* initial() noexcept {
  const char* env = std::getenv("GATEHOUSE_CRYPTO");
  if (env != nullptr && std::string_view(env) == "portable") return &kPortable;
  return cpu_has_sha_ni() ? &kShaNi : &kPortable;
}

// Chosen on first use (static initialisers in other units may hash).
constinit std::atomic<const Kernels*> g_kernels{nullptr};

}  // namespace

const Kernels& kernels() noexcept {
  const Kernels* k = g_kernels.load(std::memory_order_acquire);
  if (k == nullptr) {
    k = initial();
    g_kernels.store(k, std::memory_order_release);
  }
  return *k;
}

}  // namespace detail

bool sha_ni_available() noexcept { return detail::cpu_has_sha_ni(); }

Implementation active_implementation() noexcept {
  return &detail::kernels() == &detail::kShaNi ? Implementation::sha_ni : Implementation::portable;
}

void use_implementation(Implementation impl) {
  if (impl == Implementation::sha_ni && !sha_ni_available())
    throw std::invalid_argument("this CPU has no SHA instructions");
  detail::g_kernels.store(impl == Implementation::sha_ni ? &detail::kShaNi : &detail::kPortable,
                          std::memory_order_release);
}

namespace {
constexpr std::uint32_t kSha256Init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
constexpr std::uint32_t kSha1Init[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
}  // namespace

template <std::size_t Words>
Hash<Words>::Hash() noexcept {
  if constexpr (Words == 8) {
    std::memcpy(h_, kSha256Init, sizeof h_);
  } else {
    std::memcpy(h_, kSha1Init, sizeof h_);
  }
}

template <std::size_t Words>
void Hash<Words>::compress(const unsigned char* data, std::size_t blocks) noexcept {
  if constexpr (Words == 8) {
    detail::kernels().sha256(h_, data, blocks);
  } else {
    detail::kernels().sha1(h_, data, blocks);
  }
}

template <std::size_t Words>
void Hash<Words>::update(std::string_view data) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  length_ += n;
  if (buffered_ > 0) {
    const std::size_t take = std::min(n, block_size - buffered_);
    std::memcpy(buf_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    n -= take;
    if (buffered_ < block_size) return;
    compress(buf_, 1);
    buffered_ = 0;
  }
  if (n >= block_size) {
    compress(p, n / block_size);
    p += n / block_size * block_size;
    n %= block_size;
  }
  if (n > 0) std::memcpy(buf_, p, n);
  buffered_ = n;
}

template <std::size_t Words>
std::string Hash<Words>::digest() noexcept {
  const std::uint64_t bits = length_ * 8;
  buf_[buffered_++] = 0x80;
  if (buffered_ > 56) {
    std::memset(buf_ + buffered_, 0, block_size - buffered_);
    compress(buf_, 1);
    buffered_ = 0;
  }
  std::memset(buf_ + buffered_, 0, 56 - buffered_);
  for (int i = 0; i < 8; ++i) buf_[56 + i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
  compress(buf_, 1);
  std::string out(digest_size, '\0');
  for (std::size_t i = 0; i < Words; ++i) {
    for (std::size_t j = 0; j < 4; ++j)
      out[4 * i + j] = static_cast<char>(h_[i] >> (24 - 8 * j));
  }
  return out;
}

template class Hash<8>;
template class Hash<5>;

std::string sha256(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.digest();
}

std::string sha1(std::string_view data) {
  Sha1 h;
  h.update(data);
  return h.digest();
}

std::string md5(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("OpenSSL MD5 failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

namespace {
template <class H>
std::string hmac(std::string_view key, std::string_view message) {
  std::string k(key);
  if (k.size() > H::block_size) k = [&] {
    H h;
    h.update(key);
    return h.digest();
  }();
  k.resize(H::block_size, '\0');
  std::string ipad(k), opad(k);
  for (std::size_t i = 0; i < H::block_size; ++i) {
    ipad[i] = static_cast<char>(ipad[i] ^ 0x36);
    opad[i] = static_cast<char>(opad[i] ^ 0x5c);
  }
  H inner;
  inner.update(ipad);
  inner.update(message);
  H outer;
  outer.update(opad);
  outer.update(inner.digest());
  return outer.digest();
}
}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view message) {
  return hmac<Sha256>(key, message);
}
std::string hmac_sha1(std::string_view key, std::string_view message) {
  return hmac<Sha1>(key, message);
}

std::string salted_hmac_sha256(std::string_view key_salt, std::string_view value,
                               std::string_view secret) {
  std::string key_material(key_salt);
  key_material.append(secret);
  return hmac_sha256(sha256(key_material), value);
}

}  // namespace gatehouse::crypto
