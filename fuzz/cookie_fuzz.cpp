// Feeds the Cookie header and the query string: http::Request::cookie() over a
// request whose "cookie" header is the input, and query_param() over a request
// whose query is the input. Properties: a cookie's value never holds a ';'
// (one cookie cannot run into the next), a cookie or a parameter that follows
// the input is read back unchanged whatever the input was (the input cannot
// swallow or shadow it), and query_param agrees with parse_form.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gatehouse/http/message.h"

using gatehouse::http::Request;

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "cookie_fuzz: %s\n", what);
  std::abort();
}

Request with_cookie(std::string header) {
  Request r;
  r.headers.emplace_back("cookie", std::move(header));
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  const Request r = with_cookie(input);
  const std::string first_name = input.substr(0, input.find('='));
  for (const std::string& name : {std::string("sessionid"), std::string("csrftoken"), first_name}) {
    if (const auto v = r.cookie(name)) {
      require(v->find(';') == std::string::npos, "a cookie value holds a ';'");
      require(v->size() <= input.size(), "a cookie value longer than the header");
    }
  }

  // A cookie after the input: the input cannot hide it (unless it names it too).
  constexpr std::string_view kProbe = "gatehouse_probe";
  if (input.find(kProbe) == std::string::npos) {
    const Request after = with_cookie(input + "; " + std::string(kProbe) + "=v4lue");
    require(after.cookie(std::string(kProbe)) == "v4lue", "a cookie after the input was not read back");
  }

  // The query string: query_param is parse_form's value, and a later parameter is read back.
  Request q;
  q.query = input;
  const auto form = gatehouse::http::parse_form(input);
  if (!form.empty())
    require(q.query_param(form.begin()->first) == form.begin()->second, "query_param disagrees with parse_form");
  if (input.find(kProbe) == std::string::npos) {
    q.query = input + "&" + std::string(kProbe) + "=a%20b+c";
    require(q.query_param(std::string(kProbe)) == "a b c", "a parameter after the input was not read back");
  }
  return 0;
}
