#include "gatehouse/db/transaction.h"

#include <exception>
#include <stdexcept>
#include <string>

#include "gatehouse/db/error.h"

namespace gatehouse::db {

namespace {
std::string savepoint(std::size_t level) { return "gh_savepoint_" + std::to_string(level); }
}  // namespace

Transaction::Transaction(Connection& conn) : conn_(conn), level_(conn.depth_ + 1), outer_tx_(conn.innermost_) {
  if (level_ == 1) {
    conn.execute(conn.engine() == Engine::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  } else {
    conn.execute("SAVEPOINT " + savepoint(level_));
  }
  conn.depth_ = level_;
  conn.innermost_ = this;
}

Transaction::~Transaction() { rollback(); }

void Transaction::on_commit(std::function<void()> fn) {
  if (!open_) throw std::logic_error("on_commit on a transaction that is already closed");
  callbacks_.push_back(std::move(fn));
}

void Transaction::commit() {
  if (!open_) throw std::logic_error("commit on a transaction that is already closed");
  if (conn_.innermost_ != this) throw std::logic_error("commit of a transaction with an open inner one");
  try {
    conn_.execute(level_ == 1 ? std::string("COMMIT") : "RELEASE SAVEPOINT " + savepoint(level_));
  } catch (...) {
    rollback();
    throw;
  }
  open_ = false;
  conn_.depth_ = level_ - 1;
  conn_.innermost_ = outer_tx_;
  close();
  auto callbacks = std::move(callbacks_);
  callbacks_.clear();
  if (outer_tx_ != nullptr) {  // a savepoint: the work commits with the outer transaction
    for (auto& fn : callbacks) outer_tx_->callbacks_.push_back(std::move(fn));
    return;
  }
  signals::run_commit_callbacks(callbacks);
}

void Transaction::rollback() noexcept {
  if (!open_) return;
  open_ = false;
  callbacks_.clear();
  try {
    if (level_ == 1) {
      conn_.execute("ROLLBACK");
    } else {
      conn_.execute("ROLLBACK TO SAVEPOINT " + savepoint(level_));
      conn_.execute("RELEASE SAVEPOINT " + savepoint(level_));
    }
  } catch (...) {
    // The connection is lost or broken; the engine undoes the transaction
    // itself, and the pool will not lend this connection again.
  }
  conn_.depth_ = level_ - 1;
  conn_.innermost_ = outer_tx_;
  close();
}

}  // namespace gatehouse::db
