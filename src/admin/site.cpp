// The admin site's own pages: login (through auth::Accounts::login, staff
// only, the same throttle as every login), logout (POST, as Django 5), the
// index with the app list and "Recent actions", and the stylesheet.
#include "common.h"
#include "gatehouse/admin/site.h"
#include "gatehouse/http/router.h"
#include "gatehouse/web/authentication.h"

namespace gatehouse::admin {

std::map<std::string, std::string> embedded_templates();  // generated from templates/admin/

namespace {

const std::string kStaffLogin =
    "Please enter the correct username and password for a staff account. Note that both fields may be case-sensitive.";

Response login_page(accounts::Site& site, Request& req, const std::string& username, const std::string& next, int status,
                    const std::string& error) {
  json c = base(site, req, "Log in");
  c["username"] = username;
  c["next"] = next;
  c["action"] = req.path + (req.query.empty() ? "" : "?" + req.query);
  c["error"] = error.empty() ? json(false) : json(error);
  const auth::User* u = web::user(req);
  c["unauthorized"] = u != nullptr && staff_user(req) == nullptr ? json(u->username) : json(false);
  return render(site, status, "admin/login.html", c);
}

void login(accounts::Site& site, RequestPtr req, Responder respond) {
  const std::string query_next = req->query_param("next").value_or("");
  if (req->method != "POST") {
    if (staff_user(*req) != nullptr) return respond(Response::redirect(accounts::safe_next(query_next, kRoot)));
    return respond(login_page(site, *req, "", query_next.empty() ? kRoot : query_next, 200, ""));
  }
  const http::FormPairs f = form_pairs(*req);
  std::string next = form_value(f, "next");
  if (next.empty()) next = query_next;
  const std::string username = form_value(f, "username"), password = form_value(f, "password");
  if (username.empty() || password.empty())
    return respond(login_page(site, *req, username, next, 200, kStaffLogin));
  auth::Credentials credentials{username, password, [](const auth::User& u) { return u.is_active && u.is_staff; }};
  accounts::log_in(site, req, std::move(credentials), [&site, req, respond, username, next](auth::Outcome o) {
    guarded(site, req, respond, [&] {
      using Kind = auth::Outcome::Kind;
      if (o.ok()) return respond(Response::redirect(accounts::safe_next(next, "/accounts/profile/")));
      if (o.pending()) return respond(Response::redirect(accounts::second_step_url(o, accounts::safe_next(next, kRoot))));
      if (o.kind == Kind::bad_credentials || o.kind == Kind::unconfirmed)
        return respond(login_page(site, *req, username, next, 200, kStaffLogin));
      if (o.kind == Kind::throttled) {
        Response r = login_page(site, *req, username, next, 429, "Too many failed login attempts. Try again later.");
        r.set_header("Retry-After", std::to_string(o.retry_after.count()));
        return respond(std::move(r));
      }
      respond(accounts::fault_page(site)(*req, o));
    });
  });
}

Response logout(accounts::Site& site, Request& req) {
  if (web::user(req) == nullptr) return Response::redirect(kRoot);
  if (auto o = accounts::log_out(site, req); !o.ok()) return accounts::fault_page(site)(req, o);
  if (auto next = req.query_param("next"); next && !next->empty()) return Response::redirect(accounts::safe_next(*next, kRoot));
  return render(site, 200, "admin/logged_out.html", base(site, req, "Logged out"));
}

json app_list(db::Connection& conn, const auth::User& u) {
  json models = json::array();
  for (const ModelAdmin* ma : {&group_admin(), &user_admin()}) {
    const Perms p = perms_for(conn, u, ma->model);
    if (!p.any()) continue;
    std::string plural = ma->verbose_name_plural;
    plural[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(plural[0])));
    models.push_back({{"name", plural}, {"model", ma->model}, {"url", p.view ? json(ma->url()) : json(false)},
                      {"add_url", p.add ? json(ma->url("add/")) : json(false)}, {"view_only", !p.change}});
  }
  if (models.empty()) return json::array();
  return json::array({{{"name", "Authentication and Authorization"}, {"label", "auth"}, {"models", models}}});
}

// The acting user's ten latest actions (Django's get_admin_log ... for_user user).
json recent_actions(db::Connection& conn, const auth::User& u) {
  const db::Result r = conn.execute(
      "SELECT l.action_flag, l.object_repr, l.object_id, c.app_label, c.model FROM django_admin_log l LEFT JOIN "
      "django_content_type c ON c.id = l.content_type_id WHERE l.user_id = ? ORDER BY l.action_time DESC, l.id DESC LIMIT 10",
      {db::Value(u.id)});
  json out = json::array();
  for (const auto& row : r.rows) {
    const auto flag = row[0].as_int();
    const std::string app = row[3].is_null() ? "" : row[3].as_text(), model = row[4].is_null() ? "" : row[4].as_text();
    const bool linkable = flag != 3 && app == "auth" && (model == "user" || model == "group") && !row[2].is_null();
    std::string type = model.empty() ? "Unknown content" : model;
    type[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type[0])));
    out.push_back({{"class", flag == 1 ? "addlink" : flag == 2 ? "changelink" : "deletelink"}, {"repr", row[1].as_text()},
                   {"href", linkable ? json(std::string(kRoot) + "auth/" + model + "/" + row[2].as_text() + "/change/") : json(false)},
                   {"type", type}});
  }
  return out;
}

Response index(accounts::Site& site, Request& req) {
  auto conn = site.db.acquire();
  const auth::User& u = *staff_user(req);
  json c = base(site, req, "Site administration");
  c["apps"] = app_list(*conn, u);
  c["recent"] = recent_actions(*conn, u);
  c["has_recent"] = !c["recent"].empty();
  return render(site, 200, "admin/index.html", c);
}

Response static_file(accounts::Site& site, const std::string& name, const std::string& type) {
  Response r = Response::text(200, site.templates->render(name, json::object()), type);
  r.set_header("Cache-Control", "max-age=3600");
  return r;
}

}  // namespace

std::map<std::string, std::string> builtin_templates() { return embedded_templates(); }

void add_routes(http::Router& router, accounts::Site& site) {
  router.get("/admin/login/", [&site](RequestPtr r, Responder s) { login(site, std::move(r), std::move(s)); });
  router.post("/admin/login/", [&site](RequestPtr r, Responder s) { login(site, std::move(r), std::move(s)); });
  router.post("/admin/logout/", http::sync([&site](Request& r) { return logout(site, r); }));
  router.get(kRoot, staff_view(site, index));
  router.get("/admin/auth/", http::sync([](Request&) { return Response::redirect(kRoot); }));
  router.get("/static/admin/gatehouse-admin.css", http::sync([&site](Request&) {
    return static_file(site, "admin/admin.css", "text/css; charset=utf-8");
  }));
  for (const char* icon : {"icon-yes.svg", "icon-no.svg"})
    router.get(std::string("/static/admin/img/") + icon, http::sync([&site, icon](Request&) {
      return static_file(site, std::string("admin/") + icon, "image/svg+xml");
    }));
  add_user_routes(router, site);
  add_group_routes(router, site);
}

}  // namespace gatehouse::admin
