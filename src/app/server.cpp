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

#include "api.h"
#include "background.h"
#include "pages.h"
#include "gatehouse/app/csrf.h"
#include "gatehouse/cache/cache.h"
#include "gatehouse/auth/login.h"
#include "gatehouse/sessions/store.h"
#include "gatehouse/app/profile.h"
#include "gatehouse/auth/migrations.h"
#include "gatehouse/core/random.h"
#include "gatehouse/http/router.h"

namespace gatehouse::app {

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// A whole number of seconds from 1 to `max`, or the default when unset.
std::int64_t seconds_from_env(const char* name, std::int64_t fallback, std::int64_t max) {
  const std::string text = env_or(name, std::to_string(fallback));
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > max)
    throw std::invalid_argument(std::string(name) + " must be a number of seconds from 1 to " + std::to_string(max));
  return v;
}

}  // namespace

std::string secret_key_for(const std::string& database_url, const char* from_environment) {
  if (from_environment != nullptr && *from_environment != '\0') {
    if (std::string_view(from_environment).size() < 32)
      throw std::invalid_argument("GATEHOUSE_SECRET_KEY must be at least 32 characters");
    return from_environment;
  }
  if (database_url == "sqlite::memory:") return core::random_string(50);
  if (!database_url.starts_with("sqlite:"))
    throw std::invalid_argument("GATEHOUSE_SECRET_KEY is required with a database other than SQLite: every server "
                                "sharing the database must sign with the same key");
  std::string path = database_url.substr(7);
  if (path.starts_with("//")) path = path.substr(2);
  const std::filesystem::path key_file = std::filesystem::path(path).replace_extension(".secret_key");
  if (std::ifstream in(key_file); in) {
    std::string key;
    std::getline(in, key);
    if (key.size() >= 32) return key;
    throw std::invalid_argument("the secret key file " + key_file.string() + " is damaged (under 32 characters)");
  }
  const std::string key = core::random_string(50);
  const std::string tmp = key_file.string() + ".tmp";
  {
    const mode_t old = ::umask(077);  // 0600 from the start: never readable by others
    std::ofstream out(tmp);
    ::umask(old);
    out << key << "\n";
    if (!out.flush()) throw std::invalid_argument("cannot write the secret key file " + tmp);
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(tmp, key_file);
  return key;
}

Config Config::from_environment() {
  Config c;
  c.database_url = db::database_url_from_environment();
  c.bind = env_or("GATEHOUSE_BIND", c.bind);
  c.email_url = env_or("GATEHOUSE_EMAIL_URL", c.email_url);
  c.secure_cookies = env_or("GATEHOUSE_SECURE_COOKIES", "0") == "1";
  c.access_log = env_or("GATEHOUSE_ACCESS_LOG", "1") != "0";
  c.throttle = env_or("GATEHOUSE_THROTTLE", "1") != "0";
  c.run_worker = env_or("GATEHOUSE_WORKER", "1") != "0";
  c.worker_lease_seconds = seconds_from_env("GATEHOUSE_WORKER_LEASE_SECONDS", 60, 86400);
  c.reset_code_seconds = seconds_from_env("GATEHOUSE_RESET_CODE_SECONDS", 600, 86400);
  c.default_from_email = env_or("GATEHOUSE_DEFAULT_FROM_EMAIL", c.default_from_email);
  c.site_name = env_or("GATEHOUSE_SITE_NAME", c.site_name);
  c.site_url = env_or("GATEHOUSE_SITE_URL", "");
  while (c.site_url.ends_with("/")) c.site_url.pop_back();
  c.redis_url = env_or("GATEHOUSE_REDIS_URL", "");
  c.templates_dir = env_or("GATEHOUSE_TEMPLATES_DIR", "");
  if (!c.redis_url.empty()) (void)cache::parse_redis_url(c.redis_url);  // a bad URL fails at start, not at first use
  c.session_store = env_or("GATEHOUSE_SESSION_STORE", "");
  if (!c.session_store.empty() && c.session_store != "database" && c.session_store != "cache" &&
      c.session_store != "signed_cookies")
    throw std::invalid_argument("GATEHOUSE_SESSION_STORE must be database, cache or signed_cookies, not '" +
                                c.session_store + "'");
  c.secret_key = secret_key_for(c.database_url, std::getenv("GATEHOUSE_SECRET_KEY"));
  return c;
}

std::vector<db::Migration> service_migrations() {
  auto schema = sessions::migrations();
  for (auto& m : cache::migrations()) schema.push_back(std::move(m));
  for (auto& m : tasks::migrations()) schema.push_back(std::move(m));
  for (auto& m : migrations()) schema.push_back(std::move(m));
  return schema;
}

struct AccountsServer::Impl {
  Config config;
  std::unique_ptr<db::Database> db;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<cache::Cache> cache;
  std::unique_ptr<sessions::SessionStore> store;
  std::unique_ptr<passwords::HashPool> pool;
  std::unique_ptr<auth::LoginThrottle> throttle, forgot_throttle, reset_throttle;
  std::unique_ptr<auth::ResetCodes> codes;
  std::unique_ptr<Access> access;
  std::unique_ptr<Background> background;
  std::unique_ptr<http::Server> server;  // last: stops before what it uses goes
};

AccountsServer::AccountsServer(Config config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->db = std::make_unique<db::Database>(impl_->config.database_url);
  connect_profile_receiver();
  auth::connect_update_last_login();
  auth::migrate(*impl_->db, service_migrations());
  const Config& cfg = impl_->config;
  impl_->cache = cfg.redis_url.empty() ? cache::make_database_cache(*impl_->db)
                                       : cache::make_redis_cache(cache::parse_redis_url(cfg.redis_url));
  const std::string kind = !cfg.session_store.empty() ? cfg.session_store : cfg.redis_url.empty() ? "database" : "cache";
  if (kind == "database")
    impl_->store = std::make_unique<sessions::DatabaseSessionStore>(*impl_->db, cfg.secret_key);
  else if (kind == "cache")
    impl_->store = std::make_unique<sessions::CacheSessionStore>(*impl_->cache, cfg.secret_key);
  else
    impl_->store = std::make_unique<sessions::SignedCookieSessionStore>(*impl_->cache, cfg.secret_key);
  impl_->pool = std::make_unique<passwords::HashPool>(passwords::default_hashers());
  impl_->throttle = std::make_unique<auth::LoginThrottle>(*impl_->cache, auth::ThrottlePolicy{.enabled = cfg.throttle});
  // Recovery: 5 requests an address and 20 a client per 15 minutes; 10 and 30 reset attempts.
  impl_->forgot_throttle = std::make_unique<auth::LoginThrottle>(
      *impl_->cache, auth::ThrottlePolicy{.max_failures_per_account = 5, .max_failures_per_address = 20, .enabled = cfg.throttle},
      "forgot");
  impl_->reset_throttle = std::make_unique<auth::LoginThrottle>(
      *impl_->cache, auth::ThrottlePolicy{.max_failures_per_account = 10, .max_failures_per_address = 30, .enabled = cfg.throttle},
      "reset");
  impl_->codes = std::make_unique<auth::ResetCodes>(
      *impl_->cache, cfg.secret_key, auth::ResetCodePolicy{.lifetime = std::chrono::seconds(cfg.reset_code_seconds)});
  impl_->metrics.gauge("gatehouse_hash_pool_queue_depth", "Password hashing requests waiting.",
                       [pool = impl_->pool.get()] { return static_cast<double>(pool->queue_depth()); });
  auto ctx = std::make_shared<ApiContext>(
      ApiContext{impl_->config, impl_->db.get(), impl_->store.get(), impl_->pool.get(), impl_->throttle.get(), &impl_->metrics,
                 impl_->codes.get(), impl_->forgot_throttle.get(), impl_->reset_throttle.get()});

  auto& r = impl_->router;
  r.get("/healthz", http::sync([](http::Request&) { return http::Response::json_text(200, "{\"status\":\"ok\"}"); }));
  r.get("/metrics", http::sync([this](http::Request&) {
    return http::Response::text(200, impl_->metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  }));
  r.get("/api/csrf", http::sync([](http::Request& req) {
    return http::Response::json_text(200, "{\"csrfToken\":\"" + csrf_token(req) + "\"}");
  }));

  add_api_routes(r, ctx);
  impl_->access = std::make_unique<Access>(ctx);
  add_pages(r, ctx, std::make_shared<const http::Templates>(builtin_templates(), impl_->config.templates_dir), *impl_->access);

  const http::Handler handler = http::chain({impl_->metrics.middleware(), http::security_headers(),
                                             csrf_middleware({.secure = impl_->config.secure_cookies}), session_middleware(ctx)},
                                            impl_->router.handler());
  impl_->server = std::make_unique<http::Server>(http::ServerOptions{.bind = impl_->config.bind, .access_log = impl_->config.access_log}, handler);
  if (impl_->config.site_url.empty())
    impl_->config.site_url = "http://" + impl_->config.bind.substr(0, impl_->config.bind.rfind(':')) + ":" +
                             std::to_string(impl_->server->port());
  impl_->background = std::make_unique<Background>(*impl_->db, impl_->config, *impl_->cache);
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
  std::unique_ptr<cache::Cache> cache = c.redis_url.empty() ? cache::make_database_cache(db) : cache::make_redis_cache(cache::parse_redis_url(c.redis_url));
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
const Access& AccountsServer::access() const noexcept { return *impl_->access; }

}  // namespace gatehouse::app
