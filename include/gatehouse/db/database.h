// Database: a pool of connections to the database GATEHOUSE_DATABASE_URL names.
//
//   sqlite:gatehouse.sqlite3        a file, relative to the working directory
//   sqlite:///var/lib/gh/db.sqlite3 an absolute path
//   sqlite::memory:                 a private in-memory database (tests)
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
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gatehouse/db/connection.h"
#include "gatehouse/db/error.h"

namespace gatehouse::db {

struct DatabaseOptions {
  std::size_t max_connections = 8;
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free connection
  std::chrono::milliseconds busy_timeout{5000};      // SQLite: waiting for a lock
};

class Database;

// A connection on loan from the pool.
class PooledConnection {
 public:
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();
  Connection& operator*() const noexcept { return *conn_; }
  Connection* operator->() const noexcept { return conn_.get(); }

 private:
  friend class Database;
  PooledConnection(Database* db, std::unique_ptr<Connection> conn) noexcept : db_(db), conn_(std::move(conn)) {}
  Database* db_;
  std::unique_ptr<Connection> conn_;
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

// GATEHOUSE_DATABASE_URL, or "sqlite:gatehouse.sqlite3" when unset.
std::string database_url_from_environment();

}  // namespace gatehouse::db
