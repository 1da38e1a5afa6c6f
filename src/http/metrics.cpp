#include "gatehouse/http/metrics.h"

#include <cstdio>

namespace gatehouse::http {

namespace {
constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
}  // namespace

namespace {
// The methods a label may name; any other is "other", so a client inventing
// methods cannot grow the series without bound (routes are the router's
// patterns and statuses three digits: both bounded already).
std::string_view method_label(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    if (method == known) return known;
  return "other";
}
}  // namespace

void Metrics::observe_request(const std::string& route, const std::string& method, int status, double seconds) {
  const std::string key = "route=\"" + label(route.empty() ? "(none)" : route) + "\",method=\"" + std::string(method_label(method)) +
                          "\",status=\"" + std::to_string(status) + "\"";
  std::lock_guard lock(mu_);
  Series& s = requests_[key];
  if (s.buckets.empty()) s.buckets.assign(std::size(kBuckets), 0);
  for (std::size_t i = 0; i < std::size(kBuckets); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  ++s.count;
  s.sum += seconds;
}

void Metrics::increment(const std::string& name, const std::string& help, double by) {
  std::lock_guard lock(mu_);
  auto& c = counters_[name];
  c.first = help;
  c.second += by;
}

void Metrics::gauge(const std::string& name, const std::string& help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_[name] = {help, std::move(read)};
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP gatehouse_http_requests_total Requests answered, by route, method and status.\n";
  out += "# TYPE gatehouse_http_requests_total counter\n";
  for (const auto& [key, s] : requests_) out += "gatehouse_http_requests_total{" + key + "} " + std::to_string(s.count) + "\n";
  out += "# HELP gatehouse_http_request_duration_seconds Time from request read to response, by route, method and status.\n";
  out += "# TYPE gatehouse_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : requests_) {
    for (std::size_t i = 0; i < std::size(kBuckets); ++i)
      out += "gatehouse_http_request_duration_seconds_bucket{" + key + ",le=\"" + number(kBuckets[i]) + "\"} " +
             std::to_string(s.buckets[i]) + "\n";
    out += "gatehouse_http_request_duration_seconds_bucket{" + key + ",le=\"+Inf\"} " + std::to_string(s.count) + "\n";
    out += "gatehouse_http_request_duration_seconds_sum{" + key + "} " + number(s.sum) + "\n";
    out += "gatehouse_http_request_duration_seconds_count{" + key + "} " + std::to_string(s.count) + "\n";
  }
  for (const auto& [name, c] : counters_) {
    out += "# HELP " + name + " " + c.first + "\n# TYPE " + name + " counter\n" + name + " " + number(c.second) + "\n";
  }
  for (const auto& [name, g] : gauges_) {
    out += "# HELP " + name + " " + g.first + "\n# TYPE " + name + " gauge\n" + name + " " + number(g.second()) + "\n";
  }
  return out;
}

Middleware Metrics::middleware() {
  return [this](RequestPtr req, Responder respond, const Handler& next) {
    next(req, respond.then([this, req](Response r) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - req->received).count();
      observe_request(req->route, req->method, r.status, s);
      return r;
    }));
  };
}

void add_security_headers(Response& r, const SecurityHeaders& options, bool secure_request) {
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "same-origin");
  r.set_header("X-Frame-Options", "DENY");
  r.set_header("Content-Security-Policy",
               "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'");
  if (options.hsts_seconds > 0 && (options.https || secure_request))
    r.set_header("Strict-Transport-Security", "max-age=" + std::to_string(options.hsts_seconds));
}

Middleware security_headers(SecurityHeaders options) {
  return [options](RequestPtr req, Responder respond, const Handler& next) {
    const bool secure = req->secure;
    next(std::move(req), respond.then([options, secure](Response r) {
      add_security_headers(r, options, secure);
      return r;
    }));
  };
}

}  // namespace gatehouse::http
