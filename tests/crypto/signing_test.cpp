// Django-compatible signing, against values Django 3.2 made (SECRET_KEY "k"*50).
#include "gatehouse/crypto/signing.h"

#include <gtest/gtest.h>

namespace gatehouse::crypto {
namespace {

const std::string kKey(50, 'k');
// Django: signing.dumps({"_auth_user_id": "1"}, key="k"*50, salt="s")
const std::string kDjangoToken = "eyJfYXV0aF91c2VyX2lkIjoiMSJ9:1xUZB5:ozSRZb10KW9DR1sMe4AW8NqBqOA5n5ZwqWXg-xIHzHk";
// Django: signing.dumps({"a": "b"*300}, key, salt="django.contrib.sessions.SessionStore", compress=True)
const std::string kDjangoCompressed =
    ".eJyrVkpUslJKGgVEA6VaADYPdPQ:1xUZB5:njcH9ljyE9FzrwPbn7CaNIdJtTl8Myoraq1STBXnTzo";

TimestampSigner::Clock::time_point at(const char* base62) {
  return TimestampSigner::Clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(*base62_decode(base62))));
}

TEST(Signing, SignerMatchesDjango) {
  const Signer s(kKey, "my.salt");
  EXPECT_EQ(s.sign("hello"), "hello:vwDqqqXN_fiZSihQSr-85Hvx9dFkAtmESwJ2T7ORUfs");
  EXPECT_EQ(s.unsign("hello:vwDqqqXN_fiZSihQSr-85Hvx9dFkAtmESwJ2T7ORUfs"), "hello");
  EXPECT_THROW(s.unsign("hellO:vwDqqqXN_fiZSihQSr-85Hvx9dFkAtmESwJ2T7ORUfs"), BadSignature);
  EXPECT_THROW(s.unsign("no separator"), BadSignature);
  EXPECT_THROW(Signer(kKey, "other.salt").unsign(s.sign("x")), BadSignature);
  EXPECT_THROW(Signer(std::string(50, 'x'), "my.salt").unsign(s.sign("x")), BadSignature);
}

TEST(Signing, DumpsIsByteForByteDjangos) {
  EXPECT_EQ(dumps("{\"_auth_user_id\":\"1\"}", kKey, "s", false, at("1xUZB5")), kDjangoToken);
  EXPECT_EQ(dumps("{\"a\":\"" + std::string(300, 'b') + "\"}", kKey, "django.contrib.sessions.SessionStore", true,
                  at("1xUZB5")),
            kDjangoCompressed);
}

TEST(Signing, LoadsDjangosTokensAndChecksAge) {
  EXPECT_EQ(loads(kDjangoToken, kKey, "s"), "{\"_auth_user_id\":\"1\"}");
  EXPECT_EQ(loads(kDjangoCompressed, kKey, "django.contrib.sessions.SessionStore"),
            "{\"a\":\"" + std::string(300, 'b') + "\"}");
  const auto signed_at = at("1xUZB5");
  EXPECT_NO_THROW(loads(kDjangoToken, kKey, "s", std::chrono::seconds(60), signed_at + std::chrono::seconds(59)));
  EXPECT_THROW(loads(kDjangoToken, kKey, "s", std::chrono::seconds(60), signed_at + std::chrono::seconds(61)),
               SignatureExpired);
  EXPECT_THROW(loads(kDjangoToken, kKey, "wrong salt"), BadSignature);
  std::string tampered = kDjangoToken;
  tampered[3] = 'X';
  EXPECT_THROW(loads(tampered, kKey, "s"), BadSignature);
  for (const char* junk : {"", ":", "::", "a:b:c", ".:1:x"}) EXPECT_THROW(loads(junk, kKey, "s"), BadSignature) << junk;
}

TEST(Signing, Base62) {
  EXPECT_EQ(base62_encode(0), "0");
  EXPECT_EQ(base62_encode(61), "z");
  EXPECT_EQ(base62_decode(base62_encode(1700000000)), 1700000000u);
  EXPECT_FALSE(base62_decode("!"));
  EXPECT_FALSE(base62_decode(""));
}

}  // namespace
}  // namespace gatehouse::crypto
