// Parsing helpers shared by the hashers. Internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gatehouse::passwords::detail {

// Splits on '$' into exactly `n` fields, the last taking the rest (Python's
// str.split('$', n - 1) when that yields n parts); nullopt otherwise.
std::optional<std::vector<std::string_view>> split_fields(std::string_view s, std::size_t n);

// A decimal number as Django writes it: digits only, no sign, no leading
// zero, 1..max. Anything else (including "0", "-1", "1e3", 2^63) is nullopt.
std::optional<std::uint64_t> parse_count(std::string_view s, std::uint64_t max);

// True if the salt is usable in a '$'-separated format.
bool salt_fits(std::string_view salt) noexcept;

// Django's must_update_salt(salt, 128): fewer than 22 alphanumeric-equivalents.
bool salt_too_short(std::string_view salt) noexcept;

}  // namespace gatehouse::passwords::detail
