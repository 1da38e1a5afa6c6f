#include "pages.h"

#include <nlohmann/json.hpp>

#include "background.h"
#include "gatehouse/app/csrf.h"
#include "gatehouse/auth/tokens.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/tasks/tasks.h"
#include "gatehouse/models/field.h"
#include "gatehouse/passwords/hash_pool.h"

namespace gatehouse::app {

namespace {

using nlohmann::json;
using http::Response;

constexpr const char* kProfile = "/accounts/profile/";
const std::string kBadCredentials =
    "Please enter a correct username and password. Note that both fields may be case-sensitive.";
const std::string kMismatch = "The two password fields didn’t match.";
const std::string kRequired = "This field is required.";

using Form = std::map<std::string, std::string>;

// An application/x-www-form-urlencoded body; the last value of a name wins.
Form parse_form(const http::Request& r) {
  Form out;
  std::string_view rest = r.body;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    out[http::percent_decode(part.substr(0, eq), true)] =
        eq == std::string_view::npos ? std::string() : http::percent_decode(part.substr(eq + 1), true);
  }
  return out;
}

struct Field {
  std::string name, label, type, autocomplete, help;
};

struct Page {
  std::shared_ptr<ApiContext> ctx;
  std::shared_ptr<const http::Templates> templates;

  json base(http::Request& req, const std::string& title) const {
    json c = {{"title", title}, {"csrf_token", csrf_token(req)}, {"user", false}};
    if (auto u = request_user(req, *ctx)) c["user"] = {{"username", u->username}, {"email", u->email}};
    return c;
  }
  // The form's fields with their values (never a password's) and errors.
  static json fields(const std::vector<Field>& spec, const Form& values, const FieldErrors& errors) {
    json list = json::array();
    bool first = true;
    for (const auto& f : spec) {
      const auto v = values.find(f.name);
      const auto e = errors.find(f.name);
      json errs = e == errors.end() ? json::array() : json(e->second);
      list.push_back({{"name", f.name},
                      {"label", f.label},
                      {"type", f.type},
                      {"autocomplete", f.autocomplete},
                      {"help", f.help.empty() ? json(false) : json(f.help)},
                      {"value", f.type == "password" || v == values.end() ? "" : v->second},
                      {"errors", errs},
                      {"has_errors", !errs.empty()},
                      {"autofocus", first}});
      first = false;
    }
    return list;
  }
  Response render(int status, const std::string& name, const json& context) const {
    return Response::text(status, templates->render(name, context), "text/html; charset=utf-8");
  }
  Response form(http::Request& req, int status, const std::string& name, const std::string& title,
                const std::vector<Field>& spec, const Form& values, const FieldErrors& errors,
                const std::vector<std::string>& non_field = {}) const {
    json c = base(req, title);
    c["fields"] = fields(spec, values, errors);
    c["non_field_errors"] = non_field.empty() ? json(false) : json{{"list", non_field}};
    const auto next = values.find("next");
    c["next"] = next == values.end() ? "" : next->second;
    return render(status, name, c);
  }
  Response error(http::Request& req, int status, const std::string& title, const std::string& detail) const {
    json c = base(req, title);
    c["detail"] = detail;
    return render(status, "error.html", c);
  }
};

const std::vector<Field> kLoginFields{{"username", "Username", "text", "username", ""},
                                      {"password", "Password", "password", "current-password", ""}};
const std::vector<Field> kSignupFields{
    {"username", "Username", "text", "username", "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."},
    {"email", "Email address", "email", "email", ""},
    {"password1", "Password", "password", "new-password", ""},
    {"password2", "Password confirmation", "password", "new-password", "Enter the same password as before, for verification."}};
const std::vector<Field> kPasswordChangeFields{{"old_password", "Old password", "password", "current-password", ""},
                                               {"new_password1", "New password", "password", "new-password", ""},
                                               {"new_password2", "New password confirmation", "password", "new-password", ""}};

const std::vector<Field> kResetFields{{"email", "Email", "email", "email", ""}};
const std::vector<Field> kSetPasswordFields{{"new_password1", "New password", "password", "new-password", ""},
                                            {"new_password2", "New password confirmation", "password", "new-password", ""}};
constexpr const char* kResetSessionToken = "_password_reset_token";  // Django's INTERNAL_RESET_SESSION_TOKEN
constexpr const char* kSetPassword = "set-password";                 // Django's reset_url_token

FieldErrors missing(const Form& f, const std::vector<Field>& spec) {
  FieldErrors errors;
  for (const auto& field : spec) {
    const auto v = f.find(field.name);
    if (v == f.end() || v->second.empty()) errors[field.name].push_back(kRequired);
  }
  return errors;
}

Response busy_page(const Page& p, http::Request& req) {
  Response r = p.error(req, 503, "Busy", "The server is busy. Please try again in a moment.");
  r.set_header("Retry-After", "1");
  return r;
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

void add_pages(http::Router& router, std::shared_ptr<ApiContext> ctx, std::shared_ptr<const http::Templates> templates,
               const Access& access) {
  const Page p{ctx, std::move(templates)};

  router.get("/", http::sync([](http::Request&) { return Response::redirect(kProfile); }));
  router.get("/static/gatehouse.css", http::sync([p](http::Request&) {
    Response r = Response::text(200, p.templates->render("gatehouse.css", json::object()), "text/css; charset=utf-8");
    r.set_header("Cache-Control", "max-age=3600");
    return r;
  }));

  // ---- login -------------------------------------------------------------------
  router.get("/accounts/login/", http::sync([p](http::Request& req) {
    return p.form(req, 200, "login.html", "Log in", kLoginFields, {{"next", req.query_param("next").value_or("")}}, {});
  }));
  router.post("/accounts/login/", [p](http::RequestPtr req, http::Responder respond) {
    const Form f = parse_form(*req);
    if (auto errors = missing(f, kLoginFields); !errors.empty())
      return respond(p.form(*req, 400, "login.html", "Log in", kLoginFields, f, errors));
    attempt_login(p.ctx, req, f.at("username"), f.at("password"), [p, req, f, respond](LoginOutcome o) mutable {
      switch (o.kind) {
        case LoginOutcome::Kind::ok: {
          const auto next = f.find("next");
          return respond(Response::redirect(safe_next(next == f.end() ? "" : next->second, kProfile)));
        }
        case LoginOutcome::Kind::invalid:
          return respond(p.form(*req, 200, "login.html", "Log in", kLoginFields, f, {}, {kBadCredentials}));
        case LoginOutcome::Kind::throttled: {
          Response r = p.form(*req, 429, "login.html", "Log in", kLoginFields, f, {},
                              {"Too many failed login attempts. Try again later."});
          r.set_header("Retry-After", std::to_string(o.retry_after.count()));
          return respond(std::move(r));
        }
        case LoginOutcome::Kind::busy:
          return respond(busy_page(p, *req));
      }
    });
  });

  // ---- logout (POST, as Django 5; GET asks) ----------------------------------------
  router.get("/accounts/logout/", http::sync([p](http::Request& req) { return p.render(200, "logout.html", p.base(req, "Log out")); }));
  router.post("/accounts/logout/", http::sync([p](http::Request& req) {
    log_out(*p.ctx, req);
    return p.render(200, "logged_out.html", p.base(req, "Logged out"));
  }));

  // ---- signup ------------------------------------------------------------------
  router.get("/accounts/signup/", http::sync([p](http::Request& req) {
    return p.form(req, 200, "signup.html", "Sign up", kSignupFields, {}, {});
  }));
  router.post("/accounts/signup/", [p](http::RequestPtr req, http::Responder respond) {
    const Form f = parse_form(*req);
    FieldErrors errors = missing(f, kSignupFields);
    auth::User u;
    if (errors.empty()) {
      auto problems = signup_errors(*p.ctx, u, f.at("username"), f.at("email"), f.at("password1"));
      for (auto& [k, v] : problems) errors[k == "password" ? "password2" : k] = std::move(v);  // as Django's form
      if (f.at("password1") != f.at("password2")) errors["password2"] = {kMismatch};
    }
    if (!errors.empty()) return respond(p.form(*req, 400, "signup.html", "Sign up", kSignupFields, f, errors));
    try {
      create_user(p.ctx, u, f.at("password1"), [p, req, f, respond](std::optional<auth::User> made, FieldErrors errs) mutable {
        if (!made) return respond(p.form(*req, 400, "signup.html", "Sign up", kSignupFields, f, errs));
        auto c = p.ctx->db->acquire();
        log_in(*p.ctx, *c, *req, *made);
        respond(Response::redirect(kProfile));
      });
    } catch (const passwords::PoolFull&) {
      respond(busy_page(p, *req));
    }
  });

  // ---- password change -------------------------------------------------------------
  router.get("/accounts/password_change/", access.login_required(http::sync([p](http::Request& req) {
    return p.form(req, 200, "password_change.html", "Password change", kPasswordChangeFields, {}, {});
  }), Audience::page));
  router.post("/accounts/password_change/", access.login_required([p](http::RequestPtr req, http::Responder respond) {
    const Form f = parse_form(*req);
    FieldErrors errors = missing(f, kPasswordChangeFields);
    if (errors.empty() && f.at("new_password1") != f.at("new_password2")) errors["new_password2"] = {kMismatch};
    if (!errors.empty())
      return respond(p.form(*req, 400, "password_change.html", "Password change", kPasswordChangeFields, f, errors));
    try {
      change_password(p.ctx, req, *request_user(*req, *p.ctx), f.at("old_password"), f.at("new_password1"),
                      [p, req, f, respond](FieldErrors errs) mutable {
                        if (errs.empty()) return respond(Response::redirect("/accounts/password_change/done/"));
                        FieldErrors shown;
                        for (auto& [k, v] : errs) shown[k == "new_password" ? "new_password2" : k] = std::move(v);
                        respond(p.form(*req, 400, "password_change.html", "Password change", kPasswordChangeFields, f, shown));
                      });
    } catch (const passwords::PoolFull&) {
      respond(busy_page(p, *req));
    }
  }, Audience::page));
  router.get("/accounts/password_change/done/", access.login_required(http::sync([p](http::Request& req) {
    return p.render(200, "password_change_done.html", p.base(req, "Password change successful"));
  }), Audience::page));

  // ---- password reset by an emailed link (Django's four views) ------------------------------
  const auto message = [p](http::Request& req, int status, const std::string& title, const std::string& text,
                           const std::string& href = {}, const std::string& label = {}) {
    json c = p.base(req, title);
    c["text"] = text;
    c["link"] = href.empty() ? json(false) : json{{"href", href}, {"label", label}};
    return p.render(status, "message.html", c);
  };
  router.get("/accounts/password_reset/", http::sync([p](http::Request& req) {
    return p.form(req, 200, "password_reset.html", "Password reset", kResetFields, {}, {});
  }));
  router.post("/accounts/password_reset/", http::sync([p](http::Request& req) {
    const Form f = parse_form(req);
    FieldErrors errors = missing(f, kResetFields);
    const std::string email = errors.empty() ? auth::normalize_email(f.at("email")) : "";
    if (errors.empty() && auth::email_error(email)) errors["email"] = {"Enter a valid email address."};
    if (!errors.empty()) return p.form(req, 400, "password_reset.html", "Password reset", kResetFields, f, errors);
    const auth::Client client = client_of(req);
    if (auto wait = p.ctx->forgot_throttle->retry_after(email, client.address)) {
      Response r = p.form(req, 429, "password_reset.html", "Password reset", kResetFields, f, {},
                          {"Too many requests. Try again later."});
      r.set_header("Retry-After", std::to_string(wait->count()));
      return r;
    }
    p.ctx->forgot_throttle->record_failure(email, client.address);
    {  // the same work for every address: the worker decides whether to email a link
      auto c = p.ctx->db->acquire();
      tasks::enqueue(*c, kPasswordLinkJob, json{{"email", email}}.dump());
    }
    return Response::redirect("/accounts/password_reset/done/");
  }));
  router.get("/accounts/password_reset/done/", http::sync([message](http::Request& req) {
    return message(req, 200, "Password reset sent",
                   "We’ve emailed you instructions for setting your password, if an account exists with the email you "
                   "entered. You should receive them shortly. If you don’t receive an email, please make sure you’ve "
                   "entered the address you registered with, and check your spam folder.");
  }));
  // The user of a reset URL, when the token (from the URL, or from the session
  // once it left the URL) is valid for them.
  const auto reset_user = [p](const std::string& uidb64, const std::string& token) -> std::optional<auth::User> {
    const auto id = auth::uid_from_base64(uidb64);
    if (!id || token.empty()) return std::nullopt;
    auto c = p.ctx->db->acquire();
    auto u = models::Manager<auth::User>(*c).find({models::eq("id", *id)});
    if (!u || !auth::PasswordResetTokenGenerator(p.ctx->config.secret_key).check_token(*u, token)) return std::nullopt;
    return u;
  };
  const auto invalid_link = [message](http::Request& req) {
    return message(req, 200, "Password reset unsuccessful",
                   "The password reset link was invalid, possibly because it has already been used. Please request a "
                   "new password reset.",
                   "/accounts/password_reset/", "Request a new link");
  };
  router.get("/accounts/reset/{uidb64}/{token}/", http::sync([p, reset_user, invalid_link](http::Request& req) {
    const std::string uidb64 = req.params["uidb64"], token = req.params["token"];
    if (token != kSetPassword) {
      // The token leaves the URL (and so the Referer and the history) before the form is shown.
      if (!reset_user(uidb64, token)) return invalid_link(req);
      set_session_value(*p.ctx, req, kResetSessionToken, token);
      return Response::redirect("/accounts/reset/" + uidb64 + "/" + kSetPassword + "/");
    }
    if (!reset_user(uidb64, session_value(req, kResetSessionToken).value_or(""))) return invalid_link(req);
    json c = p.base(req, "Enter new password");
    c["fields"] = Page::fields(kSetPasswordFields, {}, {});
    c["non_field_errors"] = false;
    c["action"] = "/accounts/reset/" + uidb64 + "/" + kSetPassword + "/";
    return p.render(200, "password_reset_confirm.html", c);
  }));
  router.post("/accounts/reset/{uidb64}/{token}/", [p, reset_user, invalid_link](http::RequestPtr req, http::Responder respond) {
    const std::string uidb64 = req->params["uidb64"];
    if (req->params["token"] != kSetPassword) return respond(invalid_link(*req));
    auto user = reset_user(uidb64, session_value(*req, kResetSessionToken).value_or(""));
    if (!user) return respond(invalid_link(*req));
    const Form f = parse_form(*req);
    FieldErrors errors = missing(f, kSetPasswordFields);
    if (errors.empty()) {
      if (f.at("new_password1") != f.at("new_password2")) {
        errors["new_password2"] = {kMismatch};
      } else if (auto problems = password_problems(f.at("new_password1"), *user); !problems.empty()) {
        errors["new_password2"] = problems;
      }
    }
    if (!errors.empty()) {
      json c = p.base(*req, "Enter new password");
      c["fields"] = Page::fields(kSetPasswordFields, f, errors);
      c["non_field_errors"] = false;
      c["action"] = "/accounts/reset/" + uidb64 + "/" + kSetPassword + "/";
      return respond(p.render(400, "password_reset_confirm.html", c));
    }
    try {
      reset_password(p.ctx, req, *user, f.at("new_password1"), [req, respond](bool ok) mutable {
        erase_session_value(*req, kResetSessionToken);
        respond(ok ? Response::redirect("/accounts/reset/done/")
                   : Response::error(500, "internal_error", "the password could not be set"));
      });
    } catch (const passwords::PoolFull&) {
      respond(busy_page(p, *req));
    }
  });
  router.get("/accounts/reset/done/", http::sync([message](http::Request& req) {
    return message(req, 200, "Password reset complete", "Your password has been set. You may go ahead and log in now.",
                   "/accounts/login/", "Log in");
  }));

  // ---- profile: where login lands ----------------------------------------------------
  router.get(kProfile, access.login_required(http::sync([p](http::Request& req) {
    json c = p.base(req, "Your account");
    const auto user = request_user(req, *p.ctx);
    const std::string mine = current_session_key(req);
    json sessions = json::array();
    for (const auto& s : p.ctx->store->for_user(user->id))
      sessions.push_back({{"user_agent", s.user_agent.empty() ? "an unknown browser" : s.user_agent},
                          {"address", s.address},
                          {"last_seen", models::format_timestamp(s.last_seen, db::Engine::postgresql).substr(0, 16)},
                          {"current", s.key == mine}});
    c["sessions"] = sessions;
    return p.render(200, "profile.html", c);
  }), Audience::page));
}

}  // namespace gatehouse::app
