#include "gatehouse/core/executor.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>

namespace gatehouse::core {

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) throw std::invalid_argument("ThreadPool needs at least one thread");
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { run(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) throw std::logic_error("ThreadPool::post after shutdown began");
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

std::size_t ThreadPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool ThreadPool::on_worker_thread() const noexcept {
  const auto me = std::this_thread::get_id();
  return std::any_of(workers_.begin(), workers_.end(),
                     [me](const std::thread& t) { return t.get_id() == me; });
}

void ThreadPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gatehouse: task failed on thread pool: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "gatehouse: task failed on thread pool with a non-standard exception\n");
    }
  }
}

ThreadPool& default_executor() {
  // Leaked on purpose: static destructors may still post tasks.
  static ThreadPool* pool =
      new ThreadPool(std::max<std::size_t>(2, std::thread::hardware_concurrency()));
  return *pool;
}

}  // namespace gatehouse::core
