// send_async: receivers on an executor, never on the caller's thread.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "gatehouse/core/executor.h"
#include "gatehouse/signals/async.h"
#include "gatehouse/signals/signal.h"

namespace gatehouse::signals {
namespace {

// An executor that breaks Executor::post's contract by running tasks inline.
struct InlineExecutor final : core::Executor {
  int posted = 0;
  void post(std::function<void()> task) override {
    ++posted;
    task();
  }
};

TEST(SendAsync, RunsOnTheGivenExecutorAndYieldsResponses) {
  core::ThreadPool pool(2);
  Signal<int(int)> sig;
  std::atomic<bool> on_pool{false};
  ScopedConnection c = sig.connect([&](int v) {
    on_pool = pool.on_worker_thread();
    return v + 1;
  });
  auto future = send_async(sig, pool, {}, 41);
  auto responses = future.get();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].value, 42);
  EXPECT_TRUE(on_pool.load());
}

TEST(SendAsync, DefaultsToTheLibraryPool) {
  Signal<void()> sig;
  std::thread::id ran_on;
  ScopedConnection c = sig.connect([&] { ran_on = std::this_thread::get_id(); });
  send_async(sig, {}).get();
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(SendAsync, NeverRunsReceiversOnTheCallersThreadEvenWithAnInlineExecutor) {
  InlineExecutor inline_exec;
  Signal<void()> sig;
  std::thread::id ran_on;
  ScopedConnection c = sig.connect([&] { ran_on = std::this_thread::get_id(); });
  send_async(sig, inline_exec, {}).get();
  EXPECT_EQ(inline_exec.posted, 1);
  EXPECT_NE(ran_on, std::thread::id());
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(SendAsync, ExceptionReachesTheFuture) {
  Signal<void()> sig;
  ScopedConnection c = sig.connect([] { throw std::runtime_error("async failure"); });
  auto future = send_async(sig, {});
  EXPECT_THROW(future.get(), std::runtime_error);
}

TEST(SendAsync, RobustVariantCapturesEachError) {
  Signal<int()> sig;
  ScopedConnection a = sig.connect([]() -> int { throw std::runtime_error("x"); });
  ScopedConnection b = sig.connect([] { return 2; });
  auto out = send_robust_async(sig, {}).get();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].ok());
  EXPECT_EQ(out[1].value, 2);
}

TEST(SendAsync, ArgumentsAreCopiedAtSendTime) {
  Signal<void(const std::string&)> sig;
  std::promise<std::string> got;
  ScopedConnection c = sig.connect([&](const std::string& s) { got.set_value(s); });
  std::future<void> done;
  {
    std::string temp = "copied";
    done = send_async(sig, {}, temp);
  }  // the original is gone before the receiver runs
  EXPECT_EQ(got.get_future().get(), "copied");
  done.get();
}

TEST(SendAsync, SignalMayBeDestroyedWhileATaskIsQueued) {
  core::ThreadPool pool(1);
  std::promise<void> gate;
  pool.post([f = gate.get_future().share()] { f.wait(); });  // holds the only worker
  std::future<void> pending;
  int calls = 0;
  {
    Signal<void()> sig;
    ScopedConnection c = sig.connect([&] { ++calls; });
    pending = send_async(sig, pool, {});
  }
  gate.set_value();
  pending.get();
  EXPECT_EQ(calls, 0);  // disconnected with its signal before the task ran
}

TEST(SendAsync, NeverConnectedSignalCompletes) {
  Signal<int()> sig;
  EXPECT_TRUE(send_async(sig, {}).get().empty());
}

}  // namespace
}  // namespace gatehouse::signals
