#include "gatehouse/app/access.h"

#include "api.h"
#include "gatehouse/auth/permissions.h"

namespace gatehouse::app {

namespace {
http::Response refuse_anonymous(const http::Request& req, Audience audience) {
  if (audience == Audience::api)
    return http::Response::error(401, "not_authenticated", "Authentication credentials were not provided.");
  std::string next = req.path;
  if (!req.query.empty()) next += "?" + req.query;
  return http::Response::redirect("/accounts/login/?next=" + http::percent_encode(next));
}

http::Response forbid(Audience audience) {
  if (audience == Audience::api)
    return http::Response::error(403, "permission_denied", "You do not have permission to perform this action.");
  return http::Response::text(403, "<!doctype html><title>403 Forbidden</title><h1>403 Forbidden</h1>",
                              "text/html; charset=utf-8");
}
}  // namespace

std::optional<auth::User> Access::user(const http::Request& request) const { return request_user(request, *ctx_); }

http::Handler Access::user_passes_test(std::function<bool(db::Connection&, const auth::User&)> test, http::Handler handler,
                                       Audience audience) const {
  return [ctx = ctx_, test = std::move(test), handler = std::move(handler), audience](http::RequestPtr req,
                                                                                      http::Responder respond) {
    const auto user = request_user(*req, *ctx);
    if (!user) return respond(refuse_anonymous(*req, audience));
    bool allowed = false;
    {
      auto c = ctx->db->acquire();
      allowed = test(*c, *user);
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

}  // namespace gatehouse::app
