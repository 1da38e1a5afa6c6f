// Authentication backends (django.contrib.auth.backends) and authenticate().
//
// A backend checks credentials asynchronously: it looks the account up with
// one short query and hands the password check to the hash pool, so a burst
// of logins never stalls a server thread. ModelBackend (by username) and
// EmailBackend (by address) are two implementations; a library user's own
// backend implements AuthBackend the same way and goes into the Backends list
// that authenticate() and auth::Accounts try in order.
//
// Security decisions made here, once for every backend:
//   - an account that does not exist costs the same hashing work as a wrong
//     password (check_candidate hashes against a dummy hash of the preferred
//     hasher), and every failure is the same empty answer;
//   - inactive users cannot authenticate (Django's user_can_authenticate);
//   - user_login_failed is sent once per failed authenticate(), with the
//     password replaced by "********" (Django's cleanse_setting);
//   - a failure of the database or the pool is an error, never "wrong
//     password": it is not counted as a failed login.
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/auth/user.h"
#include "gatehouse/db/database.h"
#include "gatehouse/models/signals.h"
#include "gatehouse/passwords/hash_pool.h"
#include "gatehouse/signals/signal.h"

namespace gatehouse::auth {

struct Credentials {
  std::string identifier;  // a username, an email address: what the backend reads
  std::string password;
  // Who may log in this way (the admin: active staff only). Empty: every user
  // the backends accept. A refused user gets bad_credentials, the one answer
  // for every cause, and no failure is counted: the password was right.
  std::function<bool(const User&)> allowed{};
};

// Who is asking (for the signals, the throttle and the session list).
struct Client {
  std::string address;
  std::string user_agent;
};

// Where backends find users and hash passwords. Both must outlive every call.
struct BackendContext {
  db::Database& db;
  passwords::HashPool& pool;
};

// A backend's answer, given exactly once from any thread: the user, or
// nullopt (not this backend's account, or a wrong password), or an error (a
// dependency failed; the user is then nullopt).
using BackendDone = std::function<void(std::optional<User>, std::exception_ptr)>;

class AuthBackend {
 public:
  virtual ~AuthBackend() = default;
  // Recorded in the session as _auth_user_backend. A backend that behaves as
  // one of Django's answers with Django's dotted path, so a Django project
  // sharing the database accepts the session.
  virtual std::string name() const = 0;
  // Checks the credentials, hashing on ctx.pool; `done` runs once. May throw
  // passwords::PoolFull when the pool's queue is full (`done` then never runs).
  virtual void authenticate(const BackendContext& ctx, const Credentials& credentials, BackendDone done) = 0;
};

// Django's ModelBackend: by username (NFKC-normalised, as Django's).
class ModelBackend final : public AuthBackend {
 public:
  std::string name() const override { return "django.contrib.auth.backends.ModelBackend"; }
  void authenticate(const BackendContext& ctx, const Credentials& credentials, BackendDone done) override;
};

// By email address, case-insensitively; only an address that belongs to
// exactly one user can log in. Django has no such backend, so its sessions
// are Gatehouse's alone.
class EmailBackend final : public AuthBackend {
 public:
  std::string name() const override { return "gatehouse.auth.backends.EmailBackend"; }
  void authenticate(const BackendContext& ctx, const Credentials& credentials, BackendDone done) override;
};

using Backends = std::vector<std::shared_ptr<AuthBackend>>;
// ModelBackend, then EmailBackend.
Backends default_backends();
// Names as a configuration gives them: "model", "email", or the name() of a
// built-in. Throws std::invalid_argument for another.
std::shared_ptr<AuthBackend> builtin_backend(const std::string& name);

// For backends over auth_user: checks `password` against `user` on the pool —
// or, when there is no user, against a dummy hash of the same cost, so an
// unknown account takes as long as a wrong password. Upgrades a correct
// password's hash to the preferred hasher, refuses inactive users, and calls
// `done`. Throws passwords::PoolFull.
void check_candidate(const BackendContext& ctx, std::optional<User> user, std::string password, BackendDone done);

// The answer of authenticate(): the user and the backend that accepted it;
// neither when every backend refused; `error` when a dependency failed.
struct Authenticated {
  std::optional<User> user;
  std::string backend;
  std::exception_ptr error;
};

struct LoginFailedEvent : models::Event {
  std::map<std::string, std::string> credentials;  // password replaced by "********"
  const Client* client = nullptr;
};
// sender: Sender::of<User>()
extern signals::Signal<void(const LoginFailedEvent&)> user_login_failed;

// Tries each backend in order until one accepts; when all refuse, sends
// user_login_failed (cleansed). `done` runs once, on a pool thread or at once;
// a full pool (passwords::PoolFull) or a failed dependency arrives as `error`.
void authenticate(const BackendContext& ctx, const Backends& backends, Credentials credentials, Client client,
                  std::function<void(Authenticated)> done);
// Blocking form for scripts and tests; never call it from a hash pool thread.
Authenticated authenticate_wait(const BackendContext& ctx, const Backends& backends, Credentials credentials,
                                Client client);

}  // namespace gatehouse::auth
