// Feeds the configuration file: app::Config::from() with no environment and
// the input as the TOML text of "fuzz.toml" (the secret key is not settled, so
// nothing is written to disk). Properties: it returns or throws
// app::ConfigError, nothing else; a ConfigError names a key, and its message
// is one line (it ends up in logs) that starts with the file's name.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gatehouse/app/config.h"

namespace app = gatehouse::app;

namespace {

void require(bool ok, const char* what, std::string_view message) {
  if (ok) return;
  std::fprintf(stderr, "config_fuzz: %s: %.*s\n", what, static_cast<int>(message.size()), message.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const app::Config::File file{"fuzz.toml", std::string(reinterpret_cast<const char*>(data), size)};
  try {
    const app::Config c = app::Config::from({}, file, app::Config::SecretKey::skip);
    require(c.config_file == "fuzz.toml", "the file read is not named", c.config_file);
    require(!c.bind.empty() && !c.database_url.empty(), "an accepted file left bind or database_url empty", c.bind);
  } catch (const app::ConfigError& e) {
    const std::string_view message = e.what();
    require(!e.key().empty(), "a ConfigError names no key", message);
    require(message.find_first_of("\r\n") == std::string_view::npos, "a ConfigError message is not one line", message);
    require(message.starts_with("fuzz.toml:"), "a ConfigError message does not name the file", message);
  }
  return 0;
}
