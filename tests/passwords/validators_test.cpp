#include "gatehouse/passwords/validators.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace gatehouse::passwords {
namespace {

std::vector<std::string> codes(const std::vector<ValidationError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.code);
  return out;
}

const UserAttributes kAda{{{"username", "ada_lovelace"},
                           {"first_name", "Ada"},
                           {"last_name", "Lovelace"},
                           {"email", "countess@analytical-engine.example"}}};

TEST(Validators, MinimumLengthCountsCharactersNotBytes) {
  MinimumLengthValidator v(8);
  std::vector<ValidationError> e;
  v.validate("日本語日本語日本", nullptr, e);  // 8 characters, 24 bytes
  EXPECT_TRUE(e.empty());
  v.validate("short", nullptr, e);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, "password_too_short");
  EXPECT_EQ(e[0].message, "This password is too short. It must contain at least 8 characters.");
  EXPECT_EQ(MinimumLengthValidator(1).help_text(), "Your password must contain at least 1 character.");
}

TEST(Validators, SimilarityToAttributesAndTheirWords) {
  UserAttributeSimilarityValidator v;
  std::vector<ValidationError> e;
  v.validate("lovelace", &kAda, e);  // equal to the last name
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "The password is too similar to the username.");  // "lovelace" is a word of it
  e.clear();
  v.validate("ANALYTICAL", &kAda, e);  // a word of the email, any case
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "The password is too similar to the email address.");
  e.clear();
  v.validate("correct horse battery", &kAda, e);
  EXPECT_TRUE(e.empty());
  v.validate("lovelace", nullptr, e);  // no user, nothing to compare
  EXPECT_TRUE(e.empty());
  UserAttributeSimilarityValidator strict({"first_name"}, 0.5);
  strict.validate("adam", &kAda, e);  // quick_ratio("adam","ada") = 6/7
  EXPECT_EQ(codes(e), std::vector<std::string>{"password_too_similar"});
  EXPECT_THROW(UserAttributeSimilarityValidator({}, 0.0), std::invalid_argument);
}

TEST(Validators, CommonPasswordsFromTheBuiltInList) {
  CommonPasswordValidator v;
  EXPECT_GE(v.size(), 20000u);
  std::vector<ValidationError> e;
  for (const char* pw : {"password", "PASSWORD", "  123456  ", "qwerty", "letmein"}) v.validate(pw, nullptr, e);
  EXPECT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].message, "This password is too common.");
  e.clear();
  v.validate("vT9#qL2!mZ", nullptr, e);
  EXPECT_TRUE(e.empty());
}

TEST(Validators, CommonPasswordsFromAFile) {
  const std::string path = ::testing::TempDir() + "/common.txt";
  std::ofstream(path) << "Tr0ub4dor\nsecret\n";
  CommonPasswordValidator v(path);
  EXPECT_EQ(v.size(), 2u);
  std::vector<ValidationError> e;
  v.validate("tr0ub4dor", nullptr, e);
  EXPECT_EQ(e.size(), 1u);
  std::remove(path.c_str());
  EXPECT_THROW(CommonPasswordValidator("/nonexistent/list.txt"), std::runtime_error);
}

TEST(Validators, Numeric) {
  NumericPasswordValidator v;
  std::vector<ValidationError> e;
  v.validate("12345678901", nullptr, e);
  v.validate("1234a", nullptr, e);
  v.validate("", nullptr, e);
  EXPECT_EQ(codes(e), std::vector<std::string>{"password_entirely_numeric"});
}

TEST(Validators, ZxcvbnScoresAndUsesUserWords) {
  EXPECT_LE(ZxcvbnValidator::score("password"), 1);
  EXPECT_GE(ZxcvbnValidator::score("wintry-quokka-abseils-57-mangroves"), 4);
  // The user's own attributes are known words: weaker with them than without.
  EXPECT_LT(ZxcvbnValidator::score("countessanalytical", &kAda), ZxcvbnValidator::score("countessanalytical"));
  ZxcvbnValidator v(3);
  std::vector<ValidationError> e;
  v.validate("letmein1", nullptr, e);
  v.validate("wintry-quokka-abseils-57-mangroves", nullptr, e);
  EXPECT_EQ(codes(e), std::vector<std::string>{"password_too_weak"});
  EXPECT_THROW(ZxcvbnValidator(5), std::invalid_argument);
}

TEST(Validators, DefaultSetReturnsEveryFailure) {
  const auto errors = validate_password("1234", &kAda, default_validators());
  EXPECT_EQ(codes(errors), (std::vector<std::string>{"password_too_short", "password_too_common",
                                                      "password_entirely_numeric"}));
  EXPECT_TRUE(validate_password("wintry quokka abseils", &kAda, default_validators()).empty());
  // Bytes that are not UTF-8 are judged, not refused.
  EXPECT_TRUE(validate_password("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7", nullptr, default_validators()).empty());
}

}  // namespace
}  // namespace gatehouse::passwords
