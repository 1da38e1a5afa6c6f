// Group, Permission, ContentType and the link tables, in Django's schema
// (auth_group, auth_permission, django_content_type, auth_user_groups,
// auth_user_user_permissions, auth_group_permissions), and the relations.
#pragma once

#include <string>

#include "gatehouse/auth/user.h"
#include "gatehouse/models/many_to_many.h"

namespace gatehouse::auth {

// A model type's identity in the database (django.contrib.contenttypes).
struct ContentType {
  std::int64_t id = 0;
  std::string app_label{};  // 100
  std::string model{};      // 100, lower case
  static const models::ModelInfo<ContentType>& meta();
};

struct Permission {
  std::int64_t id = 0;
  std::string name{};  // 255, e.g. "Can add user"
  std::int64_t content_type_id = 0;
  std::string codename{};  // 100, e.g. "add_user"
  static const models::ModelInfo<Permission>& meta();
};

struct Group {
  std::int64_t id = 0;
  std::string name{};  // 150, unique
  static const models::ModelInfo<Group>& meta();
};

struct UserGroup {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t group_id = 0;
  static const models::ModelInfo<UserGroup>& meta();
};

struct UserPermission {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t permission_id = 0;
  static const models::ModelInfo<UserPermission>& meta();
};

struct GroupPermission {
  std::int64_t id = 0;
  std::int64_t group_id = 0;
  std::int64_t permission_id = 0;
  static const models::ModelInfo<GroupPermission>& meta();
};

// user.groups, user.user_permissions, group.permissions
extern const models::ManyToMany<User, Group, UserGroup> user_groups;
extern const models::ManyToMany<User, Permission, UserPermission> user_permissions;
extern const models::ManyToMany<Group, Permission, GroupPermission> group_permissions;

// Registers the auth models with the model registry (cascades, permissions).
// Idempotent; auth::migrate() calls it.
void register_models();

}  // namespace gatehouse::auth
