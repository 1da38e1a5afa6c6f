// No failure of a dependency ends the server or gets the wrong answer: with
// the database, the cache (and so Redis, the throttle and cached sessions)
// or the mail server failing under a running AccountsServer, each request
// gets 503 with Retry-After and a JSON body (or the HTML error page), nothing
// is counted against the user, and service returns with the dependency. The
// faults are injected by wrappers of the real parts (tests/support/faults.h),
// on SQLite and on PostgreSQL + Redis.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "accounts_server.h"
#include "api_browser.h"
#include "faults.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/tasks/tasks.h"

namespace gatehouse::app {
namespace {

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);
using nlohmann::json;
using testing::Browser;
using testing::Reply;

const std::string kGood = "correct horse battery staple";

bool unavailable(const Reply& r) {
  return r.status == 503 && r.raw.find("\r\nRetry-After: ") != std::string::npos && r.body.is_object() &&
         r.body.contains("error") && r.body.contains("detail");
}

class Faults : public ::testing::TestWithParam<testing::Deployment> {
 protected:
  ServerParts parts() {
    ServerParts p;
    p.database.decorate = testing::faulty_connections(faults_);
    p.database.acquire_timeout = std::chrono::milliseconds(300);  // an exhausted pool answers soon
    p.wrap_cache = [f = faults_](std::unique_ptr<cache::Cache> c) { return testing::faulty_cache(std::move(c), f); };
    p.email = testing::faulty_mail(std::make_shared<mail::MemoryBackend>(), faults_);
    p.clock = &clock_;
    return p;
  }
  void SetUp() override {
    auto c = server_->database().acquire();
    auth::UserManager(*c).create_user("ada", "ada@example.com", kGood);
  }
  Browser logged_in() {
    Browser b(server_->port());
    b.fetch_csrf();
    EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "ada"}, {"password", kGood}}.dump()).status, 200);
    return b;
  }
  Reply login(Browser& b, const std::string& password) {
    return b.request("POST", "/api/login", json{{"username", "ada"}, {"password", password}}.dump());
  }

  std::shared_ptr<testing::Faults> faults_ = std::make_shared<testing::Faults>();
  core::ManualClock clock_;
  testing::RunningAccountsServer server_{GetParam(), {}, parts()};
};

TEST_P(Faults, DatabaseDownIs503EverywhereAndServiceReturns) {
  Browser b = logged_in();
  Browser anonymous(server_->port());
  anonymous.fetch_csrf();
  faults_->database_down = true;
  EXPECT_TRUE(unavailable(login(anonymous, kGood))) << login(anonymous, kGood).raw;
  EXPECT_TRUE(unavailable(b.request("GET", "/api/me"))) << b.request("GET", "/api/me").raw;
  EXPECT_TRUE(unavailable(b.request("POST", "/api/signup", json{{"username", "bo"}, {"email", "b@example.com"}, {"password", kGood}}.dump())));
  EXPECT_TRUE(unavailable(b.request("POST", "/api/password/forgot", json{{"email", "ada@example.com"}}.dump())));
  const Reply page = b.request("GET", "/accounts/profile/");
  EXPECT_EQ(page.status, 503) << page.raw;
  EXPECT_NE(page.raw.find("text/html"), std::string::npos) << "a page answers with the HTML error page";
  EXPECT_EQ(b.request("GET", "/healthz").status, 200) << "what needs no database still works";
  EXPECT_GT(faults_->database_failures.load(), 0);
  faults_->database_down = false;
  EXPECT_EQ(b.request("GET", "/api/me").status, 200) << "the same session, once the database is back";
  EXPECT_EQ(login(anonymous, kGood).status, 200);
}

TEST_P(Faults, TheDatabaseFailingInTheMiddleOfEachOperationIs503AndChangesNothing) {
  Browser b = logged_in();
  faults_->database_writes = true;  // reads work: each operation gets as far as its first write
  Browser other(server_->port());
  other.fetch_csrf();
  EXPECT_TRUE(unavailable(login(other, kGood))) << "not 401: the password was right";
  EXPECT_TRUE(unavailable(b.request("POST", "/api/signup", json{{"username", "bo"}, {"email", "b@example.com"}, {"password", kGood}}.dump())))
      << "not 400: nothing was wrong with the form";
  EXPECT_TRUE(unavailable(b.request("POST", "/api/password/change",
                                    json{{"old_password", kGood}, {"new_password", "an entirely new passphrase"}}.dump())));
  faults_->database_writes = false;
  EXPECT_EQ(login(other, kGood).status, 200) << "the old password still works: the change did not half-happen";
  EXPECT_EQ(b.request("POST", "/api/signup", json{{"username", "bo"}, {"email", "b@example.com"}, {"password", kGood}}.dump()).status, 201);
}

TEST_P(Faults, CacheDownAtLoginIs503AndCountsNoFailure) {
  Browser b(server_->port());
  b.fetch_csrf();
  faults_->cache_down = true;  // the throttle (and, on Redis deployments, the session store)
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(unavailable(login(b, "wrong password"))) << i;
  faults_->cache_down = false;
  EXPECT_EQ(login(b, kGood).status, 200) << "eight refused attempts while the cache was down counted nothing";
}

TEST_P(Faults, TheSessionStoreFailingAtLoginIs503NotBadCredentials) {
  Browser b(server_->port());
  b.fetch_csrf();
  faults_->database_writes = true;  // the database store's save, or last_login on a cache store
  if (GetParam().redis || !GetParam().session_store.empty()) faults_->cache_down = true;
  const Reply r = login(b, kGood);
  EXPECT_TRUE(unavailable(r)) << r.raw;
  EXPECT_EQ(r.raw.find("invalid_credentials"), std::string::npos);
  faults_->database_writes = false;
  faults_->cache_down = false;
  EXPECT_EQ(login(b, kGood).status, 200);
}

TEST_P(Faults, AnExhaustedDatabasePoolIs503) {
  std::vector<db::PooledConnection> held;
  EXPECT_EQ(logged_in().request("GET", "/api/me").status, 200);
  Browser b = logged_in();
  try {
    for (;;) held.push_back(server_->database().acquire());  // every connection, until acquire gives up
  } catch (const db::DatabaseError& e) {
    EXPECT_EQ(e.kind(), db::ErrorKind::busy);
  }
  EXPECT_TRUE(unavailable(b.request("GET", "/api/me")));
  EXPECT_TRUE(unavailable(login(b, kGood)));
  held.clear();
  EXPECT_EQ(b.request("GET", "/api/me").status, 200);
}

TEST_P(Faults, MailRefusedLeavesTheJobInTheOutboxUntilTheServerTakesIt) {
  faults_->mail_down = true;
  Browser b(server_->port());
  b.fetch_csrf();
  ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "bo"}, {"email", "bo@example.com"}, {"password", kGood}}.dump()).status, 201)
      << "the signup does not wait for the mail server";
  const auto welcome_state = [&]() -> std::string {
    for (const auto state : {tasks::State::pending, tasks::State::running, tasks::State::done, tasks::State::dead})
      for (const auto& j : tasks::list(server_->database(), state))
        if (j.idempotency_key.starts_with("mail.welcome:")) return std::string(tasks::to_string(j.state));
    return "missing";
  };
  const auto welcome_error = [&]() -> std::string {
    for (const auto& j : tasks::list(server_->database(), tasks::State::pending))
      if (j.idempotency_key.starts_with("mail.welcome:")) return j.last_error;
    return "";
  };
  // The worker counts the refusal before it writes the job back, so wait
  // for the job to carry the failure, not for the counter.
  for (int i = 0; i < 500 && welcome_error().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(faults_->mail_failures.load(), 0) << "the worker tried";
  EXPECT_NE(welcome_error().find("refused"), std::string::npos) << "the refusal is recorded on the job";
  EXPECT_EQ(welcome_state(), "pending") << "a refused send waits to be retried, not lost";
  faults_->mail_down = false;
  clock_.advance(std::chrono::minutes(31));  // past any backoff: the retry is due
  for (int i = 0; i < 500 && welcome_state() != "done"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(welcome_state(), "done");
}

INSTANTIATE_TEST_SUITE_P(Deployments, Faults, ::testing::ValuesIn(testing::all_deployments()), testing::deployment_name);

// sqlite::memory: is a real pool: a login (the throttle's cache needs a
// connection of its own) works instead of ending the process.
TEST(MemoryDatabase, ServesALogin) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "memory"}, {}, {},
                                        [](Config& c) { c.database_url = "sqlite::memory:"; });
  {
    auto c = server->database().acquire();
    auth::UserManager(*c).create_user("ada", "ada@example.com", kGood);
  }
  Browser b(server->port());
  b.fetch_csrf();
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "ada"}, {"password", kGood}}.dump()).status, 200);
  EXPECT_EQ(b.request("GET", "/api/me").body["username"], "ada");
}

}  // namespace
}  // namespace gatehouse::app
