// LoginThrottle: failed logins counted per account and per client address in
// a cache (the database cache, or Redis when configured), so every server
// instance sharing it shares the count. Past the limit within the window,
// logins are refused (429 with Retry-After) until the window ends; a
// successful login resets the account's count. The window is fixed: it starts
// at the first failure, so a steady trickle of failures cannot extend it.
// The window is the counters' time to live: it runs on the cache's clock
// (make_memory_cache / make_database_cache take one; Redis keeps its own).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "gatehouse/cache/cache.h"

namespace gatehouse::auth {

struct ThrottlePolicy {
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
  std::chrono::seconds window{15 * 60};
  bool enabled = true;
};

class LoginThrottle {
 public:
  // `scope` separates counters of different uses of one cache ("login", "forgot").
  LoginThrottle(cache::Cache& cache, ThrottlePolicy policy = {}, std::string scope = "login")
      : cache_(cache), policy_(policy), scope_(std::move(scope)) {}
  // How long the caller must wait, or nullopt if a login may be tried now.
  std::optional<std::chrono::seconds> retry_after(const std::string& account, const std::string& address);
  void record_failure(const std::string& account, const std::string& address);
  void reset(const std::string& account);
  const ThrottlePolicy& policy() const noexcept { return policy_; }

 private:
  std::string account_key(const std::string& account) const;
  std::string address_key(const std::string& address) const;
  std::optional<std::chrono::seconds> blocked(const std::string& key, int limit);
  cache::Cache& cache_;
  ThrottlePolicy policy_;
  std::string scope_;
};

}  // namespace gatehouse::auth
