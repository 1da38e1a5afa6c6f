// The JSON API: each endpoint a short function that reads the body, calls one
// auth::Accounts operation and turns its Outcome into the answer DESIGN.md
// fixes. The standard answers (401, 403, 429, 503, field errors) are
// web/responses.h's.
#include <nlohmann/json.hpp>

#include "gatehouse/accounts/profile.h"
#include "gatehouse/accounts/site.h"
#include "gatehouse/auth/email_addresses.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/sha.h"
#include "gatehouse/models/field.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/auth/password_change.h"
#include "gatehouse/web/session.h"
#include "shared.h"

namespace gatehouse::accounts {

namespace {

using nlohmann::json;
using http::Request;
using http::RequestPtr;
using http::Responder;
using http::Response;

std::string iso(const models::Timestamp& t) { return models::format_timestamp(t, db::Engine::postgresql); }

void count_login(http::Metrics& m, const auth::Outcome& o) {
  using Kind = auth::Outcome::Kind;
  if (o.kind == Kind::ok) m.increment("gatehouse_logins_succeeded_total", "Successful logins.");
  if (o.kind == Kind::bad_credentials) m.increment("gatehouse_logins_failed_total", "Failed logins.");
  if (o.kind == Kind::throttled) m.increment("gatehouse_logins_throttled_total", "Logins refused by the throttle.");
}

json profile_json(db::Database& db, const auth::User& user) {
  try {
    auto c = db.acquire();
    const Profile p = profile_for(*c, user);
    return {{"default_language", p.default_language}, {"default_exposure", p.default_exposure},
            {"default_expiration", p.default_expiration}, {"private", p.is_private}, {"views", p.views}};
  } catch (const models::DoesNotExist&) {
    return nullptr;
  }
}

json user_json(const auth::User& u, json profile, bool email_verified) {
  return {{"id", u.id},
          {"email_verified", email_verified},
          {"username", u.username},
          {"email", u.email},
          {"first_name", u.first_name},
          {"last_name", u.last_name},
          {"is_staff", u.is_staff},
          {"is_superuser", u.is_superuser},
          {"date_joined", iso(u.date_joined)},
          {"last_login", u.last_login ? json(iso(*u.last_login)) : json(nullptr)},
          {"profile", std::move(profile)}};
}

// ---- the endpoints -------------------------------------------------------------------------

void signup(Site& site, RequestPtr req, Responder respond) {
  with_body(req, respond, {"username", "email", "password"}, [&](const json& b) {
    site.accounts.signup({text(b, "username"), text(b, "email"), text(b, "password")}, client_of(*req), [respond](auth::Outcome o) {
      if (!o.ok()) return respond(web::failure(o, kBadCredentials, kTooManyRequests));
      respond(json_response(201, {{"id", o.user->id}, {"username", o.user->username}, {"email", o.user->email}}));
    });
  });
}

void login(Site& site, RequestPtr req, Responder respond) {
  with_body(req, respond, {"username", "password"}, [&](const json& b) {
    log_in(site, req, {text(b, "username"), text(b, "password")}, [&site, req, respond](auth::Outcome o) {
      count_login(site.metrics, o);
      if (o.kind == auth::Outcome::Kind::second_factor)  // POST /api/login/mfa completes it
        return respond(json_response(200, {{"mfa_required", true}, {"methods", o.methods}}));
      if (o.kind == auth::Outcome::Kind::enrolment)  // POST /api/mfa/totp/setup, then confirm, completes it
        return respond(json_response(200, {{"mfa_required", true}, {"methods", json::array()}, {"enrolment_required", true}}));
      if (!o.ok()) return respond(web::failure(o, kBadCredentials, kTooManyLogins));
      json body = {{"id", o.user->id}, {"username", o.user->username}};
      // Staff flagged the account: every other call answers 403 until POST /api/password/change.
      if (web::session(*req).get(auth::kPasswordChangeRequiredKey) == "1") body["password_change_required"] = true;
      respond(json_response(200, body));
    });
  });
}

Response logout(Site& site, Request& req) {
  if (auto o = log_out(site, req); !o.ok()) return web::failure(o, kBadCredentials);
  return Response::no_content();
}

Response me(Site& site, Request& req) {
  db::ReadScope snapshot(site.db);  // session, user and profile: one read transaction
  const auth::User* u = web::user(req);
  if (u == nullptr) return web::not_authenticated();
  bool verified = false;
  {
    auto c = site.db.acquire();
    verified = auth::email_verified(*c, *u);
  }
  return json_response(200, user_json(*u, profile_json(site.db, *u), verified));
}

// For a reverse proxy's auth_request (nginx) or ForwardAuth (Traefik): 200
// naming the session's user in headers the proxy hands upstream, else 401.
// Never cached, so a logout takes effect on the next request.
Response verify(Site& site, Request& req) {
  db::ReadScope snapshot(site.db);
  const auth::User* u = web::user(req);
  Response r = u == nullptr ? web::not_authenticated()
                            : json_response(200, {{"id", u->id}, {"username", u->username}});
  if (u != nullptr) {
    r.set_header("X-Gatehouse-User-Id", std::to_string(u->id));
    r.set_header("X-Gatehouse-Username", u->username);
  }
  r.set_header("Cache-Control", "no-store");
  return r;
}

void change_password(Site& site, RequestPtr req, Responder respond) {
  const auth::User* u = web::user(*req);
  if (u == nullptr) return respond(web::not_authenticated());
  with_body(req, respond, {"old_password", "new_password"}, [&](const json& b) {
    change_password(site, req, *u, text(b, "old_password"), text(b, "new_password"), [respond](auth::Outcome o) {
      respond(o.ok() ? Response::no_content() : web::failure(o, kBadCredentials));
    });
  });
}

void forgot(Site& site, RequestPtr req, Responder respond) {
  with_body(req, respond, {"email"}, [&](const json& b) {
    const auth::Outcome o = site.accounts.forgot(text(b, "email"), client_of(*req), auth::kPasswordCodeJob);
    if (!o.ok()) return respond(web::failure(o, kBadCredentials, kTooManyRequests));
    respond(json_response(202, {{"detail", "If an active account uses this address, a code is on its way to it."}}));
  });
}

void reset(Site& site, RequestPtr req, Responder respond) {
  with_body(req, respond, {"email", "code", "new_password"}, [&](const json& b) {
    site.accounts.reset_with_code(text(b, "email"), text(b, "code"), text(b, "new_password"), client_of(*req),
                                  [respond](auth::Outcome o) {
                                    if (o.ok()) return respond(Response::no_content());
                                    if (o.kind == auth::Outcome::Kind::bad_credentials)
                                      return respond(Response::error(400, "invalid_code", kInvalidCode));
                                    respond(web::failure(o, kInvalidCode, "Too many attempts. Try again later."));
                                  });
  });
}

void confirm_email(Site& site, RequestPtr req, Responder respond) {
  with_body(req, respond, {"key"}, [&](const json& b) {
    const auth::Outcome o = site.accounts.confirm_email(text(b, "key"));
    if (o.kind == auth::Outcome::Kind::bad_credentials)
      return respond(Response::error(400, "invalid_key", "The confirmation link is not valid, or has expired."));
    if (!o.ok()) return respond(web::failure(o, kBadCredentials));
    respond(json_response(200, {{"id", o.user->id}, {"email", o.user->email}, {"email_verified", true}}));
  });
}

Response sessions_list(Site& site, Request& req) {
  db::ReadScope snapshot(site.db);
  const auth::User* u = web::user(req);
  if (u == nullptr) return web::not_authenticated();
  const std::string mine = web::session(req).key();
  json list = json::array();
  for (const auto& s : site.sessions.for_user(u->id))
    list.push_back({{"id", session_public_id(s.key)}, {"created", iso(s.created)}, {"last_seen", iso(s.last_seen)},
                    {"address", s.address}, {"user_agent", s.user_agent}, {"current", s.key == mine}});
  return json_response(200, {{"sessions", list}});
}

Response session_end(Site& site, Request& req) {
  const auth::User* u = web::user(req);
  if (u == nullptr) return web::not_authenticated();
  for (const auto& s : site.sessions.for_user(u->id)) {
    if (session_public_id(s.key) != req.params["id"]) continue;
    site.sessions.remove(s.key);
    if (s.key == web::session(req).key()) web::session(req).ended();
    return Response::no_content();
  }
  return Response::error(404, "not_found", "no such session");
}

Response sessions_end_others(Site& site, Request& req) {
  const auth::User* u = web::user(req);
  if (u == nullptr) return web::not_authenticated();
  site.sessions.remove_for_user(u->id, web::session(req).key());
  return Response::no_content();
}

// Binds an endpoint to the site.
http::Handler async(Site& site, void (*f)(Site&, RequestPtr, Responder)) {
  return [&site, f](RequestPtr req, Responder respond) { f(site, std::move(req), std::move(respond)); };
}
http::Handler sync(Site& site, Response (*f)(Site&, Request&)) {
  return http::sync([&site, f](Request& req) { return f(site, req); });
}

}  // namespace

void add_api_routes(http::Router& router, Site& site) {
  router.post("/api/signup", async(site, signup));
  router.post("/api/login", async(site, login));
  router.post("/api/logout", sync(site, logout));
  router.get("/api/me", sync(site, me));
  router.get("/api/auth/verify", sync(site, verify));  // and HEAD
  router.post("/api/password/change", async(site, change_password));
  router.post("/api/password/forgot", async(site, forgot));
  router.post("/api/password/reset", async(site, reset));
  router.post("/api/email/confirm", async(site, confirm_email));
  router.get("/api/sessions", sync(site, sessions_list));
  router.del("/api/sessions/{id}", sync(site, session_end));
  router.post("/api/sessions/end-others", sync(site, sessions_end_others));
  add_mfa_api_routes(router, site);
}

}  // namespace gatehouse::accounts
