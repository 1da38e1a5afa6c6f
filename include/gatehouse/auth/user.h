// User and AnonymousUser (django.contrib.auth.models), stored in Django's
// auth_user table.
//
// A User's password is an EncodedPassword, which can only come from a hasher
// (set_password), from Django's unusable marker, from a stored hash that a
// registered hasher recognises, or from the database: storing plaintext is
// impossible by construction (Django's User.objects.create(password=...)
// silently stores it).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gatehouse/db/connection.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/models/model.h"
#include "gatehouse/passwords/registry.h"

namespace gatehouse::auth {

class EncodedPassword {
 public:
  EncodedPassword() = default;  // no password: nothing matches it

  // Hashes `raw` with the registry's preferred hasher.
  static EncodedPassword hash(std::string_view raw,
                              const passwords::HasherRegistry& hashers = passwords::default_hashers());
  // Django's unusable marker ("!" + 40 random characters).
  static EncodedPassword unusable();
  // A hash made elsewhere (imports, fixtures). Throws std::invalid_argument
  // unless a registered hasher recognises it as well formed, or it is the
  // unusable marker: a plaintext password is refused.
  static EncodedPassword from_hash(std::string_view encoded,
                                   const passwords::HasherRegistry& hashers = passwords::default_hashers());

  const std::string& encoded() const noexcept { return encoded_; }
  bool usable() const noexcept { return !encoded_.empty() && passwords::is_password_usable(encoded_); }
  friend bool operator==(const EncodedPassword&, const EncodedPassword&) = default;

 private:
  friend struct models::FieldTraits<EncodedPassword>;
  explicit EncodedPassword(std::string encoded) : encoded_(std::move(encoded)) {}
  std::string encoded_;
};

class User {
 public:
  std::int64_t id = 0;  // 0: not saved yet
  std::optional<models::Timestamp> last_login{};
  bool is_superuser = false;
  std::string username{};    // 150 characters: letters, digits and @.+-_
  std::string first_name{};  // 150
  std::string last_name{};   // 150
  std::string email{};       // 254
  bool is_staff = false;
  bool is_active = true;
  models::Timestamp date_joined = models::Timestamp::now();

  const std::string& get_username() const noexcept { return username; }
  // "first last", trimmed.
  std::string get_full_name() const;
  const std::string& get_short_name() const noexcept { return first_name; }
  static constexpr bool is_authenticated() noexcept { return true; }
  static constexpr bool is_anonymous() noexcept { return false; }

  const EncodedPassword& password() const noexcept { return password_; }
  // Hashes `raw` with the preferred hasher. Does not save (as Django).
  void set_password(std::string_view raw, const passwords::HasherRegistry& hashers = passwords::default_hashers());
  void set_password(EncodedPassword encoded) noexcept { password_ = std::move(encoded); }
  void set_unusable_password() { password_ = EncodedPassword::unusable(); }
  bool has_usable_password() const noexcept { return password_.usable(); }

  // Whether `raw` is this user's password. With a connection, a correct
  // password stored by an older algorithm or weaker parameters is re-hashed
  // with the preferred hasher and saved (update_fields = password), as Django.
  bool check_password(std::string_view raw, db::Connection* save_upgrade = nullptr,
                      const passwords::HasherRegistry& hashers = passwords::default_hashers());

  // Sends an email to this user (Django's email_user); returns how many were sent.
  std::size_t email_user(mail::EmailBackend& backend, const std::string& subject, const std::string& message,
                         const std::string& from_email) const;

  static const models::ModelInfo<User>& meta();

 private:
  EncodedPassword password_{};
};

// Thrown where an AnonymousUser is asked to be stored.
class NotImplementedError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// The user of a request that is not logged in (Django's AnonymousUser).
class AnonymousUser {
 public:
  std::optional<std::int64_t> id() const noexcept { return std::nullopt; }
  const std::string& get_username() const noexcept { return username_; }
  static constexpr bool is_active() noexcept { return false; }
  static constexpr bool is_staff() noexcept { return false; }
  static constexpr bool is_superuser() noexcept { return false; }
  static constexpr bool is_authenticated() noexcept { return false; }
  static constexpr bool is_anonymous() noexcept { return true; }
  static constexpr bool has_perm(std::string_view) noexcept { return false; }
  static constexpr bool has_module_perms(std::string_view) noexcept { return false; }
  [[noreturn]] void save() const;
  [[noreturn]] void remove() const;
  [[noreturn]] void set_password(std::string_view) const;
  [[noreturn]] void check_password(std::string_view) const;

 private:
  std::string username_;
};

}  // namespace gatehouse::auth

namespace gatehouse::models {
template <>
struct FieldTraits<auth::EncodedPassword> {
  static constexpr bool nullable = false;
  static std::string sql_type(db::Engine, const FieldOptions&) { return "varchar(128)"; }
  static db::Value to_value(const auth::EncodedPassword& v, db::Engine) { return db::Value(v.encoded()); }
  static auth::EncodedPassword from_value(const db::Value& v) { return auth::EncodedPassword(v.as_text()); }
};
}  // namespace gatehouse::models
