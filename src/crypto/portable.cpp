// Portable SHA-256 and SHA-1 (FIPS 180-4), and the PBKDF2 loops over them.
#include <bit>
#include <cstring>

#include "kernels.h"

namespace gatehouse::crypto::detail {

namespace {

inline std::uint32_t load_be(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void sha256_compress(std::uint32_t* s, const std::uint32_t* block) {
  std::uint32_t w[64];
  for (int i = 0; i < 16; ++i) w[i] = block[i];
  for (int i = 16; i < 64; ++i) {
    const std::uint32_t s0 = std::rotr(w[i - 15], 7) ^ std::rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const std::uint32_t s1 = std::rotr(w[i - 2], 17) ^ std::rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  std::uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int i = 0; i < 64; ++i) {
    const std::uint32_t t1 = h + (std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25)) +
                             ((e & f) ^ (~e & g)) + kSha256K[i] + w[i];
    const std::uint32_t t2 =
        (std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s[0] += a;
  s[1] += b;
  s[2] += c;
  s[3] += d;
  s[4] += e;
  s[5] += f;
  s[6] += g;
  s[7] += h;
}

void sha1_compress(std::uint32_t* s, const std::uint32_t* block) {
  std::uint32_t w[80];
  for (int i = 0; i < 16; ++i) w[i] = block[i];
  for (int i = 16; i < 80; ++i) w[i] = std::rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  std::uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4];
  for (int i = 0; i < 80; ++i) {
    std::uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const std::uint32_t t = std::rotl(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = std::rotl(b, 30);
    b = a;
    a = t;
  }
  s[0] += a;
  s[1] += b;
  s[2] += c;
  s[3] += d;
  s[4] += e;
}

// One HMAC iteration on a chain: U = H(outer || H(inner || U)), T ^= U.
// The message after a digest of W words is padded for a 64 + 4W byte input.
template <std::size_t W, void (*Compress)(std::uint32_t*, const std::uint32_t*)>
void chain_rounds(Chain<W>* chains, std::size_t n, std::uint64_t rounds) {
  for (std::size_t c = 0; c < n; ++c) {
    Chain<W>& ch = chains[c];
    std::uint32_t block[16] = {};
    block[W] = 0x80000000u;
    block[15] = (64 + 4 * W) * 8;
    for (std::uint64_t r = 0; r < rounds; ++r) {
      std::uint32_t s[W];
      std::memcpy(block, ch.u, sizeof ch.u);
      std::memcpy(s, ch.inner, sizeof s);
      Compress(s, block);
      std::memcpy(block, s, sizeof s);
      std::memcpy(ch.u, ch.outer, sizeof ch.u);
      Compress(ch.u, block);
      for (std::size_t i = 0; i < W; ++i) ch.t[i] ^= ch.u[i];
    }
  }
}

template <void (*Compress)(std::uint32_t*, const std::uint32_t*)>
void blocks(std::uint32_t* state, const unsigned char* data, std::size_t count) {
  std::uint32_t w[16];
  for (std::size_t b = 0; b < count; ++b, data += 64) {
    for (int i = 0; i < 16; ++i) w[i] = load_be(data + 4 * i);
    Compress(state, w);
  }
}

}  // namespace

void sha256_blocks_portable(std::uint32_t* state, const unsigned char* data, std::size_t n) {
  blocks<sha256_compress>(state, data, n);
}
void sha1_blocks_portable(std::uint32_t* state, const unsigned char* data, std::size_t n) {
  blocks<sha1_compress>(state, data, n);
}
void pbkdf2_sha256_portable(Chain256* chains, std::size_t n, std::uint64_t rounds) {
  chain_rounds<8, sha256_compress>(chains, n, rounds);
}
void pbkdf2_sha1_portable(Chain1* chains, std::size_t n, std::uint64_t rounds) {
  chain_rounds<5, sha1_compress>(chains, n, rounds);
}

}  // namespace gatehouse::crypto::detail
