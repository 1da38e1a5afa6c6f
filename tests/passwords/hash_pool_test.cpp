#include "gatehouse/passwords/hash_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gatehouse/passwords/hashers.h"

namespace gatehouse::passwords {
namespace {

HasherRegistry registry() {
  return HasherRegistry({pbkdf2_sha256_hasher(20000), pbkdf2_sha1_hasher(20000), argon2_hasher({1, 64, 1}),
                         md5_hasher()});
}

TEST(HashPool, ResultsEqualCheckPasswordOneByOne) {
  const HasherRegistry r = registry();
  HashPool pool(r, {.threads = 2, .max_queue = 1000, .max_batch = 2});
  struct Case {
    std::string password, encoded;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 12; ++i) {
    const std::string pw = "pw" + std::to_string(i);
    cases.push_back({pw, r.make_password(pw)});                             // current: match
    cases.push_back({pw + "x", r.make_password(pw)});                       // wrong
    cases.push_back({pw, pbkdf2_sha256_hasher(10000)->encode(pw)});         // weaker: match + upgrade
    cases.push_back({pw, r.make_password(pw, i % 2 ? "md5" : "argon2")});   // other algorithm
    cases.push_back({pw, r.make_password(pw, "pbkdf2_sha1")});              // PBKDF2-SHA1 batch
  }
  cases.push_back({"x", "garbage"});
  cases.push_back({"x", make_unusable_password()});
  std::vector<std::future<CheckResult>> futures;
  for (const auto& c : cases) futures.push_back(pool.check(c.password, c.encoded));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    bool upgrade = false;
    const bool expected = r.check_password(cases[i].password, cases[i].encoded, [&](std::string_view) { upgrade = true; });
    const CheckResult got = futures[i].get();
    EXPECT_EQ(got.correct, expected) << i << " " << cases[i].encoded;
    EXPECT_EQ(got.needs_upgrade, upgrade) << i << " " << cases[i].encoded;
  }
  const auto stats = pool.stats();
  EXPECT_EQ(stats.checks, cases.size());
  EXPECT_GT(stats.batches, 0u);  // 60 checks queued at once: PBKDF2 pairs formed
  EXPECT_EQ(stats.batched_checks % 2, 0u);
}

TEST(HashPool, MakesPasswordsWithThePreferredHasher) {
  const HasherRegistry r = registry();
  HashPool pool(r);
  const std::string made = pool.make_password("s3cret").get();
  EXPECT_EQ(r.identify(made), &r.preferred());
  EXPECT_TRUE(pool.check("s3cret", made).get().correct);
}

TEST(HashPool, RefusesWorkPastItsQueueBound) {
  const HasherRegistry r({pbkdf2_sha256_hasher(3'000'000)});
  const std::string slow = r.make_password("pw");
  HashPool pool(r, {.threads = 1, .max_queue = 2, .max_batch = 1});
  std::vector<std::future<CheckResult>> accepted;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    try {
      accepted.push_back(pool.check("pw", slow));
    } catch (const PoolFull&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_LE(pool.queue_depth(), 2u);
  for (auto& f : accepted) EXPECT_TRUE(f.get().correct);
}

TEST(HashPool, DestructionFinishesQueuedWork) {
  const HasherRegistry r = registry();
  std::vector<std::future<CheckResult>> futures;
  const std::string stored = r.make_password("pw");
  {
    HashPool pool(r, {.threads = 1, .max_queue = 100, .max_batch = 2});
    for (int i = 0; i < 5; ++i) futures.push_back(pool.check("pw", stored));
  }
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_TRUE(f.get().correct);
  }
}

TEST(HashPool, CallbackFormsRunOnThePoolAndBatch) {
  const HasherRegistry r = registry();
  HashPool pool(r, {.threads = 1, .max_queue = 100, .max_batch = 2});
  const std::string stored = r.make_password("pw");
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, correct = 0;
  std::thread::id caller = std::this_thread::get_id();
  bool on_caller = false;
  for (int i = 0; i < 6; ++i) {
    pool.check(i % 2 ? "pw" : "bad", stored, [&](const CheckResult* res, std::exception_ptr e) {
      std::lock_guard lock(mu);
      EXPECT_EQ(e, nullptr);
      if (res != nullptr && res->correct) ++correct;
      on_caller = on_caller || std::this_thread::get_id() == caller;
      ++done;
      cv.notify_all();
    });
  }
  std::string made;
  pool.make_password("new", [&](const std::string* s, std::exception_ptr) {
    std::lock_guard lock(mu);
    made = s != nullptr ? *s : "";
    ++done;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == 7; }));
  EXPECT_EQ(correct, 3);
  EXPECT_FALSE(on_caller);
  EXPECT_TRUE(r.check_password("new", made));
  EXPECT_GT(pool.stats().batches, 0u);
}

// A callback that throws (a bug, or a dependency failing inside it) is its
// own: the pool's thread goes on, and the callback is not called again with
// the error (the crash this replaced: std::terminate at the second throw).
TEST(HashPool, ACallbackThatThrowsNeitherEndsTheThreadNorRunsTwice) {
  const HasherRegistry r = registry();
  std::atomic<int> calls{0}, errors{0};
  auto owned = std::make_unique<HashPool>(r, HashPool::Options{.threads = 1, .max_queue = 100, .max_batch = 2});
  HashPool& pool = *owned;
  const std::string encoded = r.make_password("pw");
  for (int i = 0; i < 4; ++i) {
    pool.check("pw", encoded, [&](const CheckResult* res, std::exception_ptr e) {
      ++calls;
      if (e) ++errors;
      if (res != nullptr) throw std::runtime_error("the callback's own failure");
    });
    pool.make_password("pw", [&](const std::string*, std::exception_ptr) {
      ++calls;
      throw 42;  // not even an exception class
    });
  }
  auto after = pool.check("pw", encoded);  // the one thread still serves
  EXPECT_TRUE(after.get().correct);
  owned.reset();  // finishes whatever is still queued
  EXPECT_EQ(calls.load(), 8) << "each callback exactly once";
  EXPECT_EQ(errors.load(), 0);
}

TEST(HashPool, RejectsBadOptions) {
  const HasherRegistry r = registry();
  EXPECT_THROW(HashPool(r, {.threads = 1, .max_queue = 0, .max_batch = 1}), std::invalid_argument);
}

}  // namespace
}  // namespace gatehouse::passwords
