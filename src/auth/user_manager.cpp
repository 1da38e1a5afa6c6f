#include "gatehouse/auth/user_manager.h"

#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include <cctype>
#include <cstdlib>
#include <memory>

namespace gatehouse::auth {

namespace {
std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string normalize_email(std::string_view email) {
  email = trim(email);
  const auto at = email.rfind('@');
  if (at == std::string_view::npos) return std::string(email);
  // Python's str.lower() on the domain; ASCII suffices for domains (IDN is punycode).
  return std::string(email.substr(0, at + 1)) + ascii_lower(std::string(email.substr(at + 1)));
}

std::string normalize_username(std::string_view username) {
  const auto* in = reinterpret_cast<const std::uint8_t*>(username.data());
  if (u8_check(in, username.size()) != nullptr) throw std::invalid_argument("username is not valid UTF-8");
  std::size_t len = 0;
  std::uint8_t* out = u8_normalize(UNINORM_NFKC, in, username.size(), nullptr, &len);
  if (out == nullptr) throw std::invalid_argument("username cannot be normalised");
  std::string result(reinterpret_cast<const char*>(out), len);
  std::free(out);
  return result;
}

std::optional<std::string> username_error(std::string_view username) {
  const std::string message =
      "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
  const auto* p = reinterpret_cast<const std::uint8_t*>(username.data());
  const auto* end = p + username.size();
  if (p == end || u8_check(p, username.size()) != nullptr) return message;
  std::size_t chars = 0;
  while (p < end) {
    ucs4_t uc = 0;
    const int n = u8_mbtouc(&uc, p, static_cast<std::size_t>(end - p));
    if (n <= 0) return message;
    p += n;
    ++chars;
    const bool ok = uc_is_alnum(uc) || uc == '_' || uc == '@' || uc == '.' || uc == '+' || uc == '-';
    if (!ok) return message;
  }
  if (chars > 150) return "Ensure this value has at most 150 characters (it has " + std::to_string(chars) + ").";
  return std::nullopt;
}

std::optional<std::string> email_error(std::string_view email) {
  const std::string message = "Enter a valid email address.";
  if (email.empty() || email.size() > 254) return message;
  const auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= email.size()) return message;
  const std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  for (char c : local)
    if (static_cast<unsigned char>(c) <= ' ' || c == '@' || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' ||
        c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\')
      return message;
  if (domain == "localhost") return std::nullopt;
  // labels of letters, digits and hyphens (UTF-8 letters allowed), a dot between, a 2+ letter TLD
  std::size_t start = 0;
  int labels = 0;
  while (start <= domain.size()) {
    const auto dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return message;
    for (char c : label)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || static_cast<unsigned char>(c) >= 0x80)) return message;
    ++labels;
    if (dot == std::string_view::npos) {
      if (label.size() < 2) return message;
      break;
    }
    start = dot + 1;
  }
  return labels >= 2 ? std::nullopt : std::optional<std::string>(message);
}

User UserManager::create_user(std::string_view username, std::string_view email, std::optional<std::string_view> password,
                              const UserFields& extra) {
  if (username.empty()) throw std::invalid_argument("The given username must be set");
  User user;
  user.username = normalize_username(username);
  if (auto error = username_error(user.username)) throw std::invalid_argument(*error);
  user.email = normalize_email(email);
  user.first_name = extra.first_name;
  user.last_name = extra.last_name;
  user.is_staff = extra.is_staff.value_or(false);
  user.is_superuser = extra.is_superuser.value_or(false);
  user.is_active = extra.is_active.value_or(true);
  if (password) {
    user.set_password(*password);
  } else {
    user.set_unusable_password();
  }
  const std::string name = user.username;
  try {
    return create(std::move(user));
  } catch (const db::DatabaseError& e) {
    if (e.kind() != db::ErrorKind::unique_violation) throw;
    throw UsernameTaken(name);  // username is auth_user's only UNIQUE column
  }
}

User UserManager::create_superuser(std::string_view username, std::string_view email,
                                   std::optional<std::string_view> password, UserFields extra) {
  if (extra.is_staff.has_value() && !*extra.is_staff) throw std::invalid_argument("Superuser must have is_staff=True.");
  if (extra.is_superuser.has_value() && !*extra.is_superuser)
    throw std::invalid_argument("Superuser must have is_superuser=True.");
  extra.is_staff = true;
  extra.is_superuser = true;
  return create_user(username, email, password, extra);
}

}  // namespace gatehouse::auth
