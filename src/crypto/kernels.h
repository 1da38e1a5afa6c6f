// Compression functions and PBKDF2 inner loops, portable and SHA-NI.
// Internal to the crypto layer; chosen at run time by dispatch.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gatehouse::crypto::detail {

// Feeds `blocks` 64-byte blocks of `data` into `state`.
using BlocksFn = void (*)(std::uint32_t* state, const unsigned char* data, std::size_t blocks);

void sha256_blocks_portable(std::uint32_t* state, const unsigned char* data, std::size_t blocks);
void sha256_blocks_ni(std::uint32_t* state, const unsigned char* data, std::size_t blocks);
void sha1_blocks_portable(std::uint32_t* state, const unsigned char* data, std::size_t blocks);
void sha1_blocks_ni(std::uint32_t* state, const unsigned char* data, std::size_t blocks);

// One PBKDF2 output block in progress (RFC 8018 F()): the HMAC key's inner and
// outer states after their first block, the latest U (as digest words) and
// the running XOR T. Words are the hash's big-endian 32-bit words.
template <std::size_t Words>
struct Chain {
  std::uint32_t inner[Words];
  std::uint32_t outer[Words];
  std::uint32_t u[Words];
  std::uint32_t t[Words];
};
using Chain256 = Chain<8>;
using Chain1 = Chain<5>;

// Runs `rounds` more iterations on each of `n` chains; all share the count.
// The SHA-NI versions interleave chains two at a time on one core.
using Chain256Fn = void (*)(Chain256* chains, std::size_t n, std::uint64_t rounds);
using Chain1Fn = void (*)(Chain1* chains, std::size_t n, std::uint64_t rounds);

void pbkdf2_sha256_portable(Chain256* chains, std::size_t n, std::uint64_t rounds);
void pbkdf2_sha256_ni(Chain256* chains, std::size_t n, std::uint64_t rounds);
void pbkdf2_sha1_portable(Chain1* chains, std::size_t n, std::uint64_t rounds);
void pbkdf2_sha1_ni(Chain1* chains, std::size_t n, std::uint64_t rounds);

struct Kernels {
  BlocksFn sha256;
  BlocksFn sha1;
  Chain256Fn pbkdf2_sha256;
  Chain1Fn pbkdf2_sha1;
};
const Kernels& kernels() noexcept;

// The raw bound of the benchmark: `count` chained SHA-256 compressions.
void sha256_chained_compressions_ni(std::uint32_t* state, std::uint64_t count);

inline constexpr std::uint32_t kSha256K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

}  // namespace gatehouse::crypto::detail
