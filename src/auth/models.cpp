#include "gatehouse/auth/models.h"

namespace gatehouse::auth {

using models::FieldOptions;
using models::ModelInfo;
using models::Reference;

const ModelInfo<ContentType>& ContentType::meta() {
  static const ModelInfo<ContentType> info = ModelInfo<ContentType>("contenttypes", "contenttype", "django_content_type")
                                                 .primary_key("id", &ContentType::id)
                                                 .field("app_label", &ContentType::app_label, {.max_length = 100})
                                                 .field("model", &ContentType::model, {.max_length = 100})
                                                 .unique_together({"app_label", "model"});
  return info;
}

const ModelInfo<Permission>& Permission::meta() {
  static const ModelInfo<Permission> info =
      ModelInfo<Permission>("auth", "permission", "auth_permission")
          .primary_key("id", &Permission::id)
          .field("name", &Permission::name, {.max_length = 255})
          .field("content_type_id", &Permission::content_type_id, {.references = Reference{.table = "django_content_type"}})
          .field("codename", &Permission::codename, {.max_length = 100})
          .unique_together({"content_type_id", "codename"});
  return info;
}

const ModelInfo<Group>& Group::meta() {
  static const ModelInfo<Group> info = ModelInfo<Group>("auth", "group", "auth_group")
                                           .primary_key("id", &Group::id)
                                           .field("name", &Group::name, {.unique = true, .max_length = 150});
  return info;
}

const ModelInfo<UserGroup>& UserGroup::meta() {
  static const ModelInfo<UserGroup> info =
      ModelInfo<UserGroup>("auth", "user_groups", "auth_user_groups")
          .primary_key("id", &UserGroup::id)
          .field("user_id", &UserGroup::user_id, {.references = Reference{.table = "auth_user"}})
          .field("group_id", &UserGroup::group_id, {.references = Reference{.table = "auth_group"}})
          .unique_together({"user_id", "group_id"});
  return info;
}

const ModelInfo<UserPermission>& UserPermission::meta() {
  static const ModelInfo<UserPermission> info =
      ModelInfo<UserPermission>("auth", "user_user_permissions", "auth_user_user_permissions")
          .primary_key("id", &UserPermission::id)
          .field("user_id", &UserPermission::user_id, {.references = Reference{.table = "auth_user"}})
          .field("permission_id", &UserPermission::permission_id, {.references = Reference{.table = "auth_permission"}})
          .unique_together({"user_id", "permission_id"});
  return info;
}

const ModelInfo<GroupPermission>& GroupPermission::meta() {
  static const ModelInfo<GroupPermission> info =
      ModelInfo<GroupPermission>("auth", "group_permissions", "auth_group_permissions")
          .primary_key("id", &GroupPermission::id)
          .field("group_id", &GroupPermission::group_id, {.references = Reference{.table = "auth_group"}})
          .field("permission_id", &GroupPermission::permission_id, {.references = Reference{.table = "auth_permission"}})
          .unique_together({"group_id", "permission_id"});
  return info;
}

const models::ManyToMany<User, Group, UserGroup> user_groups{"user_id", "group_id"};
const models::ManyToMany<User, Permission, UserPermission> user_permissions{"user_id", "permission_id"};
const models::ManyToMany<Group, Permission, GroupPermission> group_permissions{"group_id", "permission_id"};

void register_models() {
  models::register_model(&ContentType::meta());
  models::register_model(&Permission::meta());
  models::register_model(&Group::meta());
  models::register_model(&User::meta());
  models::register_model(&UserGroup::meta());
  models::register_model(&UserPermission::meta());
  models::register_model(&GroupPermission::meta());
}

}  // namespace gatehouse::auth
