// The second factor's JSON endpoints (DESIGN.md, "Multi-factor"), each a
// short function over one auth::Mfa operation. A session pending enrolment
// (GATEHOUSE_MFA_REQUIRED) may set up and confirm an app, and nothing else.
#include "gatehouse/auth/password_change.h"
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

Response mfa_status(Site& site, Request& req) {
  const auth::User* u = web::user(req);
  if (u == nullptr) return web::not_authenticated();
  const auth::MfaStatus s = site.mfa.status(*u);
  return json_response(200, {{"totp", s.totp}, {"webauthn", json::array()},
                             {"recovery_codes_remaining", s.recovery_codes_remaining}});
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
}

}  // namespace gatehouse::accounts
