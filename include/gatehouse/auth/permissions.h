// Permission checks (Django's ModelBackend): permissions are "app_label.codename".
//   - an inactive user has none;
//   - an active superuser has every permission;
//   - otherwise the user's own permissions and those of their groups.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/auth/models.h"
#include "gatehouse/auth/user.h"

namespace gatehouse::auth {

std::set<std::string> get_user_permissions(db::Connection& c, const User& user);
std::set<std::string> get_group_permissions(db::Connection& c, const User& user);
std::set<std::string> get_all_permissions(db::Connection& c, const User& user);
bool has_perm(db::Connection& c, const User& user, std::string_view perm);
bool has_perms(db::Connection& c, const User& user, const std::vector<std::string>& perms);
bool has_module_perms(db::Connection& c, const User& user, std::string_view app_label);

// The same calls for AnonymousUser, so code written for "the request's user"
// reads the same whichever it is: an anonymous user has no permission (as
// Django's ModelBackend answers for one). AnonymousUser's own members say the same.
inline std::set<std::string> get_all_permissions(db::Connection&, const AnonymousUser&) { return {}; }
inline bool has_perm(db::Connection&, const AnonymousUser&, std::string_view) { return false; }
inline bool has_perms(db::Connection&, const AnonymousUser&, const std::vector<std::string>& perms) {
  return perms.empty();  // Django: all() over no permissions is True
}
inline bool has_module_perms(db::Connection&, const AnonymousUser&, std::string_view) { return false; }

// Looks a permission up by "app_label.codename"; throws models::DoesNotExist.
Permission get_permission(db::Connection& c, std::string_view perm);

// Django's create_permissions (a post_migrate receiver): a content type for
// every registered model, and its add/change/delete/view permissions.
void create_default_permissions(db::Connection& c);

}  // namespace gatehouse::auth
