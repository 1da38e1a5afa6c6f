// The second factor over the JSON API (DESIGN.md, "Multi-factor"), on the
// three deployments: enrolment, the two-step login, replay, recovery codes,
// the throttle, disabling, GATEHOUSE_MFA_REQUIRED, and recovery that does not
// bypass the factor. Time is the injected clock: codes are computed for it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "gatehouse/auth/mfa.h"
#include "gatehouse/auth/otp.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/tasks/tasks.h"
#include "accounts_server.h"
#include "api_browser.h"

namespace gatehouse::app {
namespace {

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);
using testing::Browser;
using testing::Reply;
using nlohmann::json;

const std::string kPassword = "correct horse battery staple";

class Mfa : public ::testing::TestWithParam<testing::Deployment> {
 protected:
  explicit Mfa(std::function<void(Config&)> configure = {})
      : server_(GetParam(), {}, ServerParts{.clock = &clock_}, std::move(configure)) {}
  void SetUp() override {
    auto c = server_->database().acquire();
    user_id_ = auth::UserManager(*c).create_user("ada", "ada@example.com", kPassword).id;
  }
  Browser browser() {
    Browser b(server_->port());
    b.fetch_csrf();
    return b;
  }
  Reply login(Browser& b) { return b.request("POST", "/api/login", json{{"username", "ada"}, {"password", kPassword}}.dump()); }
  // The app's code for `secret` (base32), `steps` time steps from the clock's now.
  std::string code(const std::string& secret, int steps = 0) const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    return auth::otp::format_code(
        auth::otp::hotp(*core::base32_decode(secret), static_cast<std::uint64_t>(auth::otp::time_step(now) + steps)));
  }
  // Logs in and enrols an app; the secret, and the recovery codes in `codes`.
  std::string enrol(Browser& b, std::vector<std::string>* codes = nullptr) {
    EXPECT_EQ(login(b).status, 200);
    Reply r = b.request("POST", "/api/mfa/totp/setup");
    EXPECT_EQ(r.status, 200) << r.raw;
    const std::string secret = r.body["secret"];
    r = b.request("POST", "/api/mfa/totp/confirm", json{{"code", code(secret)}}.dump());
    EXPECT_EQ(r.status, 200) << r.raw;
    if (codes != nullptr) *codes = r.body["recovery_codes"].get<std::vector<std::string>>();
    clock_.advance(std::chrono::seconds(30));  // the confirming code is spent: the next login uses the next step's
    return secret;
  }
  std::int64_t notices(const std::string& event) {
    auto c = server_->database().acquire();
    return c->execute("SELECT count(*) FROM gatehouse_task WHERE name = ? AND payload LIKE ?",
                      {db::Value(auth::kSecurityNoticeJob), db::Value("%\"" + event + "\"%")})
        .scalar()
        .as_int();
  }
  core::ManualClock clock_{core::TimePoint(std::chrono::seconds(1'900'000'005))};
  testing::RunningAccountsServer server_;
  std::int64_t user_id_ = 0;
};

TEST_P(Mfa, EnrolmentShowsTheSecretOnceConfirmedByACode) {
  Browser b = browser();
  ASSERT_EQ(login(b).status, 200);
  Reply r = b.request("GET", "/api/mfa");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, (json{{"totp", false}, {"webauthn", json::array()}, {"recovery_codes_remaining", 0}}));
  r = b.request("POST", "/api/mfa/totp/setup");
  ASSERT_EQ(r.status, 200) << r.raw;
  const std::string secret = r.body["secret"];
  EXPECT_EQ(core::base32_decode(secret)->size(), 20u) << "160 bits";
  EXPECT_EQ(r.body["otpauth_uri"], "otpauth://totp/Gatehouse%3Aada?secret=" + secret +
                                       "&algorithm=SHA1&digits=6&period=30&issuer=Gatehouse");
  EXPECT_EQ(b.request("GET", "/api/mfa").body["totp"], false) << "not active until confirmed";
  r = b.request("POST", "/api/mfa/totp/confirm", json{{"code", code(secret, 3)}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["errors"].contains("code"));
  clock_.advance(std::chrono::seconds(1));  // the device's growing delay after a wrong code
  r = b.request("POST", "/api/mfa/totp/confirm", json{{"code", code(secret)}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["recovery_codes"].size(), 10u);
  r = b.request("GET", "/api/mfa");
  EXPECT_EQ(r.body["totp"], true);
  EXPECT_EQ(r.body["recovery_codes_remaining"], 10);
  EXPECT_EQ(b.request("POST", "/api/mfa/totp/setup").status, 409) << "one active app at a time";
  EXPECT_EQ(notices(auth::kFactorEnrolled), 1) << "the user is emailed through the outbox";
  Browser anonymous = browser();
  EXPECT_EQ(anonymous.request("GET", "/api/mfa").status, 401);
  EXPECT_EQ(anonymous.request("POST", "/api/mfa/totp/setup").status, 401);
}

TEST_P(Mfa, TheLoginAsksForTheSecondStepAndACodeWorksOnce) {
  Browser setup = browser();
  const std::string secret = enrol(setup);
  Browser b = browser();
  Reply r = login(b);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, (json{{"mfa_required", true}, {"methods", {"totp", "recovery_code"}}}));
  const std::string pending = b.session();
  EXPECT_FALSE(pending.empty());
  EXPECT_EQ(b.request("GET", "/api/me").status, 401) << "a pending session is not authenticated";
  EXPECT_EQ(b.request("GET", "/api/mfa").status, 401);
  r = b.request("POST", "/api/login/mfa", json{{"code", code(secret, 5)}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "invalid_code");
  clock_.advance(std::chrono::seconds(1));
  r = b.request("POST", "/api/login/mfa", json{{"code", code(secret)}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, (json{{"id", user_id_}, {"username", "ada"}}));
  EXPECT_NE(b.session(), pending) << "the key rotates when the login completes";
  EXPECT_EQ(b.request("GET", "/api/me").status, 200);

  Browser again = browser();
  ASSERT_EQ(login(again).body["mfa_required"], true);
  EXPECT_EQ(again.request("POST", "/api/login/mfa", json{{"code", code(secret)}}.dump()).status, 400)
      << "the same code a second time: a replay";
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(again.request("POST", "/api/login/mfa", json{{"code", code(secret, 1)}}.dump()).status, 200)
      << "the next step's code (within the tolerance) works";
  EXPECT_EQ(b.request("POST", "/api/login/mfa", json{{"code", code(secret, 1)}}.dump()).status, 400)
      << "a logged-in session has no pending login";
}

TEST_P(Mfa, APendingLoginExpiresAfterFiveMinutesAndDiesWithAPasswordChange) {
  Browser setup = browser();
  const std::string secret = enrol(setup);
  Browser b = browser();
  ASSERT_EQ(login(b).body["mfa_required"], true);
  clock_.advance(auth::kPendingLifetime);
  EXPECT_EQ(b.request("POST", "/api/login/mfa", json{{"code", code(secret)}}.dump()).status, 400) << "expired";
  ASSERT_EQ(login(b).body["mfa_required"], true);
  {
    auto c = server_->database().acquire();
    auto u = models::Manager<auth::User>(*c).get(user_id_);
    u.set_password("another passphrase entirely");
    models::Manager<auth::User>(*c).save(u, {.update_fields = {"password"}});
  }
  EXPECT_EQ(b.request("POST", "/api/login/mfa", json{{"code", code(secret)}}.dump()).status, 400)
      << "the first step's password is no longer the user's";
}

TEST_P(Mfa, RecoveryCodesLogInOnceEachAndAreRenewedWithThePassword) {
  Browser setup = browser();
  std::vector<std::string> codes;
  enrol(setup, &codes);
  Browser b = browser();
  ASSERT_EQ(login(b).body["mfa_required"], true);
  ASSERT_EQ(b.request("POST", "/api/login/mfa", json{{"recovery_code", codes[0]}}.dump()).status, 200);
  EXPECT_EQ(b.request("GET", "/api/mfa").body["recovery_codes_remaining"], 9);
  EXPECT_EQ(notices(auth::kRecoveryCodeUsed), 1);
  Browser c = browser();
  ASSERT_EQ(login(c).body["mfa_required"], true);
  EXPECT_EQ(c.request("POST", "/api/login/mfa", json{{"recovery_code", codes[0]}}.dump()).status, 400) << "used";
  Reply r = b.request("POST", "/api/mfa/recovery-codes", json{{"password", "wrong"}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["errors"].contains("password"));
  r = b.request("POST", "/api/mfa/recovery-codes", json{{"password", kPassword}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  const auto renewed = r.body["recovery_codes"].get<std::vector<std::string>>();
  ASSERT_EQ(renewed.size(), 10u);
  clock_.advance(std::chrono::seconds(5));
  EXPECT_EQ(c.request("POST", "/api/login/mfa", json{{"recovery_code", codes[1]}}.dump()).status, 400)
      << "the old set died";
  clock_.advance(std::chrono::seconds(5));
  EXPECT_EQ(c.request("POST", "/api/login/mfa", json{{"recovery_code", renewed[1]}}.dump()).status, 200);
}

TEST_P(Mfa, WrongCodesAreThrottledPerUserAndClient) {
  Browser setup = browser();
  const std::string secret = enrol(setup);
  Browser b = browser();
  ASSERT_EQ(login(b).body["mfa_required"], true);
  int throttled_at = -1;
  for (int i = 0; i < 8 && throttled_at < 0; ++i) {
    clock_.advance(std::chrono::seconds(20));  // past the device's growing delay (16 s at most here): the throttle stops it
    if (i > 0) {
      ASSERT_EQ(login(b).body["mfa_required"], true);
    }
    const Reply r = b.request("POST", "/api/login/mfa", json{{"code", code(secret, 7)}}.dump());
    if (r.status == 429) {
      throttled_at = i;
      EXPECT_NE(r.raw.find("Retry-After:"), std::string::npos);
    } else {
      EXPECT_EQ(r.status, 400);
    }
  }
  EXPECT_EQ(throttled_at, 5) << "the login policy: five failures per user and client";
}

TEST_P(Mfa, DisablingNeedsThePasswordAndTheLoginIsOnePasswordAgain) {
  Browser b = browser();
  const std::string secret = enrol(b);
  Reply r = b.request("POST", "/api/mfa/totp/disable", json{{"password", "wrong"}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(b.request("GET", "/api/mfa").body["totp"], true);
  ASSERT_EQ(b.request("POST", "/api/mfa/totp/disable", json{{"password", kPassword}}.dump()).status, 204);
  r = b.request("GET", "/api/mfa");
  EXPECT_EQ(r.body["totp"], false);
  EXPECT_EQ(r.body["recovery_codes_remaining"], 0) << "recovery codes go with the last factor";
  EXPECT_EQ(notices(auth::kFactorDisabled), 1);
  Browser next = browser();
  r = login(next);
  EXPECT_EQ(r.body, (json{{"id", user_id_}, {"username", "ada"}}));
}

TEST_P(Mfa, RecoveryOfThePasswordDoesNotBypassTheFactor) {
  Browser setup = browser();
  const std::string secret = enrol(setup);
  {
    auto c = server_->database().acquire();
    auto u = models::Manager<auth::User>(*c).get(user_id_);
    u.set_password("a recovered passphrase");  // as a reset does: the password, no session
    models::Manager<auth::User>(*c).save(u, {.update_fields = {"password"}});
  }
  Browser b = browser();
  const Reply r = b.request("POST", "/api/login", json{{"username", "ada"}, {"password", "a recovered passphrase"}}.dump());
  EXPECT_EQ(r.body["mfa_required"], true) << "a new password still needs the second factor";
  EXPECT_EQ(b.request("GET", "/api/me").status, 401);
}

INSTANTIATE_TEST_SUITE_P(Deployments, Mfa, ::testing::ValuesIn(testing::all_deployments()), testing::deployment_name);

// GATEHOUSE_MFA_REQUIRED=all: a user without a factor enrols before the session is complete.
class MfaRequiredForAll : public Mfa {
 protected:
  MfaRequiredForAll() : Mfa([](Config& c) { c.mfa_required = MfaRequired::all; }) {}
};

TEST_P(MfaRequiredForAll, AUserWithoutAFactorEnrolsBeforeTheSessionIsComplete) {
  Browser b = browser();
  Reply r = login(b);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, (json{{"mfa_required", true}, {"methods", json::array()}, {"enrolment_required", true}}));
  EXPECT_EQ(b.request("GET", "/api/me").status, 401);
  EXPECT_EQ(b.request("GET", "/api/mfa").status, 401) << "only enrolment, nothing else";
  EXPECT_EQ(b.request("POST", "/api/login/mfa", json{{"code", "123456"}}.dump()).status, 400);
  r = b.request("POST", "/api/mfa/totp/setup");
  ASSERT_EQ(r.status, 200) << r.raw;
  const std::string secret = r.body["secret"];
  r = b.request("POST", "/api/mfa/totp/confirm", json{{"code", code(secret)}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["recovery_codes"].size(), 10u);
  EXPECT_EQ(r.body["username"], "ada");
  EXPECT_EQ(b.request("GET", "/api/me").status, 200) << "confirming completed the login";
}

INSTANTIATE_TEST_SUITE_P(Deployments, MfaRequiredForAll, ::testing::ValuesIn(testing::all_deployments()),
                         testing::deployment_name);

}  // namespace
}  // namespace gatehouse::app
