// pbkdf2_sha256 and pbkdf2_sha1: "<algorithm>$<iterations>$<salt>$<base64 hash>".
#include <stdexcept>
#include <string>

#include "format.h"
#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/crypto/pbkdf2.h"
#include "gatehouse/passwords/hashers.h"

namespace gatehouse::passwords {

namespace {

class Pbkdf2Hasher final : public Hasher {
 public:
  Pbkdf2Hasher(bool sha256, std::uint64_t iterations, const HasherLimits& limits)
      : sha256_(sha256), iterations_(iterations), limits_(limits) {
    if (iterations == 0 || iterations > limits.max_pbkdf2_iterations)
      throw std::invalid_argument("PBKDF2 iterations must be between 1 and " +
                                  std::to_string(limits.max_pbkdf2_iterations));
  }

  std::string_view algorithm() const noexcept override {
    return sha256_ ? "pbkdf2_sha256" : "pbkdf2_sha1";
  }

  std::string encode(std::string_view password, std::string_view salt) const override {
    if (!detail::salt_fits(salt)) throw std::invalid_argument("salt must be non-empty and without '$'");
    return format(iterations_, salt, derive(password, salt, iterations_));
  }

  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    const auto parts = pbkdf2_parts(encoded);
    if (!parts) return false;
    try {
      // As Django: re-encode with the stored parameters and compare whole strings.
      const std::string again =
          format(parts->iterations, parts->salt, derive(password, parts->salt, parts->iterations));
      return core::constant_time_equal(again, encoded);
    } catch (...) {
      return false;
    }
  }

  bool is_well_formed(std::string_view encoded) const noexcept override {
    return pbkdf2_parts(encoded).has_value();
  }

  bool must_update(std::string_view encoded) const noexcept override {
    const auto parts = pbkdf2_parts(encoded);
    if (!parts) return false;
    return parts->iterations != iterations_ || detail::salt_too_short(parts->salt);
  }

  void harden_runtime(std::string_view password, std::string_view encoded) const noexcept override {
    const auto parts = pbkdf2_parts(encoded);
    if (!parts || parts->iterations >= iterations_) return;
    try {
      (void)derive(password, core::random_string(kSaltLength), iterations_ - parts->iterations);
    } catch (...) {
    }
  }

  std::optional<Pbkdf2Parts> pbkdf2_parts(std::string_view encoded) const noexcept override {
    try {
      const auto f = detail::split_fields(encoded, 4);
      if (!f || (*f)[0] != algorithm() || !detail::salt_fits((*f)[2])) return std::nullopt;
      const auto iterations = detail::parse_count((*f)[1], limits_.max_pbkdf2_iterations);
      if (!iterations) return std::nullopt;
      return Pbkdf2Parts{sha256_, *iterations, (*f)[2], (*f)[3]};
    } catch (...) {
      return std::nullopt;
    }
  }

 private:
  std::string derive(std::string_view password, std::string_view salt, std::uint64_t n) const {
    const std::size_t length = sha256_ ? 32 : 20;
    return core::base64_encode(crypto::pbkdf2(sha256_ ? crypto::Prf::hmac_sha256 : crypto::Prf::hmac_sha1,
                                              password, salt, n, length));
  }
  std::string format(std::uint64_t n, std::string_view salt, const std::string& hash_b64) const {
    std::string out(algorithm());
    out += '$';
    out += std::to_string(n);
    out += '$';
    out += salt;
    out += '$';
    out += hash_b64;
    return out;
  }

  bool sha256_;
  std::uint64_t iterations_;
  HasherLimits limits_;
};

}  // namespace

std::shared_ptr<const Hasher> pbkdf2_sha256_hasher(std::uint64_t iterations, const HasherLimits& limits) {
  return std::make_shared<Pbkdf2Hasher>(true, iterations, limits);
}

std::shared_ptr<const Hasher> pbkdf2_sha1_hasher(std::uint64_t iterations, const HasherLimits& limits) {
  return std::make_shared<Pbkdf2Hasher>(false, iterations, limits);
}

}  // namespace gatehouse::passwords
