// Handles to a connected receiver, and scoped blocks.
//
//   Connection        a copyable handle: ask whether the receiver is still
//                     connected, disconnect it, block it for a scope.
//   ScopedConnection  owns a Connection and disconnects it when destroyed.
//   Blocker           returned by Signal::block(), Connection::block() and
//                     Signal::block_on_this_thread(); the block lasts as long
//                     as the Blocker.
//
// Handles stay valid after the signal is destroyed (they then report
// "not connected"). Thread safety: any handle may be used from any thread.
#pragma once

#include <cstdint>
#include <utility>

namespace gatehouse::signals {

namespace detail {
struct SlotBase;
class Core;
}  // namespace detail

class Blocker;

class Connection {
 public:
  Connection() noexcept = default;
  // Adopts one reference to `slot`. Library use.
  explicit Connection(detail::SlotBase* slot) noexcept : slot_(slot) {}
  Connection(const Connection& other) noexcept;
  Connection(Connection&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
  Connection& operator=(Connection other) noexcept {
    std::swap(slot_, other.slot_);
    return *this;
  }
  ~Connection();

  // Connected, and (for a receiver tied to an object) that object is alive.
  bool connected() const noexcept;
  // Disconnects; returns whether the receiver was connected until now.
  // Sends already calling it on other threads are not waited for; no send
  // starts calling it after this returns.
  bool disconnect() const;
  // Blocks this receiver, for all threads, until the Blocker is destroyed.
  [[nodiscard]] Blocker block() const;
  bool blocked() const noexcept;
  // Unique in the process; identifies the receiver in send() responses. 0 if empty.
  std::uint64_t id() const noexcept;

  friend bool operator==(const Connection& a, const Connection& b) noexcept {
    return a.slot_ == b.slot_;
  }

 private:
  detail::SlotBase* slot_ = nullptr;
};

class ScopedConnection {
 public:
  ScopedConnection() noexcept = default;
  ScopedConnection(Connection c) noexcept : c_(std::move(c)) {}  // NOLINT: implicit by design
  ScopedConnection(ScopedConnection&&) noexcept = default;
  ScopedConnection& operator=(ScopedConnection&& other) noexcept {
    if (this != &other) {
      c_.disconnect();
      c_ = std::move(other.c_);
    }
    return *this;
  }
  ScopedConnection(const ScopedConnection&) = delete;
  ScopedConnection& operator=(const ScopedConnection&) = delete;
  ~ScopedConnection() { c_.disconnect(); }

  const Connection& connection() const noexcept { return c_; }
  bool connected() const noexcept { return c_.connected(); }
  bool disconnect() const { return c_.disconnect(); }
  // Gives up ownership: the receiver stays connected.
  Connection release() noexcept { return std::exchange(c_, Connection()); }

 private:
  Connection c_;
};

class [[nodiscard]] Blocker {
 public:
  enum class Kind { none, signal, connection, thread };

  Blocker() noexcept = default;
  // Library use: takes over one block of `kind` on `target` and one reference.
  Blocker(Kind kind, void* target) noexcept : kind_(kind), target_(target) {}
  Blocker(Blocker&& other) noexcept
      : kind_(std::exchange(other.kind_, Kind::none)), target_(std::exchange(other.target_, nullptr)) {}
  Blocker& operator=(Blocker&& other) noexcept {
    if (this != &other) {
      unblock();
      kind_ = std::exchange(other.kind_, Kind::none);
      target_ = std::exchange(other.target_, nullptr);
    }
    return *this;
  }
  Blocker(const Blocker&) = delete;
  Blocker& operator=(const Blocker&) = delete;
  ~Blocker() { unblock(); }

  // Ends the block early. A thread block must end on the thread that made it.
  void unblock() noexcept;

 private:
  Kind kind_ = Kind::none;
  void* target_ = nullptr;
};

}  // namespace gatehouse::signals
