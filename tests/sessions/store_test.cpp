#include "gatehouse/sessions/store.h"

#include <gtest/gtest.h>

#include <thread>

#include "gatehouse/db/migrations.h"
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

class Store : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    db::migrate(*db_, migrations());
    store_ = std::make_unique<DatabaseSessionStore>(*db_, kKey);
  }
  SessionRecord record(std::optional<std::int64_t> user, std::chrono::seconds ttl = std::chrono::hours(1)) {
    SessionRecord r;
    r.key = SessionStore::new_key();
    r.data = {{"k", "v"}};
    r.created = r.last_seen = models::Timestamp::now();
    r.expire = models::Timestamp{r.created.time + ttl};
    r.user_id = user;
    r.address = "127.0.0.1";
    r.user_agent = "test";
    return r;
  }
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<DatabaseSessionStore> store_;
};

TEST_P(Store, SaveLoadRemoveAndExpire) {
  const SessionRecord r = record(42);
  EXPECT_EQ(r.key.size(), 32u);
  store_->save(r);
  auto loaded = store_->load(r.key);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->data, r.data);
  EXPECT_EQ(loaded->user_id, 42);
  EXPECT_EQ(loaded->address, "127.0.0.1");
  EXPECT_FALSE(store_->load("no-such-key"));
  EXPECT_FALSE(store_->load(std::string(100, 'a')));
  EXPECT_TRUE(store_->remove(r.key));
  EXPECT_FALSE(store_->remove(r.key));
  EXPECT_FALSE(store_->load(r.key));

  const SessionRecord old = record(42, std::chrono::seconds(-1));  // already expired
  store_->save(old);
  EXPECT_FALSE(store_->load(old.key)) << "expiry is enforced server-side";
  EXPECT_EQ(store_->clear_expired(), 1u);
}

TEST_P(Store, ListAndEndAUsersSessions) {
  const SessionRecord a = record(1), b = record(1), c = record(2), anon = record(std::nullopt);
  for (const auto& r : {a, b, c, anon}) store_->save(r);
  EXPECT_EQ(store_->for_user(1).size(), 2u);
  EXPECT_EQ(store_->remove_for_user(1, a.key), 1u);  // "end others"
  EXPECT_TRUE(store_->load(a.key));
  EXPECT_FALSE(store_->load(b.key));
  EXPECT_TRUE(store_->load(c.key));
  EXPECT_EQ(store_->remove_for_user(1), 1u);
  EXPECT_TRUE(store_->for_user(1).empty());
  EXPECT_TRUE(store_->load(anon.key));
}

TEST_P(Store, TamperedRowsAreNoSession) {
  const SessionRecord r = record(5);
  store_->save(r);
  db_->acquire()->execute("UPDATE django_session SET session_data = ? WHERE session_key = ?",
                          {encode_session_data({{"_auth_user_id", "1"}}, std::string(50, 'z')), r.key});
  EXPECT_FALSE(store_->load(r.key));
}

INSTANTIATE_TEST_SUITE_P(Engines, Store, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

}  // namespace
}  // namespace gatehouse::sessions
