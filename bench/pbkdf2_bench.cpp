// PBKDF2-HMAC-SHA256 at Django 6.1's 1,500,000 iterations: Gatehouse (one
// derivation; batched, per derivation) vs OpenSSL 3's PKCS5_PBKDF2_HMAC (what
// Django's hashlib calls) vs the raw bound (3,000,000 chained SHA-256
// compressions on SHA-NI). Also argon2 and bcrypt_sha256 verify at their
// defaults. Usage and figures: bench/README.md.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "gatehouse/crypto/pbkdf2.h"
#include "gatehouse/crypto/sha.h"
#include "gatehouse/passwords/hashers.h"
#include "kernels.h"

namespace gc = gatehouse::crypto;

namespace {

constexpr std::uint64_t kIterations = 1'500'000;
const std::string kPassword = "correct horse battery staple";
const std::string kSalt = "Y8CeaRtq4nHdWkbdN3Vxa5";

void BM_Pbkdf2_Gatehouse(benchmark::State& state) {
  for (auto _ : state) {
    auto out = gc::pbkdf2(gc::Prf::hmac_sha256, kPassword, kSalt, kIterations, 32);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

// `range(0)` derivations per batch; time per batch, items = derivations.
void BM_Pbkdf2_GatehouseBatch(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    std::vector<gc::Pbkdf2Job> jobs(n, gc::Pbkdf2Job{gc::Prf::hmac_sha256, kPassword, kSalt,
                                                     kIterations, 32, {}});
    gc::pbkdf2_batch(jobs);
    benchmark::DoNotOptimize(jobs);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void BM_Pbkdf2_OpenSSL(benchmark::State& state) {
  unsigned char out[32];
  for (auto _ : state) {
    PKCS5_PBKDF2_HMAC(kPassword.data(), static_cast<int>(kPassword.size()),
                      reinterpret_cast<const unsigned char*>(kSalt.data()),
                      static_cast<int>(kSalt.size()), static_cast<int>(kIterations), EVP_sha256(),
                      32, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawBound_3M_Compressions(benchmark::State& state) {
  if (!gc::sha_ni_available()) {
    state.SkipWithError("no SHA-NI on this CPU");
    return;
  }
  std::uint32_t s[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (auto _ : state) {
    gc::detail::sha256_chained_compressions_ni(s, 2 * kIterations);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}

// verify() at Django's defaults (argon2id m=100 MiB t=2 p=8; bcrypt 12 rounds).
void BM_Verify(benchmark::State& state, std::shared_ptr<const gatehouse::passwords::Hasher> h) {
  const std::string stored = h->encode(kPassword);
  for (auto _ : state) {
    bool ok = h->verify(kPassword, stored);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(BM_Verify, argon2, gatehouse::passwords::argon2_hasher())
    ->Name("verify_default/argon2")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Verify, bcrypt_sha256, gatehouse::passwords::bcrypt_sha256_hasher())
    ->Name("verify_default/bcrypt_sha256")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RawBound_3M_Compressions)->Name("pbkdf2_sha256_1.5M/raw_bound")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Pbkdf2_Gatehouse)->Name("pbkdf2_sha256_1.5M/gatehouse")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Pbkdf2_GatehouseBatch)->Name("pbkdf2_sha256_1.5M/gatehouse_batch")->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Pbkdf2_OpenSSL)->Name("pbkdf2_sha256_1.5M/openssl")->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
