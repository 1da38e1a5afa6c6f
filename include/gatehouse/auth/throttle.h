// LoginThrottle: failed logins counted per account and per client address in
// the database, so every server instance sharing it shares the count. Past the
// limit within the window, logins are refused (429 with Retry-After) until the
// window ends; a successful login resets the account's count.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"

namespace gatehouse::auth {

struct ThrottlePolicy {
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
  std::chrono::seconds window{15 * 60};
  bool enabled = true;
};

class LoginThrottle {
 public:
  LoginThrottle(db::Database& db, ThrottlePolicy policy = {}) : db_(db), policy_(policy) {}
  // How long the caller must wait, or nullopt if a login may be tried now.
  std::optional<std::chrono::seconds> retry_after(const std::string& account, const std::string& address);
  void record_failure(const std::string& account, const std::string& address);
  void reset(const std::string& account);
  const ThrottlePolicy& policy() const noexcept { return policy_; }

 private:
  std::optional<std::chrono::seconds> blocked(const std::string& key, int limit);
  void bump(const std::string& key);
  db::Database& db_;
  ThrottlePolicy policy_;
};

std::vector<db::Migration> throttle_migrations();

}  // namespace gatehouse::auth
