#include "gatehouse/auth/throttle.h"

#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/sha.h"

namespace gatehouse::auth {

std::string LoginThrottle::account_key(const std::string& account) const {
  std::string lower = account;
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  // Hashed: any length and any bytes make a short, valid key.
  return "throttle:" + scope_ + ":user:" + core::hex_encode(crypto::sha256(lower)).substr(0, 40);
}

std::string LoginThrottle::address_key(const std::string& address) const {
  return "throttle:" + scope_ + ":addr:" + address.substr(0, 64);
}

std::optional<std::chrono::seconds> LoginThrottle::blocked(const std::string& key, int limit) {
  const auto count = cache_.get(key);
  if (!count || std::stoll(*count) < limit) return std::nullopt;
  const auto left = cache_.ttl(key);
  if (!left) return std::nullopt;
  // Round up: under a second left is still blocked (Retry-After is whole seconds).
  return std::chrono::ceil<std::chrono::seconds>(*left);
}

std::optional<std::chrono::seconds> LoginThrottle::retry_after(const std::string& account, const std::string& address) {
  if (!policy_.enabled) return std::nullopt;
  auto a = blocked(account_key(account), policy_.max_failures_per_account);
  auto b = blocked(address_key(address), policy_.max_failures_per_address);
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}

void LoginThrottle::record_failure(const std::string& account, const std::string& address) {
  if (!policy_.enabled) return;
  cache_.incr(account_key(account), 1, policy_.window);
  cache_.incr(address_key(address), 1, policy_.window);
}

void LoginThrottle::reset(const std::string& account) { cache_.remove(account_key(account)); }

}  // namespace gatehouse::auth
