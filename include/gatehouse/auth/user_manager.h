// UserManager: creating users the way Django's UserManager does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gatehouse/auth/user.h"
#include "gatehouse/db/error.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::auth {

// Django's UserManager.normalize_email: the domain part lower-cased.
std::string normalize_email(std::string_view email);
// Django's AbstractBaseUser.normalize_username: Unicode NFKC. Throws
// std::invalid_argument for bytes that are not UTF-8.
std::string normalize_username(std::string_view username);
// Django's UnicodeUsernameValidator: letters, digits and @ . + - _ only, 1-150
// characters. Returns the error message, or nullopt when valid.
std::optional<std::string> username_error(std::string_view username);
// A pragmatic EmailValidator: one '@', a non-empty local part, a domain of
// dot-separated labels (or "localhost"), at most 254 characters.
std::optional<std::string> email_error(std::string_view email);

// Extra fields for create_user / create_superuser.
struct UserFields {
  std::string first_name{};
  std::string last_name{};
  std::optional<bool> is_staff{};
  std::optional<bool> is_superuser{};
  std::optional<bool> is_active{};
};

// A taken username, from create_user: Django's "A user with that username
// already exists." A db::DatabaseError of kind unique_violation, so code that
// catches those still does.
class UsernameTaken : public db::DatabaseError {
 public:
  explicit UsernameTaken(std::string username)
      : db::DatabaseError(db::ErrorKind::unique_violation, "A user with that username already exists."),
        username_(std::move(username)) {}
  const std::string& username() const noexcept { return username_; }

 private:
  std::string username_;
};

class UserManager : public models::Manager<User> {
 public:
  explicit UserManager(db::Connection& conn) : models::Manager<User>(conn) {}

  // Normalises username and email, validates the username, hashes the
  // password (none: an unusable password), and saves. Throws
  // std::invalid_argument for an invalid username, models::ValidationError
  // for values the columns cannot hold, UsernameTaken for a taken username.
  User create_user(std::string_view username, std::string_view email = {},
                   std::optional<std::string_view> password = std::nullopt, const UserFields& extra = {});
  // As create_user with is_staff and is_superuser; either explicitly false is
  // an error ("Superuser must have is_staff=True.").
  User create_superuser(std::string_view username, std::string_view email = {},
                        std::optional<std::string_view> password = std::nullopt, UserFields extra = {});

  User get_by_natural_key(std::string_view username) const { return get({models::eq("username", std::string(username))}); }
};

}  // namespace gatehouse::auth
