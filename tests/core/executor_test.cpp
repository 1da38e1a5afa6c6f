#include "gatehouse/core/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

namespace gatehouse::core {
namespace {

TEST(ThreadPool, RunsEveryTaskOffTheCallingThread) {
  ThreadPool pool(2);
  std::atomic<int> ran{0};
  std::atomic<int> on_caller{0};
  const auto me = std::this_thread::get_id();
  for (int i = 0; i < 100; ++i) {
    pool.post([&] {
      if (std::this_thread::get_id() == me) ++on_caller;
      ++ran;
    });
  }
  while (ran.load() < 100) std::this_thread::yield();
  EXPECT_EQ(on_caller.load(), 0);
}

TEST(ThreadPool, DestructorDrainsTheQueue) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(1);
    for (int i = 0; i < 50; ++i) pool.post([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 50);
}

TEST(ThreadPool, ThrowingTaskDoesNotKillTheWorker) {
  ThreadPool pool(1);
  pool.post([] { throw std::runtime_error("boom"); });
  std::promise<bool> p;
  pool.post([&] { p.set_value(pool.on_worker_thread()); });
  EXPECT_TRUE(p.get_future().get());
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool(0), std::invalid_argument); }

TEST(ThreadPool, DefaultExecutorHasAtLeastTwoThreads) {
  EXPECT_GE(default_executor().size(), 2u);
}

}  // namespace
}  // namespace gatehouse::core
