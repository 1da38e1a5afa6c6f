// One-time passwords (auth/otp.h): RFC 4226 and RFC 6238's test vectors, and
// on both engines verification as django-otp does it — the replay guard,
// drift, the growing delay — and recovery codes used once.
#include "gatehouse/auth/otp.h"

#include <gtest/gtest.h>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/models/manager.h"
#include "test_database.h"

namespace gatehouse::auth::otp {
namespace {

const std::string kRfcKey = "12345678901234567890";  // RFC 4226 appendix D, RFC 6238 appendix B (SHA-1)
const std::string kSecret(50, 's');

TEST(Hotp, Rfc4226Vectors) {
  const std::uint32_t expected[] = {755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489};
  for (std::uint64_t counter = 0; counter < 10; ++counter) EXPECT_EQ(hotp(kRfcKey, counter), expected[counter]) << counter;
}

TEST(Totp, Rfc6238Sha1Vectors) {
  const std::pair<std::int64_t, const char*> vectors[] = {{59, "94287082"},         {1111111109, "07081804"},
                                                          {1111111111, "14050471"}, {1234567890, "89005924"},
                                                          {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [t, code] : vectors)
    EXPECT_EQ(format_code(hotp(kRfcKey, static_cast<std::uint64_t>(time_step(t)), 8), 8), code) << t;
}

TEST(Totp, TimeStepsAreFloorDivisionAsPython) {
  EXPECT_EQ(time_step(0), 0);
  EXPECT_EQ(time_step(29), 0);
  EXPECT_EQ(time_step(30), 1);
  EXPECT_EQ(time_step(100, 30, 200), -4) << "(100 - 200) // 30 in Python";
  EXPECT_EQ(time_step(90, 30, 0, 2), 5) << "the drift is added";
  EXPECT_EQ(format_code(42, 6), "000042");
  EXPECT_EQ(new_totp_key().size(), 20u);
  EXPECT_NE(new_totp_key(), new_totp_key());
}

class Devices : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    auth::migrate(*db_, {});
    conn_.emplace(db_->acquire());
    user_id_ = UserManager(c()).create_user("ada", "ada@example.com", "analytical engine").id;
  }
  db::Connection& c() { return **conn_; }
  TotpDevice device(int drift = 0) {
    return models::Manager<TotpDevice>(c()).create(
        {.user_id = user_id_, .name = "phone", .key = core::hex_encode(kRfcKey), .drift = drift});
  }
  TotpDevice reload(const TotpDevice& d) { return models::Manager<TotpDevice>(c()).get(d.id); }
  // The code the app shows `steps` time steps from the clock's now.
  std::string code_at(int steps) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    return format_code(hotp(kRfcKey, static_cast<std::uint64_t>(time_step(now) + steps)));
  }
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::optional<db::PooledConnection> conn_;
  std::int64_t user_id_ = 0;
  core::ManualClock clock_{core::TimePoint(std::chrono::seconds(1'800'000'015))};  // mid-step
};

TEST_P(Devices, ACodeIsAcceptedOnceAndNoEarlierStepAfterIt) {
  TotpDevice d = device();
  EXPECT_EQ(verify_totp(c(), d, code_at(0), clock_).verdict, Verdict::accepted);
  d = reload(d);
  EXPECT_EQ(d.last_t, time_step(1'800'000'015));
  EXPECT_EQ(verify_totp(c(), d, code_at(0), clock_).verdict, Verdict::wrong) << "the same code again: a replay";
  clock_.advance(std::chrono::seconds(1));  // past the growing delay of that failure
  d = reload(d);
  EXPECT_EQ(verify_totp(c(), d, code_at(-1), clock_).verdict, Verdict::wrong) << "an earlier step, within tolerance";
  clock_.advance(std::chrono::seconds(30));
  d = reload(d);
  // The failures' delay (2 s after the second) has passed; the next step's code works.
  EXPECT_EQ(verify_totp(c(), d, code_at(0), clock_).verdict, Verdict::accepted);
}

TEST_P(Devices, TwoVerifiersOfOneCodeCannotBothAcceptIt) {
  const TotpDevice d = device();  // two servers read the same row
  EXPECT_EQ(verify_totp(c(), d, code_at(0), clock_).verdict, Verdict::accepted);
  EXPECT_EQ(verify_totp(c(), d, code_at(0), clock_).verdict, Verdict::wrong)
      << "the second's conditional UPDATE finds last_t moved";
}

TEST_P(Devices, ToleranceIsOneStepAndTheDriftFollowsTheApp) {
  TotpDevice d = device();
  EXPECT_EQ(verify_totp(c(), d, code_at(2), clock_).verdict, Verdict::wrong) << "two steps ahead is too far";
  clock_.advance(std::chrono::seconds(1));
  d = reload(d);
  EXPECT_EQ(verify_totp(c(), d, code_at(1), clock_).verdict, Verdict::accepted) << "one step ahead";
  d = reload(d);
  EXPECT_EQ(d.drift, 1) << "OTP_TOTP_SYNC: the drift is the step that matched";
  clock_.advance(std::chrono::seconds(30));
  // With drift 1 the window is centred a step ahead: two steps ahead of the clock now passes.
  EXPECT_EQ(verify_totp(c(), d, code_at(2), clock_).verdict, Verdict::accepted);
}

TEST_P(Devices, WrongCodesGrowTheDelayAsDjangoOtp) {
  TotpDevice d = device();
  for (const char* bad : {"000000", "12345", "abcdef", "1234567"}) {
    d = reload(d);
    const auto v = verify_totp(c(), d, bad, clock_);
    if (v.verdict == Verdict::throttled) {
      clock_.advance(v.retry_after);
      d = reload(d);
      EXPECT_EQ(verify_totp(c(), d, bad, clock_).verdict, Verdict::wrong) << bad;
    } else {
      EXPECT_EQ(v.verdict, Verdict::wrong) << bad;
    }
  }
  d = reload(d);
  EXPECT_EQ(d.throttling_failure_count, 4);
  const auto v = verify_totp(c(), d, code_at(0), clock_);
  ASSERT_EQ(v.verdict, Verdict::throttled) << "even the right code waits out the delay";
  EXPECT_EQ(v.retry_after, std::chrono::seconds(8)) << "2^(4-1) seconds after the fourth failure";
  clock_.advance(std::chrono::seconds(8));
  EXPECT_EQ(verify_totp(c(), d, code_at(0), clock_).verdict, Verdict::accepted);
  EXPECT_EQ(reload(d).throttling_failure_count, 0) << "a success resets the count";
}

TEST_P(Devices, RecoveryCodesAreStoredHashedAndWorkOnce) {
  device();
  const auto codes = new_recovery_codes(c(), user_id_, kSecret);
  ASSERT_EQ(codes.size(), 10u);
  EXPECT_EQ(codes[0].size(), 14u) << "xxxx-xxxx-xxxx";
  EXPECT_EQ(recovery_codes_left(c(), user_id_), 10);
  for (const auto& t : models::Manager<StaticToken>(c()).all().all()) {
    EXPECT_EQ(t.token.size(), 16u);
    EXPECT_EQ(t.token[0], '!');
    for (const auto& code : codes) EXPECT_EQ(t.token.find(code.substr(0, 4)), std::string::npos) << "no code in clear";
  }
  const std::string stored = models::Manager<StaticToken>(c()).all().first()->token;
  EXPECT_EQ(use_recovery_code(c(), user_id_, stored, kSecret, clock_).verdict, Verdict::wrong)
      << "the stored hash typed as a code is not a code";
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(use_recovery_code(c(), user_id_, codes[3], kSecret, clock_).verdict, Verdict::accepted);
  EXPECT_EQ(recovery_codes_left(c(), user_id_), 9);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(use_recovery_code(c(), user_id_, codes[3], kSecret, clock_).verdict, Verdict::wrong) << "used once";
  clock_.advance(std::chrono::seconds(1));
  std::string typed = codes[4];
  std::erase(typed, '-');
  for (char& ch : typed) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(use_recovery_code(c(), user_id_, typed, kSecret, clock_).verdict, Verdict::accepted)
      << "case and hyphens do not matter";
  EXPECT_EQ(use_recovery_code(c(), user_id_, codes[5], std::string(50, 'x'), clock_).verdict, Verdict::wrong)
      << "under another secret key the hashes differ";
  const auto renewed = new_recovery_codes(c(), user_id_, kSecret);
  EXPECT_EQ(recovery_codes_left(c(), user_id_), 10);
  clock_.advance(std::chrono::seconds(10));
  EXPECT_EQ(use_recovery_code(c(), user_id_, codes[6], kSecret, clock_).verdict, Verdict::wrong) << "the old set died";
  EXPECT_EQ(methods(c(), user_id_), (std::vector<std::string>{"totp", "recovery_code"}));
}

TEST_P(Devices, DjangoOtpsPlainTokensAreAcceptedToo) {
  models::Manager<StaticDevice> devices(c());
  const StaticDevice d = devices.create({.user_id = user_id_, .name = "backup"});
  models::Manager<StaticToken>(c()).create({.device_id = d.id, .token = "abcd2345"});  // as StaticToken.random_token()
  EXPECT_TRUE(has_otp_device(c(), user_id_)) << "a static device with tokens is a factor, as django-otp says";
  EXPECT_EQ(methods(c(), user_id_), std::vector<std::string>{"recovery_code"});
  EXPECT_EQ(use_recovery_code(c(), user_id_, "abcd2345", kSecret, clock_).verdict, Verdict::accepted);
  EXPECT_EQ(recovery_codes_left(c(), user_id_), 0);
  EXPECT_FALSE(has_otp_device(c(), user_id_));
}

TEST_P(Devices, DeletingTheUserTakesTheDevices) {
  device();
  new_recovery_codes(c(), user_id_, kSecret);
  auto u = models::Manager<User>(c()).get(user_id_);
  models::Manager<User>(c()).remove(u);
  EXPECT_EQ(models::Manager<TotpDevice>(c()).count(), 0);
  EXPECT_EQ(models::Manager<StaticDevice>(c()).count(), 0);
  EXPECT_EQ(models::Manager<StaticToken>(c()).count(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, Devices, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& p) { return testing::engine_name(p.param); });

}  // namespace
}  // namespace gatehouse::auth::otp
