// Authentication over a session (django.contrib.auth's authenticate, login,
// logout, get_user) and the auth signals.
//
// Security decisions made here:
//   - an unknown username costs the same hashing work as a wrong password
//     (the password is hashed once anyway), and every failure is the same
//     nullopt, so neither timing nor answers reveal whether an account exists;
//   - inactive users cannot log in;
//   - login rotates the session key (no fixation); logout flushes the session;
//   - the session keeps the session auth hash (an HMAC of the password hash),
//     so changing the password ends every other session of the user;
//   - user_login_failed never carries the password (it is replaced by "********").
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/auth/user.h"
#include "gatehouse/db/database.h"
#include "gatehouse/sessions/store.h"
#include "gatehouse/signals/signal.h"

namespace gatehouse::auth {

inline constexpr const char* kSessionUserId = "_auth_user_id";
inline constexpr const char* kSessionBackend = "_auth_user_backend";
inline constexpr const char* kSessionHash = "_auth_user_hash";

struct Client {
  std::string address;
  std::string user_agent;
};

// Django's get_session_auth_hash: hex HMAC-SHA256 of the password hash.
std::string session_auth_hash(const User& user, const std::string& secret_key);

class AuthBackend {
 public:
  virtual ~AuthBackend() = default;
  virtual std::string name() const = 0;  // kept in the session
  // The user, if `identifier` and `password` are right and the user may log in.
  virtual std::optional<User> authenticate(db::Connection& c, const std::string& identifier, const std::string& password) = 0;
};

// Django's ModelBackend: by username.
class ModelBackend final : public AuthBackend {
 public:
  std::string name() const override { return "gatehouse.auth.ModelBackend"; }
  std::optional<User> authenticate(db::Connection& c, const std::string& identifier, const std::string& password) override;
};

// The second example: by email address (case-insensitive); only an address
// that belongs to exactly one user can log in.
class EmailBackend final : public AuthBackend {
 public:
  std::string name() const override { return "gatehouse.auth.EmailBackend"; }
  std::optional<User> authenticate(db::Connection& c, const std::string& identifier, const std::string& password) override;
};

using Backends = std::vector<std::shared_ptr<AuthBackend>>;
// ModelBackend, then EmailBackend.
Backends default_backends();

struct LoginEvent : models::Event {
  const User* user = nullptr;
  const Client* client = nullptr;
  db::Connection* connection = nullptr;
};
struct LoginFailedEvent : models::Event {
  std::map<std::string, std::string> credentials;  // password replaced by "********"
  const Client* client = nullptr;
};

// sender: Sender::of<User>()
extern signals::Signal<void(const LoginEvent&)> user_logged_in;
extern signals::Signal<void(const LoginEvent&)> user_logged_out;
extern signals::Signal<void(const LoginFailedEvent&)> user_login_failed;

// Tries each backend; on failure sends user_login_failed. The backend that
// succeeded is written to `backend_name`.
std::optional<User> authenticate(db::Connection& c, const Backends& backends, const std::string& identifier,
                                 const std::string& password, const Client& client, std::string* backend_name = nullptr);

// Logs `user` in on `session` (which may be fresh): a new key (the old
// session is removed from the store), the user id, backend and auth hash,
// then user_logged_in (whose built-in receiver saves last_login).
void login(db::Connection& c, sessions::SessionStore& store, sessions::SessionRecord& session, User& user,
           const std::string& backend_name, const std::string& secret_key, const Client& client);
// Sends user_logged_out, then removes the session.
void logout(db::Connection& c, sessions::SessionStore& store, const sessions::SessionRecord& session,
            const std::optional<User>& user, const Client& client);
// The session's user, if the session is logged in, the user exists and is
// active, and the auth hash still matches the password (else nullopt).
std::optional<User> get_user(db::Connection& c, const sessions::SessionRecord& session, const std::string& secret_key);
// After a password change: keep this session logged in with the new hash
// (other sessions of the user end, as their hash no longer matches).
void update_session_auth_hash(sessions::SessionRecord& session, const User& user, const std::string& secret_key);

// Connects the built-in update_last_login receiver (idempotent).
void connect_update_last_login();

}  // namespace gatehouse::auth
