#include "gatehouse/auth/login.h"

#include <unistr.h>

#include "gatehouse/auth/user_manager.h"
#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/hmac.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::auth {

signals::Signal<void(const LoginEvent&)> user_logged_in;
signals::Signal<void(const LoginEvent&)> user_logged_out;
signals::Signal<void(const LoginFailedEvent&)> user_login_failed;

namespace {
// Spends what a real check costs when there is no user to check against
// (Django: UserModel().set_password(password)).
void equalise_timing(const std::string& password) { (void)passwords::default_hashers().make_password(password); }

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}
}  // namespace

std::string session_auth_hash(const User& user, const std::string& secret_key) {
  return core::hex_encode(crypto::salted_hmac_sha256("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
                                                     user.password().encoded(), secret_key));
}

std::optional<User> ModelBackend::authenticate(db::Connection& c, const std::string& identifier, const std::string& password) {
  std::optional<User> user;
  try {
    user = models::Manager<User>(c).find({models::eq("username", normalize_username(identifier))});
  } catch (const std::invalid_argument&) {  // not UTF-8: no such user
  }
  if (!user) {
    equalise_timing(password);
    return std::nullopt;
  }
  if (!user->check_password(password, &c)) return std::nullopt;
  if (!user->is_active) return std::nullopt;  // user_can_authenticate
  return user;
}

std::optional<User> EmailBackend::authenticate(db::Connection& c, const std::string& identifier, const std::string& password) {
  if (u8_check(reinterpret_cast<const std::uint8_t*>(identifier.data()), identifier.size()) != nullptr) {
    equalise_timing(password);  // not UTF-8: no such address (and no database error)
    return std::nullopt;
  }
  const std::string email = ascii_lower(normalize_email(identifier));
  // Case-insensitive match on the address; an ambiguous address logs no one in.
  std::vector<User> matches;
  for (const auto& row : c.execute("SELECT id FROM auth_user WHERE lower(email) = ?", {email}).rows)
    matches.push_back(models::Manager<User>(c).get(row[0].as_int()));
  if (matches.size() != 1 || email.empty()) {
    equalise_timing(password);
    return std::nullopt;
  }
  User user = std::move(matches.front());
  if (!user.check_password(password, &c) || !user.is_active) return std::nullopt;
  return user;
}

Backends default_backends() { return {std::make_shared<ModelBackend>(), std::make_shared<EmailBackend>()}; }

std::optional<User> authenticate(db::Connection& c, const Backends& backends, const std::string& identifier,
                                 const std::string& password, const Client& client, std::string* backend_name) {
  for (const auto& b : backends) {
    if (auto user = b->authenticate(c, identifier, password)) {
      if (backend_name != nullptr) *backend_name = b->name();
      return user;
    }
  }
  LoginFailedEvent e;
  e.credentials = {{"username", identifier}, {"password", "********"}};
  e.client = &client;
  user_login_failed.send_robust(signals::Sender::of<User>(), e);
  return std::nullopt;
}

void login(db::Connection& c, sessions::SessionStore& store, sessions::SessionRecord& session, User& user,
           const std::string& backend_name, const std::string& secret_key, const Client& client) {
  const std::string hash = session_auth_hash(user, secret_key);
  const auto existing = session.data.find(kSessionUserId);
  const bool other_user = existing != session.data.end() && existing->second != std::to_string(user.id);
  if (other_user) session.data.clear();  // Django flushes a session that belonged to someone else
  if (!session.key.empty()) store.remove(session.key);
  session.key = sessions::SessionStore::new_key();  // rotate: a fixated key is worthless
  session.data[kSessionUserId] = std::to_string(user.id);
  session.data[kSessionBackend] = backend_name;
  session.data[kSessionHash] = hash;
  session.user_id = user.id;
  session.created = session.last_seen = models::Timestamp::now();
  session.address = client.address;
  session.user_agent = client.user_agent;
  store.save(session);
  LoginEvent e;
  e.user = &user;
  e.client = &client;
  e.connection = &c;
  user_logged_in.send(signals::Sender::of<User>(), e);
}

void logout(db::Connection& c, sessions::SessionStore& store, const sessions::SessionRecord& session,
            const std::optional<User>& user, const Client& client) {
  LoginEvent e;
  e.user = user ? &*user : nullptr;
  e.client = &client;
  e.connection = &c;
  user_logged_out.send_robust(signals::Sender::of<User>(), e);
  if (!session.key.empty()) store.remove(session.key);
}

std::optional<User> get_user(db::Connection& c, const sessions::SessionRecord& session, const std::string& secret_key) {
  const auto id = session.data.find(kSessionUserId);
  const auto hash = session.data.find(kSessionHash);
  if (id == session.data.end() || hash == session.data.end()) return std::nullopt;
  std::int64_t user_id = 0;
  try {
    user_id = std::stoll(id->second);
  } catch (...) {
    return std::nullopt;
  }
  auto user = models::Manager<User>(c).find({models::eq("id", user_id)});
  if (!user || !user->is_active) return std::nullopt;
  if (!core::constant_time_equal(hash->second, session_auth_hash(*user, secret_key))) return std::nullopt;
  return user;
}

void update_session_auth_hash(sessions::SessionRecord& session, const User& user, const std::string& secret_key) {
  session.data[kSessionHash] = session_auth_hash(user, secret_key);
}

void connect_update_last_login() {
  static const signals::Connection receiver = user_logged_in.connect(
      [](const LoginEvent& e) {
        if (e.user == nullptr || e.connection == nullptr) return;
        User u = *e.user;
        u.last_login = models::Timestamp::now();
        models::Manager<User>(*e.connection).save(u, {.update_fields = {"last_login"}});
      },
      {.dispatch_uid = "gatehouse.auth.update_last_login"});
}

}  // namespace gatehouse::auth
