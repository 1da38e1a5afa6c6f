#include "gatehouse/web/authentication.h"

#include <stdexcept>

#include "gatehouse/auth/login.h"
#include "gatehouse/web/session.h"

namespace gatehouse::web {

namespace {
struct Authentication {
  db::Database* db = nullptr;
  std::string secret_key;
  std::optional<RequestUser> user;  // set once loaded
};

Authentication& state(const http::Request& request) {
  auto* a = request.get<Authentication>();
  if (a == nullptr) throw std::logic_error("web::user: the request did not pass through web::authentication_middleware");
  return *a;
}
}  // namespace

http::Middleware authentication_middleware(db::Database& db, std::string secret_key) {
  return [&db, secret_key = std::move(secret_key)](http::RequestPtr req, http::Responder respond, const http::Handler& next) {
    auto a = std::make_shared<Authentication>(Authentication{&db, secret_key, std::nullopt});
    req->set(a);
    // What a logged-in user was shown is theirs alone: no cache keeps it.
    next(std::move(req), respond.then([a](http::Response r) {
      if (a->user && std::holds_alternative<auth::User>(*a->user) && !r.header("cache-control"))
        r.set_header("Cache-Control", "no-store");
      return r;
    }));
  };
}

const RequestUser& request_user(const http::Request& request) {
  Authentication& a = state(request);
  if (!a.user) {
    std::optional<auth::User> u;
    if (const auto* record = session(request).record()) {
      auto c = a.db->acquire();
      u = auth::get_user(*c, *record, a.secret_key);
    }
    a.user = u ? RequestUser(std::move(*u)) : RequestUser(auth::AnonymousUser());
  }
  return *a.user;
}

const auth::User* user(const http::Request& request) { return std::get_if<auth::User>(&request_user(request)); }

void set_user(const http::Request& request, std::optional<auth::User> u) {
  state(request).user = u ? RequestUser(std::move(*u)) : RequestUser(auth::AnonymousUser());
}

}  // namespace gatehouse::web
