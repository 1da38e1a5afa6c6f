#include "gatehouse/auth/reset_codes.h"

#include <gtest/gtest.h>

#include <set>

#include "test_cache.h"

namespace gatehouse::auth {
namespace {

class Codes : public ::testing::TestWithParam<std::string> {
 protected:
  testing::TestCache cache_{GetParam()};
  ResetCodes codes_{cache_.cache(), std::string(50, 's')};
};

TEST_P(Codes, EightRandomDigitsUsableOnce) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string c = codes_.issue(1);
    ASSERT_EQ(c.size(), 8u);
    for (char ch : c) ASSERT_TRUE(ch >= '0' && ch <= '9');
    seen.insert(c);
  }
  EXPECT_GT(seen.size(), 45u);
  const std::string code = codes_.issue(7);
  EXPECT_FALSE(codes_.redeem(8, code)) << "another user's code";
  EXPECT_TRUE(codes_.redeem(7, code));
  EXPECT_FALSE(codes_.redeem(7, code)) << "single use";
}

TEST_P(Codes, StoredOnlyAsAnHmac) {
  const std::string code = codes_.issue(3);
  const auto stored = cache_.cache().get("reset_code:3");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->find(code), std::string::npos);
  EXPECT_EQ(stored->size(), 64u);
}

TEST_P(Codes, ANewCodeReplacesTheOld) {
  const std::string first = codes_.issue(2);
  std::string second = codes_.issue(2);
  while (second == first) second = codes_.issue(2);
  EXPECT_FALSE(codes_.redeem(2, first));
  EXPECT_TRUE(codes_.redeem(2, second));
}

TEST_P(Codes, FiveWrongTriesKillTheCode) {
  const std::string code = codes_.issue(4);
  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(codes_.redeem(4, wrong));
  EXPECT_TRUE(codes_.redeem(4, code)) << "four wrong tries leave it alive";
  const std::string again = codes_.issue(4);
  const std::string wrong2 = again == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(codes_.redeem(4, wrong2));
  EXPECT_FALSE(codes_.redeem(4, again)) << "the fifth wrong try killed it";
  EXPECT_FALSE(codes_.redeem(4, "")) << "malformed";
}

TEST_P(Codes, ExpireAfterTheirLifetime) {
  // The default ten minutes on the manual clock; one second of real time on Redis.
  const std::chrono::seconds lifetime = cache_.real_time() ? std::chrono::seconds(1) : ResetCodePolicy{}.lifetime;
  ResetCodes brief(cache_.cache(), std::string(50, 's'), {.digits = 6, .lifetime = lifetime});
  const std::string code = brief.issue(9);
  EXPECT_EQ(code.size(), 6u);
  if (!cache_.real_time()) {
    const std::string other = brief.issue(10);
    cache_.advance(lifetime - std::chrono::milliseconds(1));
    EXPECT_TRUE(brief.redeem(10, other)) << "alive to the end of its lifetime";
    cache_.advance(std::chrono::milliseconds(1));
  } else {
    cache_.advance(lifetime);
  }
  EXPECT_FALSE(brief.redeem(9, code));
  EXPECT_THROW(ResetCodes(cache_.cache(), "k", {.digits = 4}), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Caches, Codes, ::testing::ValuesIn(testing::all_cache_backends()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace gatehouse::auth
