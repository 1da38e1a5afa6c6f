// Transaction: a unit of work on one connection. The outermost one is
// BEGIN/COMMIT; nested ones are savepoints. It is a signals::UnitOfWork, so
// receivers connected with Delivery::on_commit run after the outermost commit
// and never for work that rolls back.
//
//   db::Transaction tx(*conn);
//   conn->execute("INSERT ...", {...});
//   user_saved.send(...);            // on-commit receivers wait
//   tx.commit();                     // now they run
//
// Destroyed without commit(), it rolls back. An exception escaping the scope
// therefore leaves nothing half-written.
//
// Thread safety: on the connection's thread only; nest strictly.
#pragma once

#include <functional>
#include <vector>

#include "gatehouse/db/connection.h"
#include "gatehouse/signals/unit_of_work.h"

namespace gatehouse::db {

class Transaction final : public signals::UnitOfWork {
 public:
  // SQLite's outermost transaction takes the write lock at once (BEGIN
  // IMMEDIATE), so two writers wait for each other instead of deadlocking.
  explicit Transaction(Connection& conn);
  ~Transaction() override;

  // Commits (or releases the savepoint). Throws DatabaseError if the engine
  // refuses; the transaction is then rolled back and its callbacks dropped.
  // After the outermost commit, on-commit callbacks run in order (every one
  // runs; the first exception is rethrown afterwards).
  void commit();
  void rollback() noexcept;

  void on_commit(std::function<void()> fn) override;
  bool open() const noexcept { return open_; }
  bool nested() const noexcept { return level_ > 1; }

 private:
  Connection& conn_;
  std::size_t level_;
  bool open_ = true;
  std::vector<std::function<void()>> callbacks_;
  Transaction* outer_tx_;
};

}  // namespace gatehouse::db
