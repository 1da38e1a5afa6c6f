// Read-side protection for receiver lists (an epoch-based RCU). Internal.
//
// Why: a send must read the receiver list without writing to any memory that
// another thread writes, or two threads sending on one signal contend for a
// cache line (a shared_ptr snapshot does exactly that with its reference count).
//
// How: each thread owns a ReaderRecord. Entering the outermost read section
// stores the current global epoch in the thread's own record; leaving stores 0.
// A writer publishes a new list, retires the old one tagged with a fresh epoch,
// and frees it once every record is idle or shows an epoch at least that new.
// The reader needs a store-load fence between announcing itself and loading the
// list; where the kernel offers membarrier(PRIVATE_EXPEDITED), writers issue it
// on the readers' behalf and readers pay only a compiler barrier.
//
// Writers never wait for readers, so a receiver may connect or disconnect (or
// destroy its own connection) from inside a send without deadlock.
#pragma once

#include <atomic>
#include <cstdint>

namespace gatehouse::signals::detail {

struct alignas(64) ReaderRecord {
  std::atomic<std::uint64_t> active{0};  // epoch at entry of the outermost section, or 0
  std::uint32_t thread_blocks = 0;       // owner thread only: per-thread signal blocks held
  bool in_use = false;                   // guarded by the registry mutex
  ReaderRecord* next = nullptr;          // registry list, append-only
};

extern constinit thread_local ReaderRecord* t_reader
    __attribute__((tls_model("initial-exec")));
extern constinit std::atomic<std::uint64_t> g_epoch;
extern constinit std::atomic<bool> g_light_fence;

// Registers the calling thread (first read section on it). Never fails.
ReaderRecord* register_reader() noexcept;

// RAII read section. Nests: only the outermost one announces itself, and a
// nested one is recognised by the record being active already. (No nesting
// counter: a read-modify-write on every send would chain consecutive sends
// through store-to-load forwarding.)
class ReadSection {
 public:
  ReadSection() noexcept {
    ReaderRecord* r = t_reader;
    if (r == nullptr) [[unlikely]]
      r = register_reader();
    rec_ = r;
    outer_ = r->active.load(std::memory_order_relaxed) == 0;
    if (outer_) [[likely]] {
#if defined(__SANITIZE_THREAD__)
      // ThreadSanitizer models read-modify-writes but not fences; a seq_cst
      // exchange is a correct (slower) store-load barrier on its own.
      r->active.exchange(g_epoch.load(std::memory_order_relaxed), std::memory_order_seq_cst);
#else
      r->active.store(g_epoch.load(std::memory_order_relaxed), std::memory_order_relaxed);
      if (g_light_fence.load(std::memory_order_relaxed)) [[likely]]
        std::atomic_signal_fence(std::memory_order_seq_cst);
      else
        std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
    }
  }
  ~ReadSection() {
    if (outer_) [[likely]]
      rec_->active.store(0, std::memory_order_release);
  }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;

  ReaderRecord* record() const noexcept { return rec_; }

 private:
  ReaderRecord* rec_;
  bool outer_;
};

// Something retired by a writer and freed after its grace period.
struct Retirable {
  virtual ~Retirable() = default;
};

// Hands `old` (already unpublished) to the reclaimer; it is deleted once no read
// section that could have seen it is still open. Then frees whatever is due.
// Never blocks on readers. Deletion happens with no library lock held.
void retire(Retirable* old);

// Frees every retired object whose grace period has passed; returns how many
// are still waiting. Never blocks on readers.
std::size_t reclaim();

}  // namespace gatehouse::signals::detail
