// DatabaseError: what went wrong in the database, as a kind the caller can
// act on and a message a person can read. Nothing is half-written when one is
// thrown inside a Transaction: the transaction rolls back.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace gatehouse::db {

enum class ErrorKind {
  unique_violation,       // a UNIQUE or PRIMARY KEY constraint
  foreign_key_violation,  // a row refers to one that does not exist (or is referred to)
  not_null_violation,
  check_violation,
  invalid_value,          // a value the column cannot hold (too long, bad encoding, out of range)
  busy,                   // locked database or lock timeout: try again
  serialization_failure,  // concurrent transactions conflicted: try again
  connection,             // could not connect, or the connection was lost
  invalid_query,          // SQL the engine rejected (a bug)
  configuration,          // a bad GATEHOUSE_DATABASE_URL and the like
  other,
};

std::string_view to_string(ErrorKind kind) noexcept;

class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }
  // Worth retrying the whole transaction (busy, serialization failure).
  bool transient() const noexcept { return kind_ == ErrorKind::busy || kind_ == ErrorKind::serialization_failure; }

 private:
  ErrorKind kind_;
};

}  // namespace gatehouse::db
