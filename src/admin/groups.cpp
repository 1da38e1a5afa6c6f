// The group admin (Django's GroupAdmin): change list with search, add and
// change forms (name and permissions grouped by app and model), delete and history.
#include "common.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/db/error.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/http/router.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::admin {

namespace {

using auth::FieldErrors;
using auth::Group;

std::vector<std::string> group_deletion_summary(db::Connection& conn, const std::vector<std::int64_t>& ids) {
  std::string in;
  for (auto id : ids) in += (in.empty() ? "" : ", ") + std::to_string(id);
  std::vector<std::string> out{"Groups: " + std::to_string(ids.size())};
  const std::vector<std::pair<std::string, std::string>> related = {
      {"Group-permission relationships", "SELECT count(*) FROM auth_group_permissions WHERE group_id IN (" + in + ")"},
      {"User-group relationships", "SELECT count(*) FROM auth_user_groups WHERE group_id IN (" + in + ")"}};
  for (const auto& [label, sql] : related)
    if (const auto n = conn.execute(sql).scalar().as_int(); n > 0) out.push_back(label + ": " + std::to_string(n));
  return out;
}

struct GroupForm {
  std::string name;
  std::vector<std::int64_t> permissions;
};

GroupForm parse(const http::FormPairs& f) {
  GroupForm g{form_value(f, "name"), {}};
  g.name.erase(0, g.name.find_first_not_of(" \t\r\n"));
  g.name.erase(g.name.find_last_not_of(" \t\r\n") + 1);
  for (const auto& v : form_values(f, "permissions"))
    if (!v.empty() && v.size() <= 18 && v.find_first_not_of("0123456789") == std::string::npos) g.permissions.push_back(std::stoll(v));
  std::sort(g.permissions.begin(), g.permissions.end());
  g.permissions.erase(std::unique(g.permissions.begin(), g.permissions.end()), g.permissions.end());
  return g;
}

FieldErrors validate(db::Connection& conn, const GroupForm& g, std::int64_t id) {
  FieldErrors e;
  if (g.name.empty()) e["name"].push_back("This field is required.");
  else if (g.name.size() > 150)
    e["name"].push_back("Ensure this value has at most 150 characters (it has " + std::to_string(g.name.size()) + ").");
  else if (conn.execute("SELECT count(*) FROM auth_group WHERE name = ? AND id <> ?", {db::Value(g.name), db::Value(id)})
               .scalar().as_int() > 0)
    e["name"].push_back("Group with this Name already exists.");
  return e;
}

Response page(accounts::Site& site, Request& req, db::Connection& conn, std::optional<std::int64_t> id, const GroupForm& g,
              const FieldErrors& e, const Perms& perms) {
  const bool ro = id && !perms.change;
  json c = base(site, req, !id ? "Add group" : ro ? "View group" : "Change group");
  c["model"] = model_context(group_admin());
  c["object"] = id ? json{{"id", *id}, {"repr", g.name}, {"history", group_admin().url(std::to_string(*id) + "/history/")},
                          {"delete", perms.remove ? json(group_admin().url(std::to_string(*id) + "/delete/")) : json(false)}}
                   : json(false);
  const auto err = [&](const char* n) { const auto it = e.find(n); return it == e.end() ? json::array() : json(it->second); };
  c["name"] = {{"value", g.name}, {"errors", err("name")}, {"has_errors", e.contains("name")}, {"readonly", ro}};
  std::string shown;
  const auto choices = permission_choices(conn);
  for (const auto& [pid, label] : choices)
    if (std::find(g.permissions.begin(), g.permissions.end(), pid) != g.permissions.end()) shown += (shown.empty() ? "" : ", ") + label;
  c["permissions"] = multi_select("permissions", choices, g.permissions, req.query_param("_filter_permissions").value_or(""));
  c["permissions_readonly"] = ro ? json(shown.empty() ? "-" : shown) : json(false);
  c["errors"] = e.empty() ? json(false) : json("Please correct the error below.");
  c["can_save"] = !ro;
  c["can_add"] = perms.add;
  c["action"] = req.path + (req.query.empty() ? "" : "?" + req.query);
  return render(site, 200, "admin/group_change_form.html", c);
}

// Saves the group and its permissions and logs the change, as Django's changeform_view.
Group save(db::Connection& conn, Request& req, std::optional<Group> before, const GroupForm& g, std::vector<std::int64_t> old) {
  db::Transaction tx(conn);
  Group group = before.value_or(Group{});
  group.name = g.name;
  models::Manager<Group>(conn).save(group);
  auth::group_permissions.set(conn, group, g.permissions);
  ojson message = ojson::array();
  json changes = json::object();
  if (!before) {
    message.push_back({{"added", ojson::object()}});
  } else {
    ojson fields = ojson::array();
    if (before->name != g.name) fields.push_back("Name");
    if (old != g.permissions) fields.push_back("Permissions");
    if (!fields.empty()) message.push_back({{"changed", {{"fields", fields}}}});
  }
  if (!before || before->name != g.name) changes["name"] = {{"old", before ? json(before->name) : json(nullptr)}, {"new", g.name}};
  if (old != g.permissions) changes["permissions"] = {{"old", old}, {"new", g.permissions}};
  record(conn, req, *staff_user(req), group_admin(), group.id, group.name, before ? Action::change : Action::addition,
         django_json(message), changes);
  tx.commit();
  return group;
}

Response form_view(accounts::Site& site, Request& req) {
  const auto id = id_param(req);
  const bool adding = !req.params.contains("id");
  auto conn = site.db.acquire();
  const Perms perms = perms_for(*conn, *staff_user(req), "group");
  if (adding ? !perms.add : !perms.view) return denied(site, req);
  std::optional<Group> before;
  std::vector<std::int64_t> old;
  if (!adding) {
    if (id) before = models::Manager<Group>(*conn).find({models::eq("id", *id)});
    if (!before) return missing(req, "group", req.params["id"]);
    old = auth::group_permissions.ids(*conn, *before);
    std::sort(old.begin(), old.end());
  }
  if (req.method != "POST") return page(site, req, *conn, id, before ? GroupForm{before->name, old} : GroupForm{}, {}, perms);
  if (!adding && !perms.change) return denied(site, req);
  const http::FormPairs f = form_pairs(req);
  const GroupForm g = parse(f);
  if (auto e = validate(*conn, g, before ? before->id : 0); !e.empty()) return page(site, req, *conn, id, g, e, perms);
  Group saved;
  try {
    saved = save(*conn, req, before, g, old);
  } catch (const db::DatabaseError& e) {
    if (e.kind() != db::ErrorKind::unique_violation) throw;
    return page(site, req, *conn, id, g, {{"name", {"Group with this Name already exists."}}}, perms);
  }
  return after_save(group_admin(), req, f, saved.id, saved.name, adding);
}

}  // namespace

const ModelAdmin& group_admin() {
  static const ModelAdmin ma{
      .model = "group",
      .verbose_name = "group",
      .verbose_name_plural = "groups",
      .table = "auth_group",
      .repr_column = "name",
      .columns = {{"name", "Name"}},
      .search_fields = {"name"},
      .filters = {},
      .ordering = "name",
      .deletion_summary = group_deletion_summary,
      .refuse_deletion = {},
      .remove =
          [](db::Connection& conn, std::int64_t id) {
            if (auto g = models::Manager<Group>(conn).find({models::eq("id", id)})) models::Manager<Group>(conn).remove(*g);
          },
      .after_deletion = {},
  };
  return ma;
}

void add_group_routes(http::Router& router, accounts::Site& site) {
  const ModelAdmin& ma = group_admin();
  const auto list = [](accounts::Site& s, Request& r) { return changelist(s, group_admin(), r); };
  const auto action = [](accounts::Site& s, Request& r) { return changelist_action(s, group_admin(), r); };
  const auto remove = [](accounts::Site& s, Request& r) { return delete_view(s, group_admin(), r); };
  const auto history = [](accounts::Site& s, Request& r) { return history_view(s, group_admin(), r); };
  router.get(ma.url(), staff_view(site, list));
  router.post(ma.url(), staff_view(site, action));
  for (const char* m : {"GET", "POST"}) {
    router.add(m, ma.url("add/"), staff_view(site, form_view));
    router.add(m, ma.url("{id}/change/"), staff_view(site, form_view));
    router.add(m, ma.url("{id}/delete/"), staff_view(site, remove));
  }
  router.get(ma.url("{id}/history/"), staff_view(site, history));
}

}  // namespace gatehouse::admin
