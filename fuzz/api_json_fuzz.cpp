// Feeds JSON request bodies to the real API handlers through the whole server
// (server_harness.h). The first byte picks the endpoint: POST /api/signup,
// /api/login, /api/password/change, /api/password/forgot or
// /api/password/reset; the rest is the body, sent as application/json with a
// valid CSRF cookie and token (from GET /api/csrf). /api/password/change also
// carries the session of a user the harness signed up and logged in once, so
// it reaches the handler instead of a 401. Properties: a well-formed request
// is answered, never with a 500 nor a CSRF refusal, and afterwards GET
// /healthz still answers 200.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server_harness.h"

namespace {

constexpr const char* kTarget = "api_json_fuzz";
constexpr const char* kEndpoints[] = {"/api/signup", "/api/login", "/api/password/change", "/api/password/forgot",
                                      "/api/password/reset"};
constexpr std::size_t kChange = 2;

// The value of the Set-Cookie for `name` in `answer`, or "".
std::string cookie_of(const std::string& answer, const std::string& name) {
  const std::string key = "Set-Cookie: " + name + "=";
  const auto p = answer.find(key);
  if (p == std::string::npos) return {};
  const auto start = p + key.size();
  return answer.substr(start, answer.find_first_of(";\r", start) - start);
}

struct Client {
  std::string csrf_cookie, csrf_token, session;

  std::string request(const std::string& method, const std::string& path, std::string_view body, bool with_session) const {
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\nCookie: csrftoken=" + csrf_cookie;
    if (with_session && !session.empty()) r += "; sessionid=" + session;
    r += "\r\nX-CSRFToken: " + csrf_token + "\r\n";
    if (method == "POST")
      r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    return r + "\r\n" + std::string(body);
  }
  // Sends, and keeps the cookies the answer sets.
  std::string send(const std::string& method, const std::string& path, std::string_view body = {}) {
    const std::string answer = fuzz::Server::get().exchange(request(method, path, body, true), kTarget);
    if (auto c = cookie_of(answer, "csrftoken"); !c.empty()) csrf_cookie = c;
    if (auto s = cookie_of(answer, "sessionid"); !s.empty()) session = s;
    return answer;
  }
};

// Asks GET /api/csrf for the token that goes with the client's cookie.
void fetch_token(Client& c) {
  const std::string answer = c.send("GET", "/api/csrf");
  const std::string key = "\"csrfToken\":\"";
  const auto p = answer.find(key);
  if (p == std::string::npos) fuzz::fail(kTarget, "GET /api/csrf gave no token", answer);
  c.csrf_token = answer.substr(p + key.size(), answer.find('"', p + key.size()) - p - key.size());
}

// A CSRF pair, and the session of a user signed up and logged in (once).
const Client& client() {
  static const Client c = [] {
    Client made;
    fetch_token(made);
    const std::string user = R"({"username":"fuzzer","email":"fuzzer@example.com","password":"Lantern-Quiet-Orbit-47!"})";
    made.send("POST", "/api/signup", user);
    const std::string login = made.send("POST", "/api/login", user);
    if (!login.starts_with("HTTP/1.1 200 ") || made.session.empty())
      fuzz::fail(kTarget, "the harness could not log in (/api/password/change would only see 401)", login);
    fetch_token(made);  // a token for the secret login rotated to
    return made;
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Client& c = client();
  const std::size_t endpoint = data[0] % std::size(kEndpoints);
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Only the password change carries the session: a login or a change that succeeds would rotate it.
  const std::string answer =
      fuzz::Server::get().exchange(c.request("POST", kEndpoints[endpoint], body, endpoint == kChange), kTarget);
  const auto statuses = fuzz::statuses(answer);
  if (statuses.empty()) fuzz::fail(kTarget, "no answer to a well-formed request", answer);
  if (statuses[0] == 500) fuzz::fail(kTarget, "the server answered 500", answer);
  if (statuses[0] == 403 && answer.find("\"csrf_failed\"") != std::string::npos)
    fuzz::fail(kTarget, "the CSRF pair was refused", answer);
  fuzz::Server::get().require_alive(kTarget);
  return 0;
}
