#include "gatehouse/crypto/pbkdf2.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

#include "gatehouse/crypto/sha.h"
#include "kernels.h"

namespace gatehouse::crypto {

namespace {

constexpr std::size_t kMaxLength = 1 << 20;

void validate(std::uint64_t iterations, std::size_t length) {
  if (iterations == 0) throw std::invalid_argument("PBKDF2 needs at least one iteration");
  if (length == 0 || length > kMaxLength)
    throw std::invalid_argument("PBKDF2 output length must be 1 byte to 1 MiB");
}

std::uint32_t load_be(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

// The HMAC key states and U1 for output block `index` (1-based) of one job.
template <class H, std::size_t W>
detail::Chain<W> start_chain(std::string_view password, std::string_view salt,
                             std::uint32_t index) {
  std::string key(password);
  if (key.size() > H::block_size) {
    H h;
    h.update(password);
    key = h.digest();
  }
  key.resize(H::block_size, '\0');
  std::string ipad(key), opad(key);
  for (std::size_t i = 0; i < H::block_size; ++i) {
    ipad[i] = static_cast<char>(ipad[i] ^ 0x36);
    opad[i] = static_cast<char>(opad[i] ^ 0x5c);
  }
  H inner, outer;
  inner.update(ipad);
  outer.update(opad);
  detail::Chain<W> c{};
  std::memcpy(c.inner, inner.state(), sizeof c.inner);
  std::memcpy(c.outer, outer.state(), sizeof c.outer);
  // U1 = HMAC(P, S || INT(index))
  const char be[4] = {static_cast<char>(index >> 24), static_cast<char>(index >> 16),
                      static_cast<char>(index >> 8), static_cast<char>(index)};
  inner.update(salt);
  inner.update(std::string_view(be, 4));
  outer.update(inner.digest());
  const std::string u1 = outer.digest();
  for (std::size_t i = 0; i < W; ++i) c.u[i] = c.t[i] = load_be(u1.data() + 4 * i);
  return c;
}

// Chains of every job, run `iterations - 1` more rounds, then the bytes.
template <class H, std::size_t W>
void derive(std::span<Pbkdf2Job*> jobs, std::uint64_t iterations,
            void (*run)(detail::Chain<W>*, std::size_t, std::uint64_t)) {
  constexpr std::size_t hlen = 4 * W;
  std::vector<detail::Chain<W>> chains;
  for (Pbkdf2Job* job : jobs) {
    const std::size_t blocks = (job->length + hlen - 1) / hlen;
    for (std::size_t b = 1; b <= blocks; ++b)
      chains.push_back(start_chain<H, W>(job->password, job->salt, static_cast<std::uint32_t>(b)));
  }
  run(chains.data(), chains.size(), iterations - 1);
  std::size_t next = 0;
  for (Pbkdf2Job* job : jobs) {
    std::string out;
    const std::size_t blocks = (job->length + hlen - 1) / hlen;
    for (std::size_t b = 0; b < blocks; ++b, ++next) {
      for (std::size_t i = 0; i < W; ++i) {
        const std::uint32_t t = chains[next].t[i];
        out += static_cast<char>(t >> 24);
        out += static_cast<char>(t >> 16);
        out += static_cast<char>(t >> 8);
        out += static_cast<char>(t);
      }
    }
    out.resize(job->length);
    job->out = std::move(out);
  }
}

void derive_group(Prf prf, std::uint64_t iterations, std::span<Pbkdf2Job*> jobs) {
  const auto& k = detail::kernels();
  if (prf == Prf::hmac_sha256) {
    derive<Sha256, 8>(jobs, iterations, k.pbkdf2_sha256);
  } else {
    derive<Sha1, 5>(jobs, iterations, k.pbkdf2_sha1);
  }
}

}  // namespace

std::string pbkdf2(Prf prf, std::string_view password, std::string_view salt,
                   std::uint64_t iterations, std::size_t length) {
  validate(iterations, length);
  Pbkdf2Job job{prf, password, salt, iterations, length, {}};
  Pbkdf2Job* one[1] = {&job};
  derive_group(prf, iterations, one);
  return std::move(job.out);
}

void pbkdf2_batch(std::span<Pbkdf2Job> jobs) {
  for (const Pbkdf2Job& j : jobs) validate(j.iterations, j.length);
  std::map<std::pair<Prf, std::uint64_t>, std::vector<Pbkdf2Job*>> groups;
  for (Pbkdf2Job& j : jobs) groups[{j.prf, j.iterations}].push_back(&j);
  for (auto& [key, members] : groups) derive_group(key.first, key.second, members);
}

}  // namespace gatehouse::crypto
