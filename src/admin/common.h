// What every admin view shares: who may enter, the page's context, Django's
// messages, permissions per model, and the model descriptions the generic
// views (change list, delete, history) work from. Internal to the admin layer.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/accounts/site.h"
#include "gatehouse/admin/log.h"
#include "gatehouse/http/handler.h"

namespace gatehouse::admin {

using nlohmann::json;
using ojson = nlohmann::ordered_json;  // keys in insertion order, as Python dicts keep them
using http::Request;
using http::RequestPtr;
using http::Responder;
using http::Response;

inline constexpr const char* kRoot = "/admin/";

// The request's user when an active staff member (who may use the admin), else nullptr.
const auth::User* staff_user(const Request& req);
// 302 to /admin/login/?next=<where the request was going>.
Response to_login(const Request& req);
// Django's escape() for text put into HTML by hand (messages with links).
std::string escape(const std::string& text);

// Django's messages framework: kept in the session until the next page shows them.
void add_message(Request& req, const std::string& level, const std::string& html);

// The context every admin page starts from: title, CSRF token, the user
// tools, and the messages waiting (taken from the session).
json base(accounts::Site& site, Request& req, const std::string& title);
Response render(accounts::Site& site, int status, const std::string& name, const json& context);
// Django's 403 page for a staff user without the permission.
Response denied(accounts::Site& site, Request& req);
// The page for an object that does not exist: Django redirects to the index with a warning.
Response missing(Request& req, const std::string& verbose_name, const std::string& id);

struct Perms {
  bool view = false, add = false, change = false, remove = false;
  bool any() const noexcept { return view || add || change || remove; }
};
// Django's has_view/add/change/delete_permission for auth.<model> (view: view or change).
Perms perms_for(db::Connection& conn, const auth::User& user, const std::string& model);

// A column of the change list (Django's list_display).
struct Column {
  std::string field, label;
  bool boolean = false;
};
// A filter of the change list's sidebar (Django's list_filter): param=value pairs.
struct ListFilter {
  std::string param, title;  // "is_staff__exact", "By staff status"
  std::string sql;           // the condition with one '?' ("is_staff = ?")
  std::vector<std::pair<std::string, std::string>> choices;  // value, label
  bool boolean = false;      // values "1"/"0" bound as true/false
};

// An action of the change list beside Django's delete_selected (Django's
// ModelAdmin.actions): it runs on the selected ids and answers the request.
struct ExtraAction {
  std::string name, label;  // "send_password_reset", "Send a password reset email to the selected users"
  Response (*run)(accounts::Site&, Request&, const std::vector<std::int64_t>& ids);
};

// What the generic views need to know of a model.
struct ModelAdmin {
  std::string model, verbose_name, verbose_name_plural;  // "user", "user", "users"
  std::string table, repr_column;                        // "auth_user", "username"
  std::vector<Column> columns;
  std::vector<std::string> search_fields;
  std::function<std::vector<ListFilter>(db::Connection&)> filters;
  std::string ordering;  // the default ORDER BY column
  // The summary lines of what deleting these objects takes with them
  // ("Users: 2", "Profiles: 2", ...), Django's "Summary" list.
  std::function<std::vector<std::string>(db::Connection&, const std::vector<std::int64_t>&)> deletion_summary;
  // Why these objects may not be deleted (the last superuser), or nullopt.
  std::function<std::optional<std::string>(db::Connection&, const std::vector<std::int64_t>&)> refuse_deletion;
  // Deletes one object with what cascades from it (inside the caller's transaction).
  std::function<void(db::Connection&, std::int64_t)> remove;
  // After the deletion committed (the user's sessions end).
  std::function<void(accounts::Site&, const std::vector<std::int64_t>&)> after_deletion;
  std::vector<ExtraAction> actions{};

  std::string url(const std::string& rest = {}) const { return std::string(kRoot) + "auth/" + model + "/" + rest; }
  std::string change_url(std::int64_t id) const { return url(std::to_string(id) + "/change/"); }
};

// The model as the templates name it: verbose names, "Users" for the breadcrumbs, the list's URL.
json model_context(const ModelAdmin& ma);

const ModelAdmin& user_admin();
const ModelAdmin& group_admin();

// The generic views (changelist.cpp).
Response changelist(accounts::Site& site, const ModelAdmin& ma, Request& req);
Response changelist_action(accounts::Site& site, const ModelAdmin& ma, Request& req);
Response delete_view(accounts::Site& site, const ModelAdmin& ma, Request& req);
Response history_view(accounts::Site& site, const ModelAdmin& ma, Request& req);

// The object's text form, or nullopt when it does not exist.
std::optional<std::string> object_repr(db::Connection& conn, const ModelAdmin& ma, std::int64_t id);
// The path parameter {id} as an object id (nullopt when not a number).
std::optional<std::int64_t> id_param(const Request& req);
// Django's messages after a save, with the link to the object.
std::string object_link(const ModelAdmin& ma, std::int64_t id, const std::string& repr);

// Where a saved object's page sends the user (by the button pressed:
// _save, _continue, _addanother), with Django's message. `always_continue`:
// UserAdmin.response_add, which goes on to the change page after an add.
Response after_save(const ModelAdmin& ma, Request& req, const http::FormPairs& form, std::int64_t id,
                    const std::string& repr, bool added, bool always_continue = false);

// Writes the LogEntry and the audit row for one admin action (inside the caller's transaction).
void record(db::Connection& conn, const Request& req, const auth::User& actor, const ModelAdmin& ma, std::int64_t id,
            const std::string& repr, Action action, const std::string& change_message, const json& changes);

// The user page's tools beyond Django's (user_tools.cpp): the login
// throttle's state for the account, and the password reset email.
json throttle_panel(accounts::Site& site, const auth::User& user);
// The user's second factors, and (unless `read_only`) where to reset them.
json mfa_panel(accounts::Site& site, const auth::User& user, bool read_only);
Response send_password_reset(accounts::Site& site, Request& req, const std::vector<std::int64_t>& ids);
void add_user_tool_routes(http::Router& router, accounts::Site& site);

// Routes of the user and group admins (users.cpp, groups.cpp).
void add_user_routes(http::Router& router, accounts::Site& site);
void add_group_routes(http::Router& router, accounts::Site& site);

// Binds a synchronous admin view: only active staff reach it (others are
// sent to the login page); a dependency's failure becomes the fault page.
http::Handler staff_view(accounts::Site& site, Response (*view)(accounts::Site&, Request&));

// The same for a view that answers later (after hashing on the pool).
http::Handler staff_async(accounts::Site& site, void (*view)(accounts::Site&, RequestPtr, Responder));
// Runs `fn`, answering a dependency's failure with the fault page (503) and
// anything else with a 500: for work on a pool thread, where nothing may escape.
void guarded(accounts::Site& site, const RequestPtr& req, const Responder& respond, const std::function<void()>& fn);
// Django's DATETIME_FORMAT "N j, Y, P" ("Dec. 3, 2026, 12:10 a.m.").
std::string admin_datetime(const models::Timestamp& t);

// A form body with every value (a multiple select sends one pair per option).
http::FormPairs form_pairs(const Request& req);
std::string form_value(const http::FormPairs& form, const std::string& name);
std::vector<std::string> form_values(const http::FormPairs& form, const std::string& name);
bool form_has(const http::FormPairs& form, const std::string& name);

// The permissions as Django's select shows them, ordered by app, model and
// codename: {id, label "Authentication and Authorization | user | Can add user"}.
std::vector<std::pair<std::int64_t, std::string>> permission_choices(db::Connection& conn);
// A multiple select's context: options (id, label, selected); those the
// filter box hides but that are selected travel as hidden inputs.
json multi_select(const std::string& name, const std::vector<std::pair<std::int64_t, std::string>>& choices,
                  const std::vector<std::int64_t>& selected, const std::string& filter);

}  // namespace gatehouse::admin
