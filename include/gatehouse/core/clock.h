// Clock: where the time comes from. Code that reads the time (session and
// cache expiry, throttle windows, one-time codes, reset tokens, job leases and
// backoff, login timestamps) takes a Clock, so a test moves time with a
// ManualClock instead of sleeping (LevelDB's Env, for time).
//
// Thread safety: now() may be called from any thread; ManualClock's setters too.
#pragma once

#include <atomic>
#include <chrono>

namespace gatehouse::core {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), to the microsecond.
  virtual TimePoint now() const = 0;
};

// The real clock (std::chrono::system_clock). Lives for the whole program.
const Clock& system_clock() noexcept;

// A clock that moves only when told to: starts at `start` (default: the real
// time when constructed, so stored timestamps look ordinary).
class ManualClock final : public Clock {
 public:
  ManualClock();
  explicit ManualClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(std::chrono::microseconds(now_.load())); }
  void set(TimePoint t) { now_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::microseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace gatehouse::core
