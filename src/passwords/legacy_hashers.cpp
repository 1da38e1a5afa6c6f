// Django's legacy hashers, kept so old databases still log in (and upgrade):
//   sha1$<salt>$<hex>  md5$<salt>$<hex>  sha1$$<hex>  <32 hex> or md5$$<hex>
#include <stdexcept>

#include "format.h"
#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/sha.h"
#include "gatehouse/passwords/hashers.h"

namespace gatehouse::passwords {

namespace {

using DigestFn = std::string (*)(std::string_view);

// sha1 / md5: hex(H(salt + password)).
class SaltedDigestHasher final : public Hasher {
 public:
  SaltedDigestHasher(std::string_view name, DigestFn fn) : name_(name), fn_(fn) {}
  std::string_view algorithm() const noexcept override { return name_; }

  std::string encode(std::string_view password, std::string_view salt) const override {
    if (!detail::salt_fits(salt)) throw std::invalid_argument("salt must be non-empty and without '$'");
    std::string input(salt);
    input.append(password);
    return std::string(name_) + '$' + std::string(salt) + '$' + core::hex_encode(fn_(input));
  }

  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      const auto f = detail::split_fields(encoded, 3);
      if (!f || (*f)[0] != name_ || !detail::salt_fits((*f)[1])) return false;
      return core::constant_time_equal(encode(password, (*f)[1]), encoded);
    } catch (...) {
      return false;
    }
  }

  bool is_well_formed(std::string_view encoded) const noexcept override {
    try {
      const auto f = detail::split_fields(encoded, 3);
      return f && (*f)[0] == name_ && detail::salt_fits((*f)[1]) && core::hex_decode((*f)[2]).has_value();
    } catch (...) {
      return false;
    }
  }

  bool must_update(std::string_view encoded) const noexcept override {
    const auto f = detail::split_fields(encoded, 3);
    return f && detail::salt_too_short((*f)[1]);
  }

 private:
  std::string_view name_;
  DigestFn fn_;
};

// unsalted_sha1: "sha1$$" + hex(sha1(password)).
class UnsaltedSha1Hasher final : public Hasher {
 public:
  std::string_view algorithm() const noexcept override { return "unsalted_sha1"; }
  std::string salt() const override { return ""; }
  std::string encode(std::string_view password, std::string_view salt) const override {
    if (!salt.empty()) throw std::invalid_argument("unsalted_sha1 takes no salt");
    return "sha1$$" + core::hex_encode(crypto::sha1(password));
  }
  bool is_well_formed(std::string_view encoded) const noexcept override {
    return encoded.size() == 46 && encoded.starts_with("sha1$$") &&
           core::hex_decode(encoded.substr(6)).has_value();
  }
  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      return core::constant_time_equal(encode(password, ""), encoded);
    } catch (...) {
      return false;
    }
  }
};

// unsalted_md5: hex(md5(password)), also read with a "md5$$" prefix.
class UnsaltedMd5Hasher final : public Hasher {
 public:
  std::string_view algorithm() const noexcept override { return "unsalted_md5"; }
  std::string salt() const override { return ""; }
  std::string encode(std::string_view password, std::string_view salt) const override {
    if (!salt.empty()) throw std::invalid_argument("unsalted_md5 takes no salt");
    return core::hex_encode(crypto::md5(password));
  }
  bool is_well_formed(std::string_view encoded) const noexcept override {
    if (encoded.size() == 37 && encoded.starts_with("md5$$")) encoded.remove_prefix(5);
    return encoded.size() == 32 && core::hex_decode(encoded).has_value();
  }
  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      if (encoded.size() == 37 && encoded.starts_with("md5$$")) encoded.remove_prefix(5);
      return core::constant_time_equal(encode(password, ""), encoded);
    } catch (...) {
      return false;
    }
  }
};

}  // namespace

std::shared_ptr<const Hasher> sha1_hasher() {
  return std::make_shared<SaltedDigestHasher>("sha1", &crypto::sha1);
}
std::shared_ptr<const Hasher> md5_hasher() {
  return std::make_shared<SaltedDigestHasher>("md5", &crypto::md5);
}
std::shared_ptr<const Hasher> unsalted_sha1_hasher() { return std::make_shared<UnsaltedSha1Hasher>(); }
std::shared_ptr<const Hasher> unsalted_md5_hasher() { return std::make_shared<UnsaltedMd5Hasher>(); }

}  // namespace gatehouse::passwords
