// The second factor's JSON endpoints (DESIGN.md, "Multi-factor"), each a
// short function over one auth::Mfa operation. A session pending enrolment
// (GATEHOUSE_MFA_REQUIRED) may set up and confirm an app, and nothing else.
#include "gatehouse/auth/password_change.h"
#include "gatehouse/models/field.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/session.h"
#include "shared.h"

namespace gatehouse::accounts {

namespace {

using nlohmann::json;
using http::Request;
using http::RequestPtr;
using http::Responder;
using http::Response;

const std::string kInvalidSecondFactor = "The code is not valid, or the login has expired. Try again.";

// The user whose factors a request manages: the logged-in one, or the one a
// session pending enrolment names (only where `enrolling` allows it).
std::optional<auth::User> owner(Site& site, const Request& req, bool enrolling) {
  if (const auth::User* u = web::user(req)) return *u;
  if (enrolling && awaiting_enrolment(req)) return pending_user(site, req);
  return std::nullopt;
}

std::string iso(const models::Timestamp& t) { return models::format_timestamp(t, db::Engine::postgresql); }

json passkey_json(const auth::webauthn::Credential& p) {
  return {{"id", p.id}, {"name", p.name}, {"created", iso(p.created)},
          {"last_used", p.last_used ? json(iso(*p.last_used)) : json(nullptr)}};
}

Response mfa_status(Site& site, Request& req) {
  const auth::User* u = web::user(req);
  if (u == nullptr) return web::not_authenticated();
  const auth::MfaStatus s = site.mfa.status(*u);
  json passkeys = json::array();
  for (const auto& p : s.passkeys) passkeys.push_back(passkey_json(p));
  return json_response(200, {{"totp", s.totp}, {"webauthn", passkeys},
                             {"recovery_codes_remaining", s.recovery_codes_remaining}});
}

Response no_passkeys() {
  return Response::error(409, "passkeys_unavailable", "Passkeys need GATEHOUSE_SITE_URL to name this site.");
}

// ---- passkeys ----

Response register_begin(Site& site, Request& req) {
  const auth::User* u = web::user(req);
  if (u == nullptr) return web::not_authenticated();
  if (!site.mfa.relying_party()) return no_passkeys();
  auto options = site.mfa.begin_registration(*u, web::session(req).for_update());
  return options ? json_response(200, *options) : no_passkeys();
}

void register_finish(Site& site, RequestPtr req, Responder respond) {
  const auth::User* u = web::user(*req);
  if (u == nullptr) return respond(web::not_authenticated());
  with_body(req, respond, {}, [&](const json& b) {
    const auto credential = b.find("credential");
    if (credential == b.end() || !credential->is_object())
      return respond(web::field_errors({{"credential", {kRequired}}}));
    const std::string name = b.contains("name") && b["name"].is_string() ? b["name"].get<std::string>() : "";
    auth::webauthn::Credential added;
    const auth::Outcome o = site.mfa.finish_registration(*u, web::session(*req).for_update(), *credential, name,
                                                         client_of(*req), added);
    if (!o.ok()) return respond(web::failure(o, kBadCredentials));
    respond(json_response(201, {{"id", added.id}, {"name", added.name}}));
  });
}

// The {id} of the path: digits only ("1abc" names no passkey).
std::optional<std::int64_t> passkey_id(Request& req) {
  const std::string& text = req.params["id"];
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(text);
}

void passkey_rename(Site& site, RequestPtr req, Responder respond) {
  const auth::User* u = web::user(*req);
  if (u == nullptr) return respond(web::not_authenticated());
  with_body(req, respond, {"name"}, [&](const json& b) {
    const auto id = passkey_id(*req);
    if (!id || !site.mfa.rename_passkey(*u, *id, text(b, "name")))
      return respond(Response::error(404, "not_found", "no such passkey"));
    const auto s = site.mfa.status(*u);  // the name as stored (cut, or the fallback)
    for (const auto& p : s.passkeys)
      if (p.id == *id) return respond(json_response(200, {{"id", p.id}, {"name", p.name}}));
    respond(Response::error(404, "not_found", "no such passkey"));
  });
}

// DELETE with an optional body {password}: needed when it is the last factor.
void passkey_remove(Site& site, RequestPtr req, Responder respond) {
  const auth::User* u = web::user(*req);
  if (u == nullptr) return respond(web::not_authenticated());
  std::string password;
  if (!req->body.empty()) {
    const json b = json::parse(req->body, nullptr, false);
    if (b.is_object() && b.contains("password") && b["password"].is_string()) password = b["password"].get<std::string>();
  }
  const auto id = passkey_id(*req);
  if (!id) return respond(Response::error(404, "not_found", "no such passkey"));
  site.mfa.remove_passkey(*u, *id, password, client_of(*req), [respond](auth::Outcome o) {
    if (o.kind == auth::Outcome::Kind::bad_credentials) return respond(Response::error(404, "not_found", "no such passkey"));
    respond(o.ok() ? Response::no_content() : web::failure(o, kBadCredentials, kTooManyLogins));
  });
}

// POST /api/login/webauthn/begin {username?}: the username is accepted and
// not used (the authenticator offers its passkeys), so nothing tells
// whether a username has any.
Response login_webauthn_begin(Site& site, Request& req) {
  if (!site.mfa.relying_party()) return no_passkeys();  // before any session is made
  auto options = site.mfa.begin_authentication(web::session(req).for_update());
  return options ? json_response(200, *options) : no_passkeys();
}

void login_webauthn_finish(Site& site, RequestPtr req, Responder respond) {
  with_body(req, respond, {}, [&](const json& b) {
    const auto credential = b.find("credential");
    if (credential == b.end() || !credential->is_object())
      return respond(web::field_errors({{"credential", {kRequired}}}));
    const auth::Outcome o = complete_with_passkey(site, *req, *credential);
    if (o.kind == auth::Outcome::Kind::bad_credentials)
      return respond(Response::error(400, "invalid_credential", "The passkey was not accepted. Try again."));
    if (!o.ok()) return respond(web::failure(o, kBadCredentials, kTooManyLogins));
    json body = {{"id", o.user->id}, {"username", o.user->username}};
    if (web::session(*req).get(auth::kPasswordChangeRequiredKey) == "1") body["password_change_required"] = true;
    respond(json_response(200, body));
  });
}

Response totp_setup(Site& site, Request& req) {
  const auto u = owner(site, req, true);
  if (!u) return web::not_authenticated();
  const auto setup = site.mfa.setup_totp(*u);
  if (!setup) return Response::error(409, "conflict", "An authenticator app is already set up: disable it first.");
  return json_response(200, {{"secret", setup->secret}, {"otpauth_uri", setup->otpauth_uri}});
}

void totp_confirm(Site& site, RequestPtr req, Responder respond) {
  const auto u = owner(site, *req, true);
  if (!u) return respond(web::not_authenticated());
  with_body(req, respond, {"code"}, [&](const json& b) {
    std::vector<std::string> codes;
    const bool enrolling = web::user(*req) == nullptr;
    const auth::Outcome o = enrolling ? complete_enrolment(site, *req, text(b, "code"), codes)
                                      : site.mfa.confirm_totp(*u, text(b, "code"), client_of(*req), codes);
    if (!o.ok()) return respond(web::failure(o, kInvalidSecondFactor, kTooManyRequests));
    json body = {{"recovery_codes", codes}};
    if (enrolling) body.update({{"id", o.user->id}, {"username", o.user->username}});  // the login is complete
    respond(json_response(200, body));
  });
}

void totp_disable(Site& site, RequestPtr req, Responder respond) {
  const auth::User* u = web::user(*req);
  if (u == nullptr) return respond(web::not_authenticated());
  with_body(req, respond, {"password"}, [&](const json& b) {
    site.mfa.disable_totp(*u, text(b, "password"), client_of(*req), [respond](auth::Outcome o) {
      respond(o.ok() ? Response::no_content() : web::failure(o, kBadCredentials, kTooManyLogins));
    });
  });
}

void recovery_codes(Site& site, RequestPtr req, Responder respond) {
  const auth::User* u = web::user(*req);
  if (u == nullptr) return respond(web::not_authenticated());
  with_body(req, respond, {"password"}, [&](const json& b) {
    auto codes = std::make_shared<std::vector<std::string>>();
    site.mfa.renew_recovery_codes(*u, text(b, "password"), client_of(*req), *codes, [respond, codes](auth::Outcome o) {
      respond(o.ok() ? json_response(200, {{"recovery_codes", *codes}}) : web::failure(o, kBadCredentials, kTooManyLogins));
    });
  });
}

// POST /api/login/mfa {code} or {recovery_code}.
void login_mfa(Site& site, RequestPtr req, Responder respond) {
  with_body(req, respond, {}, [&](const json& b) {
    const bool recovery = b.contains("recovery_code") && b["recovery_code"].is_string();
    if (!recovery && !(b.contains("code") && b["code"].is_string()))
      return respond(web::field_errors({{"code", {kRequired}}}));
    const auth::SecondFactor factor{recovery ? auth::SecondFactor::Kind::recovery_code : auth::SecondFactor::Kind::totp,
                                    text(b, recovery ? "recovery_code" : "code")};
    const auth::Outcome o = complete_login(site, *req, factor);
    if (o.kind == auth::Outcome::Kind::bad_credentials)
      return respond(Response::error(400, "invalid_code", kInvalidSecondFactor));
    if (!o.ok()) return respond(web::failure(o, kInvalidSecondFactor, kTooManyLogins));
    json body = {{"id", o.user->id}, {"username", o.user->username}};
    if (web::session(*req).get(auth::kPasswordChangeRequiredKey) == "1") body["password_change_required"] = true;
    respond(json_response(200, body));
  });
}

}  // namespace

void add_mfa_api_routes(http::Router& router, Site& site) {
  const auto sync = [&site](Response (*f)(Site&, Request&)) {
    return http::sync([&site, f](Request& req) { return f(site, req); });
  };
  const auto async = [&site](void (*f)(Site&, RequestPtr, Responder)) -> http::Handler {
    return [&site, f](RequestPtr req, Responder respond) { f(site, std::move(req), std::move(respond)); };
  };
  router.get("/api/mfa", sync(mfa_status));
  router.post("/api/mfa/totp/setup", sync(totp_setup));
  router.post("/api/mfa/totp/confirm", async(totp_confirm));
  router.post("/api/mfa/totp/disable", async(totp_disable));
  router.post("/api/mfa/recovery-codes", async(recovery_codes));
  router.post("/api/login/mfa", async(login_mfa));
  router.post("/api/mfa/webauthn/register/begin", sync(register_begin));
  router.post("/api/mfa/webauthn/register/finish", async(register_finish));
  router.add("PATCH", "/api/mfa/webauthn/{id}", async(passkey_rename));
  router.del("/api/mfa/webauthn/{id}", async(passkey_remove));
  router.post("/api/login/webauthn/begin", sync(login_webauthn_begin));
  router.post("/api/login/webauthn/finish", async(login_webauthn_finish));
}

}  // namespace gatehouse::accounts
