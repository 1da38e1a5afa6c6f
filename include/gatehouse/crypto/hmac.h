// HMAC (RFC 2104) over SHA-256 and SHA-1, and Django's salted_hmac.
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::crypto {

std::string hmac_sha256(std::string_view key, std::string_view message);
std::string hmac_sha1(std::string_view key, std::string_view message);

// Django's salted_hmac(key_salt, value, secret, algorithm="sha256"): the HMAC
// key is sha256(key_salt + secret). Returns raw digest bytes.
std::string salted_hmac_sha256(std::string_view key_salt, std::string_view value,
                               std::string_view secret);

}  // namespace gatehouse::crypto
