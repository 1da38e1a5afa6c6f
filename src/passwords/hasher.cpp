#include "gatehouse/passwords/hasher.h"

#include "format.h"
#include "gatehouse/core/random.h"

namespace gatehouse::passwords {

std::string Hasher::salt() const { return core::random_string(kSaltLength); }

bool Hasher::must_update(std::string_view) const noexcept { return false; }

void Hasher::harden_runtime(std::string_view, std::string_view) const noexcept {}

namespace detail {

std::optional<std::vector<std::string_view>> split_fields(std::string_view s, std::size_t n) {
  std::vector<std::string_view> out;
  out.reserve(n);
  while (out.size() + 1 < n) {
    const auto pos = s.find('$');
    if (pos == std::string_view::npos) return std::nullopt;
    out.push_back(s.substr(0, pos));
    s.remove_prefix(pos + 1);
  }
  out.push_back(s);
  return out;
}

std::optional<std::uint64_t> parse_count(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 19 || s[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');  // 19 digits cannot overflow
  }
  if (v > max) return std::nullopt;
  return v;
}

bool salt_fits(std::string_view salt) noexcept {
  return !salt.empty() && salt.find('$') == std::string_view::npos;
}

bool salt_too_short(std::string_view salt) noexcept {
  // len(salt) * log2(62) < 128  <=>  len(salt) < 21.5
  return salt.size() < Hasher::kSaltLength;
}

}  // namespace detail
}  // namespace gatehouse::passwords
