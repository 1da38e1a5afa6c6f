// Connection: one session with SQLite or PostgreSQL. SQL uses '?' placeholders
// on both engines (the PostgreSQL driver numbers them).
//
// Thread safety: a Connection is used by one thread at a time; Database hands
// out pooled connections to many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/db/value.h"

namespace gatehouse::db {

enum class Engine { sqlite, postgresql };
std::string_view to_string(Engine engine) noexcept;

struct Result {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  std::int64_t affected = 0;  // rows changed by INSERT, UPDATE or DELETE

  bool empty() const noexcept { return rows.empty(); }
  // Index of a column by name; throws DatabaseError(invalid_query) if absent.
  std::size_t column(std::string_view name) const;
  // The single value of a one-row, one-column result (e.g. SELECT count(*)).
  const Value& scalar() const;
};

class Transaction;

class Connection {
 public:
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Engine engine() const noexcept = 0;

  // Runs one statement. Throws DatabaseError.
  virtual Result execute(std::string_view sql, std::span<const Value> params = {}) = 0;
  Result execute(std::string_view sql, std::initializer_list<Value> params) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs several ';'-separated statements without parameters (schema scripts).
  virtual void execute_script(std::string_view sql) = 0;

  // False once the connection is known to be unusable (lost, broken).
  virtual bool healthy() const noexcept = 0;

  // Open transactions (Transaction objects) on this connection, innermost last.
  std::size_t transaction_depth() const noexcept { return depth_; }

 protected:
  Connection() = default;

 private:
  friend class Transaction;
  std::size_t depth_ = 0;
  Transaction* innermost_ = nullptr;
};

}  // namespace gatehouse::db
