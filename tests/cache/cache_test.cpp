#include "gatehouse/cache/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_cache.h"

namespace gatehouse::cache {
namespace {

using namespace std::chrono_literals;

class CacheTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { t_ = std::make_unique<testing::TestCache>(GetParam()); }
  Cache& c() { return t_->cache(); }
  // Moves the cache's time on (the manual clock; on Redis, a real wait).
  void pass(std::chrono::microseconds d) { t_->advance(d); }
  std::unique_ptr<testing::TestCache> t_;
};

TEST_P(CacheTest, SetGetOverwriteAndBinaryValues) {
  EXPECT_FALSE(c().get("absent"));
  c().set("k", "v1", 60s);
  EXPECT_EQ(c().get("k"), "v1");
  c().set("k", "v2", 60s);
  EXPECT_EQ(c().get("k"), "v2");
  const std::string odd("a\tb\"'; DROP TABLE x; -- ünï ✓ \\0");
  c().set("odd key ü", odd, 60s);
  EXPECT_EQ(c().get("odd key ü"), odd);
}

TEST_P(CacheTest, EntriesExpire) {
  c().set("short", "v", 200ms);
  c().set("long", "v", 60s);
  const auto left = c().ttl("long");
  ASSERT_TRUE(left);
  EXPECT_GT(*left, 55s);
  EXPECT_LE(*left, 60s);
  pass(200ms);
  EXPECT_FALSE(c().get("short"));
  EXPECT_FALSE(c().ttl("short"));
  EXPECT_FALSE(c().remove("short"));
  EXPECT_EQ(c().get("long"), "v");
}

// On the injected clock an entry lives up to, and not including, the instant
// its time to live ends; Redis keeps its own time, so this is not for it.
class ClockedCacheTest : public CacheTest {};

TEST_P(ClockedCacheTest, ExpiryFollowsTheInjectedClockExactly) {
  ASSERT_FALSE(t_->real_time());
  c().set("k", "v", 200ms);
  c().set_add("s", "m", 200ms);
  EXPECT_EQ(c().incr("n", 1, 200ms), 1);
  EXPECT_EQ(c().ttl("k"), 200ms) << "no time passes on a manual clock";
  pass(200ms - 1us);
  EXPECT_EQ(c().get("k"), "v");
  EXPECT_EQ(c().set_members("s"), std::vector<std::string>{"m"});
  EXPECT_EQ(c().incr("n", 1, 200ms), 2);
  EXPECT_FALSE(c().add("k", "other", 60s));
  pass(1us);
  EXPECT_FALSE(c().get("k"));
  EXPECT_FALSE(c().ttl("k"));
  EXPECT_TRUE(c().set_members("s").empty());
  EXPECT_EQ(c().incr("n", 1, 200ms), 1) << "the window ended";
  EXPECT_TRUE(c().add("k", "other", 60s));
  pass(1h);
  EXPECT_FALSE(c().get("k")) << "an hour later on the clock";
}

TEST_P(CacheTest, AddOnlyWhenAbsentOrExpired) {
  EXPECT_TRUE(c().add("a", "first", 200ms));
  EXPECT_FALSE(c().add("a", "second", 60s));
  EXPECT_EQ(c().get("a"), "first");
  pass(200ms);
  EXPECT_TRUE(c().add("a", "third", 60s));
  EXPECT_EQ(c().get("a"), "third");
}

TEST_P(CacheTest, RemoveSaysWhetherSomethingWasThere) {
  c().set("r", "v", 60s);
  EXPECT_TRUE(c().remove("r"));
  EXPECT_FALSE(c().remove("r"));
  EXPECT_FALSE(c().get("r"));
}

TEST_P(CacheTest, CountersKeepAFixedWindowAndRestartAfterIt) {
  EXPECT_EQ(c().incr("n", 1, 300ms), 1);
  EXPECT_EQ(c().incr("n", 1, 60s), 2);  // a live counter keeps its first expiry
  EXPECT_EQ(c().incr("n", -5, 60s), -3);
  const auto left = c().ttl("n");
  ASSERT_TRUE(left);
  EXPECT_LE(*left, 300ms);
  EXPECT_EQ(c().get("n"), "-3");
  pass(300ms);
  EXPECT_FALSE(c().get("n"));
  EXPECT_EQ(c().incr("n", 7, 60s), 7);
  EXPECT_GT(*c().ttl("n"), 55s);
}

TEST_P(CacheTest, ConcurrentIncrementsLoseNothing) {
  constexpr int kThreads = 4, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) {
        try {
          c().incr("shared", 1, 60s);
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(c().get("shared"), std::to_string(kThreads * kEach));
}

TEST_P(CacheTest, SetsAddRemoveListAndExpireTogether) {
  EXPECT_TRUE(c().set_members("s").empty());
  c().set_add("s", "b", 300ms);
  c().set_add("s", "a", 300ms);
  c().set_add("s", "a", 300ms);
  EXPECT_EQ(c().set_members("s"), (std::vector<std::string>{"a", "b"}));
  c().set_remove("s", "b");
  c().set_remove("s", "never there");
  EXPECT_EQ(c().set_members("s"), (std::vector<std::string>{"a"}));
  pass(300ms);
  EXPECT_TRUE(c().set_members("s").empty());

  c().set_add("t", "old", 300ms);
  c().set_add("t", "new", 60s);  // extends the whole set
  pass(300ms);
  EXPECT_EQ(c().set_members("t"), (std::vector<std::string>{"new", "old"}));
}

TEST_P(CacheTest, ClearExpiredDropsOnlyExpiredEntries) {
  c().set("gone", "v", 100ms);
  c().set_add("gone-set", "m", 100ms);
  c().set("kept", "v", 60s);
  pass(100ms);
  const std::size_t n = c().clear_expired();
  if (GetParam() == "redis") {
    EXPECT_EQ(n, 0u);  // Redis expires keys itself
  } else {
    EXPECT_EQ(n, 2u);
  }
  EXPECT_EQ(c().get("kept"), "v");
}

TEST_P(CacheTest, RefusesEmptyOrLongKeysAndNonPositiveLifetimes) {
  EXPECT_THROW(c().set("", "v", 60s), std::invalid_argument);
  EXPECT_THROW(c().set(std::string(251, 'k'), "v", 60s), std::invalid_argument);
  EXPECT_THROW(c().set("k", "v", 0s), std::invalid_argument);
  EXPECT_THROW(c().incr("k", 1, -1s), std::invalid_argument);
  EXPECT_FALSE(c().get("k"));
}

INSTANTIATE_TEST_SUITE_P(Backends, CacheTest, ::testing::ValuesIn(testing::all_cache_backends()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// The backends that read the injected clock (not Redis, which keeps its own time).
std::vector<std::string> clocked_backends() {
  std::vector<std::string> out;
  for (const auto& b : testing::all_cache_backends())
    if (b != "redis") out.push_back(b);
  return out;
}
INSTANTIATE_TEST_SUITE_P(Backends, ClockedCacheTest, ::testing::ValuesIn(clocked_backends()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(RedisUrl, ParsesEveryPartAndRefusesNonsense) {
  const auto o = parse_redis_url("redis://:s3cret@cache.example:6380/2");
  EXPECT_EQ(o.host, "cache.example");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.database, 2);
  EXPECT_EQ(o.password, "s3cret");
  const auto d = parse_redis_url("redis://localhost");
  EXPECT_EQ(d.port, 6379);
  EXPECT_EQ(d.database, 0);
  EXPECT_TRUE(d.password.empty());
  EXPECT_EQ(d.key_prefix, "gatehouse:");
  EXPECT_EQ(parse_redis_url("redis://h:1/3?prefix=tenant7:").key_prefix, "tenant7:");
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h:port", "redis://h/x",
                          "redis://h?prefix=", "redis://h?db=2", "redis://h?prefix=a&b=c"})
    EXPECT_THROW(parse_redis_url(bad), std::invalid_argument) << bad;
}

TEST(RedisCache, AnUnreachableServerIsACacheErrorNotACrash) {
  RedisOptions o;
  o.port = 1;  // nothing listens on port 1
  o.timeout = 500ms;
  auto c = make_redis_cache(o);
  EXPECT_THROW(c->get("k"), CacheError);
  EXPECT_THROW(c->incr("k", 1, 1s), CacheError);
}

TEST(RedisCache, ACounterThatIsNotANumberIsACacheError) {
  auto o = parse_redis_url(testing::test_redis_url());
  o.key_prefix = "nan-test:";
  auto c = make_redis_cache(o);
  c->set("text", "abc", 60s);
  EXPECT_THROW(c->incr("text", 1, 60s), CacheError);
  EXPECT_EQ(c->get("text"), "abc");  // the connection survived the error
}

}  // namespace
}  // namespace gatehouse::cache
