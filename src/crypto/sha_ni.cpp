// SHA-256 and SHA-1 on the x86 SHA extensions (SHA-NI), and the PBKDF2 loops
// over them. Built with -msha -msse4.1; called only when CPUID reports SHA.
//
// PBKDF2 keeps each chain in the registers' native layout (SHA-256: ABEF/CDGH;
// SHA-1: ABCD plus E in the top lane) across iterations: a digest becomes the
// next message with a few shuffles, and one iteration is exactly two
// compressions. Independent chains are interleaved two at a time so that one
// chain's rounds fill the SHA units' latency left idle by the other's.
#include <immintrin.h>

#include <utility>

#include "kernels.h"

namespace gatehouse::crypto::detail {

namespace {

// ---- SHA-256 --------------------------------------------------------------

struct State256 {
  __m128i abef, cdgh;
};

inline State256 load_state256(const std::uint32_t* s) {
  const __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  const __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 4));
  const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  return {_mm_alignr_epi8(cdab, efgh, 8), _mm_blend_epi16(efgh, cdab, 0xF0)};
}

inline void store_state256(const State256& st, std::uint32_t* s) {
  const __m128i feba = _mm_shuffle_epi32(st.abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(st.cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(s), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(s + 4), _mm_alignr_epi8(dchg, feba, 8));
}

// Digest words in state layout -> message words W0..W3, W4..W7.
inline void state_to_message256(const State256& st, __m128i& w0, __m128i& w1) {
  w0 = _mm_shuffle_epi32(_mm_unpackhi_epi64(st.cdgh, st.abef), 0x1B);
  w1 = _mm_shuffle_epi32(_mm_unpacklo_epi64(st.cdgh, st.abef), 0x1B);
}

// Four rounds of group I (0..15) on N independent states; w[l][I % 4] holds
// W[4I..4I+3] of lane l once the schedule below has run.
template <std::size_t N, int I>
inline void rounds256(State256 (&st)[N], __m128i (&w)[N][4]) {
  const __m128i k = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kSha256K + 4 * I));
  for (std::size_t l = 0; l < N; ++l) {
    if constexpr (I >= 4) {
      w[l][I % 4] = _mm_sha256msg2_epu32(
          _mm_add_epi32(_mm_sha256msg1_epu32(w[l][I % 4], w[l][(I + 1) % 4]),
                        _mm_alignr_epi8(w[l][(I + 3) % 4], w[l][(I + 2) % 4], 4)),
          w[l][(I + 3) % 4]);
    }
    __m128i msg = _mm_add_epi32(w[l][I % 4], k);
    st[l].cdgh = _mm_sha256rnds2_epu32(st[l].cdgh, st[l].abef, msg);
    msg = _mm_shuffle_epi32(msg, 0x0E);
    st[l].abef = _mm_sha256rnds2_epu32(st[l].abef, st[l].cdgh, msg);
  }
}

// A whole compression of N states (the feed-forward addition is the caller's).
template <std::size_t N>
inline void compress256(State256 (&st)[N], __m128i (&w)[N][4]) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (rounds256<N, static_cast<int>(I)>(st, w), ...);
  }(std::make_index_sequence<16>{});
}

inline __m128i bswap_mask32() {
  return _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
}

template <std::size_t N>
void chains256(Chain256* chains, std::uint64_t rounds) {
  State256 inner[N], outer[N], t[N];
  __m128i u0[N], u1[N];
  for (std::size_t l = 0; l < N; ++l) {
    inner[l] = load_state256(chains[l].inner);
    outer[l] = load_state256(chains[l].outer);
    t[l] = load_state256(chains[l].t);
    u0[l] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(chains[l].u));
    u1[l] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(chains[l].u + 4));
  }
  // Padding of a 64 + 32 byte message: W8 = 0x80000000, W15 = 768 bits.
  const __m128i pad0 = _mm_set_epi32(0, 0, 0, static_cast<int>(0x80000000u));
  const __m128i pad1 = _mm_set_epi32(768, 0, 0, 0);
  for (std::uint64_t r = 0; r < rounds; ++r) {
    State256 st[N];
    __m128i w[N][4];
    for (std::size_t l = 0; l < N; ++l) {
      st[l] = inner[l];
      w[l][0] = u0[l];
      w[l][1] = u1[l];
      w[l][2] = pad0;
      w[l][3] = pad1;
    }
    compress256<N>(st, w);
    for (std::size_t l = 0; l < N; ++l) {
      st[l].abef = _mm_add_epi32(st[l].abef, inner[l].abef);
      st[l].cdgh = _mm_add_epi32(st[l].cdgh, inner[l].cdgh);
      state_to_message256(st[l], w[l][0], w[l][1]);
      w[l][2] = pad0;
      w[l][3] = pad1;
      st[l] = outer[l];
    }
    compress256<N>(st, w);
    for (std::size_t l = 0; l < N; ++l) {
      st[l].abef = _mm_add_epi32(st[l].abef, outer[l].abef);
      st[l].cdgh = _mm_add_epi32(st[l].cdgh, outer[l].cdgh);
      t[l].abef = _mm_xor_si128(t[l].abef, st[l].abef);
      t[l].cdgh = _mm_xor_si128(t[l].cdgh, st[l].cdgh);
      state_to_message256(st[l], u0[l], u1[l]);
    }
  }
  for (std::size_t l = 0; l < N; ++l) {
    store_state256(t[l], chains[l].t);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(chains[l].u), u0[l]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(chains[l].u + 4), u1[l]);
  }
}

// ---- SHA-1 ------------------------------------------------------------------

struct State1 {
  __m128i abcd;  // A in the top lane
  __m128i e;     // E in the top lane, zeros below
};

inline State1 load_state1(const std::uint32_t* s) {
  return {_mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)), 0x1B),
          _mm_set_epi32(static_cast<int>(s[4]), 0, 0, 0)};
}

inline void store_state1(const State1& st, std::uint32_t* s) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(s), _mm_shuffle_epi32(st.abcd, 0x1B));
  s[4] = static_cast<std::uint32_t>(_mm_extract_epi32(st.e, 3));
}

// Twenty four-round groups on N states. `e_in` is E of the state being
// compressed (top lane); on return st.e holds the new E before feed-forward.
template <std::size_t N, int I>
inline void rounds1(__m128i (&abcd)[N], __m128i (&e)[N], __m128i (&prev)[N], __m128i (&w)[N][4]) {
  for (std::size_t l = 0; l < N; ++l) {
    if constexpr (I >= 4) {
      w[l][I % 4] = _mm_sha1msg2_epu32(
          _mm_xor_si128(_mm_sha1msg1_epu32(w[l][I % 4], w[l][(I + 1) % 4]), w[l][(I + 2) % 4]),
          w[l][(I + 3) % 4]);
    }
    if constexpr (I == 0) {
      e[l] = _mm_add_epi32(e[l], w[l][0]);
    } else {
      e[l] = _mm_sha1nexte_epu32(prev[l], w[l][I % 4]);
    }
    prev[l] = abcd[l];
    abcd[l] = _mm_sha1rnds4_epu32(abcd[l], e[l], I / 5);
  }
}

// Compresses N states in place, feed-forward included.
template <std::size_t N>
inline void compress1(State1 (&st)[N], __m128i (&w)[N][4]) {
  __m128i abcd[N], e[N], prev[N];
  for (std::size_t l = 0; l < N; ++l) {
    abcd[l] = st[l].abcd;
    e[l] = st[l].e;
  }
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (rounds1<N, static_cast<int>(I)>(abcd, e, prev, w), ...);
  }(std::make_index_sequence<20>{});
  for (std::size_t l = 0; l < N; ++l) {
    st[l].e = _mm_sha1nexte_epu32(prev[l], st[l].e);
    st[l].abcd = _mm_add_epi32(abcd[l], st[l].abcd);
  }
}

template <std::size_t N>
void chains1(Chain1* chains, std::uint64_t rounds) {
  State1 inner[N], outer[N], t[N], u[N];
  for (std::size_t l = 0; l < N; ++l) {
    inner[l] = load_state1(chains[l].inner);
    outer[l] = load_state1(chains[l].outer);
    t[l] = load_state1(chains[l].t);
    u[l] = load_state1(chains[l].u);
  }
  // Padding of a 64 + 20 byte message: W5 = 0x80000000, W15 = 672 bits.
  const __m128i pad_w5 = _mm_set_epi32(0, static_cast<int>(0x80000000u), 0, 0);
  const __m128i pad3 = _mm_set_epi32(0, 0, 0, 672);
  const __m128i zero = _mm_setzero_si128();
  for (std::uint64_t r = 0; r < rounds; ++r) {
    State1 st[N];
    __m128i w[N][4];
    for (std::size_t l = 0; l < N; ++l) {
      w[l][0] = u[l].abcd;
      w[l][1] = _mm_or_si128(u[l].e, pad_w5);
      w[l][2] = zero;
      w[l][3] = pad3;
      st[l] = inner[l];
    }
    compress1<N>(st, w);
    for (std::size_t l = 0; l < N; ++l) {
      w[l][0] = st[l].abcd;
      w[l][1] = _mm_or_si128(st[l].e, pad_w5);
      w[l][2] = zero;
      w[l][3] = pad3;
      st[l] = outer[l];
    }
    compress1<N>(st, w);
    for (std::size_t l = 0; l < N; ++l) {
      u[l] = st[l];
      t[l].abcd = _mm_xor_si128(t[l].abcd, st[l].abcd);
      t[l].e = _mm_xor_si128(t[l].e, st[l].e);
    }
  }
  for (std::size_t l = 0; l < N; ++l) {
    store_state1(t[l], chains[l].t);
    store_state1(u[l], chains[l].u);
  }
}

template <class ChainT, void (*Two)(ChainT*, std::uint64_t), void (*One)(ChainT*, std::uint64_t)>
void run_chains(ChainT* chains, std::size_t n, std::uint64_t rounds) {
  std::size_t i = 0;
  for (; i + 2 <= n; i += 2) Two(chains + i, rounds);
  if (i < n) One(chains + i, rounds);
}

}  // namespace

void sha256_blocks_ni(std::uint32_t* state, const unsigned char* data, std::size_t blocks) {
  State256 st[1] = {load_state256(state)};
  const __m128i mask = bswap_mask32();
  for (std::size_t b = 0; b < blocks; ++b, data += 64) {
    const State256 saved = st[0];
    __m128i w[1][4];
    for (int i = 0; i < 4; ++i)
      w[0][i] = _mm_shuffle_epi8(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i)), mask);
    compress256<1>(st, w);
    st[0].abef = _mm_add_epi32(st[0].abef, saved.abef);
    st[0].cdgh = _mm_add_epi32(st[0].cdgh, saved.cdgh);
  }
  store_state256(st[0], state);
}

void sha1_blocks_ni(std::uint32_t* state, const unsigned char* data, std::size_t blocks) {
  State1 st[1] = {load_state1(state)};
  const __m128i mask = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  for (std::size_t b = 0; b < blocks; ++b, data += 64) {
    __m128i w[1][4];
    for (int i = 0; i < 4; ++i)
      w[0][i] = _mm_shuffle_epi8(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i)), mask);
    compress1<1>(st, w);
  }
  store_state1(st[0], state);
}

void pbkdf2_sha256_ni(Chain256* chains, std::size_t n, std::uint64_t rounds) {
  run_chains<Chain256, chains256<2>, chains256<1>>(chains, n, rounds);
}

void pbkdf2_sha1_ni(Chain1* chains, std::size_t n, std::uint64_t rounds) {
  run_chains<Chain1, chains1<2>, chains1<1>>(chains, n, rounds);
}

void sha256_chained_compressions_ni(std::uint32_t* state, std::uint64_t count) {
  // Each compression's output is the next one's message: a serial chain, the
  // bound PBKDF2 cannot beat (it needs two per iteration).
  State256 st[1] = {load_state256(state)};
  const __m128i pad0 = _mm_set_epi32(0, 0, 0, static_cast<int>(0x80000000u));
  const __m128i pad1 = _mm_set_epi32(768, 0, 0, 0);
  for (std::uint64_t i = 0; i < count; ++i) {
    __m128i w[1][4];
    state_to_message256(st[0], w[0][0], w[0][1]);
    w[0][2] = pad0;
    w[0][3] = pad1;
    compress256<1>(st, w);
  }
  store_state256(st[0], state);
}

}  // namespace gatehouse::crypto::detail
