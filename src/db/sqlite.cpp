#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <unordered_map>

#include "drivers.h"
#include "gatehouse/db/error.h"

namespace gatehouse::db::detail {

namespace {

ErrorKind kind_of(int extended) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return ErrorKind::unique_violation;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return ErrorKind::foreign_key_violation;
    case SQLITE_CONSTRAINT_NOTNULL:
      return ErrorKind::not_null_violation;
    case SQLITE_CONSTRAINT_CHECK:
      return ErrorKind::check_violation;
    default:
      break;
  }
  switch (extended & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::busy;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return ErrorKind::connection;
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return ErrorKind::invalid_value;
    case SQLITE_ERROR:
      return ErrorKind::invalid_query;
    default:
      return ErrorKind::other;
  }
}

// SQLite's memory statistics take one process-wide mutex on every allocation,
// which serialises all connections under load; nothing here reads them. Must
// run before SQLite initialises, hence a function-local static on first open.
void configure_sqlite_once() {
  static const bool done = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)done;
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::string& target, bool uri, std::chrono::milliseconds busy) {
    configure_sqlite_once();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | (uri ? SQLITE_OPEN_URI : 0);
    const int rc = sqlite3_open_v2(target.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw DatabaseError(ErrorKind::connection, "cannot open SQLite database " + target + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy.count()));
    execute_script("PRAGMA foreign_keys = ON");
    if (!uri) {
      // Switching to WAL needs an exclusive lock, and SQLite may answer BUSY
      // at once rather than through the busy handler (two processes opening a
      // new file together): retry until the busy timeout is spent.
      const auto deadline = std::chrono::steady_clock::now() + busy;
      for (;;) {
        try {
          execute_script("PRAGMA journal_mode = WAL");
          break;
        } catch (const DatabaseError& e) {
          if (e.kind() != ErrorKind::busy || std::chrono::steady_clock::now() >= deadline) throw;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
      execute_script("PRAGMA synchronous = NORMAL");
    }
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Engine engine() const noexcept override { return Engine::sqlite; }
  bool healthy() const noexcept override { return db_ != nullptr; }

  Result execute(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = prepare(sql);
    // Reset on every exit so the cached statement holds no lock or binding.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    if (static_cast<std::size_t>(sqlite3_bind_parameter_count(stmt)) != params.size())
      throw DatabaseError(ErrorKind::invalid_query, "statement takes " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                                                        " parameters, " + std::to_string(params.size()) + " given");
    for (std::size_t i = 0; i < params.size(); ++i) bind(stmt, static_cast<int>(i + 1), params[i]);
    Result out;
    const int ncols = sqlite3_column_count(stmt);
    for (int c = 0; c < ncols; ++c) out.columns.emplace_back(sqlite3_column_name(stmt, c));
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(sqlite3_extended_errcode(db_), sql);
      std::vector<Value> row;
      row.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) row.push_back(column(stmt, c));
      out.rows.push_back(std::move(row));
    }
    if (!sqlite3_stmt_readonly(stmt)) out.affected = sqlite3_changes64(db_);
    return out;
  }

  void execute_script(std::string_view sql) override {
    char* err = nullptr;
    const std::string s(sql);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      throw DatabaseError(kind_of(sqlite3_extended_errcode(db_)), "SQLite: " + msg);
    }
  }

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    const std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail) !=
        SQLITE_OK)
      fail(sqlite3_extended_errcode(db_), sql);
    if (stmt == nullptr) throw DatabaseError(ErrorKind::invalid_query, "empty SQL statement");
    for (; tail != nullptr && *tail != '\0'; ++tail) {
      if (*tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != ';' && *tail != '\r') {
        sqlite3_finalize(stmt);
        throw DatabaseError(ErrorKind::invalid_query, "execute() takes one statement; use execute_script()");
      }
    }
    if (cache_.size() >= 256) {
      for (auto& [k, s] : cache_) sqlite3_finalize(s);
      cache_.clear();
    }
    cache_.emplace(key, stmt);
    return stmt;
  }

  static void bind(sqlite3_stmt* stmt, int i, const Value& v) {
    int rc;
    if (v.is_null()) {
      rc = sqlite3_bind_null(stmt, i);
    } else if (v.is_int()) {
      rc = sqlite3_bind_int64(stmt, i, v.as_int());
    } else if (v.is_real()) {
      rc = sqlite3_bind_double(stmt, i, v.as_real());
    } else {
      const std::string& t = v.as_text();
      rc = sqlite3_bind_text64(stmt, i, t.data(), t.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) throw DatabaseError(kind_of(rc), std::string("SQLite: cannot bind parameter: ") + sqlite3_errstr(rc));
  }

  static Value column(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        return Value(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(stmt, c));
      case SQLITE_NULL:
        return Value();
      default: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        return Value(std::string(p != nullptr ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
      }
    }
  }

  [[noreturn]] void fail(int extended, std::string_view sql) {
    std::string msg = std::string("SQLite: ") + sqlite3_errmsg(db_);
    if (kind_of(extended) == ErrorKind::invalid_query) msg += " in: " + std::string(sql.substr(0, 200));
    throw DatabaseError(kind_of(extended), msg);
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& target, bool uri, std::chrono::milliseconds busy) {
  return std::make_unique<SqliteConnection>(target, uri, busy);
}

}  // namespace gatehouse::db::detail
