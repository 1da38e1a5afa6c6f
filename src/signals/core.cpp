#include "gatehouse/signals/detail/core.h"

#include <algorithm>
#include <new>
#include <utility>
#include <vector>

namespace gatehouse::signals::detail {

SlotBase::~SlotBase() {
  if (core != nullptr) release(core);
}

void acquire(SlotBase* s) noexcept { s->refs.fetch_add(1, std::memory_order_relaxed); }

void release(SlotBase* s) noexcept {
  if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}

void acquire(Core* c) noexcept { c->refs.fetch_add(1, std::memory_order_relaxed); }

void release(Core* c) noexcept {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
}

Snapshot* Snapshot::make(std::size_t n) {
  void* mem = ::operator new(sizeof(Snapshot) + n * sizeof(Entry));
  return new (mem) Snapshot(n);
}

Snapshot::~Snapshot() {
  for (const Entry& e : *this) release(e.slot);
}

Core* ensure_core(std::atomic<Core*>& slot) {
  Core* c = slot.load(std::memory_order_acquire);
  if (c != nullptr) return c;
  Core* fresh = new Core;
  if (slot.compare_exchange_strong(c, fresh, std::memory_order_acq_rel)) return fresh;
  delete fresh;  // another thread won; `c` now holds its core
  return c;
}

const Snapshot* Core::publish(Snapshot* next) {
  if (next != nullptr && next->size() == 0) {
    delete next;
    next = nullptr;
  }
  return head.exchange(next, std::memory_order_acq_rel);
}

SlotBase* Core::connect(SlotBase* slot) {
  const Snapshot* old = nullptr;
  {
    std::lock_guard lock(mu);
    const Snapshot* cur = head.load(std::memory_order_relaxed);
    const std::size_t n = cur != nullptr ? cur->size() : 0;
    if (!slot->key.empty() && cur != nullptr) {
      for (const Entry& e : *cur) {
        if (e.slot->key == slot->key && e.sender == slot->sender && !e.slot->expired()) {
          acquire(e.slot);
          SlotBase* existing = e.slot;
          release(slot);  // never connected: its core is still null
          return existing;
        }
      }
    }
    slot->core = this;
    acquire(this);
    slot->id = next_connection_id();
    Snapshot* next = Snapshot::make(n + 1);
    for (std::size_t i = 0; i < n; ++i) {
      next->entries()[i] = cur->entries()[i];
      acquire(cur->entries()[i].slot);
    }
    next->entries()[n] = Entry{slot->sender, slot};  // takes the caller's reference
    acquire(slot);                                   // and one more for the caller
    old = publish(next);
  }
  retire(const_cast<Snapshot*>(old));
  return slot;
}

bool Core::remove_where(bool (*match)(const SlotBase*, const void*), const void* arg) {
  const Snapshot* old = nullptr;
  bool removed = false;
  {
    std::lock_guard lock(mu);
    const Snapshot* cur = head.load(std::memory_order_relaxed);
    if (cur == nullptr) return false;
    std::size_t keep = 0;
    for (const Entry& e : *cur) keep += match(e.slot, arg) ? 0u : 1u;
    if (keep == cur->size()) return false;
    Snapshot* next = Snapshot::make(keep);
    std::size_t i = 0;
    for (const Entry& e : *cur) {
      if (match(e.slot, arg)) {
        // Sends that already hold the old list skip it from now on.
        e.slot->state.fetch_or(kDisconnected, std::memory_order_release);
        removed = true;
      } else {
        next->entries()[i++] = e;
        acquire(e.slot);
      }
    }
    old = publish(next);
  }
  retire(const_cast<Snapshot*>(old));
  return removed;
}

bool Core::disconnect(SlotBase* slot) {
  return remove_where([](const SlotBase* s, const void* target) { return s == target; }, slot);
}

bool Core::disconnect_key(std::string_view key, const void* sender) {
  struct Match {
    std::string_view key;
    const void* sender;
  } wanted{key, sender};
  return remove_where(
      [](const SlotBase* s, const void* arg) {
        const auto* m = static_cast<const Match*>(arg);
        return s->sender == m->sender && s->key == m->key;
      },
      &wanted);
}

std::size_t Core::disconnect_all() {
  const std::size_t n = receiver_count();
  remove_where([](const SlotBase*, const void*) { return true; }, nullptr);
  return n;
}

bool Core::has_listeners(const void* sender, bool any) const {
  if (blocked.load(std::memory_order_relaxed) != 0) return false;
  ReadSection rs;
  if (rs.record()->thread_blocks != 0 && blocked_on_this_thread(this)) return false;
  const Snapshot* snap = head.load(std::memory_order_acquire);
  if (snap == nullptr) return false;
  return std::any_of(snap->begin(), snap->end(), [&](const Entry& e) {
    return (any || e.sender == nullptr || e.sender == sender) &&
           e.slot->state.load(std::memory_order_relaxed) == 0 && !e.slot->expired();
  });
}

std::size_t Core::receiver_count() const {
  ReadSection rs;
  const Snapshot* snap = head.load(std::memory_order_acquire);
  if (snap == nullptr) return 0;
  return static_cast<std::size_t>(std::count_if(snap->begin(), snap->end(), [](const Entry& e) {
    return (e.slot->state.load(std::memory_order_relaxed) & kDisconnected) == 0 &&
           !e.slot->expired();
  }));
}

namespace {
// Signals blocked on this thread, with how many blocks each.
thread_local std::vector<std::pair<const Core*, unsigned>> t_blocks;
}  // namespace

bool blocked_on_this_thread(const Core* c) noexcept {
  return std::any_of(t_blocks.begin(), t_blocks.end(),
                     [c](const auto& b) { return b.first == c; });
}

void block_on_this_thread(Core* c) {
  ReadSection rs;  // makes sure this thread has a record
  auto it = std::find_if(t_blocks.begin(), t_blocks.end(),
                         [c](const auto& b) { return b.first == c; });
  if (it != t_blocks.end()) {
    ++it->second;
  } else {
    t_blocks.emplace_back(c, 1u);
  }
  ++rs.record()->thread_blocks;
}

void unblock_on_this_thread(Core* c) noexcept {
  auto it = std::find_if(t_blocks.begin(), t_blocks.end(),
                         [c](const auto& b) { return b.first == c; });
  if (it == t_blocks.end()) return;  // not blocked on this thread: misuse, ignored
  if (--it->second == 0) t_blocks.erase(it);
  if (ReaderRecord* r = t_reader; r != nullptr && r->thread_blocks > 0) --r->thread_blocks;
}

std::uint64_t next_connection_id() noexcept {
  static constinit std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gatehouse::signals::detail
