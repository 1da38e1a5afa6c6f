// Server: HTTP/1.1 with keep-alive on Boost.Beast, one Asio thread per core.
//
// Limits are answered with the right status and a JSON body: a header block
// over max_header_bytes is 431, a body over max_body_bytes is 413, a client
// that does not finish its request within read_timeout gets 408, malformed
// HTTP is 400. Every request sends request_started / request_finished; an
// exception from a handler becomes a 500 with a JSON body, a log line and
// got_request_exception, never a dead thread.
//
// stop() (and SIGTERM/SIGINT under run_until_signal) stops accepting, lets
// in-flight requests finish (up to drain_timeout), then returns.
//
// REQUIRES: every Responder handed out (to a worker pool, say) is answered or
// dropped before the Server is destroyed: a Responder keeps its connection,
// which refers to the Server.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "gatehouse/http/handler.h"
#include "gatehouse/http/metrics.h"
#include "gatehouse/signals/signal.h"

namespace gatehouse::http {

struct ServerOptions {
  std::string bind = "127.0.0.1:8000";  // host:port; port 0 picks a free one
  std::size_t threads = 0;              // 0: one per core
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds drain_timeout{10000};
  bool access_log = true;               // one JSON line per request on stderr
  // Open connections at most; past it the server stops accepting (new
  // connections wait in the kernel's backlog) until one closes.
  std::size_t max_connections = 10000;
  SecurityHeaders security{};           // also on the server's own answers (400, 408, 413, 431)
  // After an early answer (413, 431, 400) the connection is closed only once
  // the client stopped sending or this passed, reading and dropping what
  // arrives (nginx's lingering close): the client reads the answer instead
  // of a reset.
  std::chrono::milliseconds linger{2000};
};

// Request signals (django.core.signals), sender: the Server.
extern signals::Signal<void(const Request&)> request_started;
extern signals::Signal<void(const Request&, const Response&)> request_finished;
extern signals::Signal<void(const Request&, std::exception_ptr)> got_request_exception;

class Server {
 public:
  // Binds at once; throws std::runtime_error with the address if it cannot.
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const noexcept;
  // Serves on the worker threads until stop(); returns when drained.
  void run();
  // As run(), stopping gracefully on SIGTERM or SIGINT.
  void run_until_signal();
  // Thread-safe; returns at once.
  void stop();
  // Requests being handled now.
  std::size_t in_flight() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::http
