#include "gatehouse/auth/throttle.h"

#include <unicase.h>
#include <unistr.h>
#include <uninorm.h>

#include <algorithm>
#include <cstdlib>

#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/sha.h"

namespace gatehouse::auth {

namespace {
std::string digest(const std::string& s) { return core::hex_encode(crypto::sha256(s)).substr(0, 40); }

std::optional<std::chrono::seconds> later(std::optional<std::chrono::seconds> a, std::optional<std::chrono::seconds> b) {
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}
}  // namespace

std::string LoginThrottle::account_of(const std::string& account) {
  if (u8_check(reinterpret_cast<const std::uint8_t*>(account.data()), account.size()) != nullptr)
    return account;  // not UTF-8: compared as the bytes it is
  std::size_t length = 0;
  std::uint8_t* folded = u8_casefold(reinterpret_cast<const std::uint8_t*>(account.data()), account.size(), nullptr,
                                     UNINORM_NFKC, nullptr, &length);
  if (folded == nullptr) return account;  // not UTF-8: compared as the bytes it is
  std::string out(reinterpret_cast<const char*>(folded), length);
  std::free(folded);
  return out;
}

// Hashed: any length and any bytes make a short, valid key.
std::string LoginThrottle::account_key(const std::string& account) const {
  return "throttle:" + scope_ + ":user:" + digest(account_of(account));
}

std::string LoginThrottle::pair_key(const std::string& account, const std::string& address) const {
  return "throttle:" + scope_ + ":pair:" + digest(account_of(account) + '\0' + address);
}

std::string LoginThrottle::address_key(const std::string& address) const {
  return "throttle:" + scope_ + ":addr:" + digest(address);
}

std::string LoginThrottle::clients_key(const std::string& account) const {
  return "throttle:" + scope_ + ":clients:" + digest(account_of(account));
}

LoginThrottle::Count LoginThrottle::count(const std::string& key, int limit) {
  Count c;
  const auto value = cache_.get(key);
  if (!value) return c;
  try {
    c.failures = std::stoll(*value);
  } catch (const std::exception&) {
    return c;  // not a counter of ours
  }
  if (const auto left = cache_.ttl(key)) c.expires_in = std::chrono::ceil<std::chrono::seconds>(*left);
  c.locked = policy_.enabled && limit > 0 && c.failures >= limit;
  return c;
}

LoginThrottle::Count LoginThrottle::account_count(const std::string& account) {
  Count c = count(account_key(account), policy_.account_alarm);
  if (policy_.max_failures_per_account > 0 && c.failures >= policy_.max_failures_per_account) c.locked = policy_.enabled;
  return c;
}

LoginThrottle::Count LoginThrottle::address_count(const std::string& address) {
  return count(address_key(address), policy_.max_failures_per_address);
}

std::vector<std::pair<std::string, LoginThrottle::Count>> LoginThrottle::clients_of(const std::string& account,
                                                                                   std::size_t limit) {
  auto addresses = cache_.set_members(clients_key(account));
  std::sort(addresses.begin(), addresses.end());
  if (addresses.size() > limit) addresses.resize(limit);
  std::vector<std::pair<std::string, Count>> out;
  for (auto& a : addresses) {
    Count c = count(pair_key(account, a), policy_.max_failures_per_pair);
    if (c.failures > 0) out.emplace_back(std::move(a), c);
  }
  return out;
}

void LoginThrottle::clear_account(const std::string& account) {
  for (const auto& a : cache_.set_members(clients_key(account))) cache_.remove(pair_key(account, a));
  cache_.remove(clients_key(account));
  cache_.remove(account_key(account));
}

void LoginThrottle::clear_address(const std::string& address) { cache_.remove(address_key(address)); }

std::optional<std::chrono::seconds> LoginThrottle::blocked(const std::string& key, int limit) {
  if (limit <= 0) return std::nullopt;
  const auto count = cache_.get(key);
  if (!count) return std::nullopt;
  std::int64_t n = 0;
  try {
    n = std::stoll(*count);
  } catch (const std::exception&) {
    return std::nullopt;  // not a counter of ours
  }
  if (n < limit) return std::nullopt;
  const auto left = cache_.ttl(key);
  if (!left) return std::nullopt;
  // Round up: under a second left is still blocked (Retry-After is whole seconds).
  return std::chrono::ceil<std::chrono::seconds>(*left);
}

std::optional<std::chrono::seconds> LoginThrottle::retry_after(const std::string& account, const std::string& address) {
  if (!policy_.enabled) return std::nullopt;
  auto wait = later(blocked(pair_key(account, address), policy_.max_failures_per_pair),
                    blocked(address_key(address), policy_.max_failures_per_address));
  wait = later(wait, blocked(account_key(account), policy_.max_failures_per_account));
  if (auto alarm = blocked(account_key(account), policy_.account_alarm)) {
    // Under attack: only a client with no recent failure on this account may try.
    if (blocked(pair_key(account, address), 1)) wait = later(wait, alarm);
  }
  return wait;
}

void LoginThrottle::record_failure(const std::string& account, const std::string& address) {
  if (!policy_.enabled) return;
  cache_.incr(pair_key(account, address), 1, policy_.window);
  cache_.incr(address_key(address), 1, policy_.window);
  cache_.incr(account_key(account), 1, policy_.window);
  // For the admin's panel; a client address is at most 45 bytes (IPv6 text), so anything longer is not indexed.
  if (address.size() <= 64) cache_.set_add(clients_key(account), address, policy_.window);
}

void LoginThrottle::reset(const std::string& account, const std::string& address) {
  if (!policy_.enabled) return;
  cache_.remove(account_key(account));
  cache_.remove(pair_key(account, address));
}

}  // namespace gatehouse::auth
