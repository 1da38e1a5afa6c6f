#include "gatehouse/signals/detail/rcu.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

namespace gatehouse::signals::detail {

constinit thread_local ReaderRecord* t_reader = nullptr;
constinit std::atomic<std::uint64_t> g_epoch{1};
constinit std::atomic<bool> g_light_fence{false};

namespace {

struct Registry {
  std::mutex mu;
  ReaderRecord* head = nullptr;
  bool membarrier_tried = false;
  bool membarrier_ok = false;
};

// Leaked on purpose: threads and static destructors may send during exit.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

struct RetireList {
  std::mutex mu;
  std::vector<std::pair<std::uint64_t, Retirable*>> items;
};

RetireList& retire_list() {
  static RetireList* l = new RetireList;
  return *l;
}

void full_fence() {
#if defined(__SANITIZE_THREAD__)
  static std::atomic<int> dummy{0};  // ThreadSanitizer does not model fences
  dummy.fetch_add(1, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

long membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0u, 0); }

// REQUIRES: registry().mu held.
void init_membarrier_locked(Registry& reg) {
  if (reg.membarrier_tried) return;
  reg.membarrier_tried = true;
  const long cmds = membarrier(MEMBARRIER_CMD_QUERY);
  if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
      membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
    reg.membarrier_ok = true;
    g_light_fence.store(true, std::memory_order_relaxed);
  }
}

// Gives the record back to the registry when its thread exits.
struct ThreadExit {
  bool exited = false;
  ~ThreadExit() {
    exited = true;
    if (ReaderRecord* r = t_reader; r != nullptr && r->active.load(std::memory_order_relaxed) == 0) {
      std::lock_guard lock(registry().mu);
      r->active.store(0, std::memory_order_relaxed);
      r->in_use = false;
      t_reader = nullptr;
    }
  }
};
thread_local ThreadExit t_exit;

// Oldest epoch any open read section announced; max() when none is open.
// Issues the barrier that makes readers' announcements visible first.
std::uint64_t oldest_active_epoch() {
  Registry& reg = registry();
  std::lock_guard lock(reg.mu);
  init_membarrier_locked(reg);
  if (!reg.membarrier_ok || membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) full_fence();
  std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
  for (ReaderRecord* r = reg.head; r != nullptr; r = r->next) {
    const std::uint64_t e = r->active.load(std::memory_order_seq_cst);
    if (e != 0) oldest = std::min(oldest, e);
  }
  return oldest;
}

}  // namespace

ReaderRecord* register_reader() noexcept {
  Registry& reg = registry();
  std::lock_guard lock(reg.mu);
  init_membarrier_locked(reg);
  ReaderRecord* r = nullptr;
  for (ReaderRecord* p = reg.head; p != nullptr; p = p->next) {
    if (!p->in_use) {
      r = p;
      break;
    }
  }
  if (r == nullptr) {
    r = new ReaderRecord;  // never freed: records are reused by later threads
    r->next = reg.head;
    reg.head = r;
  }
  r->in_use = true;
  r->active.store(0, std::memory_order_relaxed);
  r->thread_blocks = 0;
  // During thread exit (after t_exit ran) the record stays assigned for good.
  if (!t_exit.exited) t_reader = r;
  return r;
}

void retire(Retirable* old) {
  if (old == nullptr) return;
  // Readers that announce this epoch or a later one loaded the list after it
  // was unpublished, so they cannot hold `old`.
  const std::uint64_t tag = g_epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
  {
    std::lock_guard lock(retire_list().mu);
    retire_list().items.emplace_back(tag, old);
  }
  reclaim();
}

std::size_t reclaim() {
  RetireList& list = retire_list();
  // Only items retired before the barrier below may be judged by its scan.
  std::uint64_t newest = 0;
  {
    std::lock_guard lock(list.mu);
    if (list.items.empty()) return 0;
    for (const auto& item : list.items) newest = std::max(newest, item.first);
  }
  const std::uint64_t oldest = std::min(oldest_active_epoch(), newest);
  std::vector<Retirable*> due;
  std::size_t waiting = 0;
  {
    std::lock_guard lock(list.mu);
    auto keep = std::partition(list.items.begin(), list.items.end(),
                               [oldest](const auto& item) { return item.first > oldest; });
    for (auto it = keep; it != list.items.end(); ++it) due.push_back(it->second);
    list.items.erase(keep, list.items.end());
    waiting = list.items.size();
  }
  // No lock held: a destructor may connect, disconnect or retire in turn.
  for (Retirable* r : due) delete r;
  return waiting;
}

}  // namespace gatehouse::signals::detail
