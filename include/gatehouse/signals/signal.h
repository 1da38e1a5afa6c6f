// Signal<R(Args...)>: Django's dispatcher (django.dispatch.Signal) in C++.
//
//   inline Signal<void(const User&, bool created)> post_save;   // declare
//   post_save.connect(on_saved, {.sender = Sender::of<User>()}); // listen
//   post_save.send(Sender::of<User>(), user, true);              // fire
//
// Receivers are any callable taking (const Sender&, Args...) or just (Args...).
// A receiver that returns something convertible to R contributes a response.
//
// Identity and de-duplication (Django's lookup key): a receiver given a
// dispatch_uid is identified by it; a plain function by its address; a bound
// member function by object and member. Connecting the same identity with the
// same sender again connects nothing and returns the existing connection.
// Lambdas and other callables without a dispatch_uid are always new receivers.
//
// Tied receivers (Django's weak references): connect(std::weak_ptr<T>, f)
// calls f only while the object lives; a dead receiver is never called and is
// pruned from the list when a send finds it dead.
//
// Thread safety: every member may be called from any thread at once. A send
// sees the receivers connected when it began (a snapshot):
//   - a receiver connected during a send is not called by that send;
//   - a receiver disconnected or blocked during a send is not called by it if
//     that send had not reached it yet; calls already running on other threads
//     are not waited for.
// A receiver may connect, disconnect and send (this signal or any other) from
// inside a send. send() takes no lock and writes no memory shared with other
// sending threads. REQUIRES: the Signal outlives every send on it (sends on an executor,
// signals/async.h, keep what they need alive on their own).
//
// A Signal is constant-initialised, so one defined at namespace scope can be
// connected to from any static initialiser (see receiver.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gatehouse/signals/connection.h"
#include "gatehouse/signals/delivery.h"
#include "gatehouse/signals/detail/core.h"
#include "gatehouse/signals/sender.h"
#include "gatehouse/signals/unit_of_work.h"

namespace gatehouse::signals {


// One receiver's answer to send().
template <class R>
struct Response {
  std::uint64_t receiver;  // Connection::id()
  R value;
};

// One receiver's outcome in send_robust().
template <class R>
struct RobustResponse {
  std::uint64_t receiver;
  std::optional<R> value;  // set when the receiver returned
  std::exception_ptr error;  // set when it threw
  bool ok() const noexcept { return error == nullptr; }
};
template <>
struct RobustResponse<void> {
  std::uint64_t receiver;
  std::exception_ptr error;
  bool ok() const noexcept { return error == nullptr; }
};

namespace detail {

// How a send passes each argument on: references as they are, small trivially
// copyable values by value, everything else by const reference.
template <class T>
using arg_t = std::conditional_t<std::is_reference_v<T> ||
                                     (std::is_trivially_copyable_v<T> && sizeof(T) <= 16),
                                 T, const T&>;

template <class F, class... A>
decltype(auto) call_receiver(F& f, const Sender& s, A&&... a) {
  if constexpr (std::is_invocable_v<F&, const Sender&, A...>) {
    return std::invoke(f, s, std::forward<A>(a)...);
  } else {
    static_assert(std::is_invocable_v<F&, A...>,
                  "a receiver must be callable with (const Sender&, Args...) or (Args...)");
    return std::invoke(f, std::forward<A>(a)...);
  }
}

template <class T>
std::string identity_bytes(char kind, const T& value) {
  std::string key(1 + sizeof(T), kind);
  std::memcpy(key.data() + 1, &value, sizeof(T));
  return key;
}
template <class T, class M>
std::string member_identity(const T* object, M T::*member) {
  return identity_bytes('m', object) + identity_bytes('p', member);
}

}  // namespace detail

namespace detail {
struct SignalAccess;
}  // namespace detail

template <class Signature>
class Signal;

template <class R, class... Args>
class Signal<R(Args...)> {
  static_assert(!std::is_reference_v<R>, "a signal's response type cannot be a reference");
  static_assert((!std::is_rvalue_reference_v<Args> && ...),
                "signal arguments reach several receivers: they cannot be rvalue references");

 public:
  using Responses = std::vector<Response<R>>;
  using RobustResponses = std::vector<RobustResponse<R>>;
  // send() returns nothing for a void signal, else every receiver's response.
  using SendResult = std::conditional_t<std::is_void_v<R>, void, Responses>;
  // ConnectOptions when the arguments can be copied (on_commit delivery
  // copies them), else ImmediateConnectOptions, which has no `delivery`.
  using Options = std::conditional_t<(std::is_copy_constructible_v<std::decay_t<Args>> && ...), ConnectOptions,
                                     ImmediateConnectOptions>;

  constexpr Signal() noexcept = default;
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  ~Signal() {
    if (detail::Core* c = core_.load(std::memory_order_acquire)) {
      c->disconnect_all();
      detail::release(c);
    }
  }

  // ---- connecting ------------------------------------------------------

  // Any callable. A plain function is identified by its address.
  template <class F>
  Connection connect(F&& receiver, const Options& opts = {}) {
    using Fn = std::decay_t<F>;
    std::string key;
    if constexpr (std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>) {
      const Fn fp = receiver;
      if (fp == nullptr) throw std::invalid_argument("connect: null function pointer");
      key = detail::identity_bytes('f', fp);
    }
    return attach(new PlainSlot<Fn>(std::forward<F>(receiver)), opts, std::move(key));
  }

  // A member function of an object the caller keeps alive while connected.
  template <class T, class M>
    requires std::is_member_function_pointer_v<M T::*>
  Connection connect(T* object, M T::*member, const Options& opts = {}) {
    if (object == nullptr || member == nullptr)
      throw std::invalid_argument("connect: null object or member");
    auto bound = [object, member](auto&&... a) -> decltype(auto)
      requires std::is_invocable_v<M T::*, T*, decltype(a)...>
    {
      return std::invoke(member, object, std::forward<decltype(a)>(a)...);
    };
    return attach(new PlainSlot<decltype(bound)>(std::move(bound)), opts,
                  detail::member_identity(object, member));
  }

  // A receiver tied to an object's lifetime: called only while `owner` lives;
  // the object is kept alive for the length of each call. `receiver` is a
  // member function of T, or any callable.
  template <class T, class F>
  Connection connect(std::weak_ptr<T> owner, F&& receiver, const Options& opts = {}) {
    using Fn = std::decay_t<F>;
    std::string key;
    if constexpr (std::is_member_function_pointer_v<Fn>) {
      const Fn member = receiver;
      if (member == nullptr) throw std::invalid_argument("connect: null member");
      if (auto alive = owner.lock()) key = detail::member_identity(alive.get(), member);
    }
    if (owner.expired()) throw std::invalid_argument("connect: the owner is already destroyed");
    return attach(new TiedSlot<T, Fn>(std::move(owner), std::forward<F>(receiver)), opts,
                  std::move(key));
  }
  template <class T, class F>
  Connection connect(const std::shared_ptr<T>& owner, F&& receiver,
                     const Options& opts = {}) {
    return connect(std::weak_ptr<T>(owner), std::forward<F>(receiver), opts);
  }

  // ---- disconnecting (each returns whether anything was disconnected) --

  bool disconnect(const Connection& c) { return c.disconnect(); }
  template <class F>
    requires std::is_function_v<F>
  bool disconnect(F* function, const Sender& sender = {}) {
    return disconnect_key(detail::identity_bytes('f', function), sender);
  }
  template <class T, class M>
    requires std::is_member_function_pointer_v<M T::*>
  bool disconnect(const T* object, M T::*member, const Sender& sender = {}) {
    return disconnect_key(detail::member_identity(object, member), sender);
  }
  template <class T, class M>
    requires std::is_member_function_pointer_v<M T::*>
  bool disconnect(const std::shared_ptr<T>& object, M T::*member, const Sender& sender = {}) {
    return disconnect(object.get(), member, sender);
  }
  bool disconnect_uid(std::string_view dispatch_uid, const Sender& sender = {}) {
    return disconnect_key(uid_key(dispatch_uid), sender);
  }
  // Returns how many receivers were connected.
  std::size_t disconnect_all() {
    detail::Core* c = core_.load(std::memory_order_acquire);
    return c != nullptr ? c->disconnect_all() : 0;
  }

  // ---- inspecting --------------------------------------------------------

  // Would a send by anyone call a receiver now? (Blocked receivers do not count.)
  bool has_listeners() const { return listeners(nullptr, true); }
  // Would a send by `sender` call a receiver now? Unlike Django's
  // has_listeners(None), Sender{} asks only about receivers for every sender.
  bool has_listeners(const Sender& sender) const { return listeners(sender.key(), false); }
  std::size_t receiver_count() const {
    detail::Core* c = core_.load(std::memory_order_acquire);
    return c != nullptr ? c->receiver_count() : 0;
  }

  // ---- blocking ----------------------------------------------------------

  // Sends on every thread call nothing until the Blocker is destroyed.
  [[nodiscard]] Blocker block() {
    detail::Core* c = detail::ensure_core(core_);
    detail::acquire(c);
    c->blocked.fetch_add(1, std::memory_order_acq_rel);
    return Blocker(Blocker::Kind::signal, c);
  }
  // Sends on the calling thread only call nothing until the Blocker is
  // destroyed (a bulk import while other threads serve requests).
  // REQUIRES: the Blocker is destroyed on this thread.
  [[nodiscard]] Blocker block_on_this_thread() {
    detail::Core* c = detail::ensure_core(core_);
    detail::acquire(c);
    detail::block_on_this_thread(c);
    return Blocker(Blocker::Kind::thread, c);
  }
  bool blocked() const noexcept {
    detail::Core* c = core_.load(std::memory_order_acquire);
    return c != nullptr && c->blocked.load(std::memory_order_relaxed) != 0;
  }

  // ---- sending -----------------------------------------------------------

  // Calls every matching receiver on this thread, in connection order. An
  // exception from a receiver stops delivery and propagates (as Django).
  SendResult send(const Sender& sender, detail::arg_t<Args>... args) const {
    detail::Core* c = core_.load(std::memory_order_acquire);
    if (c == nullptr || c->head.load(std::memory_order_relaxed) == nullptr) [[likely]]
      return SendResult();
    return dispatch(c, sender, args...);
  }

  // Calls every matching receiver; an exception is captured in its response
  // and delivery goes on.
  RobustResponses send_robust(const Sender& sender, detail::arg_t<Args>... args) const {
    RobustResponses out;
    detail::Core* c = core_.load(std::memory_order_acquire);
    if (c != nullptr) dispatch_robust(c, sender, out, args...);
    return out;
  }

 private:
  // What a slot's call yields: whether it ran (void), or its response.
  using Out = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
  using Thunk = Out (*)(detail::SlotBase*, const Sender&, detail::arg_t<Args>...);
  static constexpr bool kArgsCopyable = (std::is_copy_constructible_v<std::decay_t<Args>> && ...);

  struct Slot : detail::SlotBase {
    Thunk direct = nullptr;  // the receiver itself, never deferred
  };

  template <class F>
  static Out invoke(F& f, const Sender& s, detail::arg_t<Args>... args) {
    if constexpr (std::is_void_v<R>) {
      detail::call_receiver(f, s, args...);
      return true;
    } else if constexpr (std::is_void_v<decltype(detail::call_receiver(f, s, args...))>) {
      detail::call_receiver(f, s, args...);  // a receiver with nothing to say
      return Out();
    } else {
      return Out(std::in_place, detail::call_receiver(f, s, args...));
    }
  }

  template <class F>
  struct PlainSlot final : Slot {
    template <class G>
    explicit PlainSlot(G&& g) : f(std::forward<G>(g)) {
      this->direct = &call;
    }
    static Out call(detail::SlotBase* self, const Sender& s, detail::arg_t<Args>... args) {
      return invoke(static_cast<PlainSlot*>(self)->f, s, args...);
    }
    F f;
  };

  template <class T, class F>
  struct TiedSlot final : Slot {
    template <class G>
    TiedSlot(std::weak_ptr<T> o, G&& g) : owner(std::move(o)), f(std::forward<G>(g)) {
      this->direct = &call;
    }
    bool expired() const noexcept override { return owner.expired(); }
    static Out call(detail::SlotBase* base, const Sender& s, detail::arg_t<Args>... args) {
      auto* self = static_cast<TiedSlot*>(base);
      std::shared_ptr<T> alive = self->owner.lock();
      if (!alive) {
        base->core->disconnect(base);  // prune the dead receiver
        return Out();
      }
      if constexpr (std::is_member_function_pointer_v<F>) {
        auto bound = [&](auto&&... a) -> decltype(auto)
          requires std::is_invocable_v<F&, T*, decltype(a)...>
        {
          return std::invoke(self->f, alive.get(), std::forward<decltype(a)>(a)...);
        };
        return invoke(bound, s, args...);
      } else {
        return invoke(self->f, s, args...);
      }
    }
    std::weak_ptr<T> owner;
    F f;
  };

  // Delivery::on_commit: defers the call into the open unit of work.
  static Out deferred(detail::SlotBase* base, const Sender& s, detail::arg_t<Args>... args) {
    auto* self = static_cast<Slot*>(base);
    UnitOfWork* uow = UnitOfWork::current();
    if (uow == nullptr) return self->direct(base, s, args...);
    if constexpr (kArgsCopyable) {
      detail::acquire(base);
      std::shared_ptr<detail::SlotBase> hold(base, [](detail::SlotBase* p) { detail::release(p); });
      uow->on_commit([hold = std::move(hold), s, copies = std::tuple<std::decay_t<Args>...>(args...)]() mutable {
        auto* slot = static_cast<Slot*>(hold.get());
        if ((slot->state.load(std::memory_order_acquire) & detail::kDisconnected) != 0) return;
        std::apply([&](auto&... a) { slot->direct(slot, s, a...); }, copies);
      });
    }
    return Out();
  }

  Connection attach(Slot* slot, const Options& opts, std::string identity) {
    slot->sender = opts.sender.key();
    slot->key = opts.dispatch_uid.empty() ? std::move(identity) : uid_key(opts.dispatch_uid);
    slot->thunk = reinterpret_cast<void (*)()>(slot->direct);
    if constexpr (kArgsCopyable) {
      slot->delivery = opts.delivery;
      if (opts.delivery == Delivery::on_commit) slot->thunk = reinterpret_cast<void (*)()>(&deferred);
    }
    return Connection(detail::ensure_core(core_)->connect(slot));
  }

  static std::string uid_key(std::string_view uid) {
    std::string key = "u";
    key.append(uid);
    return key;
  }

  bool disconnect_key(const std::string& key, const Sender& sender) {
    detail::Core* c = core_.load(std::memory_order_acquire);
    return c != nullptr && c->disconnect_key(key, sender.key());
  }

  bool listeners(const void* sender, bool any) const {
    detail::Core* c = core_.load(std::memory_order_acquire);
    return c != nullptr && c->has_listeners(sender, any);
  }

  // The receiver list a send by `sender` should walk now, or nullptr when the
  // signal is blocked (for all threads or this one) or has no receivers.
  // REQUIRES: `rs` is open on this thread.
  static const detail::Snapshot* visible(const detail::Core* c, const detail::ReadSection& rs) {
    if (c->blocked.load(std::memory_order_relaxed) != 0) [[unlikely]]
      return nullptr;
    if (rs.record()->thread_blocks != 0 && detail::blocked_on_this_thread(c)) [[unlikely]]
      return nullptr;
    return c->head.load(std::memory_order_acquire);
  }

  static bool reaches(const detail::Entry& e, const void* sender_key) noexcept {
    return (e.sender == nullptr || e.sender == sender_key) &&
           e.slot->state.load(std::memory_order_relaxed) == 0;
  }

  // Calls `visit(slot, thunk)` for each receiver a send by `sender` reaches.
  template <class Visit>
  static void for_each_receiver(detail::Core* c, const Sender& sender, Visit&& visit) {
    detail::ReadSection rs;
    const detail::Snapshot* snap = visible(c, rs);
    if (snap == nullptr) return;
    for (const detail::Entry& e : *snap) {
      if (!reaches(e, sender.key())) continue;
      visit(e.slot, reinterpret_cast<Thunk>(e.slot->thunk));
    }
  }

  // The plain send: a direct loop with the arguments in registers, since this
  // is the path every model save takes.
  static SendResult dispatch(detail::Core* c, const Sender& sender,
                             detail::arg_t<Args>... args) {
    detail::ReadSection rs;
    const detail::Snapshot* snap = visible(c, rs);
    if constexpr (std::is_void_v<R>) {
      if (snap == nullptr) return;
      for (const detail::Entry& e : *snap) {
        if (reaches(e, sender.key()))
          reinterpret_cast<Thunk>(e.slot->thunk)(e.slot, sender, args...);
      }
    } else {
      Responses out;
      if (snap == nullptr) return out;
      for (const detail::Entry& e : *snap) {
        if (!reaches(e, sender.key())) continue;
        if (Out r = reinterpret_cast<Thunk>(e.slot->thunk)(e.slot, sender, args...))
          out.push_back({e.slot->id, std::move(*r)});
      }
      return out;
    }
  }

  static void dispatch_robust(detail::Core* c, const Sender& sender, RobustResponses& out,
                              detail::arg_t<Args>... args) {
    for_each_receiver(c, sender, [&](detail::SlotBase* slot, Thunk thunk) {
      try {
        if constexpr (std::is_void_v<R>) {
          if (thunk(slot, sender, args...)) out.push_back({slot->id, nullptr});
        } else {
          if (Out r = thunk(slot, sender, args...)) out.push_back({slot->id, std::move(r), nullptr});
        }
      } catch (...) {
        if constexpr (std::is_void_v<R>) {
          out.push_back({slot->id, std::current_exception()});
        } else {
          out.push_back({slot->id, std::nullopt, std::current_exception()});
        }
      }
    });
  }

  friend struct detail::SignalAccess;  // signals/async.h
  mutable std::atomic<detail::Core*> core_{nullptr};
};

}  // namespace gatehouse::signals
