// scrypt (Django 4.0+): "scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>".
#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "format.h"
#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/passwords/hashers.h"

namespace gatehouse::passwords {

namespace {

class ScryptHasher final : public Hasher {
 public:
  ScryptHasher(const ScryptParams& p, const HasherLimits& limits) : p_(p), limits_(limits) {
    if (!valid(p.work_factor, p.block_size, p.parallelism))
      throw std::invalid_argument("scrypt parameters out of range");
  }

  std::string_view algorithm() const noexcept override { return "scrypt"; }

  std::string encode(std::string_view password, std::string_view salt) const override {
    if (!detail::salt_fits(salt)) throw std::invalid_argument("salt must be non-empty and without '$'");
    return format(p_, salt, derive(password, salt, p_));
  }

  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      const auto d = decode(encoded);
      if (!d) return false;
      return core::constant_time_equal(format(d->params, d->salt, derive(password, d->salt, d->params)),
                                       encoded);
    } catch (...) {
      return false;
    }
  }

  bool is_well_formed(std::string_view encoded) const noexcept override {
    try {
      const auto d = decode(encoded);
      if (!d) return false;
      const auto f = detail::split_fields(encoded, 6);
      const auto hash = core::base64_decode((*f)[5]);
      return hash && hash->size() == 64;
    } catch (...) {
      return false;
    }
  }

  bool must_update(std::string_view encoded) const noexcept override {
    const auto d = decode(encoded);
    if (!d) return false;
    return d->params.work_factor != p_.work_factor || d->params.block_size != p_.block_size ||
           d->params.parallelism != p_.parallelism || detail::salt_too_short(d->salt);
  }

 private:
  struct Decoded {
    ScryptParams params;
    std::string_view salt;
  };

  bool valid(std::uint64_t n, std::uint64_t r, std::uint64_t p) const {
    return n >= 2 && (n & (n - 1)) == 0 && r >= 1 && r <= 1024 && p >= 1 &&
           p <= limits_.max_scrypt_parallelism && 128 * r <= limits_.max_scrypt_memory / n;
  }

  std::optional<Decoded> decode(std::string_view encoded) const noexcept {
    try {
      const auto f = detail::split_fields(encoded, 6);
      if (!f || (*f)[0] != "scrypt" || !detail::salt_fits((*f)[2])) return std::nullopt;
      const auto n = detail::parse_count((*f)[1], limits_.max_scrypt_memory);
      const auto r = detail::parse_count((*f)[3], 1024);
      const auto p = detail::parse_count((*f)[4], limits_.max_scrypt_parallelism);
      if (!n || !r || !p || !valid(*n, *r, *p)) return std::nullopt;
      return Decoded{{*n, static_cast<std::uint32_t>(*r), static_cast<std::uint32_t>(*p)}, (*f)[2]};
    } catch (...) {
      return std::nullopt;
    }
  }

  static std::string derive(std::string_view password, std::string_view salt, const ScryptParams& p) {
    unsigned char key[64];
    // Room for V (128 r N) and B (128 r p), as OpenSSL computes them.
    const std::uint64_t maxmem = 128ull * p.block_size * (p.work_factor + p.parallelism + 2) + (1 << 20);
    if (EVP_PBE_scrypt(password.data(), password.size(),
                       reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), p.work_factor,
                       p.block_size, p.parallelism, maxmem, key, sizeof key) != 1)
      throw std::runtime_error("scrypt: OpenSSL refused the parameters");
    return core::base64_encode(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
  }

  static std::string format(const ScryptParams& p, std::string_view salt, const std::string& hash) {
    return "scrypt$" + std::to_string(p.work_factor) + '$' + std::string(salt) + '$' +
           std::to_string(p.block_size) + '$' + std::to_string(p.parallelism) + '$' + hash;
  }

  ScryptParams p_;
  HasherLimits limits_;
};

}  // namespace

std::shared_ptr<const Hasher> scrypt_hasher(const ScryptParams& params, const HasherLimits& limits) {
  return std::make_shared<ScryptHasher>(params, limits);
}

}  // namespace gatehouse::passwords
