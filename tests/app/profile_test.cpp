#include "gatehouse/accounts/profile.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"
#include "test_database.h"

namespace gatehouse::accounts {
namespace {

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);

class ProfileTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    connect_profile_receiver();
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    auth::migrate(*db_, migrations());
    conn_.emplace(db_->acquire());
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    tdb_.reset();
  }
  db::Connection& c() { return **conn_; }
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::optional<db::PooledConnection> conn_;
};

TEST_P(ProfileTest, EveryNewUserGetsAProfileWithTheDefaults) {
  auth::UserManager users(c());
  const auth::User u = users.create_user("writer", "w@example.com", "pw");
  const Profile p = profile_for(c(), u);
  EXPECT_EQ(p.user_id, u.id);
  EXPECT_EQ(p.default_language, "text");
  EXPECT_EQ(p.default_exposure, "public");
  EXPECT_EQ(p.default_expiration, "never");
  EXPECT_FALSE(p.is_private);
  EXPECT_EQ(p.views, 0);
  // Saving the user again creates nothing more.
  auth::User again = u;
  again.first_name = "W";
  users.save(again);
  EXPECT_EQ(models::Manager<Profile>(c()).count(), 1);
}

TEST_P(ProfileTest, RawSavesAndRolledBackUsersGetNone) {
  auth::UserManager users(c());
  auth::User raw;
  raw.username = "imported";
  raw.set_unusable_password();
  users.save(raw, {.raw = true});
  EXPECT_THROW(profile_for(c(), raw), models::DoesNotExist);
  {
    db::Transaction tx(c());
    users.create_user("ghost");
  }  // rolled back: the user and the profile made in its transaction
  EXPECT_EQ(models::Manager<Profile>(c()).count(), 0);
}

TEST_P(ProfileTest, DeletingTheUserDeletesTheProfileAndChoicesAreChecked) {
  auth::UserManager users(c());
  auth::User u = users.create_user("temp");
  Profile p = profile_for(c(), u);
  p.default_exposure = "secret";
  EXPECT_THROW(models::Manager<Profile>(c()).save(p), models::ValidationError);
  p.default_exposure = "unlisted";
  p.default_expiration = "6m";
  models::Manager<Profile>(c()).save(p);
  EXPECT_EQ(profile_for(c(), u).default_expiration, "6m");
  users.remove(u);
  EXPECT_EQ(models::Manager<Profile>(c()).count(), 0);
  // One profile per user: the column is unique.
  auth::User v = users.create_user("second");
  EXPECT_THROW(models::Manager<Profile>(c()).create({.user_id = v.id}), db::DatabaseError);
}

INSTANTIATE_TEST_SUITE_P(Engines, ProfileTest, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

}  // namespace
}  // namespace gatehouse::accounts
