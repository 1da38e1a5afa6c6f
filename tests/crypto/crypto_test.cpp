// SHA-1/SHA-256, HMAC and PBKDF2 against OpenSSL and published vectors, on
// every implementation this CPU can run (portable, and SHA-NI if present).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>
#include <string>
#include <vector>

#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/crypto/hmac.h"
#include "gatehouse/crypto/pbkdf2.h"
#include "gatehouse/crypto/sha.h"

namespace gatehouse::crypto {
namespace {

std::string openssl_digest(const EVP_MD* md, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr), 1);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string openssl_hmac(const EVP_MD* md, const std::string& key, const std::string& msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string openssl_pbkdf2(const EVP_MD* md, const std::string& pw, const std::string& salt,
                           int iterations, std::size_t len) {
  std::string out(len, '\0');
  EXPECT_EQ(PKCS5_PBKDF2_HMAC(pw.data(), static_cast<int>(pw.size()),
                              reinterpret_cast<const unsigned char*>(salt.data()),
                              static_cast<int>(salt.size()), iterations, md, static_cast<int>(len),
                              reinterpret_cast<unsigned char*>(out.data())),
            1);
  return out;
}

std::string hex(const std::string& s) { return core::hex_encode(s); }

class Impl : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    if (GetParam() == Implementation::sha_ni && !sha_ni_available())
      GTEST_SKIP() << "this CPU has no SHA instructions";
    previous_ = active_implementation();
    use_implementation(GetParam());
  }
  void TearDown() override { use_implementation(previous_); }
  Implementation previous_ = Implementation::portable;
  std::mt19937_64 rng{12345};
  std::string random(std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  }
};

TEST_P(Impl, ShaMatchesOpenSslForEveryLengthUpTo300) {
  for (std::size_t n = 0; n <= 300; ++n) {
    const std::string data = random(n);
    ASSERT_EQ(hex(sha256(data)), hex(openssl_digest(EVP_sha256(), data))) << n;
    ASSERT_EQ(hex(sha1(data)), hex(openssl_digest(EVP_sha1(), data))) << n;
  }
}

TEST_P(Impl, StreamingInPiecesEqualsOneShot) {
  const std::string data = random(1000);
  Sha256 h;
  std::size_t pos = 0;
  for (std::size_t piece : {0u, 1u, 63u, 64u, 65u, 7u, 200u}) {
    h.update(std::string_view(data).substr(pos, piece));
    pos += piece;
  }
  h.update(std::string_view(data).substr(pos));
  EXPECT_EQ(h.digest(), sha256(data));
}

TEST_P(Impl, KnownDigests) {
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_P(Impl, HmacMatchesOpenSsl) {
  for (std::size_t klen : {0u, 1u, 20u, 32u, 63u, 64u, 65u, 200u}) {
    const std::string key = random(klen), msg = random(klen * 3 + 1);
    EXPECT_EQ(hex(hmac_sha256(key, msg)), hex(openssl_hmac(EVP_sha256(), key, msg)));
    EXPECT_EQ(hex(hmac_sha1(key, msg)), hex(openssl_hmac(EVP_sha1(), key, msg)));
  }
}

TEST_P(Impl, Pbkdf2Rfc6070Sha1Vectors) {
  EXPECT_EQ(hex(pbkdf2(Prf::hmac_sha1, "password", "salt", 1, 20)),
            "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  EXPECT_EQ(hex(pbkdf2(Prf::hmac_sha1, "password", "salt", 2, 20)),
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  EXPECT_EQ(hex(pbkdf2(Prf::hmac_sha1, "password", "salt", 4096, 20)),
            "4b007901b765489abead49d926f721d065a429c1");
  EXPECT_EQ(hex(pbkdf2(Prf::hmac_sha1, "passwordPASSWORDpassword",
                       "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25)),
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
  EXPECT_EQ(hex(pbkdf2(Prf::hmac_sha1, std::string("pass\0word", 9), std::string("sa\0lt", 5),
                       4096, 16)),
            "56fa6aa75548099dcc37d7f03425e0c3");
}

TEST_P(Impl, Pbkdf2Rfc7914Sha256Vectors) {
  EXPECT_EQ(hex(pbkdf2(Prf::hmac_sha256, "passwd", "salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(hex(pbkdf2(Prf::hmac_sha256, "Password", "NaCl", 80000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST_P(Impl, Pbkdf2MatchesOpenSslOnRandomInputs) {
  for (int round = 0; round < 40; ++round) {
    const std::string pw = random(rng() % 150), salt = random(rng() % 80);
    const int iterations = 1 + static_cast<int>(rng() % 2000);
    const std::size_t len = 1 + rng() % 100;  // up to four output blocks
    ASSERT_EQ(hex(pbkdf2(Prf::hmac_sha256, pw, salt, static_cast<std::uint64_t>(iterations), len)),
              hex(openssl_pbkdf2(EVP_sha256(), pw, salt, iterations, len)))
        << "round " << round;
    ASSERT_EQ(hex(pbkdf2(Prf::hmac_sha1, pw, salt, static_cast<std::uint64_t>(iterations), len)),
              hex(openssl_pbkdf2(EVP_sha1(), pw, salt, iterations, len)))
        << "round " << round;
  }
}

TEST_P(Impl, BatchEqualsOneByOne) {
  std::vector<std::string> pws, salts;
  std::vector<Pbkdf2Job> jobs;
  for (int i = 0; i < 7; ++i) {
    pws.push_back(random(10 + static_cast<std::size_t>(i)));
    salts.push_back(random(12));
  }
  for (std::size_t i = 0; i < pws.size(); ++i) {
    const Prf prf = i % 3 == 2 ? Prf::hmac_sha1 : Prf::hmac_sha256;
    const std::uint64_t iterations = i % 2 == 0 ? 1000 : 1500;
    jobs.push_back({prf, pws[i], salts[i], iterations, i == 4 ? std::size_t{70} : std::size_t{32}, {}});
  }
  pbkdf2_batch(jobs);
  for (const auto& j : jobs)
    EXPECT_EQ(hex(j.out), hex(pbkdf2(j.prf, j.password, j.salt, j.iterations, j.length)));
}

TEST_P(Impl, SaltedHmacIsDjangos) {
  // hmac(sha256(key_salt + secret), value), as django.utils.crypto.salted_hmac.
  EXPECT_EQ(salted_hmac_sha256("salt", "value", "secret"),
            openssl_hmac(EVP_sha256(), openssl_digest(EVP_sha256(), "saltsecret"), "value"));
}

INSTANTIATE_TEST_SUITE_P(Crypto, Impl,
                         ::testing::Values(Implementation::portable, Implementation::sha_ni),
                         [](const auto& param_info) {
                           return param_info.param == Implementation::portable ? "portable" : "sha_ni";
                         });

TEST(Pbkdf2, RejectsInvalidParameters) {
  EXPECT_THROW(pbkdf2(Prf::hmac_sha256, "p", "s", 0, 32), std::invalid_argument);
  EXPECT_THROW(pbkdf2(Prf::hmac_sha256, "p", "s", 1, 0), std::invalid_argument);
  EXPECT_THROW(pbkdf2(Prf::hmac_sha256, "p", "s", 1, (1u << 20) + 1), std::invalid_argument);
  std::vector<Pbkdf2Job> jobs{{Prf::hmac_sha256, "p", "s", 1, 32, {}}, {Prf::hmac_sha256, "p", "s", 0, 32, {}}};
  EXPECT_THROW(pbkdf2_batch(jobs), std::invalid_argument);
  EXPECT_TRUE(jobs[0].out.empty());  // nothing done before the check
}

}  // namespace
}  // namespace gatehouse::crypto
