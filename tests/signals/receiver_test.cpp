// Declarative connection at static-initialisation time (Django's @receiver).
#include "gatehouse/signals/receiver.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "static_signals.h"

namespace gatehouse::signals::testing {

Signal<void(const std::string&)> login_seen;
Signal<void(const std::string&)> logout_seen;

namespace {

struct Model {};

int g_elsewhere_total = 0;
std::vector<std::string> g_audit;

void on_elsewhere(int v) { g_elsewhere_total += v; }

const Receiver elsewhere{defined_elsewhere, on_elsewhere, {.sender = Sender::of<Model>()}};

// One receiver for a list of signals (@receiver([login_seen, logout_seen])).
const Receiver audit{signals_of(login_seen, logout_seen),
                     [](const std::string& who) { g_audit.push_back(who); }};

TEST(Receiver, ConnectsBeforeMainWithItsSender) {
  EXPECT_TRUE(defined_elsewhere.has_listeners(Sender::of<Model>()));
  EXPECT_FALSE(defined_elsewhere.has_listeners(Sender{}));
  defined_elsewhere.send(Sender::of<Model>(), 3);
  defined_elsewhere.send(Sender{}, 100);  // not for this receiver
  EXPECT_EQ(g_elsewhere_total, 3);
}

TEST(Receiver, OneReceiverForAListOfSignals) {
  ASSERT_EQ(audit.connections().size(), 2u);
  g_audit.clear();
  login_seen.send({}, "in");
  logout_seen.send({}, "out");
  EXPECT_EQ(g_audit, (std::vector<std::string>{"in", "out"}));
}

TEST(Receiver, ReceiverInAnotherUnitWasConnectedToo) {
  const int before = g_login_receiver_calls;
  login_seen.send({}, "x");
  EXPECT_EQ(g_login_receiver_calls, before + 1);
}

TEST(Receiver, DisconnectsWhenDestroyed) {
  Signal<void()> sig;
  {
    Receiver r{sig, [] {}};
    EXPECT_TRUE(sig.has_listeners());
  }
  EXPECT_FALSE(sig.has_listeners());
}

TEST(Receiver, SignalIsConstantInitialised) {
  // The property the static receivers above rely on.
  static constinit Signal<void()> constant;
  EXPECT_FALSE(constant.has_listeners());
}

}  // namespace
}  // namespace gatehouse::signals::testing
