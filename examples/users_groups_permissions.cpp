// Users, groups and permissions (django.contrib.auth's models and
// ModelBackend's checks).
//
// Shows: creating users and a superuser with UserManager, a group given
// permissions, a user added to it, has_perm for that user, for another user,
// for the superuser, for the user once inactive and for AnonymousUser;
// get_all_permissions; check_password; and what a taken username does.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/error.h"
#include "gatehouse/models/manager.h"

namespace {

using namespace gatehouse;

const std::string kPassword = "correct horse battery staple";

const char* yes_no(bool b) {
  return b ? "yes" : "no";
}

void show_perm(db::Connection& c, const auth::User& user, const std::string& perm) {
  std::cout << user.username << " has " << perm << ": " << yes_no(auth::has_perm(c, user, perm))
            << "\n";
}

// An editors group that may view and change users.
auth::Group make_editors(db::Connection& c) {
  auth::Group editors = models::Manager<auth::Group>(c).create({.name = "editors"});
  auth::group_permissions.add(c, editors,
                              {auth::get_permission(c, "auth.view_user").id,
                               auth::get_permission(c, "auth.change_user").id});
  return editors;
}

void check_permissions(db::Connection& c, auth::UserManager& users) {
  auth::User alice = users.create_user("alice", "alice@example.com", kPassword);
  const auth::User bob = users.create_user("bob", "bob@example.com", kPassword);
  const auth::User root = users.create_superuser("root", "root@example.com", kPassword);

  const auth::Group editors = make_editors(c);
  auth::user_groups.add(c, alice, {editors.id});

  show_perm(c, alice, "auth.change_user");
  show_perm(c, alice, "auth.delete_user");
  show_perm(c, bob, "auth.change_user");
  show_perm(c, root, "auth.delete_user");  // an active superuser has every permission
  std::string all;
  for (const auto& p : auth::get_all_permissions(c, alice)) all += (all.empty() ? "" : ", ") + p;
  std::cout << "alice's permissions: " << all << "\n";

  alice.is_active = false;
  users.save(alice);
  show_perm(c, alice, "auth.change_user");  // an inactive user has none

  const auth::AnonymousUser anonymous;
  std::cout << "anonymous has auth.view_user: " << yes_no(anonymous.has_perm("auth.view_user"))
            << "\n";
}

void check_passwords(auth::UserManager& users) {
  auth::User bob = users.get_by_natural_key("bob");
  std::cout << "bob's password is \"" << kPassword
            << "\": " << yes_no(bob.check_password(kPassword)) << "\n";
  std::cout << "bob's password is \"hunter2\": " << yes_no(bob.check_password("hunter2")) << "\n";
  try {
    users.create_user("bob", "other-bob@example.com", kPassword);
    std::cout << "a second bob was created\n";
  } catch (const db::DatabaseError& e) {
    if (e.kind() != db::ErrorKind::unique_violation) throw;
    std::cout << "a second bob is refused: " << db::to_string(e.kind()) << "\n";
  }
  std::cout << "users: " << users.count() << "\n";
}

}  // namespace

int main() {
  setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1);  // fast hashing for an example, before any hash
  try {
    db::Database db("sqlite::memory:");
    auth::migrate(db);  // the auth tables and the default permissions
    auto conn = db.acquire();
    auth::UserManager users(*conn);
    check_permissions(*conn, users);
    check_passwords(users);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "users_groups_permissions: " << e.what() << "\n";
    return 1;
  }
}
