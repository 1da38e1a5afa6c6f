// app::Config: every key from the environment and from the TOML file, the
// environment winning, and each refusal in one line naming the key.
#include "gatehouse/app/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "gatehouse/passwords/registry.h"

namespace gatehouse::app {
namespace {

using Env = std::map<std::string, std::string>;
using Secret = Config::SecretKey;

std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("gatehouse-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

Config::File toml(const std::string& text) { return {"/etc/gatehouse.toml", text}; }

// The error from() throws, or "" if it does not.
std::string refusal(const Env& env, const std::optional<Config::File>& file = std::nullopt,
                    Secret secret = Secret::skip) {
  try {
    (void)Config::from(env, file, secret);
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
    return e.what();
  }
  return "";
}

// The values every_key_from_* sets, one per key, none the default.
void expect_every_key_set(const Config& c) {
  EXPECT_EQ(c.database_url, "sqlite::memory:");
  EXPECT_EQ(c.secret_key, "a secret key that is long enough, really");
  EXPECT_EQ(c.email_url, "memory:");
  EXPECT_EQ(c.redis_url, "redis://cache:6380/2");
  EXPECT_EQ(c.bind, "0.0.0.0:9000");
  EXPECT_EQ(c.pbkdf2_iterations, 2000u);
  ASSERT_EQ(c.trusted_proxies.size(), 2u);
  EXPECT_EQ(c.trusted_proxies[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(c.trusted_proxies[1].to_string(), "::1/128");
  EXPECT_TRUE(c.secure_cookies);
  EXPECT_EQ(c.hsts_seconds, 31536000);
  EXPECT_EQ(c.email_verification, EmailVerification::mandatory);
  EXPECT_EQ(c.mfa_required, MfaRequired::staff);
  EXPECT_EQ(c.max_connections, 500);
  EXPECT_EQ(c.session_store, "signed_cookies");
  EXPECT_EQ(c.templates_dir, temp_dir().string());
  EXPECT_FALSE(c.throttle);
  EXPECT_FALSE(c.access_log);
  EXPECT_FALSE(c.run_worker);
  EXPECT_EQ(c.worker_lease_seconds, 30);
  EXPECT_EQ(c.reset_code_seconds, 900);
  EXPECT_EQ(c.default_from_email, "noreply@example.com");
  EXPECT_EQ(c.site_name, "Example");
  EXPECT_EQ(c.site_url, "https://example.com");  // without the trailing slash
}

TEST(Config, Defaults) {
  const Config c = Config::from({}, std::nullopt, Secret::skip);
  EXPECT_EQ(c.database_url, "sqlite:gatehouse.sqlite3");
  EXPECT_EQ(c.secret_key, "");
  EXPECT_EQ(c.email_url, "console:");
  EXPECT_EQ(c.redis_url, "");
  EXPECT_EQ(c.bind, "127.0.0.1:8000");
  EXPECT_EQ(c.pbkdf2_iterations, 1'500'000u);  // Django's
  EXPECT_TRUE(c.trusted_proxies.empty());
  EXPECT_FALSE(c.secure_cookies);
  EXPECT_EQ(c.hsts_seconds, 0);
  EXPECT_EQ(c.email_verification, EmailVerification::optional);
  EXPECT_EQ(c.mfa_required, MfaRequired::none);
  EXPECT_EQ(c.max_connections, 10000);
  EXPECT_EQ(c.session_store, "");
  EXPECT_EQ(c.templates_dir, "");
  EXPECT_TRUE(c.throttle);
  EXPECT_TRUE(c.access_log);
  EXPECT_TRUE(c.run_worker);
  EXPECT_EQ(c.worker_lease_seconds, 60);
  EXPECT_EQ(c.reset_code_seconds, 600);
  EXPECT_EQ(c.default_from_email, "webmaster@localhost");
  EXPECT_EQ(c.site_name, "Gatehouse");
  EXPECT_EQ(c.site_url, "");
  EXPECT_EQ(c.config_file, "");
  EXPECT_EQ(to_string(c.email_verification), "optional");
  EXPECT_EQ(to_string(c.mfa_required), "none");
}

TEST(Config, SecretKeyResolvedOnlyWhenAsked) {
  EXPECT_EQ(Config::from({{"GATEHOUSE_DATABASE_URL", "sqlite::memory:"}}, std::nullopt).secret_key.size(), 50u);
  const Env postgres{{"GATEHOUSE_DATABASE_URL", "postgresql://u@h/db"}};
  EXPECT_EQ(Config::from(postgres, std::nullopt, Secret::skip).secret_key, "");  // migrate needs none
  const std::string e = refusal(postgres, std::nullopt, Secret::resolve);
  EXPECT_TRUE(e.starts_with("GATEHOUSE_SECRET_KEY: required")) << e;
  const std::string db = "sqlite:" + (temp_dir() / "keyed.sqlite3").string();
  const std::string first = Config::from({{"GATEHOUSE_DATABASE_URL", db}}, std::nullopt).secret_key;
  EXPECT_EQ(Config::from({{"GATEHOUSE_DATABASE_URL", db}}, std::nullopt).secret_key, first);  // kept beside it
  try {
    (void)secret_key_for("postgresql://h/db", nullptr);
    ADD_FAILURE() << "no key for PostgreSQL";
  } catch (const ConfigError& err) {
    EXPECT_EQ(err.key(), "GATEHOUSE_SECRET_KEY");
  }
}

TEST(Config, EveryKeyFromTheEnvironment) {
  const Config c = Config::from({{"GATEHOUSE_DATABASE_URL", "sqlite::memory:"},
                                 {"GATEHOUSE_SECRET_KEY", "a secret key that is long enough, really"},
                                 {"GATEHOUSE_EMAIL_URL", "memory:"},
                                 {"GATEHOUSE_REDIS_URL", "redis://cache:6380/2"},
                                 {"GATEHOUSE_BIND", "0.0.0.0:9000"},
                                 {"GATEHOUSE_PBKDF2_ITERATIONS", "2000"},
                                 {"GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8, ::1"},
                                 {"GATEHOUSE_SECURE_COOKIES", "1"},
                                 {"GATEHOUSE_HSTS_SECONDS", "31536000"},
                                 {"GATEHOUSE_EMAIL_VERIFICATION", "mandatory"},
                                 {"GATEHOUSE_MFA_REQUIRED", "staff"},
                                 {"GATEHOUSE_MAX_CONNECTIONS", "500"},
                                 {"GATEHOUSE_SESSION_STORE", "signed_cookies"},
                                 {"GATEHOUSE_TEMPLATES_DIR", temp_dir().string()},
                                 {"GATEHOUSE_THROTTLE", "0"},
                                 {"GATEHOUSE_ACCESS_LOG", "false"},
                                 {"GATEHOUSE_WORKER", "off"},
                                 {"GATEHOUSE_WORKER_LEASE_SECONDS", "30"},
                                 {"GATEHOUSE_RESET_CODE_SECONDS", "900"},
                                 {"GATEHOUSE_DEFAULT_FROM_EMAIL", "noreply@example.com"},
                                 {"GATEHOUSE_SITE_NAME", "Example"},
                                 {"GATEHOUSE_SITE_URL", "https://example.com/"},
                                 // not configuration, but in use: allowed
                                 {"GATEHOUSE_CONFIG", ""},
                                 {"GATEHOUSE_SUPERUSER_PASSWORD", "x"},
                                 {"GATEHOUSE_CRYPTO", "portable"},
                                 {"GATEHOUSE_TEST_POSTGRES_URL", "postgresql://localhost/test"},
                                 {"GATEHOUSE_FUZZ_SECONDS", "5"},
                                 {"GATEHOUSE_SKIP_APT", "1"},
                                 {"HOME", "/root"}},
                                std::nullopt);
  expect_every_key_set(c);
}

const std::string kEveryKey = R"(# every key
database_url = "sqlite::memory:"
secret_key = "a secret key that is long enough, really"
email_url = "memory:"
redis_url = "redis://cache:6380/2"
bind = "0.0.0.0:9000"
pbkdf2_iterations = 2000
trusted_proxies = ["10.0.0.0/8", "::1"]
secure_cookies = true
hsts_seconds = 31536000
email_verification = "mandatory"
mfa_required = "staff"
max_connections = 500
session_store = "signed_cookies"
throttle = false
access_log = 0
worker = "no"
worker_lease_seconds = 30
reset_code_seconds = "900"
default_from_email = "noreply@example.com"
site_name = "Example"
site_url = "https://example.com/"
)";

TEST(Config, EveryKeyFromTheFile) {
  const std::string text = kEveryKey + "templates_dir = '" + temp_dir().string() + "'\n";
  const Config c = Config::from({}, toml(text));
  expect_every_key_set(c);
  EXPECT_EQ(c.config_file, "/etc/gatehouse.toml");
}

TEST(Config, TheEnvironmentWins) {
  const Config c = Config::from({{"GATEHOUSE_SITE_NAME", "From the environment"},
                                 {"GATEHOUSE_HSTS_SECONDS", "60"},
                                 {"GATEHOUSE_THROTTLE", "1"},
                                 {"GATEHOUSE_BIND", ""}},  // empty: unset, the file's value stands
                                toml("site_name = 'From the file'\nhsts_seconds = 3600\nthrottle = false\n"
                                     "bind = '127.0.0.1:9999'\nmax_connections = 7\n"),
                                Secret::skip);
  EXPECT_EQ(c.site_name, "From the environment");
  EXPECT_EQ(c.hsts_seconds, 60);
  EXPECT_TRUE(c.throttle);
  EXPECT_EQ(c.bind, "127.0.0.1:9999");
  EXPECT_EQ(c.max_connections, 7);
}

TEST(Config, UnknownVariableRefusedByName) {
  std::string e = refusal({{"GATEHOUSE_HSTS_SECOND", "60"}});
  EXPECT_TRUE(e.starts_with("GATEHOUSE_HSTS_SECOND: unknown setting")) << e;
  EXPECT_NE(e.find("did you mean GATEHOUSE_HSTS_SECONDS?"), std::string::npos) << e;
  e = refusal({{"GATEHOUSE_FROBNICATE", "1"}});
  EXPECT_TRUE(e.starts_with("GATEHOUSE_FROBNICATE: unknown setting")) << e;
  EXPECT_EQ(e.find("did you mean"), std::string::npos) << e;
  e = refusal({{"GATEHOUSE_database_url", "sqlite::memory:"}});  // the names are upper-case
  EXPECT_TRUE(e.starts_with("GATEHOUSE_database_url: unknown setting")) << e;
  e = refusal({{"GATEHOUSE_NOPE", ""}});  // refused even when empty
  EXPECT_TRUE(e.starts_with("GATEHOUSE_NOPE: unknown")) << e;
  try {
    (void)Config::from({{"GATEHOUSE_NOPE", "1"}}, std::nullopt, Secret::skip);
  } catch (const ConfigError& err) {
    EXPECT_EQ(err.key(), "GATEHOUSE_NOPE");
  }
}

TEST(Config, UnknownFileKeyRefusedByName) {
  std::string e = refusal({}, toml("site_name = 'x'\nsite_nmae = 'y'\n"));
  EXPECT_TRUE(e.starts_with("/etc/gatehouse.toml:2: site_nmae: unknown setting (did you mean site_name?)")) << e;
  e = refusal({}, toml("[server]\nbind = '0.0.0.0:80'\n"));  // no tables: the keys are flat
  EXPECT_TRUE(e.starts_with("/etc/gatehouse.toml:1: server: unknown setting")) << e;
  e = refusal({}, toml("DATABASE_URL = 'sqlite::memory:'\n"));  // the keys are lower-case
  EXPECT_TRUE(e.starts_with("/etc/gatehouse.toml:1: DATABASE_URL: unknown setting (did you mean database_url?)")) << e;
  e = refusal({}, toml("config = 'other.toml'\n"));
  EXPECT_TRUE(e.starts_with("/etc/gatehouse.toml:1: config: only the environment")) << e;
}

TEST(Config, BadTomlRefusedNamingTheFile) {
  const std::string e = refusal({}, toml("site_name = 'x'\nhsts_seconds = = 5\n"));
  EXPECT_TRUE(e.starts_with("/etc/gatehouse.toml:2:")) << e;
  EXPECT_NE(e.find("not valid TOML"), std::string::npos) << e;
  EXPECT_FALSE(refusal({}, toml("site_name = 'x'\nsite_name = 'y'\n")).empty()) << "a key given twice";
}

TEST(Config, EachBadValueRefusedNamingTheVariable) {
  const std::pair<const char*, const char*> bad[] = {
      {"GATEHOUSE_DATABASE_URL", "mysql://nope"},     {"GATEHOUSE_DATABASE_URL", "sqlite:"},
      {"GATEHOUSE_SECRET_KEY", "short-secret"},       {"GATEHOUSE_EMAIL_URL", "pigeon://coop"},
      {"GATEHOUSE_EMAIL_URL", "smtp://host:99999"},   {"GATEHOUSE_EMAIL_URL", "file:"},
      {"GATEHOUSE_REDIS_URL", "http://cache:6379"},   {"GATEHOUSE_BIND", "localhost"},
      {"GATEHOUSE_BIND", "127.0.0.1:70000"},          {"GATEHOUSE_BIND", "::1:8000"},
      {"GATEHOUSE_PBKDF2_ITERATIONS", "0"},           {"GATEHOUSE_PBKDF2_ITERATIONS", "12x"},
      {"GATEHOUSE_PBKDF2_ITERATIONS", "100000001"},   {"GATEHOUSE_TRUSTED_PROXIES", "10.0.0.1/8"},
      {"GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/33"},   {"GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8,proxy.example"},
      {"GATEHOUSE_SECURE_COOKIES", "maybe"},          {"GATEHOUSE_HSTS_SECONDS", "-1"},
      {"GATEHOUSE_HSTS_SECONDS", "1y"},               {"GATEHOUSE_EMAIL_VERIFICATION", "always"},
      {"GATEHOUSE_MFA_REQUIRED", "admins"},           {"GATEHOUSE_MAX_CONNECTIONS", "0"},
      {"GATEHOUSE_MAX_CONNECTIONS", "lots"},          {"GATEHOUSE_SESSION_STORE", "memcached"},
      {"GATEHOUSE_TEMPLATES_DIR", "/no/such/dir"},    {"GATEHOUSE_THROTTLE", "2"},
      {"GATEHOUSE_ACCESS_LOG", "quiet"},              {"GATEHOUSE_WORKER", "nope"},
      {"GATEHOUSE_WORKER_LEASE_SECONDS", "soon"},     {"GATEHOUSE_WORKER_LEASE_SECONDS", "0"},
      {"GATEHOUSE_RESET_CODE_SECONDS", "86401"},      {"GATEHOUSE_DEFAULT_FROM_EMAIL", "a@b\r\nBcc: x@y"},
      {"GATEHOUSE_SITE_NAME", "two\nlines"},          {"GATEHOUSE_SITE_URL", "example.com"},
  };
  for (const auto& [name, value] : bad) {
    try {
      (void)Config::from({{name, value}}, std::nullopt, Secret::skip);
      ADD_FAILURE() << name << "=" << value << " was accepted";
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_TRUE(what.starts_with(std::string(name) + ": ")) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(e.key(), name);
    }
  }
  EXPECT_EQ(refusal({{"GATEHOUSE_SECRET_KEY", "short-secret"}}).find("short-secret"), std::string::npos)
      << "a secret is never shown";
  EXPECT_EQ(refusal({{"GATEHOUSE_DATABASE_URL", "mysql://u:pw-secret@h/db"}}).find("pw-secret"), std::string::npos);
}

TEST(Config, EachBadFileValueRefusedNamingTheKey) {
  const std::pair<const char*, const char*> bad[] = {
      {"hsts_seconds", "'soon'"},        {"hsts_seconds", "1.5"},        {"site_name", "5"},
      {"secure_cookies", "2"},           {"trusted_proxies", "[1, 2]"},  {"bind", "true"},
      {"email_verification", "'no'"},    {"max_connections", "-3"},      {"worker", "{ a = 1 }"},
  };
  for (const auto& [key, value] : bad) {
    const std::string e = refusal({}, toml(std::string("\n") + key + " = " + value + "\n"));
    EXPECT_TRUE(e.starts_with(std::string("/etc/gatehouse.toml:2: ") + key + ": ")) << key << ": " << e;
  }
  // The file's values are checked even where the environment overrides them.
  EXPECT_FALSE(refusal({{"GATEHOUSE_HSTS_SECONDS", "5"}}, toml("hsts_seconds = 'x'\n")).empty());
}

TEST(Config, LoadReadsTheEnvironmentAndTheFileItNames) {
  const auto path = temp_dir() / "gatehouse.toml";
  std::ofstream(path) << "site_name = 'From the file'\nmfa_required = 'all'\n";
  setenv("GATEHOUSE_CONFIG", path.c_str(), 1);
  setenv("GATEHOUSE_MFA_REQUIRED", "staff", 1);
  const Config c = Config::load(Secret::skip);
  EXPECT_EQ(c.config_file, path.string());
  EXPECT_EQ(c.site_name, "From the file");
  EXPECT_EQ(c.mfa_required, MfaRequired::staff);
  setenv("GATEHOUSE_CONFIG", (temp_dir() / "missing.toml").c_str(), 1);
  try {
    (void)Config::load(Secret::skip);
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("GATEHOUSE_CONFIG: cannot read")) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.toml"), std::string::npos) << e.what();
  }
  unsetenv("GATEHOUSE_CONFIG");
  unsetenv("GATEHOUSE_MFA_REQUIRED");
}

TEST(TrustedNetwork, ParsesContainsAndPrints) {
  const auto v4 = TrustedNetwork::parse("192.168.0.0/16");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains("192.168.3.4"));
  EXPECT_TRUE(v4->contains("::ffff:192.168.3.4"));  // IPv4-mapped
  EXPECT_FALSE(v4->contains("192.169.0.1"));
  EXPECT_FALSE(v4->contains("not an address"));
  const auto v6 = TrustedNetwork::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("2001:db8:1::5"));
  EXPECT_FALSE(v6->contains("2001:db9::1"));
  EXPECT_FALSE(v6->contains("10.0.0.1"));
  EXPECT_EQ(v6->to_string(), "2001:db8::/32");
  EXPECT_EQ(TrustedNetwork::parse("10.1.2.3")->to_string(), "10.1.2.3/32");
  EXPECT_TRUE(TrustedNetwork::parse("0.0.0.0/0")->contains("8.8.8.8"));
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/", "10.0.0.0/x", "::1/129", "10.0.0", "", "fe80::1%eth0"})
    EXPECT_FALSE(TrustedNetwork::parse(bad)) << bad;
}

// The scheme is believed only from a trusted proxy, and it is the scheme of
// the hop whose address is taken: what a client writes for itself is not.
TEST(ForwardedOrigin, TheSchemeComesFromTheHopThatNamedTheClient) {
  const web::TrustedProxies nginx = {*TrustedNetwork::parse("127.0.0.2")};
  const auto origin = [&](std::string_view peer, std::string_view fwd, std::string_view xff, std::string_view xfp) {
    return web::forwarded_origin(peer, fwd, xff, xfp, nginx);
  };
  auto o = origin("127.0.0.2", "", "198.51.100.7", "https");
  EXPECT_EQ(o.address, "198.51.100.7");
  EXPECT_TRUE(o.secure) << "nginx's $scheme";
  EXPECT_FALSE(origin("127.0.0.2", "", "198.51.100.7", "http").secure);
  EXPECT_TRUE(origin("127.0.0.2", "", "198.51.100.7", "HTTPS").secure) << "case-insensitive";
  o = origin("203.0.113.5", "", "198.51.100.7", "https");
  EXPECT_EQ(o.address, "203.0.113.5") << "an untrusted peer names nobody";
  EXPECT_FALSE(o.secure) << "nor the scheme: Gatehouse itself speaks plain HTTP";
  EXPECT_TRUE(origin("127.0.0.2", "", "", "https").secure) << "a trusted peer naming only the scheme";
  EXPECT_EQ(origin("127.0.0.2", "", "", "https").address, "127.0.0.2");
  // Appended lists: the entry as far from the right as the address taken.
  o = origin("127.0.0.2", "", "10.9.9.9, 198.51.100.7", "https, http");
  EXPECT_EQ(o.address, "198.51.100.7");
  EXPECT_FALSE(o.secure) << "the client's own 'https' sits to the left";
  // Forwarded: the proto= of the element whose for= is the client.
  o = origin("127.0.0.2", "for=10.9.9.9;proto=https, for=\"198.51.100.7:4711\";proto=http", "", "https");
  EXPECT_EQ(o.address, "198.51.100.7");
  EXPECT_FALSE(o.secure) << "Forwarded wins over X-Forwarded-Proto, element by element";
  o = origin("127.0.0.2", "For=198.51.100.7;Proto=\"https\";by=127.0.0.2", "", "");
  EXPECT_EQ(o.address, "198.51.100.7");
  EXPECT_TRUE(o.secure);
  EXPECT_FALSE(origin("127.0.0.2", "for=unknown;proto=https", "", "").secure) << "an unreadable hop: the peer answers";
}

TEST(Config, PasswordRegistryTakesTheConfiguredIterations) {
  // Nothing in this binary sets the count before the registry is first built,
  // so it is built with GATEHOUSE_PBKDF2_ITERATIONS.
  (void)passwords::default_hashers();
  const std::uint64_t built = passwords::pbkdf2_iterations_from_environment();
  EXPECT_NO_THROW(passwords::set_default_pbkdf2_iterations(built));  // the same: a no-op
  EXPECT_THROW(passwords::set_default_pbkdf2_iterations(built + 1), std::logic_error);
  EXPECT_THROW(passwords::set_default_pbkdf2_iterations(0), std::invalid_argument);
  EXPECT_THROW(passwords::set_default_pbkdf2_iterations(100'000'001), std::invalid_argument);
}

}  // namespace
}  // namespace gatehouse::app
