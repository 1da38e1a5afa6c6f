#include "gatehouse/signals/unit_of_work.h"

#include <exception>
#include <stdexcept>
#include <utility>

namespace gatehouse::signals {

namespace {
thread_local UnitOfWork* t_current = nullptr;
}  // namespace

UnitOfWork* UnitOfWork::current() noexcept { return t_current; }

UnitOfWork::UnitOfWork() noexcept : enclosing_(t_current) { t_current = this; }

UnitOfWork::~UnitOfWork() { close(); }

void UnitOfWork::close() noexcept {
  if (!current_) return;
  current_ = false;
  // Units close innermost first; closing out of order is misuse, and then the
  // stack is left as it is rather than pointed at a dead unit.
  if (t_current == this) t_current = enclosing_;
}

ScopedUnitOfWork::~ScopedUnitOfWork() { rollback(); }

void ScopedUnitOfWork::on_commit(std::function<void()> fn) {
  if (!open_) throw std::logic_error("on_commit on a unit of work that is already closed");
  callbacks_.push_back(std::move(fn));
}

void ScopedUnitOfWork::rollback() noexcept {
  close();
  open_ = false;
  callbacks_.clear();
}

void ScopedUnitOfWork::commit() {
  if (!open_) throw std::logic_error("commit on a unit of work that is already closed");
  close();
  open_ = false;
  auto callbacks = std::move(callbacks_);
  callbacks_.clear();
  if (UnitOfWork* outer = enclosing()) {
    for (auto& fn : callbacks) outer->on_commit(std::move(fn));
    return;
  }
  run_commit_callbacks(callbacks);
}

void run_commit_callbacks(std::vector<std::function<void()>>& callbacks) {
  std::exception_ptr first;
  for (auto& fn : callbacks) {
    try {
      fn();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace gatehouse::signals
