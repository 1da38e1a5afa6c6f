#include "gatehouse/auth/mfa.h"

#include <algorithm>

#include "gatehouse/auth/login.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"
#include "gatehouse/tasks/tasks.h"

namespace gatehouse::auth {

namespace {

const std::string kWrongCode = "The code is not valid. Enter the current code from your authenticator app.";
constexpr const char* kTotpDeviceName = "Authenticator app";

// The throttle's account for a user's second step: the id, which no username can be.
std::string throttle_account(std::int64_t user_id) { return "#" + std::to_string(user_id); }

// Python's urllib.parse.quote (safe "/"), which django-otp's config_url uses for the label and issuer.
std::string quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '.' || c == '-' || c == '~' || c == '/';
    if (safe) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// django-otp's TOTPDevice.config_url, with OTP_TOTP_ISSUER set.
std::string otpauth_uri(const otp::TotpDevice& d, const std::string& username, std::string issuer) {
  std::erase(issuer, ':');
  const std::string secret = core::base32_encode(*core::hex_decode(d.key), true);
  std::string label = issuer.empty() ? username : issuer + ":" + username;
  std::string uri = "otpauth://totp/" + quote(label) + "?secret=" + core::percent_encode(secret) +
                    "&algorithm=SHA1&digits=" + std::to_string(d.digits) + "&period=" + std::to_string(d.step);
  if (!issuer.empty()) uri += "&issuer=" + quote(issuer);
  return uri;
}

std::int64_t unix_seconds(const core::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

std::optional<std::int64_t> as_int(const std::map<std::string, std::string>& data, const char* key) {
  const auto it = data.find(key);
  if (it == data.end()) return std::nullopt;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

Mfa::Mfa(Accounts& accounts)
    : accounts_(accounts),
      throttle_(accounts.parts().mfa_throttle),
      rp_(webauthn::RelyingParty::from_site_url(accounts.options().site_url, accounts.options().site_name)) {}

MfaStatus Mfa::status(const User& user) {
  auto c = accounts_.parts().db.acquire();
  return {otp::confirmed_totp(*c, user.id).has_value(), otp::recovery_codes_left(*c, user.id),
          models::Manager<webauthn::Credential>(*c).filter({models::eq("user_id", user.id)}).order_by("id").all()};
}

std::optional<TotpSetup> Mfa::setup_totp(const User& user) {
  auto c = accounts_.parts().db.acquire();
  db::Transaction tx(*c);
  if (otp::confirmed_totp(*c, user.id)) return std::nullopt;
  models::Manager<otp::TotpDevice> devices(*c);
  for (auto& d : devices.filter({models::eq("user_id", user.id), models::eq("confirmed", false)}).all()) devices.remove(d);
  otp::TotpDevice d = devices.create(
      {.user_id = user.id, .name = kTotpDeviceName, .confirmed = false, .key = core::hex_encode(otp::new_totp_key())});
  tx.commit();
  return TotpSetup{core::base32_encode(*core::hex_decode(d.key)), otpauth_uri(d, user.username, accounts_.options().site_name)};
}

std::optional<TotpSetup> Mfa::pending_setup(const User& user) {
  auto c = accounts_.parts().db.acquire();
  const auto d = otp::pending_totp(*c, user.id);
  const auto key = d ? core::hex_decode(d->key) : std::nullopt;
  if (!key) return std::nullopt;
  return TotpSetup{core::base32_encode(*key), otpauth_uri(*d, user.username, accounts_.options().site_name)};
}

Outcome Mfa::confirm_totp(const User& user, const std::string& code, const Client& client,
                          std::vector<std::string>& codes) {
  try {
    const std::string account = throttle_account(user.id);
    if (auto wait = throttle_.retry_after(account, client.address)) return Outcome::throttle(*wait);
    auto c = accounts_.parts().db.acquire();
    const auto device = otp::pending_totp(*c, user.id);
    if (!device) return Outcome::invalid({{"code", {"Set up the authenticator app first."}}});
    const otp::Verification v = otp::verify_totp(*c, *device, code, *accounts_.options().clock);
    if (v.verdict == otp::Verdict::throttled) return Outcome::throttle(v.retry_after);
    if (v.verdict != otp::Verdict::accepted) {
      throttle_.record_failure(account, client.address);
      return Outcome::invalid({{"code", {kWrongCode}}});
    }
    db::Transaction tx(*c);
    c->execute("UPDATE otp_totp_totpdevice SET confirmed = ? WHERE id = ?", {db::Value(true), db::Value(device->id)});
    codes = otp::new_recovery_codes(*c, user.id, accounts_.options().secret_key);
    notify(*c, user, kFactorEnrolled, client.address);
    tx.commit();
    throttle_.reset(account, client.address);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  return Outcome::success(user);
}

void Mfa::disable_totp(const User& user, std::string password, const Client& client, OutcomeDone done) {
  accounts_.check_password(user, std::move(password), client, done, [this, user, address = client.address, done] {
    auto c = accounts_.parts().db.acquire();
    db::Transaction tx(*c);
    const bool had = otp::has_otp_device(*c, user.id);
    const bool passkeys = models::Manager<webauthn::Credential>(*c).exists({models::eq("user_id", user.id)});
    otp::remove_totp(*c, user.id, !passkeys);  // recovery codes stay while a passkey does
    if (had) notify(*c, user, kFactorDisabled, address);
    tx.commit();
    done(Outcome::success(user));
  });
}

void Mfa::renew_recovery_codes(const User& user, std::string password, const Client& client,
                               std::vector<std::string>& codes, OutcomeDone done) {
  accounts_.check_password(user, std::move(password), client, done, [this, user, address = client.address, &codes, done] {
    {
      auto c = accounts_.parts().db.acquire();
      const auto methods = second_factor_methods(*c, user.id);
      const bool factor = std::find_if(methods.begin(), methods.end(),
                                       [](const auto& m) { return m != "recovery_code"; }) != methods.end();
      if (factor) {
        db::Transaction tx(*c);
        codes = otp::new_recovery_codes(*c, user.id, accounts_.options().secret_key);
        notify(*c, user, kRecoveryCodesRenewed, address);
        tx.commit();
      }
      if (!factor) codes.clear();
    }  // answered with no connection or write lock held: the answer saves the session on another
    if (codes.empty()) return done(Outcome::invalid({{"code", {"Set up an authenticator app or a passkey before recovery codes."}}}));
    done(Outcome::success(user));
  });
}

void Mfa::reset_factors(db::Connection& conn, const User& user) {
  db::Transaction tx(conn);
  otp::remove_totp(conn, user.id, true);
  conn.execute("DELETE FROM gatehouse_webauthn_credential WHERE user_id = ?", {db::Value(user.id)});
  notify(conn, user, kFactorsReset);
  tx.commit();
}

// ---- the second step --------------------------------------------------------------------

std::optional<User> Mfa::pending_user(const sessions::SessionRecord& session) {
  const auto id = as_int(session.data, kPendingUser);
  const auto until = as_int(session.data, kPendingUntil);
  const auto hash = session.data.find(kPendingHash);
  if (!id || !until || hash == session.data.end()) return std::nullopt;
  if (unix_seconds(*accounts_.options().clock) >= *until) return std::nullopt;
  auto c = accounts_.parts().db.acquire();
  auto user = models::Manager<User>(*c).find({models::eq("id", *id)});
  // A password changed meanwhile (or the user deactivated) voids the first step.
  if (!user || !user->is_active || session_auth_hash(*user, accounts_.options().secret_key) != hash->second)
    return std::nullopt;
  return user;
}

bool Mfa::awaiting_enrolment(const sessions::SessionRecord& session) {
  const auto user = session.data.find(kPendingUser), enrol = session.data.find(kPendingEnrolment);
  return user != session.data.end() && enrol != session.data.end() && user->second == enrol->second;
}

Outcome Mfa::complete_login(sessions::SessionRecord& session, const SecondFactor& factor, const Client& client) {
  try {
    std::optional<User> user = pending_user(session);
    if (!user || awaiting_enrolment(session)) return Outcome::refused();
    const std::string account = throttle_account(user->id);
    if (auto wait = throttle_.retry_after(account, client.address)) return Outcome::throttle(*wait);
    const auto& options = accounts_.options();
    otp::Verification v;
    {
      auto c = accounts_.parts().db.acquire();
      if (factor.kind == SecondFactor::Kind::recovery_code) {
        v = otp::use_recovery_code(*c, user->id, factor.code, options.secret_key, *options.clock);
        if (v.verdict == otp::Verdict::accepted) notify(*c, *user, kRecoveryCodeUsed, client.address);
      } else if (auto device = otp::confirmed_totp(*c, user->id)) {
        v = otp::verify_totp(*c, *device, factor.code, *options.clock);
      }
    }
    if (v.verdict == otp::Verdict::throttled) return Outcome::throttle(v.retry_after);
    if (v.verdict != otp::Verdict::accepted) {
      throttle_.record_failure(account, client.address);
      LoginFailedEvent e;
      e.credentials = {{"username", user->username},
                       {factor.kind == SecondFactor::Kind::totp ? "code" : "recovery_code", "********"}};
      e.client = &client;
      user_login_failed.send_robust(signals::Sender::of<User>(), e);
      return Outcome::refused();
    }
    throttle_.reset(account, client.address);
    return finish_pending(session, std::move(*user), client);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
}

Outcome Mfa::complete_enrolment(sessions::SessionRecord& session, const std::string& code, const Client& client,
                                std::vector<std::string>& codes) {
  std::optional<User> user;
  try {
    if (awaiting_enrolment(session)) user = pending_user(session);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  if (!user) return Outcome::refused();
  try {
    auto c = accounts_.parts().db.acquire();
    if (!second_factor_methods(*c, user->id).empty()) return Outcome::refused();  // enrolment is for users without one
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  Outcome o = confirm_totp(*user, code, client, codes);
  if (!o.ok()) return o;
  return finish_pending(session, std::move(*user), client);
}

// The pending session logged in for real: a new key, user_logged_in, the
// password-change flag as a password-only login would have set it.
Outcome Mfa::finish_pending(sessions::SessionRecord& session, User user, const Client& client) {
  const std::string backend = session.data[kPendingBackend];
  for (const char* k : {kPendingUser, kPendingBackend, kPendingHash, kPendingUntil, kPendingEnrolment})
    session.data.erase(k);
  Outcome o = accounts_.log_in_user(user, client, session, backend);
  if (!o.ok()) return o;
  try {
    accounts_.mark_password_change(session, user);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  return o;
}

const models::ModelInfo<SecurityEvent>& SecurityEvent::meta() {
  static const models::ModelInfo<SecurityEvent> info =
      models::ModelInfo<SecurityEvent>("gatehouse_auth", "securityevent", "gatehouse_security_event")
          .primary_key("id", &SecurityEvent::id)
          .field("user_id", &SecurityEvent::user_id, {.references = models::Reference{.table = "auth_user"}, .db_index = true})
          .field("time", &SecurityEvent::time)
          .field("event", &SecurityEvent::event, {.max_length = 64})
          .field("client_address", &SecurityEvent::client_address, {.blank = true, .max_length = 64});
  return info;
}

std::vector<db::Migration> security_event_migrations() {
  return {{"gatehouse_auth", "0002_security_events", [](db::Connection& c) {
             models::register_model(&SecurityEvent::meta());  // a deleted user's events go with them
             if (!db::table_exists(c, SecurityEvent::meta().table())) models::create_table(c, SecurityEvent::meta());
           }}};
}

void Mfa::notify(db::Connection& conn, const User& user, const char* event, const std::string& address) {
  models::Manager<SecurityEvent>(conn).create({.user_id = user.id,
                                               .time = models::Timestamp::now(*accounts_.options().clock),
                                               .event = event,
                                               .client_address = address.substr(0, 64)});
  if (user.email.empty()) return;
  tasks::enqueue(conn, kSecurityNoticeJob,
                 "{\"user_id\":" + std::to_string(user.id) + ",\"event\":\"" + event + "\"}", {},
                 *accounts_.options().clock);
}

}  // namespace gatehouse::auth
