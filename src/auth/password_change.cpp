#include "gatehouse/auth/password_change.h"

#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"

namespace gatehouse::auth {

const models::ModelInfo<PasswordChangeRequired>& PasswordChangeRequired::meta() {
  static const models::ModelInfo<PasswordChangeRequired> info =
      models::ModelInfo<PasswordChangeRequired>("gatehouse_auth", "passwordchangerequired", "gatehouse_password_change_required")
          .primary_key("id", &PasswordChangeRequired::id)
          .field("user_id", &PasswordChangeRequired::user_id,
                 {.references = models::Reference{.table = "auth_user", .one_to_one = true}})
          .field("since", &PasswordChangeRequired::since);
  return info;
}

std::vector<db::Migration> password_change_migrations() {
  return {{"gatehouse_auth", "0001_password_change_required", [](db::Connection& c) {
             models::register_model(&PasswordChangeRequired::meta());  // a deleted user's flag goes with them
             if (!db::table_exists(c, PasswordChangeRequired::meta().table()))
               models::create_table(c, PasswordChangeRequired::meta());
           }}};
}

bool must_change_password(db::Connection& conn, std::int64_t user_id) {
  models::register_model(&PasswordChangeRequired::meta());
  return models::Manager<PasswordChangeRequired>(conn).exists({models::eq("user_id", user_id)});
}

void require_password_change(db::Connection& conn, std::int64_t user_id, bool required) {
  models::Manager<PasswordChangeRequired> flags(conn);
  if (!required) {
    conn.execute("DELETE FROM " + PasswordChangeRequired::meta().table() + " WHERE user_id = ?", {db::Value(user_id)});
    return;
  }
  if (!flags.exists({models::eq("user_id", user_id)})) flags.create({.user_id = user_id, .since = models::Timestamp::now()});
}

}  // namespace gatehouse::auth
