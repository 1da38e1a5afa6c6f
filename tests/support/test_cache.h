// A fresh cache for one test, on any backend:
//   memory      in-process;
//   sqlite, postgresql   the database cache on a TestDatabase;
//   redis       the Redis server named by GATEHOUSE_TEST_REDIS_URL (scripts/test.sh
//               starts one), with a key prefix of its own. Without that
//               variable a Redis test fails: it is never silently skipped.
// Time: the memory and database caches read a ManualClock that starts at a
// whole second of the real time, so a test moves time with advance() instead
// of sleeping. Redis expires keys on its own clock: there advance() sleeps.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/cache/cache.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/db/database.h"
#include "test_database.h"

namespace gatehouse::testing {

class TestCache {
 public:
  explicit TestCache(const std::string& backend);
  cache::Cache& cache() noexcept { return *cache_; }
  // The database behind a database cache; nullptr for the others.
  db::Database* database() noexcept { return db_.get(); }
  // The clock the cache reads: the manual clock, or the system clock for Redis.
  // Give it to whatever else should share the cache's time (a session store).
  const core::Clock& clock() const noexcept;
  // Whether the cache keeps real time (Redis): advance() then sleeps.
  bool real_time() const noexcept { return real_time_; }
  // Moves the cache's time forward by `d`: advances the manual clock, or, on
  // Redis, sleeps for `d` and a margin (Redis keeps a key through the
  // millisecond it expires in, and a reply takes time).
  void advance(std::chrono::microseconds d);

 private:
  core::ManualClock manual_;  // declared before cache_, which reads it
  bool real_time_ = false;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<cache::Cache> cache_;
};

inline const std::vector<std::string>& all_cache_backends() {
  static const std::vector<std::string> b{"memory", "sqlite", "postgresql", "redis"};
  return b;
}

// The Redis URL for tests, or a thrown error saying how to get one.
std::string test_redis_url();

}  // namespace gatehouse::testing
