// One-time passwords, in django-otp's tables and formats, so a Django project
// using django-otp (Debian's python3-django-otp 1.1) and Gatehouse accept the
// same devices:
//   - TOTP devices in otp_totp_totpdevice: the key hex-encoded, step, t0,
//     digits, tolerance, drift and last_t as django_otp.oath.TOTP reads them;
//     verification is RFC 6238 over HMAC-SHA-1 as django-otp's verify_token;
//   - recovery codes as a static device (otp_static_staticdevice) and its
//     tokens (otp_static_statictoken);
//   - the growing delay after wrong codes is django-otp's ThrottlingMixin
//     (throttling_failure_count, throttling_failure_timestamp: 1, 2, 4, 8 ...
//     seconds), kept in the same columns, so both sides honour it.
//
// What Gatehouse does beyond django-otp:
//   - the replay guard is one conditional UPDATE (`... WHERE last_t < t`):
//     two servers (or Gatehouse and Django) verifying the same code at once
//     cannot both accept it; django-otp reads, compares and saves;
//   - a recovery code is used by a DELETE that must remove the row, so it is
//     single use under the same race;
//   - recovery codes Gatehouse makes are stored hashed: the token column holds
//     "!" and 15 base32 characters of a salted HMAC-SHA-256 of the code under
//     the secret key (75 bits; the column is 16 characters). django-otp keeps
//     its tokens in plain text and compares them as typed, so it accepts its
//     own tokens but not Gatehouse's hashed ones (a stored value starting with
//     "!" matches nothing a user types); Gatehouse accepts both. Rotating
//     the secret key voids Gatehouse's recovery codes, as it voids sessions;
//   - codes are compared in constant time, every candidate time step checked.
//
//   auto secret = auth::otp::new_totp_key();           // 20 bytes from the CSPRNG
//   auth::otp::hotp(secret, 1) == 287082 for the RFC 4226 key.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/core/clock.h"
#include "gatehouse/db/connection.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/models/model.h"

namespace gatehouse::auth::otp {

// ---- the algorithms (RFC 4226, RFC 6238), as django_otp.oath --------------------

// HOTP over HMAC-SHA-1: the `digits` low decimal digits of the dynamic truncation.
std::uint32_t hotp(std::string_view key, std::uint64_t counter, int digits = 6);
// The TOTP time step of `unix_seconds`: (t - t0) / step + drift (floor division).
std::int64_t time_step(std::int64_t unix_seconds, int step = 30, std::int64_t t0 = 0, int drift = 0);
// The code as an app shows it: zero-padded to `digits`.
std::string format_code(std::uint32_t code, int digits = 6);
// 20 bytes (160 bits) from the CSPRNG: RFC 4226's recommended key length.
std::string new_totp_key();

// ---- django-otp's models -----------------------------------------------------------

struct TotpDevice {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string name{};
  bool confirmed = true;
  std::string key{};  // hex, up to 40 bytes
  int step = 30;
  std::int64_t t0 = 0;
  int digits = 6;
  int tolerance = 1;
  int drift = 0;
  std::int64_t last_t = -1;
  std::int64_t throttling_failure_count = 0;
  std::optional<models::Timestamp> throttling_failure_timestamp{};
  static const models::ModelInfo<TotpDevice>& meta();
};

struct StaticDevice {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string name{};
  bool confirmed = true;
  std::int64_t throttling_failure_count = 0;
  std::optional<models::Timestamp> throttling_failure_timestamp{};
  static const models::ModelInfo<StaticDevice>& meta();
};

struct StaticToken {
  std::int64_t id = 0;
  std::int64_t device_id = 0;
  std::string token{};  // at most 16 characters
  static const models::ModelInfo<StaticToken>& meta();
};

// otp_totp 0001_initial and 0002_auto_20190420_0723, otp_static 0001_initial
// and 0002_throttling: the tables as Django's migrate makes them (adopted when
// they exist), on both engines.
std::vector<db::Migration> migrations();

// ---- verification ------------------------------------------------------------------

// django-otp's ThrottlingMixin: after n successive failures the device
// refuses codes for 2^(n-1) seconds from the last one. The wait left, or nullopt.
std::optional<std::chrono::seconds> throttled_for(std::int64_t failures,
                                                  const std::optional<models::Timestamp>& last_failure,
                                                  const core::Clock& clock);

enum class Verdict {
  accepted,
  wrong,      // not this device's code now (or an earlier one: a replay); counted as a failure
  throttled,  // the device's growing delay: not checked, `retry_after` says how long
};
struct Verification {
  Verdict verdict = Verdict::wrong;
  std::chrono::seconds retry_after{0};
};

// Checks a code typed by the user against the device, as django-otp's
// TOTPDevice.verify_token with OTP_TOTP_SYNC: every step from -tolerance to
// +tolerance around now (plus the drift) later than last_t; on a match,
// last_t and drift move and the failure count resets, in one conditional
// UPDATE that loses to any verification that got there first. A miss
// increments the failure count. `code` may carry spaces; anything but
// `digits` digits is wrong.
Verification verify_totp(db::Connection& conn, const TotpDevice& device, std::string_view code,
                         const core::Clock& clock);

// The user's confirmed TOTP device, if any (django-otp allows several; the
// first by id answers).
std::optional<TotpDevice> confirmed_totp(db::Connection& conn, std::int64_t user_id);
// The user's unconfirmed TOTP device (enrolment in progress), if any.
std::optional<TotpDevice> pending_totp(db::Connection& conn, std::int64_t user_id);

// ---- recovery codes ----------------------------------------------------------------

inline constexpr int kRecoveryCodeCount = 10;
// A fresh set of kRecoveryCodeCount codes for the user: the old static
// devices' tokens go; the codes are returned once ("xxxx-xxxx-xxxx", 60 bits
// each) and stored hashed.
std::vector<std::string> new_recovery_codes(db::Connection& conn, std::int64_t user_id, const std::string& secret_key);
// Unused recovery codes of the user's confirmed static devices.
std::int64_t recovery_codes_left(db::Connection& conn, std::int64_t user_id);
// Uses one recovery code (Gatehouse's hashed ones, or django-otp's plain
// tokens): the token row goes, once, under the device's growing delay.
Verification use_recovery_code(db::Connection& conn, std::int64_t user_id, std::string_view code,
                               const std::string& secret_key, const core::Clock& clock);

// Whether the user has a confirmed second factor of django-otp's kinds (a
// TOTP device, or a static device with tokens left): what makes login ask
// for a second step.
bool has_otp_device(db::Connection& conn, std::int64_t user_id);
// What the second step accepts from the user: "totp" (a confirmed TOTP
// device), "recovery_code" (unused recovery codes); empty without factors.
std::vector<std::string> methods(db::Connection& conn, std::int64_t user_id);
// Removes every TOTP device of the user (and, with `recovery_codes`, the static ones).
void remove_totp(db::Connection& conn, std::int64_t user_id, bool recovery_codes);

}  // namespace gatehouse::auth::otp
