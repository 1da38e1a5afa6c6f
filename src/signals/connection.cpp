#include "gatehouse/signals/connection.h"

#include "gatehouse/signals/detail/core.h"

namespace gatehouse::signals {

using detail::kBlockUnit;
using detail::kDisconnected;

Connection::Connection(const Connection& other) noexcept : slot_(other.slot_) {
  if (slot_ != nullptr) detail::acquire(slot_);
}

Connection::~Connection() {
  if (slot_ != nullptr) detail::release(slot_);
}

bool Connection::connected() const noexcept {
  return slot_ != nullptr &&
         (slot_->state.load(std::memory_order_acquire) & kDisconnected) == 0 &&
         !slot_->expired();
}

bool Connection::disconnect() const {
  if (slot_ == nullptr || slot_->core == nullptr) return false;
  return slot_->core->disconnect(slot_);
}

Blocker Connection::block() const {
  if (slot_ == nullptr) return Blocker();
  detail::acquire(slot_);
  slot_->state.fetch_add(kBlockUnit, std::memory_order_acq_rel);
  return Blocker(Blocker::Kind::connection, slot_);
}

bool Connection::blocked() const noexcept {
  return slot_ != nullptr && slot_->state.load(std::memory_order_acquire) >= kBlockUnit;
}

std::uint64_t Connection::id() const noexcept { return slot_ != nullptr ? slot_->id : 0; }

void Blocker::unblock() noexcept {
  switch (std::exchange(kind_, Kind::none)) {
    case Kind::none:
      break;
    case Kind::signal: {
      auto* core = static_cast<detail::Core*>(target_);
      core->blocked.fetch_sub(1, std::memory_order_acq_rel);
      detail::release(core);
      break;
    }
    case Kind::thread: {
      auto* core = static_cast<detail::Core*>(target_);
      detail::unblock_on_this_thread(core);
      detail::release(core);
      break;
    }
    case Kind::connection: {
      auto* slot = static_cast<detail::SlotBase*>(target_);
      slot->state.fetch_sub(kBlockUnit, std::memory_order_acq_rel);
      detail::release(slot);
      break;
    }
  }
  target_ = nullptr;
}

}  // namespace gatehouse::signals
