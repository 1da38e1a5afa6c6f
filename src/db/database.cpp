#include "gatehouse/db/database.h"

#include <atomic>
#include <cstdlib>

#include <unistd.h>

#include "drivers.h"

namespace gatehouse::db {

namespace {

std::string hide_password(const std::string& url) {
  // scheme://user:password@host -> scheme://user:***@host
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace

std::string database_url_from_environment() {
  const char* env = std::getenv("GATEHOUSE_DATABASE_URL");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("sqlite:gatehouse.sqlite3");
}

Database::Database(const std::string& url, DatabaseOptions options) : display_url_(hide_password(url)), options_(options) {
  if (options_.max_connections == 0) throw DatabaseError(ErrorKind::configuration, "max_connections must be at least 1");
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    engine_ = Engine::postgresql;
    target_ = url;
  } else if (url == "sqlite::memory:") {
    // A private in-memory database that every connection of the pool opens
    // (the memdb VFS, by a name starting with '/'), kept alive by one more.
    // Unlike shared cache, memdb takes file locks that wait out the busy
    // timeout, so the pool is a real one and a second connection never fails at once.
    static std::atomic<int> counter{0};
    engine_ = Engine::sqlite;
    target_ = "file:/gatehouse-memory-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "?vfs=memdb";
    memory_keeper_ = detail::open_sqlite(target_, true, options_.busy_timeout);
  } else if (url.starts_with("sqlite:")) {
    engine_ = Engine::sqlite;
    std::string path = url.substr(7);
    if (path.starts_with("//")) path = path.substr(2);  // sqlite:///abs/path -> /abs/path
    if (path.empty()) throw DatabaseError(ErrorKind::configuration, "GATEHOUSE_DATABASE_URL names no SQLite file: " + url);
    target_ = path;
  } else {
    throw DatabaseError(ErrorKind::configuration,
                        "unsupported database URL '" + display_url_ + "': use sqlite:PATH or postgresql://...");
  }
  // Fail now, with a clear message, if the database cannot be reached.
  give_back(connect());
}

Database::~Database() = default;

std::unique_ptr<Connection> Database::open_one() {
  auto conn = engine_ == Engine::sqlite ? detail::open_sqlite(target_, target_.starts_with("file:"), options_.busy_timeout)
                                        : detail::open_postgresql(target_);
  if (options_.decorate) conn = options_.decorate(std::move(conn));
  return conn;
}

std::unique_ptr<Connection> Database::connect() {
  auto conn = open_one();
  std::lock_guard lock(mu_);
  ++open_;
  return conn;
}

namespace {
// This thread's ReadScopes: which database lends which connection.
thread_local std::vector<std::pair<const Database*, Connection*>> t_pins;

Connection* pinned(const Database* db) noexcept {
  for (const auto& [d, c] : t_pins)
    if (d == db) return c;
  return nullptr;
}
}  // namespace

ReadScope::ReadScope(Database& db) : db_(db) {
  if (pinned(&db) != nullptr) return;
  conn_.emplace(db.acquire());
  (*conn_)->execute(db.engine() == Engine::postgresql ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
  t_pins.emplace_back(&db, &**conn_);
}

ReadScope::~ReadScope() {
  if (!conn_) return;
  std::erase_if(t_pins, [this](const auto& p) { return p.first == &db_; });
  try {
    (*conn_)->execute("COMMIT");
  } catch (...) {
    try {
      (*conn_)->execute("ROLLBACK");
    } catch (...) {
      // A connection that can end neither way is unhealthy: the pool drops it.
    }
  }
}

PooledConnection Database::acquire() {
  if (Connection* c = pinned(this)) return PooledConnection(c);
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return PooledConnection(this, std::move(conn));
    }
    if (open_ < options_.max_connections) {
      ++open_;  // reserve the slot, then connect without the lock
      lock.unlock();
      try {
        return PooledConnection(this, open_one());
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= options_.max_connections)
      throw DatabaseError(ErrorKind::busy, "no database connection became free within " +
                                               std::to_string(options_.acquire_timeout.count()) + " ms");
  }
}

void Database::give_back(std::unique_ptr<Connection> conn) noexcept {
  std::lock_guard lock(mu_);
  if (conn->healthy() && conn->transaction_depth() == 0) {
    idle_.push_back(std::move(conn));
  } else {
    conn.reset();  // broken, or returned mid-transaction: never lend it again
    --open_;
  }
  cv_.notify_one();
}

std::size_t Database::open_connections() const {
  std::lock_guard lock(mu_);
  return open_;
}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : db_(other.db_), conn_(std::move(other.conn_)), borrowed_(other.borrowed_) {}

PooledConnection::~PooledConnection() {
  if (conn_ != nullptr) db_->give_back(std::move(conn_));
}

}  // namespace gatehouse::db
