// The HTML pages under /accounts/: plain forms that work without JavaScript,
// rendered from the templates (built in, or a deployer's
// GATEHOUSE_TEMPLATES_DIR). Each page is a short function over one
// auth::Accounts operation; an Outcome becomes a page by show() below, once.
#include <nlohmann/json.hpp>

#include "gatehouse/accounts/site.h"
#include "gatehouse/auth/tokens.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/csrf.h"
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
using auth::FieldErrors;
using http::Form;

const std::string kMismatch = "The two password fields didn’t match.";
constexpr const char* kResetSessionToken = "_password_reset_token";  // Django's INTERNAL_RESET_SESSION_TOKEN
constexpr const char* kSetPassword = "set-password";                 // Django's reset_url_token

}  // namespace

// ---- the parts every page is made of (page_parts.h) ----------------------------------------------

Form parse_form(const Request& r) { return http::parse_form(r.body); }

namespace {

const FormPage kLogin{"login.html", "Log in",
                      {{"username", "Username", "text", "username", ""},
                       {"password", "Password", "password", "current-password", ""}}};
const FormPage kSignup{
    "signup.html",
    "Sign up",
    {{"username", "Username", "text", "username", "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."},
     {"email", "Email address", "email", "email", ""},
     {"password1", "Password", "password", "new-password", ""},
     {"password2", "Password confirmation", "password", "new-password", "Enter the same password as before, for verification."}}};
const FormPage kPasswordChange{"password_change.html", "Password change",
                               {{"old_password", "Old password", "password", "current-password", ""},
                                {"new_password1", "New password", "password", "new-password", ""},
                                {"new_password2", "New password confirmation", "password", "new-password", ""}}};
const FormPage kReset{"password_reset.html", "Password reset", {{"email", "Email", "email", "email", ""}}};
const FormPage kSetPasswordPage{"password_reset_confirm.html", "Enter new password",
                                {{"new_password1", "New password", "password", "new-password", ""},
                                 {"new_password2", "New password confirmation", "password", "new-password", ""}}};

}  // namespace

json base(const Request& req, const std::string& title) {
  json c = {{"title", title}, {"csrf_token", web::csrf_token(const_cast<Request&>(req))}, {"user", false}};
  if (const auth::User* u = web::user(req)) c["user"] = {{"username", u->username}, {"email", u->email}};
  return c;
}

Response render(const Site& site, int status, const std::string& name, const json& context) {
  return Response::text(status, site.templates->render(name, context), "text/html; charset=utf-8");
}

json fields(const std::vector<Field>& spec, const Form& values, const FieldErrors& errors) {
  json list = json::array();
  bool first = true;
  for (const auto& f : spec) {
    const auto v = values.find(f.name);
    const auto e = errors.find(f.name);
    json errs = e == errors.end() ? json::array() : json(e->second);
    list.push_back({{"name", f.name}, {"label", f.label}, {"type", f.type}, {"autocomplete", f.autocomplete},
                    {"help", f.help.empty() ? json(false) : json(f.help)},
                    {"value", f.type == "password" || v == values.end() ? "" : v->second}, {"errors", errs},
                    {"has_errors", !errs.empty()}, {"autofocus", first}});
    first = false;
  }
  return list;
}

Response form(const Site& site, const Request& req, int status, const FormPage& page, const Form& values,
              const FieldErrors& errors, const std::vector<std::string>& non_field, const std::string& action) {
  json c = base(req, page.title);
  c["fields"] = fields(page.fields, values, errors);
  c["non_field_errors"] = non_field.empty() ? json(false) : json{{"list", non_field}};
  const auto next = values.find("next");
  c["next"] = next == values.end() ? "" : next->second;
  if (!action.empty()) c["action"] = action;
  return render(site, status, page.template_name, c);
}

Response message(const Site& site, const Request& req, int status, const std::string& title, const std::string& text,
                 const std::string& href, const std::string& label) {
  json c = base(req, title);
  c["text"] = text;
  c["link"] = href.empty() ? json(false) : json{{"href", href}, {"label", label}};
  return render(site, status, "message.html", c);
}

Response error_page(const Site& site, const Request& req, const auth::Outcome& o) {
  json c;
  try {
    c = base(req, "Unavailable");
  } catch (...) {  // the fault may be the session's or the user's own: show the page without them
    c = {{"title", "Unavailable"}, {"csrf_token", ""}, {"user", false}};
  }
  c["detail"] = o.kind == auth::Outcome::Kind::busy ? "The server is busy. Please try again in a moment."
                                                    : "The service is unavailable. Please try again in a moment.";
  Response r = render(site, 503, "error.html", c);
  r.set_header("Retry-After", std::to_string(std::max<long long>(1, o.retry_after.count())));
  return r;
}

Response show(const Site& site, const Request& req, const FormPage& page, const Form& f, const auth::Outcome& o,
              const std::map<std::string, std::string>& rename, const std::string& bad_credentials) {
  using Kind = auth::Outcome::Kind;
  switch (o.kind) {
    case Kind::field_errors: {
      FieldErrors shown;
      for (const auto& [k, v] : o.errors) {
        const auto r = rename.find(k);
        shown[r == rename.end() ? k : r->second] = v;
      }
      return form(site, req, 400, page, f, shown);
    }
    case Kind::bad_credentials:
      return form(site, req, 200, page, f, {}, {bad_credentials});
    case Kind::unconfirmed:
      return form(site, req, 200, page, f, {}, {kConfirmFirst});
    case Kind::throttled: {
      Response r = form(site, req, 429, page, f, {}, {page.template_name == "login.html" ? kTooManyLogins : kTooManyRequests});
      r.set_header("Retry-After", std::to_string(o.retry_after.count()));
      return r;
    }
    default:
      return error_page(site, req, o);
  }
}

FieldErrors missing(const Form& f, const std::vector<Field>& spec) {
  FieldErrors errors;
  for (const auto& field : spec) {
    const auto v = f.find(field.name);
    if (v == f.end() || v->second.empty()) errors[field.name].push_back(kRequired);
  }
  return errors;
}

std::string value(const Form& f, const std::string& name) {
  const auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

namespace {

// ---- login, logout, signup ---------------------------------------------------------------

void login_post(Site& site, RequestPtr req, Responder respond) {
  const Form f = parse_form(*req);
  if (auto errors = missing(f, kLogin.fields); !errors.empty()) return respond(form(site, *req, 400, kLogin, f, errors));
  log_in(site, req, {f.at("username"), f.at("password")}, [&site, req, f, respond](auth::Outcome o) {
    if (o.pending()) return respond(Response::redirect(second_step_url(o, value(f, "next"))));
    if (!o.ok()) return respond(show(site, *req, kLogin, f, o));
    respond(Response::redirect(safe_next(value(f, "next"), kProfile)));
  });
}

void signup_post(Site& site, RequestPtr req, Responder respond) {
  const Form f = parse_form(*req);
  FieldErrors errors = missing(f, kSignup.fields);
  if (errors.empty() && f.at("password1") != f.at("password2")) errors["password2"] = {kMismatch};
  if (!errors.empty()) return respond(form(site, *req, 400, kSignup, f, errors));
  site.accounts.signup({f.at("username"), f.at("email"), f.at("password1")}, client_of(*req), [&site, req, f, respond](auth::Outcome o) {
    if (o.ok()) o = log_in_user(site, *req, *o.user);
    if (o.pending()) return respond(Response::redirect(second_step_url(o, kProfile)));  // enrol first
    if (!o.ok()) return respond(show(site, *req, kSignup, f, o, {{"password", "password2"}}));  // as Django's form
    respond(Response::redirect(kProfile));
  });
}

Response logout_post(Site& site, Request& req) {
  if (auto o = log_out(site, req); !o.ok()) return error_page(site, req, o);
  return render(site, 200, "logged_out.html", base(req, "Logged out"));
}

// ---- password change ---------------------------------------------------------------------------

void password_change_post(Site& site, RequestPtr req, Responder respond) {
  const Form f = parse_form(*req);
  FieldErrors errors = missing(f, kPasswordChange.fields);
  if (errors.empty() && f.at("new_password1") != f.at("new_password2")) errors["new_password2"] = {kMismatch};
  if (!errors.empty()) return respond(form(site, *req, 400, kPasswordChange, f, errors));
  change_password(site, req, *web::user(*req), f.at("old_password"), f.at("new_password1"),
                  [&site, req, f, respond](auth::Outcome o) {
                    if (o.ok()) return respond(Response::redirect("/accounts/password_change/done/"));
                    respond(show(site, *req, kPasswordChange, f, o, {{"new_password", "new_password2"}}));
                  });
}

// ---- password reset by an emailed link (Django's four views) -------------------------------------

Response password_reset_post(Site& site, Request& req) {
  const Form f = parse_form(req);
  if (auto errors = missing(f, kReset.fields); !errors.empty()) return form(site, req, 400, kReset, f, errors);
  const auth::Outcome o = site.accounts.forgot(f.at("email"), client_of(req), auth::kPasswordLinkJob);
  if (!o.ok()) return show(site, req, kReset, f, o);
  return Response::redirect("/accounts/password_reset/done/");
}

// The user of a reset URL, when the token (from the URL, or from the session
// once it left the URL) is valid for them.
std::optional<auth::User> reset_user(const Site& site, const std::string& uidb64, const std::string& token) {
  const auto id = auth::uid_from_base64(uidb64);
  if (!id || token.empty()) return std::nullopt;
  auto c = site.db.acquire();
  auto u = models::Manager<auth::User>(*c).find({models::eq("id", *id)});
  if (!u || !auth::PasswordResetTokenGenerator(site.secret_key).check_token(*u, token)) return std::nullopt;
  return u;
}

Response invalid_link(const Site& site, const Request& req) {
  return message(site, req, 200, "Password reset unsuccessful",
                 "The password reset link was invalid, possibly because it has already been used. Please request a "
                 "new password reset.",
                 "/accounts/password_reset/", "Request a new link");
}

std::string set_password_url(const std::string& uidb64) { return "/accounts/reset/" + uidb64 + "/" + kSetPassword + "/"; }

Response reset_confirm_get(Site& site, Request& req) {
  const std::string uidb64 = req.params["uidb64"], token = req.params["token"];
  web::Session& session = web::session(req);
  if (token != kSetPassword) {
    // The token leaves the URL (and so the Referer and the history) before the form is shown.
    if (!reset_user(site, uidb64, token)) return invalid_link(site, req);
    session.set(kResetSessionToken, token);
    return Response::redirect(set_password_url(uidb64));
  }
  if (!reset_user(site, uidb64, session.get(kResetSessionToken).value_or(""))) return invalid_link(site, req);
  Response r = form(site, req, 200, kSetPasswordPage, {}, {}, {}, set_password_url(uidb64));
  r.set_header("Cache-Control", "no-store");  // a page that sets someone's password: never from a cache
  return r;
}

void reset_confirm_post(Site& site, RequestPtr req, Responder respond) {
  const std::string uidb64 = req->params["uidb64"];
  if (req->params["token"] != kSetPassword) return respond(invalid_link(site, *req));
  auto user = reset_user(site, uidb64, web::session(*req).get(kResetSessionToken).value_or(""));
  if (!user) return respond(invalid_link(site, *req));
  const Form f = parse_form(*req);
  FieldErrors errors = missing(f, kSetPasswordPage.fields);
  if (errors.empty() && f.at("new_password1") != f.at("new_password2")) errors["new_password2"] = {kMismatch};
  if (!errors.empty()) return respond(form(site, *req, 400, kSetPasswordPage, f, errors, {}, set_password_url(uidb64)));
  site.accounts.set_password(*user, f.at("new_password1"), client_of(*req), [&site, req, f, uidb64, respond](auth::Outcome o) {
    if (o.ok()) {
      web::session(*req).erase(kResetSessionToken);
      return respond(Response::redirect("/accounts/reset/done/"));
    }
    if (o.kind != auth::Outcome::Kind::field_errors) return respond(error_page(site, *req, o));
    FieldErrors shown{{"new_password2", o.errors["new_password"]}};
    respond(form(site, *req, 400, kSetPasswordPage, f, shown, {}, set_password_url(uidb64)));
  });
}

// ---- email confirmation (django-allauth's confirm-email view) --------------------------------------
// GET shows a button and changes nothing (a mail scanner that follows the
// link confirms nothing); POST confirms.

Response confirm_email_get(Site& site, Request& req) {
  json c = base(req, "Confirm your email address");
  c["text"] = "Confirm that this address is yours by pressing the button.";
  c["link"] = false;
  c["action"] = req.path;
  return render(site, 200, "confirm_email.html", c);
}

Response confirm_email_post(Site& site, Request& req) {
  const auth::Outcome o = site.accounts.confirm_email(req.params["key"]);
  if (o.kind == auth::Outcome::Kind::bad_credentials)
    return message(site, req, 200, "Confirmation link invalid",
                   "This confirmation link is not valid: it has expired, or the address has changed. Log in to be sent "
                   "a new one.",
                   "/accounts/login/", "Log in");
  if (!o.ok()) return error_page(site, req, o);
  return message(site, req, 200, "Email address confirmed", "Thank you: your email address is confirmed.",
                 "/accounts/login/", "Log in");
}

// ---- profile: where login lands ---------------------------------------------------------------------

Response profile(Site& site, Request& req) {
  json c = base(req, "Your account");
  const auth::User* u = web::user(req);
  const std::string mine = web::session(req).key();
  json list = json::array();
  for (const auto& s : site.sessions.for_user(u->id))
    list.push_back({{"user_agent", s.user_agent.empty() ? "an unknown browser" : s.user_agent},
                    {"address", s.address},
                    {"last_seen", models::format_timestamp(s.last_seen, db::Engine::postgresql).substr(0, 16)},
                    {"current", s.key == mine}});
  c["sessions"] = list;
  return render(site, 200, "profile.html", c);
}

// ---- binding ----------------------------------------------------------------------------------------

http::Handler bind(Site& site, void (*f)(Site&, RequestPtr, Responder)) {
  return [&site, f](RequestPtr req, Responder respond) { f(site, std::move(req), std::move(respond)); };
}
http::Handler bind(Site& site, Response (*f)(Site&, Request&)) {
  return http::sync([&site, f](Request& req) { return f(site, req); });
}
// A page that only shows a form (or a template) on GET.
http::Handler show_form(Site& site, const FormPage& page) {
  return http::sync([&site, &page](Request& req) {
    return form(site, req, 200, page, {{"next", req.query_param("next").value_or("")}}, {});
  });
}
http::Handler show_message(Site& site, std::string title, std::string text, std::string href = {}, std::string label = {}) {
  return http::sync([&site, title, text, href, label](Request& req) { return message(site, req, 200, title, text, href, label); });
}
http::Handler show_template(Site& site, std::string name, std::string title) {
  return http::sync([&site, name, title](Request& req) { return render(site, 200, name, base(req, title)); });
}

}  // namespace

std::string safe_next(const std::string& next, const std::string& fallback) {
  // A path on this site: one leading slash, no scheme, no backslash tricks, no control characters.
  if (next.empty() || next[0] != '/' || next.starts_with("//") || next.find('\\') != std::string::npos) return fallback;
  for (const char ch : next) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return fallback;
  }
  return next;
}

web::FaultPage fault_page(const Site& site) {
  return [&site](const Request& req, const auth::Outcome& o) { return error_page(site, req, o); };
}

void add_pages(http::Router& router, Site& site) {
  const auto page = [&site](http::Handler h) { return site.access.login_required(std::move(h), web::Audience::page); };
  router.get("/", http::sync([](Request&) { return Response::redirect(kProfile); }));
  router.get("/static/gatehouse.css", http::sync([&site](Request&) {
    Response r = Response::text(200, site.templates->render("gatehouse.css", json::object()), "text/css; charset=utf-8");
    r.set_header("Cache-Control", "max-age=3600");
    return r;
  }));
  router.get("/static/gatehouse-webauthn.js", http::sync([&site](Request&) {  // passkeys: the one script
    Response r = Response::text(200, site.templates->render("gatehouse-webauthn.js", json::object()),
                                "text/javascript; charset=utf-8");
    r.set_header("Cache-Control", "max-age=3600");
    return r;
  }));
  router.get("/accounts/login/", show_form(site, kLogin));
  router.post("/accounts/login/", bind(site, login_post));
  router.get("/accounts/logout/", show_template(site, "logout.html", "Log out"));  // POST logs out, as Django 5
  router.post("/accounts/logout/", bind(site, logout_post));
  router.get("/accounts/signup/", show_form(site, kSignup));
  router.post("/accounts/signup/", bind(site, signup_post));
  router.get("/accounts/password_change/", page(show_form(site, kPasswordChange)));
  router.post("/accounts/password_change/", page(bind(site, password_change_post)));
  router.get("/accounts/password_change/done/",
             page(show_template(site, "password_change_done.html", "Password change successful")));
  router.get("/accounts/password_reset/", show_form(site, kReset));
  router.post("/accounts/password_reset/", bind(site, password_reset_post));
  router.get("/accounts/password_reset/done/",
             show_message(site, "Password reset sent",
                          "We’ve emailed you instructions for setting your password, if an account exists with the email "
                          "you entered. You should receive them shortly. If you don’t receive an email, please make sure "
                          "you’ve entered the address you registered with, and check your spam folder."));
  router.get("/accounts/reset/{uidb64}/{token}/", bind(site, reset_confirm_get));
  router.post("/accounts/reset/{uidb64}/{token}/", bind(site, reset_confirm_post));
  router.get("/accounts/reset/done/", show_message(site, "Password reset complete",
                                                   "Your password has been set. You may go ahead and log in now.",
                                                   "/accounts/login/", "Log in"));
  router.get("/accounts/confirm-email/{key}/", bind(site, confirm_email_get));
  router.post("/accounts/confirm-email/{key}/", bind(site, confirm_email_post));
  router.get(kProfile, page(bind(site, profile)));
  add_mfa_pages(router, site);
}

}  // namespace gatehouse::accounts
