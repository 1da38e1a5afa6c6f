// Feeds application/x-www-form-urlencoded bodies: http::parse_form(),
// Request::form_value() and http::media_type_is(). Input: a Content-Type line
// and the body ("<type>\n<body>"); without a newline the whole input is the
// body, sent as application/x-www-form-urlencoded. Properties: re-encoding a
// parsed form and parsing it again gives the same form; percent_decode undoes
// percent_encode; form_value answers only for the form media type, with
// parse_form's value; media_type_is ignores case and parameters.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gatehouse/http/message.h"

namespace http = gatehouse::http;

namespace {

constexpr std::string_view kForm = "application/x-www-form-urlencoded";

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "form_fuzz: %s\n", what);
  std::abort();
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string type = newline == std::string::npos ? std::string(kForm) : input.substr(0, newline);
  const std::string body = newline == std::string::npos ? input : input.substr(newline + 1);

  const http::Form form = http::parse_form(body);
  std::string again;
  for (const auto& [name, value] : form)
    again += (again.empty() ? "" : "&") + http::percent_encode(name) + "=" + http::percent_encode(value);
  require(http::parse_form(again) == form, "a re-encoded form parses differently");
  require(http::percent_decode(http::percent_encode(body)) == body, "percent_decode(percent_encode(x)) != x");
  require(http::percent_decode(http::percent_encode(body), true) == body, "percent_decode(.., plus) lost a byte");

  http::Request r;
  r.headers.emplace_back("content-type", type);
  r.body = body;
  const bool is_form = http::media_type_is(type, kForm);
  for (const std::string& name : {std::string("csrfmiddlewaretoken"), std::string("next"),
                                  form.empty() ? std::string("username") : form.begin()->first}) {
    const auto value = r.form_value(name);
    if (!is_form) {
      require(!value, "form_value answered for another media type");
    } else {
      const auto it = form.find(name);
      require(it == form.end() ? !value : value == it->second, "form_value disagrees with parse_form");
    }
  }

  for (const std::string_view media : {kForm, std::string_view("application/json")}) {
    const bool match = http::media_type_is(type, media);
    require(http::media_type_is(upper(type), media) == match, "media_type_is depends on case");
    if (type.find(';') == std::string::npos)
      require(http::media_type_is(type + "; charset=utf-8", media) == match, "media_type_is depends on parameters");
  }
  return 0;
}
