#include "gatehouse/auth/permissions.h"

#include <algorithm>

#include "gatehouse/models/manager.h"

namespace gatehouse::auth {

namespace {

std::set<std::string> rows_to_perms(const db::Result& r) {
  std::set<std::string> out;
  for (const auto& row : r.rows) out.insert(row[0].as_text() + "." + row[1].as_text());
  return out;
}

std::set<std::string> every_permission(db::Connection& c) {
  return rows_to_perms(c.execute(
      "SELECT ct.app_label, p.codename FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id"));
}

}  // namespace

std::set<std::string> get_user_permissions(db::Connection& c, const User& user) {
  if (!user.is_active || user.id == 0) return {};
  if (user.is_superuser) return every_permission(c);
  return rows_to_perms(c.execute(
      "SELECT ct.app_label, p.codename FROM auth_permission p "
      "JOIN django_content_type ct ON ct.id = p.content_type_id "
      "JOIN auth_user_user_permissions up ON up.permission_id = p.id WHERE up.user_id = ?",
      {user.id}));
}

std::set<std::string> get_group_permissions(db::Connection& c, const User& user) {
  if (!user.is_active || user.id == 0) return {};
  if (user.is_superuser) return every_permission(c);
  return rows_to_perms(c.execute(
      "SELECT ct.app_label, p.codename FROM auth_permission p "
      "JOIN django_content_type ct ON ct.id = p.content_type_id "
      "JOIN auth_group_permissions gp ON gp.permission_id = p.id "
      "JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = ?",
      {user.id}));
}

std::set<std::string> get_all_permissions(db::Connection& c, const User& user) {
  auto all = get_user_permissions(c, user);
  all.merge(get_group_permissions(c, user));
  return all;
}

bool has_perm(db::Connection& c, const User& user, std::string_view perm) {
  if (!user.is_active) return false;
  if (user.is_superuser) return true;
  return get_all_permissions(c, user).contains(std::string(perm));
}

bool has_perms(db::Connection& c, const User& user, const std::vector<std::string>& perms) {
  if (perms.empty()) return true;  // Django: all() over no permissions, whoever asks
  if (!user.is_active) return false;
  if (user.is_superuser) return true;
  const auto all = get_all_permissions(c, user);
  return std::all_of(perms.begin(), perms.end(), [&](const std::string& p) { return all.contains(p); });
}

bool has_module_perms(db::Connection& c, const User& user, std::string_view app_label) {
  if (!user.is_active) return false;
  if (user.is_superuser) return true;
  const std::string prefix = std::string(app_label) + ".";
  const auto all = get_all_permissions(c, user);
  return std::any_of(all.begin(), all.end(), [&](const std::string& p) { return p.starts_with(prefix); });
}

Permission get_permission(db::Connection& c, std::string_view perm) {
  const auto dot = perm.find('.');
  if (dot == std::string_view::npos) throw models::DoesNotExist("permission names are app_label.codename");
  const db::Result r = c.execute(
      "SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id "
      "WHERE ct.app_label = ? AND p.codename = ?",
      {std::string(perm.substr(0, dot)), std::string(perm.substr(dot + 1))});
  if (r.empty()) throw models::DoesNotExist("no permission " + std::string(perm));
  return models::Manager<Permission>(c).get(r.rows[0][0].as_int());
}

void create_default_permissions(db::Connection& c) {
  models::Manager<ContentType> types(c);
  models::Manager<Permission> perms(c);
  for (const models::ModelInfoBase* m : models::registered_models()) {
    // Link tables of many-to-many relations have no permissions in Django.
    if (m == &UserGroup::meta() || m == &UserPermission::meta() || m == &GroupPermission::meta()) continue;
    const ContentType ct =
        types
            .get_or_create({models::eq("app_label", m->app_label()), models::eq("model", m->model_name())},
                           {.app_label = m->app_label(), .model = m->model_name()})
            .first;
    std::string verbose = m->model_name();
    std::replace(verbose.begin(), verbose.end(), '_', ' ');
    for (const char* action : {"add", "change", "delete", "view"}) {
      const std::string codename = std::string(action) + "_" + m->model_name();
      perms.get_or_create({models::eq("content_type_id", ct.id), models::eq("codename", codename)},
                          {.name = "Can " + std::string(action) + " " + verbose, .content_type_id = ct.id, .codename = codename});
    }
  }
}

}  // namespace gatehouse::auth
