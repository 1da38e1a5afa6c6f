// authenticate / login / logout / get_user, the auth signals, and the throttle.
#include "gatehouse/auth/login.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/throttle.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/models/manager.h"
#include "test_cache.h"
#include "test_database.h"

namespace gatehouse::auth {
namespace {

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);
const std::string kSecret(50, 's');

class Login : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    connect_update_last_login();
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    auto extra = sessions::migrations();
    auth::migrate(*db_, extra);
    conn_.emplace(db_->acquire());
    store_ = std::make_unique<sessions::DatabaseSessionStore>(*db_, kSecret);
    UserManager(c()).create_user("ada", "Ada@Example.com", "analytical engine");
  }
  db::Connection& c() { return **conn_; }
  sessions::SessionRecord fresh() {
    sessions::SessionRecord s;
    s.expire = models::Timestamp{models::Timestamp::now().time + std::chrono::hours(1)};
    return s;
  }
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::optional<db::PooledConnection> conn_;
  std::unique_ptr<sessions::DatabaseSessionStore> store_;
  const Client client_{"203.0.113.7", "test-agent"};
};

TEST_P(Login, AuthenticateByUsernameOrEmailAndOneAnswerForEveryFailure) {
  const auto backends = default_backends();
  std::string backend;
  EXPECT_TRUE(authenticate(c(), backends, "ada", "analytical engine", client_, &backend));
  EXPECT_EQ(backend, "gatehouse.auth.ModelBackend");
  EXPECT_TRUE(authenticate(c(), backends, "ada@EXAMPLE.com", "analytical engine", client_, &backend));
  EXPECT_EQ(backend, "gatehouse.auth.EmailBackend");

  std::vector<std::map<std::string, std::string>> failures;
  signals::ScopedConnection r = user_login_failed.connect([&](const LoginFailedEvent& e) {
    failures.push_back(e.credentials);
    EXPECT_EQ(e.client->address, "203.0.113.7");
  });
  EXPECT_FALSE(authenticate(c(), backends, "ada", "wrong", client_));
  EXPECT_FALSE(authenticate(c(), backends, "nobody", "analytical engine", client_));
  EXPECT_FALSE(authenticate(c(), backends, "\xff\xfe", "x", client_));
  ASSERT_EQ(failures.size(), 3u);
  for (const auto& f : failures) {
    EXPECT_EQ(f.at("password"), "********");
    for (const auto& [k, v] : f) EXPECT_EQ(v.find("analytical"), std::string::npos) << "a password escaped in " << k;
  }
  User ada = UserManager(c()).get_by_natural_key("ada");
  ada.is_active = false;
  models::Manager<User>(c()).save(ada);
  EXPECT_FALSE(authenticate(c(), backends, "ada", "analytical engine", client_));  // inactive
}

TEST_P(Login, LoginRotatesTheKeyAndUpdatesLastLogin) {
  User ada = UserManager(c()).get_by_natural_key("ada");
  EXPECT_FALSE(ada.last_login.has_value());
  auto s = fresh();
  s.key = sessions::SessionStore::new_key();  // an attacker-chosen (fixated) key
  s.data["cart"] = "3 items";
  store_->save(s);
  const std::string fixated = s.key;
  std::vector<std::string> events;
  signals::ScopedConnection in = user_logged_in.connect([&](const LoginEvent& e) { events.push_back("in:" + e.user->username); });
  login(c(), *store_, s, ada, "gatehouse.auth.ModelBackend", kSecret, client_);
  EXPECT_NE(s.key, fixated);
  EXPECT_FALSE(store_->load(fixated)) << "the pre-login key must die";
  EXPECT_EQ(s.data.at("cart"), "3 items");  // the same user's data survives rotation
  const auto loaded = store_->load(s.key);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->user_id, ada.id);
  EXPECT_EQ(loaded->address, "203.0.113.7");
  EXPECT_EQ(get_user(c(), *loaded, kSecret)->username, "ada");
  EXPECT_EQ(events, std::vector<std::string>{"in:ada"});
  EXPECT_TRUE(UserManager(c()).get_by_natural_key("ada").last_login.has_value());
  EXPECT_FALSE(get_user(c(), *loaded, std::string(50, 'x'))) << "another secret: no user";
}

TEST_P(Login, PasswordChangeEndsOtherSessionsButNotThisOne) {
  User ada = UserManager(c()).get_by_natural_key("ada");
  auto laptop = fresh(), phone = fresh();
  login(c(), *store_, laptop, ada, "gatehouse.auth.ModelBackend", kSecret, client_);
  login(c(), *store_, phone, ada, "gatehouse.auth.ModelBackend", kSecret, client_);
  ada.set_password("a new passphrase");
  models::Manager<User>(c()).save(ada, {.update_fields = {"password"}});
  update_session_auth_hash(laptop, ada, kSecret);
  store_->save(laptop);
  EXPECT_TRUE(get_user(c(), *store_->load(laptop.key), kSecret));
  EXPECT_FALSE(get_user(c(), *store_->load(phone.key), kSecret));
}

TEST_P(Login, LogoutSendsTheSignalAndRemovesTheSession) {
  User ada = UserManager(c()).get_by_natural_key("ada");
  auto s = fresh();
  login(c(), *store_, s, ada, "gatehouse.auth.ModelBackend", kSecret, client_);
  int outs = 0;
  signals::ScopedConnection r = user_logged_out.connect([&](const LoginEvent& e) {
    EXPECT_EQ(e.user->username, "ada");
    ++outs;
  });
  logout(c(), *store_, s, ada, client_);
  EXPECT_EQ(outs, 1);
  EXPECT_FALSE(store_->load(s.key));
}

INSTANTIATE_TEST_SUITE_P(Engines, Login, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

class Throttle : public ::testing::TestWithParam<std::string> {};

TEST_P(Throttle, PerAccountAndPerAddress) {
  testing::TestCache tc(GetParam());
  LoginThrottle t(tc.cache(), {.max_failures_per_account = 3, .max_failures_per_address = 5, .window = std::chrono::seconds(1)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(t.retry_after("ada", "198.51.100.1"));
    t.record_failure("ADA", "198.51.100.1");  // account names are compared case-insensitively
  }
  const auto wait = t.retry_after("ada", "198.51.100.9");
  ASSERT_TRUE(wait);
  EXPECT_LE(wait->count(), 2);
  t.reset("ada");
  EXPECT_FALSE(t.retry_after("ada", "198.51.100.1"));
  for (int i = 0; i < 5; ++i) t.record_failure("user" + std::to_string(i), "198.51.100.2");
  EXPECT_TRUE(t.retry_after("someone-else", "198.51.100.2")) << "one address spraying many accounts";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the window ends
  EXPECT_FALSE(t.retry_after("someone-else", "198.51.100.2"));
  t.record_failure("x", "198.51.100.2");  // a new window starts at one failure
  EXPECT_FALSE(t.retry_after("x", "198.51.100.2"));
  LoginThrottle other_scope(tc.cache(), {.max_failures_per_account = 1}, "forgot");
  EXPECT_FALSE(other_scope.retry_after("x", "198.51.100.2")) << "scopes count apart";
  t.record_failure(std::string(5000, '\xff'), std::string(300, 'a'));  // any bytes, any length
}

INSTANTIATE_TEST_SUITE_P(Caches, Throttle, ::testing::ValuesIn(testing::all_cache_backends()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace gatehouse::auth
