// The JSON API of DESIGN.md: signup, login, logout, me, password change, and
// the user's own sessions. Internal to the app layer.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>
#include <string>

#include "gatehouse/app/server.h"
#include "gatehouse/auth/reset_codes.h"
#include "gatehouse/auth/throttle.h"
#include "gatehouse/http/router.h"
#include "gatehouse/passwords/hash_pool.h"
#include "gatehouse/sessions/store.h"

namespace gatehouse::app {

struct ApiContext {
  Config config;
  db::Database* db = nullptr;
  sessions::SessionStore* store = nullptr;
  passwords::HashPool* pool = nullptr;
  auth::LoginThrottle* throttle = nullptr;
  http::Metrics* metrics = nullptr;
  auth::ResetCodes* codes = nullptr;             // one-time recovery codes
  auth::LoginThrottle* forgot_throttle = nullptr;  // POST /api/password/forgot, per address and per client
  auth::LoginThrottle* reset_throttle = nullptr;   // POST /api/password/reset and the reset pages
};

// Loads the session named by the sessionid cookie and saves it (setting or
// deleting the cookie) when the handler changed it.
http::Middleware session_middleware(std::shared_ptr<ApiContext> ctx);
void add_api_routes(http::Router& router, std::shared_ptr<ApiContext> ctx);
// The request's logged-in user, loaded once per request; nullopt when anonymous.
std::optional<auth::User> request_user(const http::Request& request, ApiContext& ctx);
// The key of the request's session ("" when it has none).
std::string current_session_key(const http::Request& request);

// What the JSON API and the HTML pages share. Callbacks run on a hash pool
// thread, or at once when no hashing is needed; those that hash throw
// passwords::PoolFull when the pool's queue is full.
using FieldErrors = std::map<std::string, std::vector<std::string>>;

struct LoginOutcome {
  enum class Kind { ok, invalid, throttled, busy } kind;
  std::chrono::seconds retry_after{0};
  std::optional<auth::User> user;
};
// Checks credentials under the throttle (the same work for unknown users),
// sends the auth signals, counts the metrics, and on success logs the
// request's session in with a new key. Never throws PoolFull: that is `busy`.
void attempt_login(std::shared_ptr<ApiContext> ctx, http::RequestPtr req, std::string identifier, std::string password,
                   std::function<void(LoginOutcome)> done);
// Logs the request's session in as `user` (rotating the key).
void log_in(ApiContext& ctx, db::Connection& c, const http::Request& req, auth::User& user);
void log_out(ApiContext& ctx, const http::Request& req);
// Normalises into `user` and validates; errors keyed username, email, password.
FieldErrors signup_errors(ApiContext& ctx, auth::User& user, const std::string& username, const std::string& email,
                          const std::string& password);
// Hashes on the pool and creates the user: done(user, {}) or done(nullopt, errors).
void create_user(std::shared_ptr<ApiContext> ctx, auth::User user, std::string password,
                 std::function<void(std::optional<auth::User>, FieldErrors)> done);
// Validates the new password, checks the old one, saves, ends every other
// session of the user and keeps this one (update_session_auth_hash).
// Errors keyed old_password, new_password; none means done.
void change_password(std::shared_ptr<ApiContext> ctx, http::RequestPtr req, auth::User user, std::string old_password,
                     std::string new_password, std::function<void(FieldErrors)> done);
std::vector<std::string> password_problems(const std::string& password, const auth::User& user);

// Session values for the pages (the reset flow keeps its token there, not in the URL).
std::optional<std::string> session_value(const http::Request& request, const std::string& key);
// Sets a value, starting an anonymous session if the request has none.
void set_session_value(ApiContext& ctx, const http::Request& request, const std::string& key, std::string value);
void erase_session_value(const http::Request& request, const std::string& key);
// Sets the password (hashing on the pool), ends every session of the user,
// sends user_password_reset; done(true) on success. Throws PoolFull.
void reset_password(std::shared_ptr<ApiContext> ctx, http::RequestPtr req, auth::User user, std::string new_password,
                    std::function<void(bool)> done);
auth::Client client_of(const http::Request& request);

}  // namespace gatehouse::app
