#include "gatehouse/tasks/tasks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/tasks/durable.h"
#include "test_database.h"

namespace gatehouse::tasks {
namespace {

using namespace std::chrono_literals;

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);

class Tasks : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    auth::migrate(*db_, migrations());
  }
  Job get(std::int64_t id) {
    for (auto s : {State::pending, State::running, State::done, State::dead})
      for (const auto& j : list(*db_, s, 10000))
        if (j.id == id) return j;
    throw std::runtime_error("no job " + std::to_string(id));
  }
  std::int64_t add(std::string_view name, std::string_view payload = "{}", EnqueueOptions o = {}) {
    return enqueue(*db_->acquire(), name, payload, o, clock_);
  }
  // The manual clock's time as the table keeps it.
  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
  }
  // Runs the worker until nothing is due.
  static void drain(Worker& w) {
    while (w.run_once() > 0) {
    }
  }
  // Every job and worker here reads this clock; it starts at a whole second.
  core::ManualClock clock_{std::chrono::floor<std::chrono::seconds>(core::system_clock().now())};
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
};

TEST_P(Tasks, AJobExistsExactlyWhenItsTransactionCommits) {
  {
    auto c = db_->acquire();
    db::Transaction tx(*c);
    enqueue(*c, "rolled.back", "{}");
    // no commit: rolls back
  }
  EXPECT_EQ(counts(*db_).pending, 0);
  {
    auto c = db_->acquire();
    db::Transaction tx(*c);
    EXPECT_GT(enqueue(*c, "kept", "{\"n\":1}", {.idempotency_key = "k-1"}), 0);
    tx.commit();
  }
  EXPECT_EQ(counts(*db_).pending, 1);
  EXPECT_EQ(add("kept", "{}", {.idempotency_key = "k-1"}), 0) << "a repeated idempotency key enqueues nothing";
  EXPECT_EQ(counts(*db_).pending, 1);
  EXPECT_THROW(add(""), std::invalid_argument);
  EXPECT_THROW(add("x", "{}", {.max_attempts = 0}), std::invalid_argument);
}

TEST_P(Tasks, AWorkerRunsEachJobOnceInOrder) {
  Registry r;
  std::vector<std::string> seen;
  r.add("echo", [&](const Job& j) { seen.push_back(j.payload); });
  r.add("later", [&](const Job&) { seen.push_back("later"); });
  for (int i = 0; i < 20; ++i) add("echo", std::to_string(i));
  add("later", "{}", {.delay = 1h});
  Worker w(*db_, r, {.batch = 3}, clock_);
  drain(w);
  ASSERT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], std::to_string(i));
  const Counts n = counts(*db_);
  EXPECT_EQ(n.done, 20);
  EXPECT_EQ(n.pending, 1) << "a delayed job waits";
  clock_.advance(1h - 1ms);
  drain(w);
  EXPECT_EQ(counts(*db_).pending, 1) << "not due a millisecond early";
  clock_.advance(1ms);
  drain(w);
  EXPECT_EQ(counts(*db_).done, 21);
  EXPECT_EQ(seen.back(), "later");
}

TEST_P(Tasks, FailuresRetryWithBackoffThenGoToTheDeadLetters) {
  Registry r;
  int calls = 0;
  bool healthy = false;
  r.add("flaky", [&](const Job&) {
    ++calls;
    if (!healthy) throw std::runtime_error("smtp: connection refused");
  }, {.base = 30ms, .max = 100ms});
  const auto id = add("flaky", "{}", {.max_attempts = 3});
  Worker w(*db_, r, {}, clock_);
  EXPECT_EQ(w.run_once(), 1u);
  Job j = get(id);
  EXPECT_EQ(j.state, State::pending);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.last_error, "smtp: connection refused");
  const std::int64_t first_wait = j.run_after_ms - now_ms();
  EXPECT_GE(first_wait, 15) << "the base, with jitter down to half";
  EXPECT_LE(first_wait, 30);
  clock_.advance(std::chrono::milliseconds(first_wait - 1));
  EXPECT_EQ(w.run_once(), 0u) << "not due again before the backoff";
  clock_.advance(1ms);
  EXPECT_EQ(w.run_once(), 1u) << "due when the backoff ends";
  j = get(id);
  EXPECT_EQ(j.state, State::pending);
  EXPECT_EQ(j.attempts, 2);
  const std::int64_t second_wait = j.run_after_ms - now_ms();
  EXPECT_GE(second_wait, 30) << "doubled";
  EXPECT_LE(second_wait, 60);
  clock_.advance(std::chrono::milliseconds(second_wait));
  EXPECT_EQ(w.run_once(), 1u);
  j = get(id);
  EXPECT_EQ(j.state, State::dead);
  EXPECT_EQ(j.attempts, 3);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(list(*db_, State::dead).size(), 1u);

  EXPECT_TRUE(retry_dead(*db_, id, clock_));
  EXPECT_FALSE(retry_dead(*db_, id, clock_)) << "only a dead job can be sent back";
  healthy = true;
  drain(w);
  EXPECT_EQ(get(id).state, State::done);
  EXPECT_EQ(calls, 4);
}

TEST_P(Tasks, AJobWithoutAHandlerEndsInTheDeadLetters) {
  Registry r;
  const auto id = add("nobody.handles.this", "{}", {.max_attempts = 1});
  Worker w(*db_, r, {}, clock_);
  drain(w);
  EXPECT_EQ(get(id).state, State::dead);
  EXPECT_NE(get(id).last_error.find("no handler"), std::string::npos);
}

TEST_P(Tasks, AnExpiredLeaseIsClaimedAgainAndALiveOneIsNot) {
  Registry r;
  std::vector<std::string> keys;
  r.add("job", [&](const Job& j) { keys.push_back(j.idempotency_key); });
  const auto stale = add("job", "{}", {.idempotency_key = "stale"});
  const auto live = add("job", "{}", {.idempotency_key = "live"});
  const auto now = now_ms();
  // As a worker that died holding the first, and one still working on the second.
  db_->acquire()->execute("UPDATE gatehouse_task SET state = 'running', attempts = 1, locked_by = 'gone', "
                          "locked_until = ? WHERE id = ?", {now - 1000, stale});
  db_->acquire()->execute("UPDATE gatehouse_task SET state = 'running', attempts = 1, locked_by = 'busy', "
                          "locked_until = ? WHERE id = ?", {now + 60000, live});
  Worker w(*db_, r, {}, clock_);
  drain(w);
  EXPECT_EQ(keys, std::vector<std::string>{"stale"});
  EXPECT_EQ(get(stale).state, State::done);
  EXPECT_EQ(get(stale).attempts, 2);
  EXPECT_EQ(get(live).state, State::running);
  clock_.advance(60s - 1ms);
  drain(w);
  EXPECT_EQ(get(live).state, State::running) << "the lease has a millisecond left";
  clock_.advance(1ms);
  drain(w);
  EXPECT_EQ(keys, (std::vector<std::string>{"stale", "live"}));
  EXPECT_EQ(get(live).state, State::done);
  EXPECT_EQ(get(live).attempts, 2);
}

TEST_P(Tasks, ALeaseThatEndsIsTakenOverAndTheLateWorkerChangesNothing) {
  Registry r;
  Worker* second = nullptr;
  std::vector<int> attempts;
  r.add("slow", [&](const Job& j) {
    attempts.push_back(j.attempts);
    if (attempts.size() > 1) return;  // the second worker's run succeeds
    // The first worker is still running it, and holds the lease.
    EXPECT_EQ(second->run_once(), 0u) << "a live lease is not taken";
    clock_.advance(30s - 1ms);
    EXPECT_EQ(second->run_once(), 0u) << "a millisecond left";
    clock_.advance(1ms);
    EXPECT_EQ(second->run_once(), 1u) << "the lease ended";
    throw std::runtime_error("the first worker fails, too late");
  });
  const auto id = add("slow");
  Worker first(*db_, r, {.lease = 30s, .worker_id = "first"}, clock_);
  Worker other(*db_, r, {.lease = 30s, .worker_id = "second"}, clock_);
  second = &other;
  EXPECT_EQ(first.run_once(), 1u);
  EXPECT_EQ(attempts, (std::vector<int>{1, 2}));
  const Job j = get(id);
  EXPECT_EQ(j.state, State::done) << "the failure of a worker that lost its lease is not recorded";
  EXPECT_EQ(j.attempts, 2);
  EXPECT_EQ(j.last_error, "");
}

TEST_P(Tasks, DoneJobsArePurgedAfterKeepDone) {
  Registry r;
  r.add("x", [](const Job&) {});
  add("x");
  Worker w(*db_, r, {.keep_done = 1h}, clock_);
  drain(w);
  EXPECT_EQ(counts(*db_).done, 1);
  clock_.advance(1h);
  drain(w);
  EXPECT_EQ(counts(*db_).done, 1) << "kept for the whole of keep_done";
  clock_.advance(1ms);
  drain(w);
  EXPECT_EQ(counts(*db_).done, 1) << "the purge runs at most once a minute";
  clock_.advance(1min);
  drain(w);
  EXPECT_EQ(counts(*db_).done, 0);
}

TEST_P(Tasks, AJobThatKillsEveryWorkerIsDeadLettered) {
  Registry r;
  bool ran = false;
  r.add("poison", [&](const Job&) { ran = true; });
  const auto id = add("poison", "{}", {.max_attempts = 2});
  db_->acquire()->execute("UPDATE gatehouse_task SET state = 'running', attempts = 2, locked_by = 'gone', "
                          "locked_until = 0 WHERE id = ?", {id});
  Worker w(*db_, r, {}, clock_);
  drain(w);
  EXPECT_FALSE(ran);
  EXPECT_EQ(get(id).state, State::dead);
}

TEST_P(Tasks, ConcurrentWorkersNeverRunAJobTwice) {
  Registry r;
  std::mutex mu;
  std::multiset<std::int64_t> ran;
  r.add("count", [&](const Job& j) {
    std::this_thread::sleep_for(1ms);
    std::lock_guard lock(mu);
    ran.insert(j.id);
  });
  constexpr int kJobs = 120;
  for (int i = 0; i < kJobs; ++i) add("count");
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(
        std::make_unique<Worker>(*db_, r, WorkerOptions{.threads = 2, .poll_interval = 10ms, .batch = 4}, clock_));
    workers.back()->start();
  }
  for (int i = 0; i < 1000 && counts(*db_).done < kJobs; ++i) std::this_thread::sleep_for(10ms);
  for (auto& w : workers) w->stop();
  EXPECT_EQ(counts(*db_).done, kJobs);
  std::lock_guard lock(mu);
  EXPECT_EQ(ran.size(), static_cast<std::size_t>(kJobs));
  for (auto id : ran) EXPECT_EQ(ran.count(id), 1u) << "job " << id << " ran twice";
}

TEST_P(Tasks, DurableReceiversEnqueueInTheSendersTransaction) {
  auth::migrate(*db_, {});
  Registry r;
  std::vector<std::string> delivered;
  auto conn = connect_durable_post_save<auth::User>(
      r, "test.welcome",
      [](const auth::User& u, const models::SaveEvent& e) -> std::optional<DurableJob> {
        if (!e.created) return std::nullopt;
        return DurableJob{u.username, "test.welcome:" + std::to_string(u.id)};
      },
      [&](const Job& j) { delivered.push_back(j.payload); }, {}, 8, clock_);
  {
    auto c = db_->acquire();
    db::Transaction tx(*c);
    auth::UserManager(*c).create_user("ghost", "g@example.com", "a password 123");
    // rolled back: neither the user nor the job
  }
  EXPECT_EQ(counts(*db_).pending, 0);
  auth::User ada;
  {
    auto c = db_->acquire();
    ada = auth::UserManager(*c).create_user("ada", "a@example.com", "a password 123");
    EXPECT_TRUE(delivered.empty()) << "a durable receiver is not called during send";
    ada.first_name = "Ada";
    models::Manager<auth::User>(*c).save(ada);  // an update: no job
  }
  EXPECT_EQ(counts(*db_).pending, 1);
  Worker w(*db_, r, {}, clock_);
  drain(w);
  EXPECT_EQ(delivered, std::vector<std::string>{"ada"});
  conn.disconnect();
  { auth::UserManager(*db_->acquire()).create_user("grace", "g@example.com", "a password 123"); }
  EXPECT_EQ(counts(*db_).pending, 0) << "disconnected";
}

INSTANTIATE_TEST_SUITE_P(Engines, Tasks, ::testing::ValuesIn(testing::all_engines()),
                         [](const ::testing::TestParamInfo<db::Engine>& p) { return testing::engine_name(p.param); });

TEST(Backoff, DoublesFromTheBaseWithJitterAndACap) {
  const RetryPolicy p{.base = 1000ms, .max = 10000ms};
  for (int i = 0; i < 200; ++i) {
    const auto first = backoff(p, 1), third = backoff(p, 3), tenth = backoff(p, 10);
    EXPECT_GE(first, 500ms);
    EXPECT_LE(first, 1000ms);
    EXPECT_GE(third, 2000ms);
    EXPECT_LE(third, 4000ms);
    EXPECT_GE(tenth, 5000ms);
    EXPECT_LE(tenth, 10000ms);
  }
  std::set<std::int64_t> distinct;
  for (int i = 0; i < 50; ++i) distinct.insert(backoff(p, 2).count());
  EXPECT_GT(distinct.size(), 10u) << "jitter spreads retries";
}

}  // namespace
}  // namespace gatehouse::tasks
