// The JSON API over HTTP, as a client uses it: the whole journey, every
// failure status, bad input, and the login throttle. On both engines.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>
#include <thread>

#include "gatehouse/app/server.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/auth/password_change.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/tasks/tasks.h"
#include "api_browser.h"
#include "http_client.h"
#include "accounts_server.h"

namespace gatehouse::app {
namespace {

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);
using Client = testing::HttpClient;
using testing::Browser;
using testing::Reply;
using nlohmann::json;

class Api : public ::testing::TestWithParam<testing::Deployment> {
 protected:
  testing::RunningAccountsServer server_{GetParam()};
};

const std::string kGood = "correct horse battery staple";
const std::string& good_password() { return kGood; }

TEST_P(Api, TheWholeJourney) {
  Browser b(server_->port());
  b.fetch_csrf();
  Reply r = b.request("POST", "/api/signup", json{{"username", "ada"}, {"email", "Ada@Example.COM"}, {"password", kGood}}.dump());
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["username"], "ada");
  EXPECT_EQ(r.body["email"], "Ada@example.com");
  EXPECT_EQ(b.request("GET", "/api/me").status, 401);

  r = b.request("POST", "/api/login", json{{"username", "ada"}, {"password", kGood}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.raw.find("sessionid="), std::string::npos);
  EXPECT_NE(r.raw.find("HttpOnly"), std::string::npos);
  EXPECT_NE(r.raw.find("SameSite=Lax"), std::string::npos);
  r = b.request("GET", "/api/me");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["username"], "ada");
  EXPECT_EQ(r.body["profile"]["default_language"], "text");
  EXPECT_FALSE(r.body["last_login"].is_null());

  // A second device logs in too; then the first changes the password.
  Browser phone(server_->port());
  phone.fetch_csrf();
  ASSERT_EQ(phone.request("POST", "/api/login", json{{"username", "ada"}, {"password", kGood}}.dump()).status, 200);
  r = b.request("GET", "/api/sessions");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["sessions"].size(), 2u);
  EXPECT_EQ(r.raw.find(b.session()), std::string::npos) << "session keys must not be exposed";

  const std::string new_pw = "a much newer passphrase";
  EXPECT_EQ(b.request("POST", "/api/password/change", json{{"old_password", "wrong"}, {"new_password", new_pw}}.dump()).status, 400);
  EXPECT_EQ(b.request("POST", "/api/password/change", json{{"old_password", kGood}, {"new_password", "123"}}.dump()).status, 400);
  ASSERT_EQ(b.request("POST", "/api/password/change", json{{"old_password", kGood}, {"new_password", new_pw}}.dump()).status, 204);
  EXPECT_EQ(b.request("GET", "/api/me").status, 200) << "the session that changed it stays logged in";
  EXPECT_EQ(phone.request("GET", "/api/me").status, 401) << "every other session ends";
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "ada"}, {"password", kGood}}.dump()).status, 401);

  const std::string before_logout = b.session();
  EXPECT_EQ(b.request("POST", "/api/logout").status, 204);
  EXPECT_EQ(b.request("GET", "/api/me").status, 401);
  b.set_session(before_logout);  // replaying the old cookie does not work either
  EXPECT_EQ(b.request("GET", "/api/me").status, 401);
}

TEST_P(Api, LoginRotatesTheSessionKeyAndFailuresLookAlike) {
  {
    auto c = server_->database().acquire();
    auth::UserManager(*c).create_user("bob", "bob@example.com", kGood);
  }
  Browser b(server_->port());
  b.fetch_csrf();
  b.set_session("attackerchosensessionkey00000000");
  ASSERT_EQ(b.request("POST", "/api/login", json{{"username", "bob"}, {"password", kGood}}.dump()).status, 200);
  EXPECT_NE(b.session(), "attackerchosensessionkey00000000");
  const Reply wrong = b.request("POST", "/api/login", json{{"username", "bob"}, {"password", "nope"}}.dump());
  const Reply unknown = b.request("POST", "/api/login", json{{"username", "nobody"}, {"password", "nope"}}.dump());
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body) << "one message for every cause";
}

// Staff flagged the account (auth/password_change.h): the login works, and
// nothing but the password change does until the password changed.
TEST_P(Api, MustChangePasswordAtNextLoginHoldsEverySurfaceUntilChanged) {
  std::int64_t id = 0;
  {
    auto c = server_->database().acquire();
    id = auth::UserManager(*c).create_user("cleo", "cleo@example.com", kGood).id;
    auth::require_password_change(*c, id, true);
  }
  Browser b(server_->port());
  b.fetch_csrf();
  Reply r = b.request("POST", "/api/login", json{{"username", "cleo"}, {"password", kGood}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["password_change_required"], true);
  r = b.request("GET", "/api/me");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"], "password_change_required");
  EXPECT_EQ(b.request("GET", "/api/sessions").status, 403);
  r = b.request("GET", "/accounts/profile/");
  EXPECT_EQ(r.status, 302);
  EXPECT_NE(r.raw.find("Location: /accounts/password_change/?next="), std::string::npos) << r.raw;
  r = b.request("GET", "/admin/");
  EXPECT_EQ(r.status, 302) << "the admin too";
  EXPECT_NE(r.raw.find("Location: /accounts/password_change/"), std::string::npos);
  EXPECT_EQ(b.request("GET", "/accounts/password_change/").status, 200) << "the way out stays open";

  const std::string new_pw = "an entirely fresh passphrase";
  ASSERT_EQ(b.request("POST", "/api/password/change", json{{"old_password", kGood}, {"new_password", new_pw}}.dump()).status, 204);
  EXPECT_EQ(b.request("GET", "/api/me").status, 200);
  {
    auto c = server_->database().acquire();
    EXPECT_FALSE(auth::must_change_password(*c, id)) << "the flag is done with";
  }
  Browser again(server_->port());
  again.fetch_csrf();
  r = again.request("POST", "/api/login", json{{"username", "cleo"}, {"password", new_pw}}.dump());
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.body.contains("password_change_required"));
  EXPECT_EQ(again.request("GET", "/api/me").status, 200);
}

TEST_P(Api, BadInputIsA4xxWithJsonAndChangesNothing) {
  Browser b(server_->port());
  b.fetch_csrf();
  const auto count_users = [&] {
    auto c = server_->database().acquire();
    return c->execute("SELECT count(*) FROM auth_user").scalar().as_int();
  };
  const auto expect_4xx = [&](const Reply& r, int status, const char* what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.raw;
    EXPECT_FALSE(r.body.is_discarded()) << what << " body is not JSON";
  };
  expect_4xx(b.request("POST", "/api/signup", "{not json"), 400, "malformed JSON");
  expect_4xx(b.request("POST", "/api/signup", "[1,2]"), 400, "not an object");
  expect_4xx(b.request("POST", "/api/signup", "username=x", "application/x-www-form-urlencoded"), 415, "content type");
  Reply r = b.request("POST", "/api/signup", json{{"username", "x"}}.dump());
  expect_4xx(r, 400, "missing fields");
  EXPECT_TRUE(r.body["errors"].contains("password"));
  r = b.request("POST", "/api/signup", json{{"username", "eve'; DROP TABLE auth_user; --"}, {"email", "e@example.com"}, {"password", kGood}}.dump());
  expect_4xx(r, 400, "SQL metacharacters in the username");
  EXPECT_TRUE(r.body["errors"].contains("username"));
  r = b.request("POST", "/api/signup", std::string("{\"username\":\"\xff\xfe\",\"email\":\"a@b.co\",\"password\":\"x\"}"));
  expect_4xx(r, 400, "invalid UTF-8");
  r = b.request("POST", "/api/login", std::string("{\"username\":\"\xff\",\"password\":\"x\"}"));
  EXPECT_EQ(r.status, 400) << r.raw;
  r = b.request("POST", "/api/signup", json{{"username", "weak"}, {"email", "w@example.com"}, {"password", "password"}}.dump());
  expect_4xx(r, 400, "weak password");
  EXPECT_EQ(r.body["errors"]["password"][0], "This password is too common.");
  expect_4xx(b.request("POST", "/api/login", json{{"username", 5}, {"password", "x"}}.dump()), 400, "wrong field type");
  expect_4xx(b.request("POST", "/api/signup", std::string(10 << 20, 'a')), 413, "a 10 MiB body");
  {
    Client c(server_->port());
    c.send("GET /api/me HTTP/1.1\r\nHost: t\r\nX-Padding: " + std::string(100 << 10, 'h') + "\r\n\r\n");
    const std::string raw = c.response();
    EXPECT_EQ(Client::status_of(raw), 431) << "a 100 KiB header";
    EXPECT_FALSE(json::parse(Client::body_of(raw), nullptr, false).is_discarded()) << raw.substr(0, 200);
  }
  EXPECT_EQ(count_users(), 0);
  EXPECT_EQ(b.request("GET", "/healthz").status, 200) << "still serving";
}

TEST_P(Api, RepeatedFailuresAreThrottledWithRetryAfter) {
  {
    auto c = server_->database().acquire();
    auth::UserManager(*c).create_user("carol", "c@example.com", kGood);
  }
  Browser b(server_->port());
  b.fetch_csrf();
  int throttled_at = -1;
  for (int i = 0; i < 8 && throttled_at < 0; ++i) {
    const Reply r = b.request("POST", "/api/login", json{{"username", "carol"}, {"password", "bad"}}.dump());
    if (r.status == 429) {
      throttled_at = i;
      EXPECT_NE(r.raw.find("Retry-After: "), std::string::npos);
    } else {
      EXPECT_EQ(r.status, 401);
    }
  }
  EXPECT_EQ(throttled_at, 5);
  // Even the right password waits while throttled.
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "carol"}, {"password", kGood}}.dump()).status, 429);
  const std::string metrics = Client::body_of([&] {
    Client c(server_->port());
    c.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
    return c.response();
  }());
  EXPECT_NE(metrics.find("gatehouse_logins_failed_total 5"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("gatehouse_logins_throttled_total 2"), std::string::npos);
  EXPECT_NE(metrics.find("gatehouse_hash_pool_queue_depth"), std::string::npos);
}

const std::string& good_password();

class AccessTest : public ::testing::TestWithParam<testing::Deployment> {
 protected:
  // Routes behind each check, and users to try them with.
  static void setup(app::AccountsServer& server) {
    const web::Access& a = server.access();
    const auto ok = http::sync([&server](http::Request& r) {
      return http::Response::text(200, "hello " + server.access().user(r)->username);
    });
    auto& router = server.router();
    router.get("/api/private", a.login_required(ok));
    router.get("/private/page", a.login_required(ok, web::Audience::page));
    router.get("/api/user-admin", a.permission_required("auth.add_user", ok));
    router.get("/staff/", a.staff_member_required(ok));
    router.get("/api/named-a", a.user_passes_test([](db::Connection&, const auth::User& u) { return u.username.starts_with("a"); }, ok));
    auto conn = server.database().acquire();
    auth::UserManager users(*conn);
    users.create_user("alice", "a@example.com", good_password());
    users.create_user("bob", "b@example.com", good_password());
    auth::User staff = users.create_user("sam", "s@example.com", good_password());
    staff.is_staff = true;
    models::Manager<auth::User>(*conn).save(staff);
    users.create_superuser("root", "r@example.com", good_password());
  }
  testing::RunningAccountsServer server_{GetParam(), &AccessTest::setup};

  Browser as(const std::string& username) {
    Browser b(server_->port());
    b.fetch_csrf();
    EXPECT_EQ(b.request("POST", "/api/login", json{{"username", username}, {"password", kGood}}.dump()).status, 200);
    return b;
  }
};

TEST_P(AccessTest, AnonymousIs401OnApiRoutesAndARedirectOnPages) {
  Browser anon(server_->port());
  Reply r = anon.request("GET", "/api/private");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"], "not_authenticated");
  r = anon.request("GET", "/private/page?tab=2");
  EXPECT_EQ(r.status, 302);
  EXPECT_NE(r.raw.find("Location: /accounts/login/?next=/private/page%3Ftab%3D2"), std::string::npos) << r.raw;
  EXPECT_EQ(anon.request("GET", "/staff/").status, 302);
}

TEST_P(AccessTest, LoggedInUsersWithoutThePermissionGet403) {
  Browser alice = as("alice");
  EXPECT_EQ(alice.request("GET", "/api/private").status, 200);
  EXPECT_EQ(Client::body_of(alice.request("GET", "/private/page").raw), "hello alice");
  EXPECT_EQ(alice.request("GET", "/api/user-admin").status, 403);
  EXPECT_EQ(alice.request("GET", "/staff/").status, 403);
  EXPECT_EQ(alice.request("GET", "/api/named-a").status, 200);
  Browser bob = as("bob");
  EXPECT_EQ(bob.request("GET", "/api/named-a").status, 403);
  {
    auto conn = server_->database().acquire();
    auth::User b = auth::UserManager(*conn).get_by_natural_key("bob");
    auth::user_permissions.add(*conn, b, {auth::get_permission(*conn, "auth.add_user").id});
  }
  EXPECT_EQ(bob.request("GET", "/api/user-admin").status, 200);
  EXPECT_EQ(as("sam").request("GET", "/staff/").status, 200);
  Browser root = as("root");
  EXPECT_EQ(root.request("GET", "/api/user-admin").status, 200);  // superusers have every permission
  {
    auto conn = server_->database().acquire();
    auth::User r = auth::UserManager(*conn).get_by_natural_key("root");
    r.is_active = false;
    models::Manager<auth::User>(*conn).save(r);
  }
  EXPECT_EQ(root.request("GET", "/api/user-admin").status, 401) << "an inactive user's session no longer counts";
}

TEST_P(Api, SignupSendsAWelcomeEmailThroughTheOutbox) {
  Browser b(server_->port());
  b.fetch_csrf();
  const std::string address = "welcome-" + std::to_string(server_->port()) + "@example.com";
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "wendy"}, {"email", address}, {"password", kGood}}.dump()).status, 201);
  const auto answered = std::chrono::steady_clock::now() - t0;
  std::vector<mail::EmailMessage> mine;
  for (int i = 0; i < 200 && mine.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (auto& m : mail::memory_outbox())
      if (!m.to.empty() && m.to[0] == address) mine.push_back(m);
  }
  ASSERT_EQ(mine.size(), 1u) << "the worker inside the server sent it";
  EXPECT_EQ(mine[0].subject, "Welcome to Gatehouse");
  EXPECT_NE(mine[0].body.find("Hello wendy"), std::string::npos);
  bool has_id = false;
  for (const auto& [k, v] : mine[0].headers) has_id |= k == "Message-ID" && v.starts_with("<mail.welcome:");
  EXPECT_TRUE(has_id) << "the Message-ID carries the job's idempotency key";
  EXPECT_LT(answered, std::chrono::seconds(2)) << "the email is not sent during the request";
  // The worker hands the message over, then marks the job done: wait for the mark.
  const auto done_jobs = [&] {
    auto conn = server_->database().acquire();
    return conn->execute("SELECT count(*) FROM gatehouse_task WHERE idempotency_key LIKE 'mail.welcome:%' AND state = 'done'")
        .scalar()
        .as_int();
  };
  for (int i = 0; i < 200 && done_jobs() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(done_jobs(), 1);
}

// The messages the server's worker sent to `address` (memory backend), waiting up to 4 s for `n`.
std::vector<mail::EmailMessage> mail_to(const std::string& address, std::size_t n = 1) {
  std::vector<mail::EmailMessage> mine;
  for (int i = 0; i < 200; ++i) {
    mine.clear();
    if (n == 0 && i > 0) break;
    for (auto& m : mail::memory_outbox())
      if (!m.to.empty() && m.to[0] == address) mine.push_back(m);
    if (mine.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return mine;
}

std::string code_in(const mail::EmailMessage& m) {
  const auto pos = m.body.find("    ");
  return pos == std::string::npos ? "" : m.body.substr(pos + 4, 8);
}

TEST_P(Api, ForgotAndResetWithAnEmailedCode) {
  mail::clear_memory_outbox();
  const std::string address = "reset-" + std::to_string(server_->port()) + "@example.com";
  Browser laptop(server_->port());
  laptop.fetch_csrf();
  ASSERT_EQ(laptop.request("POST", "/api/signup", json{{"username", "rita"}, {"email", address}, {"password", kGood}}.dump()).status, 201);
  ASSERT_EQ(laptop.request("POST", "/api/login", json{{"username", "rita"}, {"password", kGood}}.dump()).status, 200);

  Browser stranger(server_->port());
  stranger.fetch_csrf();
  Reply known = stranger.request("POST", "/api/password/forgot", json{{"email", address}}.dump());
  Reply unknown = stranger.request("POST", "/api/password/forgot", json{{"email", "nobody-" + address}}.dump());
  EXPECT_EQ(known.status, 202);
  EXPECT_EQ(unknown.status, 202);
  EXPECT_EQ(known.body, unknown.body) << "the same answer whether or not the address has an account";
  auto mails = mail_to(address, 2);  // the welcome, then the code
  ASSERT_EQ(mails.size(), 2u);
  const std::string code = code_in(mails[1]);
  ASSERT_EQ(code.size(), 8u) << mails[1].body;
  for (int i = 0; i < 200; ++i) {  // until the worker has handled both jobs
    auto c = server_->database().acquire();
    if (c->execute("SELECT count(*) FROM gatehouse_task WHERE state <> 'done'").scalar().as_int() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(mail_to("nobody-" + address, 0).empty()) << "no email for an unknown address";

  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  Reply r = stranger.request("POST", "/api/password/reset", json{{"email", address}, {"code", wrong}, {"new_password", "a brand new passphrase"}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "invalid_code");
  Reply r2 = stranger.request("POST", "/api/password/reset", json{{"email", "nobody-" + address}, {"code", code}, {"new_password", "a brand new passphrase"}}.dump());
  EXPECT_EQ(r2.body, r.body) << "one generic failure";
  r = stranger.request("POST", "/api/password/reset", json{{"email", address}, {"code", code}, {"new_password", "password"}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["errors"].contains("new_password")) << "a weak password is refused before the code is spent";
  r = stranger.request("POST", "/api/password/reset", json{{"email", address}, {"code", code}, {"new_password", "a brand new passphrase"}}.dump());
  EXPECT_EQ(r.status, 204) << r.raw;
  EXPECT_EQ(laptop.request("GET", "/api/me").status, 401) << "every session of the user ended";
  r = stranger.request("POST", "/api/password/reset", json{{"email", address}, {"code", code}, {"new_password", "another new passphrase"}}.dump());
  EXPECT_EQ(r.status, 400) << "a code works once";
  Browser back(server_->port());
  back.fetch_csrf();
  EXPECT_EQ(back.request("POST", "/api/login", json{{"username", "rita"}, {"password", kGood}}.dump()).status, 401);
  EXPECT_EQ(back.request("POST", "/api/login", json{{"username", "rita"}, {"password", "a brand new passphrase"}}.dump()).status, 200);
}

TEST_P(Api, FiveWrongCodesKillItAndRequestsAreThrottled) {
  mail::clear_memory_outbox();
  const std::string address = "tries-" + std::to_string(server_->port()) + "@example.com";
  Browser b(server_->port());
  b.fetch_csrf();
  ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "tess"}, {"email", address}, {"password", kGood}}.dump()).status, 201);
  ASSERT_EQ(b.request("POST", "/api/password/forgot", json{{"email", address}}.dump()).status, 202);
  auto mails = mail_to(address, 2);
  ASSERT_EQ(mails.size(), 2u);
  const std::string code = code_in(mails[1]);
  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(b.request("POST", "/api/password/reset", json{{"email", address}, {"code", wrong}, {"new_password", "a brand new passphrase"}}.dump()).status, 400);
  EXPECT_EQ(b.request("POST", "/api/password/reset", json{{"email", address}, {"code", code}, {"new_password", "a brand new passphrase"}}.dump()).status, 400)
      << "dead after five wrong tries";
  // forgot: five a day per address in the window (one used above); the fifth more is refused
  int last = 0;
  for (int i = 0; i < 5; ++i) last = b.request("POST", "/api/password/forgot", json{{"email", address}}.dump()).status;
  EXPECT_EQ(last, 429);
  const Reply r = b.request("POST", "/api/password/forgot", json{{"email", address}}.dump());
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.raw.find("Retry-After: "), std::string::npos);
  EXPECT_EQ(b.request("POST", "/api/password/forgot", json{{"email", "bad"}}.dump()).status, 400);
}

// ---- the HTML pages --------------------------------------------------------------

// A form post as a browser sends it: url-encoded, the CSRF token as a field.
Reply post_form(Browser& b, const std::string& path, const std::string& form) {
  return b.request("POST", path, form, "application/x-www-form-urlencoded");
}

TEST_P(Api, PagesRefuseFormsWithoutTheCsrfToken) {
  Browser b(server_->port());
  b.fetch_csrf();
  const std::string token = b.token();
  b.set_token("");  // no X-CSRFToken header: only the form field counts
  Reply r = post_form(b, "/accounts/signup/", "username=mallory&email=m%40example.com&password1=x&password2=x");
  EXPECT_EQ(r.status, 403) << r.raw;
  r = post_form(b, "/accounts/signup/",
                "csrfmiddlewaretoken=" + token + "&username=mallory&email=m%40example.com&password1=" +
                    http::percent_encode(kGood) + "&password2=" + http::percent_encode(kGood));
  EXPECT_EQ(r.status, 302) << r.raw;
  EXPECT_NE(r.raw.find("Location: /accounts/profile/"), std::string::npos);
  EXPECT_EQ(b.request("GET", "/api/me").body["username"], "mallory") << "signup logs the new user in";
}

TEST_P(Api, LoginPageShowsOneErrorAndNeverRedirectsOffSite) {
  Browser b(server_->port());
  b.fetch_csrf();
  const std::string token = b.token();
  ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "ada"}, {"email", "a@example.com"}, {"password", kGood}}.dump()).status, 201);
  b.set_token("");
  Reply r = post_form(b, "/accounts/login/", "csrfmiddlewaretoken=" + b.cookie("csrftoken") + "&username=ada&password=wrong&next=%2Fx");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.raw.find("Please enter a correct username and password"), std::string::npos);
  EXPECT_NE(r.raw.find("value=\"ada\""), std::string::npos) << "the username is kept";
  EXPECT_EQ(r.raw.find("wrong"), std::string::npos) << "the password is never echoed";
  r = post_form(b, "/accounts/login/", "csrfmiddlewaretoken=" + b.cookie("csrftoken") + "&username=nobody&password=wrong");
  EXPECT_NE(r.raw.find("Please enter a correct username and password"), std::string::npos) << "unknown users look the same";
  // (Each login gives a new CSRF secret, as Django's: the form field takes the current cookie, as a page would.)
  for (const char* next : {"https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil.example"}) {
    r = post_form(b, "/accounts/login/",
                  "csrfmiddlewaretoken=" + b.cookie("csrftoken") + "&username=ada&password=" + http::percent_encode(kGood) + "&next=" + next);
    EXPECT_EQ(r.status, 302);
    EXPECT_NE(r.raw.find("Location: /accounts/profile/"), std::string::npos) << next << ": " << r.raw.substr(0, 300);
  }
  r = post_form(b, "/accounts/login/",
                "csrfmiddlewaretoken=" + b.cookie("csrftoken") + "&username=ada&password=" + http::percent_encode(kGood) +
                    "&next=%2Faccounts%2Fpassword_change%2F");
  EXPECT_NE(r.raw.find("Location: /accounts/password_change/"), std::string::npos);
  r = post_form(b, "/accounts/login/", "csrfmiddlewaretoken=" + b.cookie("csrftoken") + "&username=&password=");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.raw.find("This field is required."), std::string::npos);
}

TEST_P(Api, PagesEscapeWhatUsersTyped) {
  Browser b(server_->port());
  b.fetch_csrf();
  const std::string token = b.token();
  b.set_token("");
  const Reply r = post_form(b, "/accounts/signup/",
                            "csrfmiddlewaretoken=" + token + "&username=%3Cscript%3Ealert(1)%3C%2Fscript%3E&email=x&password1=a&password2=b");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.raw.find("<script>"), std::string::npos) << "a typed value is HTML-escaped";
  EXPECT_NE(r.raw.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(r.raw.find("Content-Security-Policy"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Deployments, AccessTest, ::testing::ValuesIn(testing::all_deployments()), testing::deployment_name);

// Hardening (each reproduces a finding of the outside probe).
TEST_P(Api, AnswersToALoggedInUserAreNeverCached) {
  {
    auto c = server_->database().acquire();
    auth::UserManager(*c).create_user("erin", "erin@example.com", kGood);
  }
  Browser b(server_->port());
  b.fetch_csrf();
  EXPECT_EQ(b.request("GET", "/api/csrf").raw.find("Cache-Control: no-store"), std::string::npos);
  ASSERT_EQ(b.request("POST", "/api/login", json{{"username", "erin"}, {"password", kGood}}.dump()).status, 200);
  for (const char* path : {"/api/me", "/api/sessions", "/accounts/profile/"})
    EXPECT_NE(b.request("GET", path).raw.find("Cache-Control: no-store"), std::string::npos) << path;
}

TEST_P(Api, PasswordChangeRotatesTheSessionKeyAndThrottlesTheOldPassword) {
  {
    auto c = server_->database().acquire();
    auth::UserManager(*c).create_user("finn", "finn@example.com", kGood);
  }
  Browser b(server_->port());
  b.fetch_csrf();
  ASSERT_EQ(b.request("POST", "/api/login", json{{"username", "finn"}, {"password", kGood}}.dump()).status, 200);
  const std::string before = b.session();
  const std::string new_pw = "an entirely different passphrase";
  ASSERT_EQ(b.request("POST", "/api/password/change", json{{"old_password", kGood}, {"new_password", new_pw}}.dump()).status, 204);
  EXPECT_NE(b.session(), before) << "a new session key, as Django's update_session_auth_hash";
  EXPECT_EQ(b.request("GET", "/api/me").status, 200);
  Browser old(server_->port());
  old.fetch_csrf();
  old.set_session(before);
  EXPECT_EQ(old.request("GET", "/api/me").status, 401) << "the old key is dead";
  int throttled_at = -1;
  for (int i = 0; i < 8 && throttled_at < 0; ++i) {
    const Reply r = b.request("POST", "/api/password/change", json{{"old_password", "guess" + std::to_string(i)}, {"new_password", kGood}}.dump());
    if (r.status == 429) throttled_at = i;
    else EXPECT_EQ(r.status, 400);
  }
  EXPECT_EQ(throttled_at, 5) << "wrong old passwords count as failed logins";
}

TEST_P(Api, ExactMediaTypesAndBytesThatAreNotUtf8) {
  Browser b(server_->port());
  b.fetch_csrf();
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "x"}, {"password", "y"}}.dump(), "text/plain; x=application/json").status, 415);
  Reply r = b.request("POST", "/accounts/password_reset/", "csrfmiddlewaretoken=" + b.token() + "&email=a%FF%FE%40example.com",
                      "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_NE(r.raw.find("Enter a valid email address."), std::string::npos);
  EXPECT_EQ(b.request("POST", "/api/password/forgot", "{\"email\": \"a\xff@example.com\"}").status, 400);
}

TEST_P(Api, ACsrfFailureOnAPageIsAPage) {
  Browser b(server_->port());
  b.fetch_csrf();
  b.set_token("");
  const Reply r = b.request("POST", "/accounts/login/", "username=a&password=b", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.raw.find("text/html"), std::string::npos);
  EXPECT_NE(r.raw.find("CSRF verification failed"), std::string::npos);
}

TEST_P(Api, ALinkLikeUsernameStaysOutOfTheEmail) {
  Browser b(server_->port());
  b.fetch_csrf();
  const std::string address = "lure-" + std::to_string(server_->port()) + "@example.com";
  ASSERT_EQ(b.request("POST", "/api/signup",
                      json{{"username", "Click.evil.example.to.unlock"}, {"email", address}, {"password", kGood}}.dump()).status, 201);
  std::vector<mail::EmailMessage> mine;
  for (int i = 0; i < 200 && mine.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (auto& m : mail::memory_outbox())
      if (!m.to.empty() && m.to[0] == address) mine.push_back(m);
  }
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].body.find("evil.example"), std::string::npos) << mine[0].body;
  EXPECT_TRUE(mine[0].body.starts_with("Hello,\n"));
  std::size_t ids = 0;
  const std::string mime = mine[0].to_mime();
  for (std::size_t p = mime.find("Message-ID:"); p != std::string::npos; p = mime.find("Message-ID:", p + 1)) ++ids;
  EXPECT_EQ(ids, 1u) << "one Message-ID header";
}

TEST_P(Api, SignupsFromOneClientAreThrottled) {
  Browser b(server_->port());
  b.fetch_csrf();
  for (int i = 0; i < 10; ++i) {
    const std::string name = "s" + std::to_string(i);
    EXPECT_EQ(b.request("POST", "/api/signup", json{{"username", name}, {"email", name + "@example.com"}, {"password", kGood}}.dump()).status, 201);
  }
  const Reply r = b.request("POST", "/api/signup", json{{"username", "s10"}, {"email", "s10@example.com"}, {"password", kGood}}.dump());
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.raw.find("Retry-After: "), std::string::npos);
}

// However many accounts share an address and however often recovery is
// asked for it, the address gets at most 5 emails an hour.
TEST_P(Api, AMailboxCannotBeFloodedThroughTheSite) {
  const std::string address = "shared-" + std::to_string(server_->port()) + "@example.com";
  Browser b(server_->port());
  b.fetch_csrf();
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "sh" + std::to_string(i)}, {"email", address}, {"password", kGood}}.dump()).status, 201);
  const auto to_address = [&] {
    std::size_t n = 0;
    for (const auto& m : mail::memory_outbox()) n += !m.to.empty() && m.to[0] == address;
    return n;
  };
  for (int i = 0; i < 100 && to_address() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::size_t welcomes = to_address();
  EXPECT_EQ(welcomes, 4u) << "the four welcome emails";
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(b.request("POST", "/api/password/forgot", json{{"email", address}}.dump()).status, 202);
  const auto pending = [&] { return tasks::counts(server_->database()).pending + tasks::counts(server_->database()).running; };
  for (int i = 0; i < 300 && pending() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(to_address(), 5u) << "5 an hour to one address, of 4 welcomes and 20 codes asked for";
}

TEST(UniqueEmail, ASecondAccountOnAnAddressIsRefusedWhenConfigured) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "unique"}, {}, {},
                                        [](Config& c) { c.unique_email = true; });
  Browser b(server->port());
  b.fetch_csrf();
  ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "u1"}, {"email", "Same@Example.com"}, {"password", kGood}}.dump()).status, 201);
  const Reply r = b.request("POST", "/api/signup", json{{"username", "u2"}, {"email", "same@example.com"}, {"password", kGood}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["errors"].contains("email")) << r.raw;
}

INSTANTIATE_TEST_SUITE_P(Deployments, Api, ::testing::ValuesIn(testing::all_deployments()), testing::deployment_name);

// Behind a trusted proxy each client is itself: one client's failures throttle
// that client, not everyone behind the proxy; from an untrusted peer the
// header is ignored, so a client cannot pose as another.
Reply login_from(std::uint16_t port, const std::string& forwarded_for, const std::string& password) {
  Browser b(port);
  b.fetch_csrf();
  b.set_header("X-Forwarded-For", forwarded_for);
  return b.request("POST", "/api/login", json{{"username", "dora"}, {"password", password}}.dump());
}

TEST(TrustedProxies, EachForwardedClientIsThrottledApart) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "proxied"}, {}, {}, [](Config& c) {
    c.trusted_proxies = {*web::TrustedNetwork::parse("127.0.0.1")};
  });
  {
    auto c = server->database().acquire();
    auth::UserManager(*c).create_user("dora", "dora@example.com", kGood);
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login_from(server->port(), "198.51.100.6", "bad").status, 401);
  EXPECT_EQ(login_from(server->port(), "198.51.100.6", kGood).status, 429) << "the guessing client waits";
  EXPECT_EQ(login_from(server->port(), "192.0.2.1", kGood).status, 200) << "another client behind the proxy does not";
  EXPECT_EQ(login_from(server->port(), "198.51.100.6, 192.0.2.1", kGood).status, 200)
      << "the rightmost address is the proxy's word; the left one the client wrote itself";
}

TEST(TrustedProxies, AnUntrustedPeerCannotNameItsAddress) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "direct"});
  {
    auto c = server->database().acquire();
    auth::UserManager(*c).create_user("dora", "dora@example.com", kGood);
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login_from(server->port(), "198.51.100." + std::to_string(i), "bad").status, 401);
  EXPECT_EQ(login_from(server->port(), "203.0.113.9", "bad").status, 429) << "invented addresses are one client: the peer";
}

// GET /api/auth/verify, for nginx's auth_request: who the session's user is,
// in headers, or 401; never cached (HEAD: tests/app/nginx_test.py).
TEST(AuthVerify, NamesTheSessionsUserOrAnswers401) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "verify"});
  std::int64_t id = 0;
  {
    auto c = server->database().acquire();
    id = auth::UserManager(*c).create_user("dora", "dora@example.com", kGood).id;
  }
  Browser b(server->port());
  Reply r = b.request("GET", "/api/auth/verify");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"], "not_authenticated") << r.raw;
  EXPECT_NE(r.raw.find("Cache-Control: no-store"), std::string::npos) << r.raw;
  EXPECT_EQ(r.raw.find("X-Gatehouse-User-Id"), std::string::npos) << r.raw;
  b.fetch_csrf();
  ASSERT_EQ(b.request("POST", "/api/login", json{{"username", "dora"}, {"password", kGood}}.dump()).status, 200);
  r = b.request("GET", "/api/auth/verify");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.raw.find("X-Gatehouse-User-Id: " + std::to_string(id) + "\r\n"), std::string::npos) << r.raw;
  EXPECT_NE(r.raw.find("X-Gatehouse-Username: dora\r\n"), std::string::npos) << r.raw;
  EXPECT_NE(r.raw.find("Cache-Control: no-store"), std::string::npos) << r.raw;
  EXPECT_EQ(r.body["id"], id);
  ASSERT_EQ(b.request("POST", "/api/logout").status, 204);
  EXPECT_EQ(b.request("GET", "/api/auth/verify").status, 401) << "a logout counts at once";
}

// HTTPS ends at the proxy: its X-Forwarded-Proto makes the cookies Secure and
// the CSRF check expect an https Origin; from an untrusted peer it is ignored.
TEST(TrustedProxies, TheProxysSchemeMakesCookiesSecure) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "https"}, {}, {}, [](Config& c) {
    c.trusted_proxies = {*web::TrustedNetwork::parse("127.0.0.1")};
    c.hsts_seconds = 3600;
  });
  {
    auto c = server->database().acquire();
    auth::UserManager(*c).create_user("dora", "dora@example.com", kGood);
  }
  Browser b(server->port());
  b.set_header("X-Forwarded-For", "198.51.100.6");
  b.set_header("X-Forwarded-Proto", "https");
  const Reply csrf = b.request("GET", "/api/csrf");
  EXPECT_NE(csrf.raw.find("Strict-Transport-Security: max-age=3600"), std::string::npos) << csrf.raw;
  EXPECT_NE(csrf.raw.find("; Secure"), std::string::npos) << "the csrftoken cookie: " << csrf.raw;
  b.fetch_csrf();
  b.set_header("Origin", "http://t");
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "dora"}, {"password", kGood}}.dump()).status, 403)
      << "the page was https: an http Origin is another origin";
  b.set_header("Origin", "https://t");
  const Reply in = b.request("POST", "/api/login", json{{"username", "dora"}, {"password", kGood}}.dump());
  ASSERT_EQ(in.status, 200) << in.raw;
  const auto set_cookie = in.raw.find("Set-Cookie: sessionid=");
  ASSERT_NE(set_cookie, std::string::npos) << in.raw;
  EXPECT_NE(in.raw.substr(set_cookie, in.raw.find("\r\n", set_cookie) - set_cookie).find("; Secure"), std::string::npos)
      << in.raw;

  testing::RunningAccountsServer direct(testing::Deployment{db::Engine::sqlite, false, "", "plain"}, {}, {},
                                        [](Config& c) { c.hsts_seconds = 3600; });
  Browser forger(direct->port());
  forger.set_header("X-Forwarded-Proto", "https");
  const Reply plain = forger.request("GET", "/api/csrf");
  EXPECT_EQ(plain.raw.find("; Secure"), std::string::npos) << "an untrusted peer's word is not taken: " << plain.raw;
  EXPECT_EQ(plain.raw.find("Strict-Transport-Security"), std::string::npos) << plain.raw;
}

// "Last seen" moves with use, at most once a minute; login gives a new CSRF
// secret (Django's rotate_token), so a token seen before login is worthless.
TEST(Sessions, LastSeenMovesAndLoginRotatesTheCsrfSecret) {
  core::ManualClock clock;
  ServerParts parts;
  parts.clock = &clock;
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "seen"}, {}, std::move(parts));
  {
    auto c = server->database().acquire();
    auth::UserManager(*c).create_user("jo", "jo@example.com", kGood);
  }
  Browser b(server->port());
  b.fetch_csrf();
  const std::string before_login = b.token();
  const Reply in = b.request("POST", "/api/login", json{{"username", "jo"}, {"password", kGood}}.dump());
  ASSERT_EQ(in.status, 200);
  EXPECT_NE(in.raw.find("Set-Cookie: csrftoken="), std::string::npos) << "a new CSRF secret with the login";
  const std::string current = b.token();
  b.set_token(before_login);  // a token someone learnt before the login, sent with the browser's cookie
  EXPECT_EQ(b.request("POST", "/api/logout").status, 403) << "the pre-login token no longer works";
  b.set_token(current);
  const auto seen = [&] { return b.request("GET", "/api/sessions").body["sessions"][0]["last_seen"].get<std::string>(); };
  const std::string first = seen();
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(seen(), first) << "not a write per request";
  clock.advance(std::chrono::seconds(45));
  (void)b.request("GET", "/api/me");
  EXPECT_GT(seen(), first) << "a minute on, the session list shows the later use";
}

// Email confirmation (GATEHOUSE_EMAIL_VERIFICATION): the link in the welcome
// email, a button that confirms on POST only, mandatory login refusal, and
// keys that expire.
std::string confirmation_key_in_mail(const std::string& address, std::size_t nth = 0) {
  for (int i = 0; i < 300; ++i) {
    std::size_t seen = 0;
    for (const auto& m : mail::memory_outbox()) {
      if (m.to.empty() || m.to[0] != address) continue;
      const auto at = m.body.find("/accounts/confirm-email/");
      if (at == std::string::npos || seen++ < nth) continue;
      const auto start = at + std::string("/accounts/confirm-email/").size();
      return m.body.substr(start, m.body.find('/', start) - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

TEST(EmailConfirmation, TheLinkConfirmsOnPostOnlyAndKeysExpire) {
  core::ManualClock clock;
  ServerParts parts;
  parts.clock = &clock;
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "confirm"}, {}, std::move(parts));
  const std::string address = "gina-" + std::to_string(server->port()) + "@example.com";
  Browser b(server->port());
  b.fetch_csrf();
  ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "gina"}, {"email", address}, {"password", kGood}}.dump()).status, 201);
  const std::string key = confirmation_key_in_mail(address);
  ASSERT_FALSE(key.empty()) << "the welcome email carries the link";
  ASSERT_EQ(b.request("POST", "/api/login", json{{"username", "gina"}, {"password", kGood}}.dump()).status, 200)
      << "optional: login works before confirming";
  EXPECT_EQ(b.request("GET", "/api/me").body["email_verified"], false);
  const Reply page = b.request("GET", "/accounts/confirm-email/" + key + "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(b.request("GET", "/api/me").body["email_verified"], false) << "GET (a mail scanner) confirms nothing";
  const Reply done = b.request("POST", "/accounts/confirm-email/" + key + "/", "csrfmiddlewaretoken=" + b.token(),
                               "application/x-www-form-urlencoded");
  EXPECT_NE(done.raw.find("Email address confirmed"), std::string::npos) << done.raw;
  EXPECT_EQ(b.request("GET", "/api/me").body["email_verified"], true);
  std::string tampered = key;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(b.request("POST", "/api/email/confirm", json{{"key", tampered}}.dump()).status, 400);
  // A second account: its key expires after 3 days.
  Browser c(server->port());
  c.fetch_csrf();
  const std::string other = "hal-" + std::to_string(server->port()) + "@example.com";
  ASSERT_EQ(c.request("POST", "/api/signup", json{{"username", "hal"}, {"email", other}, {"password", kGood}}.dump()).status, 201);
  const std::string late = confirmation_key_in_mail(other);
  ASSERT_FALSE(late.empty());
  clock.advance(std::chrono::hours(72) + std::chrono::seconds(1));
  EXPECT_EQ(c.request("POST", "/api/email/confirm", json{{"key", late}}.dump()).status, 400) << "expired";
}

TEST(EmailConfirmation, MandatoryRefusesLoginUntilTheAddressIsConfirmed) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "mandatory"}, {}, {},
                                        [](Config& c) { c.email_verification = auth::EmailVerification::mandatory; });
  const std::string address = "ivy-" + std::to_string(server->port()) + "@example.com";
  Browser b(server->port());
  b.fetch_csrf();
  const Reply no_address = b.request("POST", "/api/signup", json{{"username", "ivy0"}, {"email", ""}, {"password", kGood}}.dump());
  EXPECT_EQ(no_address.status, 400) << "an address is required: recovery goes to it";
  EXPECT_EQ(no_address.body["errors"]["email"][0], "This field is required.") << no_address.raw;
  ASSERT_EQ(b.request("POST", "/api/signup", json{{"username", "ivy"}, {"email", address}, {"password", kGood}}.dump()).status, 201);
  const Reply refused = b.request("POST", "/api/login", json{{"username", "ivy"}, {"password", kGood}}.dump());
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body["error"], "email_unconfirmed");
  EXPECT_EQ(b.request("GET", "/api/me").status, 401) << "no session";
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "ivy"}, {"password", "wrong"}}.dump()).status, 401)
      << "a wrong password says nothing about the address";
  const std::string resent = confirmation_key_in_mail(address, 1);
  ASSERT_FALSE(resent.empty()) << "the refused login sent the link again";
  const Reply ok = b.request("POST", "/api/email/confirm", json{{"key", resent}}.dump());
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "ivy"}, {"password", kGood}}.dump()).status, 200);
}

// The server authenticates with the backends it is configured with
// (GATEHOUSE_AUTHENTICATION_BACKENDS=email): the address logs in and the
// username does not; the session names the backend that accepted it.
TEST(ConfiguredBackends, TheServerUsesTheBackendsItIsGiven) {
  testing::RunningAccountsServer server(testing::Deployment{db::Engine::sqlite, false, "", "email"}, {}, {},
                                        [](Config& c) { c.authentication_backends = {"email"}; });
  {
    auto c = server->database().acquire();
    auth::UserManager(*c).create_user("ada", "ada@example.com", kGood);
  }
  Browser b(server->port());
  b.fetch_csrf();
  EXPECT_EQ(b.request("POST", "/api/login", json{{"username", "ada"}, {"password", kGood}}.dump()).status, 401)
      << "ModelBackend is not configured";
  ASSERT_EQ(b.request("POST", "/api/login", json{{"username", "ADA@example.com"}, {"password", kGood}}.dump()).status, 200);
  auto c = server->database().acquire();
  const auto row = c->execute("SELECT session_data FROM django_session").rows;
  ASSERT_EQ(row.size(), 1u);
  const auto data = sessions::decode_session_data(row[0][0].as_text(), std::string(50, 'k'));
  ASSERT_TRUE(data);
  EXPECT_EQ(data->at("_auth_user_backend"), "gatehouse.auth.backends.EmailBackend");
}

}  // namespace
}  // namespace gatehouse::app
