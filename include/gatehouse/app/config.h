// The accounts service's configuration, read in one place: every GATEHOUSE_*
// variable of DESIGN.md ("Configuration"; the reference is
// docs/configuration.md), and the same keys from the TOML file named by
// GATEHOUSE_CONFIG. The environment wins over the file; an unknown key or a bad
// value is refused with a ConfigError naming the key.
//
//   const app::Config config = app::Config::load();   // throws ConfigError
//   app::AccountsServer server(config);
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/auth/email_verification.h"
#include "gatehouse/auth/mfa_requirement.h"
#include "gatehouse/passwords/hashers.h"
#include "gatehouse/web/proxy.h"

namespace gatehouse::app {

// A bad configuration. what() is one line naming the key: the variable
// ("GATEHOUSE_HSTS_SECONDS: must be ..."), or for the file the path, line and
// TOML key ("/etc/gatehouse.toml:3: hsts_seconds: must be ..."), or for a file
// that cannot be read or parsed the path ("/etc/gatehouse.toml:3:7: not valid
// TOML: ..."). It never contains a secret (the key, a URL's password).
class ConfigError : public std::invalid_argument {
 public:
  ConfigError(std::string key, const std::string& message);
  // The key named: the variable, the TOML key, or GATEHOUSE_CONFIG for the
  // file as a whole.
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

// django-allauth's ACCOUNT_EMAIL_VERIFICATION.
using auth::EmailVerification;  // GATEHOUSE_EMAIL_VERIFICATION (auth/email_verification.h)
// Who must enrol a second factor before a session is complete.
using MfaRequired = auth::MfaRequirement;  // GATEHOUSE_MFA_REQUIRED (auth/mfa_requirement.h)

using web::TrustedNetwork;  // GATEHOUSE_TRUSTED_PROXIES (web/proxy.h)

struct Config {
  std::string database_url = "sqlite:gatehouse.sqlite3";  // GATEHOUSE_DATABASE_URL
  std::string bind = "127.0.0.1:8000";                     // GATEHOUSE_BIND, host:port
  std::string email_url = "console:";                      // GATEHOUSE_EMAIL_URL
  std::string redis_url;         // GATEHOUSE_REDIS_URL: sessions and throttles move to Redis
  // GATEHOUSE_SESSION_STORE: "database" (Django's django_session), "cache"
  // (Redis when configured, else the database cache) or "signed_cookies";
  // empty picks "cache" with Redis and "database" without.
  std::string session_store;
  // GATEHOUSE_AUTHENTICATION_BACKENDS: built-in backends tried in order at
  // login, "model" (by username, Django's ModelBackend) and "email".
  std::vector<std::string> authentication_backends{"model"};
  std::string templates_dir;     // GATEHOUSE_TEMPLATES_DIR: files here override the built-in pages' templates
  // GATEHOUSE_SECRET_KEY, or as secret_key_for() decides; empty when loaded
  // with SecretKey::skip and not configured.
  std::string secret_key;
  bool secure_cookies = false;   // GATEHOUSE_SECURE_COOKIES=1 behind HTTPS
  bool unique_email = false;     // GATEHOUSE_UNIQUE_EMAIL=1: one account per address (django-allauth's UNIQUE_EMAIL)
  bool throttle = true;          // GATEHOUSE_THROTTLE=0 turns off the login and recovery throttles (load tests only)
  bool access_log = true;        // GATEHOUSE_ACCESS_LOG=0: no JSON line per request on stderr
  bool run_worker = true;        // GATEHOUSE_WORKER=0: serve enqueues jobs, `gatehouse worker` runs them
  std::int64_t reset_code_seconds = 600;   // GATEHOUSE_RESET_CODE_SECONDS: how long an emailed code works
  std::int64_t worker_lease_seconds = 60;  // GATEHOUSE_WORKER_LEASE_SECONDS: a dead worker's job runs again after this
  std::string default_from_email = "webmaster@localhost";  // GATEHOUSE_DEFAULT_FROM_EMAIL
  std::string site_name = "Gatehouse";                      // GATEHOUSE_SITE_NAME, in emails and pages
  std::string site_url;          // GATEHOUSE_SITE_URL, the base of links in emails; default http://<bind>
  std::int64_t session_age_seconds = 1209600;  // two weeks, as Django (not configurable yet)
  // GATEHOUSE_PBKDF2_ITERATIONS: the work factor of new hashes. The commands
  // pass it to passwords::set_default_pbkdf2_iterations().
  std::uint64_t pbkdf2_iterations = passwords::kDefaultPbkdf2Iterations;  // Django's: 1,500,000
  // GATEHOUSE_TRUSTED_PROXIES: peers allowed to set the client's address and
  // scheme (X-Forwarded-For, Forwarded, X-Forwarded-Proto); empty: none.
  std::vector<TrustedNetwork> trusted_proxies;
  std::int64_t hsts_seconds = 0;  // GATEHOUSE_HSTS_SECONDS: Strict-Transport-Security max-age when secure; 0: none
  EmailVerification email_verification = EmailVerification::optional;  // GATEHOUSE_EMAIL_VERIFICATION
  MfaRequired mfa_required = MfaRequired::none;                          // GATEHOUSE_MFA_REQUIRED
  std::int64_t max_connections = 10000;  // GATEHOUSE_MAX_CONNECTIONS: open HTTP connections at most
  std::string config_file;       // GATEHOUSE_CONFIG: the TOML file read, empty if none

  // A TOML document and the name its errors are reported under (its path).
  struct File {
    std::string path;
    std::string text;
  };
  // Whether to settle the secret key: serve, worker and check need it (and may
  // create the key file beside an SQLite database, or refuse PostgreSQL
  // without one); migrate and the user commands skip it, so they work without
  // one. A configured key is checked either way.
  enum class SecretKey { resolve, skip };

  // The testable core: `environment` holds variables by name (those not
  // starting with GATEHOUSE_ are ignored), `file` the TOML configuration if
  // any. A variable set to the empty string counts as unset. Throws
  // ConfigError for an unknown GATEHOUSE_* variable (except the allowed
  // ones that are not configuration: GATEHOUSE_CONFIG,
  // GATEHOUSE_SUPERUSER_PASSWORD, GATEHOUSE_CRYPTO, GATEHOUSE_FUZZ_SECONDS,
  // GATEHOUSE_SKIP_APT, GATEHOUSE_TEST_*), an unknown TOML key, a TOML
  // syntax error (naming the file) or a bad value.
  static Config from(const std::map<std::string, std::string>& environment, const std::optional<File>& file,
                     SecretKey secret = SecretKey::resolve);
  // from() over this process's environment and the file GATEHOUSE_CONFIG
  // names (ConfigError naming GATEHOUSE_CONFIG if it cannot be read).
  static Config load(SecretKey secret = SecretKey::resolve);
  // The same as load(), for earlier callers.
  static Config from_environment() { return load(); }
};

std::string_view to_string(EmailVerification v) noexcept;
std::string_view to_string(MfaRequired v) noexcept;

// GATEHOUSE_SECRET_KEY if set (at least 32 characters); else, for an SQLite
// file, a key generated once and kept (mode 0600) beside it in
// "<database>.secret_key"; sqlite::memory: gets a key per process. PostgreSQL
// without GATEHOUSE_SECRET_KEY is an error: several servers must share a key.
// Throws ConfigError (key GATEHOUSE_SECRET_KEY).
std::string secret_key_for(const std::string& database_url, const char* from_environment);

}  // namespace gatehouse::app
