// Password reset links, as Django's PasswordResetTokenGenerator makes them: a
// token "<base36 timestamp>-<hmac>" over the user's id, password hash, last
// login, the timestamp and the email, signed with the secret key. It dies when
// the password changes or the user logs in, and after `timeout` (Django's
// PASSWORD_RESET_TIMEOUT, three days by default). Tokens that Django 3.2 makes
// for the same secret and user are accepted (its legacy SHA-1 form too), and
// Django accepts ours. Timestamps are seconds since 2001-01-01 UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gatehouse/auth/user.h"
#include "gatehouse/core/clock.h"

namespace gatehouse::auth {

class PasswordResetTokenGenerator {
 public:
  // Tokens are stamped and judged by `clock`, which must outlive the generator.
  explicit PasswordResetTokenGenerator(std::string secret_key,
                                       std::chrono::seconds timeout = std::chrono::seconds(259200),
                                       const core::Clock& clock = core::system_clock());
  std::string make_token(const User& user) const;
  // Constant-time; false for anything malformed, expired, or made for another state of the user.
  bool check_token(const User& user, std::string_view token) const;

  std::string make_token_at(const User& user, std::int64_t timestamp, bool legacy_sha1 = false) const;
  // The clock's time, in whole seconds since 2001-01-01 UTC.
  std::int64_t now() const { return seconds_since_2001(clock_->now()); }
  static std::int64_t seconds_since_2001(std::chrono::system_clock::time_point t);

 private:
  std::string secret_;
  std::chrono::seconds timeout_;
  const core::Clock* clock_;  // a pointer, so a generator stays assignable
};

// The uidb64 of reset URLs: base64url of the decimal id, no padding (Django's
// urlsafe_base64_encode(force_bytes(pk))). nullopt for anything else.
std::string uid_to_base64(std::int64_t id);
std::optional<std::int64_t> uid_from_base64(std::string_view text);

}  // namespace gatehouse::auth
