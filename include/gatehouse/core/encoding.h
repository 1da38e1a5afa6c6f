// Text encodings of bytes: base64 (standard and URL-safe, as Python's base64
// module), hex, base32 (RFC 4648, as TOTP secrets are written), base36 (Django's int_to_base36 / base36_to_int), URL percent
// encoding, and the inside of a JSON string (for log lines written by hand).
//
// Decoders never throw: they return std::nullopt for input that is not valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::core {

// Standard alphabet with '=' padding (base64.b64encode).
std::string base64_encode(std::string_view bytes);
// Accepts padded input only, as base64.b64decode(validate=True).
std::optional<std::string> base64_decode(std::string_view text);

// URL-safe alphabet ('-' and '_'); `pad` adds '=' (Django's signing strips it).
std::string base64url_encode(std::string_view bytes, bool pad = false);
// Padding optional.
std::optional<std::string> base64url_decode(std::string_view text);

// Lower-case hex.
std::string hex_encode(std::string_view bytes);
// Either case; even length.
std::optional<std::string> hex_decode(std::string_view text);

// RFC 4648 base32, upper case; `pad` adds '=' to a multiple of 8 characters
// (base64.b32encode pads; otpauth:// URIs and authenticator apps do not).
std::string base32_encode(std::string_view bytes, bool pad = false);
// Either case; padding optional; spaces ignored (a secret typed in groups).
std::optional<std::string> base32_decode(std::string_view text);

std::string base36_encode(std::uint64_t value);
// Lower or upper case; at most 13 digits (Django caps input length too).
std::optional<std::uint64_t> base36_decode(std::string_view text);

// %XX escapes decoded (malformed ones kept as they are); `plus_as_space` for
// application/x-www-form-urlencoded.
std::string percent_decode(std::string_view text, bool plus_as_space = false);
// Everything but letters, digits and -_.~/ as %XX.
std::string percent_encode(std::string_view bytes);

// `text` escaped to stand between the quotes of a JSON string.
std::string json_escape(std::string_view text);
// `text` escaped for HTML text and attribute values (& < > " ').
std::string html_escape(std::string_view text);

}  // namespace gatehouse::core
