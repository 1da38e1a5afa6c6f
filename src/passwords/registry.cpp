#include "gatehouse/passwords/registry.h"

#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>

#include "format.h"
#include "gatehouse/core/random.h"
#include "gatehouse/passwords/hashers.h"

namespace gatehouse::passwords {

std::string make_unusable_password() {
  return kUnusablePasswordPrefix + core::random_string(kUnusablePasswordSuffixLength);
}

bool is_password_usable(std::string_view encoded) noexcept {
  return encoded.empty() || encoded.front() != kUnusablePasswordPrefix;
}

HasherRegistry::HasherRegistry(std::vector<std::shared_ptr<const Hasher>> hashers)
    : hashers_(std::move(hashers)) {
  if (hashers_.empty()) throw std::invalid_argument("the hasher list is empty");
  std::set<std::string_view> names;
  for (const auto& h : hashers_) {
    if (h == nullptr) throw std::invalid_argument("null hasher in the list");
    if (!names.insert(h->algorithm()).second)
      throw std::invalid_argument("hasher listed twice: " + std::string(h->algorithm()));
  }
}

HasherRegistry HasherRegistry::defaults(std::uint64_t pbkdf2_iterations, const HasherLimits& limits) {
  return HasherRegistry({
      pbkdf2_sha256_hasher(pbkdf2_iterations, limits),
      pbkdf2_sha1_hasher(pbkdf2_iterations, limits),
      argon2_hasher({}, limits),
      bcrypt_sha256_hasher(12, limits),
      scrypt_hasher({}, limits),
      bcrypt_hasher(12, limits),
      sha1_hasher(),
      md5_hasher(),
      unsalted_sha1_hasher(),
      unsalted_md5_hasher(),
      crypt_hasher(limits),
  });
}

const Hasher* HasherRegistry::get(std::string_view algorithm) const noexcept {
  for (const auto& h : hashers_)
    if (h->algorithm() == algorithm) return h.get();
  return nullptr;
}

const Hasher* HasherRegistry::identify(std::string_view encoded) const noexcept {
  if ((encoded.size() == 32 && encoded.find('$') == std::string_view::npos) ||
      (encoded.size() == 37 && encoded.starts_with("md5$$")))
    return get("unsalted_md5");
  if (encoded.size() == 46 && encoded.starts_with("sha1$$")) return get("unsalted_sha1");
  const auto dollar = encoded.find('$');
  if (dollar == std::string_view::npos) return nullptr;
  return get(encoded.substr(0, dollar));
}

std::string HasherRegistry::make_password(std::string_view password) const {
  return preferred().encode(password);
}

std::string HasherRegistry::make_password(std::string_view password, std::string_view algorithm,
                                          std::string_view salt) const {
  const Hasher* h = get(algorithm);
  if (h == nullptr) throw std::invalid_argument("unknown password hashing algorithm: " + std::string(algorithm));
  return salt.empty() ? h->encode(password) : h->encode(password, salt);
}

bool HasherRegistry::check_password(std::string_view password, std::string_view encoded,
                                    const Setter& setter) const {
  if (!is_password_usable(encoded)) return false;
  const Hasher* hasher = identify(encoded);
  if (hasher == nullptr) return false;
  return finish_check(*hasher, password, encoded, hasher->verify(password, encoded), setter);
}

bool HasherRegistry::finish_check(const Hasher& hasher, std::string_view password, std::string_view encoded,
                                  bool correct, const Setter& setter) const {
  const Hasher& best = preferred();
  const bool hasher_changed = &hasher != &best;
  const bool update = hasher_changed || best.must_update(encoded);
  // Django: make a wrong password against a weaker hash of the preferred
  // algorithm cost the full price, so timing does not reveal the weak hash.
  if (!correct && !hasher_changed && update) hasher.harden_runtime(password, encoded);
  if (correct && update && setter) setter(password);
  return correct;
}

bool HasherRegistry::must_update(std::string_view encoded) const noexcept {
  const Hasher* hasher = identify(encoded);
  if (hasher == nullptr) return false;
  return hasher != &preferred() || preferred().must_update(encoded);
}

std::uint64_t pbkdf2_iterations_from_environment() {
  const char* env = std::getenv("GATEHOUSE_PBKDF2_ITERATIONS");
  if (env == nullptr || *env == '\0') return kDefaultPbkdf2Iterations;
  const HasherLimits limits;
  const auto n = detail::parse_count(env, limits.max_pbkdf2_iterations);
  if (!n)
    throw std::invalid_argument("GATEHOUSE_PBKDF2_ITERATIONS must be a whole number from 1 to " +
                                std::to_string(limits.max_pbkdf2_iterations) + ", not '" + env + "'");
  return *n;
}

namespace {

// What set_default_pbkdf2_iterations() chose (0: nothing) and what the
// registry was built with (0: not built yet), under one lock.
struct DefaultIterations {
  std::mutex mu;
  std::uint64_t chosen = 0;
  std::uint64_t built = 0;
};

DefaultIterations& default_iterations() {
  static DefaultIterations d;
  return d;
}

}  // namespace

const HasherRegistry& default_hashers() {
  static const HasherRegistry registry = [] {
    DefaultIterations& d = default_iterations();
    std::lock_guard lock(d.mu);
    const std::uint64_t n = d.chosen != 0 ? d.chosen : pbkdf2_iterations_from_environment();
    HasherRegistry r = HasherRegistry::defaults(n);
    d.built = n;
    return r;
  }();
  return registry;
}

void set_default_pbkdf2_iterations(std::uint64_t iterations) {
  const HasherLimits limits;
  if (iterations < 1 || iterations > limits.max_pbkdf2_iterations)
    throw std::invalid_argument("PBKDF2 iterations must be a whole number from 1 to " +
                                std::to_string(limits.max_pbkdf2_iterations));
  DefaultIterations& d = default_iterations();
  std::lock_guard lock(d.mu);
  if (d.built != 0 && d.built != iterations)
    throw std::logic_error("default_hashers() is already built with " + std::to_string(d.built) +
                           " PBKDF2 iterations; set the count before its first use");
  d.chosen = iterations;
}

}  // namespace gatehouse::passwords
