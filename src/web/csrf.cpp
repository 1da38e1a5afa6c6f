#include "gatehouse/web/csrf.h"

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"

namespace gatehouse::web {

namespace {
constexpr std::string_view kChars = core::kRandomStringAlphabet;

int index_of(char c) {
  const auto p = kChars.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

bool unsafe(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS" && method != "TRACE";
}

// 403 as JSON for the API, as a page (Django's "CSRF verification failed") elsewhere.
http::Response csrf_failure(const http::Request& req, std::string_view detail) {
  if (req.path.starts_with("/api/")) return http::Response::error(403, "csrf_failed", detail);
  return http::Response::text(403,
                              "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>403 Forbidden</title>"
                              "</head><body><h1>Forbidden (403)</h1><p>CSRF verification failed. Request aborted.</p><p>" +
                                  core::html_escape(detail) + "</p></body></html>",
                              "text/html; charset=utf-8");
}

}  // namespace

std::string new_csrf_secret() { return core::random_string(kCsrfSecretLength); }

std::string mask_csrf_secret(const std::string& secret) {
  const std::string mask = core::random_string(kCsrfSecretLength);
  std::string cipher;
  for (std::size_t i = 0; i < secret.size(); ++i)
    cipher += kChars[static_cast<std::size_t>((index_of(secret[i]) + index_of(mask[i])) % 62)];
  return mask + cipher;
}

std::optional<std::string> unmask_csrf_token(const std::string& token) {
  for (char c : token)
    if (index_of(c) < 0) return std::nullopt;
  if (token.size() == kCsrfSecretLength) return token;
  if (token.size() != 2 * kCsrfSecretLength) return std::nullopt;
  std::string secret;
  for (std::size_t i = 0; i < kCsrfSecretLength; ++i) {
    const int v = (index_of(token[kCsrfSecretLength + i]) - index_of(token[i]) + 62) % 62;
    secret += kChars[static_cast<std::size_t>(v)];
  }
  return secret;
}

namespace {
// What the middleware and the handlers share about one request's CSRF secret.
struct CsrfState {
  std::string secret;         // "" until known
  bool cookie_needed = false;  // a new secret: set the cookie with the answer
};

CsrfState& state(http::Request& request) {
  if (auto* s = request.get<CsrfState>()) return *s;
  return request.set(std::make_shared<CsrfState>());
}
}  // namespace

std::string csrf_secret(http::Request& request) {
  CsrfState& s = state(request);
  if (!s.secret.empty()) return s.secret;
  if (auto cookie = request.cookie("csrftoken")) {
    if (auto secret = unmask_csrf_token(*cookie)) s.secret = *secret;
  }
  if (s.secret.empty()) {
    s.secret = new_csrf_secret();
    s.cookie_needed = true;
  }
  return s.secret;
}

void rotate_csrf_token(http::Request& request) {
  CsrfState& s = state(request);
  s.secret = new_csrf_secret();
  s.cookie_needed = true;
}

std::string csrf_token(http::Request& request) { return mask_csrf_secret(csrf_secret(request)); }

http::Middleware csrf_middleware(CsrfOptions options) {
  return [options](http::RequestPtr req, http::Responder respond, const http::Handler& next) {
    const auto reject = [&](std::string_view detail) { respond(csrf_failure(*req, detail)); };
    const bool https = options.secure || req->secure;  // as a trusted proxy reports it
    if (unsafe(req->method)) {
      const auto cookie = req->cookie("csrftoken");
      const auto secret = cookie ? unmask_csrf_token(*cookie) : std::nullopt;
      if (!secret) return reject("CSRF cookie not set.");
      if (auto origin = req->header("origin")) {
        const auto host = req->header("host").value_or("");
        const std::string expected = std::string(https ? "https://" : "http://") + std::string(host);
        if (*origin != expected) return reject("Origin checking failed: " + std::string(*origin) + " does not match any trusted origins.");
      } else if (https) {
        const auto referer = req->header("referer");
        const std::string prefix = "https://" + std::string(req->header("host").value_or("")) + "/";
        if (!referer) return reject("Referer checking failed - no Referer.");
        if (!referer->starts_with(prefix)) return reject("Referer checking failed - does not match any trusted origins.");
      }
      std::optional<std::string> token;
      if (auto h = req->header("x-csrftoken")) token = std::string(*h);
      else token = req->form_value("csrfmiddlewaretoken");
      if (!token) return reject("CSRF token missing.");
      const auto given = unmask_csrf_token(*token);
      if (!given || !core::constant_time_equal(*given, *secret)) return reject("CSRF token incorrect.");
      state(*req).secret = *secret;
    }
    next(req, respond.then([req, https](http::Response r) {
      const CsrfState* s = req->get<CsrfState>();
      if (s != nullptr && s->cookie_needed && !s->secret.empty())
        r.set_cookie("csrftoken", s->secret, {.max_age_seconds = 31449600, .http_only = false, .secure = https});
      return r;
    }));
  };
}

}  // namespace gatehouse::web
