// HashPool: where password hashing runs, apart from request threads.
//
// Hashing is deliberately slow, so it gets its own bounded pool: a burst of
// logins queues here (and is refused with PoolFull past max_queue) instead of
// stalling requests that only carry a session cookie. A worker that picks a
// PBKDF2 check also takes other queued PBKDF2 checks with the same PRF and
// iteration count and derives them interleaved on its core (the batch path,
// crypto/pbkdf2.h): under load, more logins per core.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gatehouse/passwords/registry.h"

namespace gatehouse::passwords {

// Thrown by HashPool when its queue is full: answer "try again later".
class PoolFull : public std::runtime_error {
 public:
  PoolFull() : std::runtime_error("password hashing queue is full") {}
};

struct CheckResult {
  bool correct = false;
  // The password matched and the hash should be re-made with the preferred
  // hasher (call HashPool::make_password and store the result).
  bool needs_upgrade = false;
};

class HashPool {
 public:
  struct Options {
    std::size_t threads = 0;         // 0: one per core
    std::size_t max_queue = 1024;    // pending requests before PoolFull
    std::size_t max_batch = 2;       // PBKDF2 checks derived together (1: no batching)
  };

  // `registry` must outlive the pool.
  HashPool(const HasherRegistry& registry, Options options);
  explicit HashPool(const HasherRegistry& registry) : HashPool(registry, Options{}) {}
  // Finishes every queued request, then joins.
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  // check_password on the pool. Throws PoolFull when the queue is full.
  std::future<CheckResult> check(std::string password, std::string encoded);
  // make_password with the preferred hasher on the pool. Throws PoolFull.
  std::future<std::string> make_password(std::string password);

  // Callback forms: `done` runs once, on a pool thread, with the result or
  // with an exception (the result then unset). What `done` itself throws is
  // logged and dropped: it never ends a pool thread nor calls `done` again.
  // Throw PoolFull as the others do.
  using CheckDone = std::function<void(const CheckResult*, std::exception_ptr)>;
  using MadeDone = std::function<void(const std::string*, std::exception_ptr)>;
  void check(std::string password, std::string encoded, CheckDone done);
  void make_password(std::string password, MadeDone done);

  // A hash of nothing by this pool's preferred hasher at its current
  // parameters, made once: what a check runs against when there is no real
  // hash to check (no such user, an unusable password), so that it costs
  // what a real check costs (Django's ModelBackend: set_password on a
  // throwaway user).
  const std::string& dummy_hash() const;

  std::size_t queue_depth() const;
  struct Stats {
    std::uint64_t checks = 0;
    std::uint64_t batches = 0;       // batch derivations run
    std::uint64_t batched_checks = 0;  // checks that ran in one of them
  };
  Stats stats() const;

 private:
  struct Request;
  void run();
  void enqueue(Request&& r);
  void serve_batch(std::vector<Request>& batch);

  const HasherRegistry& registry_;
  Options options_;
  mutable std::once_flag dummy_once_;
  mutable std::string dummy_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::vector<std::thread> workers_;
};

}  // namespace gatehouse::passwords
