#include "gatehouse/auth/login.h"

#include "gatehouse/auth/user_manager.h"
#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/hmac.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/signals/receiver.h"

namespace gatehouse::auth {

signals::Signal<void(const LoginEvent&)> user_logged_in;
signals::Signal<void(const LoginEvent&)> user_logged_out;

namespace {

constexpr std::string_view kUpdateLastLoginUid = "gatehouse.auth.update_last_login";

void update_last_login(const LoginEvent& e) {
  if (e.user == nullptr || e.connection == nullptr) return;
  User u = *e.user;
  u.last_login = models::Timestamp::now();
  models::Manager<User>(*e.connection).save(u, {.update_fields = {"last_login"}});
}

// Connected by default, as Django's auth app does in ready(): linking login()
// links this file, so a program that logs users in has it.
// user_logged_in.disconnect_uid("gatehouse.auth.update_last_login") turns it off.
const signals::Receiver update_last_login_receiver{user_logged_in, update_last_login,
                                                   {.dispatch_uid = kUpdateLastLoginUid}};

}  // namespace

std::string session_auth_hash(const User& user, const std::string& secret_key) {
  return core::hex_encode(crypto::salted_hmac_sha256("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
                                                     user.password().encoded(), secret_key));
}

void login(db::Database& db, sessions::SessionStore& store, sessions::SessionRecord& session, User& user,
           const std::string& backend_name, const std::string& secret_key, const Client& client, std::chrono::seconds age,
           const core::Clock& clock) {
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
  session.created = session.last_seen = models::Timestamp::now(clock);
  session.expire = models::Timestamp{session.created.time + age};
  session.address = client.address;
  session.user_agent = client.user_agent;
  store.save(session);
  auto c = db.acquire();  // only now: the store may have needed a connection of its own
  LoginEvent e;
  e.user = &user;
  e.client = &client;
  e.connection = &*c;
  user_logged_in.send(signals::Sender::of<User>(), e);
}

void logout(db::Database& db, sessions::SessionStore& store, const sessions::SessionRecord& session,
            const std::optional<User>& user, const Client& client) {
  {
    auto c = db.acquire();
    LoginEvent e;
    e.user = user ? &*user : nullptr;
    e.client = &client;
    e.connection = &*c;
    user_logged_out.send_robust(signals::Sender::of<User>(), e);
  }
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

void connect_update_last_login() { user_logged_in.connect(update_last_login, {.dispatch_uid = kUpdateLastLoginUid}); }

}  // namespace gatehouse::auth
