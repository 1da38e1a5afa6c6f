// The hasher list (Django's PASSWORD_HASHERS) and the functions over it:
// make_password, check_password (with Django's transparent upgrade),
// is_password_usable, identify_hasher, must_update.
//
//   auto& hashers = passwords::default_hashers();
//   std::string stored = hashers.make_password("s3cret");
//   bool ok = hashers.check_password("s3cret", stored, [&](std::string_view raw) {
//     user.set_password(raw); user.save();   // re-hashed with the preferred hasher
//   });
//
// Thread safety: a HasherRegistry is immutable once built.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/passwords/hasher.h"

namespace gatehouse::passwords {

// Unusable passwords are "!" + 40 random letters and digits (Django's format).
inline constexpr char kUnusablePasswordPrefix = '!';
inline constexpr std::size_t kUnusablePasswordSuffixLength = 40;

std::string make_unusable_password();
// False only for Django's unusable marker ("!..."), as Django.
bool is_password_usable(std::string_view encoded) noexcept;

class HasherRegistry {
 public:
  // The first hasher hashes new passwords; the others are accepted when
  // checking. Throws std::invalid_argument if empty or a name repeats.
  explicit HasherRegistry(std::vector<std::shared_ptr<const Hasher>> hashers);

  // Gatehouse's defaults: Django's list (pbkdf2_sha256 at `pbkdf2_iterations`,
  // pbkdf2_sha1, argon2, bcrypt_sha256, scrypt) plus bcrypt and the legacy
  // hashers, so every format Django ever wrote still logs in and is upgraded.
  static HasherRegistry defaults(std::uint64_t pbkdf2_iterations, const HasherLimits& limits = {});

  const Hasher& preferred() const noexcept { return *hashers_.front(); }
  // nullptr if no hasher has that algorithm name.
  const Hasher* get(std::string_view algorithm) const noexcept;
  // The hasher that made `encoded`, by Django's rules (the bare 32-hex and
  // "md5$$" forms are unsalted_md5, "sha1$$" is unsalted_sha1, else the name
  // before '$'); nullptr if none is registered or the form is unknown.
  const Hasher* identify(std::string_view encoded) const noexcept;

  // Hashes with the preferred hasher and a fresh salt.
  std::string make_password(std::string_view password) const;
  // Hashes with the named hasher; `salt` empty means a fresh one. Throws
  // std::invalid_argument for an unknown algorithm or a salt it cannot take.
  std::string make_password(std::string_view password, std::string_view algorithm,
                            std::string_view salt = {}) const;

  using Setter = std::function<void(std::string_view password)>;
  // Django's check_password: true if `password` matches. When it matches but
  // `encoded` is not what the preferred hasher would make now (another
  // algorithm, weaker parameters, a short salt), calls `setter` with the raw
  // password so the caller can store a new hash. A wrong password against a
  // weaker hash costs what a check at full strength would (harden_runtime).
  // Never throws for bad input; an exception from `setter` propagates.
  bool check_password(std::string_view password, std::string_view encoded,
                      const Setter& setter = {}) const;

  // The rest of check_password once `correct` is known, for verifiers that
  // computed it themselves (the hash pool's batch path): runs harden_runtime
  // or the setter as check_password would. REQUIRES: hasher == identify(encoded).
  bool finish_check(const Hasher& hasher, std::string_view password, std::string_view encoded, bool correct,
                    const Setter& setter = {}) const;

  // Whether a hash made by a registered hasher should be re-made now.
  bool must_update(std::string_view encoded) const noexcept;

  const std::vector<std::shared_ptr<const Hasher>>& hashers() const noexcept { return hashers_; }

 private:
  std::vector<std::shared_ptr<const Hasher>> hashers_;
};

// The process-wide registry: HasherRegistry::defaults() with the iteration
// count given to set_default_pbkdf2_iterations(), else the one from
// GATEHOUSE_PBKDF2_ITERATIONS (default 1,500,000), built on first use. Throws
// std::invalid_argument if that variable is needed and not a valid count.
const HasherRegistry& default_hashers();
// Sets the iteration count default_hashers() is built with, in place of
// GATEHOUSE_PBKDF2_ITERATIONS: the accounts service passes its
// app::Config::pbkdf2_iterations (environment or configuration file). Call it
// before the first default_hashers(); once the registry is built, the same
// count is a no-op and another throws std::logic_error (the registry is shared
// and immutable). Throws std::invalid_argument for a count outside 1 to
// HasherLimits::max_pbkdf2_iterations. Thread-safe.
void set_default_pbkdf2_iterations(std::uint64_t iterations);
// Parses GATEHOUSE_PBKDF2_ITERATIONS; throws std::invalid_argument with a
// message naming the variable when it is set but not a count from 1 to the limit.
std::uint64_t pbkdf2_iterations_from_environment();

}  // namespace gatehouse::passwords
