// Receiver: connect at static-initialisation time, the counterpart of Django's
// @receiver(signal, sender=...) decorator.
//
//   static void on_user_saved(const Sender&, const User& u, bool created) { ... }
//   static const Receiver user_saved{post_save, on_user_saved,
//                                    {.sender = Sender::of<User>()}};
//
//   // one receiver for several signals (@receiver([sig_a, sig_b])):
//   static const Receiver audit{signals_of(user_logged_in, user_logged_out),
//                               [](const Sender& s, auto&&...) { ... }};
//
// Signals are constant-initialised, so a Receiver in any translation unit may
// name a signal defined in any other. A Receiver disconnects when destroyed
// (at exit for a static one). It is not copyable.
#pragma once

#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gatehouse/signals/signal.h"

namespace gatehouse::signals {

// A list of signals for one Receiver; the signals may have different signatures
// as long as the receiver can be called for each.
template <class... Sigs>
struct SignalList {
  std::tuple<Signal<Sigs>&...> signals;
};

template <class... Sigs>
SignalList<Sigs...> signals_of(Signal<Sigs>&... signals) {
  return SignalList<Sigs...>{std::tie(signals...)};
}

// The options a Receiver takes for a list of signals: ConnectOptions when
// each signal takes them, else ImmediateConnectOptions.
template <class... Sigs>
using CommonOptions = std::conditional_t<(std::is_same_v<typename Signal<Sigs>::Options, ConnectOptions> && ...),
                                         ConnectOptions, ImmediateConnectOptions>;

class Receiver {
 public:
  // `opts` is Signal<Sig>::Options: on a signal whose arguments cannot be
  // copied (the model signals), `.delivery = Delivery::on_commit` does not
  // compile (see delivery.h).
  template <class Sig, class F>
  Receiver(Signal<Sig>& signal, F&& receiver, const typename Signal<Sig>::Options& opts = {}) {
    connections_.emplace_back(signal.connect(std::forward<F>(receiver), opts));
  }

  // Connects a copy of `receiver` to each signal in the list.
  // `opts` is ConnectOptions when every signal's arguments can be copied,
  // else ImmediateConnectOptions.
  template <class... Sigs, class F>
  Receiver(SignalList<Sigs...> list, const F& receiver, const CommonOptions<Sigs...>& opts = {}) {
    connections_.reserve(sizeof...(Sigs));
    std::apply([&](auto&... sig) { (connections_.emplace_back(sig.connect(receiver, options_for(sig, opts))), ...); },
               list.signals);
  }

  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // One connection per signal, in the order given.
  const std::vector<ScopedConnection>& connections() const noexcept { return connections_; }

 private:
  // A list's ConnectOptions, as one signal of it takes them.
  template <class Sig, class O>
  static typename Signal<Sig>::Options options_for(const Signal<Sig>&, const O& opts) {
    if constexpr (std::is_same_v<typename Signal<Sig>::Options, O>) {
      return opts;
    } else {
      return {.sender = opts.sender, .dispatch_uid = opts.dispatch_uid};
    }
  }

  std::vector<ScopedConnection> connections_;
};

}  // namespace gatehouse::signals
