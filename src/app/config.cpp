#include "gatehouse/app/config.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "gatehouse/auth/backends.h"

#include "gatehouse/cache/cache.h"
#include "gatehouse/core/random.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/passwords/hasher.h"

extern char** environ;

namespace gatehouse::app {

namespace {
// A message on one line whatever it quotes: control characters (a key or a
// value with a newline in it) become '?'.
std::string message_on_one_line(std::string text) {
  for (char& ch : text)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return text;
}
}  // namespace

ConfigError::ConfigError(std::string key, const std::string& message)
    : std::invalid_argument(message_on_one_line(message)), key_(message_on_one_line(std::move(key))) {}

namespace {

constexpr std::string_view kPrefix = "GATEHOUSE_";

// What a row's parser throws: what is wrong with the value, without the key.
struct Bad {
  std::string why;
};

// A value as it may appear in a message: one line, at most 60 bytes.
std::string shown(std::string_view v) {
  std::string out = "'";
  for (const char ch : v.substr(0, 60)) out += static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f ? '?' : ch;
  return out + (v.size() > 60 ? "...'" : "'");
}

bool has_control_character(std::string_view v) {
  return std::any_of(v.begin(), v.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  return out;
}

std::string variable_for(std::string_view key) {
  std::string out(kPrefix);
  for (const char ch : key) out += ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch;
  return out;
}

// A whole number from `min` to `max`; `what` names the unit in the message.
std::int64_t whole(const std::string& v, std::int64_t min, std::int64_t max, std::string_view what) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
    throw Bad{"must be a whole number of " + std::string(what) + " from " + std::to_string(min) + " to " +
              std::to_string(max) + ", not " + shown(v)};
  return n;
}

std::int64_t seconds(const std::string& v, std::int64_t min, std::int64_t max) { return whole(v, min, max, "seconds"); }

// 1/0, true/false, yes/no, on/off (any case).
bool flag(const std::string& v) {
  const std::string l = lower(v);
  if (l == "1" || l == "true" || l == "yes" || l == "on") return true;
  if (l == "0" || l == "false" || l == "no" || l == "off") return false;
  throw Bad{"must be 1 or 0 (true or false), not " + shown(v)};
}

// Text that ends up in headers and pages: one line.
std::string one_line(const std::string& v) {
  if (has_control_character(v)) throw Bad{"must be one line of text (no control characters)"};
  return v;
}

// The message of a parser of another layer, less the variable name it starts with.
std::string without_name(std::string message, std::string_view variable) {
  const std::string prefix = std::string(variable) + ": ";
  if (message.starts_with(prefix)) message.erase(0, prefix.size());
  else if (message.starts_with(std::string(variable) + " ")) message.erase(0, variable.size() + 1);
  return message;
}

std::string parse_database_url(const std::string& v) {
  std::string path = v.starts_with("sqlite:") ? v.substr(7) : "";
  if (path.starts_with("//")) path.erase(0, 2);
  const bool postgres = (v.starts_with("postgresql://") && v.size() > 13) || (v.starts_with("postgres://") && v.size() > 11);
  if (!postgres && path.empty())
    throw Bad{"must be sqlite:PATH, sqlite::memory: or postgresql://user:password@host:port/db"};
  return v;
}

std::string parse_email_url(const std::string& v) {
  if (v == "console:" || v == "memory:") return v;
  if (v.starts_with("file:")) {
    if (v.substr(v.starts_with("file://") ? 7 : 5).empty()) throw Bad{"file: names no directory"};
    return v;
  }
  if (!v.starts_with("smtp://") && !v.starts_with("smtps://"))
    throw Bad{"must be console:, memory:, file:/dir or smtp[s]://[user:password@]host:port[?starttls=1]"};
  try {
    (void)mail::backend_from_url(v);  // parses the URL; connects only to send
  } catch (const std::exception& e) {
    throw Bad{without_name(e.what(), "GATEHOUSE_EMAIL_URL")};
  }
  return v;
}

std::string parse_redis_url(const std::string& v) {
  try {
    (void)cache::parse_redis_url(v);
  } catch (const std::exception& e) {
    throw Bad{without_name(e.what(), "GATEHOUSE_REDIS_URL")};
  }
  return v;
}

// host:port, the host bracketed for IPv6 ("[::1]:8000"); port 0 picks a free one.
std::string parse_bind(const std::string& v) {
  const auto colon = v.rfind(':');
  const std::string host = colon == std::string::npos ? "" : v.substr(0, colon);
  std::int64_t port = -1;
  if (colon != std::string::npos) {
    const auto [end, ec] = std::from_chars(v.data() + colon + 1, v.data() + v.size(), port);
    if (ec != std::errc() || end != v.data() + v.size() || colon + 1 == v.size()) port = -1;
  }
  const bool bare_v6 = host.find(':') != std::string::npos && !(host.starts_with("[") && host.ends_with("]"));
  if (host.empty() || bare_v6 || has_control_character(host) || port < 0 || port > 65535)
    throw Bad{"must be host:port (port 0 to 65535; IPv6 as [::1]:8000), not " + shown(v)};
  return v;
}

// A comma-separated list of built-in backends ("model", "email", or their
// dotted names), tried in that order.
std::vector<std::string> parse_backends(const std::string& v) {
  std::vector<std::string> out;
  std::string_view rest = v;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string name(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    try {
      (void)auth::builtin_backend(name);
    } catch (const std::invalid_argument&) {
      throw Bad{"must list built-in backends (model, email), not '" + name + "'"};
    }
    out.push_back(name);
  }
  if (out.empty()) throw Bad{"must name at least one backend (model, email)"};
  return out;
}

std::vector<TrustedNetwork> parse_networks(const std::string& v) {
  std::vector<TrustedNetwork> out;
  std::string list = v;
  std::replace_if(list.begin(), list.end(), [](char ch) { return ch == ',' || ch == '\t' || ch == '\n'; }, ' ');
  std::istringstream in(list);
  std::string item;
  while (in >> item) {
    const auto n = TrustedNetwork::parse(item);
    if (!n)
      throw Bad{shown(item) + " is not a network: give address or address/length (CIDR, no host bits set), "
                               "separated by commas or spaces"};
    out.push_back(*n);
  }
  return out;
}

std::string parse_site_url(std::string v) {
  const std::size_t scheme = v.starts_with("https://") ? 8 : v.starts_with("http://") ? 7 : 0;
  if (scheme == 0 || v.size() == scheme || v[scheme] == '/' || has_control_character(v))
    throw Bad{"must be an http:// or https:// address, not " + shown(v)};
  while (v.ends_with("/")) v.pop_back();
  return v;
}

std::string parse_directory(const std::string& v) {
  std::error_code ec;
  if (!std::filesystem::is_directory(v, ec)) throw Bad{shown(v) + " is not a directory"};
  return v;
}

template <class E, std::size_t N>
E choice(const std::string& v, const std::array<std::pair<std::string_view, E>, N>& options) {
  std::string names;
  for (const auto& [name, value] : options) {
    if (v == name) return value;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw Bad{"must be one of " + names + ", not " + shown(v)};
}

constexpr std::array<std::pair<std::string_view, EmailVerification>, 3> kVerification{
    {{"none", EmailVerification::none}, {"optional", EmailVerification::optional}, {"mandatory", EmailVerification::mandatory}}};
constexpr std::array<std::pair<std::string_view, MfaRequired>, 3> kMfa{
    {{"none", MfaRequired::none}, {"staff", MfaRequired::staff}, {"all", MfaRequired::all}}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kSessionStores{
    {{"database", "database"}, {"cache", "cache"}, {"signed_cookies", "signed_cookies"}}};

// What a key takes in the TOML file besides a string.
enum TomlAlso : unsigned { kString = 0, kInteger = 1, kBoolean = 2, kArray = 4 };

// One configuration key: its TOML name (the variable is GATEHOUSE_ and the
// upper-cased name), what TOML types it takes, and the parser that checks a
// value (as text; TOML integers, booleans and string arrays are first
// written as text) and stores it, throwing Bad.
struct Row {
  std::string_view key;
  unsigned toml;
  void (*apply)(Config& c, const std::string& v);
};

constexpr Row kRows[] = {
    {"database_url", kString, [](Config& c, const std::string& v) { c.database_url = parse_database_url(v); }},
    {"secret_key", kString,
     [](Config& c, const std::string& v) {
       if (v.size() < 32 || has_control_character(v)) throw Bad{"must be at least 32 characters, on one line"};
       c.secret_key = v;
     }},
    {"email_url", kString, [](Config& c, const std::string& v) { c.email_url = parse_email_url(v); }},
    {"redis_url", kString, [](Config& c, const std::string& v) { c.redis_url = parse_redis_url(v); }},
    {"bind", kString, [](Config& c, const std::string& v) { c.bind = parse_bind(v); }},
    {"pbkdf2_iterations", kInteger,
     [](Config& c, const std::string& v) {
       const auto max = static_cast<std::int64_t>(passwords::HasherLimits{}.max_pbkdf2_iterations);
       c.pbkdf2_iterations = static_cast<std::uint64_t>(whole(v, 1, max, "iterations"));
     }},
    {"trusted_proxies", kArray, [](Config& c, const std::string& v) { c.trusted_proxies = parse_networks(v); }},
    {"authentication_backends", kArray, [](Config& c, const std::string& v) { c.authentication_backends = parse_backends(v); }},
    {"secure_cookies", kInteger | kBoolean, [](Config& c, const std::string& v) { c.secure_cookies = flag(v); }},
    {"unique_email", kInteger | kBoolean, [](Config& c, const std::string& v) { c.unique_email = flag(v); }},
    {"hsts_seconds", kInteger, [](Config& c, const std::string& v) { c.hsts_seconds = seconds(v, 0, 315'360'000); }},
    {"email_verification", kString,
     [](Config& c, const std::string& v) { c.email_verification = choice(v, kVerification); }},
    {"mfa_required", kString, [](Config& c, const std::string& v) { c.mfa_required = choice(v, kMfa); }},
    {"max_connections", kInteger,
     [](Config& c, const std::string& v) { c.max_connections = whole(v, 1, 1'000'000, "connections"); }},
    {"session_store", kString,
     [](Config& c, const std::string& v) { c.session_store = std::string(choice(v, kSessionStores)); }},
    {"templates_dir", kString, [](Config& c, const std::string& v) { c.templates_dir = parse_directory(v); }},
    {"throttle", kInteger | kBoolean, [](Config& c, const std::string& v) { c.throttle = flag(v); }},
    {"access_log", kInteger | kBoolean, [](Config& c, const std::string& v) { c.access_log = flag(v); }},
    {"worker", kInteger | kBoolean, [](Config& c, const std::string& v) { c.run_worker = flag(v); }},
    {"worker_lease_seconds", kInteger,
     [](Config& c, const std::string& v) { c.worker_lease_seconds = seconds(v, 1, 86400); }},
    {"reset_code_seconds", kInteger,
     [](Config& c, const std::string& v) { c.reset_code_seconds = seconds(v, 1, 86400); }},
    {"default_from_email", kString, [](Config& c, const std::string& v) { c.default_from_email = one_line(v); }},
    {"site_name", kString, [](Config& c, const std::string& v) { c.site_name = one_line(v); }},
    {"site_url", kString, [](Config& c, const std::string& v) { c.site_url = parse_site_url(v); }},
};

const Row* row_for(std::string_view key) {
  for (const Row& r : kRows)
    if (r.key == key) return &r;
  return nullptr;
}

// GATEHOUSE_* variables that are not configuration but are in use (the CLI,
// the benchmarks' crypto dispatch, the test and install scripts).
bool allowed_elsewhere(std::string_view variable) {
  return variable == "GATEHOUSE_CONFIG" || variable == "GATEHOUSE_SUPERUSER_PASSWORD" ||
         variable == "GATEHOUSE_CRYPTO" || variable == "GATEHOUSE_FUZZ_SECONDS" || variable == "GATEHOUSE_SKIP_APT" ||
         variable.starts_with("GATEHOUSE_TEST_");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "unknown setting", with the nearest known key when one is close.
std::string unknown(std::string_view key, bool variable) {
  std::string message = "unknown setting";
  const Row* nearest = nullptr;
  std::size_t best = 3;  // at most two edits away
  const std::string plain = lower(variable ? key.substr(kPrefix.size()) : key);
  for (const Row& r : kRows)
    if (const auto d = edit_distance(plain, r.key); d < best) {
      best = d;
      nearest = &r;
    }
  if (nearest != nullptr) message += " (did you mean " + (variable ? variable_for(nearest->key) : std::string(nearest->key)) + "?)";
  return message + "; the settings are listed in docs/configuration.md";
}

// A TOML value as the text its row parses, or Bad for a type the key does not take.
std::string toml_text(const toml::node& node, unsigned accepts) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer(); i != nullptr && (accepts & kInteger) != 0) return std::to_string(i->get());
  if (const auto* b = node.as_boolean(); b != nullptr && (accepts & kBoolean) != 0) return b->get() ? "true" : "false";
  if (const auto* a = node.as_array(); a != nullptr && (accepts & kArray) != 0) {
    std::string joined;
    for (const auto& element : *a) {
      const auto* s = element.as_string();
      if (s == nullptr) throw Bad{"must be an array of strings"};
      joined += (joined.empty() ? "" : ",") + s->get();
    }
    return joined;
  }
  std::string types = "a string";
  if ((accepts & kInteger) != 0) types += (accepts & kBoolean) != 0 ? ", an integer" : " or an integer";
  if ((accepts & kBoolean) != 0) types += " or a boolean";
  if ((accepts & kArray) != 0) types += " or an array of strings";
  throw Bad{"must be " + types};
}

ConfigError file_error(const Config::File& file, const toml::node* at, std::string_view key, const std::string& why) {
  std::string where = file.path;
  if (at != nullptr && at->source().begin.line != 0) where += ":" + std::to_string(at->source().begin.line);
  const std::string named = key.empty() ? std::string("\"\"") : std::string(key);  // the empty key, quoted as TOML writes it
  return ConfigError(named, where + ": " + named + ": " + why);
}

// Applies every key of the TOML document to `c`.
// The line of the first character toml++ 3.3 cannot be given (0: none).
// Its is_non_ascii_horizontal_whitespace reaches __builtin_unreachable for
// U+00A1-U+0499, U+2C5E-U+3057 (but U+3000) and U+FB26-U+FEFE wherever it
// looks for whitespace (found by fuzz/config_fuzz.cpp): undefined behaviour,
// so such text is refused before toml++ sees it; in a string, write the
// character as a \uXXXX escape.
std::size_t character_toml_cannot_take(std::string_view t) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < t.size();) {
    const auto b0 = static_cast<unsigned char>(t[i]);
    if (b0 == '\n') ++line;
    std::size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 1;
    if (i + n > t.size()) n = 1;
    char32_t c = n == 1 ? b0 : n == 2 ? (b0 & 0x1Fu) : n == 3 ? (b0 & 0x0Fu) : (b0 & 0x07u);
    for (std::size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(t[i + k]) & 0x3Fu);
    if (n > 1 && ((c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) || (c >= 0xFB26 && c <= 0xFEFE)))
      return line;
    i += n;
  }
  return 0;
}

void apply_file(Config& c, const Config::File& file) {
  if (const std::size_t line = character_toml_cannot_take(file.text); line != 0)
    throw ConfigError("GATEHOUSE_CONFIG", file.path + ":" + std::to_string(line) +
                                              ": a character the TOML parser cannot take (U+00A1-U+0499 and some others): "
                                              "write it as a \\uXXXX escape in a string");
  toml::table table;
  try {
    table = toml::parse(file.text, file.path);
  } catch (const toml::parse_error& e) {
    std::string why(e.description());
    std::replace_if(why.begin(), why.end(), [](char ch) { return ch == '\n' || ch == '\r'; }, ' ');
    throw ConfigError("GATEHOUSE_CONFIG", file.path + ":" + std::to_string(e.source().begin.line) + ":" +
                                              std::to_string(e.source().begin.column) + ": not valid TOML: " + why);
  }
  for (auto&& [name, node] : table) {
    const std::string key(name.str());
    const Row* row = row_for(key);
    if (row == nullptr)
      throw file_error(file, &node, key,
                       key == "config" ? "only the environment (GATEHOUSE_CONFIG) names the configuration file"
                                       : unknown(key, false));
    try {
      const std::string text = toml_text(node, row->toml);
      if (!text.empty()) row->apply(c, text);
    } catch (const Bad& bad) {
      throw file_error(file, &node, key, bad.why);
    }
  }
}

// Applies every GATEHOUSE_* variable of `environment` to `c`; empty ones count as unset.
void apply_environment(Config& c, const std::map<std::string, std::string>& environment) {
  for (const auto& [variable, value] : environment) {
    if (!variable.starts_with(kPrefix) || allowed_elsewhere(variable)) continue;
    const std::string key = lower(std::string_view(variable).substr(kPrefix.size()));
    const Row* row = variable_for(key) == variable ? row_for(key) : nullptr;
    if (row == nullptr) throw ConfigError(variable, variable + ": " + unknown(variable, true));
    if (value.empty()) continue;
    try {
      row->apply(c, value);
    } catch (const Bad& bad) {
      throw ConfigError(variable, variable + ": " + bad.why);
    }
  }
}

}  // namespace

std::string_view to_string(EmailVerification v) noexcept {
  return v == EmailVerification::none ? "none" : v == EmailVerification::optional ? "optional" : "mandatory";
}

std::string_view to_string(MfaRequired v) noexcept {
  return v == MfaRequired::none ? "none" : v == MfaRequired::staff ? "staff" : "all";
}

Config Config::from(const std::map<std::string, std::string>& environment, const std::optional<File>& file,
                    SecretKey secret) {
  Config c;
  if (file) {
    c.config_file = file->path;
    apply_file(c, *file);  // first, so that the environment wins
  }
  apply_environment(c, environment);
  if (secret == SecretKey::resolve)
    c.secret_key = secret_key_for(c.database_url, c.secret_key.empty() ? nullptr : c.secret_key.c_str());
  return c;
}

namespace {

// The whole file at `path`; ConfigError naming GATEHOUSE_CONFIG if it cannot be read.
std::string read_config_file(const std::string& path) {
  const auto refuse = [&](const std::string& why) {
    return ConfigError("GATEHOUSE_CONFIG", "GATEHOUSE_CONFIG: cannot read " + shown(path) + ": " + why);
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw refuse("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw refuse(std::strerror(errno != 0 ? errno : ENOENT));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw refuse("read error");
  return text.str();
}

}  // namespace

Config Config::load(SecretKey secret) {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (text.starts_with(kPrefix) && eq != std::string_view::npos)
      environment.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  std::optional<File> file;
  if (const auto it = environment.find("GATEHOUSE_CONFIG"); it != environment.end() && !it->second.empty()) {
    file = File{it->second, read_config_file(it->second)};
  }
  return from(environment, file, secret);
}

// ---- the secret key ------------------------------------------------------------------

namespace {

// A fresh key written to `key_file` (mode 0600 from the start) and returned.
std::string create_key_file(const std::filesystem::path& key_file) {
  const std::string key = core::random_string(50);
  const std::string tmp = key_file.string() + ".tmp";
  {
    const mode_t old = ::umask(077);  // 0600 from the start: never readable by others
    std::ofstream out(tmp);
    ::umask(old);
    out << key << "\n";
    if (!out.flush()) throw ConfigError("GATEHOUSE_SECRET_KEY", "GATEHOUSE_SECRET_KEY: unset, and the key file " + tmp +
                                                                    " cannot be written");
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(tmp, key_file);
  return key;
}

}  // namespace

std::string secret_key_for(const std::string& database_url, const char* from_environment) {
  const auto error = [](const std::string& why) { return ConfigError("GATEHOUSE_SECRET_KEY", "GATEHOUSE_SECRET_KEY: " + why); };
  if (from_environment != nullptr && *from_environment != '\0') {
    if (std::string_view(from_environment).size() < 32) throw error("must be at least 32 characters");
    return from_environment;
  }
  if (database_url == "sqlite::memory:") return core::random_string(50);
  if (!database_url.starts_with("sqlite:"))
    throw error("required with a database other than SQLite: every server sharing the database must sign with "
                "the same key");
  std::string path = database_url.substr(7);
  if (path.starts_with("//")) path = path.substr(2);
  const std::filesystem::path key_file = std::filesystem::path(path).replace_extension(".secret_key");
  if (std::ifstream in(key_file); in) {
    std::string key;
    std::getline(in, key);
    if (key.size() >= 32) return key;
    throw error("unset, and the key file " + key_file.string() + " is damaged (under 32 characters)");
  }
  try {
    return create_key_file(key_file);
  } catch (const std::filesystem::filesystem_error& e) {
    throw error("unset, and the key file " + key_file.string() + " cannot be created: " + e.code().message());
  }
}

}  // namespace gatehouse::app
