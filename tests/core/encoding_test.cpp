#include <gtest/gtest.h>

#include <set>

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"

namespace gatehouse::core {
namespace {

TEST(Base64, RoundTripsEveryLengthAndMatchesPython) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_encode("\xfb\xff", true), "-_8=");
  std::string data;
  for (int n = 0; n < 70; ++n) {
    ASSERT_EQ(base64_decode(base64_encode(data)), data);
    ASSERT_EQ(base64url_decode(base64url_encode(data)), data);
    data += static_cast<char>(n * 37);
  }
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(base64_decode("Zg="));     // wrong length
  EXPECT_FALSE(base64_decode("Zg=a"));    // padding inside
  EXPECT_FALSE(base64_decode("Z$==")); // not in the alphabet
  EXPECT_FALSE(base64_decode("Zh=="));    // non-zero leftover bits
  EXPECT_FALSE(base64_decode("-_8="));    // URL alphabet in standard
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("A"));
}

TEST(Hex, RoundTripAndErrors) {
  EXPECT_EQ(hex_encode(std::string_view("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(hex_decode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(Base36, MatchesDjango) {
  EXPECT_EQ(base36_encode(0), "0");
  EXPECT_EQ(base36_encode(35), "z");
  EXPECT_EQ(base36_encode(36), "10");
  EXPECT_EQ(base36_encode(UINT64_MAX), "3w5e11264sgsf");
  EXPECT_EQ(base36_decode("3w5e11264sgsf"), UINT64_MAX);
  EXPECT_EQ(base36_decode("Z"), 35u);
  EXPECT_FALSE(base36_decode("3w5e11264sgsg"));  // overflows
  EXPECT_FALSE(base36_decode(""));
  EXPECT_FALSE(base36_decode("12345678901234"));  // too long
  EXPECT_FALSE(base36_decode("-1"));
}

TEST(Percent, DecodesEscapesAndPlusesAndEncodesBack) {
  EXPECT_EQ(percent_decode("a%20b%2Fc%zz%4"), "a b/c%zz%4");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_encode("/p?q=ü&x"), "/p%3Fq%3D%C3%BC%26x");
  EXPECT_EQ(percent_decode(percent_encode("any bytes: \x01\xff")), "any bytes: \x01\xff");
}

TEST(JsonEscape, QuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_escape("say \"hi\" \\ now\n\x01ü"), "say \\\"hi\\\" \\\\ now\\u000a\\u0001ü");
}

TEST(ConstantTime, EqualOnlyWhenIdentical) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("secret2", "secret"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(Random, StringsUseTheAlphabetAndDiffer) {
  const std::string a = random_string(22), b = random_string(22);
  EXPECT_EQ(a.size(), 22u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_NE(kRandomStringAlphabet.find(c), std::string_view::npos);
  EXPECT_EQ(random_string(5, "x"), "xxxxx");
  EXPECT_THROW(random_string(1, ""), std::invalid_argument);
}

TEST(Random, BelowIsInRangeAndCoversIt) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto v = random_below(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_THROW(random_below(0), std::invalid_argument);
}

// RFC 4648, section 10.
TEST(Base32, Rfc4648VectorsBothWays) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},          {"f", "MY======"},         {"fo", "MZXQ===="},         {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI======"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(plain, true), encoded);
    EXPECT_EQ(base32_decode(encoded), std::string(plain));
    std::string bare = encoded;
    bare.erase(bare.find_last_not_of('=') + 1);
    EXPECT_EQ(base32_encode(plain), bare);
    EXPECT_EQ(base32_decode(bare), std::string(plain)) << "padding is optional";
  }
  EXPECT_EQ(base32_decode("mzxw 6ytb"), std::string("fooba")) << "lower case, and spaces between groups";
  EXPECT_FALSE(base32_decode("MZXW6YT1"));  // 1 is not in the alphabet
  EXPECT_FALSE(base32_decode("MZX"));       // a partial character
  EXPECT_FALSE(base32_decode("MY=A"));      // something after the padding
  EXPECT_FALSE(base32_decode("MZ"));        // stray bits
}

}  // namespace
}  // namespace gatehouse::core
