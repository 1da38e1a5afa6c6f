#include "gatehouse/sessions/store.h"

#include <gtest/gtest.h>

#include "gatehouse/crypto/signing.h"
#include "gatehouse/db/migrations.h"
#include "test_cache.h"
#include "test_database.h"

namespace gatehouse::sessions {
namespace {

const std::string kKey(50, 'k');

TEST(SessionData, ReadsWhatDjangoWroteAndRefusesTampering) {
  // Django 3.2: SessionStore().encode({...}) with SECRET_KEY "k"*50.
  const std::string django =
      ".eJyrVopPLC3JiC8tTi2Kz0xRslIyV9JBFstILM4AiiYmJQPF8_JLUoGcnJhSA4NUi5Lc1Mw8pVoADRoWjg:1xUZBz:"
      "s32lrn7AbZL6RXa9m0QfWl0AfEfqNDH2rFowlAxyWXY";
  const auto data = decode_session_data(django, kKey);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->at("_auth_user_id"), "7");
  EXPECT_EQ(data->at("note"), "lètmein");
  EXPECT_FALSE(decode_session_data(django, std::string(50, 'x')));
  EXPECT_FALSE(decode_session_data("garbage", kKey));
  const std::map<std::string, std::string> mine{{"a", "1"}, {"ünï", "cödé"}};
  EXPECT_EQ(decode_session_data(encode_session_data(mine, kKey), kKey), mine);
}

// Every store, on every place it can keep its state.
const std::vector<std::string> kStores{"database_sqlite", "database_postgresql", "cache_memory",
                                       "cache_redis",     "cookie_memory",       "cookie_redis"};

class Store : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string p = GetParam();
    if (p.starts_with("database_")) {
      tdb_ = std::make_unique<testing::TestDatabase>(p == "database_sqlite" ? db::Engine::sqlite : db::Engine::postgresql);
      db_ = std::make_unique<db::Database>(tdb_->url());
      db::migrate(*db_, migrations());
      store_ = std::make_unique<DatabaseSessionStore>(*db_, kKey, clock_);
    } else {
      cache_ = std::make_unique<testing::TestCache>(p.ends_with("_redis") ? "redis" : "memory");
      if (p.starts_with("cache_"))
        store_ = std::make_unique<CacheSessionStore>(cache_->cache(), kKey, cache_->clock());
      else
        store_ = std::make_unique<SignedCookieSessionStore>(cache_->cache(), kKey, cache_->clock());
    }
  }
  bool database() const { return GetParam().starts_with("database_"); }
  bool is_cookie() const { return GetParam().starts_with("cookie_"); }
  // Whether time is real (Redis expires the entries itself) rather than a manual clock.
  bool real_time() const { return cache_ && cache_->real_time(); }
  // The store's time: the fixture's manual clock, or the cache's.
  const core::Clock& clock() const { return cache_ ? cache_->clock() : clock_; }
  // Moves the store's time on (on Redis, a real wait).
  void pass(std::chrono::microseconds d) {
    if (cache_) {
      cache_->advance(d);
    } else {
      clock_.advance(d);
    }
  }
  SessionRecord record(std::optional<std::int64_t> user, std::chrono::seconds ttl = std::chrono::hours(1)) {
    SessionRecord r;
    r.key = SessionStore::new_key();
    r.data = {{"k", "v"}, {"ünï", "cödé \"quoted\""}};
    r.created = r.last_seen = models::Timestamp::now(clock());
    r.expire = models::Timestamp{r.created.time + ttl};
    r.user_id = user;
    r.address = "127.0.0.1";
    r.user_agent = "test";
    return r;
  }
  // The database stores' clock, at a whole second (declared before the stores).
  core::ManualClock clock_{std::chrono::floor<std::chrono::seconds>(core::system_clock().now())};
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<testing::TestCache> cache_;
  std::unique_ptr<SessionStore> store_;
};

TEST_P(Store, SaveLoadRemoveAndExpire) {
  const SessionRecord r = record(42);
  EXPECT_EQ(r.key.size(), 32u);
  const std::string cookie = store_->save(r);
  if (is_cookie()) {
    EXPECT_NE(cookie, r.key);
    // Signed as Django's signed_cookies backend signs: its salt, this secret.
    const auto payload = crypto::loads(cookie, kKey, "django.contrib.sessions.backends.signed_cookies");
    EXPECT_NE(payload.find("\"k\":\"v\""), std::string::npos) << payload;
  } else {
    EXPECT_EQ(cookie, r.key);
  }
  auto loaded = store_->load(cookie);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->key, r.key);
  EXPECT_EQ(loaded->data, r.data);
  EXPECT_EQ(loaded->user_id, 42);
  EXPECT_EQ(loaded->address, "127.0.0.1");
  EXPECT_EQ(loaded->user_agent, "test");
  EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(loaded->expire.time),
            std::chrono::floor<std::chrono::seconds>(r.expire.time));
  EXPECT_FALSE(store_->load("no-such-key"));
  EXPECT_FALSE(store_->load(std::string(100, 'a')));
  EXPECT_TRUE(store_->remove(r.key));
  EXPECT_FALSE(store_->remove(r.key));
  EXPECT_FALSE(store_->load(cookie)) << "an ended session is refused, whatever the cookie says";

  const SessionRecord old = record(42, std::chrono::seconds(-1));  // already expired
  const std::string old_cookie = store_->save(old);
  EXPECT_FALSE(store_->load(old_cookie)) << "expiry is enforced server-side";
  if (database()) {
    EXPECT_EQ(store_->clear_expired(), 1u);
  }

  const SessionRecord brief = record(7, std::chrono::seconds(1));
  const std::string brief_cookie = store_->save(brief);
  EXPECT_TRUE(store_->load(brief_cookie));
  if (!real_time()) {  // on a manual clock the session lives to the microsecond it expires
    pass(std::chrono::seconds(1) - std::chrono::microseconds(1));
    EXPECT_TRUE(store_->load(brief_cookie)) << "alive until its expiry";
    pass(std::chrono::microseconds(1));
  } else {
    pass(std::chrono::seconds(1));
  }
  EXPECT_FALSE(store_->load(brief_cookie)) << "expired";
  EXPECT_TRUE(store_->for_user(7).empty());
  if (database()) {
    EXPECT_EQ(store_->clear_expired(), 1u);
  }
}

TEST_P(Store, ListAndEndAUsersSessions) {
  const SessionRecord a = record(1), b = record(1), c = record(2), anon = record(std::nullopt);
  std::map<std::string, std::string> cookies;
  for (const auto& r : {a, b, c, anon}) cookies[r.key] = store_->save(r);
  const auto mine = store_->for_user(1);
  ASSERT_EQ(mine.size(), 2u);
  for (const auto& s : mine) {
    EXPECT_TRUE(s.key == a.key || s.key == b.key);
    EXPECT_EQ(s.user_agent, "test");
  }
  EXPECT_EQ(store_->remove_for_user(1, a.key), 1u);  // "end others"
  EXPECT_TRUE(store_->load(cookies[a.key]));
  EXPECT_FALSE(store_->load(cookies[b.key]));
  EXPECT_TRUE(store_->load(cookies[c.key]));
  EXPECT_EQ(store_->remove_for_user(1), 1u);
  EXPECT_TRUE(store_->for_user(1).empty());
  EXPECT_TRUE(store_->load(cookies[anon.key]));
  EXPECT_EQ(store_->for_user(2).size(), 1u);
}

TEST_P(Store, TamperedSessionsAreNoSession) {
  const SessionRecord r = record(5);
  const std::string cookie = store_->save(r);
  if (database()) {
    db_->acquire()->execute("UPDATE django_session SET session_data = ? WHERE session_key = ?",
                            {encode_session_data({{"_auth_user_id", "1"}}, std::string(50, 'z')), r.key});
    EXPECT_FALSE(store_->load(r.key));
  } else if (is_cookie()) {
    std::string flipped = cookie;
    flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(store_->load(flipped));
    SignedCookieSessionStore other_key(cache_->cache(), std::string(50, 'z'));
    EXPECT_FALSE(other_key.load(cookie)) << "signed with another secret";
    EXPECT_FALSE(store_->load(r.key)) << "the bare key is not a cookie";
    EXPECT_TRUE(store_->load(cookie));
  } else {
    cache_->cache().set("session:" + r.key, "not json", std::chrono::minutes(1));
    EXPECT_FALSE(store_->load(r.key));
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, Store, ::testing::ValuesIn(kStores),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace gatehouse::sessions
