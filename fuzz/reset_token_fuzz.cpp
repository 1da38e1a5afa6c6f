// Feeds the two parts of a password reset link, reset/<uidb64>/<token>/:
// the input is "<uidb64>/<token>". auth::uid_from_base64() reads the first,
// PasswordResetTokenGenerator::check_token() the second, for a fixed user.
// Properties: a uid read is positive and survives uid_to_base64; a token that
// checks for the user no longer checks once the user has logged in again or
// changed password; and a token made at a time taken from the input checks
// exactly when that time is within the timeout (both hash forms).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "gatehouse/auth/tokens.h"
#include "gatehouse/auth/user.h"

namespace auth = gatehouse::auth;

namespace {

const std::string kKey = "fuzz-secret-key-fuzz-secret-key-fuzz-secret-key-00";
constexpr std::chrono::seconds kTimeout{259200};

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "reset_token_fuzz: %s\n", what);
  std::abort();
}

auth::User make_user() {
  auth::User u;
  u.id = 7;
  u.username = "fuzz";
  u.email = "fuzz@example.com";
  u.last_login = gatehouse::models::Timestamp{std::chrono::sys_days{std::chrono::year{2024} / 1 / 2}};
  u.set_password(auth::EncodedPassword::from_hash(
      "pbkdf2_sha256$1000$seasaltseasaltseasalt1$RsbcOmFiDf9kcxnBm9SAvn5FfyZfVDx3ETkxuLnCZjc="));
  return u;
}

const auth::User& user() {
  static const auth::User u = make_user();
  return u;
}

// The same user after a login, and after a password change.
const auth::User& logged_in_again() {
  static const auth::User u = [] {
    auth::User v = make_user();
    v.last_login = gatehouse::models::Timestamp{std::chrono::sys_days{std::chrono::year{2024} / 1 / 3}};
    return v;
  }();
  return u;
}
const auth::User& new_password() {
  static const auth::User u = [] {
    auth::User v = make_user();
    v.set_unusable_password();
    return v;
  }();
  return u;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto slash = input.find('/');
  const std::string_view uidb64 = input.substr(0, slash);
  const std::string_view token = slash == std::string_view::npos ? input : input.substr(slash + 1);

  if (const auto uid = auth::uid_from_base64(uidb64)) {
    require(*uid > 0, "uid_from_base64 read a uid that is not positive");
    require(auth::uid_from_base64(auth::uid_to_base64(*uid)) == uid, "uid_to_base64 did not round-trip");
  }

  static const auth::PasswordResetTokenGenerator generator(kKey, kTimeout);
  if (generator.check_token(user(), token)) {
    require(!generator.check_token(logged_in_again(), token), "a token outlived a login");
    require(!generator.check_token(new_password(), token), "a token outlived a password change");
  }

  // A token made at a time from the input's first eight bytes.
  std::uint64_t raw = 0;
  if (size > 0) std::memcpy(&raw, data, size < sizeof raw ? size : sizeof raw);
  const auto at = static_cast<std::int64_t>(raw >> 1);  // 0 to INT64_MAX
  const bool fresh = generator.now() - at <= kTimeout.count();
  for (const bool legacy : {false, true}) {
    const std::string made = generator.make_token_at(user(), at, legacy);
    require(generator.check_token(user(), made) == fresh, "a token made at a time checks wrongly");
    require(!generator.check_token(logged_in_again(), made), "a made token checks for a later login");
  }
  return 0;
}
