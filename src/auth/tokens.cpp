#include "gatehouse/auth/tokens.h"

#include <charconv>
#include <ctime>

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/hmac.h"
#include "gatehouse/crypto/sha.h"

namespace gatehouse::auth {

namespace {

constexpr const char* kKeySalt = "django.contrib.auth.tokens.PasswordResetTokenGenerator";
constexpr std::int64_t k2001 = 978307200;  // 2001-01-01T00:00:00Z in Unix seconds

// str(datetime) of the last login without microseconds or zone, as Django's _make_hash_value.
std::string login_text(const User& u) {
  if (!u.last_login) return "";
  const auto secs = std::chrono::floor<std::chrono::seconds>(u.last_login->time).time_since_epoch().count();
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

PasswordResetTokenGenerator::PasswordResetTokenGenerator(std::string secret_key, std::chrono::seconds timeout,
                                                         const core::Clock& clock)
    : secret_(std::move(secret_key)), timeout_(timeout), clock_(&clock) {}

std::int64_t PasswordResetTokenGenerator::seconds_since_2001(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count() - k2001;
}

std::string PasswordResetTokenGenerator::make_token_at(const User& u, std::int64_t timestamp, bool legacy_sha1) const {
  const std::string value = std::to_string(u.id) + u.password().encoded() + login_text(u) + std::to_string(timestamp) + u.email;
  std::string digest;
  if (legacy_sha1) {
    digest = crypto::hmac_sha1(crypto::sha1(std::string(kKeySalt) + secret_), value);
  } else {
    digest = crypto::salted_hmac_sha256(kKeySalt, value, secret_);
  }
  const std::string hex = core::hex_encode(digest);
  std::string half;  // every other hex digit, as Django's [::2]
  for (std::size_t i = 0; i < hex.size(); i += 2) half += hex[i];
  return core::base36_encode(static_cast<std::uint64_t>(timestamp)) + "-" + half;
}

std::string PasswordResetTokenGenerator::make_token(const User& u) const { return make_token_at(u, now()); }

bool PasswordResetTokenGenerator::check_token(const User& u, std::string_view token) const {
  if (token.empty() || token.size() > 80) return false;
  const auto dash = token.find('-');
  if (dash == std::string_view::npos || token.find('-', dash + 1) != std::string_view::npos) return false;
  const auto ts = core::base36_decode(token.substr(0, dash));
  if (!ts || *ts > static_cast<std::uint64_t>(INT64_MAX)) return false;
  const auto timestamp = static_cast<std::int64_t>(*ts);
  if (!core::constant_time_equal(make_token_at(u, timestamp), token) &&
      !core::constant_time_equal(make_token_at(u, timestamp, true), token))
    return false;
  return now() - timestamp <= timeout_.count();
}

std::string uid_to_base64(std::int64_t id) { return core::base64url_encode(std::to_string(id)); }

std::optional<std::int64_t> uid_from_base64(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  const auto raw = core::base64url_decode(text);
  if (!raw || raw->empty()) return std::nullopt;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), id);
  if (ec != std::errc() || end != raw->data() + raw->size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace gatehouse::auth
