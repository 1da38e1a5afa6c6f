// The accounts site: the JSON API of DESIGN.md under /api/ and the HTML pages
// under /accounts/, as thin route groups over auth::Accounts. A library user
// adds both to a router of their own, behind web's middleware:
//
//   accounts::Site site{accounts, db, store, metrics, templates, secret_key};
//   accounts::add_api_routes(router, site);
//   accounts::add_pages(router, site);
//   handler = http::chain({web::csrf_middleware(), web::session_middleware(store),
//                          web::authentication_middleware(db, key), web::faults_middleware(accounts::fault_page(site))},
//                         router.handler());
#pragma once

#include <map>
#include <memory>
#include <string>

#include "gatehouse/auth/accounts.h"
#include "gatehouse/http/metrics.h"
#include "gatehouse/http/router.h"
#include "gatehouse/http/templates.h"
#include "gatehouse/web/access.h"
#include "gatehouse/web/responses.h"

namespace gatehouse::accounts {

// What the routes use; everything must outlive the router.
struct Site {
  auth::Accounts& accounts;
  db::Database& db;
  sessions::SessionStore& sessions;
  http::Metrics& metrics;
  std::shared_ptr<const http::Templates> templates;  // the pages' templates (builtin_templates() and overrides)
  std::string secret_key;                            // reset links' tokens
  web::Access access{db};
};

// POST /api/signup, /api/login, /api/logout, GET /api/me, GET (and HEAD)
// /api/auth/verify, POST /api/password/change, /api/password/forgot,
// /api/password/reset, /api/email/confirm, GET /api/sessions, DELETE
// /api/sessions/{id}, POST /api/sessions/end-others. Not GET /api/csrf,
// /healthz or /metrics: app::AccountsServer adds those (a site of your own
// answers web::csrf_token(request) on a route of its own).
void add_api_routes(http::Router& router, Site& site);
// /, /static/gatehouse.css, /accounts/login/, logout/, signup/,
// password_change/ (and done/), password_reset/ (and done/),
// reset/<uidb64>/<token>/, reset/done/, confirm-email/<key>/, profile/.
void add_pages(http::Router& router, Site& site);

// The templates compiled into the library (templates/ in the source tree).
std::map<std::string, std::string> builtin_templates();
// The HTML error page for a fault (503 with Retry-After), for web::faults_middleware.
web::FaultPage fault_page(const Site& site);

// `next` when it is a path on this site; else the fallback (no open redirect).
std::string safe_next(const std::string& next, const std::string& fallback);

}  // namespace gatehouse::accounts
