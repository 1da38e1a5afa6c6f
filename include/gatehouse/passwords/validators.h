// Password validators (Django's AUTH_PASSWORD_VALIDATORS): each says why a new
// password is not good enough, in words a person can act on.
//
//   auto validators = passwords::default_validators();
//   auto errors = passwords::validate_password("hunter2", &user_attrs, validators);
//   for (auto& e : errors) std::cout << e.message << '\n';
//
// Thread safety: validators are immutable; validate() may run on any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::passwords {

struct ValidationError {
  std::string code;     // Django's code, e.g. "password_too_short"
  std::string message;  // for the person choosing the password
};

// What a validator may compare the password with: (attribute, value) pairs
// such as ("username", "ada"), ("email", "ada@example.com").
struct UserAttributes {
  std::vector<std::pair<std::string, std::string>> values;
  std::string_view get(std::string_view name) const noexcept;
};

class PasswordValidator {
 public:
  virtual ~PasswordValidator() = default;
  // Appends what is wrong with `password` (nothing if it passes). `user` may be null.
  virtual void validate(std::string_view password, const UserAttributes* user,
                        std::vector<ValidationError>& errors) const = 0;
  virtual std::string help_text() const = 0;
};

// At least `min_length` characters (Unicode code points). Default 8.
class MinimumLengthValidator final : public PasswordValidator {
 public:
  explicit MinimumLengthValidator(std::size_t min_length = 8) : min_length_(min_length) {}
  void validate(std::string_view, const UserAttributes*, std::vector<ValidationError>&) const override;
  std::string help_text() const override;

 private:
  std::size_t min_length_;
};

// Not too similar to the user's attributes, or to any word of them: Python's
// SequenceMatcher.quick_ratio() >= max_similarity (default 0.7), as Django.
// Letters are compared case-insensitively (ASCII case folding).
class UserAttributeSimilarityValidator final : public PasswordValidator {
 public:
  explicit UserAttributeSimilarityValidator(
      std::vector<std::string> attributes = {"username", "first_name", "last_name", "email"},
      double max_similarity = 0.7);
  void validate(std::string_view, const UserAttributes*, std::vector<ValidationError>&) const override;
  std::string help_text() const override;

 private:
  std::vector<std::string> attributes_;
  double max_similarity_;
};

// Not in a list of common passwords (compared lower-cased and trimmed). The
// default list has 20,382 entries (data/README.md says where they come from).
class CommonPasswordValidator final : public PasswordValidator {
 public:
  CommonPasswordValidator();
  // One password per line; throws std::runtime_error if the file cannot be read.
  explicit CommonPasswordValidator(const std::string& path);
  ~CommonPasswordValidator() override;
  void validate(std::string_view, const UserAttributes*, std::vector<ValidationError>&) const override;
  std::string help_text() const override;
  std::size_t size() const noexcept;

 private:
  struct List;
  std::shared_ptr<const List> list_;
};

// Not made of digits only.
class NumericPasswordValidator final : public PasswordValidator {
 public:
  void validate(std::string_view, const UserAttributes*, std::vector<ValidationError>&) const override;
  std::string help_text() const override;
};

// Beyond Django: zxcvbn's estimate of how many guesses the password takes
// (Debian's zxcvbn-c), on zxcvbn's 0-4 scale; the user's attributes count as
// known words. Default minimum score 3 (about 10^8 guesses or more).
class ZxcvbnValidator final : public PasswordValidator {
 public:
  explicit ZxcvbnValidator(int min_score = 3);
  void validate(std::string_view, const UserAttributes*, std::vector<ValidationError>&) const override;
  std::string help_text() const override;
  // zxcvbn's score for `password` (0-4).
  static int score(std::string_view password, const UserAttributes* user = nullptr);

 private:
  int min_score_;
};

using Validators = std::vector<std::shared_ptr<const PasswordValidator>>;

// Django's startproject set: similarity, minimum length, common, numeric.
Validators default_validators();

// Every error from every validator (empty: the password is acceptable).
std::vector<ValidationError> validate_password(std::string_view password, const UserAttributes* user,
                                               const Validators& validators);

}  // namespace gatehouse::passwords
