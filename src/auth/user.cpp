#include "gatehouse/auth/user.h"

#include "gatehouse/auth/models.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::auth {

EncodedPassword EncodedPassword::hash(std::string_view raw, const passwords::HasherRegistry& hashers) {
  return EncodedPassword(hashers.make_password(raw));
}

EncodedPassword EncodedPassword::unusable() { return EncodedPassword(passwords::make_unusable_password()); }

EncodedPassword EncodedPassword::from_hash(std::string_view encoded, const passwords::HasherRegistry& hashers) {
  if (!encoded.empty() && !passwords::is_password_usable(encoded)) return EncodedPassword(std::string(encoded));
  const passwords::Hasher* h = hashers.identify(encoded);
  if (h == nullptr || !h->is_well_formed(encoded))
    throw std::invalid_argument("not a password hash a registered hasher recognises (plaintext is refused)");
  return EncodedPassword(std::string(encoded));
}

std::string User::get_full_name() const {
  std::string full = first_name + " " + last_name;
  const auto b = full.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return full.substr(b, full.find_last_not_of(' ') - b + 1);
}

void User::set_password(std::string_view raw, const passwords::HasherRegistry& hashers) {
  password_ = EncodedPassword::hash(raw, hashers);
}

bool User::check_password(std::string_view raw, db::Connection* save_upgrade, const passwords::HasherRegistry& hashers) {
  return hashers.check_password(raw, password_.encoded(), [&](std::string_view correct) {
    // Django's setter: re-hash with the preferred hasher and save only that field.
    set_password(correct, hashers);
    if (save_upgrade != nullptr && id != 0) models::Manager<User>(*save_upgrade).save(*this, {.update_fields = {"password"}});
  });
}

const models::ModelInfo<User>& User::meta() {
  static const models::ModelInfo<User> info = models::ModelInfo<User>("auth", "user", "auth_user")
                                                  .primary_key("id", &User::id)
                                                  .field("password", &User::password_, {.max_length = 128})
                                                  .field("last_login", &User::last_login, {.blank = true})
                                                  .field("is_superuser", &User::is_superuser)
                                                  .field("username", &User::username, {.unique = true, .max_length = 150})
                                                  .field("first_name", &User::first_name, {.blank = true, .max_length = 150})
                                                  .field("last_name", &User::last_name, {.blank = true, .max_length = 150})
                                                  .field("email", &User::email, {.blank = true, .max_length = 254})
                                                  .field("is_staff", &User::is_staff)
                                                  .field("is_active", &User::is_active)
                                                  .field("date_joined", &User::date_joined);
  return info;
}

std::size_t User::email_user(mail::EmailBackend& backend, const std::string& subject, const std::string& message,
                             const std::string& from_email) const {
  if (email.empty()) throw std::invalid_argument("user " + username + " has no email address");
  return mail::send_mail(backend, subject, message, from_email, {email});
}

void AnonymousUser::save() const {
  throw NotImplementedError("Gatehouse doesn't provide a DB representation for AnonymousUser.");
}
void AnonymousUser::remove() const {
  throw NotImplementedError("Gatehouse doesn't provide a DB representation for AnonymousUser.");
}
void AnonymousUser::set_password(std::string_view) const {
  throw NotImplementedError("AnonymousUser has no password.");
}
void AnonymousUser::check_password(std::string_view) const {
  throw NotImplementedError("AnonymousUser has no password.");
}

}  // namespace gatehouse::auth
