// The accounts service: configuration from the environment (DESIGN.md) and
// the HTTP server with its middleware and routes. `gatehouse serve` runs it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gatehouse/auth/backends.h"
#include "gatehouse/cache/cache.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/web/access.h"
#include "gatehouse/app/config.h"
#include "gatehouse/auth/accounts.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/http/router.h"
#include "gatehouse/http/metrics.h"
#include "gatehouse/http/server.h"

namespace gatehouse::app {

// Every migration the accounts service needs beyond auth's own (sessions, the
// database cache, profiles): pass to auth::migrate. `gatehouse migrate` and
// AccountsServer apply the same list.
std::vector<db::Migration> service_migrations();

// `gatehouse worker`: migrates, then runs the service's background jobs (the
// outbox) until SIGTERM or SIGINT, without the HTTP server; `ready` runs once
// the worker has started.
void run_worker_until_signal(db::Database& db, const Config& config, const std::function<void()>& ready = {});

// The parts a library user (or a test) may put in place of what Config names.
struct ServerParts {
  // Tried in order at every login; empty: Config::authentication_backends
  // (GATEHOUSE_AUTHENTICATION_BACKENDS; ModelBackend by default).
  auth::Backends backends{};
  const core::Clock* clock = nullptr;    // nullptr: the system clock; must outlive the server
  db::DatabaseOptions database{};        // pool size, timeouts, a connection decorator
  // Wraps the cache Config names (the database's, or Redis): fault injection.
  std::function<std::unique_ptr<cache::Cache>(std::unique_ptr<cache::Cache>)> wrap_cache{};
  std::shared_ptr<mail::EmailBackend> email{};  // replaces GATEHOUSE_EMAIL_URL's backend
};

class AccountsServer {
 public:
  // Opens and migrates the database, then binds. Throws on either failure,
  // and ConfigError for a secret_key under 32 characters (an empty one
  // included: secret_key_for() settles one as `gatehouse serve` does).
  explicit AccountsServer(Config config, ServerParts parts = {});
  ~AccountsServer();

  std::uint16_t port() const noexcept;
  void run();
  void run_until_signal();
  void stop();
  db::Database& database() noexcept;
  http::Metrics& metrics() noexcept;
  // Routes of the application's own; add them before run().
  http::Router& router() noexcept;
  // Access control for those routes (login_required and the like).
  const web::Access& access() const noexcept;
  // The account operations the routes use, for an application's own routes.
  auth::Accounts& accounts() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::app
