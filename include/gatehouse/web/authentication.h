// The request's user (Django's AuthenticationMiddleware and request.user):
// a User when the request's session is logged in and still valid (the user
// exists, is active, and the session auth hash matches the password), else
// an AnonymousUser. Loaded once per request, the first time it is asked for.
//
//   if (const auth::User* u = web::user(request)) ...;   // logged in
//   const web::RequestUser& who = web::request_user(request);
//
// REQUIRES: session_middleware before authentication_middleware.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "gatehouse/auth/user.h"
#include "gatehouse/db/database.h"
#include "gatehouse/http/handler.h"

namespace gatehouse::web {

using RequestUser = std::variant<auth::AnonymousUser, auth::User>;

// Hangs the (lazily loaded) user on each request; an answer to a request
// whose user was a logged-in User gets Cache-Control: no-store (unless the
// handler chose a Cache-Control). `db` must outlive it.
http::Middleware authentication_middleware(db::Database& db, std::string secret_key);

// The request's user. Throws std::logic_error without the middleware, and
// what the database or session store throws (a 503 under faults_middleware).
const RequestUser& request_user(const http::Request& request);
// The logged-in User, or nullptr for an anonymous request.
const auth::User* user(const http::Request& request);
// After a login, a password change or a logout: what the rest of this
// request sees as its user.
void set_user(const http::Request& request, std::optional<auth::User> user);

}  // namespace gatehouse::web
