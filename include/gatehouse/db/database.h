// Database: a pool of connections to the database GATEHOUSE_DATABASE_URL names.
//
//   sqlite:gatehouse.sqlite3        a file, relative to the working directory
//   sqlite:///var/lib/gh/db.sqlite3 an absolute path
//   sqlite::memory:                 a private in-memory database, shared by the
//                                   pool's connections (SQLite's memdb VFS:
//                                   real locks and the busy timeout, no WAL)
//   postgresql://user:pass@host:port/db?options   (postgres:// too)
//
// SQLite connections run in WAL mode with foreign keys on and a busy timeout;
// PostgreSQL connections come from libpq. acquire() gives a connection to one
// thread until the handle is destroyed; a connection returned inside an open
// transaction, or broken, is discarded rather than reused.
//
// Thread safety: every Database member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/db/connection.h"
#include "gatehouse/db/error.h"

namespace gatehouse::db {

struct DatabaseOptions {
  std::size_t max_connections = 8;
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free connection
  std::chrono::milliseconds busy_timeout{5000};      // SQLite: waiting for a lock
  // Wraps every new connection before the pool lends it: a fault-injecting
  // or tracing Connection that forwards to the real one. Empty: none.
  std::function<std::unique_ptr<Connection>(std::unique_ptr<Connection>)> decorate{};
};

class Database;

// A connection on loan from the pool.
class PooledConnection {
 public:
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();
  Connection& operator*() const noexcept { return borrowed_ != nullptr ? *borrowed_ : *conn_; }
  Connection* operator->() const noexcept { return borrowed_ != nullptr ? borrowed_ : conn_.get(); }

 private:
  friend class Database;
  PooledConnection(Database* db, std::unique_ptr<Connection> conn) noexcept : db_(db), conn_(std::move(conn)) {}
  explicit PooledConnection(Connection* pinned) noexcept : db_(nullptr), borrowed_(pinned) {}
  Database* db_;
  std::unique_ptr<Connection> conn_;
  Connection* borrowed_ = nullptr;  // a ReadScope's connection: not ours to give back
};

class Database {
 public:
  // Throws DatabaseError(configuration) for a URL it cannot use, and
  // DatabaseError(connection) if the first connection fails.
  explicit Database(const std::string& url, DatabaseOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Engine engine() const noexcept { return engine_; }
  // The URL with any password replaced by "***" (for logs and messages).
  const std::string& display_url() const noexcept { return display_url_; }

  // Throws DatabaseError(busy) if no connection frees up within acquire_timeout.
  PooledConnection acquire();

  // Connections open now (lent and idle).
  std::size_t open_connections() const;

 private:
  friend class PooledConnection;
  friend class ReadScope;
  std::unique_ptr<Connection> open_one();  // a new connection, decorated
  std::unique_ptr<Connection> connect();
  void give_back(std::unique_ptr<Connection> conn) noexcept;

  Engine engine_;
  std::string target_;  // file path, memory URI, or libpq conninfo
  std::string display_url_;
  DatabaseOptions options_;
  std::unique_ptr<Connection> memory_keeper_;  // keeps a shared in-memory SQLite alive
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

// Several reads as one: while a ReadScope lives, acquire() on this database
// from this thread lends the scope's connection, inside one read transaction,
// so the reads share one snapshot and take the database's locks once (on
// SQLite each statement outside a transaction takes and drops its file locks).
// For code that only reads: on PostgreSQL the transaction is READ ONLY
// (REPEATABLE READ, so one snapshot too); on SQLite a db::Transaction inside it
// fails. A scope on a thread that already has one for this database does
// nothing; other threads are not affected.
class ReadScope {
 public:
  explicit ReadScope(Database& db);
  ~ReadScope();
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;

 private:
  Database& db_;
  std::optional<PooledConnection> conn_;
};

// GATEHOUSE_DATABASE_URL, or "sqlite:gatehouse.sqlite3" when unset: for
// library users. The accounts service and the gatehouse command read
// app::Config::database_url instead (the environment or GATEHOUSE_CONFIG's file).
std::string database_url_from_environment();

}  // namespace gatehouse::db
