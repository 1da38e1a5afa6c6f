// A profile created by a post_save receiver (Django's "extending the User
// model with a one-to-one Profile").
//
// Shows: a model of the application's own (Profile, one-to-one with
// auth_user), its table made by a migration that runs after auth's, a
// receiver connected at static initialisation to models::post_save for the
// User model that creates the profile when a user is created (and not on
// later saves), and the profile going with its user when the user is deleted.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"
#include "gatehouse/signals/receiver.h"

namespace {

using namespace gatehouse;

struct Profile {
  std::int64_t id = 0;
  std::int64_t user_id = 0;  // one-to-one with auth_user: deleted with the user
  std::string bio{};
  static const models::ModelInfo<Profile>& meta() {
    static const models::ModelInfo<Profile> info =
        models::ModelInfo<Profile>("example", "profile", "example_profile")
            .primary_key("id", &Profile::id)
            .field("user_id", &Profile::user_id,
                   {.references = models::Reference{.table = "auth_user", .one_to_one = true}})
            .field("bio", &Profile::bio, {.blank = true, .max_length = 200});
    return info;
  }
};
// Registered at start-up, so that deleting a user finds its profile.
const models::Registration<Profile> profile_model;

// The receiver: runs inside the transaction of the user's save, on its
// connection, so the profile exists exactly when the user does.
void create_profile(const models::SaveEvent& e) {
  if (!e.created || e.raw) return;
  const auto& user = e.as<auth::User>();
  models::Manager<Profile>(*e.connection)
      .create({.user_id = user.id, .bio = "Hello, I am " + user.username + "."});
}
const signals::Receiver profile_receiver{
    models::post_save, create_profile, {.sender = signals::Sender::of<auth::User>()}};

std::vector<db::Migration> example_migrations() {
  return {{"example", "0001_profile",
           [](db::Connection& c) { models::create_table(c, Profile::meta()); }}};
}

void run() {
  db::Database db("sqlite::memory:");
  auth::migrate(db, example_migrations());
  auto conn = db.acquire();
  auth::UserManager users(*conn);
  models::Manager<Profile> profiles(*conn);

  auth::User ada = users.create_user("ada", "ada@example.com", "correct horse battery staple");
  std::cout << "created user " << ada.username << "\n";
  const Profile p = profiles.get({models::eq("user_id", ada.id)});
  std::cout << "profile of " << ada.username << ": " << p.bio << "\n";

  ada.first_name = "Ada";
  users.save(ada);  // an update: `created` is false, no second profile
  std::cout << "profiles after an update: " << profiles.count() << "\n";

  users.create_user("grace", "grace@example.com", "another good passphrase");
  std::cout << "profiles after a second user: " << profiles.count() << "\n";

  users.remove(ada);  // cascades to the profile
  std::cout << "profiles after deleting ada: " << profiles.count() << "\n";
}

}  // namespace

int main() {
  setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1);  // fast hashing for an example, before any hash
  try {
    run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "profile_on_post_save: " << e.what() << "\n";
    return 1;
  }
}
