// Connecting, sending, responses, exceptions, identity and disconnecting.
#include "gatehouse/signals/signal.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gatehouse::signals {
namespace {

struct User {
  std::string username;
};
struct Group {};

// A custom signal declared exactly as the library's own are.
inline Signal<void(const User&, bool)> user_saved;

std::vector<std::string> g_calls;
void record_plain(const User& u, bool created) {
  g_calls.push_back("plain:" + u.username + (created ? ":new" : ":old"));
}
void record_with_sender(const Sender& s, const User& u, bool) {
  g_calls.push_back(std::string(s.is<User>() ? "sender=User:" : "sender=?:") + u.username);
}

class SignalTest : public ::testing::Test {
 protected:
  void SetUp() override { g_calls.clear(); }
  void TearDown() override { user_saved.disconnect_all(); }
};

TEST_F(SignalTest, AnyCallableIsAReceiver) {
  Signal<void(int)> sig;
  int lambda = 0, functor_calls = 0, fn_calls = 0;
  struct Functor {
    int* n;
    void operator()(int v) const { *n += v; }
  };
  static int* fn_target;
  fn_target = &fn_calls;
  void (*fn)(int) = [](int v) { *fn_target += v; };
  std::function<void(int)> stdfn = [&](int v) { lambda += v; };

  ScopedConnection a = sig.connect(stdfn);
  ScopedConnection b = sig.connect(Functor{&functor_calls});
  ScopedConnection c = sig.connect(fn);
  sig.send({}, 5);
  EXPECT_EQ(lambda, 5);
  EXPECT_EQ(functor_calls, 5);
  EXPECT_EQ(fn_calls, 5);
}

TEST_F(SignalTest, ReceiversMayTakeTheSenderOrNot) {
  ScopedConnection a = user_saved.connect(record_plain);
  ScopedConnection b = user_saved.connect(record_with_sender);
  user_saved.send(Sender::of<User>(), User{"ada"}, true);
  EXPECT_EQ(g_calls, (std::vector<std::string>{"plain:ada:new", "sender=User:ada"}));
}

TEST_F(SignalTest, ReceiversRunInConnectionOrder) {
  Signal<void()> sig;
  std::vector<int> order;
  std::vector<ScopedConnection> conns;
  for (int i = 0; i < 5; ++i) conns.emplace_back(sig.connect([&order, i] { order.push_back(i); }));
  sig.send({});
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(SignalTest, SendReturnsEachResponseWithItsReceiver) {
  Signal<int(int)> sig;
  Connection doubler = sig.connect([](int v) { return v * 2; });
  Connection squarer = sig.connect([](int v) { return v * v; });
  Connection silent = sig.connect([](int) {});  // contributes no response
  auto responses = sig.send({}, 7);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].receiver, doubler.id());
  EXPECT_EQ(responses[0].value, 14);
  EXPECT_EQ(responses[1].receiver, squarer.id());
  EXPECT_EQ(responses[1].value, 49);
  EXPECT_NE(doubler.id(), squarer.id());
  sig.disconnect_all();
}

TEST_F(SignalTest, SendWithNoReceiversReturnsNothing) {
  Signal<int(int)> never_connected;
  EXPECT_TRUE(never_connected.send({}, 1).empty());
  Signal<int(int)> emptied;
  emptied.connect([](int v) { return v; }).disconnect();
  EXPECT_TRUE(emptied.send({}, 1).empty());
}

TEST_F(SignalTest, ExceptionInSendPropagatesAndStopsDelivery) {
  Signal<void()> sig;
  int before = 0, after = 0;
  ScopedConnection a = sig.connect([&] { ++before; });
  ScopedConnection b = sig.connect([] { throw std::runtime_error("receiver failed"); });
  ScopedConnection c = sig.connect([&] { ++after; });
  EXPECT_THROW(sig.send({}), std::runtime_error);
  EXPECT_EQ(before, 1);
  EXPECT_EQ(after, 0);
  // The signal is still usable afterwards (the read section was left).
  b.disconnect();
  sig.send({});
  EXPECT_EQ(after, 1);
}

TEST_F(SignalTest, SendRobustCallsEveryReceiverAndCapturesErrors) {
  Signal<int()> sig;
  Connection one = sig.connect([] { return 1; });
  Connection bad = sig.connect([]() -> int { throw std::runtime_error("nope"); });
  Connection three = sig.connect([] { return 3; });
  auto out = sig.send_robust({});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok());
  EXPECT_EQ(out[0].value, 1);
  EXPECT_FALSE(out[1].ok());
  EXPECT_EQ(out[1].receiver, bad.id());
  EXPECT_FALSE(out[1].value.has_value());
  try {
    std::rethrow_exception(out[1].error);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "nope");
  }
  EXPECT_EQ(out[2].value, 3);
  sig.disconnect_all();

  Signal<void()> vsig;
  ScopedConnection v1 = vsig.connect([] { throw 42; });
  ScopedConnection v2 = vsig.connect([] {});
  auto vout = vsig.send_robust({});
  ASSERT_EQ(vout.size(), 2u);
  EXPECT_FALSE(vout[0].ok());
  EXPECT_TRUE(vout[1].ok());
}

TEST_F(SignalTest, ArgumentsReachReceiversByReference) {
  Signal<void(User&)> sig;
  ScopedConnection a = sig.connect([](User& u) { u.username += "!"; });
  ScopedConnection b = sig.connect([](User& u) { u.username += "?"; });
  User u{"bob"};
  sig.send({}, u);
  EXPECT_EQ(u.username, "bob!?");
}

TEST_F(SignalTest, LargeValueArgumentsAreNotCopiedPerReceiver) {
  struct Counted {
    int* copies;
    Counted(int* c) : copies(c) {}
    Counted(const Counted& o) : copies(o.copies) { ++*copies; }
  };
  Signal<void(Counted)> sig;
  int copies = 0;
  std::vector<ScopedConnection> conns;
  for (int i = 0; i < 3; ++i) conns.emplace_back(sig.connect([](const Counted&) {}));
  sig.send({}, Counted(&copies));
  EXPECT_EQ(copies, 0);
}

// ---- sender filtering ---------------------------------------------------

TEST_F(SignalTest, ReceiverForOneSenderRunsOnlyForIt) {
  Signal<void()> sig;
  std::vector<std::string> seen;
  ScopedConnection users = sig.connect([&] { seen.push_back("users"); },
                                       {.sender = Sender::of<User>()});
  ScopedConnection groups = sig.connect([&] { seen.push_back("groups"); },
                                        {.sender = Sender::of<Group>()});
  ScopedConnection all = sig.connect([&] { seen.push_back("all"); });
  sig.send(Sender::of<User>());
  EXPECT_EQ(seen, (std::vector<std::string>{"users", "all"}));
  seen.clear();
  sig.send(Sender::of<Group>());
  EXPECT_EQ(seen, (std::vector<std::string>{"groups", "all"}));
  seen.clear();
  sig.send(Sender{});
  EXPECT_EQ(seen, (std::vector<std::string>{"all"}));
}

TEST_F(SignalTest, ObjectSendersAreDistinctFromEachOtherAndFromTheirType) {
  Signal<void()> sig;
  User a{"a"}, b{"b"};
  int for_a = 0, for_type = 0;
  ScopedConnection ca = sig.connect([&] { ++for_a; }, {.sender = Sender::object(a)});
  ScopedConnection ct = sig.connect([&] { ++for_type; }, {.sender = Sender::of<User>()});
  sig.send(Sender::object(b));
  EXPECT_EQ(for_a, 0);
  sig.send(Sender::object(a));
  EXPECT_EQ(for_a, 1);
  EXPECT_EQ(for_type, 0);
}

TEST_F(SignalTest, SenderGivesBackItsObjectOrType) {
  User a{"a"};
  const Sender obj = Sender::object(a);
  EXPECT_EQ(obj.object<User>(), &a);
  EXPECT_EQ(obj.object<Group>(), nullptr);
  EXPECT_FALSE(obj.is<User>());
  const Sender type = Sender::of<User>();
  EXPECT_TRUE(type.is<User>());
  EXPECT_FALSE(type.is<Group>());
  EXPECT_EQ(type.object<User>(), nullptr);
  EXPECT_TRUE(Sender{}.is_anonymous());
  EXPECT_EQ(Sender::of<User>(), Sender::of<const User>());
}

TEST_F(SignalTest, HasListenersFollowsSenderFiltering) {
  Signal<void()> sig;
  EXPECT_FALSE(sig.has_listeners());
  EXPECT_FALSE(sig.has_listeners(Sender::of<User>()));
  Connection c = sig.connect([] {}, {.sender = Sender::of<User>()});
  EXPECT_TRUE(sig.has_listeners());
  EXPECT_TRUE(sig.has_listeners(Sender::of<User>()));
  EXPECT_FALSE(sig.has_listeners(Sender::of<Group>()));
  EXPECT_FALSE(sig.has_listeners(Sender{}));
  Connection any = sig.connect([] {});
  EXPECT_TRUE(sig.has_listeners(Sender::of<Group>()));
  c.disconnect();
  any.disconnect();
  EXPECT_FALSE(sig.has_listeners());
  EXPECT_EQ(sig.receiver_count(), 0u);
}

// ---- identity, dispatch_uid, disconnect ---------------------------------

TEST_F(SignalTest, DispatchUidConnectsOnce) {
  Signal<void()> sig;
  int calls = 0;
  Connection first = sig.connect([&] { ++calls; }, {.dispatch_uid = "count"});
  Connection second = sig.connect([&] { calls += 100; }, {.dispatch_uid = "count"});
  EXPECT_EQ(first, second);
  EXPECT_EQ(sig.receiver_count(), 1u);
  sig.send({});
  EXPECT_EQ(calls, 1);
  // As Django: the lookup key is (uid, sender), so another sender is another receiver.
  Connection other = sig.connect([&] { calls += 10; },
                                 {.sender = Sender::of<User>(), .dispatch_uid = "count"});
  EXPECT_NE(other, first);
  EXPECT_EQ(sig.receiver_count(), 2u);
  sig.disconnect_all();
}

TEST_F(SignalTest, SameFunctionAndSenderConnectsOnce) {
  EXPECT_EQ(user_saved.connect(record_plain), user_saved.connect(record_plain));
  EXPECT_EQ(user_saved.receiver_count(), 1u);
  Connection for_users = user_saved.connect(record_plain, {.sender = Sender::of<User>()});
  EXPECT_EQ(user_saved.receiver_count(), 2u);
  user_saved.send(Sender::of<User>(), User{"x"}, false);
  EXPECT_EQ(g_calls.size(), 2u);  // once for any sender, once for User
}

TEST_F(SignalTest, SameBoundMemberConnectsOnceAndDisconnectsByIdentity) {
  struct Audit {
    int n = 0;
    void on(const User&, bool) { ++n; }
  };
  Audit audit, other;
  Connection c1 = user_saved.connect(&audit, &Audit::on);
  Connection c2 = user_saved.connect(&audit, &Audit::on);
  Connection c3 = user_saved.connect(&other, &Audit::on);
  EXPECT_EQ(c1, c2);
  EXPECT_NE(c1, c3);
  user_saved.send({}, User{"m"}, true);
  EXPECT_EQ(audit.n, 1);
  EXPECT_EQ(other.n, 1);
  EXPECT_TRUE(user_saved.disconnect(&audit, &Audit::on));
  EXPECT_FALSE(user_saved.disconnect(&audit, &Audit::on));
  EXPECT_FALSE(c1.connected());
  EXPECT_TRUE(c3.connected());
}

TEST_F(SignalTest, LambdasWithoutUidAreAlwaysNewReceivers) {
  Signal<void()> sig;
  auto f = [] {};
  Connection a = sig.connect(f);
  Connection b = sig.connect(f);
  EXPECT_NE(a, b);
  EXPECT_EQ(sig.receiver_count(), 2u);
  sig.disconnect_all();
}

TEST_F(SignalTest, DisconnectReportsWhetherAnythingWasDisconnected) {
  Connection by_handle = user_saved.connect([](const User&, bool) {});
  user_saved.connect(record_plain, {.sender = Sender::of<User>()});
  user_saved.connect([](const User&, bool) {}, {.dispatch_uid = "uid"});
  EXPECT_EQ(user_saved.receiver_count(), 3u);

  EXPECT_TRUE(user_saved.disconnect(by_handle));
  EXPECT_FALSE(user_saved.disconnect(by_handle));
  EXPECT_FALSE(by_handle.disconnect());

  EXPECT_FALSE(user_saved.disconnect(record_plain));  // connected for User, not for any
  EXPECT_TRUE(user_saved.disconnect(record_plain, Sender::of<User>()));
  EXPECT_FALSE(user_saved.disconnect(record_plain, Sender::of<User>()));

  EXPECT_FALSE(user_saved.disconnect_uid("other"));
  EXPECT_TRUE(user_saved.disconnect_uid("uid"));
  EXPECT_FALSE(user_saved.disconnect_uid("uid"));
  EXPECT_EQ(user_saved.receiver_count(), 0u);
  EXPECT_FALSE(user_saved.has_listeners());
}

TEST_F(SignalTest, ScopedConnectionDisconnectsOnDestruction) {
  Signal<void()> sig;
  int calls = 0;
  {
    ScopedConnection c = sig.connect([&] { ++calls; });
    sig.send({});
  }
  sig.send({});
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(sig.has_listeners());

  ScopedConnection kept = sig.connect([&] { ++calls; });
  Connection released = kept.release();
  { ScopedConnection gone = std::move(kept); }
  EXPECT_TRUE(released.connected());
}

TEST_F(SignalTest, ConnectionOutlivesItsSignal) {
  Connection c;
  {
    Signal<void()> sig;
    c = sig.connect([] {});
    EXPECT_TRUE(c.connected());
  }
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(c.disconnect());
}

TEST_F(SignalTest, NullReceiversAreRejected) {
  Signal<void()> sig;
  void (*null_fn)() = nullptr;
  EXPECT_THROW(sig.connect(null_fn), std::invalid_argument);
  struct T {
    void m() {}
  };
  EXPECT_THROW(sig.connect(static_cast<T*>(nullptr), &T::m), std::invalid_argument);
  EXPECT_EQ(sig.receiver_count(), 0u);
}

// ---- receivers tied to an object's lifetime -----------------------------

TEST_F(SignalTest, TiedReceiverIsNeverCalledAfterItsOwnerDiesAndIsPruned) {
  struct Listener {
    int* calls;
    void on(const User&, bool) { ++*calls; }
  };
  int calls = 0;
  auto owner = std::make_shared<Listener>(Listener{&calls});
  Connection c = user_saved.connect(owner, &Listener::on);
  user_saved.send({}, User{"a"}, true);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(c.connected());

  owner.reset();
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(user_saved.has_listeners());
  EXPECT_EQ(user_saved.receiver_count(), 0u);
  user_saved.send({}, User{"b"}, true);  // finds it dead and prunes it
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(c.disconnect());  // already pruned
}

TEST_F(SignalTest, TiedCallableKeepsItsOwnerAliveDuringTheCall) {
  Signal<void()> sig;
  auto owner = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owner;
  bool alive_inside = false;
  ScopedConnection c = sig.connect(std::weak_ptr<int>(owner), [&] {
    owner.reset();  // drop the last outside reference mid-call
    alive_inside = !watch.expired();
  });
  sig.send({});
  EXPECT_TRUE(alive_inside);
  EXPECT_TRUE(watch.expired());
}

TEST_F(SignalTest, TiedMemberIsDeduplicatedAndDisconnectable) {
  struct L {
    void on() {}
  };
  Signal<void()> sig;
  auto l = std::make_shared<L>();
  EXPECT_EQ(sig.connect(l, &L::on), sig.connect(l, &L::on));
  EXPECT_TRUE(sig.disconnect(l, &L::on));
  EXPECT_EQ(sig.receiver_count(), 0u);
  std::weak_ptr<L> dead;
  EXPECT_THROW(sig.connect(dead, &L::on), std::invalid_argument);
}

// ---- changes during a send ------------------------------------------------

TEST_F(SignalTest, ReceiverConnectedDuringSendRunsFromTheNextSend) {
  Signal<void()> sig;
  int late_calls = 0;
  std::vector<ScopedConnection> added;
  ScopedConnection adder = sig.connect([&] {
    if (added.empty()) added.emplace_back(sig.connect([&] { ++late_calls; }));
  });
  sig.send({});
  EXPECT_EQ(late_calls, 0);
  sig.send({});
  EXPECT_EQ(late_calls, 1);
}

TEST_F(SignalTest, ReceiverDisconnectedDuringSendIsNotCalledByIt) {
  Signal<void()> sig;
  int second_calls = 0;
  Connection second;
  ScopedConnection first = sig.connect([&] { second.disconnect(); });
  second = sig.connect([&] { ++second_calls; });
  sig.send({});
  EXPECT_EQ(second_calls, 0);
}

TEST_F(SignalTest, ReceiverMayDisconnectItselfAndDestroyItsHandle) {
  Signal<void()> sig;
  int calls = 0;
  auto self = std::make_unique<ScopedConnection>();
  *self = sig.connect([&] {
    ++calls;
    self.reset();  // destroys the ScopedConnection of the running receiver
  });
  sig.send({});
  sig.send({});
  EXPECT_EQ(calls, 1);
}

TEST_F(SignalTest, ReceiverMaySendTheSameAndOtherSignals) {
  Signal<void(int)> sig;
  Signal<void()> other;
  int depth_reached = 0, other_calls = 0;
  ScopedConnection o = other.connect([&] { ++other_calls; });
  ScopedConnection r = sig.connect([&](int depth) {
    depth_reached = std::max(depth_reached, depth);
    other.send({});
    if (depth < 5) sig.send({}, depth + 1);
  });
  sig.send({}, 0);
  EXPECT_EQ(depth_reached, 5);
  EXPECT_EQ(other_calls, 6);
}

TEST_F(SignalTest, RetiredListsAreFreedOnceNoSendHoldsThem) {
  Signal<void()> sig;
  for (int i = 0; i < 100; ++i) sig.connect([] {}).disconnect();
  EXPECT_EQ(detail::reclaim(), 0u);
  // Inside a send, lists replaced by that send's receivers must wait.
  std::size_t waiting_inside = 0;
  ScopedConnection c = sig.connect([&] {
    sig.connect([] {}).disconnect();
    waiting_inside = detail::reclaim();
  });
  sig.send({});
  EXPECT_GT(waiting_inside, 0u);
  EXPECT_EQ(detail::reclaim(), 0u);
}

}  // namespace
}  // namespace gatehouse::signals
