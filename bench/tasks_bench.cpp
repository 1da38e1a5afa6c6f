// Outbox throughput: how many jobs a second the workers claim, run (a handler
// that does nothing, so the outbox's own cost shows) and mark done, on SQLite
// and on PostgreSQL (the cluster in GATEHOUSE_TEST_POSTGRES_URL), with one
// worker thread and with four sharing the outbox (SKIP LOCKED on PostgreSQL).
// Also enqueue: jobs written a second, each in its own transaction.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "gatehouse/db/transaction.h"
#include "gatehouse/tasks/tasks.h"
#include "test_database.h"

namespace gh = gatehouse;

namespace {

struct Env {
  std::unique_ptr<gh::testing::TestDatabase> tdb;
  std::unique_ptr<gh::db::Database> db;
  explicit Env(gh::db::Engine engine) {
    tdb = std::make_unique<gh::testing::TestDatabase>(engine);
    db = std::make_unique<gh::db::Database>(tdb->url());
    gh::db::migrate(*db, gh::tasks::migrations());
  }
};

void fill(gh::db::Database& db, int n) {
  auto c = db.acquire();
  gh::db::Transaction tx(*c);
  for (int i = 0; i < n; ++i) gh::tasks::enqueue(*c, "noop", "{}");
  tx.commit();
}

void BM_Drain(benchmark::State& state, gh::db::Engine engine) {
  Env env(engine);
  const auto threads = static_cast<std::size_t>(state.range(0));
  constexpr int kJobs = 2000;
  gh::tasks::Registry registry;
  std::atomic<int> ran{0};
  registry.add("noop", [&](const gh::tasks::Job&) { ran.fetch_add(1, std::memory_order_relaxed); });
  for (auto _ : state) {
    state.PauseTiming();
    fill(*env.db, kJobs);
    ran = 0;
    gh::tasks::Worker worker(*env.db, registry,
                             {.threads = threads, .poll_interval = std::chrono::milliseconds(1), .batch = 16});
    state.ResumeTiming();
    worker.start();
    while (ran.load() < kJobs) std::this_thread::sleep_for(std::chrono::microseconds(200));
    worker.stop();
  }
  state.SetItemsProcessed(state.iterations() * kJobs);
}

void BM_Enqueue(benchmark::State& state, gh::db::Engine engine) {
  Env env(engine);
  auto c = env.db->acquire();
  for (auto _ : state) {
    gh::db::Transaction tx(*c);
    gh::tasks::enqueue(*c, "noop", "{\"user_id\":1}");
    tx.commit();
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

#define GATEHOUSE_TASK_BENCHES(engine_name, engine)                                                                  \
  BENCHMARK_CAPTURE(BM_Drain, engine_name, engine)->Name("worker_drain/" #engine_name)->Arg(1)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond); \
  BENCHMARK_CAPTURE(BM_Enqueue, engine_name, engine)->Name("enqueue_in_transaction/" #engine_name)->UseRealTime()

GATEHOUSE_TASK_BENCHES(sqlite, gh::db::Engine::sqlite);
GATEHOUSE_TASK_BENCHES(postgresql, gh::db::Engine::postgresql);

BENCHMARK_MAIN();
