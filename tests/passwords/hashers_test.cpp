// The hashers and the registry: formats, Django's vectors, the upgrade rules,
// and bad input of every kind (never a crash, never a throw past the API).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/core/encoding.h"
#include "gatehouse/passwords/hashers.h"
#include "gatehouse/passwords/registry.h"

namespace gatehouse::passwords {
namespace {

// Small work factors keep the suite fast; the formats are the same.
const Argon2Params kFastArgon2{1, 64, 1};
const ScryptParams kFastScrypt{1024, 8, 1};

std::vector<std::shared_ptr<const Hasher>> fast_hashers() {
  return {pbkdf2_sha256_hasher(1000), pbkdf2_sha1_hasher(1000), argon2_hasher(kFastArgon2),
          bcrypt_sha256_hasher(4),    bcrypt_hasher(4),         scrypt_hasher(kFastScrypt),
          sha1_hasher(),              md5_hasher(),             unsalted_sha1_hasher(),
          unsalted_md5_hasher(),      crypt_hasher()};
}

TEST(Hashers, EveryHasherRoundTripsAndRejectsWrongPasswords) {
  const std::vector<std::string> passwords = {"", "password", "lètmein 日本語",
                                              std::string("nul\0inside", 10), "\xff\xfe\x80 not utf-8",
                                              std::string(5000, 'x')};
  for (const auto& h : fast_hashers()) {
    for (const auto& pw : passwords) {
      const bool nul = pw.find('\0') != std::string::npos;
      const bool cannot = nul && (h->algorithm() == "bcrypt" || h->algorithm() == "crypt");
      const bool too_long_for_des = h->algorithm() == "crypt" && pw.size() > 512;
      if (cannot || too_long_for_des) {
        EXPECT_THROW(h->encode(pw), std::invalid_argument) << h->algorithm();
        continue;
      }
      const std::string encoded = h->encode(pw);
      EXPECT_TRUE(h->is_well_formed(encoded)) << encoded;
      EXPECT_TRUE(h->verify(pw, encoded)) << h->algorithm() << " " << encoded;
      EXPECT_FALSE(h->verify("!" + pw, encoded)) << h->algorithm();
    }
  }
}

TEST(Hashers, DjangoScryptVectors) {
  // tests/auth_tests/test_hashers.py (Django 4.0 wrote p=1; later Django p=5).
  const auto django40 = scrypt_hasher({16384, 8, 1});
  EXPECT_EQ(django40->encode("lètmein", "seasalt"),
            "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NY"
            "afTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==");
  const auto current = scrypt_hasher();
  const std::string p5 =
      "scrypt$16384$seasalt$8$5$ECMIUp+LMxMSK8xB/IVyba+KYGTI7FTnet025q/1f"
      "/vBAVnnP3hdYqJuRi+mJn6ji6ze3Fbb7JEFPKGpuEf5vw==";
  EXPECT_EQ(current->encode("lètmein", "seasalt"), p5);
  EXPECT_TRUE(current->verify("lètmein", p5));
  EXPECT_FALSE(current->verify("lètmeinz", p5));
  // The Django 4.0 hash verifies under the current hasher and asks for an upgrade.
  const std::string p1 = django40->encode("lètmein", "seasalt");
  EXPECT_TRUE(current->verify("lètmein", p1));
  EXPECT_TRUE(current->must_update(p1));
}

TEST(Hashers, ScryptMatchesOpenSslDirectly) {
  unsigned char key[64];
  ASSERT_EQ(EVP_PBE_scrypt("pw", 2, reinterpret_cast<const unsigned char*>("saltsaltsaltsaltsaltsa"), 22,
                           1024, 8, 1, 64 << 20, key, 64),
            1);
  const std::string expected = "scrypt$1024$saltsaltsaltsaltsaltsa$8$1$" +
      core::base64_encode(std::string_view(reinterpret_cast<char*>(key), 64));
  EXPECT_EQ(scrypt_hasher(kFastScrypt)->encode("pw", "saltsaltsaltsaltsaltsa"), expected);
}

TEST(Hashers, Pbkdf2FormatIsDjangos) {
  const auto h = pbkdf2_sha256_hasher(1000);
  const std::string e = h->encode("pw", "seasalt");
  EXPECT_EQ(e.rfind("pbkdf2_sha256$1000$seasalt$", 0), 0u);
  EXPECT_EQ(e.size(), std::string("pbkdf2_sha256$1000$seasalt$").size() + 44);  // base64 of 32 bytes
  EXPECT_THROW(h->encode("pw", "sea$salt"), std::invalid_argument);
  EXPECT_THROW(h->encode("pw", ""), std::invalid_argument);
}

TEST(Hashers, MalformedAndTruncatedHashesAreFalseNeverCrashes) {
  for (const auto& h : fast_hashers()) {
    const std::string good = h->algorithm() == "crypt" ? h->encode("pw", "ab") : h->encode("pw");
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
      const std::string truncated = good.substr(0, cut);
      EXPECT_FALSE(h->verify("pw", truncated)) << h->algorithm() << " cut at " << cut;
      (void)h->must_update(truncated);
      (void)h->is_well_formed(truncated);
    }
    EXPECT_FALSE(h->verify("pw", good + "x")) << h->algorithm();
  }
}

TEST(Hashers, AbsurdIterationCountsAreMalformed) {
  const auto h = pbkdf2_sha256_hasher(1000);
  const std::string tail = "$salt$jg8gaHXzyg6S908C+uim6u78fiKtV7kFfeybycTq/mg=";
  for (const char* n : {"0", "-1", "+5", "007", "1e3", "abc", "", "9223372036854775808",
                        "18446744073709551616", "99999999999999999999999", "100000001"}) {
    const std::string e = std::string("pbkdf2_sha256$") + n + tail;
    EXPECT_FALSE(h->is_well_formed(e)) << n;
    EXPECT_FALSE(h->verify("pw", e)) << n;
  }
  EXPECT_TRUE(h->is_well_formed("pbkdf2_sha256$100000000" + tail));  // at the limit: computable
  EXPECT_THROW(pbkdf2_sha256_hasher(0), std::invalid_argument);
}

TEST(Hashers, CostLimitsRefuseExpensiveStoredHashes) {
  const auto argon = argon2_hasher(kFastArgon2);
  EXPECT_FALSE(argon->is_well_formed("argon2$argon2id$v=19$m=4294967295,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2g"));
  EXPECT_FALSE(argon->is_well_formed("argon2$argon2id$v=19$m=65536,t=1000,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
  EXPECT_FALSE(argon->is_well_formed("argon2$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
  const auto bc = bcrypt_hasher(4);
  EXPECT_FALSE(bc->is_well_formed("bcrypt$$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234"));
  const auto sc = scrypt_hasher(kFastScrypt);
  EXPECT_FALSE(sc->is_well_formed("scrypt$1073741824$salt$8$1$" + std::string(88, 'A')));
  EXPECT_FALSE(sc->is_well_formed("scrypt$1000$salt$8$1$" + std::string(88, 'A')));  // N not a power of 2
  const auto cr = crypt_hasher();
  EXPECT_FALSE(cr->is_well_formed("crypt$$$6$rounds=999999999$salt$hash"));
  EXPECT_FALSE(cr->is_well_formed("crypt$$$y$j9T$salt$hash"));
}

TEST(Hashers, OldArgon2iWithoutVersionStillVerifies) {
  // argon2-cffi before 16.0 wrote no "v=" (version 0x10); Django reads it.
  const auto h = argon2_hasher(kFastArgon2);
  // Made with libargon2 at version 0x10, then the "v=16$" removed as old Django stored it.
  const std::string enc = "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg";
  EXPECT_TRUE(h->is_well_formed(enc));
  EXPECT_TRUE(h->verify("secret", enc));
  EXPECT_FALSE(h->verify("wrong", enc));
  EXPECT_TRUE(h->must_update(enc));
}

// ---- the registry --------------------------------------------------------

TEST(Registry, IdentifiesByDjangosRules) {
  const HasherRegistry r(fast_hashers());
  EXPECT_EQ(r.identify("8fe4c11451281c094a6578e6ddbf5eed")->algorithm(), "unsalted_md5");
  EXPECT_EQ(r.identify("md5$$8fe4c11451281c094a6578e6ddbf5eed")->algorithm(), "unsalted_md5");
  EXPECT_EQ(r.identify("sha1$$1a91d62f7ca67399625a4368a6ab5d4a3baa6073")->algorithm(), "unsalted_sha1");
  EXPECT_EQ(r.identify("sha1$salt$abc")->algorithm(), "sha1");
  EXPECT_EQ(r.identify("pbkdf2_sha256$1$s$h")->algorithm(), "pbkdf2_sha256");
  EXPECT_EQ(r.identify("nope$1$2"), nullptr);
  EXPECT_EQ(r.identify("no-dollar-at-all"), nullptr);
  EXPECT_EQ(r.identify(""), nullptr);
}

TEST(Registry, RejectsEmptyOrDuplicateLists) {
  EXPECT_THROW(HasherRegistry({}), std::invalid_argument);
  EXPECT_THROW(HasherRegistry({md5_hasher(), md5_hasher()}), std::invalid_argument);
}

TEST(Registry, UnusablePasswords) {
  const HasherRegistry r(fast_hashers());
  const std::string unusable = make_unusable_password();
  EXPECT_EQ(unusable.size(), 41u);
  EXPECT_EQ(unusable[0], '!');
  EXPECT_NE(unusable, make_unusable_password());
  EXPECT_FALSE(is_password_usable(unusable));
  EXPECT_TRUE(is_password_usable(r.make_password("x")));
  EXPECT_FALSE(r.check_password("", unusable));
  EXPECT_FALSE(r.check_password(unusable, unusable));
}

TEST(Registry, UpgradesOnlyCorrectPasswordsMadeDifferently) {
  const HasherRegistry r(fast_hashers());
  int upgrades = 0;
  std::string upgraded_with;
  const auto setter = [&](std::string_view pw) {
    ++upgrades;
    upgraded_with = pw;
  };
  // Current algorithm and parameters: no upgrade.
  EXPECT_TRUE(r.check_password("pw", r.make_password("pw"), setter));
  EXPECT_EQ(upgrades, 0);
  // Another algorithm: upgrade with the raw password.
  EXPECT_TRUE(r.check_password("pw", r.make_password("pw", "md5"), setter));
  EXPECT_EQ(upgrades, 1);
  EXPECT_EQ(upgraded_with, "pw");
  // Fewer iterations, same algorithm: upgrade.
  EXPECT_TRUE(r.check_password("pw", pbkdf2_sha256_hasher(500)->encode("pw"), setter));
  EXPECT_EQ(upgrades, 2);
  // A short salt: upgrade.
  EXPECT_TRUE(r.check_password("pw", r.make_password("pw", "pbkdf2_sha256", "short"), setter));
  EXPECT_EQ(upgrades, 3);
  // Wrong password: never.
  EXPECT_FALSE(r.check_password("bad", r.make_password("pw", "md5"), setter));
  EXPECT_EQ(upgrades, 3);
  // Unknown algorithm: false, no exception.
  EXPECT_FALSE(r.check_password("pw", "whirlpool$x$y", setter));
  // Weaker bcrypt rounds and argon2 cost also upgrade.
  const HasherRegistry bcrypt_first({bcrypt_sha256_hasher(5), pbkdf2_sha256_hasher(1000)});
  EXPECT_TRUE(bcrypt_first.must_update(bcrypt_sha256_hasher(4)->encode("pw")));
  const HasherRegistry argon_first({argon2_hasher({2, 64, 1})});
  EXPECT_TRUE(argon_first.must_update(argon2_hasher(kFastArgon2)->encode("pw")));
  EXPECT_FALSE(argon_first.must_update(argon_first.make_password("pw")));
}

// Records harden_runtime calls, to see check_password equalise timing.
class RecordingHasher final : public Hasher {
 public:
  mutable int hardened = 0;
  std::string_view algorithm() const noexcept override { return "rec"; }
  std::string encode(std::string_view pw, std::string_view salt) const override {
    return "rec$" + std::string(salt) + "$" + std::string(pw);
  }
  bool is_well_formed(std::string_view e) const noexcept override { return e.starts_with("rec$"); }
  bool verify(std::string_view pw, std::string_view e) const noexcept override {
    return e.ends_with("$" + std::string(pw));
  }
  bool must_update(std::string_view e) const noexcept override { return e.starts_with("rec$weak$"); }
  void harden_runtime(std::string_view, std::string_view) const noexcept override { ++hardened; }
};

TEST(Registry, WrongPasswordOnAWeakHashPaysFullPrice) {
  auto rec = std::make_shared<RecordingHasher>();
  const HasherRegistry r({rec, md5_hasher()});
  EXPECT_FALSE(r.check_password("bad", "rec$weak$good"));
  EXPECT_EQ(rec->hardened, 1);
  EXPECT_FALSE(r.check_password("bad", "rec$" + std::string(30, 's') + "$good"));
  EXPECT_EQ(rec->hardened, 1);  // not weak: nothing to make up
  EXPECT_TRUE(r.check_password("good", "rec$weak$good"));
  EXPECT_EQ(rec->hardened, 1);  // right password: no padding
}

TEST(Registry, HugeAndEmptyInputs) {
  const HasherRegistry r(fast_hashers());
  const std::string mib(1 << 20, 'p');
  const std::string stored = r.make_password(mib);
  EXPECT_TRUE(r.check_password(mib, stored));
  EXPECT_FALSE(r.check_password(mib, std::string(1 << 20, '$')));
  EXPECT_FALSE(r.check_password("", ""));
  EXPECT_FALSE(r.check_password("x", "pbkdf2_sha256$"));
}

TEST(Registry, DefaultsReadTheEnvironment) {
  EXPECT_EQ(pbkdf2_iterations_from_environment(), kDefaultPbkdf2Iterations);
  setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1234", 1);
  EXPECT_EQ(pbkdf2_iterations_from_environment(), 1234u);
  setenv("GATEHOUSE_PBKDF2_ITERATIONS", "12x", 1);
  EXPECT_THROW(pbkdf2_iterations_from_environment(), std::invalid_argument);
  unsetenv("GATEHOUSE_PBKDF2_ITERATIONS");
  const auto d = HasherRegistry::defaults(kDefaultPbkdf2Iterations);
  EXPECT_EQ(d.preferred().algorithm(), "pbkdf2_sha256");
  EXPECT_EQ(d.hashers().size(), 11u);
}

}  // namespace
}  // namespace gatehouse::passwords
