#include "gatehouse/http/message.h"

#include <algorithm>
#include <cctype>

namespace gatehouse::http {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}
}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  const auto h = header("cookie");
  if (!h) return std::nullopt;
  std::string_view rest = *h;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (part.substr(0, eq) == name) {
      std::string_view v = part.substr(eq + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
  }
  return std::nullopt;
}

FormPairs parse_form_pairs(std::string_view text) {
  FormPairs out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    out.emplace_back(percent_decode(part.substr(0, eq), true),
                     eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1), true));
  }
  return out;
}

Form parse_form(std::string_view text) {
  Form out;
  for (auto& [k, v] : parse_form_pairs(text)) out[std::move(k)] = std::move(v);
  return out;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  Form q = parse_form(query);
  const auto it = q.find(std::string(name));
  if (it == q.end()) return std::nullopt;
  return std::move(it->second);
}

std::optional<std::string> Request::form_value(std::string_view name) const {
  const auto type = header("content-type");
  if (!type || !media_type_is(*type, "application/x-www-form-urlencoded")) return std::nullopt;
  Form f = parse_form(body);
  const auto it = f.find(std::string(name));
  if (it == f.end()) return std::nullopt;
  return std::move(it->second);
}

bool media_type_is(std::string_view content_type, std::string_view media_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  std::size_t b = 0, e = type.size();
  while (b < e && (type[b] == ' ' || type[b] == '\t')) ++b;
  while (e > b && (type[e - 1] == ' ' || type[e - 1] == '\t')) --e;
  return iequals(type.substr(b, e - b), media_type);
}

Response& Response::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (iequals(k, name)) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

Response& Response::set_cookie(const std::string& name, const std::string& value, const CookieOptions& o) {
  std::string c = name + "=" + value + "; Path=" + o.path;
  if (o.max_age_seconds) c += "; Max-Age=" + std::to_string(*o.max_age_seconds);
  if (o.http_only) c += "; HttpOnly";
  if (o.secure) c += "; Secure";
  if (!o.same_site.empty()) c += "; SameSite=" + o.same_site;
  headers.emplace_back("Set-Cookie", std::move(c));  // several may be set
  return *this;
}

Response& Response::delete_cookie(const std::string& name, const std::string& path) {
  headers.emplace_back("Set-Cookie", name + "=\"\"; Path=" + path +
                                         "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax");
  return *this;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r{status, {}, std::move(body)};
  r.set_header("Content-Type", std::move(content_type));
  return r;
}

Response Response::error(int status, std::string_view code, std::string_view detail) {
  return json_text(status, "{\"error\":\"" + json_escape(code) + "\",\"detail\":\"" + json_escape(detail) + "\"}");
}

Response Response::json_text(int status, std::string json) {
  return text(status, std::move(json), "application/json");
}

Response Response::redirect(std::string location, int status) {
  Response r{status, {}, {}};
  r.set_header("Location", std::move(location));
  return r;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
  }
}



}  // namespace gatehouse::http
