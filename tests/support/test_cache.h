// A fresh cache for one test, on any backend:
//   memory      in-process;
//   sqlite, postgresql   the database cache on a TestDatabase;
//   redis       the Redis server named by GATEHOUSE_TEST_REDIS_URL (scripts/test.sh
//               starts one), with a key prefix of its own. Without that
//               variable a Redis test fails: it is never silently skipped.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/cache/cache.h"
#include "gatehouse/db/database.h"
#include "test_database.h"

namespace gatehouse::testing {

class TestCache {
 public:
  explicit TestCache(const std::string& backend);
  cache::Cache& cache() noexcept { return *cache_; }
  // The database behind a database cache; nullptr for the others.
  db::Database* database() noexcept { return db_.get(); }

 private:
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
