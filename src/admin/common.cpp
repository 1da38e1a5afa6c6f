#include "common.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "gatehouse/auth/outcome.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/csrf.h"
#include "gatehouse/web/session.h"

namespace gatehouse::admin {

namespace {
constexpr const char* kMessagesKey = "_admin_messages";

// Django 5's app verbose names, for the permission labels.
std::string app_verbose_name(const std::string& app_label) {
  static const std::map<std::string, std::string> names = {{"auth", "Authentication and Authorization"},
                                                           {"contenttypes", "Content Types"},
                                                           {"sessions", "Sessions"},
                                                           {"admin", "Administration"},
                                                           {"accounts", "Accounts"},
                                                           {"account", "Accounts"}};
  const auto it = names.find(app_label);
  return it == names.end() ? app_label : it->second;
}

std::string model_verbose_name(const std::string& model) {
  static const std::map<std::string, std::string> names = {
      {"contenttype", "content type"}, {"logentry", "log entry"}, {"auditentry", "audit entry"},
      {"emailaddress", "email address"}};
  const auto it = names.find(model);
  return it == names.end() ? model : it->second;
}
}  // namespace

const auth::User* staff_user(const Request& req) {
  const auth::User* u = web::user(req);
  return u != nullptr && u->is_active && u->is_staff ? u : nullptr;
}

Response to_login(const Request& req) {
  std::string next = req.path;
  if (!req.query.empty()) next += "?" + req.query;
  return Response::redirect(std::string(kRoot) + "login/?next=" + http::percent_encode(next));
}

std::string escape(const std::string& text) { return core::html_escape(text); }

void add_message(Request& req, const std::string& level, const std::string& html) {
  web::Session& s = web::session(req);
  json list = json::array();
  if (auto stored = s.get(kMessagesKey)) list = json::parse(*stored, nullptr, false);
  if (!list.is_array()) list = json::array();
  list.push_back({{"level", level}, {"html", html}});
  s.set(kMessagesKey, list.dump());
}

json base(accounts::Site&, Request& req, const std::string& title) {
  json c = {{"title", title}, {"csrf_token", web::csrf_token(req)}, {"user", false}, {"messages", false}};
  if (const auth::User* u = web::user(req))
    c["user"] = {{"name", u->first_name.empty() ? u->username : u->first_name}, {"staff", u->is_staff && u->is_active}};
  web::Session& s = web::session(req);
  if (auto stored = s.get(kMessagesKey)) {
    json list = json::parse(*stored, nullptr, false);
    if (list.is_array() && !list.empty()) c["messages"] = {{"list", list}};
    s.erase(kMessagesKey);
  }
  return c;
}

Response render(accounts::Site& site, int status, const std::string& name, const json& context) {
  return Response::text(status, site.templates->render(name, context), "text/html; charset=utf-8");
}

Response denied(accounts::Site& site, Request& req) {
  json c = base(site, req, "403 Forbidden");
  return render(site, 403, "admin/403.html", c);
}

Response missing(Request& req, const std::string& verbose_name, const std::string& id) {
  std::string name = verbose_name;
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  add_message(req, "warning", escape(name) + " with ID “" + escape(id) + "” doesn’t exist. Perhaps it was deleted?");
  return Response::redirect(kRoot);
}

Perms perms_for(db::Connection& conn, const auth::User& user, const std::string& model) {
  const auto all = auth::get_all_permissions(conn, user);
  const auto has = [&](const std::string& action) { return user.is_active && (user.is_superuser || all.contains("auth." + action + "_" + model)); };
  Perms p{has("view"), has("add"), has("change"), has("delete")};
  p.view = p.view || p.change;
  return p;
}

json model_context(const ModelAdmin& ma) {
  std::string title = ma.verbose_name_plural;
  if (!title.empty()) title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
  return {{"name", ma.model}, {"verbose_name", ma.verbose_name}, {"plural", ma.verbose_name_plural}, {"title", title},
          {"url", ma.url()}};
}

std::optional<std::string> object_repr(db::Connection& conn, const ModelAdmin& ma, std::int64_t id) {
  const db::Result r = conn.execute("SELECT " + ma.repr_column + " FROM " + ma.table + " WHERE id = ?", {db::Value(id)});
  if (r.empty()) return std::nullopt;
  return r.rows[0][0].as_text();
}

std::optional<std::int64_t> id_param(const Request& req) {
  const auto it = req.params.find("id");
  if (it == req.params.end() || it->second.empty() || it->second.size() > 18) return std::nullopt;
  if (!std::all_of(it->second.begin(), it->second.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(it->second);
}

std::string object_link(const ModelAdmin& ma, std::int64_t id, const std::string& repr) {
  return "The " + ma.verbose_name + " “<a href=\"" + ma.change_url(id) + "\">" + escape(repr) + "</a>”";
}

Response after_save(const ModelAdmin& ma, Request& req, const http::FormPairs& form, std::int64_t id,
                    const std::string& repr, bool added, bool always_continue) {
  const std::string done = object_link(ma, id, repr) + (added ? " was added successfully." : " was changed successfully.");
  if (form_has(form, "_addanother")) {
    add_message(req, "success", done + " You may add another " + ma.verbose_name + " below.");
    return Response::redirect(ma.url("add/"));
  }
  const auto filters = req.query_param("_changelist_filters");
  const std::string keep = filters && !filters->empty() ? "?_changelist_filters=" + http::percent_encode(*filters) : "";
  if (form_has(form, "_continue") || (added && always_continue)) {
    add_message(req, "success", done + " You may edit it again below.");
    return Response::redirect(ma.change_url(id) + keep);
  }
  add_message(req, "success", done);
  return Response::redirect(ma.url() + (filters && !filters->empty() ? "?" + *filters : ""));
}

void record(db::Connection& conn, const Request& req, const auth::User& actor, const ModelAdmin& ma, std::int64_t id,
            const std::string& repr, Action action, const std::string& change_message, const json& changes) {
  log_action(conn, actor, content_type_id(conn, "auth", ma.model), id, repr, action, change_message);
  AuditEntry a;
  a.time = models::Timestamp::now();
  a.actor_id = actor.id;
  a.actor_username = actor.username;
  a.client_address = req.client_address;
  a.user_agent = web::user_agent_of(req);
  a.app_label = "auth";
  a.model = ma.model;
  a.object_id = std::to_string(id);
  a.object_repr = first_characters(repr, 200);
  a.action_flag = static_cast<int>(action);
  a.changes = changes.dump();
  models::Manager<AuditEntry>(conn).create(std::move(a));
}

http::Handler staff_view(accounts::Site& site, Response (*view)(accounts::Site&, Request&)) {
  return [&site, view](RequestPtr req, Responder respond) {
    if (staff_user(*req) == nullptr) return respond(to_login(*req));
    respond(view(site, *req));
  };
}

http::Handler staff_async(accounts::Site& site, void (*view)(accounts::Site&, RequestPtr, Responder)) {
  return [&site, view](RequestPtr req, Responder respond) {
    if (staff_user(*req) == nullptr) return respond(to_login(*req));
    view(site, std::move(req), std::move(respond));
  };
}

void guarded(accounts::Site& site, const RequestPtr& req, const Responder& respond, const std::function<void()>& fn) {
  try {
    fn();
  } catch (...) {
    try {
      respond(accounts::fault_page(site)(*req, auth::outcome_of(std::current_exception())));
    } catch (...) {  // not a dependency's failure: a bug, answered as one
      respond(Response::text(500, "Server Error (500)", "text/plain; charset=utf-8"));
    }
  }
}

http::FormPairs form_pairs(const Request& req) {
  const auto type = req.header("content-type");
  if (!type || !http::media_type_is(*type, "application/x-www-form-urlencoded")) return {};
  return http::parse_form_pairs(req.body);
}

std::string form_value(const http::FormPairs& form, const std::string& name) {
  std::string out;
  for (const auto& [k, v] : form)
    if (k == name) out = v;  // the last wins, as QueryDict.get
  return out;
}

std::vector<std::string> form_values(const http::FormPairs& form, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : form)
    if (k == name) out.push_back(v);
  return out;
}

bool form_has(const http::FormPairs& form, const std::string& name) {
  return std::any_of(form.begin(), form.end(), [&](const auto& p) { return p.first == name; });
}

std::vector<std::pair<std::int64_t, std::string>> permission_choices(db::Connection& conn) {
  const db::Result r = conn.execute(
      "SELECT p.id, c.app_label, c.model, p.name FROM auth_permission p JOIN django_content_type c ON c.id = "
      "p.content_type_id ORDER BY c.app_label, c.model, p.codename");
  std::vector<std::pair<std::int64_t, std::string>> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows)
    out.emplace_back(row[0].as_int(), app_verbose_name(row[1].as_text()) + " | " + model_verbose_name(row[2].as_text()) +
                                          " | " + row[3].as_text());
  return out;
}

json multi_select(const std::string& name, const std::vector<std::pair<std::int64_t, std::string>>& choices,
                  const std::vector<std::int64_t>& selected, const std::string& filter) {
  const auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return s;
  };
  const std::string needle = lower(filter);
  json options = json::array(), hidden = json::array();
  for (const auto& [id, label] : choices) {
    const bool chosen = std::find(selected.begin(), selected.end(), id) != selected.end();
    if (needle.empty() || lower(label).find(needle) != std::string::npos)
      options.push_back({{"value", id}, {"label", label}, {"selected", chosen}});
    else if (chosen)
      hidden.push_back({{"value", id}});
  }
  return {{"name", name}, {"options", options}, {"hidden", hidden}, {"filter", filter},
          {"size", std::min<std::size_t>(std::max<std::size_t>(options.size(), 4), 12)}};
}

}  // namespace gatehouse::admin
