// authenticate / login / logout / get_user, the auth signals, and the throttle.
#include "gatehouse/auth/login.h"

#include "gatehouse/passwords/hash_pool.h"

#include <gtest/gtest.h>

#include <atomic>
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
  passwords::HashPool pool(passwords::default_hashers());
  const BackendContext ctx{*db_, pool};
  const auto auth = [&](const std::string& id, const std::string& pw) {
    return authenticate_wait(ctx, backends, {id, pw}, client_);
  };
  auto a = auth("ada", "analytical engine");
  ASSERT_TRUE(a.user);
  EXPECT_EQ(a.backend, "django.contrib.auth.backends.ModelBackend") << "Django's path, so Django accepts the session";
  a = auth("ada@EXAMPLE.com", "analytical engine");
  ASSERT_TRUE(a.user);
  EXPECT_EQ(a.backend, "gatehouse.auth.backends.EmailBackend");

  std::vector<std::map<std::string, std::string>> failures;
  signals::ScopedConnection r = user_login_failed.connect([&](const LoginFailedEvent& e) {
    failures.push_back(e.credentials);
    EXPECT_EQ(e.client->address, "203.0.113.7");
  });
  EXPECT_FALSE(auth("ada", "wrong").user);
  EXPECT_FALSE(auth("nobody", "analytical engine").user);
  EXPECT_FALSE(auth("\xff\xfe", "x").user);
  ASSERT_EQ(failures.size(), 3u) << "one user_login_failed per authenticate(), however many backends refused";
  for (const auto& f : failures) {
    EXPECT_EQ(f.at("password"), "********");
    for (const auto& [k, v] : f) EXPECT_EQ(v.find("analytical"), std::string::npos) << "a password escaped in " << k;
  }
  User ada = UserManager(c()).get_by_natural_key("ada");
  ada.is_active = false;
  models::Manager<User>(c()).save(ada);
  EXPECT_FALSE(auth("ada", "analytical engine").user);  // inactive
  EXPECT_FALSE(auth("ada", "analytical engine").error);
}

// Login timing must not tell account kinds apart: a refused login costs one
// check at the current parameters whether the account is unknown, has an
// unusable password, is inactive, or has a hash at weaker parameters
// (Django's harden_runtime). Work is counted, not timed: a hasher whose
// "cost" is its iteration count adds what it spends to a counter.
std::atomic<std::uint64_t> g_work{0};
class CountingHasher final : public passwords::Hasher {
 public:
  explicit CountingHasher(std::uint64_t cost) : cost_(cost) {}
  std::string_view algorithm() const noexcept override { return "counting"; }
  std::string encode(std::string_view password, std::string_view salt) const override { return encode_at(cost_, password, salt); }
  static std::string encode_at(std::uint64_t cost, std::string_view password, std::string_view salt) {
    return "counting$" + std::to_string(cost) + "$" + std::string(salt) + "$" +
           std::to_string(std::hash<std::string>{}(std::string(password) + "/" + std::string(salt)));
  }
  bool is_well_formed(std::string_view encoded) const noexcept override { return encoded.starts_with("counting$"); }
  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    const auto [cost, salt] = parts(encoded);
    g_work += cost;
    return encode_at(cost, password, salt) == encoded;
  }
  bool must_update(std::string_view encoded) const noexcept override { return parts(encoded).first != cost_; }
  void harden_runtime(std::string_view, std::string_view encoded) const noexcept override {
    if (const auto cost = parts(encoded).first; cost < cost_) g_work += cost_ - cost;
  }

 private:
  static std::pair<std::uint64_t, std::string> parts(std::string_view encoded) {
    const std::string e(encoded);
    const auto a = e.find('$'), b = e.find('$', a + 1), c = e.find('$', b + 1);
    return {std::stoull(e.substr(a + 1, b - a - 1)), e.substr(b + 1, c - b - 1)};
  }
  std::uint64_t cost_;
};

TEST_P(Login, EveryRefusedKindOfAccountCostsOneCheckAtTheCurrentParameters) {
  const passwords::HasherRegistry registry({std::make_shared<CountingHasher>(1000)});
  passwords::HashPool pool(registry);
  const BackendContext ctx{*db_, pool};
  const auto set_password = [&](const std::string& username, const std::string& encoded, bool active = true) {
    User u = UserManager(c()).create_user(username, username + "@example.com", "placeholder password 1");
    u.is_active = active;
    models::Manager<User>(c()).save(u);
    c().execute("UPDATE auth_user SET password = ? WHERE username = ?", {encoded, username});
  };
  set_password("current", CountingHasher::encode_at(1000, "right", "saltsaltsaltsaltsaltsa"));
  set_password("weaker", CountingHasher::encode_at(10, "right", "saltsaltsaltsaltsaltsa"));
  set_password("unusable", "!unusable-password-marker");
  set_password("inactive", CountingHasher::encode_at(1000, "right", "saltsaltsaltsaltsaltsa"), false);
  const Backends model{std::make_shared<ModelBackend>()};
  for (const char* who : {"current", "weaker", "unusable", "inactive", "nobody"}) {
    g_work = 0;
    EXPECT_FALSE(authenticate_wait(ctx, model, {who, "wrong"}, client_).user) << who;
    EXPECT_EQ(g_work.load(), 1000u) << who << ": a refusal must cost one check at the current cost";
  }
  g_work = 0;
  EXPECT_FALSE(authenticate_wait(ctx, model, {"inactive", "right"}, client_).user);
  EXPECT_EQ(g_work.load(), 1000u) << "the right password of an inactive account costs the same";
}

// A backend of the application's own plugs in as the built-in ones do.
TEST_P(Login, AnApplicationsOwnBackendAuthenticatesOnThePool) {
  struct Pin final : AuthBackend {
    std::string name() const override { return "example.PinBackend"; }
    void authenticate(const BackendContext& ctx, const Credentials& cr, BackendDone done) override {
      std::optional<User> u;
      if (cr.identifier == "pin:ada") {
        auto c = ctx.db.acquire();
        u = UserManager(*c).get_by_natural_key("ada");
      }
      check_candidate(ctx, std::move(u), cr.password, std::move(done));  // the same dummy work when there is no user
    }
  };
  passwords::HashPool pool(passwords::default_hashers());
  const Backends backends{std::make_shared<Pin>()};
  auto a = authenticate_wait({*db_, pool}, backends, {"pin:ada", "analytical engine"}, client_);
  ASSERT_TRUE(a.user);
  EXPECT_EQ(a.backend, "example.PinBackend");
  EXPECT_FALSE(authenticate_wait({*db_, pool}, backends, {"ada", "analytical engine"}, client_).user);
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
  login(*db_, *store_, s, ada, ModelBackend().name(), kSecret, client_);
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

// Connected by default (nothing in SetUp connects it); disconnected by its
// dispatch_uid, as a Django project does; connected again, once.
TEST_P(Login, UpdateLastLoginIsConnectedByDefaultAndCanBeTurnedOff) {
  User ada = UserManager(c()).get_by_natural_key("ada");
  auto first = fresh();
  login(*db_, *store_, first, ada, ModelBackend().name(), kSecret, client_);
  EXPECT_TRUE(UserManager(c()).get_by_natural_key("ada").last_login.has_value());
  ASSERT_TRUE(user_logged_in.disconnect_uid("gatehouse.auth.update_last_login"));
  models::Manager<User>(c()).filter({}).update_without_signals({{"last_login", db::Value()}});
  auto second = fresh();
  login(*db_, *store_, second, ada, ModelBackend().name(), kSecret, client_);
  EXPECT_FALSE(UserManager(c()).get_by_natural_key("ada").last_login.has_value());
  const std::size_t before = user_logged_in.receiver_count();
  connect_update_last_login();
  connect_update_last_login();
  EXPECT_EQ(user_logged_in.receiver_count(), before + 1);
  auto third = fresh();
  login(*db_, *store_, third, ada, ModelBackend().name(), kSecret, client_);
  EXPECT_TRUE(UserManager(c()).get_by_natural_key("ada").last_login.has_value());
}

TEST_P(Login, PasswordChangeEndsOtherSessionsButNotThisOne) {
  User ada = UserManager(c()).get_by_natural_key("ada");
  auto laptop = fresh(), phone = fresh();
  login(*db_, *store_, laptop, ada, ModelBackend().name(), kSecret, client_);
  login(*db_, *store_, phone, ada, ModelBackend().name(), kSecret, client_);
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
  login(*db_, *store_, s, ada, ModelBackend().name(), kSecret, client_);
  int outs = 0;
  signals::ScopedConnection r = user_logged_out.connect([&](const LoginEvent& e) {
    EXPECT_EQ(e.user->username, "ada");
    ++outs;
  });
  logout(*db_, *store_, s, ada, client_);
  EXPECT_EQ(outs, 1);
  EXPECT_FALSE(store_->load(s.key));
}

INSTANTIATE_TEST_SUITE_P(Engines, Login, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

class Throttle : public ::testing::TestWithParam<std::string> {};

TEST_P(Throttle, PerAccountAndPerAddress) {
  testing::TestCache tc(GetParam());
  LoginThrottle t(tc.cache(), {.max_failures_per_address = 5, .max_failures_per_account = 3, .window = std::chrono::seconds(1)});
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
  tc.advance(std::chrono::seconds(1));  // the window ends
  EXPECT_FALSE(t.retry_after("someone-else", "198.51.100.2"));
  t.record_failure("x", "198.51.100.2");  // a new window starts at one failure
  EXPECT_FALSE(t.retry_after("x", "198.51.100.2"));
  LoginThrottle other_scope(tc.cache(), {.max_failures_per_account = 1}, "forgot");
  EXPECT_FALSE(other_scope.retry_after("x", "198.51.100.2")) << "scopes count apart";
  t.record_failure(std::string(5000, '\xff'), std::string(300, 'a'));  // any bytes, any length
}

// The login policy (auth/throttle.h): an attacker cannot lock the victim out,
// and cannot spread guesses over addresses without limit.
TEST_P(Throttle, AnotherClientsFailuresNeverLockTheVictimOut) {
  testing::TestCache tc(GetParam());
  LoginThrottle t(tc.cache());  // the server's login policy
  const std::string victim = "192.0.2.10", attacker = "198.51.100.66";
  for (int i = 0; i < 50; ++i) {
    if (!t.retry_after("alice", attacker)) t.record_failure("alice", attacker);
  }
  EXPECT_TRUE(t.retry_after("alice", attacker)) << "the guessing client waits";
  EXPECT_FALSE(t.retry_after("alice", victim)) << "the victim, with no failures of their own, may log in";
  t.reset("alice", victim);  // the victim's success
  EXPECT_TRUE(t.retry_after("alice", attacker)) << "and the attacker still waits";
}

// What the admin's throttle panel reads and clears.
TEST_P(Throttle, TheAdminSeesAndClearsWhatLocksAnAccountOrAClient) {
  testing::TestCache tc(GetParam());
  LoginThrottle t(tc.cache());  // the server's login policy: 5 a pair, 20 a client, alarm at 10
  const std::string attacker = "198.51.100.66", other = "203.0.113.7";
  for (int i = 0; i < 9; ++i) t.record_failure("alice", attacker);
  for (int i = 0; i < 2; ++i) t.record_failure("Alice", other);
  EXPECT_EQ(t.account_count("alice").failures, 11);
  EXPECT_TRUE(t.account_count("alice").locked) << "past the alarm: under attack";
  EXPECT_GT(t.account_count("alice").expires_in.count(), 0);
  const auto clients = t.clients_of("ALICE");
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].first, attacker);
  EXPECT_EQ(clients[0].second.failures, 9);
  EXPECT_TRUE(clients[0].second.locked);
  EXPECT_EQ(clients[1].first, other);
  EXPECT_FALSE(clients[1].second.locked) << "two failures: may still try";
  ASSERT_TRUE(t.retry_after("alice", attacker));
  t.clear_account("alice");
  EXPECT_EQ(t.account_count("alice").failures, 0);
  EXPECT_TRUE(t.clients_of("alice").empty());
  EXPECT_FALSE(t.retry_after("alice", attacker)) << "cleared: the pair's count went too";

  for (int i = 0; i < 20; ++i) t.record_failure("user" + std::to_string(i), attacker);
  EXPECT_TRUE(t.address_count(attacker).locked);
  EXPECT_TRUE(t.retry_after("bob", attacker));
  t.clear_address(attacker);
  EXPECT_EQ(t.address_count(attacker).failures, 0);
  EXPECT_FALSE(t.retry_after("bob", attacker));
}

TEST_P(Throttle, UnicodeVariantsOfAUsernameShareOneCount) {
  testing::TestCache tc(GetParam());
  LoginThrottle t(tc.cache());
  const std::string a = "198.51.100.7";
  for (const char* variant : {"alice", "ALICE", "\xef\xbd\x81lice", "\xf0\x9d\x90\x9a\xf0\x9d\x90\xa5ice", "\xe1\xb5\x83lice"})
    t.record_failure(variant, a);  // alice, ALICE, full-width a, mathematical bold a and l, modifier letter a
  EXPECT_TRUE(t.retry_after("alice", a)) << "five spellings, one account, one count";
  EXPECT_TRUE(t.retry_after("\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x83\xef\xbd\x85", a));
  EXPECT_EQ(LoginThrottle::account_of("\xef\xbd\x81lice"), "alice");
  EXPECT_EQ(LoginThrottle::account_of("\xff\xfe"), "\xff\xfe") << "bytes that are not UTF-8 stay as they are";
}

TEST_P(Throttle, AnAccountUnderAttackGivesEachAddressOneGuess) {
  testing::TestCache tc(GetParam());
  LoginThrottle t(tc.cache(), {.window = std::chrono::seconds(2)});  // the login policy, on a short window
  int guesses = 0;
  for (int bot = 0; bot < 40; ++bot) {  // 40 addresses, each as many guesses as it is allowed
    const std::string address = "203.0.113." + std::to_string(bot);
    while (!t.retry_after("bob", address) && guesses < 1000) {
      t.record_failure("bob", address);
      ++guesses;
    }
  }
  // The first two addresses reach the alarm (10) with 5 each; every later one gets 1.
  EXPECT_EQ(guesses, 10 + 38);
  EXPECT_FALSE(t.retry_after("bob", "192.0.2.99")) << "a clean client still may";
  tc.advance(std::chrono::seconds(2));
  EXPECT_FALSE(t.retry_after("bob", "203.0.113.5")) << "the window ends";
}

INSTANTIATE_TEST_SUITE_P(Caches, Throttle, ::testing::ValuesIn(testing::all_cache_backends()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace gatehouse::auth
