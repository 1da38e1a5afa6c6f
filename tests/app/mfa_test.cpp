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
#include "soft_authenticator.h"

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

// The pages, as a browser without JavaScript uses them.
std::string form_body(std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::string out;
  for (const auto& [k, v] : fields) out += (out.empty() ? "" : "&") + k + "=" + core::percent_encode(v);
  return out;
}
const std::string kForm = "application/x-www-form-urlencoded";

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto a = text.find(open);
  if (a == std::string::npos) return {};
  const auto b = text.find(close, a + open.size());
  return b == std::string::npos ? std::string() : text.substr(a + open.size(), b - a - open.size());
}

TEST_P(Mfa, ThePagesEnrolAndAskForTheSecondStepWithoutJavaScript) {
  Browser b = browser();
  ASSERT_EQ(b.request("POST", "/accounts/login/", form_body({{"username", "ada"}, {"password", kPassword}}), kForm).status, 302);
  Reply r = b.request("GET", "/accounts/mfa/");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.raw.find("protected by your password alone"), std::string::npos);
  r = b.request("GET", "/accounts/mfa/totp/setup/");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.raw.find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr-code\""), std::string::npos)
      << "the QR code is drawn on the server";
  EXPECT_NE(r.raw.find("Cache-Control: no-store"), std::string::npos);
  std::string secret = between(r.raw, "<code id=\"secret\">", "</code>");
  std::erase(secret, ' ');
  ASSERT_EQ(core::base32_decode(secret)->size(), 20u) << r.raw;
  r = b.request("POST", "/accounts/mfa/totp/setup/", form_body({{"code", code(secret, 4)}}), kForm);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.raw.find(between(r.raw, "<code id=\"secret\">", "</code>")), std::string::npos);
  std::string shown_again = between(r.raw, "<code id=\"secret\">", "</code>");
  std::erase(shown_again, ' ');
  EXPECT_EQ(shown_again, secret) << "a wrong code shows the same secret again (the app has it already)";
  clock_.advance(std::chrono::seconds(1));
  r = b.request("POST", "/accounts/mfa/totp/setup/", form_body({{"code", code(secret)}}), kForm);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.raw.find("id=\"recovery-codes\""), std::string::npos);
  const std::string first_code = between(between(r.raw, "id=\"recovery-codes\"", "</ul>"), "<code>", "</code>");
  EXPECT_EQ(first_code.size(), 14u);
  clock_.advance(std::chrono::seconds(30));

  Browser next = browser();
  r = next.request("POST", "/accounts/login/", form_body({{"username", "ada"}, {"password", kPassword}, {"next", "/accounts/mfa/"}}), kForm);
  ASSERT_EQ(r.status, 302);
  EXPECT_NE(r.raw.find("Location: /accounts/login/mfa/?next=/accounts/mfa/"), std::string::npos) << r.raw;
  r = next.request("GET", "/accounts/profile/");
  EXPECT_EQ(r.status, 302) << "not logged in yet";
  EXPECT_NE(r.raw.find("Location: /accounts/login/mfa/?next=/accounts/profile/"), std::string::npos)
      << "a protected page sends a pending session to its second step: " << r.raw;
  r = next.request("GET", "/accounts/login/mfa/?next=/accounts/mfa/");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.raw.find("name=\"recovery_code\""), std::string::npos);
  r = next.request("POST", "/accounts/login/mfa/", form_body({{"code", "000000"}, {"next", "/accounts/mfa/"}}), kForm);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.raw.find("The code is not valid"), std::string::npos);
  clock_.advance(std::chrono::seconds(1));
  r = next.request("POST", "/accounts/login/mfa/", form_body({{"recovery_code", first_code}, {"next", "/accounts/mfa/"}}), kForm);
  ASSERT_EQ(r.status, 302) << r.raw;
  EXPECT_NE(r.raw.find("Location: /accounts/mfa/"), std::string::npos);
  r = next.request("GET", "/accounts/mfa/");
  EXPECT_NE(r.raw.find("<strong>9</strong> unused recovery codes"), std::string::npos) << r.raw;
  r = next.request("POST", "/accounts/mfa/totp/disable/", form_body({{"password", kPassword}}), kForm);
  EXPECT_EQ(r.status, 302);
  EXPECT_NE(next.request("GET", "/accounts/mfa/").raw.find("protected by your password alone"), std::string::npos);
}

TEST_P(Mfa, StaffWithAFactorPassItToEnterTheAdminAndStaffCanResetIt) {
  {
    auto c = server_->database().acquire();
    auth::UserManager(*c).create_superuser("root", "root@example.com", kPassword);
  }
  Browser ada = browser();
  const std::string secret = enrol(ada);
  Browser root = browser();
  Reply r = root.request("POST", "/admin/login/", form_body({{"username", "root"}, {"password", kPassword}, {"next", "/admin/"}}), kForm);
  ASSERT_EQ(r.status, 302);
  r = root.request("GET", "/admin/auth/user/" + std::to_string(user_id_) + "/change/");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.raw.find("Authenticator app: <strong>on</strong>. Unused recovery codes: 10."), std::string::npos);
  // ada is made staff: the admin login goes through her second step.
  {
    auto c = server_->database().acquire();
    c->execute("UPDATE auth_user SET is_staff = ? WHERE id = ?", {db::Value(true), db::Value(user_id_)});
  }
  Browser staff = browser();
  r = staff.request("POST", "/admin/login/", form_body({{"username", "ada"}, {"password", kPassword}, {"next", "/admin/"}}), kForm);
  ASSERT_EQ(r.status, 302);
  EXPECT_NE(r.raw.find("Location: /accounts/login/mfa/?next=/admin/"), std::string::npos) << r.raw;
  EXPECT_EQ(staff.request("GET", "/admin/").status, 302) << "no admin before the second step";
  r = staff.request("POST", "/accounts/login/mfa/", form_body({{"code", code(secret)}, {"next", "/admin/"}}), kForm);
  ASSERT_EQ(r.status, 302);
  EXPECT_NE(r.raw.find("Location: /admin/"), std::string::npos);
  EXPECT_EQ(staff.request("GET", "/admin/").status, 200);

  r = root.request("POST", "/admin/auth/user/" + std::to_string(user_id_) + "/mfa/reset/", "", kForm);
  ASSERT_EQ(r.status, 302) << r.raw;
  EXPECT_EQ(staff.request("GET", "/admin/").status, 302) << "her sessions ended";
  r = root.request("GET", "/admin/auth/user/" + std::to_string(user_id_) + "/history/");
  EXPECT_NE(r.raw.find("Reset the second factors."), std::string::npos) << r.raw;
  EXPECT_NE(r.raw.find("totp_enrolled"), std::string::npos) << "her own enrolment is in her history";
  EXPECT_EQ(notices(auth::kFactorsReset), 1);
  Browser again = browser();
  EXPECT_EQ(login(again).body, (json{{"id", user_id_}, {"username", "ada"}})) << "no factor asked any more";
}

// Passkeys over the API, from a software authenticator (tests/support/soft_authenticator.h).
TEST_P(Mfa, APasskeyIsASecondFactorAndLogsInAloneWithUserVerification) {
  testing::SoftAuthenticator key("http://127.0.0.1:" + std::to_string(server_->port()));
  Browser b = browser();
  ASSERT_EQ(login(b).status, 200);
  Reply r = b.request("POST", "/api/mfa/webauthn/register/begin");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["rp"]["id"], "127.0.0.1");
  const json created = key.create(r.body);
  r = b.request("POST", "/api/mfa/webauthn/register/finish", json{{"credential", created}, {"name", "laptop"}}.dump());
  ASSERT_EQ(r.status, 201) << r.raw;
  const std::int64_t passkey = r.body["id"];
  EXPECT_EQ(r.body["name"], "laptop");
  EXPECT_EQ(b.request("POST", "/api/mfa/webauthn/register/finish", json{{"credential", created}}.dump()).status, 400)
      << "the challenge was used up";
  r = b.request("GET", "/api/mfa");
  ASSERT_EQ(r.body["webauthn"].size(), 1u);
  EXPECT_EQ(r.body["webauthn"][0]["name"], "laptop");
  EXPECT_TRUE(r.body["webauthn"][0]["last_used"].is_null());
  EXPECT_EQ(notices(auth::kPasskeyAdded), 1);

  // As the second step.
  Browser second = browser();
  r = login(second);
  EXPECT_EQ(r.body, (json{{"mfa_required", true}, {"methods", {"webauthn"}}}));
  r = second.request("POST", "/api/login/webauthn/begin", "{}");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["allowCredentials"][0]["id"], key.credential_id_b64());
  const json assertion = key.get(r.body);
  r = second.request("POST", "/api/login/webauthn/finish", json{{"credential", assertion}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, (json{{"id", user_id_}, {"username", "ada"}}));
  EXPECT_EQ(second.request("GET", "/api/me").status, 200);

  // Alone: no password, user verification required.
  Browser alone = browser();
  r = alone.request("POST", "/api/login/webauthn/begin", json{{"username", "ada"}}.dump());
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body["allowCredentials"].empty()) << "the authenticator offers its passkeys; nothing names the user's";
  EXPECT_EQ(r.body["userVerification"], "required");
  const json without_uv = key.get(r.body, {.flags = 0x01});
  EXPECT_EQ(alone.request("POST", "/api/login/webauthn/finish", json{{"credential", without_uv}}.dump()).status, 400)
      << "presence alone is not enough without a password";
  r = alone.request("POST", "/api/login/webauthn/begin", "{}");
  const json good = key.get(r.body);
  r = alone.request("POST", "/api/login/webauthn/finish", json{{"credential", good}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(alone.request("GET", "/api/me").status, 200);
  Browser replay = browser();
  replay.request("POST", "/api/login/webauthn/begin", "{}");
  EXPECT_EQ(replay.request("POST", "/api/login/webauthn/finish", json{{"credential", good}}.dump()).status, 400)
      << "a recorded assertion does not answer another challenge";
  r = replay.request("POST", "/api/login/webauthn/begin", "{}");
  EXPECT_EQ(replay.request("POST", "/api/login/webauthn/finish",
                           json{{"credential", key.get(r.body, {.counter = 1})}}.dump()).status, 400)
      << "a counter that went back: a clone";

  // Named, then removed: the last factor needs the password.
  r = b.request("PATCH", "/api/mfa/webauthn/" + std::to_string(passkey), json{{"name", "work laptop"}}.dump());
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(b.request("GET", "/api/mfa").body["webauthn"][0]["name"], "work laptop");
  EXPECT_EQ(b.request("PATCH", "/api/mfa/webauthn/999999", json{{"name", "x"}}.dump()).status, 404);
  r = b.request("DELETE", "/api/mfa/webauthn/" + std::to_string(passkey));
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_TRUE(r.body["errors"].contains("password"));
  r = b.request("DELETE", "/api/mfa/webauthn/" + std::to_string(passkey), json{{"password", kPassword}}.dump());
  EXPECT_EQ(r.status, 204) << r.raw;
  EXPECT_TRUE(b.request("GET", "/api/mfa").body["webauthn"].empty());
  Browser after = browser();
  EXPECT_EQ(login(after).body, (json{{"id", user_id_}, {"username", "ada"}})) << "no factor left";
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

// A pending enrolment of one account gives nothing to another login in the same session.
TEST_P(MfaRequiredForAll, AnotherLoginInTheSessionDoesNotInheritTheEnrolment) {
  std::int64_t bob = 0;
  {
    auto c = server_->database().acquire();
    bob = auth::UserManager(*c).create_user("bob", "bob@example.com", kPassword).id;
    models::Manager<auth::otp::TotpDevice>(*c).create(
        {.user_id = bob, .name = "phone", .key = core::hex_encode(auth::otp::new_totp_key())});
  }
  Browser b = browser();
  ASSERT_EQ(login(b).body["enrolment_required"], true);  // ada, who has no factor
  Reply r = b.request("POST", "/api/login", json{{"username", "bob"}, {"password", kPassword}}.dump());
  EXPECT_EQ(r.body, (json{{"mfa_required", true}, {"methods", {"totp"}}})) << "bob's own second step";
  EXPECT_EQ(b.request("POST", "/api/mfa/totp/setup").status, 401) << "bob is not enrolling: no new app for him";
  EXPECT_EQ(b.request("POST", "/api/mfa/totp/confirm", json{{"code", "123456"}}.dump()).status, 401);
  EXPECT_EQ(b.request("GET", "/api/me").status, 401);
}

TEST_P(MfaRequiredForAll, ASignupOnThePagesEnrolsBeforeItsSessionIsComplete) {
  Browser b = browser();
  const Reply r = b.request("POST", "/accounts/signup/",
                            form_body({{"username", "cyd"}, {"email", "cyd@example.com"}, {"password1", kPassword},
                                       {"password2", kPassword}}),
                            kForm);
  ASSERT_EQ(r.status, 302) << r.raw;
  EXPECT_NE(r.raw.find("Location: /accounts/mfa/totp/setup/?next=/accounts/profile/"), std::string::npos) << r.raw;
  EXPECT_EQ(b.request("GET", "/api/me").status, 401) << "not logged in until a factor is confirmed";
  EXPECT_EQ(b.request("GET", "/accounts/mfa/totp/setup/").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Deployments, MfaRequiredForAll, ::testing::ValuesIn(testing::all_deployments()),
                         testing::deployment_name);

}  // namespace
}  // namespace gatehouse::app
