// A client of the JSON API that keeps cookies and the CSRF token, as a
// browser-side client would. For the server tests.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "http_client.h"

namespace gatehouse::testing {

struct Reply {
  int status;
  nlohmann::json body;
  std::string raw;
};

// Keeps cookies and the CSRF token, as a browser-side client would.
class Browser {
 public:
  explicit Browser(std::uint16_t port) : port_(port) {}
  Reply request(const std::string& method, const std::string& path, const std::string& body = {},
                const std::string& content_type = "application/json") {
    std::string cookies;
    for (const auto& [k, v] : cookies_) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
    std::string raw = method + " " + path + " HTTP/1.1\r\nHost: t\r\nUser-Agent: api-test\r\n";
    if (!cookies.empty()) raw += "Cookie: " + cookies + "\r\n";
    if (!token_.empty()) raw += "X-CSRFToken: " + token_ + "\r\n";
    for (const auto& [k, v] : extra_headers_) raw += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST") raw += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    raw += "\r\n" + body;
    HttpClient c(port_);
    c.send(raw);
    const std::string r = c.response();
    for (const char* name : {"sessionid", "csrftoken"}) {
      const auto pos = r.find(std::string("Set-Cookie: ") + name + "=");
      if (pos == std::string::npos) continue;
      const std::string v = HttpClient::cookie_of(r, name);
      if (v == "\"\"") {
        cookies_.erase(name);
      } else {
        cookies_[name] = v;
        // A new CSRF secret (login rotates it): send it back, as a page's JavaScript would.
        if (std::string(name) == "csrftoken" && !token_.empty()) token_ = v;
      }
    }
    Reply out{HttpClient::status_of(r), nullptr, r};
    const std::string b = HttpClient::body_of(r);
    if (!b.empty()) out.body = nlohmann::json::parse(b, nullptr, false);
    return out;
  }
  void fetch_csrf() { token_ = request("GET", "/api/csrf").body["csrfToken"]; }
  std::string session() const { return cookies_.count("sessionid") ? cookies_.at("sessionid") : ""; }
  void set_session(const std::string& s) { cookies_["sessionid"] = s; }
  std::string cookie(const std::string& name) const { return cookies_.count(name) ? cookies_.at(name) : ""; }
  void set_cookie(const std::string& name, std::string value) { cookies_[name] = std::move(value); }
  const std::string& token() const { return token_; }
  void set_header(const std::string& name, std::string value) { extra_headers_[name] = std::move(value); }
  void set_token(std::string t) { token_ = std::move(t); }

 private:
  std::uint16_t port_;
  std::map<std::string, std::string> cookies_;
  std::string token_;
  std::map<std::string, std::string> extra_headers_;
};

}  // namespace gatehouse::testing
