// Connect and disconnect from many threads while others send.
// Also built with -fsanitize=thread by the test command.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gatehouse/signals/signal.h"

namespace gatehouse::signals {
namespace {

using Clock = std::chrono::steady_clock;

TEST(Threads, StressConnectDisconnectDuringSends) {
  Signal<void(int)> sig;
  std::atomic<long> permanent_calls{0};
  std::atomic<long> churn_calls{0};
  ScopedConnection permanent = sig.connect([&](int) { permanent_calls.fetch_add(1, std::memory_order_relaxed); });

  constexpr int kSenders = 3, kChurners = 2, kSendsEach = 20000;
  std::atomic<bool> stop{false};
  std::atomic<long> sends{0};
  std::atomic<long> churn_cycles{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kChurners; ++c) {
    threads.emplace_back([&, c] {
      int i = 0;
      while (!stop.load()) {
        // The receiver owns state that must stay alive while it can be called.
        auto state = std::make_shared<std::array<std::atomic<int>, 16>>();
        (*state)[0] = c;
        ScopedConnection conn = sig.connect([state, &churn_calls](int v) {
          (*state)[static_cast<std::size_t>(v) % state->size()].fetch_add(1);
          churn_calls.fetch_add(1, std::memory_order_relaxed);
        }, {.dispatch_uid = (i % 3 == 0) ? "shared-uid" : ""});
        if (i % 2 == 0) {
          Connection tied =
              sig.connect(std::weak_ptr<std::array<std::atomic<int>, 16>>(state), [](int) {});
          std::this_thread::yield();
        }
        ++i;
        churn_cycles.fetch_add(1);
      }
    });
  }
  // Senders go on until churning has overlapped with them: a fixed count of
  // sends can finish before the churners connect anything.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; (i < kSendsEach || churn_cycles.load() < 500 || churn_calls.load() == 0) &&
                      Clock::now() < deadline;
           ++i) {
        if (i % 100 == 0) {
          (void)sig.send_robust({}, i);
        } else {
          sig.send({}, s + i);
        }
        sends.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (std::size_t t = kChurners; t < threads.size(); ++t) threads[t].join();
  stop = true;
  for (int t = 0; t < kChurners; ++t) threads[static_cast<std::size_t>(t)].join();

  EXPECT_EQ(permanent_calls.load(), sends.load());  // the permanent receiver saw every send
  EXPECT_GE(churn_cycles.load(), 500);
  EXPECT_GT(churn_calls.load(), 0);
  EXPECT_EQ(sig.receiver_count(), 1u);
  EXPECT_EQ(detail::reclaim(), 0u);
}

TEST(Threads, DisconnectedReceiverIsNeverCalledOnceInFlightSendsDrain) {
  Signal<void()> sig;
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int i = 0; i < 2; ++i) {
    senders.emplace_back([&] {
      while (!stop.load()) sig.send({});
    });
  }
  int rounds_with_late_calls = 0;
  for (int round = 0; round < 50; ++round) {
    auto calls = std::make_shared<std::atomic<long>>(0);
    Connection c = sig.connect([calls] { calls->fetch_add(1); });
    while (calls->load() == 0) std::this_thread::yield();
    ASSERT_TRUE(c.disconnect());
    // Every list the receiver was on is freed only after each send that could
    // hold it has finished: from then on nothing may call it.
    while (detail::reclaim() != 0) std::this_thread::yield();
    const long settled = calls->load();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (calls->load() != settled) ++rounds_with_late_calls;
  }
  stop = true;
  for (auto& t : senders) t.join();
  EXPECT_EQ(rounds_with_late_calls, 0);
}

TEST(Threads, ConcurrentRecursiveSendsDoNotDeadlock) {
  Signal<void(int)> sig;
  std::atomic<long> calls{0};
  ScopedConnection c = sig.connect([&](int depth) {
    calls.fetch_add(1);
    if (depth > 0) sig.send({}, depth - 1);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        sig.send({}, 3);
        if (i % 50 == 0) sig.connect([](int) {}).disconnect();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 4L * 500 * 4);
}

TEST(Threads, ManyShortLivedThreadsReuseReaderRecords) {
  Signal<void()> sig;
  std::atomic<int> calls{0};
  ScopedConnection c = sig.connect([&] { ++calls; });
  for (int i = 0; i < 200; ++i) std::thread([&] { sig.send({}); }).join();
  EXPECT_EQ(calls.load(), 200);
  sig.connect([] {}).disconnect();
  EXPECT_EQ(detail::reclaim(), 0u);
}

}  // namespace
}  // namespace gatehouse::signals
