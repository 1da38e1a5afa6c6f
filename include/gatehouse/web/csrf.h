// CSRF protection as Django does it: a `csrftoken` cookie holds a secret; pages
// and API clients send it back masked (a fresh random mask each time, so the
// token never repeats and BREACH cannot read it) in the X-CSRFToken header or
// the csrfmiddlewaretoken form field. Every unsafe method (POST, PUT, PATCH,
// DELETE) is checked; an Origin header, when present, must be this site's.
#pragma once

#include <optional>
#include <string>

#include "gatehouse/http/handler.h"

namespace gatehouse::web {

inline constexpr std::size_t kCsrfSecretLength = 32;

std::string new_csrf_secret();
// mask + cipher, 64 characters (Django's _mask_cipher_secret).
std::string mask_csrf_secret(const std::string& secret);
// The secret inside a 64-character token, or a 32-character secret as is.
std::optional<std::string> unmask_csrf_token(const std::string& token);

struct CsrfOptions {
  // HTTPS: Secure cookie, and a Referer is required without Origin. A request
  // a trusted proxy reports as HTTPS (Request::secure) is treated so either way.
  bool secure = false;
};

// The secret for this request (from the cookie, or a new one, which the
// middleware then sets as the cookie).
std::string csrf_secret(http::Request& request);
// A masked token for this request (what GET /api/csrf returns).
std::string csrf_token(http::Request& request);
// A new secret (and cookie) for this request: at login, as Django's rotate_token.
void rotate_csrf_token(http::Request& request);

http::Middleware csrf_middleware(CsrfOptions options = {});

}  // namespace gatehouse::web
