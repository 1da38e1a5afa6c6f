// Keys with a time to live, as Django's cache framework: the store behind
// throttle counters, one-time codes and cached sessions. Three backends share
// one interface:
//   MemoryCache    in-process (tests, and a single server without a database);
//   DatabaseCache  a table in the configured database (Django's createcachetable
//                  idea), so every server sharing the database shares it;
//   RedisCache     Redis through hiredis, when GATEHOUSE_REDIS_URL is set.
//
// Values are UTF-8 text without NUL bytes (what JSON, sessions and counters
// need; PostgreSQL's text type holds nothing else). Every entry has a positive time to live: nothing lives forever. Counters
// (`incr`) and sets are atomic on every backend, so several processes may
// count into one key. Thread safety: a Cache may be used from any thread.
// Failures of the backing store (Redis down, database error) throw CacheError.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/core/clock.h"

namespace gatehouse::db {
class Database;
struct Migration;
}  // namespace gatehouse::db

namespace gatehouse::cache {

using Ttl = std::chrono::milliseconds;

class CacheError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Cache {
 public:
  virtual ~Cache() = default;

  // The live value, or nullopt when absent or expired.
  virtual std::optional<std::string> get(std::string_view key) = 0;
  // Stores the value for `ttl` (must be positive), replacing any other.
  virtual void set(std::string_view key, std::string_view value, Ttl ttl) = 0;
  // Stores only when no live value exists; whether it stored.
  virtual bool add(std::string_view key, std::string_view value, Ttl ttl) = 0;
  // Whether a live value was removed.
  virtual bool remove(std::string_view key) = 0;
  // Adds `delta` to the counter and returns the new value. An absent or
  // expired counter starts at 0 and lives for `ttl` from now; a live one keeps
  // its expiry (a fixed window). Throws CacheError if the value is not a number.
  virtual std::int64_t incr(std::string_view key, std::int64_t delta, Ttl ttl) = 0;
  // Time left for a live key, or nullopt.
  virtual std::optional<Ttl> ttl(std::string_view key) = 0;

  // Sets of strings under a key (an index: a user's sessions, say). Adding
  // extends the set's life to at least `ttl` from now.
  virtual void set_add(std::string_view key, std::string_view member, Ttl ttl) = 0;
  virtual void set_remove(std::string_view key, std::string_view member) = 0;
  virtual std::vector<std::string> set_members(std::string_view key) = 0;

  // Drops expired entries where the backend does not do so itself; how many.
  virtual std::size_t clear_expired() = 0;
};

// The in-process and database caches read the time from `clock` for every
// expiry decision (the expiry stored, and the comparison at read); `clock`
// must outlive the cache. Redis expires keys itself, on Redis's own time.
std::unique_ptr<Cache> make_memory_cache(const core::Clock& clock = core::system_clock());

// The gatehouse_cache and gatehouse_cache_set tables (see migrations()).
// Every server sharing the tables should read the same (wall) time.
std::unique_ptr<Cache> make_database_cache(db::Database& db, const core::Clock& clock = core::system_clock());
std::vector<db::Migration> migrations();

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int database = 0;
  std::string password;
  std::string key_prefix = "gatehouse:";
  std::chrono::milliseconds timeout{2000};  // connect and each command
  std::size_t max_idle_connections = 8;
};
// redis://[:password@]host[:port][/db][?prefix=NAME] (NAME prefixes every key;
// "gatehouse:" by default); throws std::invalid_argument otherwise.
RedisOptions parse_redis_url(std::string_view url);
// Connects lazily; a dropped connection is replaced on the next call.
std::unique_ptr<Cache> make_redis_cache(RedisOptions options);

}  // namespace gatehouse::cache
