// Passkeys in auth::Mfa: registration, naming and removal, and
// authentication as the second step or alone (auth/webauthn.h checks the
// ceremonies; this file keeps the challenges and the rows).
#include <nlohmann/json.hpp>

#include <unistr.h>

#include <algorithm>

#include "gatehouse/auth/login.h"
#include "gatehouse/auth/mfa.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::auth {

namespace {

const std::string kRefusedPasskey = "The passkey could not be registered. Try again.";
constexpr std::chrono::seconds kChallengeLifetime{300};

// A passkey's name as shown: at most 64 characters (not bytes: a cut never
// splits a UTF-8 sequence), `fallback` when empty or not UTF-8.
std::string passkey_name(const std::string& name, const char* fallback = "Passkey") {
  if (name.empty() || u8_check(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()) != nullptr) return fallback;
  std::size_t i = 0;
  for (std::size_t seen = 0; i < name.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0u) == 0x80u) continue;  // a continuation byte
    if (seen++ == 64) break;
  }
  return name.substr(0, i);
}

std::int64_t unix_seconds(const core::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

std::vector<webauthn::Credential> passkeys_of(db::Connection& conn, std::int64_t user_id) {
  return models::Manager<webauthn::Credential>(conn).filter({models::eq("user_id", user_id)}).order_by("id").all();
}

std::vector<std::string> ids_of(const std::vector<webauthn::Credential>& passkeys) {
  std::vector<std::string> out;
  for (const auto& p : passkeys) out.push_back(p.credential_id);
  return out;
}

}  // namespace

std::vector<std::string> second_factor_methods(db::Connection& conn, std::int64_t user_id) {
  std::vector<std::string> out = otp::methods(conn, user_id);
  if (models::Manager<webauthn::Credential>(conn).exists({models::eq("user_id", user_id)})) out.insert(out.begin(), "webauthn");
  return out;
}

// ---- challenges: one at a time per session, single use, expiring ----------------------------

void Mfa::keep_challenge(sessions::SessionRecord& session, const std::string& purpose, const std::string& challenge) {
  session.data[kWebauthnChallenge] =
      purpose + " " + challenge + " " +
      std::to_string(unix_seconds(*accounts_.options().clock) + kChallengeLifetime.count());
}

std::optional<std::string> Mfa::take_challenge(sessions::SessionRecord& session, const std::string& purpose) {
  const auto it = session.data.find(kWebauthnChallenge);
  if (it == session.data.end()) return std::nullopt;
  const std::string kept = it->second;
  session.data.erase(it);  // used up, whatever the answer
  const auto a = kept.find(' '), b = kept.rfind(' ');
  if (a == std::string::npos || b == a || kept.substr(0, a) != purpose) return std::nullopt;
  try {
    if (unix_seconds(*accounts_.options().clock) >= std::stoll(kept.substr(b + 1))) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  return kept.substr(a + 1, b - a - 1);
}

// ---- registration ----------------------------------------------------------------------------

std::optional<nlohmann::json> Mfa::begin_registration(const User& user, sessions::SessionRecord& session) {
  if (!rp_) return std::nullopt;
  std::vector<webauthn::Credential> existing;
  {
    auto c = accounts_.parts().db.acquire();
    existing = passkeys_of(*c, user.id);
  }
  const std::string challenge = webauthn::new_challenge();
  keep_challenge(session, "register", challenge);
  return webauthn::creation_options(*rp_, user.id, user.username, challenge, ids_of(existing));
}

Outcome Mfa::finish_registration(const User& user, sessions::SessionRecord& session, const nlohmann::json& credential,
                                 const std::string& name, const Client& client, webauthn::Credential& added) {
  const auto challenge = take_challenge(session, "register");
  if (!rp_ || !challenge) return Outcome::invalid({{"credential", {"Start the registration again."}}});
  const std::string shown = passkey_name(name);
  std::string why;
  const auto registered = webauthn::verify_registration(*rp_, *challenge, credential, &why);
  if (!registered) return Outcome::invalid({{"credential", {kRefusedPasskey + " (" + why + ")"}}});
  try {
    auto c = accounts_.parts().db.acquire();
    db::Transaction tx(*c);
    models::Manager<webauthn::Credential> passkeys(*c);
    if (passkeys.exists({models::eq("credential_id", registered->credential_id)}))
      return Outcome::invalid({{"credential", {"This passkey is registered already."}}});
    added = passkeys.create({.user_id = user.id,
                             .name = shown,
                             .credential_id = registered->credential_id,
                             .public_key = registered->public_key,
                             .sign_count = static_cast<std::int64_t>(registered->sign_count),
                             .user_verified = registered->user_verified,
                             .discoverable = true,
                             .aaguid = registered->aaguid,
                             .created = models::Timestamp::now(*accounts_.options().clock)});
    notify(*c, user, kPasskeyAdded, client.address);
    tx.commit();
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  return Outcome::success(user);
}

bool Mfa::rename_passkey(const User& user, std::int64_t id, const std::string& name) {
  auto c = accounts_.parts().db.acquire();
  const auto r = c->execute("UPDATE gatehouse_webauthn_credential SET name = ? WHERE id = ? AND user_id = ?",
                            {db::Value(passkey_name(name)), db::Value(id), db::Value(user.id)});
  return r.affected == 1;
}

void Mfa::remove_passkey(const User& user, std::int64_t id, std::string password, const Client& client,
                         OutcomeDone done) {
  bool mine = false, last = false;
  try {
    auto c = accounts_.parts().db.acquire();
    const auto passkeys = passkeys_of(*c, user.id);
    mine = std::any_of(passkeys.begin(), passkeys.end(), [id](const auto& p) { return p.id == id; });
    last = passkeys.size() == 1 && !otp::confirmed_totp(*c, user.id);
  } catch (...) {
    return done(outcome_of(std::current_exception()));
  }
  if (!mine) return done(Outcome::refused());
  auto remove = [this, user, id, last, address = client.address, done] {
    auto c = accounts_.parts().db.acquire();
    db::Transaction tx(*c);
    c->execute("DELETE FROM gatehouse_webauthn_credential WHERE id = ? AND user_id = ?", {db::Value(id), db::Value(user.id)});
    if (last) otp::remove_totp(*c, user.id, true);  // the recovery codes go with the last factor
    notify(*c, user, kPasskeyRemoved, address);
    tx.commit();
    done(Outcome::success(user));
  };
  if (last) return accounts_.check_password(user, std::move(password), client, done, std::move(remove));
  try {
    remove();
  } catch (...) {
    done(outcome_of(std::current_exception()));
  }
}

// ---- authentication ------------------------------------------------------------------------

std::optional<nlohmann::json> Mfa::begin_authentication(sessions::SessionRecord& session) {
  if (!rp_) return std::nullopt;
  const std::optional<User> pending = awaiting_enrolment(session) ? std::nullopt : pending_user(session);
  std::vector<std::string> allow;
  if (pending) {
    auto c = accounts_.parts().db.acquire();
    allow = ids_of(passkeys_of(*c, pending->id));
  }
  const std::string challenge = webauthn::new_challenge();
  keep_challenge(session, pending ? "second_factor" : "passkey", challenge);
  return webauthn::request_options(*rp_, challenge, allow, !pending);
}

Outcome Mfa::finish_authentication(sessions::SessionRecord& session, const nlohmann::json& credential,
                                   const Client& client) {
  try {
    const std::optional<User> pending = awaiting_enrolment(session) ? std::nullopt : pending_user(session);
    const auto challenge = take_challenge(session, pending ? "second_factor" : "passkey");
    const auto id = webauthn::assertion_credential_id(credential);
    if (!rp_ || !challenge || !id) return Outcome::refused();
    std::optional<webauthn::Credential> passkey;
    {
      auto c = accounts_.parts().db.acquire();
      passkey = models::Manager<webauthn::Credential>(*c).find({models::eq("credential_id", *id)});
    }
    const std::string account = passkey ? "#" + std::to_string(passkey->user_id) : std::string("#passkey");
    if (auto wait = throttle_.retry_after(account, client.address)) return Outcome::throttle(*wait);
    std::optional<webauthn::Asserted> asserted;
    if (passkey && (!pending || passkey->user_id == pending->id))
      asserted = webauthn::verify_assertion(*rp_, *challenge, credential, *passkey);
    // Alone, the user handle names the user (WebAuthn 7.2 step 6); after a password it may be left out.
    const bool handle_ok = !asserted || (pending && asserted->user_handle.empty()) ||
                           webauthn::user_of_handle(asserted->user_handle) == passkey->user_id;
    if (!asserted || !handle_ok || (!pending && !asserted->user_verified)) {
      throttle_.record_failure(account, client.address);
      LoginFailedEvent e;  // cleansed, as a wrong password's
      e.credentials = {{"username", pending ? pending->username : std::string()}, {"credential", "********"}};
      e.client = &client;
      user_login_failed.send_robust(signals::Sender::of<User>(), e);
      return Outcome::refused();
    }
    {
      // The counter moves only forward, once: of two servers (or two requests) given one assertion, one wins.
      auto c = accounts_.parts().db.acquire();
      const auto count = static_cast<std::int64_t>(asserted->sign_count);
      const auto moved = c->execute(
          "UPDATE gatehouse_webauthn_credential SET sign_count = ?, last_used = ? WHERE id = ? AND "
          "(sign_count < ? OR (sign_count = 0 AND ? = 0))",
          {db::Value(count),
           db::Value(models::format_timestamp(models::Timestamp::now(*accounts_.options().clock), c->engine())),
           db::Value(passkey->id), db::Value(count), db::Value(count)});
      if (moved.affected != 1) {
        throttle_.record_failure(account, client.address);
        return Outcome::refused();
      }
    }
    throttle_.reset(account, client.address);
    if (pending) return finish_pending(session, *pending, client);
    return passkey_alone(session, *passkey, *asserted, client);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
}

// A passkey with user verification is both factors: the login completes
// without a password, as far as the account allows (active, address).
Outcome Mfa::passkey_alone(sessions::SessionRecord& session, const webauthn::Credential& passkey,
                           const webauthn::Asserted&, const Client& client) {
  std::optional<User> user;
  bool address_ok = false;
  {
    auto c = accounts_.parts().db.acquire();
    user = models::Manager<User>(*c).find({models::eq("id", passkey.user_id)});
    address_ok = user && accounts_.address_ok(*c, *user);
    // The passkey was right: send the confirmation link again, as a right password does.
    if (user && user->is_active && !address_ok && !user->email.empty()) accounts_.send_confirmation(*c, *user);
  }
  if (!user || !user->is_active) return Outcome::refused();
  if (!address_ok) return Outcome{Outcome::Kind::unconfirmed, {}, {}, {}, user, {}};
  Outcome o = accounts_.log_in_user(*user, client, session);
  if (o.ok()) accounts_.mark_password_change(session, *user);
  return o;
}

}  // namespace gatehouse::auth
