// Sending a signal on an executor: the receivers run elsewhere and a future
// brings back what send() or send_robust() would have returned.
//
//   std::future<void> done = signals::send_async(order_paid, pool, Sender::of<Order>(), order);
//   auto responses = signals::send_robust_async(order_paid, Sender::of<Order>(), order).get();
//
// Apart from signal.h so that a translation unit that only declares, connects
// and sends signals does not pay for <future> and <thread>.
//
// The arguments are copied into the task (they must be copyable). Receivers
// never run on the calling thread: a task an executor starts inline is moved
// to the library's pool (core::default_executor()). The task keeps what it
// needs of the signal alive, so the Signal may go before the task runs.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <tuple>
#include <type_traits>

#include "gatehouse/core/executor.h"
#include "gatehouse/signals/signal.h"

namespace gatehouse::signals {

namespace detail {

// What the functions below need of a Signal's inside.
struct SignalAccess {
  template <class R, class... Args>
  static Core* core(const Signal<R(Args...)>& s) noexcept {
    return s.core_.load(std::memory_order_acquire);
  }
  template <class R, class... Args, class... A>
  static auto dispatch(const Signal<R(Args...)>*, Core* c, const Sender& sender, A&... a) {
    return Signal<R(Args...)>::dispatch(c, sender, a...);
  }
  template <class R, class... Args, class... A>
  static void dispatch_robust(const Signal<R(Args...)>*, Core* c, const Sender& sender,
                              typename Signal<R(Args...)>::RobustResponses& out, A&... a) {
    Signal<R(Args...)>::dispatch_robust(c, sender, out, a...);
  }
};

template <bool Robust, class R, class... Args>
auto post_async(const Signal<R(Args...)>& signal, core::Executor& executor, const Sender& sender,
                arg_t<Args>... args) {
  static_assert((std::is_copy_constructible_v<std::decay_t<Args>> && ...),
                "send_async copies the arguments: they must be copyable");
  using Sig = Signal<R(Args...)>;
  using Result = std::conditional_t<Robust, typename Sig::RobustResponses, typename Sig::SendResult>;
  struct Task {
    Core* core = nullptr;  // a reference is held; nullptr when never connected
    Sender sender;
    std::tuple<std::decay_t<Args>...> args;
    std::promise<Result> promise;
    std::thread::id caller;
    std::atomic<bool> posting{true};  // the caller is still inside Executor::post()
    ~Task() {
      if (core != nullptr) release(core);
    }
    void run() {
      constexpr const Sig* kSig = nullptr;
      try {
        if constexpr (Robust) {
          Result out;
          if (core != nullptr)
            std::apply([&](auto&... a) { SignalAccess::dispatch_robust(kSig, core, sender, out, a...); }, args);
          promise.set_value(std::move(out));
        } else if constexpr (std::is_void_v<R>) {
          if (core != nullptr) std::apply([&](auto&... a) { SignalAccess::dispatch(kSig, core, sender, a...); }, args);
          promise.set_value();
        } else {
          Result out;
          if (core != nullptr)
            out = std::apply([&](auto&... a) { return SignalAccess::dispatch(kSig, core, sender, a...); }, args);
          promise.set_value(std::move(out));
        }
      } catch (...) {
        promise.set_exception(std::current_exception());
      }
    }
  };
  auto task = std::make_shared<Task>();
  task->core = SignalAccess::core(signal);
  if (task->core != nullptr) acquire(task->core);
  task->sender = sender;
  task->args = std::tuple<std::decay_t<Args>...>(args...);
  task->caller = std::this_thread::get_id();
  std::future<Result> future = task->promise.get_future();
  executor.post([task] {
    if (task->posting.load() && std::this_thread::get_id() == task->caller) {
      // An inline executor: keep the promise that receivers leave this thread.
      core::default_executor().post([task] { task->run(); });
      return;
    }
    task->run();
  });
  task->posting.store(false);
  return future;
}

}  // namespace detail

// As signal.send(sender, args...), on `executor`. The future yields send()'s
// result or its exception.
template <class R, class... Args>
std::future<typename Signal<R(Args...)>::SendResult> send_async(const Signal<R(Args...)>& signal,
                                                                core::Executor& executor, const Sender& sender,
                                                                std::type_identity_t<detail::arg_t<Args>>... args) {
  return detail::post_async<false>(signal, executor, sender, args...);
}
// On the library's pool.
template <class R, class... Args>
std::future<typename Signal<R(Args...)>::SendResult> send_async(const Signal<R(Args...)>& signal, const Sender& sender,
                                                                std::type_identity_t<detail::arg_t<Args>>... args) {
  return detail::post_async<false>(signal, core::default_executor(), sender, args...);
}

// As signal.send_robust(sender, args...), on `executor` (or the library's pool).
template <class R, class... Args>
std::future<typename Signal<R(Args...)>::RobustResponses> send_robust_async(
    const Signal<R(Args...)>& signal, core::Executor& executor, const Sender& sender,
    std::type_identity_t<detail::arg_t<Args>>... args) {
  return detail::post_async<true>(signal, executor, sender, args...);
}
template <class R, class... Args>
std::future<typename Signal<R(Args...)>::RobustResponses> send_robust_async(
    const Signal<R(Args...)>& signal, const Sender& sender, std::type_identity_t<detail::arg_t<Args>>... args) {
  return detail::post_async<true>(signal, core::default_executor(), sender, args...);
}

}  // namespace gatehouse::signals
