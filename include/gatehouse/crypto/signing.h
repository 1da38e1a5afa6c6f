// Django-compatible signing (django.core.signing, Django 3.1+ with SHA-256):
// what sessions, signed cookies and reset links are made of, readable by
// Django with the same SECRET_KEY and salt, and able to read Django's.
//
//   Signer s(key, "my.salt");        s.sign("v")  == "v:<base64url hmac>"
//   TimestampSigner t(key, "salt");  t.sign("v")  == "v:<base62 time>:<sig>"
//   dumps(json, key, salt, compress) / loads(token, key, salt, max_age)
//
// Bad signatures and expired values are errors (BadSignature,
// SignatureExpired), compared in constant time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

class BadSignature : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class SignatureExpired : public BadSignature {
 public:
  using BadSignature::BadSignature;
};

std::string base62_encode(std::uint64_t value);
std::optional<std::uint64_t> base62_decode(std::string_view text);

class Signer {
 public:
  // Django's default salt is "django.core.signing.Signer".
  Signer(std::string key, std::string salt = "django.core.signing.Signer", char sep = ':');
  std::string signature(std::string_view value) const;
  std::string sign(std::string_view value) const;
  // Throws BadSignature.
  std::string unsign(std::string_view signed_value) const;

 protected:
  std::string key_, salt_;
  char sep_;
};

class TimestampSigner : public Signer {
 public:
  using Clock = std::chrono::system_clock;
  TimestampSigner(std::string key, std::string salt = "django.core.signing.TimestampSigner", char sep = ':');
  std::string sign(std::string_view value, Clock::time_point now = Clock::now()) const;
  // Throws BadSignature, or SignatureExpired when older than max_age.
  std::string unsign(std::string_view signed_value, std::optional<std::chrono::seconds> max_age = std::nullopt,
                     Clock::time_point now = Clock::now()) const;
  // The time the value was signed (after checking the signature).
  Clock::time_point timestamp(std::string_view signed_value) const;
};

// django.core.signing.dumps for an already serialised JSON text (compact, as
// Django's JSONSerializer writes it). With `compress`, zlib is used when it
// makes the payload shorter, marked by a leading '.'.
std::string dumps(std::string_view json, const std::string& key, const std::string& salt = "django.core.signing",
                  bool compress = false, TimestampSigner::Clock::time_point now = TimestampSigner::Clock::now());
// The JSON text inside; throws BadSignature / SignatureExpired.
std::string loads(std::string_view token, const std::string& key, const std::string& salt = "django.core.signing",
                  std::optional<std::chrono::seconds> max_age = std::nullopt,
                  TimestampSigner::Clock::time_point now = TimestampSigner::Clock::now());

}  // namespace gatehouse::crypto
