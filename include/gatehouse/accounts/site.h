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
#include "gatehouse/auth/mfa.h"
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
  auth::Mfa mfa{accounts};  // the second factor, over the same accounts
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

// The steps around an auth::Accounts operation that touch the request's
// session, for every site on the server (the pages, the API, the admin, a
// library user's own routes): a copy of the session goes to the operation and
// replaces the request's only when the operation succeeded.
auth::Client client_of(const http::Request& request);

// accounts.login on a copy of the request's session; on success the copy
// (logged in, new key) becomes the request's session and user, and the CSRF
// secret is new (Django's rotate_token at login). When the Outcome is
// pending() the copy (a pending session, not logged in) becomes the
// request's session too.
void log_in(Site& site, const http::RequestPtr& req, auth::Credentials credentials, auth::OutcomeDone done);
// The login's second step (auth/mfa.h) on a copy of the request's pending
// session; on success it becomes the request's session and user (a new key,
// a new CSRF secret).
auth::Outcome complete_login(Site& site, http::Request& req, const auth::SecondFactor& factor);
// A passkey's assertion (the browser's PublicKeyCredential as JSON): the
// pending login's second step, or a passkey alone; as complete_login.
auth::Outcome complete_with_passkey(Site& site, http::Request& req, const nlohmann::json& credential);
// Enrolment a pending session must do first: confirms the TOTP device and completes the login.
auth::Outcome complete_enrolment(Site& site, http::Request& req, const std::string& code,
                                 std::vector<std::string>& codes);
// The user a pending session waits for (nullopt when it is none, or expired).
std::optional<auth::User> pending_user(Site& site, const http::Request& req);
// Whether the request's session is pending enrolment (GATEHOUSE_MFA_REQUIRED).
bool awaiting_enrolment(const http::Request& req);
// Where a login whose Outcome is pending() goes on: the second step's page
// (/accounts/login/mfa/), or enrolment (/accounts/mfa/totp/setup/), with
// `next` (checked there with safe_next).
std::string second_step_url(const auth::Outcome& o, const std::string& next);
// Logs `user` in without credentials (after signup: Django's login(request, user));
// `enrolment` (the session kept, pending) when the user must enrol a factor first.
auth::Outcome log_in_user(Site& site, http::Request& req, auth::User user);
// accounts.logout; the request's session ends (its cookie is deleted).
auth::Outcome log_out(Site& site, http::Request& req);
// accounts.change_password on a copy of the session; on success it replaces it.
void change_password(Site& site, const http::RequestPtr& req, const auth::User& user, std::string old_password,
                     std::string new_password, auth::OutcomeDone done);

// The id a session is shown and ended by (GET /api/sessions, the admin's
// sessions panel): 24 hex digits of its key's SHA-256, so the key never leaves.
std::string session_public_id(const std::string& key);

// `next` when it is a path on this site; else the fallback (no open redirect).
std::string safe_next(const std::string& next, const std::string& fallback);

}  // namespace gatehouse::accounts
