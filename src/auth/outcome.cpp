#include "gatehouse/auth/outcome.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include "gatehouse/cache/cache.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/db/error.h"
#include "gatehouse/passwords/hash_pool.h"

namespace gatehouse::auth {

namespace {

bool database_unavailable(db::ErrorKind kind) {
  switch (kind) {
    case db::ErrorKind::busy:
    case db::ErrorKind::serialization_failure:
    case db::ErrorKind::connection:
    case db::ErrorKind::other:
      return true;
    default:  // constraint violations, bad values and bad SQL are the caller's or a bug
      return false;
  }
}

// One line on stderr per dependency per 10 s (the first failure, then a count),
// so an outage is visible without a line per request.
void log_failure(const std::string& dependency, const char* what) {
  struct Last {
    std::chrono::steady_clock::time_point at{};
    std::uint64_t suppressed = 0;
  };
  static std::mutex mu;
  static std::unordered_map<std::string, Last> last;
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mu);
    Last& l = last[dependency];
    if (l.at != std::chrono::steady_clock::time_point{} && now - l.at < std::chrono::seconds(10)) {
      ++l.suppressed;
      return;
    }
    l.at = now;
    suppressed = std::exchange(l.suppressed, 0);
  }
  std::fprintf(stderr,
               "{\"level\":\"error\",\"event\":\"dependency_unavailable\",\"dependency\":\"%s\",\"error\":\"%s\","
               "\"failures_not_logged\":%llu}\n",
               core::json_escape(dependency).c_str(), core::json_escape(what).c_str(),
               static_cast<unsigned long long>(suppressed));
}

}  // namespace

Outcome Outcome::success(std::optional<User> user) {
  Outcome o;
  o.user = std::move(user);
  return o;
}

Outcome Outcome::invalid(FieldErrors errors) {
  Outcome o;
  o.kind = Kind::field_errors;
  o.errors = std::move(errors);
  return o;
}

Outcome Outcome::down(std::string dependency) {
  Outcome o;
  o.kind = Kind::unavailable;
  o.retry_after = kUnavailableRetry;
  o.dependency = std::move(dependency);
  return o;
}

std::optional<std::string> failed_dependency(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const db::DatabaseError& e) {
    if (database_unavailable(e.kind())) return "database";
  } catch (const cache::CacheError&) {
    return "cache";
  } catch (...) {
  }
  return std::nullopt;
}

Outcome outcome_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const passwords::PoolFull&) {
    return Outcome::full();
  } catch (const std::exception& e) {
    const auto dependency = failed_dependency(std::current_exception());
    if (!dependency) throw;
    log_failure(*dependency, e.what());
    return Outcome::down(*dependency);
  }
}

}  // namespace gatehouse::auth
