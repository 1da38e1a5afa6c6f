#include "gatehouse/app/server.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "background.h"
#include "gatehouse/accounts/profile.h"
#include "gatehouse/accounts/site.h"
#include "gatehouse/admin/site.h"
#include "gatehouse/auth/email_addresses.h"
#include "gatehouse/auth/login.h"
#include "gatehouse/cache/cache.h"
#include "gatehouse/sessions/store.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/csrf.h"
#include "gatehouse/web/proxy.h"
#include "gatehouse/web/session.h"
#include "gatehouse/auth/migrations.h"
#include "gatehouse/core/random.h"
#include "gatehouse/http/router.h"

namespace gatehouse::app {

namespace {
// What Django's own migrations would have made of the tables above, recorded
// in django_migrations (made as Django makes it when absent), so a Django
// project sharing the database finds nothing to apply (`migrate --check`).
// Gatehouse's contenttypes, auth, sessions, admin and accounts tables are
// those apps' final state in Django 3.2 to 5 (tests/auth/django_schema_test).
const std::vector<std::pair<std::string, std::vector<std::string>>> kDjangoMigrations = {
    {"contenttypes", {"0001_initial", "0002_remove_content_type_name"}},
    {"auth",
     {"0001_initial", "0002_alter_permission_name_max_length", "0003_alter_user_email_max_length",
      "0004_alter_user_username_opts", "0005_alter_user_last_login_null", "0006_require_contenttypes_0002",
      "0007_alter_validators_add_error_messages", "0008_alter_user_username_max_length",
      "0009_alter_user_last_name_max_length", "0010_alter_group_name_max_length", "0011_update_proxy_permissions",
      "0012_alter_user_first_name_max_length"}},
    {"sessions", {"0001_initial"}},
    {"admin", {"0001_initial", "0002_logentry_remove_auto_add", "0003_logentry_add_action_flag_choices"}},
    {"accounts", {"0001_profile"}},
};
// django-otp's tables (auth/otp.h), recorded by a later migration of Gatehouse's own.
const std::vector<std::pair<std::string, std::vector<std::string>>> kDjangoOtpMigrations = {
    {"otp_totp", {"0001_initial", "0002_auto_20190420_0723"}},
    {"otp_static", {"0001_initial", "0002_throttling"}},
};

void record_django_migrations(db::Connection& c,
                              const std::vector<std::pair<std::string, std::vector<std::string>>>& migrations) {
  if (!db::table_exists(c, "django_migrations"))
    c.execute(c.engine() == db::Engine::sqlite
                  ? R"(CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL))"
                  : R"(CREATE TABLE "django_migrations" ("id" serial NOT NULL PRIMARY KEY, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" timestamp with time zone NOT NULL))");
  const std::string now = models::format_timestamp(models::Timestamp::now(), c.engine());
  for (const auto& [app, names] : migrations)
    for (const auto& name : names)
      if (c.execute("SELECT count(*) FROM django_migrations WHERE app = ? AND name = ?", {db::Value(app), db::Value(name)})
              .scalar().as_int() == 0)
        c.execute("INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, ?)",
                  {db::Value(app), db::Value(name), db::Value(now)});
}

std::vector<db::Migration> django_migrations_record() {
  return {{"gatehouse", "0001_django_migrations", [](db::Connection& c) { record_django_migrations(c, kDjangoMigrations); }},
          {"gatehouse", "0002_django_otp_migrations",
           [](db::Connection& c) { record_django_migrations(c, kDjangoOtpMigrations); }}};
}
}  // namespace

std::vector<db::Migration> service_migrations() {
  auto schema = sessions::migrations();
  for (auto& m : cache::migrations()) schema.push_back(std::move(m));
  for (auto& m : tasks::migrations()) schema.push_back(std::move(m));
  for (auto& m : auth::email_address_migrations()) schema.push_back(std::move(m));
  for (auto& m : accounts::migrations()) schema.push_back(std::move(m));
  for (auto& m : admin::migrations()) schema.push_back(std::move(m));
  for (auto& m : django_migrations_record()) schema.push_back(std::move(m));
  return schema;
}

struct AccountsServer::Impl {
  Config config;
  const core::Clock* clock = &core::system_clock();
  std::unique_ptr<db::Database> db;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<cache::Cache> cache;
  std::unique_ptr<sessions::SessionStore> store;
  std::unique_ptr<passwords::HashPool> pool;
  std::unique_ptr<auth::LoginThrottle> throttle, forgot_throttle, reset_throttle, signup_throttle, mfa_throttle;
  std::unique_ptr<auth::ResetCodes> codes;
  std::unique_ptr<auth::Accounts> accounts;
  std::unique_ptr<accounts::Site> site;
  std::unique_ptr<Background> background;
  std::unique_ptr<http::Server> server;  // last: stops before what it uses goes

  void open_storage(const ServerParts& parts);
  void make_operations(const ServerParts& parts);
  void add_routes();
  http::Handler handler();
  // Strict-Transport-Security only behind HTTPS: every answer with
  // GATEHOUSE_SECURE_COOKIES=1, else those a trusted proxy reports as HTTPS.
  http::SecurityHeaders security() const { return {.hsts_seconds = config.hsts_seconds, .https = config.secure_cookies}; }
};

namespace {
std::unique_ptr<sessions::SessionStore> make_store(const Config& cfg, db::Database& db, cache::Cache& cache,
                                                   const core::Clock& clock) {
  const std::string kind = !cfg.session_store.empty() ? cfg.session_store : cfg.redis_url.empty() ? "database" : "cache";
  if (kind == "database") return std::make_unique<sessions::DatabaseSessionStore>(db, cfg.secret_key, clock);
  if (kind == "cache") return std::make_unique<sessions::CacheSessionStore>(cache, cfg.secret_key, clock);
  return std::make_unique<sessions::SignedCookieSessionStore>(cache, cfg.secret_key, clock);
}

std::unique_ptr<cache::Cache> make_cache(const Config& cfg, db::Database& db, const core::Clock& clock) {
  return cfg.redis_url.empty() ? cache::make_database_cache(db, clock)
                               : cache::make_redis_cache(cache::parse_redis_url(cfg.redis_url));
}
}  // namespace

void AccountsServer::Impl::open_storage(const ServerParts& parts) {
  db = std::make_unique<db::Database>(config.database_url, parts.database);
  accounts::connect_profile_receiver();
  auth::migrate(*db, service_migrations());
  cache = make_cache(config, *db, *clock);
  if (parts.wrap_cache) cache = parts.wrap_cache(std::move(cache));
  store = make_store(config, *db, *cache, *clock);
}

void AccountsServer::Impl::make_operations(const ServerParts& parts) {
  pool = std::make_unique<passwords::HashPool>(passwords::default_hashers());
  throttle = std::make_unique<auth::LoginThrottle>(*cache, auth::ThrottlePolicy{.enabled = config.throttle});
  // Recovery: 5 requests an address and 20 a client per 15 minutes; 10 and 30 reset attempts.
  forgot_throttle = std::make_unique<auth::LoginThrottle>(
      *cache, auth::ThrottlePolicy{.max_failures_per_pair = 5, .max_failures_per_address = 20, .account_alarm = 0,
                           .max_failures_per_account = 5, .enabled = config.throttle},
      "forgot");
  reset_throttle = std::make_unique<auth::LoginThrottle>(
      *cache, auth::ThrottlePolicy{.max_failures_per_pair = 10, .max_failures_per_address = 30, .account_alarm = 0,
                           .max_failures_per_account = 10, .enabled = config.throttle},
      "reset");
  // Signups: 10 an hour from one client (the per-address mail limit guards the mailbox).
  signup_throttle = std::make_unique<auth::LoginThrottle>(
      *cache,
      auth::ThrottlePolicy{.max_failures_per_pair = 0, .max_failures_per_address = 10, .account_alarm = 0,
                           .window = std::chrono::hours(1), .enabled = config.throttle},
      "signup");
  // Wrong second-factor codes: the login policy, per user (auth/mfa.h).
  mfa_throttle = std::make_unique<auth::LoginThrottle>(*cache, auth::ThrottlePolicy{.enabled = config.throttle}, "mfa");
  codes = std::make_unique<auth::ResetCodes>(
      *cache, config.secret_key, auth::ResetCodePolicy{.lifetime = std::chrono::seconds(config.reset_code_seconds)});
  auth::Backends backends = parts.backends;
  if (backends.empty())
    for (const auto& name : config.authentication_backends) backends.push_back(auth::builtin_backend(name));
  auth::AccountOptions options{.secret_key = config.secret_key,
                               .backends = std::move(backends),
                               .session_age = std::chrono::seconds(config.session_age_seconds),
                               .clock = clock,
                               .unique_email = config.unique_email,
                               .email_verification = config.email_verification,
                               .mfa_required = config.mfa_required,
                               .site_name = config.site_name,
                               .site_url = config.site_url};
  accounts = std::make_unique<auth::Accounts>(
      auth::AccountParts{*db, *store, *pool, *throttle, *forgot_throttle, *reset_throttle, *codes, *signup_throttle,
                        *mfa_throttle},
      std::move(options));
  metrics.gauge("gatehouse_hash_pool_queue_depth", "Password hashing requests waiting.",
                [p = pool.get()] { return static_cast<double>(p->queue_depth()); });
}

namespace {
std::map<std::string, std::string> site_templates() {
  auto all = accounts::builtin_templates();
  all.merge(admin::builtin_templates());
  return all;
}
}  // namespace

void AccountsServer::Impl::add_routes() {
  site = std::make_unique<accounts::Site>(accounts::Site{
      *accounts, *db, *store, metrics,
      std::make_shared<const http::Templates>(site_templates(), config.templates_dir), config.secret_key});
  router.get("/healthz", http::sync([](http::Request&) { return http::Response::json_text(200, "{\"status\":\"ok\"}"); }));
  router.get("/metrics", http::sync([this](http::Request&) {
    return http::Response::text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  }));
  router.get("/api/csrf", http::sync([](http::Request& req) {
    return http::Response::json_text(200, "{\"csrfToken\":\"" + web::csrf_token(req) + "\"}");
  }));
  accounts::add_api_routes(router, *site);
  accounts::add_pages(router, *site);
  admin::add_routes(router, *site);
}

// The middleware, outermost first: metrics and security headers see every
// answer; faults, innermost, turns a handler's failing dependency into a 503
// that the session and CSRF middleware still see go by.
http::Handler AccountsServer::Impl::handler() {
  const web::SessionOptions session{.age = std::chrono::seconds(config.session_age_seconds),
                                    .secure = config.secure_cookies,
                                    .clock = clock};
  return http::chain({web::forwarded_middleware(config.trusted_proxies), metrics.middleware(), http::security_headers(security()),
                      web::csrf_middleware({.secure = config.secure_cookies}),
                      web::session_middleware(*store, session), web::authentication_middleware(*db, config.secret_key),
                      web::faults_middleware(accounts::fault_page(*site)), web::password_change_gate()},
                     router.handler());
}

AccountsServer::AccountsServer(Config config, ServerParts parts) : impl_(std::make_unique<Impl>()) {
  // What signs sessions, reset links and codes: a short one is guessable offline.
  if (config.secret_key.size() < 32)
    throw ConfigError("GATEHOUSE_SECRET_KEY", "GATEHOUSE_SECRET_KEY: must be at least 32 characters (Config::secret_key "
                                              "is " + std::to_string(config.secret_key.size()) + "; app::secret_key_for makes one)");
  impl_->config = std::move(config);
  if (parts.clock != nullptr) impl_->clock = parts.clock;
  impl_->open_storage(parts);
  impl_->make_operations(parts);
  impl_->add_routes();
  Config& cfg = impl_->config;
  impl_->server = std::make_unique<http::Server>(
      http::ServerOptions{.bind = cfg.bind,
                          .access_log = cfg.access_log,
                          .max_connections = static_cast<std::size_t>(cfg.max_connections),
                          .security = impl_->security()},
      impl_->handler());
  if (cfg.site_url.empty())
    cfg.site_url = "http://" + cfg.bind.substr(0, cfg.bind.rfind(':')) + ":" + std::to_string(impl_->server->port());
  impl_->site->mfa.set_relying_party(auth::webauthn::RelyingParty::from_site_url(cfg.site_url, cfg.site_name));
  impl_->background = std::make_unique<Background>(*impl_->db, cfg, *impl_->cache, parts.email, *impl_->clock);
}

AccountsServer::~AccountsServer() {
  // The hash pool goes first: its pending callbacks hold Responders, which
  // keep connections alive; they must be answered or dropped while the HTTP
  // server (and its io_context) still exists.
  impl_->server->stop();
  impl_->pool.reset();
  impl_->server.reset();
}
std::uint16_t AccountsServer::port() const noexcept { return impl_->server->port(); }
void AccountsServer::run() {
  if (impl_->config.run_worker) impl_->background->start();
  impl_->server->run();
  impl_->background->stop();
}
void AccountsServer::run_until_signal() {
  if (impl_->config.run_worker) impl_->background->start();
  impl_->server->run_until_signal();
  impl_->background->stop();
}

void run_worker_until_signal(db::Database& db, const Config& config, const std::function<void()>& ready) {
  auth::migrate(db, service_migrations());
  Config c = config;
  if (c.site_url.empty()) c.site_url = "http://" + c.bind;
  std::unique_ptr<cache::Cache> cache = make_cache(c, db, core::system_clock());
  Background background(db, c, *cache);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the worker's threads start: they inherit the mask
  background.start();
  if (ready) ready();
  int sig = 0;
  sigwait(&set, &sig);
  background.stop();  // the job in hand finishes; the rest wait for the next worker
}
void AccountsServer::stop() { impl_->server->stop(); }
db::Database& AccountsServer::database() noexcept { return *impl_->db; }
http::Metrics& AccountsServer::metrics() noexcept { return impl_->metrics; }
http::Router& AccountsServer::router() noexcept { return impl_->router; }
const web::Access& AccountsServer::access() const noexcept { return impl_->site->access; }
auth::Accounts& AccountsServer::accounts() noexcept { return *impl_->accounts; }

}  // namespace gatehouse::app
