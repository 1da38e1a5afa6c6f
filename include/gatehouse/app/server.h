// The accounts service: configuration from the environment (DESIGN.md) and
// the HTTP server with its middleware and routes. `gatehouse serve` runs it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gatehouse/app/access.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/http/router.h"
#include "gatehouse/http/metrics.h"
#include "gatehouse/http/server.h"

namespace gatehouse::app {

struct Config {
  std::string database_url = "sqlite:gatehouse.sqlite3";
  std::string bind = "127.0.0.1:8000";
  std::string email_url = "console:";
  std::string redis_url;         // GATEHOUSE_REDIS_URL: sessions and throttles move to Redis
  // GATEHOUSE_SESSION_STORE: "database" (Django's django_session), "cache"
  // (Redis when configured, else the database cache) or "signed_cookies";
  // empty picks "cache" with Redis and "database" without.
  std::string session_store;
  std::string templates_dir;     // GATEHOUSE_TEMPLATES_DIR: files here override the built-in pages' templates
  std::string secret_key;        // see secret_key_for()
  bool secure_cookies = false;   // GATEHOUSE_SECURE_COOKIES=1 behind HTTPS
  bool throttle = true;          // GATEHOUSE_THROTTLE=0 turns off the login and recovery throttles (load tests only)
  bool access_log = true;        // GATEHOUSE_ACCESS_LOG=0: no JSON line per request on stderr
  bool run_worker = true;        // GATEHOUSE_WORKER=0: serve enqueues jobs, `gatehouse worker` runs them
  std::int64_t reset_code_seconds = 600;   // GATEHOUSE_RESET_CODE_SECONDS: how long an emailed code works
  std::int64_t worker_lease_seconds = 60;  // GATEHOUSE_WORKER_LEASE_SECONDS: a dead worker's job runs again after this
  std::string default_from_email = "webmaster@localhost";  // GATEHOUSE_DEFAULT_FROM_EMAIL
  std::string site_name = "Gatehouse";                      // GATEHOUSE_SITE_NAME, in emails and pages
  std::string site_url;          // GATEHOUSE_SITE_URL, the base of links in emails; default http://<bind>
  std::int64_t session_age_seconds = 1209600;  // two weeks, as Django

  // From GATEHOUSE_* variables; the secret key as secret_key_for() decides.
  // Throws std::invalid_argument with the variable's name for a bad value.
  static Config from_environment();
};

// GATEHOUSE_SECRET_KEY if set (at least 32 characters); else, for an SQLite
// file, a key generated once and kept (mode 0600) beside it in
// "<database>.secret_key"; sqlite::memory: gets a key per process. PostgreSQL
// without GATEHOUSE_SECRET_KEY is an error: several servers must share a key.
std::string secret_key_for(const std::string& database_url, const char* from_environment);

// Every migration the accounts service needs beyond auth's own (sessions, the
// database cache, profiles): pass to auth::migrate. `gatehouse migrate` and
// AccountsServer apply the same list.
std::vector<db::Migration> service_migrations();

// `gatehouse worker`: migrates, then runs the service's background jobs (the
// outbox) until SIGTERM or SIGINT, without the HTTP server; `ready` runs once
// the worker has started.
void run_worker_until_signal(db::Database& db, const Config& config, const std::function<void()>& ready = {});

class AccountsServer {
 public:
  // Opens and migrates the database, then binds. Throws on either failure.
  explicit AccountsServer(Config config);
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
  const Access& access() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::app
