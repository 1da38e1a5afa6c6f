// Metrics in Prometheus text format (GET /metrics): request counts and latency
// histograms by route, method and status, plus counters and gauges the
// application registers (logins succeeded/failed/throttled, hash pool depth).
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gatehouse/http/handler.h"

namespace gatehouse::http {

class Metrics {
 public:
  void observe_request(const std::string& route, const std::string& method, int status, double seconds);
  // Adds `by` to the counter `name` (created on first use, with `help`).
  void increment(const std::string& name, const std::string& help, double by = 1);
  // A gauge read when /metrics is rendered.
  void gauge(const std::string& name, const std::string& help, std::function<double()> read);
  std::string render() const;

  // Middleware that observes every request.
  Middleware middleware();

 private:
  struct Series {
    std::vector<std::uint64_t> buckets;
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Series> requests_;  // key: label set
  std::map<std::string, std::pair<std::string, double>> counters_;
  std::map<std::string, std::pair<std::string, std::function<double()>>> gauges_;
};

// X-Content-Type-Options, Referrer-Policy, X-Frame-Options: DENY, a
// Content-Security-Policy, and (behind HTTPS, when asked)
// Strict-Transport-Security, on every response: the middleware for the
// handlers' answers, add_security_headers for the server's own (400, 408,
// 413, 431).
struct SecurityHeaders {
  std::int64_t hsts_seconds = 0;  // Strict-Transport-Security max-age; 0: none
  // Whether every request arrives over HTTPS: HSTS on every answer. Otherwise
  // only on the answers to requests a trusted proxy reports as HTTPS
  // (Request::secure): browsers ignore HSTS over plain HTTP.
  bool https = false;
};
// `secure_request`: the request was HTTPS (for HSTS when not options.https).
void add_security_headers(Response& response, const SecurityHeaders& options, bool secure_request = false);
Middleware security_headers(SecurityHeaders options = {});

}  // namespace gatehouse::http
