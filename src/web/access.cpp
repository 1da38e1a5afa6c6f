#include "gatehouse/web/access.h"

#include "gatehouse/auth/permissions.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/responses.h"

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
  return http::Response::redirect("/accounts/login/?next=" + http::percent_encode(next));
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

}  // namespace gatehouse::web
