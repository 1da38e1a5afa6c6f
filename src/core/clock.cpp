#include "gatehouse/core/clock.h"

namespace gatehouse::core {

namespace {
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  }
};
}  // namespace

const Clock& system_clock() noexcept {
  static const SystemClock clock;
  return clock;
}

ManualClock::ManualClock() : ManualClock(system_clock().now()) {}

}  // namespace gatehouse::core
