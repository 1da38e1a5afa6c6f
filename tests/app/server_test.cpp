// The accounts server over HTTP: health, metrics, CSRF, security headers, and
// the secret key kept beside an SQLite database.
#include "gatehouse/app/server.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gatehouse/web/csrf.h"
#include "http_client.h"
#include "accounts_server.h"

namespace gatehouse::app {
namespace {

using Client = testing::HttpClient;

class ServerTest : public ::testing::TestWithParam<testing::Deployment> {
 protected:
  std::string call(const std::string& raw) {
    Client c(server_->port());
    c.send(raw);
    return c.response();
  }
  testing::RunningAccountsServer server_{GetParam()};
};

TEST_P(ServerTest, HealthAndSecurityHeaders) {
  const std::string r = call("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(Client::status_of(r), 200);
  EXPECT_EQ(Client::body_of(r), "{\"status\":\"ok\"}");
  for (const char* h : {"X-Content-Type-Options: nosniff", "Referrer-Policy: same-origin", "X-Frame-Options: DENY",
                        "Content-Security-Policy: default-src 'self'"})
    EXPECT_NE(r.find(h), std::string::npos) << h;
}

TEST_P(ServerTest, CsrfProtectsEveryUnsafeMethod) {
  const std::string first = call("GET /api/csrf HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string cookie = Client::cookie_of(first, "csrftoken");
  ASSERT_EQ(cookie.size(), 32u);
  const std::string body = Client::body_of(first);
  const std::string token = body.substr(14, 64);
  ASSERT_EQ(web::unmask_csrf_token(token), cookie);
  EXPECT_EQ(first.find("csrftoken=" + cookie + "; Path=/; Max-Age=31449600; SameSite=Lax"), first.find("csrftoken="))
      << "the CSRF cookie is readable by scripts (not HttpOnly), as Django's";

  const auto post = [&](const std::string& headers) {
    return Client::status_of(call("POST /api/nowhere HTTP/1.1\r\nHost: t\r\n" + headers + "Content-Length: 0\r\n\r\n"));
  };
  EXPECT_EQ(post(""), 403);                                                   // no cookie
  EXPECT_EQ(post("Cookie: csrftoken=" + cookie + "\r\n"), 403);                // no token
  EXPECT_EQ(post("Cookie: csrftoken=" + cookie + "\r\nX-CSRFToken: " + std::string(64, 'a') + "\r\n"), 403);
  EXPECT_EQ(post("Cookie: csrftoken=" + cookie + "\r\nX-CSRFToken: " + token + "\r\nOrigin: http://evil.example\r\n"), 403);
  // Passed CSRF: on to routing (no such route).
  EXPECT_EQ(post("Cookie: csrftoken=" + cookie + "\r\nX-CSRFToken: " + token + "\r\n"), 404);
  EXPECT_EQ(post("Cookie: csrftoken=" + cookie + "\r\nX-CSRFToken: " + token + "\r\nOrigin: http://t\r\n"), 404);
  // Each masked token differs; all unmask to the same secret.
  const std::string again = Client::body_of(
      call("GET /api/csrf HTTP/1.1\r\nHost: t\r\nCookie: csrftoken=" + cookie + "\r\n\r\n")).substr(14, 64);
  EXPECT_NE(again, token);
  EXPECT_EQ(web::unmask_csrf_token(again), cookie);
  // A form field works as the header does.
  EXPECT_EQ(Client::status_of(call("POST /api/nowhere HTTP/1.1\r\nHost: t\r\nCookie: csrftoken=" + cookie +
                                   "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                                   std::to_string(20 + token.size()) + "\r\n\r\ncsrfmiddlewaretoken=" + token)),
            404);
}

TEST_P(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  call("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  call("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  call("GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string m = Client::body_of(call("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_NE(m.find("gatehouse_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"), std::string::npos) << m;
  EXPECT_NE(m.find("status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(m.find("gatehouse_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",status=\"200\",le=\"+Inf\"} 2"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Deployments, ServerTest, ::testing::ValuesIn(testing::all_deployments()), testing::deployment_name);

TEST(SecretKey, GeneratedOnceBesideSqliteAndRequiredElsewhere) {
  const auto dir = std::filesystem::temp_directory_path() / "gatehouse-secret-key-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string url = "sqlite:" + (dir / "db.sqlite3").string();
  const std::string first = secret_key_for(url, nullptr);
  EXPECT_GE(first.size(), 32u);
  EXPECT_EQ(secret_key_for(url, nullptr), first);  // kept
  const auto perms = std::filesystem::status(dir / "db.secret_key").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(secret_key_for(url, "an explicit key that is long enough!!"), "an explicit key that is long enough!!");
  EXPECT_THROW(secret_key_for(url, "short"), std::invalid_argument);
  EXPECT_THROW(secret_key_for("postgresql://h/db", nullptr), std::invalid_argument);
  EXPECT_NE(secret_key_for("sqlite::memory:", nullptr), secret_key_for("sqlite::memory:", nullptr));
  std::filesystem::remove_all(dir);
}

// A library user who builds Config by hand cannot start a server that signs
// with an empty or short key: every session and reset link would be forgeable.
TEST(SecretKey, TheServerRefusesAShortKey) {
  for (const std::string& key : {std::string(), std::string(31, 'k')}) {
    Config c;
    c.database_url = "sqlite::memory:";
    c.bind = "127.0.0.1:0";
    c.secret_key = key;
    try {
      AccountsServer server(c);
      ADD_FAILURE() << "a server started with a " << key.size() << "-character key";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "GATEHOUSE_SECRET_KEY");
      EXPECT_NE(std::string(e.what()).find("at least 32"), std::string::npos) << e.what();
    }
  }
  Config c;
  c.database_url = "sqlite::memory:";
  c.bind = "127.0.0.1:0";
  c.secret_key = std::string(32, 'k');
  EXPECT_NO_THROW(AccountsServer{c});
}

}  // namespace
}  // namespace gatehouse::app
