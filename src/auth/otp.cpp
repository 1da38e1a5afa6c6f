#include "gatehouse/auth/otp.h"

#include <array>

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/crypto/hmac.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::auth::otp {

namespace {

// The tables as Django 3.2's migrate leaves them after each app's 0002 (on
// SQLite 0002 rebuilds the device tables, so the column order is theirs).
constexpr const char* kSqliteTotp =
    R"(CREATE TABLE "otp_totp_totpdevice" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(64) NOT NULL, "confirmed" bool NOT NULL, "key" varchar(80) NOT NULL, "step" smallint unsigned NOT NULL CHECK ("step" >= 0), "t0" bigint NOT NULL, "digits" smallint unsigned NOT NULL CHECK ("digits" >= 0), "tolerance" smallint unsigned NOT NULL CHECK ("tolerance" >= 0), "drift" smallint NOT NULL, "last_t" bigint NOT NULL, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "throttling_failure_count" integer unsigned NOT NULL CHECK ("throttling_failure_count" >= 0), "throttling_failure_timestamp" datetime NULL);
CREATE INDEX "otp_totp_totpdevice_user_id_0fb18292" ON "otp_totp_totpdevice" ("user_id");)";
constexpr const char* kPostgresTotp =
    R"(CREATE TABLE "otp_totp_totpdevice" ("id" serial NOT NULL PRIMARY KEY, "name" varchar(64) NOT NULL, "confirmed" boolean NOT NULL, "key" varchar(80) NOT NULL, "step" smallint NOT NULL CHECK ("step" >= 0), "t0" bigint NOT NULL, "digits" smallint NOT NULL CHECK ("digits" >= 0), "tolerance" smallint NOT NULL CHECK ("tolerance" >= 0), "drift" smallint NOT NULL, "last_t" bigint NOT NULL, "user_id" integer NOT NULL, "throttling_failure_count" integer NOT NULL CHECK ("throttling_failure_count" >= 0), "throttling_failure_timestamp" timestamp with time zone NULL);
ALTER TABLE "otp_totp_totpdevice" ADD CONSTRAINT "otp_totp_totpdevice_user_id_0fb18292_fk_auth_user_id" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "otp_totp_totpdevice_user_id_0fb18292" ON "otp_totp_totpdevice" ("user_id");)";
constexpr const char* kSqliteStatic =
    R"(CREATE TABLE "otp_static_staticdevice" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(64) NOT NULL, "confirmed" bool NOT NULL, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "throttling_failure_count" integer unsigned NOT NULL CHECK ("throttling_failure_count" >= 0), "throttling_failure_timestamp" datetime NULL);
CREATE TABLE "otp_static_statictoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "token" varchar(16) NOT NULL, "device_id" integer NOT NULL REFERENCES "otp_static_staticdevice" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "otp_static_staticdevice_user_id_7f9cff2b" ON "otp_static_staticdevice" ("user_id");
CREATE INDEX "otp_static_statictoken_token_d0a51866" ON "otp_static_statictoken" ("token");
CREATE INDEX "otp_static_statictoken_device_id_74b7c7d1" ON "otp_static_statictoken" ("device_id");)";
constexpr const char* kPostgresStatic =
    R"(CREATE TABLE "otp_static_staticdevice" ("id" serial NOT NULL PRIMARY KEY, "name" varchar(64) NOT NULL, "confirmed" boolean NOT NULL, "user_id" integer NOT NULL, "throttling_failure_count" integer NOT NULL CHECK ("throttling_failure_count" >= 0), "throttling_failure_timestamp" timestamp with time zone NULL);
CREATE TABLE "otp_static_statictoken" ("id" serial NOT NULL PRIMARY KEY, "token" varchar(16) NOT NULL, "device_id" integer NOT NULL);
ALTER TABLE "otp_static_staticdevice" ADD CONSTRAINT "otp_static_staticdevice_user_id_7f9cff2b_fk_auth_user_id" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "otp_static_staticdevice_user_id_7f9cff2b" ON "otp_static_staticdevice" ("user_id");
ALTER TABLE "otp_static_statictoken" ADD CONSTRAINT "otp_static_statictok_device_id_74b7c7d1_fk_otp_stati" FOREIGN KEY ("device_id") REFERENCES "otp_static_staticdevice" ("id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "otp_static_statictoken_token_d0a51866" ON "otp_static_statictoken" ("token");
CREATE INDEX "otp_static_statictoken_token_d0a51866_like" ON "otp_static_statictoken" ("token" varchar_pattern_ops);
CREATE INDEX "otp_static_statictoken_device_id_74b7c7d1" ON "otp_static_statictoken" ("device_id");)";

constexpr const char* kRecoveryDeviceName = "backup";  // django-two-factor-auth's name for the same device
constexpr std::string_view kRecoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

void register_otp_models() {
  // A deleted user's devices go with them (Django's on_delete=CASCADE), and a device's tokens with it.
  models::register_model(&TotpDevice::meta());
  models::register_model(&StaticDevice::meta());
  models::register_model(&StaticToken::meta());
}

std::int64_t unix_seconds(const core::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

// Only the code's digits: spaces are dropped; anything else makes it wrong.
std::optional<std::uint32_t> parse_code(std::string_view code, int digits) {
  std::string kept;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    kept += c;
  }
  if (static_cast<int>(kept.size()) != digits) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(kept));
}

// What a recovery code is compared as: lower case, without spaces and hyphens.
std::string normalized_recovery_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return out;
}

std::string hashed_token(std::string_view normalized, const std::string& secret_key) {
  const std::string mac = crypto::salted_hmac_sha256("gatehouse.auth.otp.recovery_code", normalized, secret_key);
  return "!" + core::base32_encode(mac).substr(0, 15);
}

// django-otp's throttle_increment, on `table`'s row.
void count_failure(db::Connection& conn, const std::string& table, std::int64_t id, const core::Clock& clock) {
  conn.execute("UPDATE " + table +
                   " SET throttling_failure_count = throttling_failure_count + 1, throttling_failure_timestamp = ? "
                   "WHERE id = ?",
               {db::Value(models::format_timestamp(models::Timestamp::now(clock), conn.engine())), db::Value(id)});
}

}  // namespace

// ---- the algorithms ---------------------------------------------------------------

std::uint32_t hotp(std::string_view key, std::uint64_t counter, int digits) {
  std::array<char, 8> message{};
  for (int i = 7; i >= 0; --i, counter >>= 8) message[static_cast<std::size_t>(i)] = static_cast<char>(counter & 0xFFu);
  const std::string mac = crypto::hmac_sha1(key, std::string_view(message.data(), message.size()));
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(mac[i])); };
  const std::size_t offset = byte(19) & 0x0Fu;
  const std::uint32_t binary =
      ((byte(offset) & 0x7Fu) << 24) | (byte(offset + 1) << 16) | (byte(offset + 2) << 8) | byte(offset + 3);
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return binary % modulus;
}

std::int64_t time_step(std::int64_t unix_seconds, int step, std::int64_t t0, int drift) {
  const std::int64_t d = unix_seconds - t0;
  const std::int64_t q = d / step - ((d % step != 0 && d < 0) ? 1 : 0);  // Python's floor division
  return q + drift;
}

std::string format_code(std::uint32_t code, int digits) {
  std::string s = std::to_string(code);
  if (static_cast<int>(s.size()) < digits) s.insert(0, static_cast<std::size_t>(digits) - s.size(), '0');
  return s;
}

std::string new_totp_key() { return core::random_bytes(20); }

// ---- the models ---------------------------------------------------------------------

const models::ModelInfo<TotpDevice>& TotpDevice::meta() {
  static const models::ModelInfo<TotpDevice> info =
      models::ModelInfo<TotpDevice>("otp_totp", "totpdevice", "otp_totp_totpdevice")
          .primary_key("id", &TotpDevice::id)
          .field("name", &TotpDevice::name, {.max_length = 64})
          .field("confirmed", &TotpDevice::confirmed)
          .field("key", &TotpDevice::key, {.max_length = 80})
          .field("step", &TotpDevice::step)
          .field("t0", &TotpDevice::t0)
          .field("digits", &TotpDevice::digits)
          .field("tolerance", &TotpDevice::tolerance)
          .field("drift", &TotpDevice::drift)
          .field("last_t", &TotpDevice::last_t)
          .field("user_id", &TotpDevice::user_id, {.references = models::Reference{.table = "auth_user"}})
          .field("throttling_failure_count", &TotpDevice::throttling_failure_count)
          .field("throttling_failure_timestamp", &TotpDevice::throttling_failure_timestamp, {.blank = true});
  return info;
}

const models::ModelInfo<StaticDevice>& StaticDevice::meta() {
  static const models::ModelInfo<StaticDevice> info =
      models::ModelInfo<StaticDevice>("otp_static", "staticdevice", "otp_static_staticdevice")
          .primary_key("id", &StaticDevice::id)
          .field("name", &StaticDevice::name, {.max_length = 64})
          .field("confirmed", &StaticDevice::confirmed)
          .field("user_id", &StaticDevice::user_id, {.references = models::Reference{.table = "auth_user"}})
          .field("throttling_failure_count", &StaticDevice::throttling_failure_count)
          .field("throttling_failure_timestamp", &StaticDevice::throttling_failure_timestamp, {.blank = true});
  return info;
}

const models::ModelInfo<StaticToken>& StaticToken::meta() {
  static const models::ModelInfo<StaticToken> info =
      models::ModelInfo<StaticToken>("otp_static", "statictoken", "otp_static_statictoken")
          .primary_key("id", &StaticToken::id)
          .field("token", &StaticToken::token, {.max_length = 16, .db_index = true})
          .field("device_id", &StaticToken::device_id,
                 {.references = models::Reference{.table = "otp_static_staticdevice"}});
  return info;
}

std::vector<db::Migration> migrations() {
  const auto unchanged = [](db::Connection&) { register_otp_models(); };  // 0001 above makes the final tables
  return {
      {"otp_totp", "0001_initial",
       [](db::Connection& c) {
         register_otp_models();
         if (!db::table_exists(c, "otp_totp_totpdevice"))
           c.execute_script(c.engine() == db::Engine::sqlite ? kSqliteTotp : kPostgresTotp);
       }},
      {"otp_totp", "0002_auto_20190420_0723", unchanged},
      {"otp_static", "0001_initial",
       [](db::Connection& c) {
         register_otp_models();
         if (!db::table_exists(c, "otp_static_staticdevice"))
           c.execute_script(c.engine() == db::Engine::sqlite ? kSqliteStatic : kPostgresStatic);
       }},
      {"otp_static", "0002_throttling", unchanged},
  };
}

// ---- verification -------------------------------------------------------------------

std::optional<std::chrono::seconds> throttled_for(std::int64_t failures,
                                                  const std::optional<models::Timestamp>& last_failure,
                                                  const core::Clock& clock) {
  if (failures <= 0 || !last_failure) return std::nullopt;
  const auto required = std::chrono::seconds(std::int64_t{1} << std::min<std::int64_t>(failures - 1, 30));
  const auto waited = clock.now() - last_failure->time;
  if (waited >= required) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(required - waited);
}

Verification verify_totp(db::Connection& conn, const TotpDevice& d, std::string_view code, const core::Clock& clock) {
  if (auto wait = throttled_for(d.throttling_failure_count, d.throttling_failure_timestamp, clock))
    return {Verdict::throttled, *wait};
  const auto key = core::hex_decode(d.key);
  const auto typed = parse_code(code, d.digits);
  const std::int64_t now = time_step(unix_seconds(clock), d.step, d.t0, d.drift);
  std::optional<int> matched;  // the offset from `now` that matched; every candidate is computed
  for (int offset = -d.tolerance; key && typed && offset <= d.tolerance; ++offset) {
    if (now + offset <= d.last_t) continue;
    const std::string expected = format_code(hotp(*key, static_cast<std::uint64_t>(now + offset), d.digits), d.digits);
    if (core::constant_time_equal(expected, format_code(*typed, d.digits)) && !matched) matched = offset;
  }
  if (matched) {
    const std::int64_t t = now + *matched;
    const auto r = conn.execute(
        "UPDATE otp_totp_totpdevice SET last_t = ?, drift = ?, throttling_failure_count = 0, "
        "throttling_failure_timestamp = NULL WHERE id = ? AND last_t < ?",
        {db::Value(t), db::Value(static_cast<std::int64_t>(d.drift + *matched)), db::Value(d.id), db::Value(t)});
    if (r.affected == 1) return {Verdict::accepted, {}};
  }
  count_failure(conn, TotpDevice::meta().table(), d.id, clock);
  return {Verdict::wrong, {}};
}

std::optional<TotpDevice> confirmed_totp(db::Connection& conn, std::int64_t user_id) {
  return models::Manager<TotpDevice>(conn)
      .filter({models::eq("user_id", user_id), models::eq("confirmed", true)})
      .order_by("id")
      .first();
}

std::optional<TotpDevice> pending_totp(db::Connection& conn, std::int64_t user_id) {
  return models::Manager<TotpDevice>(conn)
      .filter({models::eq("user_id", user_id), models::eq("confirmed", false)})
      .order_by("-id")
      .first();
}

// ---- recovery codes -------------------------------------------------------------------

std::vector<std::string> new_recovery_codes(db::Connection& conn, std::int64_t user_id, const std::string& secret_key) {
  db::Transaction tx(conn);
  models::Manager<StaticDevice> devices(conn);
  for (auto& d : devices.filter({models::eq("user_id", user_id)}).all()) devices.remove(d);  // the old set dies
  StaticDevice device = devices.create({.user_id = user_id, .name = kRecoveryDeviceName, .confirmed = true});
  std::vector<std::string> codes;
  models::Manager<StaticToken> tokens(conn);
  for (int i = 0; i < kRecoveryCodeCount; ++i) {
    const std::string raw = core::random_string(12, kRecoveryAlphabet);  // 60 bits
    codes.push_back(raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4));
    tokens.create({.device_id = device.id, .token = hashed_token(raw, secret_key)});
  }
  tx.commit();
  return codes;
}

std::int64_t recovery_codes_left(db::Connection& conn, std::int64_t user_id) {
  return conn
      .execute("SELECT count(*) FROM otp_static_statictoken t JOIN otp_static_staticdevice d ON d.id = t.device_id "
               "WHERE d.user_id = ? AND d.confirmed = ?",
               {db::Value(user_id), db::Value(true)})
      .scalar()
      .as_int();
}

// Every token of the user's confirmed static devices is compared (in
// constant time, against the hashed and the plain form), then the match's
// row is deleted; a DELETE that removes nothing lost a race: wrong.
Verification use_recovery_code(db::Connection& conn, std::int64_t user_id, std::string_view code,
                               const std::string& secret_key, const core::Clock& clock) {
  const auto devices =
      models::Manager<StaticDevice>(conn).filter({models::eq("user_id", user_id), models::eq("confirmed", true)}).all();
  if (devices.empty()) return {Verdict::wrong, {}};
  for (const auto& d : devices)
    if (auto wait = throttled_for(d.throttling_failure_count, d.throttling_failure_timestamp, clock))
      return {Verdict::throttled, *wait};
  const std::string plain = normalized_recovery_code(code);
  const std::string hashed = hashed_token(plain, secret_key);
  std::optional<StaticToken> match;
  for (const auto& d : devices)
    for (const auto& t : models::Manager<StaticToken>(conn).filter({models::eq("device_id", d.id)}).all()) {
      // A hashed token ("!...") matches only through its hash: typing the stored value does not work.
      const bool plain_token = !t.token.empty() && t.token[0] != '!';
      const bool by_hash = core::constant_time_equal(t.token, hashed);  // both compared, whatever the first says
      const bool by_plain = plain_token && !plain.empty() && core::constant_time_equal(t.token, std::string(code));
      const bool same = by_hash || by_plain;
      if (same && !match) match = t;
    }
  const std::int64_t charged = match ? match->device_id : devices.front().id;
  if (match && conn.execute("DELETE FROM otp_static_statictoken WHERE id = ?", {db::Value(match->id)}).affected == 1) {
    conn.execute(
        "UPDATE otp_static_staticdevice SET throttling_failure_count = 0, throttling_failure_timestamp = NULL "
        "WHERE id = ?",
        {db::Value(charged)});
    return {Verdict::accepted, {}};
  }
  count_failure(conn, StaticDevice::meta().table(), charged, clock);
  return {Verdict::wrong, {}};
}

bool has_otp_device(db::Connection& conn, std::int64_t user_id) {
  return confirmed_totp(conn, user_id).has_value() || recovery_codes_left(conn, user_id) > 0;
}

std::vector<std::string> methods(db::Connection& conn, std::int64_t user_id) {
  std::vector<std::string> out;
  if (confirmed_totp(conn, user_id)) out.emplace_back("totp");
  if (recovery_codes_left(conn, user_id) > 0) out.emplace_back("recovery_code");
  return out;
}

void remove_totp(db::Connection& conn, std::int64_t user_id, bool recovery_codes) {
  db::Transaction tx(conn);
  models::Manager<TotpDevice> totp(conn);
  for (auto& d : totp.filter({models::eq("user_id", user_id)}).all()) totp.remove(d);
  if (recovery_codes) {
    models::Manager<StaticDevice> devices(conn);
    for (auto& d : devices.filter({models::eq("user_id", user_id)}).all()) devices.remove(d);
  }
  tx.commit();
}

}  // namespace gatehouse::auth::otp
