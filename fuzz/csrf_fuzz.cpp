// Feeds CSRF tokens: web::unmask_csrf_token() and web::mask_csrf_secret(),
// and web::csrf_middleware() over a POST. Input: mode byte, then
// "<csrftoken cookie>\0<token>"; an odd mode sends the token as the
// csrfmiddlewaretoken field of a form body, an even one as X-CSRFToken.
// Properties: unmask gives a 32-character secret of letters and digits or
// nothing, and a 32-character secret as it is; unmask(mask(s)) == s for a
// valid secret s; the middleware lets the POST through exactly when cookie and
// token unmask to the same secret, and otherwise answers 403.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/web/csrf.h"

namespace http = gatehouse::http;
namespace web = gatehouse::web;
using gatehouse::core::kRandomStringAlphabet;

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "csrf_fuzz: %s\n", what);
  std::abort();
}

bool is_secret(const std::string& s) {
  return s.size() == web::kCsrfSecretLength && s.find_first_not_of(kRandomStringAlphabet) == std::string::npos;
}

// Whether csrf_middleware passes a POST carrying this cookie and token.
bool passes(const std::string& cookie, const std::string& token, bool in_form, std::optional<std::string>& cookie_read) {
  auto req = std::make_shared<http::Request>();
  req->method = "POST";
  req->path = req->target = "/api/login";
  req->headers.emplace_back("host", "fuzz");
  req->headers.emplace_back("cookie", "csrftoken=" + cookie);
  if (in_form) {
    req->headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    req->body = "csrfmiddlewaretoken=" + gatehouse::core::percent_encode(token);
  } else {
    req->headers.emplace_back("x-csrftoken", token);
  }
  cookie_read = req->cookie("csrftoken");
  bool reached = false;
  int status = 0;
  const http::Handler next = [&reached](http::RequestPtr, http::Responder respond) {
    reached = true;
    respond(http::Response::no_content());
  };
  static const http::Middleware middleware = web::csrf_middleware();
  middleware(req, http::Responder([&status](http::Response r) { status = r.status; }), next);
  require(reached ? status == 204 : status == 403, "the middleware neither passed nor answered 403");
  return reached;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool in_form = (data[0] & 1) != 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto nul = input.find('\0');
  const std::string cookie = input.substr(0, nul);
  const std::string token = nul == std::string::npos ? std::string() : input.substr(nul + 1);

  for (const std::string& t : {cookie, token}) {
    if (const auto secret = web::unmask_csrf_token(t)) require(is_secret(*secret), "unmask gave a bad secret");
    if (is_secret(t)) require(web::unmask_csrf_token(t) == t, "a bare secret did not unmask to itself");
  }

  // A valid secret from the input's bytes: mask and unmask it.
  std::string secret;
  for (std::size_t i = 0; i < web::kCsrfSecretLength; ++i)
    secret += kRandomStringAlphabet[static_cast<unsigned char>(input.empty() ? 0 : input[i % input.size()]) %
                                    kRandomStringAlphabet.size()];
  const std::string masked = web::mask_csrf_secret(secret);
  require(masked.size() == 2 * web::kCsrfSecretLength, "a masked token is not 64 characters");
  require(web::unmask_csrf_token(masked) == secret, "unmask(mask(secret)) != secret");

  std::optional<std::string> cookie_read;
  const bool passed = passes(cookie, token, in_form, cookie_read);
  const auto want = cookie_read ? web::unmask_csrf_token(*cookie_read) : std::nullopt;
  const auto got = web::unmask_csrf_token(token);
  require(passed == (want && got && *want == *got), "the middleware's decision is not cookie == token");
  require(passes(secret, masked, in_form, cookie_read), "a masked token for the cookie's secret was refused");
  return 0;
}
