// An AccountsServer on a fresh database and a free loopback port, for tests.
// Routes may be added in `before_run` (before the server starts serving).
// A Deployment names where state lives: SQLite alone (database sessions),
// PostgreSQL + Redis (sessions and throttles in Redis, as a scaled-out
// deployment runs), and SQLite with signed-cookie sessions.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "gatehouse/app/server.h"
#include "gatehouse/core/random.h"
#include "test_cache.h"
#include "test_database.h"

namespace gatehouse::testing {

struct Deployment {
  db::Engine engine = db::Engine::sqlite;
  bool redis = false;
  std::string session_store;  // as app::Config::session_store
  std::string name;
};

inline const std::vector<Deployment>& all_deployments() {
  static const std::vector<Deployment> d{{db::Engine::sqlite, false, "", "sqlite"},
                                         {db::Engine::postgresql, true, "", "postgresql_redis"},
                                         {db::Engine::sqlite, false, "signed_cookies", "sqlite_signed_cookies"}};
  return d;
}

inline void PrintTo(const Deployment& d, std::ostream* os) { *os << d.name; }
inline std::string deployment_name(const ::testing::TestParamInfo<Deployment>& p) { return p.param.name; }

// A Redis URL with a key prefix of its own, so parallel tests never share keys.
inline std::string isolated_redis_url() {
  return test_redis_url() + "?prefix=t" + core::random_string(12, "abcdefghijklmnopqrstuvwxyz0123456789") + ":";
}

class RunningAccountsServer {
 public:
  // `parts` replaces what the configuration names (fault injection, a clock,
  // backends); `configure` may change the configuration before the server starts.
  explicit RunningAccountsServer(const Deployment& d, const std::function<void(app::AccountsServer&)>& before_run = {},
                                 app::ServerParts parts = {}, const std::function<void(app::Config&)>& configure = {})
      : tdb_(d.engine) {
    app::Config c;
    c.database_url = tdb_.url();
    c.bind = "127.0.0.1:0";
    c.secret_key = std::string(50, 'k');
    if (d.redis) c.redis_url = isolated_redis_url();
    c.session_store = d.session_store;
    c.email_url = "memory:";  // mail::memory_outbox(); the worker runs inside the server
    if (configure) configure(c);
    server_ = std::make_unique<app::AccountsServer>(c, std::move(parts));
    if (before_run) before_run(*server_);
    thread_ = std::thread([this] { server_->run(); });
  }
  explicit RunningAccountsServer(db::Engine engine, const std::function<void(app::AccountsServer&)>& before_run = {})
      : RunningAccountsServer(Deployment{engine, false, "", ""}, before_run) {}
  ~RunningAccountsServer() {
    server_->stop();
    thread_.join();
    server_.reset();
  }
  app::AccountsServer& operator*() { return *server_; }
  app::AccountsServer* operator->() { return server_.get(); }

 private:
  TestDatabase tdb_;
  std::unique_ptr<app::AccountsServer> server_;
  std::thread thread_;
};

}  // namespace gatehouse::testing
