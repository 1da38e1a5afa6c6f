// Request and Response: what handlers see and produce. Header names are
// compared case-insensitively; a Request's are stored lower-cased.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gatehouse/core/encoding.h"

namespace gatehouse::http {

struct Request {
  std::string method;          // "GET", "POST", ...
  std::string target;          // as sent: path and query
  std::string path;            // percent-decoded path
  std::string query;           // after '?', undecoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string client_address;  // peer IP (behind a trusted proxy, the client's: web/proxy.h)
  bool secure = false;         // reached over HTTPS: only a trusted proxy says so (web/proxy.h)
  std::map<std::string, std::string> params;  // path parameters from the route
  std::string route;           // the matched route pattern ("" when none matched)
  std::chrono::steady_clock::time_point received{};  // when the request was read

  // Values middleware hangs on the request for what runs after it, one per
  // type (web::Session, the request's user, the CSRF state), as Django hangs
  // request.session and request.user on its request. get<T>() is nullptr
  // when nothing set one.
  template <class T>
  T* get() const noexcept {
    for (const auto& [tag, value] : extensions_)
      if (tag == &type_tag<T>) return static_cast<T*>(value.get());
    return nullptr;
  }
  template <class T>
  T& set(std::shared_ptr<T> value) {
    T& ref = *value;
    for (auto& [tag, v] : extensions_) {
      if (tag == &type_tag<T>) {
        v = std::move(value);
        return ref;
      }
    }
    extensions_.emplace_back(&type_tag<T>, std::move(value));
    return ref;
  }

  std::optional<std::string_view> header(std::string_view name) const;
  // A cookie from the Cookie header.
  std::optional<std::string> cookie(std::string_view name) const;
  // A query parameter, percent-decoded (the last of that name, as Django's QueryDict).
  std::optional<std::string> query_param(std::string_view name) const;
  // A field of an application/x-www-form-urlencoded body (nullopt for another type).
  std::optional<std::string> form_value(std::string_view name) const;

 private:
  template <class T>
  static constexpr char type_tag = 0;  // one address per type: the key of its extension
  std::vector<std::pair<const void*, std::shared_ptr<void>>> extensions_;
};
using RequestPtr = std::shared_ptr<Request>;

struct CookieOptions {
  std::optional<long long> max_age_seconds{};  // nullopt: a session cookie
  std::string path = "/";
  bool http_only = true;
  bool secure = false;
  std::string same_site = "Lax";
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Replaces any header of that name (case-insensitive).
  Response& set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
  Response& set_cookie(const std::string& name, const std::string& value, const CookieOptions& options = {});
  Response& delete_cookie(const std::string& name, const std::string& path = "/");

  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  // {"error": code, "detail": detail}, as DESIGN.md fixes.
  static Response error(int status, std::string_view code, std::string_view detail);
  // `json` is serialised JSON text, e.g. nlohmann::json::dump()'s.
  static Response json_text(int status, std::string json);
  static Response redirect(std::string location, int status = 302);
  static Response no_content() { return Response{204, {}, {}}; }
};

std::string_view reason_phrase(int status) noexcept;

// An application/x-www-form-urlencoded text (a form body, a query string),
// percent-decoded; the last value of a name wins, as Django's QueryDict.get.
using Form = std::map<std::string, std::string>;
Form parse_form(std::string_view text);
// The same text with every value kept, in order (Django's QueryDict.getlist:
// a multiple select sends one pair per chosen option).
using FormPairs = std::vector<std::pair<std::string, std::string>>;
FormPairs parse_form_pairs(std::string_view text);
// Whether a Content-Type names this media type (parameters after ';' and
// case aside): "application/json; charset=utf-8" is application/json,
// "text/plain; x=application/json" is not.
bool media_type_is(std::string_view content_type, std::string_view media_type);
using core::percent_decode;  // core/encoding.h
using core::percent_encode;

}  // namespace gatehouse::http
