// UnitOfWork: the hook that after-commit receivers hang on.
//
// A receiver connected with Delivery::on_commit is not called by send() while a
// unit of work is open on the sending thread: its call (with copies of the
// arguments) is handed to UnitOfWork::current()->on_commit(), and runs when the
// work commits, or never if it rolls back. With no unit of work open it runs at
// once, like Django's transaction.on_commit() in autocommit mode.
//
// The db layer's transactions are units of work. ScopedUnitOfWork is a
// stand-alone one for work that is not a database transaction.
//
// Thread safety: units of work belong to the thread that opened them and must be
// closed on it, innermost first.
#pragma once

#include <functional>
#include <vector>

namespace gatehouse::signals {

class UnitOfWork {
 public:
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;

  // The innermost unit of work open on this thread, or nullptr.
  static UnitOfWork* current() noexcept;

  // Runs `fn` after this unit of work (and every one it is nested in) commits;
  // drops it if any of them rolls back.
  virtual void on_commit(std::function<void()> fn) = 0;

 protected:
  UnitOfWork() noexcept;  // becomes current() on this thread
  virtual ~UnitOfWork();  // calls close()
  // Stops being current(): the enclosing unit is current again. Call on commit
  // and rollback, before running callbacks, so that work they do is not
  // deferred into a unit that is closing. Idempotent.
  void close() noexcept;
  UnitOfWork* enclosing() const noexcept { return enclosing_; }

 private:
  UnitOfWork* enclosing_;
  bool current_ = true;
};

// Runs every callback in order, even after one throws, then rethrows the
// first exception. What every unit of work does on its outermost commit.
void run_commit_callbacks(std::vector<std::function<void()>>& callbacks);

// Collects on-commit callbacks. commit() of the outermost unit runs them in the
// order they were registered; commit() of a nested unit hands them to the
// enclosing one (a savepoint). Destroyed without commit(), it rolls back.
//
// Callbacks run even if an earlier one throws; the first exception is then
// rethrown from commit(). For side effects that must not be lost when the
// process dies, use the tasks layer's durable receivers instead.
class ScopedUnitOfWork final : public UnitOfWork {
 public:
  ScopedUnitOfWork() noexcept = default;
  ~ScopedUnitOfWork() override;

  void on_commit(std::function<void()> fn) override;
  void commit();
  void rollback() noexcept;
  bool open() const noexcept { return open_; }

 private:
  std::vector<std::function<void()>> callbacks_;
  bool open_ = true;
};

}  // namespace gatehouse::signals
