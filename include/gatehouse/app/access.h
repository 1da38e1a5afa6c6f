// Access control for route handlers: the counterparts of Django's
// login_required, permission_required, user_passes_test and
// staff_member_required.
//
//   router.get("/api/reports", access.permission_required("reports.view_report", handler));
//   router.get("/reports/", access.login_required(page_handler, Audience::page));
//
// An anonymous request gets 401 on an API route and, on a page, a redirect to
// /accounts/login/?next=<where it was going>; a logged-in user who fails the
// check gets 403.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gatehouse/auth/user.h"
#include "gatehouse/db/connection.h"
#include "gatehouse/http/handler.h"

namespace gatehouse::app {

struct ApiContext;

enum class Audience { api, page };

class Access {
 public:
  explicit Access(std::shared_ptr<ApiContext> ctx) : ctx_(std::move(ctx)) {}

  http::Handler login_required(http::Handler handler, Audience audience = Audience::api) const;
  http::Handler permission_required(std::string permission, http::Handler handler,
                                    Audience audience = Audience::api) const;
  http::Handler staff_member_required(http::Handler handler, Audience audience = Audience::page) const;
  http::Handler user_passes_test(std::function<bool(db::Connection&, const auth::User&)> test, http::Handler handler,
                                 Audience audience = Audience::api) const;

  // The request's logged-in user (nullopt when anonymous).
  std::optional<auth::User> user(const http::Request& request) const;

 private:
  std::shared_ptr<ApiContext> ctx_;
};

}  // namespace gatehouse::app
