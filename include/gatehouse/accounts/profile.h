// Profile: how an application extends User, as Django projects do — a
// one-to-one model (the seeds' Author), created for every new user by a
// post_save receiver. GET /api/me shows it.
//
//   accounts::connect_profile_receiver();         // once, at start-up
//   auth::migrate(db, accounts::migrations());    // creates accounts_profile
//   Profile p = accounts::profile_for(conn, user);
#pragma once

#include <string>
#include <vector>

#include "gatehouse/auth/user.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/models/model.h"

namespace gatehouse::accounts {

struct Profile {
  std::int64_t id = 0;
  std::int64_t user_id = 0;               // one-to-one with auth_user; deleted with the user
  std::string default_language = "text";  // the syntax a new paste starts with
  std::string default_exposure = "public";    // public, unlisted, private
  std::string default_expiration = "never";   // never, 1w, 1m, 6m, 1y
  bool is_private = false;                // column "private"
  std::int64_t views = 0;

  static const models::ModelInfo<Profile>& meta();
};

inline const std::vector<std::string> kExposures = {"public", "unlisted", "private"};
inline const std::vector<std::string> kExpirations = {"never", "1w", "1m", "6m", "1y"};

// The schema of the accounts app (after auth's migrations).
std::vector<db::Migration> migrations();

// Connects the post_save receiver on User that creates a Profile for each new
// user (not for raw saves). Idempotent (dispatch_uid).
void connect_profile_receiver();

// The user's profile; throws models::DoesNotExist if there is none.
Profile profile_for(db::Connection& conn, const auth::User& user);

}  // namespace gatehouse::accounts
