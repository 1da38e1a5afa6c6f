#include "gatehouse/auth/migrations.h"

#include "gatehouse/auth/models.h"
#include "gatehouse/auth/mfa.h"
#include "gatehouse/auth/otp.h"
#include "gatehouse/auth/password_change.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/models/schema.h"

namespace gatehouse::auth {

namespace {
// Creates the table unless it exists: a Django-migrated database keeps its own.
void adopt_or_create(db::Connection& c, const models::ModelInfoBase& m) {
  if (!db::table_exists(c, m.table())) models::create_table(c, m);
}
}  // namespace

std::vector<db::Migration> migrations() {
  std::vector<db::Migration> out{
      {"contenttypes", "0001_initial", [](db::Connection& c) { adopt_or_create(c, ContentType::meta()); }},
      {"auth", "0001_initial",
       [](db::Connection& c) {
         adopt_or_create(c, Permission::meta());
         adopt_or_create(c, Group::meta());
         adopt_or_create(c, GroupPermission::meta());
         adopt_or_create(c, User::meta());
         adopt_or_create(c, UserGroup::meta());
         adopt_or_create(c, UserPermission::meta());
       }},
  };
  for (auto& m : password_change_migrations()) out.push_back(std::move(m));  // auth's own table beside Django's
  for (auto& m : otp::migrations()) out.push_back(std::move(m));              // django-otp's devices
  for (auto& m : security_event_migrations()) out.push_back(std::move(m));    // changes to them, for the admin
  for (auto& m : webauthn::migrations()) out.push_back(std::move(m));         // passkeys
  return out;
}

std::vector<std::string> migrate(db::Database& db, const std::vector<db::Migration>& extra) {
  register_models();
  static const signals::Connection permissions_receiver = models::post_migrate.connect(
      [](const models::MigrateEvent& e) { create_default_permissions(*e.connection); },
      {.dispatch_uid = "gatehouse.auth.create_default_permissions"});
  auto all = migrations();
  all.insert(all.end(), extra.begin(), extra.end());
  return models::migrate(db, all);
}

}  // namespace gatehouse::auth
