// One-time codes for password recovery by email (the JSON API's forgot/reset
// flow), as OWASP ASVS 5 asks: drawn from the CSPRNG (8 digits by default,
// 26.6 bits; at least 6), stored only as an HMAC under the secret key, valid
// for 10 minutes, single use, dead after 5 wrong tries, and replaced when a
// new one is issued. They live in a cache: the database's, or Redis with TTLs.
// The lifetime is the entries' time to live, so it runs on the cache's clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/auth/login.h"
#include "gatehouse/cache/cache.h"
#include "gatehouse/signals/signal.h"

namespace gatehouse::auth {

struct ResetCodePolicy {
  int digits = 8;                       // 6 to 12
  std::chrono::seconds lifetime{600};
  int max_tries = 5;
};

class ResetCodes {
 public:
  // Throws std::invalid_argument for digits outside 6..12 or non-positive limits.
  ResetCodes(cache::Cache& cache, std::string secret_key, ResetCodePolicy policy = {});
  // A fresh code for the user; any earlier one stops working.
  std::string issue(std::int64_t user_id);
  // True exactly once for the live code (it is then consumed); a wrong code
  // counts a try, and the code dies at max_tries.
  bool redeem(std::int64_t user_id, std::string_view code);
  void revoke(std::int64_t user_id);
  const ResetCodePolicy& policy() const noexcept { return policy_; }

 private:
  std::string digest(std::int64_t user_id, std::string_view code) const;
  cache::Cache& cache_;
  std::string secret_;
  ResetCodePolicy policy_;
};

// Who may recover a password by this address: active users with a usable
// password whose email matches case-insensitively (Django's
// PasswordResetForm.get_users).
std::vector<User> users_for_reset(db::Connection& conn, std::string_view email);

struct PasswordResetEvent {
  const User* user = nullptr;
  const Client* client = nullptr;
  db::Connection* connection = nullptr;
};
// Sent after a password was reset by a code or a reset link (not part of
// Django; declared here so applications can react, e.g. to notify the user).
extern signals::Signal<void(const PasswordResetEvent&)> user_password_reset;

}  // namespace gatehouse::auth
