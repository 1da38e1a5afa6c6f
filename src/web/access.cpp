#include "gatehouse/web/access.h"

#include <algorithm>

#include "gatehouse/auth/password_change.h"
#include "gatehouse/auth/pending.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/responses.h"
#include "gatehouse/web/session.h"

namespace gatehouse::web {

namespace {
http::Response forbid(Audience audience) {
  if (audience == Audience::api) return forbidden();
  return http::Response::text(403, "<!doctype html><title>403 Forbidden</title><h1>403 Forbidden</h1>",
                              "text/html; charset=utf-8");
}
}  // namespace

http::Response refuse_anonymous(const http::Request& req, Audience audience) {
  if (audience == Audience::api) return not_authenticated();
  std::string next = req.path;
  if (!req.query.empty()) next += "?" + req.query;
  // A session waiting for its second factor (auth/pending.h) goes to that step, not back to the password.
  web::Session& s = web::session(req);
  const char* login = "/accounts/login/";
  if (s.get(auth::kPendingUser)) login = s.get(auth::kPendingEnrolment) ? "/accounts/mfa/totp/setup/" : "/accounts/login/mfa/";
  return http::Response::redirect(std::string(login) + "?next=" + http::percent_encode(next));
}

const auth::User* Access::user(const http::Request& request) const { return web::user(request); }

http::Handler Access::user_passes_test(std::function<bool(db::Connection&, const auth::User&)> test, http::Handler handler,
                                       Audience audience) const {
  return [db = db_, test = std::move(test), handler = std::move(handler), audience](http::RequestPtr req,
                                                                                    http::Responder respond) {
    const auth::User* u = web::user(*req);
    if (u == nullptr) return respond(refuse_anonymous(*req, audience));
    bool allowed = false;
    {
      auto c = db->acquire();
      allowed = test(*c, *u);
    }
    if (!allowed) return respond(forbid(audience));
    handler(std::move(req), std::move(respond));
  };
}

http::Handler Access::login_required(http::Handler handler, Audience audience) const {
  return user_passes_test([](db::Connection&, const auth::User&) { return true; }, std::move(handler), audience);
}

http::Handler Access::permission_required(std::string permission, http::Handler handler, Audience audience) const {
  return user_passes_test(
      [permission = std::move(permission)](db::Connection& c, const auth::User& u) { return auth::has_perm(c, u, permission); },
      std::move(handler), audience);
}

http::Handler Access::staff_member_required(http::Handler handler, Audience audience) const {
  return user_passes_test([](db::Connection&, const auth::User& u) { return u.is_active && u.is_staff; },
                          std::move(handler), audience);
}

http::Middleware password_change_gate(PasswordChangeGate gate) {
  return [gate = std::move(gate)](http::RequestPtr req, http::Responder respond, const http::Handler& next) {
    const auto passes = [&](const std::string& a) {
      return !a.empty() && a.back() == '*' ? req->path.rfind(a.substr(0, a.size() - 1), 0) == 0 : req->path == a;
    };
    if (std::any_of(gate.allowed.begin(), gate.allowed.end(), passes) ||
        web::session(*req).get(auth::kPasswordChangeRequiredKey) != "1")
      return next(std::move(req), std::move(respond));
    if (req->path.rfind("/api/", 0) == 0)
      return respond(http::Response::error(403, "password_change_required",
                                           "Change your password first (POST /api/password/change)."));
    std::string where = req->path;
    if (!req->query.empty()) where += "?" + req->query;
    respond(http::Response::redirect(gate.change_page + "?next=" + http::percent_encode(where)));
  };
}

}  // namespace gatehouse::web
