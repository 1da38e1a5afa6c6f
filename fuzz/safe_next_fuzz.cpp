// Feeds next= URLs to accounts::safe_next(), the open-redirect check of the
// login page: the input as it is, percent-decoded, and the "next" field of the
// input read as a form body (what the login form actually hands it).
// Property: the answer is the fallback, or the input unchanged, starting with
// exactly one '/', with no backslash and no control character (nothing a
// browser could read as another site: "//evil", "/\evil", "/\t/evil").
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gatehouse/accounts/site.h"
#include "gatehouse/http/message.h"

namespace {

const std::string kFallback = "/accounts/profile/";

void require(bool ok, const char* what, const std::string& next) {
  if (ok) return;
  std::fprintf(stderr, "safe_next_fuzz: %s (next of %zu bytes)\n", what, next.size());
  std::abort();
}

bool has_control_character(const std::string& s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> nexts{input, gatehouse::http::percent_decode(input)};
  const auto form = gatehouse::http::parse_form(input);
  if (const auto it = form.find("next"); it != form.end()) nexts.push_back(it->second);

  for (const std::string& next : nexts) {
    const std::string answer = gatehouse::accounts::safe_next(next, kFallback);
    if (answer == kFallback) continue;
    require(answer == next, "the answer is neither the fallback nor the input", next);
    require(!answer.empty() && answer[0] == '/', "the answer does not start with '/'", next);
    require(answer.size() == 1 || answer[1] != '/', "the answer starts with '//'", next);
    require(answer.find('\\') == std::string::npos, "the answer holds a backslash", next);
    require(!has_control_character(answer), "the answer holds a control character", next);
  }
  return 0;
}
