// The second factor's HTML pages: the login's second step, the user's
// factors, enrolment of an authenticator app (the QR code drawn on the server
// as SVG, and the secret as text), and recovery codes shown once. Plain
// forms, no JavaScript. Each is a short function over one auth::Mfa operation.
#include <algorithm>

#include "gatehouse/accounts/qr_code.h"
#include "gatehouse/models/field.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/session.h"
#include "page_parts.h"
#include "shared.h"

namespace gatehouse::accounts {

namespace {

using nlohmann::json;
using http::Request;
using http::RequestPtr;
using http::Responder;
using http::Response;

constexpr const char* kLoginPage = "/accounts/login/";
constexpr const char* kSecondStep = "/accounts/login/mfa/";
constexpr const char* kFactors = "/accounts/mfa/";
constexpr const char* kSetup = "/accounts/mfa/totp/setup/";
const std::string kWrongSecondFactor = "The code is not valid. Check your authenticator app, or use a recovery code.";

std::string with_next(const std::string& path, const std::string& next) {
  return next.empty() ? path : path + "?next=" + http::percent_encode(next);
}

std::string next_of(const Request& req, const http::Form& f) {
  const std::string posted = value(f, "next");
  return posted.empty() ? req.query_param("next").value_or("") : posted;
}

Response with_retry(Response r, const auth::Outcome& o) {
  if (o.kind == auth::Outcome::Kind::throttled) r.set_header("Retry-After", std::to_string(o.retry_after.count()));
  return r;
}

// "ABCD EFGH ..." for typing into an app.
std::string grouped(const std::string& secret) {
  std::string out;
  for (std::size_t i = 0; i < secret.size(); i += 4) out += (out.empty() ? "" : " ") + secret.substr(i, 4);
  return out;
}

// ---- the login's second step --------------------------------------------------------------

Response second_step_page(Site& site, const Request& req, int status, const std::string& next,
                          const std::string& error = {}) {
  json c = base(req, "Two-factor authentication");
  c["next"] = safe_next(next, "");  // the page's script follows it after a passkey
  std::vector<std::string> methods;
  if (const auto u = pending_user(site, req)) {
    auto conn = site.db.acquire();
    methods = auth::second_factor_methods(*conn, u->id);
  }
  const auto has = [&](const char* m) { return std::find(methods.begin(), methods.end(), m) != methods.end(); };
  c["totp"] = has("totp");
  c["webauthn"] = has("webauthn") && site.mfa.relying_party().has_value();
  c["non_field_errors"] = error.empty() ? json(false) : json{{"list", {error}}};
  return render(site, status, "mfa_login.html", c);
}

Response second_step_get(Site& site, Request& req) {
  const std::string next = req.query_param("next").value_or("");
  if (!pending_user(site, req) || awaiting_enrolment(req)) return Response::redirect(with_next(kLoginPage, next));
  return second_step_page(site, req, 200, req.query_param("next").value_or(""));
}

Response second_step_post(Site& site, Request& req) {
  const http::Form f = parse_form(req);
  const std::string next = next_of(req, f), recovery = value(f, "recovery_code");
  if (!pending_user(site, req) || awaiting_enrolment(req)) return Response::redirect(with_next(kLoginPage, next));
  const auth::SecondFactor factor{recovery.empty() ? auth::SecondFactor::Kind::totp : auth::SecondFactor::Kind::recovery_code,
                                  recovery.empty() ? value(f, "code") : recovery};
  const auth::Outcome o = complete_login(site, req, factor);
  if (o.ok()) return Response::redirect(safe_next(next, kProfile));
  if (o.kind == auth::Outcome::Kind::bad_credentials) return second_step_page(site, req, 200, next, kWrongSecondFactor);
  if (o.kind == auth::Outcome::Kind::throttled)
    return with_retry(second_step_page(site, req, 429, next, kTooManyLogins), o);
  return error_page(site, req, o);
}

// ---- the user's factors ---------------------------------------------------------------------

Response factors_page(Site& site, const Request& req, int status, const std::string& error = {}) {
  json c = base(req, "Two-factor authentication");
  const auth::MfaStatus s = site.mfa.status(*web::user(req));
  c["totp"] = s.totp;
  c["recovery_codes_remaining"] = s.recovery_codes_remaining;
  c["any_factor"] = s.totp || !s.passkeys.empty();
  c["passkeys_enabled"] = site.mfa.relying_party().has_value();
  json passkeys = json::array();
  for (const auto& p : s.passkeys)
    passkeys.push_back({{"id", p.id}, {"name", p.name},
                        {"created", models::format_timestamp(p.created, db::Engine::postgresql).substr(0, 16)},
                        {"last_used", p.last_used ? json(models::format_timestamp(*p.last_used, db::Engine::postgresql).substr(0, 16)) : json(false)},
                        {"needs_password", !s.totp && s.passkeys.size() == 1}});
  c["passkeys"] = passkeys;
  c["non_field_errors"] = error.empty() ? json(false) : json{{"list", {error}}};
  return render(site, status, "mfa.html", c);
}

Response factors_get(Site& site, Request& req) { return factors_page(site, req, 200); }

Response recovery_codes_page(const Site& site, const Request& req, const std::vector<std::string>& codes,
                             const std::string& next) {
  json c = base(req, "Your recovery codes");
  c["codes"] = codes;
  c["next"] = safe_next(next, kFactors);
  Response r = render(site, 200, "mfa_recovery_codes.html", c);
  r.set_header("Cache-Control", "no-store");  // shown once: never from a cache
  return r;
}

// POST with the password: disable_totp, or (renew) renew_recovery_codes.
void with_password(Site& site, const RequestPtr& req, const Responder& respond, bool renew) {
  const http::Form f = parse_form(*req);
  const std::string password = value(f, "password");
  if (password.empty()) return respond(factors_page(site, *req, 400, kRequired));
  auto codes = std::make_shared<std::vector<std::string>>();
  const auth::User user = *web::user(*req);
  auto done = [&site, req, respond, codes, renew](auth::Outcome o) {
    if (o.ok()) return respond(renew ? recovery_codes_page(site, *req, *codes, kFactors) : Response::redirect(kFactors));
    if (o.kind == auth::Outcome::Kind::field_errors) {
      const auto& errors = o.errors.begin()->second;
      return respond(factors_page(site, *req, 400, errors.empty() ? kBadCredentials : errors.front()));
    }
    if (o.kind == auth::Outcome::Kind::throttled) return respond(with_retry(factors_page(site, *req, 429, kTooManyLogins), o));
    respond(error_page(site, *req, o));
  };
  if (renew) return site.mfa.renew_recovery_codes(user, password, client_of(*req), *codes, std::move(done));
  site.mfa.disable_totp(user, password, client_of(*req), std::move(done));
}

void disable_post(Site& site, RequestPtr req, Responder respond) { with_password(site, req, respond, false); }

// POST /accounts/mfa/passkeys/<id>/remove/ (the password, when it is the last factor).
void passkey_remove_post(Site& site, RequestPtr req, Responder respond) {
  std::int64_t id = 0;
  try {
    id = std::stoll(req->params["id"]);
  } catch (...) {
    return respond(Response::redirect(kFactors));
  }
  site.mfa.remove_passkey(*web::user(*req), id, value(parse_form(*req), "password"), client_of(*req),
                          [&site, req, respond](auth::Outcome o) {
                            if (o.ok() || o.kind == auth::Outcome::Kind::bad_credentials)
                              return respond(Response::redirect(kFactors));
                            if (o.kind == auth::Outcome::Kind::field_errors)
                              return respond(factors_page(site, *req, 400, o.errors.begin()->second.front()));
                            if (o.kind == auth::Outcome::Kind::throttled)
                              return respond(with_retry(factors_page(site, *req, 429, kTooManyLogins), o));
                            respond(error_page(site, *req, o));
                          });
}
void renew_post(Site& site, RequestPtr req, Responder respond) { with_password(site, req, respond, true); }

// ---- enrolment ----------------------------------------------------------------------------------

std::optional<auth::User> enrolling_user(Site& site, const Request& req) {
  if (const auth::User* u = web::user(req)) return *u;
  if (awaiting_enrolment(req)) return pending_user(site, req);
  return std::nullopt;
}

Response setup_page(const Site& site, const Request& req, int status, const auth::TotpSetup& setup,
                    const std::string& next, const std::string& error = {}) {
  json c = base(req, "Set up an authenticator app");
  c["qr"] = qr_svg(setup.otpauth_uri, "QR code of the secret for your authenticator app");
  c["secret"] = grouped(setup.secret);
  c["next"] = next;
  c["enrolment_required"] = web::user(req) == nullptr;
  c["non_field_errors"] = error.empty() ? json(false) : json{{"list", {error}}};
  Response r = render(site, status, "mfa_setup.html", c);
  r.set_header("Cache-Control", "no-store");  // the secret: never from a cache
  return r;
}

Response setup_get(Site& site, Request& req) {
  const std::string next = req.query_param("next").value_or("");
  const auto u = enrolling_user(site, req);
  if (!u) return Response::redirect(with_next(kLoginPage, next));
  const auto setup = site.mfa.setup_totp(*u);
  if (!setup) return Response::redirect(kFactors);  // one is active already
  return setup_page(site, req, 200, *setup, next);
}

Response setup_post(Site& site, Request& req) {
  const http::Form f = parse_form(req);
  const std::string next = next_of(req, f);
  const auto u = enrolling_user(site, req);
  if (!u) return Response::redirect(with_next(kLoginPage, next));
  std::vector<std::string> codes;
  const bool enrolling = web::user(req) == nullptr;
  const std::string code = value(f, "code");
  const auth::Outcome o = enrolling ? complete_enrolment(site, req, code, codes)
                                    : site.mfa.confirm_totp(*u, code, client_of(req), codes);
  if (o.ok()) return recovery_codes_page(site, req, codes, enrolling ? safe_next(next, kProfile) : next);
  const auto again = site.mfa.pending_setup(*u);
  if (!again) return Response::redirect(with_next(kSetup, next));
  if (o.kind == auth::Outcome::Kind::field_errors)
    return setup_page(site, req, 400, *again, next, o.errors.begin()->second.front());
  if (o.kind == auth::Outcome::Kind::throttled) return with_retry(setup_page(site, req, 429, *again, next, kTooManyRequests), o);
  return error_page(site, req, o);
}

http::Handler bind(Site& site, Response (*f)(Site&, Request&)) {
  return http::sync([&site, f](Request& req) { return f(site, req); });
}
http::Handler bind(Site& site, void (*f)(Site&, RequestPtr, Responder)) {
  return [&site, f](RequestPtr req, Responder respond) { f(site, std::move(req), std::move(respond)); };
}

}  // namespace

std::string second_step_url(const auth::Outcome& o, const std::string& next) {
  return with_next(o.kind == auth::Outcome::Kind::enrolment ? kSetup : kSecondStep, next);
}

void add_mfa_pages(http::Router& router, Site& site) {
  const auto page = [&site](http::Handler h) { return site.access.login_required(std::move(h), web::Audience::page); };
  router.get(kSecondStep, bind(site, second_step_get));
  router.post(kSecondStep, bind(site, second_step_post));
  router.get(kFactors, page(bind(site, factors_get)));
  router.get(kSetup, bind(site, setup_get));  // also for a session pending enrolment
  router.post(kSetup, bind(site, setup_post));
  router.post("/accounts/mfa/totp/disable/", page(bind(site, disable_post)));
  router.post("/accounts/mfa/recovery-codes/", page(bind(site, renew_post)));
  router.post("/accounts/mfa/passkeys/{id}/remove/", page(bind(site, passkey_remove_post)));
}

}  // namespace gatehouse::accounts
