// Receivers that run only after the surrounding unit of work commits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gatehouse/signals/signal.h"
#include "gatehouse/signals/unit_of_work.h"

namespace gatehouse::signals {
namespace {

struct Fixture : ::testing::Test {
  Signal<void(const std::string&)> saved;
  std::vector<std::string> immediate, after_commit;
  ScopedConnection a = saved.connect([this](const std::string& s) { immediate.push_back(s); });
  ScopedConnection b = saved.connect([this](const std::string& s) { after_commit.push_back(s); },
                                     {.delivery = Delivery::on_commit});
};

using OnCommit = Fixture;

TEST_F(OnCommit, RunsAfterCommitNotBefore) {
  ScopedUnitOfWork work;
  saved.send({}, "alice");
  EXPECT_EQ(immediate, std::vector<std::string>{"alice"});
  EXPECT_TRUE(after_commit.empty());
  work.commit();
  EXPECT_EQ(after_commit, std::vector<std::string>{"alice"});
}

TEST_F(OnCommit, NeverRunsForWorkThatRollsBack) {
  {
    ScopedUnitOfWork work;
    saved.send({}, "bob");
  }  // destroyed without commit
  {
    ScopedUnitOfWork work;
    saved.send({}, "carol");
    work.rollback();
  }
  EXPECT_EQ(immediate.size(), 2u);
  EXPECT_TRUE(after_commit.empty());
}

TEST_F(OnCommit, RunsAtOnceWithNoUnitOfWorkOpen) {
  EXPECT_EQ(UnitOfWork::current(), nullptr);
  saved.send({}, "dave");
  EXPECT_EQ(after_commit, std::vector<std::string>{"dave"});
}

TEST_F(OnCommit, NestedUnitsBehaveLikeSavepoints) {
  {
    ScopedUnitOfWork outer;
    {
      ScopedUnitOfWork inner;
      EXPECT_EQ(UnitOfWork::current(), &inner);
      saved.send({}, "inner-committed");
      inner.commit();
    }
    EXPECT_EQ(UnitOfWork::current(), &outer);
    EXPECT_TRUE(after_commit.empty());  // waits for the outermost commit
    {
      ScopedUnitOfWork inner;
      saved.send({}, "inner-rolled-back");
    }
    outer.commit();
  }
  EXPECT_EQ(after_commit, std::vector<std::string>{"inner-committed"});

  after_commit.clear();
  {
    ScopedUnitOfWork outer;
    {
      ScopedUnitOfWork inner;
      saved.send({}, "lost-with-outer");
      inner.commit();
    }
  }  // outer rolls back: the committed inner work goes with it
  EXPECT_TRUE(after_commit.empty());
}

TEST_F(OnCommit, ArgumentsAreCopiedAtSendTime) {
  ScopedUnitOfWork work;
  std::string name = "erin";
  saved.send({}, name);
  name = "changed";
  work.commit();
  EXPECT_EQ(after_commit, std::vector<std::string>{"erin"});
}

TEST_F(OnCommit, ReceiverDisconnectedBeforeCommitDoesNotRun) {
  ScopedUnitOfWork work;
  saved.send({}, "frank");
  b.disconnect();
  work.commit();
  EXPECT_TRUE(after_commit.empty());
}

TEST_F(OnCommit, CallbacksSendingDuringCommitRunAtOnce) {
  Signal<void()> chained;
  int chained_calls = 0;
  ScopedConnection c = chained.connect([&] { ++chained_calls; }, {.delivery = Delivery::on_commit});
  ScopedConnection d = saved.connect([&](const std::string&) { chained.send({}); },
                                     {.delivery = Delivery::on_commit});
  ScopedUnitOfWork work;
  saved.send({}, "gina");
  work.commit();
  EXPECT_EQ(chained_calls, 1);
}

TEST_F(OnCommit, EveryCallbackRunsAndTheFirstErrorIsRethrown) {
  ScopedConnection thrower = saved.connect(
      [](const std::string&) { throw std::runtime_error("first"); },
      {.delivery = Delivery::on_commit});
  ScopedConnection later = saved.connect([this](const std::string& s) { after_commit.push_back(s + "-later"); },
                                         {.delivery = Delivery::on_commit});
  ScopedUnitOfWork work;
  saved.send({}, "hal");
  EXPECT_THROW(work.commit(), std::runtime_error);
  EXPECT_EQ(after_commit, (std::vector<std::string>{"hal", "hal-later"}));
}

TEST(OnCommitMisuse, ClosedUnitRejectsMoreWork) {
  ScopedUnitOfWork work;
  work.commit();
  EXPECT_THROW(work.commit(), std::logic_error);
  EXPECT_THROW(work.on_commit([] {}), std::logic_error);
}

}  // namespace
}  // namespace gatehouse::signals
