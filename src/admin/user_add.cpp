// The user admin's views that set a password (the add form and <id>/password/,
// hashing on the pool), the sessions panel's action, and the user routes.
#include "gatehouse/accounts/profile.h"
#include "gatehouse/auth/login.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/db/error.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/http/router.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/session.h"
#include "user_form.h"

namespace gatehouse::admin {

namespace user_views {
void change(accounts::Site& site, RequestPtr req, Responder respond);
}

namespace {

using auth::FieldErrors;
using auth::User;

const std::string kMismatch = "The two password fields didn’t match.";
const std::string kRequired = "This field is required.";

// password1 and password2 as Django's SetPasswordMixin checks them: required, equal, the validators.
FieldErrors password_errors(accounts::Site& site, const http::FormPairs& f, const User& user) {
  FieldErrors e;
  const std::string p1 = form_value(f, "password1"), p2 = form_value(f, "password2");
  if (p1.empty()) e["password1"].push_back(kRequired);
  if (p2.empty()) e["password2"].push_back(kRequired);
  if (!e.empty()) return e;
  if (p1 != p2) e["password2"].push_back(kMismatch);
  else if (auto problems = site.accounts.password_problems(p2, user); !problems.empty()) e["password2"] = problems;
  return e;
}

json password_fields(const FieldErrors& e, bool usable_choice, bool usable) {
  const auto f = [&](const char* name, const char* label, const char* help) {
    const auto it = e.find(name);
    json errs = it == e.end() ? json::array() : json(it->second);
    return json{{"name", name}, {"label", label}, {"help", help}, {"errors", errs}, {"has_errors", !errs.empty()}};
  };
  json c = {{"password1", f("password1", "Password", "")},
            {"password2", f("password2", "Password confirmation", "Enter the same password as before, for verification.")},
            {"usable_choice", usable_choice}, {"usable", usable}};
  return c;
}

// ---- add ---------------------------------------------------------------------------------------

Response add_page(accounts::Site& site, Request& req, const http::FormPairs& f, const FieldErrors& e) {
  json c = base(site, req, "Add user");
  c["model"] = model_context(user_admin());
  const std::string name = form_value(f, "username");
  const auto it = e.find("username");
  c["username"] = {{"value", name}, {"errors", it == e.end() ? json::array() : json(it->second)}, {"has_errors", it != e.end()}};
  c["passwords"] = password_fields(e, true, form_value(f, "usable_password") != "false");
  ProfileForm profile = parse_profile_form(f);
  if (!form_has(f, "profile-TOTAL_FORMS")) profile = profile_form_of(accounts::Profile{});
  c["inline"] = profile_inline(profile, e, false, 0, 0, true);
  c["errors"] = e.empty() ? json(false) : json(e.size() == 1 ? "Please correct the error below." : "Please correct the errors below.");
  return render(site, 200, "admin/user_add_form.html", c);
}

// Creates the user (the profile receiver makes the profile; the inline's
// values go into that one, never a second) and logs the addition.
std::optional<User> create_user(accounts::Site& site, Request& req, User u, const http::FormPairs& f) {
  auto conn = site.db.acquire();
  db::Transaction tx(*conn);
  try {
    u = models::Manager<User>(*conn).create(std::move(u));
  } catch (const db::DatabaseError& e) {
    if (e.kind() != db::ErrorKind::unique_violation) throw;
    return std::nullopt;  // the name was taken meanwhile
  }
  ojson message = ojson::array({{{"added", ojson::object()}}});
  if (form_has(f, "profile-TOTAL_FORMS")) {
    auto p = models::Manager<accounts::Profile>(*conn).find({models::eq("user_id", u.id)})
                 .value_or(accounts::Profile{.user_id = u.id});
    const ProfileForm before = profile_form_of(accounts::Profile{}), after = parse_profile_form(f);
    apply_profile(after, p);
    models::Manager<accounts::Profile>(*conn).save(p);
    if (!changed_profile_labels(before, after).empty())  // Django saves (and names) an inline form only when changed
      message.push_back({{"added", {{"name", "profile"}, {"object", u.username}}}});
  }
  record(*conn, req, *staff_user(req), user_admin(), u.id, u.username, Action::addition, django_json(message),
         {{"username", {{"old", nullptr}, {"new", u.username}}}, {"password", "[redacted]"}});
  tx.commit();
  return u;
}

void finish_add(accounts::Site& site, const RequestPtr& req, const Responder& respond, User u, const http::FormPairs& f) {
  auto made = create_user(site, *req, std::move(u), f);
  if (!made) return respond(add_page(site, *req, f, {{"username", {"A user with that username already exists."}}}));
  respond(after_save(user_admin(), *req, f, made->id, made->username, true, /*always_continue=*/true));
}

void add_view(accounts::Site& site, RequestPtr req, Responder respond) {
  guarded(site, req, respond, [&] {
    {
      auto conn = site.db.acquire();
      const Perms p = perms_for(*conn, *staff_user(*req), "user");
      if (!p.add || !p.change) return respond(denied(site, *req));  // Django: adding users needs add and change
    }
    const http::FormPairs f = form_pairs(*req);
    if (req->method != "POST") return respond(add_page(site, *req, {}, {}));
    User u;
    FieldErrors e;
    try {
      u.username = auth::normalize_username(form_value(f, "username"));
    } catch (const std::invalid_argument&) {
      e["username"].push_back("Enter a valid username.");
    }
    if (u.username.empty() && e.empty()) e["username"].push_back(kRequired);
    else if (auto bad = auth::username_error(u.username); bad && e.empty()) e["username"].push_back(*bad);
    else if (auto c = site.db.acquire(); e.empty() && models::Manager<User>(*c).exists({models::eq("username", u.username)}))
      e["username"].push_back("A user with that username already exists.");
    const bool usable = form_value(f, "usable_password") != "false";  // Django 5's "Password-based authentication"
    if (usable) e.merge(password_errors(site, f, u));
    if (form_has(f, "profile-TOTAL_FORMS")) e.merge(validate_profile_form(parse_profile_form(f)));
    if (!e.empty()) return respond(add_page(site, *req, f, e));
    if (!usable) {
      u.set_unusable_password();
      return finish_add(site, req, respond, std::move(u), f);
    }
    site.accounts.parts().pool.make_password(form_value(f, "password1"), [&site, req, respond, u, f](const std::string* encoded,
                                                                                                   std::exception_ptr err) mutable {
      guarded(site, req, respond, [&] {
        if (encoded == nullptr) std::rethrow_exception(err);
        u.set_password(auth::EncodedPassword::from_hash(*encoded));
        finish_add(site, req, respond, std::move(u), f);
      });
    });
  });
}

// ---- <id>/password/ ----------------------------------------------------------------------------

Response password_page(accounts::Site& site, Request& req, const User& u, const FieldErrors& e) {
  json c = base(site, req, "Change password: " + u.username);
  c["model"] = model_context(user_admin());
  c["object"] = {{"id", u.id}, {"repr", u.username}, {"href", user_admin().change_url(u.id)}};
  c["passwords"] = password_fields(e, false, true);
  c["errors"] = e.empty() ? json(false) : json(e.size() == 1 ? "Please correct the error below." : "Please correct the errors below.");
  return render(site, 200, "admin/password_change_form.html", c);
}

// Saves the new hash and logs it as Django's user_change_password does; the
// user's other sessions end (the actor's own stays, with its new auth hash).
void store_password(accounts::Site& site, const RequestPtr& req, User u, const std::string& encoded) {
  u.set_password(auth::EncodedPassword::from_hash(encoded));
  {
    auto conn = site.db.acquire();
    db::Transaction tx(*conn);
    models::Manager<User>(*conn).save(u, {.update_fields = {"password"}});
    record(*conn, *req, *staff_user(*req), user_admin(), u.id, u.username, Action::change,
           R"([{"changed": {"fields": ["password"]}}])", {{"password", "[redacted]"}});
    tx.commit();
  }
  web::Session& s = web::session(*req);
  const bool self = staff_user(*req)->id == u.id;
  site.sessions.remove_for_user(u.id, self ? s.key() : std::string());
  if (self) {
    auth::update_session_auth_hash(s.for_update(), u, site.secret_key);  // Django's update_session_auth_hash
    web::set_user(*req, u);
  }
}

void password_view(accounts::Site& site, RequestPtr req, Responder respond) {
  guarded(site, req, respond, [&] {
    const auto id = id_param(*req);
    std::optional<User> u;
    {
      auto conn = site.db.acquire();
      if (!perms_for(*conn, *staff_user(*req), "user").change) return respond(denied(site, *req));
      if (id) u = models::Manager<User>(*conn).find({models::eq("id", *id)});
    }
    if (!u) return respond(missing(*req, "user", req->params["id"]));
    if (req->method != "POST") return respond(password_page(site, *req, *u, {}));
    const http::FormPairs f = form_pairs(*req);
    if (auto e = password_errors(site, f, *u); !e.empty()) return respond(password_page(site, *req, *u, e));
    site.accounts.parts().pool.make_password(form_value(f, "password1"), [&site, req, respond, u = *u](const std::string* encoded,
                                                                                                      std::exception_ptr err) {
      guarded(site, req, respond, [&] {
        if (encoded == nullptr) std::rethrow_exception(err);
        store_password(site, req, u, *encoded);
        add_message(*req, "success", "Password changed successfully.");
        respond(Response::redirect(user_admin().change_url(u.id)));
      });
    });
  });
}

// ---- the sessions panel --------------------------------------------------------------------------

Response end_sessions(accounts::Site& site, Request& req) {
  const auto id = id_param(req);
  std::optional<User> u;
  {
    auto conn = site.db.acquire();
    if (!perms_for(*conn, *staff_user(req), "user").change) return denied(site, req);
    if (id) u = models::Manager<User>(*conn).find({models::eq("id", *id)});
  }
  if (!u) return missing(req, "user", req.params["id"]);
  const std::string which = form_value(form_pairs(req), "session");
  std::size_t ended = 0;
  if (which == "all") {
    ended = site.sessions.remove_for_user(u->id);
  } else {
    for (const auto& s : site.sessions.for_user(u->id))
      if (accounts::session_public_id(s.key) == which && site.sessions.remove(s.key)) ++ended;
  }
  if (ended == 0) {
    add_message(req, "warning", "No session was ended: it had already ended.");
    return Response::redirect(user_admin().change_url(u->id));
  }
  const std::string text = which == "all" ? "Ended all " + std::to_string(ended) + (ended == 1 ? " session." : " sessions.")
                                          : std::string("Ended 1 session.");
  {
    auto conn = site.db.acquire();
    db::Transaction tx(*conn);
    record(*conn, req, *staff_user(req), user_admin(), u->id, u->username, Action::change, text,
           {{"sessions_ended", ended}});
    tx.commit();
  }
  add_message(req, "success", text);
  return Response::redirect(user_admin().change_url(u->id));
}

}  // namespace

void add_user_routes(http::Router& router, accounts::Site& site) {
  const ModelAdmin& ma = user_admin();
  const auto list = [](accounts::Site& s, Request& r) { return changelist(s, user_admin(), r); };
  const auto action = [](accounts::Site& s, Request& r) { return changelist_action(s, user_admin(), r); };
  const auto remove = [](accounts::Site& s, Request& r) { return delete_view(s, user_admin(), r); };
  const auto history = [](accounts::Site& s, Request& r) { return history_view(s, user_admin(), r); };
  router.get(ma.url(), staff_view(site, list));
  router.post(ma.url(), staff_view(site, action));
  router.get(ma.url("add/"), staff_async(site, add_view));
  router.post(ma.url("add/"), staff_async(site, add_view));
  for (const char* m : {"GET", "POST"}) {
    router.add(m, ma.url("{id}/change/"), staff_async(site, user_views::change));
    router.add(m, ma.url("{id}/password/"), staff_async(site, password_view));
    router.add(m, ma.url("{id}/delete/"), staff_view(site, remove));
  }
  router.get(ma.url("{id}/history/"), staff_view(site, history));
  router.post(ma.url("{id}/sessions/end/"), staff_view(site, end_sessions));
  add_user_tool_routes(router, site);
}

}  // namespace gatehouse::admin
