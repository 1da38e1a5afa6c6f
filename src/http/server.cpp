// The Beast side of Server. Kept out of the headers: Beast is heavy to compile.
#include "gatehouse/http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "gatehouse/core/encoding.h"

namespace gatehouse::http {

signals::Signal<void(const Request&)> request_started;
signals::Signal<void(const Request&, const Response&)> request_finished;
signals::Signal<void(const Request&, std::exception_ptr)> got_request_exception;

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

using core::json_escape;

namespace {

std::pair<std::string, std::uint16_t> parse_bind(const std::string& bind) {
  const auto colon = bind.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("GATEHOUSE_BIND must be host:port, not '" + bind + "'");
  std::string host = bind.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = bind.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) throw std::runtime_error("bad port in bind address '" + bind + "'");
  return {host.empty() ? "127.0.0.1" : host, static_cast<std::uint16_t>(p)};
}

// The path as the access log shows it: a route with parameters is logged as
// its pattern, so a secret in the URL (a reset link's token, a confirmation
// key) never reaches the log.
std::string logged_path(const Request& req) {
  return req.route.find('{') != std::string::npos ? req.route : req.path;
}

// Whether a Transfer-Encoding value is exactly "chunked" (case aside, spaces trimmed).
bool only_chunked(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.size() != 7) return false;
  for (std::size_t i = 0; i < 7; ++i)
    if (std::tolower(static_cast<unsigned char>(v[i])) != "chunked"[i]) return false;
  return true;
}

}  // namespace

struct Server::Impl {
  class Session;

  ServerOptions opts;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mu;
  std::set<Session*> sessions;
  // Stopping is coordinated on one strand: Asio timers are not thread-safe.
  net::strand<net::io_context::executor_type> control{net::make_strand(ioc.get_executor())};
  std::unique_ptr<net::steady_timer> drain_timer;
  std::unique_ptr<net::signal_set> signal_set;
  std::uint16_t port = 0;
  bool accept_paused = false;  // at max_connections (under sessions_mu)
  std::unique_ptr<net::steady_timer> accept_timer;
  std::chrono::milliseconds accept_backoff{0};
  std::chrono::steady_clock::time_point last_accept_log{};
  std::uint64_t accept_errors_not_logged = 0;

  void accept();
  void on_accept_error(const beast::error_code& ec);
  void begin_stop();
  void session_ended();
};

class Server::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), read_timer_(stream_.get_executor()) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    client_ = ec ? std::string() : ep.address().to_string();
    std::lock_guard lock(server_.sessions_mu);
    server_.sessions.insert(this);
  }
  ~Session() {
    {
      std::lock_guard lock(server_.sessions_mu);
      server_.sessions.erase(this);
    }
    server_.session_ended();
  }

  void start() { read(); }

  // Closes the connection if it is waiting for a request (graceful stop).
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        self->read_timer_.cancel();
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
      }
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.opts.max_header_bytes));
    parser_->body_limit(server_.opts.max_body_bytes);
    // Our own timer, not tcp_stream's expiry: that one closes the socket, and
    // a slow client is owed a 408 on it.
    stream_.expires_never();
    timed_out_ = false;
    read_timer_.expires_after(server_.opts.read_timeout);
    read_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the read finished first
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->read_timer_.cancel();
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (timed_out_ && ec == net::error::operation_aborted) ec = beast::error::timeout;
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::bad_descriptor || ec == net::error::eof) {
      return close();
    }
    if (ec) {
      // A limit or a malformed request: answer, then close.
      const bool started = parser_->got_some() || buffer_.size() > 0;
      if (ec == beast::error::timeout) {
        if (!started) return close();  // an idle keep-alive connection: just close
        return reject(408, "request_timeout", "the request was not received in time");
      }
      if (ec == bhttp::error::header_limit) return reject(431, "header_too_large", "the request headers are too large");
      if (ec == bhttp::error::body_limit) return reject(413, "body_too_large", "the request body is too large");
      return reject(400, "bad_request", "malformed HTTP request");
    }
    dispatch(parser_->release());
  }

  void reject(int status, std::string_view code, std::string_view detail) {
    busy_ = true;
    keep_alive_ = false;
    auto req = std::make_shared<Request>();
    req->received = std::chrono::steady_clock::now();
    req->client_address = client_;
    req->method = "-";
    lingering_ = true;
    Response r = Response::error(status, code, detail);
    add_security_headers(r, server_.opts.security);
    write(req, std::move(r));
  }

  void dispatch(bhttp::request<bhttp::string_body> msg) {
    // RFC 9112 6.1: a request whose last transfer coding is not chunked, or
    // with codings a server does not know, gets 400 — never "no body", which a
    // proxy that reads it otherwise would turn into a smuggled request.
    if (const auto te = msg.find(bhttp::field::transfer_encoding); te != msg.end() && !only_chunked(std::string_view(te->value().data(), te->value().size())))
      return reject(400, "bad_transfer_encoding", "only Transfer-Encoding: chunked is accepted");
    busy_ = true;
    keep_alive_ = msg.keep_alive() && !server_.stopping;
    auto req = std::make_shared<Request>();
    req->received = std::chrono::steady_clock::now();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    const auto q = req->target.find('?');
    req->path = percent_decode(std::string_view(req->target).substr(0, q));
    if (q != std::string::npos) req->query = req->target.substr(q + 1);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req->headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req->body = std::move(msg.body());
    req->client_address = client_;
    ++server_.in_flight;
    counted_ = true;
    auto self = shared_from_this();
    Responder respond([self, req](Response r) {
      net::post(self->stream_.get_executor(), [self, req, r = std::move(r)]() mutable { self->write(req, std::move(r)); });
    });
    try {
      request_started.send(signals::Sender::object(server_), *req);
      server_.handler(req, respond);
    } catch (...) {
      const auto error = std::current_exception();
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "{\"level\":\"error\",\"event\":\"handler_exception\",\"path\":\"%s\",\"error\":\"%s\"}\n",
                     json_escape(req->path).c_str(), json_escape(e.what()).c_str());
      } catch (...) {
        std::fprintf(stderr, "{\"level\":\"error\",\"event\":\"handler_exception\",\"path\":\"%s\"}\n",
                     json_escape(req->path).c_str());
      }
      try {
        got_request_exception.send_robust(signals::Sender::object(server_), *req, error);
      } catch (...) {
      }
      respond(Response::error(500, "internal_error", "the server failed to handle the request"));
    }
  }

  void write(const RequestPtr& req, Response r) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>();
    msg->result(static_cast<unsigned>(r.status));
    msg->version(11);
    for (auto& [k, v] : r.headers) msg->insert(k, v);
    if (req->method == "HEAD") {
      msg->content_length(r.body.size());
    } else {
      msg->body() = std::move(r.body);
      msg->prepare_payload();
    }
    msg->keep_alive(keep_alive_);
    const std::size_t bytes = msg->body().size();
    stream_.expires_after(server_.opts.read_timeout);
    bhttp::async_write(stream_, *msg,
                       [self = shared_from_this(), msg, req, status = r.status, headers = std::move(r.headers), bytes](
                           beast::error_code ec, std::size_t) {
                         self->after_write(ec, *req, status, headers, bytes);
                       });
  }

  void after_write(beast::error_code ec, const Request& req, int status,
                   const std::vector<std::pair<std::string, std::string>>& headers, std::size_t bytes) {
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - req.received).count();
    if (server_.opts.access_log) {
      std::fprintf(stderr,
                   "{\"event\":\"request\",\"method\":\"%s\",\"path\":\"%s\",\"route\":\"%s\",\"status\":%d,"
                   "\"ms\":%.3f,\"bytes\":%zu,\"client\":\"%s\"}\n",
                   json_escape(req.method).c_str(), json_escape(logged_path(req)).c_str(), json_escape(req.route).c_str(), status,
                   ms, bytes, json_escape(req.client_address).c_str());
    }
    try {
      Response summary{status, headers, {}};
      request_finished.send_robust(signals::Sender::object(server_), req, summary);
    } catch (...) {
    }
    busy_ = false;
    if (counted_) {
      counted_ = false;
      --server_.in_flight;
    }
    if (ec || !keep_alive_ || server_.stopping) return close();
    read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (lingering_ && !ec && server_.opts.linger.count() > 0) return linger();
    stream_.socket().close(ec);
  }

  // Reads and drops what the client still sends, until it stops (EOF or an
  // error) or the linger time is spent, then closes.
  void linger() {
    lingering_ = false;
    stream_.expires_after(server_.opts.linger);
    drain_ = std::make_shared<std::array<char, 16384>>();
    drain();
  }
  void drain() {
    stream_.async_read_some(net::buffer(*drain_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) return self->drain();
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
    });
  }

  Impl& server_;
  beast::tcp_stream stream_;
  net::steady_timer read_timer_;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string client_;
  bool keep_alive_ = true;
  bool counted_ = false;
  bool lingering_ = false;  // an early answer: drain before closing
  std::shared_ptr<std::array<char, 16384>> drain_;
  std::atomic<bool> busy_{false};
};

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping) return;
    if (ec) return on_accept_error(ec);
    accept_backoff = std::chrono::milliseconds(0);
    std::make_shared<Session>(*this, std::move(socket))->start();
    {
      std::lock_guard lock(sessions_mu);
      if (sessions.size() >= opts.max_connections) {
        accept_paused = true;  // session_ended() accepts again
        return;
      }
    }
    accept();
  });
}

// Out of file descriptors (or memory), accepting again at once would spin a
// core and the log: wait, doubling up to a second, and log once a second.
void Server::Impl::on_accept_error(const beast::error_code& ec) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_log >= std::chrono::seconds(1)) {
    std::fprintf(stderr,
                 "{\"level\":\"warning\",\"event\":\"accept_failed\",\"error\":\"%s\",\"failures_not_logged\":%llu}\n",
                 ec.message().c_str(), static_cast<unsigned long long>(accept_errors_not_logged));
    last_accept_log = now;
    accept_errors_not_logged = 0;
  } else {
    ++accept_errors_not_logged;
  }
  accept_backoff = std::min(std::chrono::milliseconds(1000), std::max(std::chrono::milliseconds(10), accept_backoff * 2));
  accept_timer = std::make_unique<net::steady_timer>(control, accept_backoff);
  accept_timer->async_wait([this](beast::error_code e) {
    if (!e && !stopping) accept();
  });
}

void Server::Impl::begin_stop() {
  if (stopping.exchange(true)) return;
  net::post(control, [this] {
    beast::error_code ec;
    acceptor.close(ec);
    if (signal_set) signal_set->cancel(ec);
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(sessions_mu);
      for (Session* s : sessions) {
        try {
          live.push_back(s->shared_from_this());
        } catch (const std::bad_weak_ptr&) {
        }
      }
    }
    for (auto& s : live) s->close_if_idle();
    drain_timer = std::make_unique<net::steady_timer>(control, opts.drain_timeout);
    drain_timer->async_wait([this](beast::error_code e) {
      if (!e) ioc.stop();  // in-flight requests did not finish in time
    });
    session_ended();  // no sessions at all: finish now
  });
}

void Server::Impl::session_ended() {
  if (!stopping) {
    std::lock_guard lock(sessions_mu);
    if (accept_paused && sessions.size() < opts.max_connections) {
      accept_paused = false;
      net::post(control, [this] { accept(); });
    }
    return;
  }
  std::lock_guard lock(sessions_mu);
  if (sessions.empty()) net::post(control, [this] {
      if (drain_timer) drain_timer->cancel();
    });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
  impl_->handler = std::move(handler);
  const auto [host, port] = parse_bind(impl_->opts.bind);
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on " + impl_->opts.bind + ": " + ec.message());
  const tcp::endpoint ep(address, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + impl_->opts.bind + ": " + ec.message());
  impl_->port = a.local_endpoint().port();
}

Server::~Server() {
  stop();
  impl_->ioc.stop();
}

std::uint16_t Server::port() const noexcept { return impl_->port; }
std::size_t Server::in_flight() const noexcept { return impl_->in_flight.load(); }

void Server::run() {
  impl_->accept();
  std::size_t n = impl_->opts.threads != 0 ? impl_->opts.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < n; ++i) workers.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : workers) t.join();
}

void Server::run_until_signal() {
  impl_->signal_set = std::make_unique<net::signal_set>(impl_->ioc, SIGINT, SIGTERM);
  impl_->signal_set->async_wait([this](beast::error_code ec, int) {
    if (!ec) stop();
  });
  run();
}

void Server::stop() { impl_->begin_stop(); }

}  // namespace gatehouse::http
