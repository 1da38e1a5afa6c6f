#include "gatehouse/http/router.h"

#include <stdexcept>

namespace gatehouse::http {

namespace {
std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  if (path.empty() || path[0] != '/') return {"\x01"};  // never matches
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    out.emplace_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}
}  // namespace

Router& Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern[0] != '/') throw std::invalid_argument("route patterns start with '/': " + pattern);
  auto segments = split(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
  return *this;
}

void Router::operator()(RequestPtr request, Responder respond) const {
  const auto parts = split(request->path);
  std::string allow;
  for (const Route& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < parts.size() && match; ++i) {
      const std::string& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        if (parts[i].empty()) match = false;
        else params[seg.substr(1, seg.size() - 2)] = parts[i];
      } else if (seg != parts[i]) {
        match = false;
      }
    }
    if (!match) continue;
    if (r.method != request->method && !(r.method == "GET" && request->method == "HEAD")) {
      allow += (allow.empty() ? "" : ", ") + r.method;
      if (r.method == "GET") allow += ", HEAD";  // served as GET without the body
      continue;
    }
    request->params = std::move(params);
    request->route = r.pattern;
    r.handler(std::move(request), std::move(respond));
    return;
  }
  if (!allow.empty()) {
    Response r = Response::error(405, "method_not_allowed", "method " + request->method + " is not allowed here");
    r.set_header("Allow", allow);
    respond(std::move(r));
    return;
  }
  respond(Response::error(404, "not_found", "no such resource"));
}

Handler Router::handler() const {
  return [this](RequestPtr req, Responder respond) { (*this)(std::move(req), std::move(respond)); };
}

}  // namespace gatehouse::http
