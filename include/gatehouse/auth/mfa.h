// The second factor, as operations over plain values (DESIGN.md,
// "Multi-factor"): enrolment of an authenticator app (TOTP), recovery codes,
// and the second step of a login. Devices live in django-otp's tables
// (auth/otp.h). The JSON API, the pages and the admin call these.
//
// The login, in two steps (Accounts::login does the first):
//   1. a correct password of a user with a confirmed factor does not log the
//      session in: it becomes a *pending* session (a new key; the user, the
//      backend and the session auth hash under kPendingUser, kPendingBackend,
//      kPendingHash; it expires 5 minutes later), and the Outcome is
//      second_factor with the methods the user has. The session is not
//      authenticated (get_user sees nobody): /api/me answers 401.
//   2. Mfa::complete_login with a TOTP code or a recovery code: under the
//      throttle ("mfa" scope, per user and client, the login policy) and the
//      device's own growing delay (django-otp's), the code is verified and
//      the session logged in under yet another key (user_logged_in is sent);
//      a wrong code sends user_login_failed, cleansed.
//   With GATEHOUSE_MFA_REQUIRED (staff or all) a user who must have a factor
//   and has none gets a pending session marked kPendingEnrolment: the only
//   things it may do are setup_totp and confirm_totp, and confirming
//   completes the login.
//
// A password reset never logs in, so it never bypasses the factor; losing the
// device means a recovery code, or staff resetting the factors
// (reset_factors, from the admin).
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gatehouse/auth/accounts.h"
#include "gatehouse/auth/otp.h"
#include "gatehouse/auth/pending.h"
#include "gatehouse/auth/webauthn.h"

namespace gatehouse::auth {

// A WebAuthn challenge in the session: "<purpose> <challenge> <unix seconds until>", single use.
inline constexpr const char* kWebauthnChallenge = "_webauthn_challenge";

// The outbox job that emails a user about a change to their factors
// ({"user_id": N, "event": one of the kFactor* below}).
inline constexpr const char* kSecurityNoticeJob = "mail.security_notice";
inline constexpr const char* kFactorEnrolled = "totp_enrolled";
inline constexpr const char* kFactorDisabled = "totp_disabled";
inline constexpr const char* kRecoveryCodeUsed = "recovery_code_used";
inline constexpr const char* kRecoveryCodesRenewed = "recovery_codes_renewed";
inline constexpr const char* kFactorsReset = "factors_reset";
inline constexpr const char* kPasskeyAdded = "passkey_added";
inline constexpr const char* kPasskeyRemoved = "passkey_removed";

// A change to a user's factors, kept for the user's history in the admin
// (gatehouse_security_event; the rows go with the user).
struct SecurityEvent {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  models::Timestamp time{};
  std::string event{};           // kFactorEnrolled, ...
  std::string client_address{};  // who did it, as the request's client ("" for staff: see the admin's audit)
  static const models::ModelInfo<SecurityEvent>& meta();
};
std::vector<db::Migration> security_event_migrations();

struct MfaStatus {
  bool totp = false;
  std::int64_t recovery_codes_remaining = 0;
  std::vector<webauthn::Credential> passkeys{};
};

// Every second factor the user has: otp::methods, and "webauthn" for passkeys.
std::vector<std::string> second_factor_methods(db::Connection& conn, std::int64_t user_id);

struct TotpSetup {
  std::string secret;       // base32, as an app takes it typed
  std::string otpauth_uri;  // as django-otp's config_url
};

// What the second step is given: a code from the app, or a recovery code.
struct SecondFactor {
  enum class Kind { totp, recovery_code } kind = Kind::totp;
  std::string code;
};

class Mfa {
 public:
  // Wrong codes count in the accounts' mfa_throttle; the otpauth:// issuer is
  // their options' site_name. `accounts` must outlive this.
  explicit Mfa(Accounts& accounts);

  // ---- a logged-in user's factors ----
  // Throws what the database throws (callers answer with outcome_of).
  MfaStatus status(const User& user);
  // A new secret on an unconfirmed device (replacing an earlier unconfirmed
  // one); nullopt when a confirmed device exists (disable it first).
  std::optional<TotpSetup> setup_totp(const User& user);
  // The unconfirmed device's setup again (a page showing it after a wrong
  // code), or nullopt when there is none.
  std::optional<TotpSetup> pending_setup(const User& user);
  // Confirms the pending device with a code from the app: ok carries the
  // user; `codes` receives the 10 new recovery codes. field_errors (code)
  // for a wrong code; throttled as the second step.
  Outcome confirm_totp(const User& user, const std::string& code, const Client& client,
                       std::vector<std::string>& codes);
  // With the user's password (checked on the pool; wrong ones count in the
  // login throttle): removes the TOTP device and the recovery codes.
  // field_errors (password).
  void disable_totp(const User& user, std::string password, const Client& client, OutcomeDone done);
  // With the password: a new set of recovery codes (the old set dies) into
  // `codes` (which must live until `done`). field_errors (password), or
  // (code) when the user has no factor to recover.
  void renew_recovery_codes(const User& user, std::string password, const Client& client,
                            std::vector<std::string>& codes, OutcomeDone done);
  // Staff: removes every factor of the user (the next login asks for none,
  // or for enrolment when it is required) and emails the user, on `conn`
  // (in the caller's transaction). The caller then ends the user's sessions,
  // once committed (the session store may use another connection).
  void reset_factors(db::Connection& conn, const User& user);

  // ---- passkeys (WebAuthn) ----
  // Registration: creation options for the user, the challenge kept in
  // `session` (the caller saves it); nullopt when GATEHOUSE_SITE_URL names
  // no relying party.
  std::optional<nlohmann::json> begin_registration(const User& user, sessions::SessionRecord& session);
  // Checks the browser's answer against the session's challenge (used up
  // either way) and stores the passkey; ok carries the user, `added` the row.
  // field_errors (credential, name) for anything refused.
  Outcome finish_registration(const User& user, sessions::SessionRecord& session, const nlohmann::json& credential,
                              const std::string& name, const Client& client, webauthn::Credential& added);
  // Renames one of the user's passkeys (false: not theirs). Names are cut to
  // 64 characters; one that is empty or not UTF-8 becomes "Passkey".
  bool rename_passkey(const User& user, std::int64_t id, const std::string& name);
  // Removes one of the user's passkeys; when it is their last factor, only
  // with the right password (field_errors password), else `password` is
  // not needed. bad_credentials: no such passkey of theirs.
  void remove_passkey(const User& user, std::int64_t id, std::string password, const Client& client, OutcomeDone done);
  // Authentication: request options for the session's pending login (its
  // user's passkeys), or, without one, for a passkey alone (the
  // authenticator offers its discoverable credentials; user verification
  // required). The challenge is kept in `session`.
  std::optional<nlohmann::json> begin_authentication(sessions::SessionRecord& session);
  // Completes the pending login with a passkey, or logs in with a passkey
  // alone. bad_credentials for every refusal; throttled.
  Outcome finish_authentication(sessions::SessionRecord& session, const nlohmann::json& credential, const Client& client);
  // The relying party, from the accounts' site_url (nullopt: none, passkeys are off).
  const std::optional<webauthn::RelyingParty>& relying_party() const noexcept { return rp_; }
  // For a server that learns its URL once it listens; call before serving.
  void set_relying_party(std::optional<webauthn::RelyingParty> rp) { rp_ = std::move(rp); }

  // ---- the login's second step ----
  // Completes a pending login (see above). bad_credentials: no pending login,
  // expired, or a wrong code (one answer for all); throttled.
  Outcome complete_login(sessions::SessionRecord& session, const SecondFactor& factor, const Client& client);
  // Enrolment a pending session must do first (GATEHOUSE_MFA_REQUIRED):
  // confirm_totp for its user, then the login completes; `codes` as there.
  Outcome complete_enrolment(sessions::SessionRecord& session, const std::string& code, const Client& client,
                             std::vector<std::string>& codes);
  // The pending session's user, when the session waits for a second factor
  // (or for enrolment) that has not expired.
  std::optional<User> pending_user(const sessions::SessionRecord& session);
  static bool awaiting_enrolment(const sessions::SessionRecord& session);

 private:
  Outcome finish_pending(sessions::SessionRecord& session, User user, const Client& client);
  // The event row and the email to the user (through the outbox), on `conn`.
  void notify(db::Connection& conn, const User& user, const char* event, const std::string& address = {});

  std::optional<std::string> take_challenge(sessions::SessionRecord& session, const std::string& purpose);
  void keep_challenge(sessions::SessionRecord& session, const std::string& purpose, const std::string& challenge);
  Outcome passkey_alone(sessions::SessionRecord& session, const webauthn::Credential& passkey,
                        const webauthn::Asserted& asserted, const Client& client);

  Accounts& accounts_;
  LoginThrottle& throttle_;
  std::optional<webauthn::RelyingParty> rp_;
};

}  // namespace gatehouse::auth
