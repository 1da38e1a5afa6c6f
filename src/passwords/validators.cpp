#include "gatehouse/passwords/validators.h"

#include <zxcvbn.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace gatehouse::data {
extern const std::string_view common_passwords[];
extern const std::size_t common_passwords_count;
}  // namespace gatehouse::data

namespace gatehouse::passwords {

namespace {

// Code points of UTF-8 text; a byte that does not start a valid sequence
// counts as one unit of its own, so no input is refused.
std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c >> 6) != 2) ok = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (!ok) {
      out.push_back(0xDC00 | b);  // a lone byte, as Python's surrogateescape
      ++i;
    } else {
      out.push_back(cp);
      i += len;
    }
  }
  return out;
}

char32_t fold(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

bool is_word(char32_t c) {
  // Python's \w: letters, digits, underscore; every non-ASCII code point is
  // taken as a letter here (an approximation of Unicode categories).
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

// SequenceMatcher(a, b).quick_ratio(): 2 * |multiset intersection| / (|a| + |b|).
double quick_ratio(const std::vector<char32_t>& a, const std::vector<char32_t>& b) {
  if (a.empty() && b.empty()) return 1.0;
  std::unordered_map<char32_t, int> counts;
  for (char32_t c : b) ++counts[c];
  std::size_t matches = 0;
  for (char32_t c : a) {
    auto it = counts.find(c);
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++matches;
    }
  }
  return 2.0 * static_cast<double>(matches) / static_cast<double>(a.size() + b.size());
}

std::string verbose_name(std::string_view attribute) {
  if (attribute == "email") return "email address";
  std::string out(attribute);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

std::string lower_trimmed(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

}  // namespace

std::string_view UserAttributes::get(std::string_view name) const noexcept {
  for (const auto& [k, v] : values)
    if (k == name) return v;
  return {};
}

// ---- minimum length ---------------------------------------------------------

void MinimumLengthValidator::validate(std::string_view password, const UserAttributes*,
                                      std::vector<ValidationError>& errors) const {
  if (code_points(password).size() >= min_length_) return;
  errors.push_back({"password_too_short", "This password is too short. It must contain at least " +
                                              std::to_string(min_length_) +
                                              (min_length_ == 1 ? " character." : " characters.")});
}

std::string MinimumLengthValidator::help_text() const {
  return "Your password must contain at least " + std::to_string(min_length_) +
         (min_length_ == 1 ? " character." : " characters.");
}

// ---- similarity ---------------------------------------------------------------

UserAttributeSimilarityValidator::UserAttributeSimilarityValidator(std::vector<std::string> attributes,
                                                                   double max_similarity)
    : attributes_(std::move(attributes)), max_similarity_(max_similarity) {
  if (!(max_similarity > 0.0 && max_similarity <= 1.0))
    throw std::invalid_argument("max_similarity must be in (0, 1]");
}

void UserAttributeSimilarityValidator::validate(std::string_view password, const UserAttributes* user,
                                                std::vector<ValidationError>& errors) const {
  if (user == nullptr) return;
  std::vector<char32_t> pw = code_points(password);
  std::transform(pw.begin(), pw.end(), pw.begin(), fold);
  for (const auto& attribute : attributes_) {
    const std::string_view value = user->get(attribute);
    if (value.empty()) continue;
    std::vector<char32_t> whole = code_points(value);
    std::transform(whole.begin(), whole.end(), whole.begin(), fold);
    // re.split(r'\W+', value) + [value]
    std::vector<std::vector<char32_t>> parts(1);
    for (char32_t c : whole) {
      if (is_word(c)) {
        parts.back().push_back(c);
      } else if (!parts.back().empty() || parts.size() == 1) {
        parts.emplace_back();
      }
    }
    parts.push_back(whole);
    for (const auto& part : parts) {
      if (quick_ratio(pw, part) >= max_similarity_) {
        errors.push_back({"password_too_similar", "The password is too similar to the " + verbose_name(attribute) + "."});
        return;  // one error, as Django
      }
    }
  }
}

std::string UserAttributeSimilarityValidator::help_text() const {
  return "Your password can’t be too similar to your other personal information.";
}

// ---- common passwords ---------------------------------------------------------

struct CommonPasswordValidator::List {
  std::unordered_set<std::string> words;
  void add_lines(std::string_view text) {
    while (!text.empty()) {
      const auto nl = text.find('\n');
      const std::string word = lower_trimmed(text.substr(0, nl));
      if (!word.empty()) words.insert(word);
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
  }
};

CommonPasswordValidator::CommonPasswordValidator() {
  static const std::shared_ptr<const List> builtin = [] {
    auto list = std::make_shared<List>();
    for (std::size_t i = 0; i < data::common_passwords_count; ++i) list->add_lines(data::common_passwords[i]);
    return list;
  }();
  list_ = builtin;
}

CommonPasswordValidator::CommonPasswordValidator(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the common password list " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto list = std::make_shared<List>();
  list->add_lines(text);
  list_ = std::move(list);
}

CommonPasswordValidator::~CommonPasswordValidator() = default;

std::size_t CommonPasswordValidator::size() const noexcept { return list_->words.size(); }

void CommonPasswordValidator::validate(std::string_view password, const UserAttributes*,
                                       std::vector<ValidationError>& errors) const {
  if (list_->words.contains(lower_trimmed(password)))
    errors.push_back({"password_too_common", "This password is too common."});
}

std::string CommonPasswordValidator::help_text() const {
  return "Your password can’t be a commonly used password.";
}

// ---- numeric ------------------------------------------------------------------

void NumericPasswordValidator::validate(std::string_view password, const UserAttributes*,
                                        std::vector<ValidationError>& errors) const {
  if (!password.empty() && std::all_of(password.begin(), password.end(), [](char c) { return c >= '0' && c <= '9'; }))
    errors.push_back({"password_entirely_numeric", "This password is entirely numeric."});
}

std::string NumericPasswordValidator::help_text() const { return "Your password can’t be entirely numeric."; }

// ---- zxcvbn -------------------------------------------------------------------

ZxcvbnValidator::ZxcvbnValidator(int min_score) : min_score_(min_score) {
  if (min_score < 0 || min_score > 4) throw std::invalid_argument("zxcvbn scores run from 0 to 4");
}

int ZxcvbnValidator::score(std::string_view password, const UserAttributes* user) {
  // zxcvbn-c takes C strings: text after a NUL byte is not seen.
  const std::string pw(password.substr(0, password.find('\0')));
  // Each attribute, and each word of it (as the similarity check splits them),
  // is a word an attacker who knows the user would try.
  std::vector<std::string> words;
  if (user != nullptr) {
    for (const auto& [k, v] : user->values) {
      const std::string value = v.substr(0, v.find('\0'));
      if (value.empty()) continue;
      words.push_back(value);
      std::string word;
      for (char c : value + ' ') {
        if (is_word(static_cast<unsigned char>(c))) {
          word += c;
        } else if (!word.empty()) {
          if (word.size() >= 3 && word != value) words.push_back(word);
          word.clear();
        }
      }
    }
  }
  std::vector<const char*> dict;
  for (const auto& w : words) dict.push_back(w.c_str());
  dict.push_back(nullptr);
  const double bits = ZxcvbnMatch(pw.c_str(), dict.data(), nullptr);
  // zxcvbn's thresholds on guesses (10^3, 10^6, 10^8, 10^10), in bits.
  const double guesses_log10 = bits * std::log10(2.0);
  if (guesses_log10 < 3) return 0;
  if (guesses_log10 < 6) return 1;
  if (guesses_log10 < 8) return 2;
  if (guesses_log10 < 10) return 3;
  return 4;
}

void ZxcvbnValidator::validate(std::string_view password, const UserAttributes* user,
                               std::vector<ValidationError>& errors) const {
  if (score(password, user) < min_score_)
    errors.push_back({"password_too_weak",
                      "This password is too easy to guess. Add another word or two; uncommon words are better."});
}

std::string ZxcvbnValidator::help_text() const {
  return "Your password must be hard to guess (zxcvbn score of at least " + std::to_string(min_score_) + " of 4).";
}

// ---- sets -----------------------------------------------------------------------

Validators default_validators() {
  return {std::make_shared<UserAttributeSimilarityValidator>(), std::make_shared<MinimumLengthValidator>(),
          std::make_shared<CommonPasswordValidator>(), std::make_shared<NumericPasswordValidator>()};
}

std::vector<ValidationError> validate_password(std::string_view password, const UserAttributes* user,
                                               const Validators& validators) {
  std::vector<ValidationError> errors;
  for (const auto& v : validators) v->validate(password, user, errors);
  return errors;
}

}  // namespace gatehouse::passwords
