// libFuzzer target over identify_hasher, check_password, must_update and every
// hasher's is_well_formed/verify. Input: password, a NUL byte, the encoded hash.
// Limits are tiny so a hash that asks for much work is refused, not computed:
// every run stays fast and the fuzzer explores formats instead of waiting.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gatehouse/passwords/hashers.h"
#include "gatehouse/passwords/registry.h"

using namespace gatehouse::passwords;

namespace {

const HasherRegistry& registry() {
  static const HasherLimits limits{.max_pbkdf2_iterations = 2000,
                                   .max_bcrypt_rounds = 5,
                                   .max_argon2_memory_kib = 256,
                                   .max_argon2_time_cost = 2,
                                   .max_argon2_parallelism = 2,
                                   .max_scrypt_memory = 1u << 20,
                                   .max_scrypt_parallelism = 2,
                                   .max_crypt_rounds = 5000};
  static const HasherRegistry r({pbkdf2_sha256_hasher(1000, limits), pbkdf2_sha1_hasher(1000, limits),
                                 argon2_hasher({1, 64, 1}, limits), bcrypt_sha256_hasher(4, limits),
                                 scrypt_hasher({1024, 8, 1}, limits), bcrypt_hasher(4, limits), sha1_hasher(),
                                 md5_hasher(), unsalted_sha1_hasher(), unsalted_md5_hasher(),
                                 crypt_hasher(limits)});
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view password = nul == std::string_view::npos ? std::string_view() : input.substr(0, nul);
  const std::string_view encoded = nul == std::string_view::npos ? input : input.substr(nul + 1);

  const HasherRegistry& r = registry();
  (void)is_password_usable(encoded);
  if (const Hasher* h = r.identify(encoded)) (void)h->is_well_formed(encoded);
  int upgrades = 0;
  (void)r.check_password(password, encoded, [&](std::string_view) { ++upgrades; });
  (void)r.must_update(encoded);
  for (const auto& h : r.hashers()) {
    (void)h->is_well_formed(encoded);
    (void)h->must_update(encoded);
  }
  return 0;
}
