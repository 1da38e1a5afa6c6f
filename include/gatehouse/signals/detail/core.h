// The untyped part of a signal: its receiver list and the operations on it.
// Internal; the API is signal.h and connection.h.
//
// Writers (connect, disconnect, block) serialise on Core::mu, build a new
// Snapshot, publish it with one atomic store, and retire the old one through
// rcu.h. Senders read the published Snapshot inside a ReadSection and never
// lock. Each Snapshot holds a reference to each of its slots, so a slot and its
// callable outlive every send that may still call it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "gatehouse/signals/delivery.h"
#include "gatehouse/signals/detail/rcu.h"

namespace gatehouse::signals {

namespace detail {

class Core;

// Slot::state bits. Any non-zero state means "do not call".
inline constexpr std::uint32_t kDisconnected = 1;
inline constexpr std::uint32_t kBlockUnit = 2;

struct SlotBase {
  SlotBase() = default;
  SlotBase(const SlotBase&) = delete;
  SlotBase& operator=(const SlotBase&) = delete;
  virtual ~SlotBase();

  // True for a receiver tied to an object that no longer exists.
  virtual bool expired() const noexcept { return false; }

  // Read by every send: keep together.
  std::atomic<std::uint32_t> state{0};
  void (*thunk)() = nullptr;  // typed entry point; Signal<Sig> casts it back

  std::atomic<std::uint32_t> refs{1};
  const void* sender = nullptr;  // Sender::key(); nullptr for any sender
  std::uint64_t id = 0;          // connection id, unique in the process
  Core* core = nullptr;          // strong reference, set by Core::connect
  std::string key;               // identity for de-duplication; empty if none
  Delivery delivery = Delivery::immediate;
};

void acquire(SlotBase* s) noexcept;
void release(SlotBase* s) noexcept;

struct Entry {
  const void* sender;
  SlotBase* slot;
};

// An immutable receiver list. Entries live in the same allocation, after it.
class Snapshot final : public Retirable {
 public:
  static Snapshot* make(std::size_t n);
  ~Snapshot() override;  // releases its slots
  static void operator delete(void* p) { ::operator delete(p); }

  const Entry* begin() const noexcept { return entries(); }
  const Entry* end() const noexcept { return entries() + size_; }
  std::size_t size() const noexcept { return size_; }
  Entry* entries() noexcept { return reinterpret_cast<Entry*>(this + 1); }
  const Entry* entries() const noexcept { return reinterpret_cast<const Entry*>(this + 1); }

 private:
  explicit Snapshot(std::size_t n) : size_(n) {}
  std::size_t size_;
};

class Core {
 public:
  Core() = default;
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Read by every send: keep on a line of their own, away from refs.
  alignas(64) std::atomic<const Snapshot*> head{nullptr};  // nullptr: no receivers
  std::atomic<std::uint32_t> blocked{0};                    // all-thread blocks held
  alignas(64) std::atomic<std::uint32_t> refs{1};

  // Connects `slot` (the caller's reference is handed over) unless a slot with
  // the same non-empty key and sender is connected. Returns the connected slot
  // with one reference for the caller.
  SlotBase* connect(SlotBase* slot);
  // Returns whether `slot` was connected here.
  bool disconnect(SlotBase* slot);
  bool disconnect_key(std::string_view key, const void* sender);
  std::size_t disconnect_all();

  // Would a send by `sender` call anything now? `any`: ignore the sender.
  bool has_listeners(const void* sender, bool any) const;
  std::size_t receiver_count() const;

 private:
  // REQUIRES: mu held. Publishes `next`; returns the old list to retire
  // after mu is released.
  const Snapshot* publish(Snapshot* next);
  bool remove_where(bool (*match)(const SlotBase*, const void*), const void* arg);

  mutable std::mutex mu;
};

void acquire(Core* c) noexcept;
void release(Core* c) noexcept;

// Returns the core behind `slot`, creating it on first use (lock-free).
Core* ensure_core(std::atomic<Core*>& slot);

// Per-thread blocks (Signal::block_on_this_thread).
bool blocked_on_this_thread(const Core* c) noexcept;
void block_on_this_thread(Core* c);
void unblock_on_this_thread(Core* c) noexcept;

std::uint64_t next_connection_id() noexcept;

}  // namespace detail
}  // namespace gatehouse::signals
