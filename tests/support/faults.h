// Fault injection for the server's dependencies, in the spirit of LevelDB's
// FaultInjectionTestEnv: wrappers of a real Connection, Cache and
// EmailBackend that forward every call until a test flips a switch, then fail
// the way the real dependency fails (DatabaseError(connection), CacheError,
// a refused SMTP send). The switches are atomics: the server's threads read
// them while the test sets them.
#pragma once

#include <atomic>
#include <memory>

#include "gatehouse/cache/cache.h"
#include "gatehouse/db/database.h"
#include "gatehouse/mail/backend.h"

namespace gatehouse::testing {

struct Faults {
  std::atomic<bool> database_down{false};   // every statement fails
  std::atomic<bool> database_writes{false};  // statements that are not SELECT fail (a failure mid-operation)
  std::atomic<bool> cache_down{false};      // every cache call fails
  std::atomic<bool> mail_down{false};       // every send fails
  std::atomic<int> database_failures{0}, cache_failures{0}, mail_failures{0};  // how many were injected
};

// For db::DatabaseOptions::decorate.
std::function<std::unique_ptr<db::Connection>(std::unique_ptr<db::Connection>)> faulty_connections(
    std::shared_ptr<Faults> faults);
std::unique_ptr<cache::Cache> faulty_cache(std::unique_ptr<cache::Cache> inner, std::shared_ptr<Faults> faults);
// Refuses while mail_down, else hands the messages to `inner`.
std::shared_ptr<mail::EmailBackend> faulty_mail(std::shared_ptr<mail::EmailBackend> inner, std::shared_ptr<Faults> faults);

}  // namespace gatehouse::testing
