// Storage on both engines in one run: users created with pre-made hashes (one
// by one, and 1000 at a time in bulk), get by id and by username, save with
// update_fields, and a model save with 0 vs 10 post_save receivers (the signal
// overhead per save). PostgreSQL is the cluster in GATEHOUSE_TEST_POSTGRES_URL
// (scripts/postgres-cluster.sh). Figures: bench/README.md.
#include <benchmark/benchmark.h>

#include <atomic>
#include <map>
#include <memory>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/passwords/hashers.h"
#include "test_database.h"

namespace gh = gatehouse;

namespace {

constexpr int kUsers = 10000;

struct Env {
  std::unique_ptr<gh::testing::TestDatabase> tdb;
  std::unique_ptr<gh::db::Database> db;
  std::optional<gh::db::PooledConnection> conn;
  gh::auth::EncodedPassword hash;
  std::atomic<std::int64_t> next{0};
};

Env& env(gh::db::Engine engine) {
  static std::map<gh::db::Engine, std::unique_ptr<Env>> envs;
  auto& e = envs[engine];
  if (!e) {
    e = std::make_unique<Env>();
    e->tdb = std::make_unique<gh::testing::TestDatabase>(engine);
    e->db = std::make_unique<gh::db::Database>(e->tdb->url());
    gh::auth::migrate(*e->db);
    e->conn.emplace(e->db->acquire());
    // One real hash, made once: the benchmark measures storage, not hashing.
    e->hash = gh::auth::EncodedPassword::from_hash(gh::passwords::pbkdf2_sha256_hasher(1000)->encode("pw"));
    std::vector<gh::auth::User> users;
    for (int i = 0; i < kUsers; ++i) {
      gh::auth::User u;
      u.username = "seed" + std::to_string(i);
      u.set_password(e->hash);
      users.push_back(std::move(u));
    }
    gh::models::Manager<gh::auth::User>(**e->conn).bulk_create_without_signals(users);
  }
  return *e;
}

gh::auth::User new_user(Env& e, const char* prefix) {
  gh::auth::User u;
  u.username = prefix + std::to_string(e.next++);
  u.email = u.username + "@example.com";
  u.set_password(e.hash);
  return u;
}

void BM_CreateOneByOne(benchmark::State& state, gh::db::Engine engine) {
  Env& e = env(engine);
  gh::models::Manager<gh::auth::User> users(**e.conn);
  for (auto _ : state) benchmark::DoNotOptimize(users.create(new_user(e, "one")));
  state.SetItemsProcessed(state.iterations());
}

void BM_BulkCreate1000(benchmark::State& state, gh::db::Engine engine) {
  Env& e = env(engine);
  gh::models::Manager<gh::auth::User> users(**e.conn);
  for (auto _ : state) {
    std::vector<gh::auth::User> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(new_user(e, "bulk"));
    users.bulk_create_without_signals(batch);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}

void BM_GetById(benchmark::State& state, gh::db::Engine engine) {
  Env& e = env(engine);
  gh::models::Manager<gh::auth::User> users(**e.conn);
  std::int64_t id = 0;
  for (auto _ : state) benchmark::DoNotOptimize(users.get(1 + (id++ % kUsers)));
  state.SetItemsProcessed(state.iterations());
}

void BM_GetByUsername(benchmark::State& state, gh::db::Engine engine) {
  Env& e = env(engine);
  gh::auth::UserManager users(**e.conn);
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(users.get_by_natural_key("seed" + std::to_string(i++ % kUsers)));
  state.SetItemsProcessed(state.iterations());
}

void BM_SaveUpdateFields(benchmark::State& state, gh::db::Engine engine) {
  Env& e = env(engine);
  gh::models::Manager<gh::auth::User> users(**e.conn);
  gh::auth::User u = users.get(1);
  for (auto _ : state) {
    u.last_login = gh::models::Timestamp::now();
    users.save(u, {.update_fields = {"last_login"}});
  }
  state.SetItemsProcessed(state.iterations());
}

// A full save of one user with `range(0)` post_save receivers connected for User.
void BM_SaveWithReceivers(benchmark::State& state, gh::db::Engine engine) {
  Env& e = env(engine);
  gh::models::Manager<gh::auth::User> users(**e.conn);
  gh::auth::User u = users.get(2);
  std::vector<gh::signals::ScopedConnection> receivers;
  std::int64_t seen = 0;
  for (int i = 0; i < state.range(0); ++i)
    receivers.emplace_back(gh::models::on_post_save<gh::auth::User>(
        [&seen](gh::auth::User& user, const gh::models::SaveEvent&) { seen += user.id; }));
  for (auto _ : state) {
    u.first_name = u.first_name == "a" ? "b" : "a";
    users.save(u);
  }
  benchmark::DoNotOptimize(seen);
  state.SetItemsProcessed(state.iterations());
}

// The signal part of a save alone (pre_save + post_save as Manager::save sends
// them), with `range(0)` receivers: the overhead per save, without I/O noise.
void BM_SaveSignalsOnly(benchmark::State& state) {
  gh::auth::User u;
  u.id = 1;
  std::vector<gh::signals::ScopedConnection> receivers;
  std::int64_t seen = 0;
  for (int i = 0; i < state.range(0); ++i)
    receivers.emplace_back(gh::models::on_post_save<gh::auth::User>(
        [&seen](gh::auth::User& user, const gh::models::SaveEvent&) { seen += user.id; }));
  const auto& meta = gh::auth::User::meta();
  gh::db::Connection* none = nullptr;
  for (auto _ : state) {
    gh::models::detail::send_save(gh::models::pre_save, meta, &u, false, false, nullptr, *none);
    gh::models::detail::send_save(gh::models::post_save, meta, &u, false, false, nullptr, *none);
  }
  benchmark::DoNotOptimize(seen);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_SaveSignalsOnly)->Name("save_signals_only")->Arg(0)->Arg(10);

#define STORAGE_CASES(engine_name, engine)                                                              \
  BENCHMARK_CAPTURE(BM_CreateOneByOne, engine_name, engine)->Name("create_user_one_by_one/" #engine_name)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_BulkCreate1000, engine_name, engine)->Name("bulk_create_1000_users/" #engine_name)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_GetById, engine_name, engine)->Name("get_user_by_id/" #engine_name)->UseRealTime();               \
  BENCHMARK_CAPTURE(BM_GetByUsername, engine_name, engine)->Name("get_user_by_username/" #engine_name)->UseRealTime();   \
  BENCHMARK_CAPTURE(BM_SaveUpdateFields, engine_name, engine)->Name("save_update_fields/" #engine_name)->UseRealTime();   \
  BENCHMARK_CAPTURE(BM_SaveWithReceivers, engine_name, engine)->Name("save_receivers/" #engine_name)->Arg(0)->Arg(10)->UseRealTime()

STORAGE_CASES(sqlite, gh::db::Engine::sqlite);
STORAGE_CASES(postgresql, gh::db::Engine::postgresql);

BENCHMARK_MAIN();
