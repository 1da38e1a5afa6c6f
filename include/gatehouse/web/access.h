// Access control for route handlers: the counterparts of Django's
// login_required, permission_required, user_passes_test and
// staff_member_required, over the request's user (web/authentication.h).
//
//   web::Access access(db);
//   router.get("/api/reports", access.permission_required("reports.view_report", handler));
//   router.get("/reports/", access.login_required(page_handler, web::Audience::page));
//
// An anonymous request gets 401 on an API route and, on a page, a redirect to
// /accounts/login/?next=<where it was going>; a logged-in user who fails the
// check gets 403.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gatehouse/auth/user.h"
#include "gatehouse/db/database.h"
#include "gatehouse/http/handler.h"

namespace gatehouse::web {

enum class Audience { api, page };

class Access {
 public:
  // `db` (for permission checks) must outlive the handlers made here.
  explicit Access(db::Database& db) : db_(&db) {}

  http::Handler login_required(http::Handler handler, Audience audience = Audience::api) const;
  http::Handler permission_required(std::string permission, http::Handler handler,
                                    Audience audience = Audience::api) const;
  http::Handler staff_member_required(http::Handler handler, Audience audience = Audience::page) const;
  http::Handler user_passes_test(std::function<bool(db::Connection&, const auth::User&)> test, http::Handler handler,
                                 Audience audience = Audience::api) const;

  // The request's logged-in user (nullptr when anonymous): web::user().
  const auth::User* user(const http::Request& request) const;

 private:
  db::Database* db_;
};

// "Must change password at next login" (auth/password_change.h): while the
// request's session says so, pages redirect to `change_page` (with ?next=)
// and the JSON API (paths under /api/) answers 403 {"error":
// "password_change_required"}; the paths in `allowed` (exact, or a prefix
// when they end in '*') pass. Place it inside faults_middleware: it reads the
// session.
struct PasswordChangeGate {
  std::string change_page = "/accounts/password_change/";
  std::vector<std::string> allowed = {"/accounts/password_change/*", "/accounts/logout/", "/api/password/change",
                                      "/api/logout", "/api/csrf", "/admin/logout/", "/static/*", "/healthz", "/metrics"};
};
http::Middleware password_change_gate(PasswordChangeGate gate = {});

// The answer to an anonymous request: 401 for the API, a login redirect for a
// page (to the second step, or to enrolment, when the session is pending one).
http::Response refuse_anonymous(const http::Request& request, Audience audience);

}  // namespace gatehouse::web
