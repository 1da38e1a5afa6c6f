// Logging a session in and out (django.contrib.auth's login, logout,
// get_user) and the login signals; authenticate() and the backends are in
// auth/backends.h, the whole account operations in auth/accounts.h.
//
// Security decisions made here:
//   - login rotates the session key (no fixation); logout flushes the session;
//   - the session keeps the session auth hash (an HMAC of the password hash),
//     so changing the password ends every other session of the user;
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/auth/backends.h"
#include "gatehouse/auth/user.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/db/database.h"
#include "gatehouse/sessions/store.h"
#include "gatehouse/signals/signal.h"

namespace gatehouse::auth {

inline constexpr const char* kSessionUserId = "_auth_user_id";
inline constexpr const char* kSessionBackend = "_auth_user_backend";
inline constexpr const char* kSessionHash = "_auth_user_hash";

// Django's get_session_auth_hash: hex HMAC-SHA256 of the password hash.
std::string session_auth_hash(const User& user, const std::string& secret_key);

struct LoginEvent : models::Event {
  const User* user = nullptr;
  const Client* client = nullptr;
  db::Connection* connection = nullptr;
};

// sender: Sender::of<User>()
extern signals::Signal<void(const LoginEvent&)> user_logged_in;
extern signals::Signal<void(const LoginEvent&)> user_logged_out;

// Logs `user` in on `session` (which may be fresh): a new key (the old
// session is removed from the store), the user id, backend and auth hash, an
// expiry `age` from now, then saves it and sends
// user_logged_in (whose built-in receiver saves last_login). Holds no
// database connection while the store works; takes one for the signal.
void login(db::Database& db, sessions::SessionStore& store, sessions::SessionRecord& session, User& user,
           const std::string& backend_name, const std::string& secret_key, const Client& client,
           std::chrono::seconds age = std::chrono::seconds(1209600), const core::Clock& clock = core::system_clock());
// Sends user_logged_out, then removes the session.
void logout(db::Database& db, sessions::SessionStore& store, const sessions::SessionRecord& session,
            const std::optional<User>& user, const Client& client);
// The session's user, if the session is logged in, the user exists and is
// active, and the auth hash still matches the password (else nullopt).
std::optional<User> get_user(db::Connection& c, const sessions::SessionRecord& session, const std::string& secret_key);
// After a password change: keep this session logged in with the new hash
// (other sessions of the user end, as their hash no longer matches).
void update_session_auth_hash(sessions::SessionRecord& session, const User& user, const std::string& secret_key);

// The built-in update_last_login receiver (it saves last_login at each
// login) is connected by default, as in Django. This connects it again after
// user_logged_in.disconnect_uid("gatehouse.auth.update_last_login");
// connecting it twice connects it once.
void connect_update_last_login();

}  // namespace gatehouse::auth
