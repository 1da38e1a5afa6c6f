#include "gatehouse/signals/signal.h"
#include <gtest/gtest.h>
namespace gatehouse::signals { namespace {
Signal<void(int)> sig;
TEST(Smoke, Send) { int got = 0; auto c = sig.connect([&](int v){ got = v; }); sig.send({}, 3); EXPECT_EQ(got, 3); }
}}
