#include "static_signals.h"

#include "gatehouse/signals/receiver.h"

namespace gatehouse::signals::testing {

Signal<void(int)> defined_elsewhere;
int g_login_receiver_calls = 0;

namespace {
// Connects to a signal of the other unit, which may not be initialised yet
// if signals were not constant-initialised.
const Receiver count_logins{login_seen, [](const std::string&) { ++g_login_receiver_calls; }};
}  // namespace

}  // namespace gatehouse::signals::testing
