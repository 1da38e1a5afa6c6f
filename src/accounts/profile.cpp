#include "gatehouse/accounts/profile.h"

#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"

namespace gatehouse::accounts {

const models::ModelInfo<Profile>& Profile::meta() {
  static const models::ModelInfo<Profile> info =
      models::ModelInfo<Profile>("accounts", "profile", "accounts_profile")
          .primary_key("id", &Profile::id)
          .field("user_id", &Profile::user_id,
                 {.references = models::Reference{.table = "auth_user", .one_to_one = true}})
          .field("default_language", &Profile::default_language, {.max_length = 32})
          .field("default_exposure", &Profile::default_exposure, {.max_length = 10, .choices = kExposures})
          .field("default_expiration", &Profile::default_expiration, {.max_length = 10, .choices = kExpirations})
          .field("private", &Profile::is_private)
          .field("views", &Profile::views);
  return info;
}

std::vector<db::Migration> migrations() {
  return {{"accounts", "0001_profile", [](db::Connection& c) {
             models::register_model(&Profile::meta());
             models::create_table(c, Profile::meta());
           }}};
}

void connect_profile_receiver() {
  models::register_model(&Profile::meta());  // so deleting a user deletes the profile
  static const signals::Connection receiver = models::on_post_save<auth::User>(
      [](auth::User& user, const models::SaveEvent& e) {
        if (!e.created || e.raw || e.connection == nullptr) return;
        models::Manager<Profile>(*e.connection).create({.user_id = user.id});
      },
      {.dispatch_uid = "gatehouse.app.create_profile"});
}

Profile profile_for(db::Connection& conn, const auth::User& user) {
  return models::Manager<Profile>(conn).get({models::eq("user_id", user.id)});
}

}  // namespace gatehouse::accounts
