#include "password_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include "gatehouse/app/config.h"
#include "gatehouse/passwords/hashers.h"
#include "gatehouse/passwords/registry.h"
#include "stdin_password.h"

namespace gatehouse::cli {

namespace {

// The process's registry at the configured work factor (GATEHOUSE_PBKDF2_ITERATIONS
// or the file GATEHOUSE_CONFIG names). Throws app::ConfigError for a bad
// configuration, which main() reports in one line with exit status 2.
const passwords::HasherRegistry& configured_hashers() {
  passwords::set_default_pbkdf2_iterations(app::Config::load(app::Config::SecretKey::skip).pbkdf2_iterations);
  return passwords::default_hashers();
}

struct HashOptions {
  std::string algorithm;
  std::uint64_t iterations = 0;  // 0: the configured default
};

int run_hash(const HashOptions& o) {
  using namespace gatehouse::passwords;
  const HasherRegistry& registry = configured_hashers();
  std::string algorithm = o.algorithm.empty() ? std::string(registry.preferred().algorithm()) : o.algorithm;
  const Hasher* hasher = registry.get(algorithm);
  if (hasher == nullptr) {
    std::fprintf(stderr, "gatehouse: unknown algorithm '%s'\n", algorithm.c_str());
    return 2;
  }
  std::shared_ptr<const Hasher> custom;
  if (o.iterations != 0) {
    if (algorithm == "pbkdf2_sha256") {
      custom = pbkdf2_sha256_hasher(o.iterations);
    } else if (algorithm == "pbkdf2_sha1") {
      custom = pbkdf2_sha1_hasher(o.iterations);
    } else {
      std::fprintf(stderr, "gatehouse: --iterations applies to pbkdf2_sha256 and pbkdf2_sha1 only\n");
      return 2;
    }
    hasher = custom.get();
  }
  const std::string password = read_password_from_stdin();
  std::printf("%s\n", hasher->encode(password).c_str());
  return 0;
}

int run_check(const std::string& encoded) {
  using namespace gatehouse::passwords;
  const HasherRegistry& registry = configured_hashers();
  const std::string password = read_password_from_stdin();
  if (!is_password_usable(encoded)) {
    std::fprintf(stderr, "gatehouse: the encoded password is the unusable marker; nothing matches it\n");
    return 1;
  }
  const Hasher* hasher = registry.identify(encoded);
  if (hasher == nullptr) {
    std::fprintf(stderr, "gatehouse: unknown password hashing algorithm\n");
    return 2;
  }
  if (!hasher->is_well_formed(encoded)) {
    std::fprintf(stderr, "gatehouse: malformed %s hash\n", std::string(hasher->algorithm()).c_str());
    return 2;
  }
  if (!registry.check_password(password, encoded)) {
    std::fprintf(stderr, "gatehouse: password does not match\n");
    return 1;
  }
  if (registry.must_update(encoded))
    std::fprintf(stderr, "gatehouse: password matches; the hash should be upgraded to %s\n",
                 std::string(registry.preferred().algorithm()).c_str());
  return 0;
}

}  // namespace

void add_password_command(CLI::App& app, int& exit_code) {
  CLI::App* password = app.add_subcommand("password", "Hash a password, or check one against a hash");
  password->require_subcommand(1);

  auto hash_opts = std::make_shared<HashOptions>();
  CLI::App* hash = password->add_subcommand(
      "hash", "Print the encoded hash of the password read from standard input");
  hash->add_option("--algorithm", hash_opts->algorithm,
                   "Hasher: pbkdf2_sha256 (default), pbkdf2_sha1, argon2, bcrypt_sha256, scrypt, "
                   "bcrypt, sha1, md5, unsalted_sha1, unsalted_md5, crypt");
  hash->add_option("--iterations", hash_opts->iterations, "PBKDF2 iterations (default: the configured pbkdf2_iterations, 1500000 unless set)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  hash->callback([hash_opts, &exit_code] { exit_code = run_hash(*hash_opts); });

  auto encoded = std::make_shared<std::string>();
  CLI::App* check = password->add_subcommand(
      "check", "Check the password on standard input against ENCODED: exit 0 match, 1 no match, "
               "2 malformed or unknown algorithm");
  check->add_option("ENCODED", *encoded, "The encoded hash, as stored")->required();
  check->callback([encoded, &exit_code] { exit_code = run_check(*encoded); });
}

}  // namespace gatehouse::cli
