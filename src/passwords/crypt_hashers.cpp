// Hashers over libxcrypt's crypt(3):
//   bcrypt$<$2b$ setting and hash>          bcrypt_sha256$<...>  (password = hex(sha256))
//   crypt$$<any crypt(3) hash libxcrypt reads, e.g. 13-character DES>
#include <crypt.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "format.h"
#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/crypto/sha.h"
#include "gatehouse/passwords/hashers.h"

namespace gatehouse::passwords {

namespace {

// crypt_rn with a heap work area (struct crypt_data is ~32 KiB). nullopt when
// libxcrypt refuses the setting or the phrase (e.g. an embedded NUL).
std::optional<std::string> crypt(std::string_view phrase, std::string_view setting) {
  if (phrase.find('\0') != std::string_view::npos) return std::nullopt;
  if (setting.find('\0') != std::string_view::npos) return std::nullopt;
  auto data = std::make_unique<crypt_data>();
  const std::string p(phrase), s(setting);
  const char* out = crypt_rn(p.c_str(), s.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  if (out == nullptr || out[0] == '*') return std::nullopt;
  return std::string(out);
}

// The cost of a "$2?$NN$<53 chars>" bcrypt string, if well formed.
std::optional<std::uint32_t> bcrypt_rounds(std::string_view data, std::uint32_t max) {
  if (data.size() != 60 || data[0] != '$' || data[1] != '2' || data[3] != '$' || data[6] != '$')
    return std::nullopt;
  if (data[2] != 'a' && data[2] != 'b' && data[2] != 'y') return std::nullopt;
  if (data[4] < '0' || data[4] > '9' || data[5] < '0' || data[5] > '9') return std::nullopt;
  const auto rounds = static_cast<std::uint32_t>((data[4] - '0') * 10 + (data[5] - '0'));
  if (rounds < 4 || rounds > max) return std::nullopt;
  return rounds;
}

class BcryptHasher final : public Hasher {
 public:
  BcryptHasher(bool sha256, std::uint32_t rounds, const HasherLimits& limits)
      : sha256_(sha256), rounds_(rounds), limits_(limits) {
    if (rounds < 4 || rounds > limits.max_bcrypt_rounds)
      throw std::invalid_argument("bcrypt rounds must be between 4 and " +
                                  std::to_string(limits.max_bcrypt_rounds));
  }

  std::string_view algorithm() const noexcept override { return sha256_ ? "bcrypt_sha256" : "bcrypt"; }

  std::string salt() const override {
    char out[CRYPT_GENSALT_OUTPUT_SIZE];
    const std::string random = core::random_bytes(16);
    if (crypt_gensalt_rn("$2b$", rounds_, random.data(), static_cast<int>(random.size()), out,
                         sizeof out) == nullptr)
      throw std::runtime_error("bcrypt: could not make a salt");
    return out;
  }

  // `salt` is a bcrypt setting ("$2b$12$" + 22 characters) or a whole hash.
  std::string encode(std::string_view password, std::string_view salt) const override {
    const auto data = crypt(prepare(password), salt);
    if (!data) throw std::invalid_argument("bcrypt: invalid salt, or a password with a NUL byte");
    return std::string(algorithm()) + '$' + *data;
  }

  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      const auto data = data_of(encoded);
      if (!data) return false;
      const auto again = crypt(prepare(password), *data);
      return again && core::constant_time_equal(*again, *data);
    } catch (...) {
      return false;
    }
  }

  bool is_well_formed(std::string_view encoded) const noexcept override {
    return data_of(encoded).has_value();
  }

  bool must_update(std::string_view encoded) const noexcept override {
    const auto data = data_of(encoded);
    return data && bcrypt_rounds(*data, limits_.max_bcrypt_rounds) != rounds_;
  }

  void harden_runtime(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      const auto data = data_of(encoded);
      if (!data) return;
      const auto rounds = bcrypt_rounds(*data, limits_.max_bcrypt_rounds);
      if (!rounds || *rounds >= rounds_) return;
      // Each extra round doubles the work: run the old cost 2^diff - 1 more times.
      const std::string prepared = prepare(password);
      for (std::uint64_t extra = (std::uint64_t{1} << (rounds_ - *rounds)) - 1; extra > 0; --extra)
        (void)crypt(prepared, data->substr(0, 29));
    } catch (...) {
    }
  }

 private:
  std::optional<std::string_view> data_of(std::string_view encoded) const noexcept {
    const std::string_view prefix = algorithm();
    if (encoded.size() <= prefix.size() || !encoded.starts_with(prefix) || encoded[prefix.size()] != '$')
      return std::nullopt;
    const std::string_view data = encoded.substr(prefix.size() + 1);
    if (!bcrypt_rounds(data, limits_.max_bcrypt_rounds)) return std::nullopt;
    return data;
  }
  // bcrypt reads at most 72 bytes; libxcrypt refuses phrases over 512, so cut
  // first (as Python's bcrypt does) to give long passwords the same hash.
  std::string prepare(std::string_view password) const {
    if (sha256_) return core::hex_encode(crypto::sha256(password));
    return std::string(password.substr(0, 72));
  }

  bool sha256_;
  std::uint32_t rounds_;
  HasherLimits limits_;
};

// The crypt(3) settings the crypt hasher accepts, each at a bounded cost:
// traditional DES (what Django wrote), MD5-crypt, SHA-crypt within
// max_crypt_rounds, and bcrypt within the limits. Others (yescrypt, scrypt,
// gost) carry costs this hasher does not parse, so they are refused.
bool crypt_setting_allowed(std::string_view h, const HasherLimits& limits) {
  if (!h.starts_with('$')) return h.size() >= 2;  // DES: two salt characters, then the hash
  if (h.starts_with("$1$")) return true;
  if (h.starts_with("$2")) return bcrypt_rounds(h.substr(0, std::min<std::size_t>(h.size(), 60)), limits.max_bcrypt_rounds).has_value() && h.size() == 60;
  if (h.starts_with("$5$") || h.starts_with("$6$")) {
    const std::string_view rest = h.substr(3);
    if (!rest.starts_with("rounds=")) return true;  // default 5000
    const auto end = rest.find('$');
    if (end == std::string_view::npos) return false;
    return detail::parse_count(rest.substr(7, end - 7), limits.max_crypt_rounds).has_value();
  }
  return false;
}

class CryptHasher final : public Hasher {
 public:
  explicit CryptHasher(const HasherLimits& limits) : limits_(limits) {}
  std::string_view algorithm() const noexcept override { return "crypt"; }
  std::string salt() const override { return core::random_string(2); }

  std::string encode(std::string_view password, std::string_view salt) const override {
    if (salt.size() != 2) throw std::invalid_argument("crypt takes a 2-character salt");
    const auto data = crypt(password, salt);
    if (!data) throw std::invalid_argument("crypt: invalid salt, or a password with a NUL byte");
    return "crypt$$" + *data;
  }

 private:
  HasherLimits limits_;

 public:

  bool is_well_formed(std::string_view encoded) const noexcept override {
    try {
      const auto f = detail::split_fields(encoded, 3);
      // libxcrypt judges the hash itself: a setting it cannot read fails there.
      return f && (*f)[0] == "crypt" && crypt_setting_allowed((*f)[2], limits_) &&
             crypt("", (*f)[2]).has_value();
    } catch (...) {
      return false;
    }
  }

  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      const auto f = detail::split_fields(encoded, 3);
      if (!f || (*f)[0] != "crypt" || !crypt_setting_allowed((*f)[2], limits_)) return false;
      const auto again = crypt(password, (*f)[2]);
      return again && core::constant_time_equal(*again, (*f)[2]);
    } catch (...) {
      return false;
    }
  }
};

}  // namespace

std::shared_ptr<const Hasher> bcrypt_sha256_hasher(std::uint32_t rounds, const HasherLimits& limits) {
  return std::make_shared<BcryptHasher>(true, rounds, limits);
}
std::shared_ptr<const Hasher> bcrypt_hasher(std::uint32_t rounds, const HasherLimits& limits) {
  return std::make_shared<BcryptHasher>(false, rounds, limits);
}
std::shared_ptr<const Hasher> crypt_hasher(const HasherLimits& limits) {
  return std::make_shared<CryptHasher>(limits);
}

}  // namespace gatehouse::passwords
