// The user admin (Django's UserAdmin): change list, add form, change form
// with the profile inline and the sessions panel, password form, delete and
// history; password hashing goes through the hash pool.
#include "gatehouse/accounts/profile.h"
#include "gatehouse/auth/login.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/auth/password_change.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/passwords/hash_pool.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/session.h"
#include "user_form.h"

namespace gatehouse::admin {

namespace {

using auth::FieldErrors;
using auth::User;

std::vector<ListFilter> user_filters(db::Connection& conn) {
  const std::vector<std::pair<std::string, std::string>> yes_no = {{"1", "Yes"}, {"0", "No"}};
  std::vector<ListFilter> out = {{"is_staff__exact", "By staff status", "is_staff = ?", yes_no, true},
                                 {"is_superuser__exact", "By superuser status", "is_superuser = ?", yes_no, true},
                                 {"is_active__exact", "By active", "is_active = ?", yes_no, true}};
  ListFilter groups{"groups__id__exact", "By groups", "id IN (SELECT user_id FROM auth_user_groups WHERE group_id = ?)", {}, false};
  for (const auto& row : conn.execute("SELECT id, name FROM auth_group ORDER BY name").rows)
    groups.choices.emplace_back(std::to_string(row[0].as_int()), row[1].as_text());
  if (!groups.choices.empty()) out.push_back(std::move(groups));  // Django shows a related filter only with choices
  return out;
}

// "(1, 2, 3)", or "(NULL)" for none. Built by appending: GCC 12 at -O3 warns
// (-Wrestrict, a false positive) on `"(" + std::string&&`.
std::string in_list(const std::vector<std::int64_t>& ids) {
  std::string s = "(";
  for (auto id : ids) {
    if (s.size() > 1) s += ", ";
    s += std::to_string(id);
  }
  s += ids.empty() ? "NULL)" : ")";
  return s;
}

std::vector<std::string> user_deletion_summary(db::Connection& conn, const std::vector<std::int64_t>& ids) {
  const std::string in = in_list(ids);
  const auto count = [&](const std::string& sql) { return conn.execute(sql).scalar().as_int(); };
  std::vector<std::string> out{"Users: " + std::to_string(ids.size())};
  const std::vector<std::pair<std::string, std::string>> related = {
      {"Profiles", "SELECT count(*) FROM accounts_profile WHERE user_id IN " + in},
      {"Log entries", "SELECT count(*) FROM django_admin_log WHERE user_id IN " + in},
      {"User-group relationships", "SELECT count(*) FROM auth_user_groups WHERE user_id IN " + in},
      {"User-permission relationships", "SELECT count(*) FROM auth_user_user_permissions WHERE user_id IN " + in}};
  for (const auto& [label, sql] : related)
    if (const auto n = count(sql); n > 0) out.push_back(label + ": " + std::to_string(n));
  return out;
}

std::optional<std::string> last_superuser(db::Connection& conn, const std::vector<std::int64_t>& ids) {
  const std::string in = in_list(ids);
  const auto n = [&](const std::string& extra) {
    return conn.execute("SELECT count(*) FROM auth_user WHERE is_active = ? AND is_superuser = ?" + extra,
                        {db::Value(true), db::Value(true)}).scalar().as_int();
  };
  if (n(" AND id IN " + in) > 0 && n(" AND id NOT IN " + in) == 0) return "You cannot delete the last active superuser.";
  return std::nullopt;
}

// Sessions of a user as the panel lists them.
json sessions_of(accounts::Site& site, std::int64_t user_id, const std::string& current) {
  json list = json::array();
  for (const auto& s : site.sessions.for_user(user_id))
    list.push_back({{"id", accounts::session_public_id(s.key)}, {"created", admin_datetime(s.created)},
                    {"last_seen", admin_datetime(s.last_seen)}, {"address", s.address}, {"user_agent", s.user_agent},
                    {"current", s.key == current}});
  return list;
}

// Every permission the user holds and why: directly, through a group, or as superuser.
json effective_permissions(db::Connection& conn, const User& u) {
  json out = json::array();
  if (!u.is_active) return out;
  const std::string perm = "c.app_label || '.' || p.codename";
  const db::Result r = u.is_superuser
      ? conn.execute("SELECT " + perm + ", 'as superuser' FROM auth_permission p JOIN django_content_type c ON c.id = p.content_type_id")
      : conn.execute("SELECT " + perm + ", 'directly' FROM auth_user_user_permissions up JOIN auth_permission p ON p.id = "
                     "up.permission_id JOIN django_content_type c ON c.id = p.content_type_id WHERE up.user_id = ? UNION ALL "
                     "SELECT " + perm + ", 'through group ' || g.name FROM auth_user_groups ug JOIN auth_group g ON g.id = "
                     "ug.group_id JOIN auth_group_permissions gp ON gp.group_id = g.id JOIN auth_permission p ON p.id = "
                     "gp.permission_id JOIN django_content_type c ON c.id = p.content_type_id WHERE ug.user_id = ?",
                     {db::Value(u.id), db::Value(u.id)});
  std::map<std::string, std::vector<std::string>> why;
  for (const auto& row : r.rows) why[row[0].as_text()].push_back(row[1].as_text());
  for (const auto& [p, reasons] : why) out.push_back({{"permission", p}, {"why", reasons}});
  return out;
}

// Granting staff or superuser status asks the acting user's password again,
// at most once every ten minutes (the time of the last check is in the session).
constexpr const char* kReauthKey = "_admin_reauth";
constexpr std::int64_t kReauthSeconds = 600;
struct ReauthRefused {};  // on the request: the password given was wrong

std::int64_t now_seconds(accounts::Site& site) {
  return std::chrono::duration_cast<std::chrono::seconds>(site.accounts.options().clock->now().time_since_epoch()).count();
}

bool reauth_fresh(accounts::Site& site, Request& req) {
  const auto at = web::session(req).get(kReauthKey);
  if (!at) return false;
  const std::int64_t then = std::atoll(at->c_str()), now = now_seconds(site);
  return now >= then && now - then < kReauthSeconds;
}

struct Loaded {
  User user;
  std::optional<accounts::Profile> profile;
  UserForm form;
};

std::optional<Loaded> load(db::Connection& conn, std::int64_t id) {
  auto user = models::Manager<User>(conn).find({models::eq("id", id)});
  if (!user) return std::nullopt;
  auto profile = models::Manager<accounts::Profile>(conn).find({models::eq("user_id", id)});
  UserForm form = user_form_of(*user, auth::user_groups.ids(conn, *user), auth::user_permissions.ids(conn, *user),
                               auth::must_change_password(conn, id), profile.value_or(accounts::Profile{.user_id = id}));
  return Loaded{std::move(*user), std::move(profile), std::move(form)};
}

Response change_page(accounts::Site& site, Request& req, db::Connection& conn, const Loaded& l, const UserForm& form,
                     const FieldErrors& errors, const Perms& perms) {
  const bool ro = !perms.change;
  json c = base(site, req, ro ? "View user" : "Change user");
  c["model"] = model_context(user_admin());
  c["object"] = {{"id", l.user.id}, {"repr", l.user.username}, {"history", user_admin().url(std::to_string(l.user.id) + "/history/")},
                 {"delete", perms.remove ? json(user_admin().url(std::to_string(l.user.id) + "/delete/")) : json(false)}};
  c["fieldsets"] = user_fieldsets(conn, form, errors, ro, password_summary(l.user.password()), req);
  c["inline"] = profile_inline(form.profile, errors, ro, l.profile ? l.profile->id : 0, l.user.id, !l.profile);
  if (const auto r = errors.find("_reauth_password"); r != errors.end()) c["reauth"] = {{"errors", r->second}};
  c["errors"] = errors.empty() ? json(false) : json(errors.size() == 1 ? "Please correct the error below." : "Please correct the errors below.");
  c["can_save"] = !ro;
  c["can_add"] = perms.add;
  c["sessions"] = {{"list", sessions_of(site, l.user.id, web::session(req).key())},
                   {"action", user_admin().url(std::to_string(l.user.id) + "/sessions/end/")}, {"can_end", !ro}};
  c["effective_permissions"] = effective_permissions(conn, l.user);
  c["throttle"] = throttle_panel(site, l.user);
  c["mfa"] = mfa_panel(site, l.user, ro);
  c["send_reset"] = ro ? json(false) : json(user_admin().url(std::to_string(l.user.id) + "/send_reset/"));
  c["action"] = req.path + (req.query.empty() ? "" : "?" + req.query);
  return render(site, 200, "admin/user_change_form.html", c);
}

// The change message of a user change, as Django's construct_change_message.
std::string change_message(const UserForm& before, const UserForm& after, const std::string& username, bool profile_added) {
  ojson list = ojson::array();
  if (auto fields = changed_user_labels(before, after); !fields.empty()) list.push_back({{"changed", {{"fields", fields}}}});
  if (profile_added) list.push_back({{"added", {{"name", "profile"}, {"object", username}}}});
  else if (auto fields = changed_profile_labels(before.profile, after.profile); !fields.empty())
    list.push_back({{"changed", {{"name", "profile"}, {"object", username}, {"fields", fields}}}});
  return django_json(list);
}

void save_change(accounts::Site& site, Request& req, db::Connection& conn, Loaded& l, User& updated, const UserForm& form) {
  db::Transaction tx(conn);
  models::Manager<User>(conn).save(updated);
  auth::user_groups.set(conn, updated, form.groups);
  auth::user_permissions.set(conn, updated, form.user_permissions);
  auth::require_password_change(conn, updated.id, form.must_change_password);
  // A user made elsewhere may have no profile: as Django's inline, one is
  // added only when the form was changed from the defaults.
  const bool profile_added =
      !l.profile && form.profile_sent && !changed_profile_labels(l.form.profile, form.profile).empty();
  UserForm after = form;
  if (!form.profile_sent || (!l.profile && !profile_added)) after.profile = l.form.profile;
  if (l.profile ? form.profile_sent : profile_added) {
    accounts::Profile p = l.profile.value_or(accounts::Profile{.user_id = updated.id});
    apply_profile(form.profile, p);
    models::Manager<accounts::Profile>(conn).save(p);
  }
  record(conn, req, *staff_user(req), user_admin(), updated.id, updated.username, Action::change,
         change_message(l.form, after, updated.username, profile_added), audit_changes(l.form, after));
  tx.commit();
  const bool lost_access = (l.user.is_active && !updated.is_active) || (l.user.is_staff && !updated.is_staff) ||
                           (l.user.is_superuser && !updated.is_superuser) ||
                           (!l.form.must_change_password && form.must_change_password);  // effective now, not at some later login
  if (lost_access) site.sessions.remove_for_user(updated.id);
}

Response change_view(accounts::Site& site, Request& req) {
  const auto id = id_param(req);
  auto conn = site.db.acquire();
  const Perms perms = perms_for(*conn, *staff_user(req), "user");
  if (!perms.view) return denied(site, req);
  auto l = id ? load(*conn, *id) : std::nullopt;
  if (!l) return missing(req, "user", req.params["id"]);
  if (req.method != "POST") return change_page(site, req, *conn, *l, l->form, {}, perms);
  if (!perms.change) return denied(site, req);
  const http::FormPairs pairs = form_pairs(req);
  UserForm form = parse_user_form(pairs);
  User updated;
  FieldErrors errors = validate_user_form(*conn, form, l->user, updated);
  if (form.profile_sent) errors.merge(validate_profile_form(form.profile));
  form.profile.views = l->form.profile.views;
  const bool grants = (!l->user.is_staff && form.is_staff) || (!l->user.is_superuser && form.is_superuser);
  if (grants && !reauth_fresh(site, req))
    errors["_reauth_password"].push_back(req.get<ReauthRefused>() != nullptr
                                             ? "Your password was entered incorrectly. Please enter it again."
                                             : "Granting staff or superuser status needs your password: enter it below.");
  if (!errors.empty()) return change_page(site, req, *conn, *l, form, errors, perms);
  save_change(site, req, *conn, *l, updated, form);
  return after_save(user_admin(), req, pairs, updated.id, updated.username, false);
}

// The change view, after checking a re-authentication password on the pool
// when one came (a wrong one counts against the actor in the login throttle).
void change_async(accounts::Site& site, RequestPtr req, Responder respond) {
  guarded(site, req, respond, [&] {
    const std::string password = req->method == "POST" ? form_value(form_pairs(*req), "_reauth_password") : "";
    if (password.empty() || reauth_fresh(site, *req)) return respond(change_view(site, *req));
    const User actor = *staff_user(*req);
    auto& throttle = site.accounts.parts().login_throttle;
    if (throttle.retry_after(actor.username, req->client_address)) {
      req->set(std::make_shared<ReauthRefused>());
      return respond(change_view(site, *req));
    }
    site.accounts.parts().pool.check(password, actor.password().encoded(),
                                     [&site, req, respond, actor](const passwords::CheckResult* r, std::exception_ptr e) {
      guarded(site, req, respond, [&] {
        if (r == nullptr) std::rethrow_exception(e);
        if (r->correct) {
          web::session(*req).set(kReauthKey, std::to_string(now_seconds(site)));
        } else {
          site.accounts.parts().login_throttle.record_failure(actor.username, req->client_address);
          req->set(std::make_shared<ReauthRefused>());
        }
        respond(change_view(site, *req));
      });
    });
  });
}

}  // namespace

const ModelAdmin& user_admin() {
  static const ModelAdmin ma{
      .model = "user",
      .verbose_name = "user",
      .verbose_name_plural = "users",
      .table = "auth_user",
      .repr_column = "username",
      .columns = {{"username", "Username"}, {"email", "Email address"}, {"first_name", "First name"},
                  {"last_name", "Last name"}, {"is_staff", "Staff status", true}},
      .search_fields = {"username", "first_name", "last_name", "email"},
      .filters = user_filters,
      .ordering = "username",
      .deletion_summary = user_deletion_summary,
      .refuse_deletion = last_superuser,
      .remove =
          [](db::Connection& conn, std::int64_t id) {
            if (auto u = models::Manager<User>(conn).find({models::eq("id", id)})) models::Manager<User>(conn).remove(*u);
          },
      .after_deletion =
          [](accounts::Site& site, const std::vector<std::int64_t>& ids) {
            for (auto id : ids) site.sessions.remove_for_user(id);  // a deleted user's sessions end with them
          },
      .actions = {{"send_password_reset", "Send a password reset email to the selected users", send_password_reset}},
  };
  return ma;
}

namespace user_views {
void change(accounts::Site& site, RequestPtr req, Responder respond) { change_async(site, std::move(req), std::move(respond)); }
}  // namespace user_views

}  // namespace gatehouse::admin
