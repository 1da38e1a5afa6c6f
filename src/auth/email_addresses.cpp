#include "gatehouse/auth/email_addresses.h"

#include <charconv>

#include "gatehouse/crypto/signing.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"

namespace gatehouse::auth {

namespace {
constexpr const char* kSalt = "account";  // allauth's app_settings.SALT

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

// Registered once (thread-safe static): deleting a user deletes their addresses.
void registered() {
  static const bool once = (models::register_model(&EmailAddress::meta()), true);
  (void)once;
}

std::chrono::system_clock::time_point wall(const core::Clock& clock) {
  return std::chrono::system_clock::time_point(clock.now().time_since_epoch());
}
}  // namespace

const models::ModelInfo<EmailAddress>& EmailAddress::meta() {
  static const models::ModelInfo<EmailAddress> info =
      models::ModelInfo<EmailAddress>("account", "emailaddress", "account_emailaddress")
          .primary_key("id", &EmailAddress::id)
          .field("user_id", &EmailAddress::user_id, {.references = models::Reference{.table = "auth_user"}})
          .field("email", &EmailAddress::email, {.max_length = 254})
          .field("verified", &EmailAddress::verified)
          .field("\"primary\"", &EmailAddress::primary);  // allauth's column, a reserved word: quoted
  return info;
}

std::vector<db::Migration> email_address_migrations() {
  return {{"account", "0001_initial", [](db::Connection& c) {
             registered();
             if (!db::table_exists(c, "account_emailaddress")) models::create_table(c, EmailAddress::meta());
           }}};
}

EmailAddress address_of(db::Connection& conn, const User& user) {
  registered();
  models::Manager<EmailAddress> addresses(conn);
  for (auto& a : addresses.filter({models::eq("user_id", user.id)}).all())
    if (lower_ascii(a.email) == lower_ascii(user.email)) return a;
  return addresses.create({.user_id = user.id, .email = user.email, .verified = false, .primary = true});
}

bool email_verified(db::Connection& conn, const User& user) {
  if (user.email.empty()) return false;
  registered();
  for (const auto& a : models::Manager<EmailAddress>(conn).filter({models::eq("user_id", user.id)}).all())
    if (a.verified && lower_ascii(a.email) == lower_ascii(user.email)) return true;
  return false;
}

std::string confirmation_key(const EmailAddress& address, const std::string& secret_key, const core::Clock& clock) {
  return crypto::dumps(std::to_string(address.id), secret_key, kSalt, false, wall(clock));
}

std::optional<Confirmed> confirm_email(db::Connection& conn, const std::string& key, const std::string& secret_key,
                                       const core::Clock& clock) {
  std::string payload;
  try {
    payload = crypto::loads(key, secret_key, kSalt, kConfirmationLifetime, wall(clock));
  } catch (const crypto::BadSignature&) {  // tampered, another key, or expired
    return std::nullopt;
  }
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), id);
  if (ec != std::errc() || end != payload.data() + payload.size()) return std::nullopt;
  registered();
  auto address = models::Manager<EmailAddress>(conn).find({models::eq("id", id)});
  if (!address) return std::nullopt;
  auto user = models::Manager<User>(conn).find({models::eq("id", address->user_id)});
  if (!user || lower_ascii(user->email) != lower_ascii(address->email)) return std::nullopt;  // the address changed since
  if (address->verified) return Confirmed{user->id, true};
  address->verified = true;
  models::Manager<EmailAddress>(conn).save(*address, {.update_fields = {"verified"}});
  return Confirmed{user->id, false};
}

}  // namespace gatehouse::auth
