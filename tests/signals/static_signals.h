// Signals defined in one translation unit and received from another, to test
// connection during static initialisation whatever the order of the units.
#pragma once

#include <string>

#include "gatehouse/signals/signal.h"

namespace gatehouse::signals::testing {

extern Signal<void(int)> defined_elsewhere;          // defined in static_signals.cpp
extern Signal<void(const std::string&)> login_seen;  // defined in receiver_test.cpp
extern Signal<void(const std::string&)> logout_seen;

extern int g_login_receiver_calls;  // counted by a Receiver in static_signals.cpp

}  // namespace gatehouse::signals::testing
