// Accounts: the account operations — signup, login, logout, password change,
// password recovery (forgot, reset by code, set by link) — over plain values.
// The JSON API, the HTML pages, the admin and a library user's own routes all
// call these, and turn the Outcome into their own responses; none of them
// re-implements a step (DESIGN.md: auth never sees an HTTP request).
//
//   auth::Accounts accounts(parts, {.secret_key = key});
//   accounts.login({"ada", "pw"}, client, session, [](auth::Outcome o) { ... });
//
// Asynchronous operations hash on the pool and call `done` exactly once, on a
// pool thread or before returning; the SessionRecord they are given must live
// until then. Every dependency failure (database, cache, session store, a
// full pool) becomes an Outcome (unavailable or busy): nothing thrown by a
// dependency escapes, and nothing is counted against the user for it.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gatehouse/auth/backends.h"
#include "gatehouse/auth/email_verification.h"
#include "gatehouse/auth/mfa_requirement.h"
#include "gatehouse/auth/outcome.h"
#include "gatehouse/auth/reset_codes.h"
#include "gatehouse/auth/throttle.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/sessions/store.h"

namespace gatehouse::auth {

using OutcomeDone = std::function<void(Outcome)>;

// The outbox jobs that carry password recovery emails. Their payload is only
// the address asked about; the code or link is made when the job runs, so no
// secret rests in the outbox and every address costs the request the same.
inline constexpr const char* kPasswordCodeJob = "mail.password_code";
inline constexpr const char* kPasswordLinkJob = "mail.password_reset_link";
// The job that emails an address's confirmation link ({"address_id": N}).
inline constexpr const char* kConfirmEmailJob = "mail.confirm_email";


// What Accounts works on; every part must outlive it.
struct AccountParts {
  db::Database& db;
  sessions::SessionStore& sessions;
  passwords::HashPool& pool;
  LoginThrottle& login_throttle;   // failed logins, per account and per address
  LoginThrottle& forgot_throttle;  // recovery requests, per address asked about and per client
  LoginThrottle& reset_throttle;   // attempts at a recovery code
  ResetCodes& codes;
  LoginThrottle& signup_throttle;  // signups, per client
  LoginThrottle& mfa_throttle;     // wrong second-factor codes, per user and client (auth/mfa.h)
};

// Whether `user` must have a second factor under `requirement`.
bool factor_required(MfaRequirement requirement, const User& user);

struct AccountOptions {
  std::string secret_key;
  Backends backends = {std::make_shared<ModelBackend>()};
  std::chrono::seconds session_age{1209600};  // two weeks, as Django
  const core::Clock* clock = &core::system_clock();
  // Refuse a second account on an address (django-allauth's UNIQUE_EMAIL),
  // compared case-insensitively.
  bool unique_email = false;
  EmailVerification email_verification = EmailVerification::none;
  MfaRequirement mfa_required = MfaRequirement::none;
  std::string site_name = "Gatehouse";  // the issuer authenticator apps show (GATEHOUSE_SITE_NAME)
  std::string site_url{};               // passkeys' relying party (GATEHOUSE_SITE_URL); empty: no passkeys
};

struct SignupForm {
  std::string username, email, password;
};

class Accounts {
 public:
  Accounts(AccountParts parts, AccountOptions options);

  // Under the throttle, tries the backends (hashing on the pool); on success
  // logs `session` in with a new key (saved in the store), sends
  // user_logged_in and resets the account's failures. bad_credentials is the
  // one answer for every refusal and counts a failure; a dependency's failure
  // counts none. A user with a second factor (or who must enrol one) gets a
  // pending session instead: second_factor or enrolment (auth/mfa.h).
  void login(Credentials credentials, Client client, sessions::SessionRecord& session, OutcomeDone done);
  // Logs `user` in on `session` without credentials (after signup, as
  // Django's login(request, user)), under the first backend's name (or `backend`);
  // `enrolment` (a pending session) when a factor is required and the user has none.
  Outcome log_in_user(User& user, const Client& client, sessions::SessionRecord& session, std::string backend = {});
  // Sends user_logged_out and removes the session (the record is cleared).
  Outcome logout(sessions::SessionRecord& session, const std::optional<User>& user, const Client& client);
  // The session's user (nullopt when anonymous, or its password changed).
  // Throws what the database throws: callers answer it with outcome_of().
  std::optional<User> user_of(const sessions::SessionRecord& session);

  // Under the signup throttle (per client), validates (errors keyed
  // username, email, password), hashes on the pool and creates the user; ok
  // carries the new user.
  void signup(SignupForm form, const Client& client, OutcomeDone done);
  // Checks the old password on the pool (wrong ones count against the
  // client in the login throttle, so it cannot be guessed here instead),
  // validates and sets the new one, ends every other session of the user and
  // keeps `session` logged in under a new key (Django's
  // update_session_auth_hash and cycle_key). Errors keyed old_password,
  // new_password.
  void change_password(User user, std::string old_password, std::string new_password, const Client& client,
                       sessions::SessionRecord& session, OutcomeDone done);

  // Password recovery, step one: under the throttle, enqueues `job`
  // (kPasswordCodeJob or kPasswordLinkJob) for the address — the same work
  // whether or not an account uses it. Errors keyed email.
  Outcome forgot(std::string_view email, const Client& client, const char* job);
  // Step two by code: under the throttle, the address's code redeemed, then
  // as set_password. bad_credentials for every wrong address or code.
  void reset_with_code(std::string email, std::string code, std::string new_password, const Client& client,
                       OutcomeDone done);
  // Step two by link (the token already checked): validates (errors keyed
  // new_password), sets the password, ends every session of the user and
  // sends user_password_reset.
  void set_password(User user, std::string new_password, const Client& client, OutcomeDone done);

  // Confirms the address a link's key names (auth/email_addresses.h); ok
  // carries the user, bad_credentials answers every bad, expired or stale key.
  Outcome confirm_email(const std::string& key);
  // Whether the user may log in as far as their address goes.
  bool address_ok(db::Connection& conn, const User& user) const;

  // Django's password validators for this user (messages; none means valid).
  std::vector<std::string> password_problems(const std::string& password, const User& user) const;
  const AccountOptions& options() const noexcept { return options_; }
  AccountParts& parts() noexcept { return parts_; }

 private:
  void finish_login(const Authenticated& a, const Credentials& credentials, const Client& client,
                    sessions::SessionRecord& session, const OutcomeDone& done);
  void mark_password_change(sessions::SessionRecord& session, const User& user);
  // The password was right: a pending session when a factor is, or must be, there.
  // `enrolment_only`: only the GATEHOUSE_MFA_REQUIRED case (a login without
  // credentials, whose proof is the caller's: signup, a completed second step).
  std::optional<Outcome> second_step(sessions::SessionRecord& session, const User& user, const std::string& backend,
                                     const Client& client, bool enrolment_only = false);
  // Under the login throttle, checks `password` against the user's on the
  // pool; a wrong one counts against the client (so it cannot be guessed
  // here instead of at login) and answers field_errors on `field`; a right
  // one runs `then` on the pool thread, guarded (a dependency's failure
  // becomes its Outcome in `done`).
  void check_password(const User& user, std::string password, const Client& client, const OutcomeDone& done,
                      std::function<void()> then, const char* field = "password");
  friend class Mfa;  // completes the login a pending session began; checks passwords
  void store_password(User user, std::string new_password, const Client& client, OutcomeDone done);
  std::optional<User> create(User u);  // the user, the address row and its confirmation job; nullopt: name taken
  void send_confirmation(db::Connection& conn, const User& user, std::string idempotency_key = {}) const;
  BackendContext backend_context() { return {parts_.db, parts_.pool}; }

  AccountParts parts_;
  AccountOptions options_;
};

}  // namespace gatehouse::auth
