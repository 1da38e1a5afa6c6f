// "Must change password at next login": a flag staff set in the admin, kept
// in gatehouse_password_change_required (auth_user stays Django's table).
// A login of a flagged user succeeds, but its session carries
// kPasswordChangeRequiredKey until the user changes the password: the web
// layer's password_change_gate sends every other request to the password
// change (the JSON API answers 403 "password_change_required"). Changing the
// password (Accounts::change_password) or recovering it clears the flag.
//
//   auth::require_password_change(conn, user.id, true);
//   if (auth::must_change_password(conn, user.id)) ...;
#pragma once

#include <cstdint>
#include <vector>

#include "gatehouse/db/connection.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/models/model.h"

namespace gatehouse::auth {

// In a session: the user logged in with the flag set and has not changed the password yet.
inline constexpr const char* kPasswordChangeRequiredKey = "_password_change_required";

struct PasswordChangeRequired {
  std::int64_t id = 0;
  std::int64_t user_id = 0;  // one-to-one with auth_user; deleted with the user
  models::Timestamp since{};
  static const models::ModelInfo<PasswordChangeRequired>& meta();
};

// The flag's table.
std::vector<db::Migration> password_change_migrations();

bool must_change_password(db::Connection& conn, std::int64_t user_id);
// Sets or clears the flag (idempotent).
void require_password_change(db::Connection& conn, std::int64_t user_id, bool required);

}  // namespace gatehouse::auth
