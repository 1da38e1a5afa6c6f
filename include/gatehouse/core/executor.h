// Executor: somewhere to run a task later, on another thread.
//
// The signals layer runs asynchronous receivers on an Executor; the password
// layer will run hashing on its own bounded one. ThreadPool is the library's
// implementation; default_executor() is the pool shared by the library.
//
// Thread safety: post() may be called from any thread at once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gatehouse::core {

class Executor {
 public:
  virtual ~Executor() = default;

  // Queues `task` to run later. REQUIRES: an implementation never runs the task
  // on the calling thread before post() returns.
  virtual void post(std::function<void()> task) = 0;
};

// A fixed number of worker threads taking tasks from one FIFO queue.
// The destructor stops accepting tasks, runs those already queued, and joins.
// A task that throws does not kill its worker: the exception is reported on
// stderr and the worker goes on (tasks that care capture their own errors).
class ThreadPool final : public Executor {
 public:
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Throws std::logic_error once the pool is shutting down.
  void post(std::function<void()> task) override;

  std::size_t size() const noexcept { return workers_.size(); }
  // Tasks queued and not yet started.
  std::size_t queued() const;
  // True when the calling thread is one of this pool's workers.
  bool on_worker_thread() const noexcept;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// The library's shared pool (one thread per core, at least two), created on
// first use and never destroyed, so tasks posted from static destructors are safe.
ThreadPool& default_executor();

}  // namespace gatehouse::core
