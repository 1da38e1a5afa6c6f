// The JSON API of DESIGN.md: signup, login, logout, me, password change, and
// the user's own sessions. Internal to the app layer.
#pragma once

#include <memory>
#include <string>

#include "gatehouse/app/server.h"
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
};

// Loads the session named by the sessionid cookie and saves it (setting or
// deleting the cookie) when the handler changed it.
http::Middleware session_middleware(std::shared_ptr<ApiContext> ctx);
void add_api_routes(http::Router& router, std::shared_ptr<ApiContext> ctx);
// The request's logged-in user, loaded once per request; nullopt when anonymous.
std::optional<auth::User> request_user(const http::Request& request, ApiContext& ctx);

}  // namespace gatehouse::app
