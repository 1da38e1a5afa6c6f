// Comparison whose time does not depend on where two secrets differ
// (Django's constant_time_compare). Only the lengths may leak.
#pragma once

#include <string_view>

namespace gatehouse::core {

bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace gatehouse::core
