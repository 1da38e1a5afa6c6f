#include "test_cache.h"

#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "gatehouse/core/random.h"
#include "gatehouse/db/migrations.h"

namespace gatehouse::testing {

std::string test_redis_url() {
  const char* url = std::getenv("GATEHOUSE_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0')
    throw std::runtime_error(
        "GATEHOUSE_TEST_REDIS_URL is not set: run the tests through scripts/test.sh, which starts a Redis "
        "server (or start one with scripts/redis-server.sh)");
  return url;
}

TestCache::TestCache(const std::string& backend)
    : manual_(std::chrono::floor<std::chrono::seconds>(core::system_clock().now())) {
  if (backend == "memory") {
    cache_ = cache::make_memory_cache(manual_);
  } else if (backend == "redis") {
    real_time_ = true;
    auto o = cache::parse_redis_url(test_redis_url());
    o.key_prefix = "t" + core::random_string(12, "abcdefghijklmnopqrstuvwxyz0123456789") + ":";
    cache_ = cache::make_redis_cache(o);
  } else {
    tdb_ = std::make_unique<TestDatabase>(backend == "sqlite" ? db::Engine::sqlite : db::Engine::postgresql);
    db_ = std::make_unique<db::Database>(tdb_->url());
    db::migrate(*db_, cache::migrations());
    cache_ = cache::make_database_cache(*db_, manual_);
  }
}

const core::Clock& TestCache::clock() const noexcept { return real_time_ ? core::system_clock() : manual_; }

void TestCache::advance(std::chrono::microseconds d) {
  if (real_time_) {
    std::this_thread::sleep_for(d + std::chrono::milliseconds(100));
  } else {
    manual_.advance(d);
  }
}

}  // namespace gatehouse::testing
