// The server over real sockets: routing, keep-alive, limits, errors, async
// answers, signals and graceful shutdown.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "gatehouse/http/metrics.h"
#include "gatehouse/http/router.h"
#include "gatehouse/http/server.h"
#include "http_client.h"

namespace gatehouse::http {
namespace {

using namespace std::chrono_literals;

using Client = testing::HttpClient;
int status_of(const std::string& r) { return Client::status_of(r); }
std::string body_of(const std::string& r) { return Client::body_of(r); }

std::string get(const std::string& path, bool close = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
}

class HttpTest : public ::testing::Test {
 protected:
  void start(ServerOptions opts = {}) {
    opts.bind = "127.0.0.1:0";
    opts.threads = 2;
    opts.access_log = false;
    router_.get("/hello/{name}", sync([](Request& r) { return Response::text(200, "hello " + r.params["name"]); }));
    router_.post("/echo", sync([](Request& r) { return Response::text(200, r.body); }));
    router_.get("/throw", sync([](Request&) -> Response { throw std::runtime_error("handler bug"); }));
    router_.get("/later", [](RequestPtr, Responder respond) {
      std::thread([respond] {
        std::this_thread::sleep_for(200ms);
        respond(Response::text(200, "later"));
      }).detach();
    });
    router_.get("/forgotten", [](RequestPtr, Responder) {});
    server_ = std::make_unique<Server>(opts, chain(middleware_, router_.handler()));
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  Router router_;
  std::vector<Middleware> middleware_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(HttpTest, RoutesWithParametersAndKeepAlive) {
  start();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send(get("/hello/ada"));
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(body_of(r), "hello ada");
  c.send(get("/hello/b%C3%A9a"));  // same connection, percent-decoded path
  r = c.response();
  EXPECT_EQ(body_of(r), "hello béa");
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde");
  EXPECT_EQ(body_of(c.response()), "abcde");
}

TEST_F(HttpTest, NotFoundAndMethodNotAllowedAreJson) {
  start();
  Client c(server_->port());
  c.send(get("/nope"));
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 404);
  EXPECT_NE(body_of(r).find("\"error\":\"not_found\""), std::string::npos);
  c.send("DELETE /echo HTTP/1.1\r\nHost: t\r\n\r\n");
  r = c.response();
  EXPECT_EQ(status_of(r), 405);
  EXPECT_NE(r.find("Allow: POST"), std::string::npos);
}

TEST_F(HttpTest, LimitsAreAnsweredWithTheRightStatus) {
  ServerOptions o;
  o.max_header_bytes = 8 * 1024;
  o.max_body_bytes = 1024 * 1024;
  o.read_timeout = 300ms;
  start(o);
  {
    Client c(server_->port());
    c.send("GET /hello/x HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n");
    EXPECT_EQ(status_of(c.response()), 431);
  }
  {
    Client c(server_->port());
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10485760\r\n\r\n" + std::string(64 * 1024, 'b'));
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 413);
    EXPECT_NE(body_of(r).find("body_too_large"), std::string::npos);
  }
  {
    Client c(server_->port());
    c.send("GET /hello/x HTTP/1.1\r\nHost: t\r\n");  // never finishes the headers
    EXPECT_EQ(status_of(c.response()), 408);
  }
  {
    Client c(server_->port());
    c.send("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(status_of(c.response()), 400);
  }
  {
    Client idle(server_->port());  // an idle keep-alive connection is closed quietly
    EXPECT_TRUE(idle.closed_by_peer());
  }
  Client c(server_->port());
  c.send(get("/hello/still-serving"));
  EXPECT_EQ(status_of(c.response()), 200);
}

TEST_F(HttpTest, HandlerExceptionIsA500AndTheServerGoesOn) {
  std::atomic<int> exceptions{0};
  signals::ScopedConnection r = got_request_exception.connect([&](const Request& req, std::exception_ptr) {
    EXPECT_EQ(req.path, "/throw");
    ++exceptions;
  });
  start();
  Client c(server_->port());
  for (int i = 0; i < 3; ++i) {
    c.send(get("/throw"));
    const std::string resp = c.response();
    EXPECT_EQ(status_of(resp), 500);
    EXPECT_NE(body_of(resp).find("internal_error"), std::string::npos);
    EXPECT_EQ(body_of(resp).find("handler bug"), std::string::npos) << "internal detail leaked";
  }
  c.send(get("/hello/ok"));
  EXPECT_EQ(status_of(c.response()), 200);
  EXPECT_EQ(exceptions.load(), 3);
}

TEST_F(HttpTest, AsyncAnswersAndForgottenResponders) {
  start();
  Client a(server_->port()), b(server_->port());
  a.send(get("/later"));
  b.send(get("/hello/fast"));  // not held up by the slow answer on another connection
  EXPECT_EQ(body_of(b.response()), "hello fast");
  EXPECT_EQ(body_of(a.response()), "later");
  a.send(get("/forgotten"));
  EXPECT_EQ(status_of(a.response()), 500);
}

struct Trace {  // a typed value one middleware hands to the next
  std::string name;
};

TEST_F(HttpTest, RequestSignalsAndMiddlewareOrder) {
  std::atomic<int> started{0}, finished{0};
  std::atomic<int> last_status{0};
  signals::ScopedConnection s1 = request_started.connect([&](const Request&) { ++started; });
  signals::ScopedConnection s2 = request_finished.connect([&](const Request&, const Response& r) {
    last_status = r.status;
    ++finished;
  });
  middleware_.push_back([](RequestPtr req, Responder respond, const Handler& next) {
    req->set(std::make_shared<Trace>(Trace{"outer"}));
    next(req, respond.then([](Response r) {
      r.set_header("X-Outer", "1");
      return r;
    }));
  });
  middleware_.push_back([](RequestPtr req, Responder respond, const Handler& next) {
    if (req->path == "/blocked") return respond(Response::error(403, "forbidden", "no"));
    next(req, respond.then([req](Response r) {
      r.set_header("X-Inner", req->get<Trace>()->name);
      return r;
    }));
  });
  start();
  Client c(server_->port());
  c.send(get("/hello/m"));
  const std::string r = c.response();
  EXPECT_NE(r.find("X-Outer: 1"), std::string::npos);
  EXPECT_NE(r.find("X-Inner: outer"), std::string::npos);
  c.send(get("/blocked"));
  const std::string blocked = c.response();
  EXPECT_EQ(status_of(blocked), 403);
  EXPECT_NE(blocked.find("X-Outer: 1"), std::string::npos);
  for (int i = 0; i < 100 && finished < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(started.load(), 2);
  EXPECT_EQ(finished.load(), 2);
  EXPECT_EQ(last_status.load(), 403);
}

TEST_F(HttpTest, GracefulStopFinishesInFlightRequests) {
  start();
  Client slow(server_->port());
  slow.send(get("/later"));
  for (int i = 0; i < 100 && server_->in_flight() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(server_->in_flight(), 1u);
  Client idle(server_->port());  // an accepted connection between requests
  idle.send(get("/hello/idle"));
  ASSERT_EQ(status_of(idle.response()), 200);
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  const std::string r = slow.response();
  EXPECT_EQ(body_of(r), "later");  // the in-flight request was finished
  EXPECT_TRUE(idle.closed_by_peer());
  thread_.join();  // run() returned once drained
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  Client after(server_->port());
  EXPECT_FALSE(after.connected());  // no longer accepting
}

TEST(HttpServer, BadBindAddressesAreClearErrors) {
  EXPECT_THROW(Server({.bind = "no-port"}, sync([](Request&) { return Response{}; })), std::runtime_error);
  EXPECT_THROW(Server({.bind = "999.1.1.1:80"}, sync([](Request&) { return Response{}; })), std::runtime_error);
  Server first({.bind = "127.0.0.1:0"}, sync([](Request&) { return Response{}; }));
  EXPECT_THROW(Server({.bind = "127.0.0.1:" + std::to_string(first.port())}, sync([](Request&) { return Response{}; })),
               std::runtime_error);
}

TEST(HttpMessage, CookiesQueryAndHeaders) {
  Request r;
  r.headers = {{"cookie", "a=1; sessionid=abc; csrftoken=\"x y\""}};
  r.query = "next=%2Fadmin%2F&q=a+b&empty";
  EXPECT_EQ(r.cookie("sessionid"), "abc");
  EXPECT_EQ(r.cookie("csrftoken"), "x y");
  EXPECT_FALSE(r.cookie("missing"));
  EXPECT_EQ(r.query_param("next"), "/admin/");
  EXPECT_EQ(r.query_param("q"), "a b");
  EXPECT_EQ(r.query_param("empty"), "");
  EXPECT_EQ(r.header("COOKIE").has_value(), true);
  Response resp;
  resp.set_cookie("sessionid", "k", {.max_age_seconds = 60, .secure = true});
  EXPECT_EQ(resp.headers[0].second, "sessionid=k; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
  EXPECT_EQ(Response::error(400, "bad\"code", "line\nbreak").body, "{\"error\":\"bad\\\"code\",\"detail\":\"line\\nbreak\"}");
}


// RFC 9112: a transfer coding the server does not implement is a 400, never
// "no body" (a request-smuggling building block behind a proxy).
TEST_F(HttpTest, AnUnknownTransferEncodingIs400) {
  start();
  for (const char* te : {"gzip", "xchunked", "chunked, identity", "identity"}) {
    Client c(server_->port());
    c.send(std::string("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: ") + te + "\r\n\r\nGET /hello/smuggled HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 400) << te << ": " << r;
    EXPECT_EQ(r.find("smuggled"), std::string::npos) << te;
  }
  Client c(server_->port());
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(body_of(c.response()), "abc") << "chunked itself still works";
}

TEST_F(HttpTest, TheServersOwnAnswersCarryTheSecurityHeaders) {
  ServerOptions o;
  o.max_header_bytes = 4 * 1024;
  o.security.hsts_seconds = 31536000;
  o.security.https = true;
  start(o);
  for (const std::string& bad : {std::string("NOT HTTP\r\n\r\n"),
                                 "GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(8 * 1024, 'a') + "\r\n\r\n"}) {
    Client c(server_->port());
    c.send(bad);
    const std::string r = c.response();
    EXPECT_TRUE(status_of(r) == 400 || status_of(r) == 431) << r;
    EXPECT_NE(r.find("X-Content-Type-Options: nosniff"), std::string::npos) << r;
    EXPECT_NE(r.find("Content-Security-Policy: "), std::string::npos) << r;
    EXPECT_NE(r.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << r;
  }
}

// After an early 413 the server reads and drops what the client still sends
// before closing, so a client that writes its whole body first (Python's
// http.client, requests) reads the 413 instead of a broken pipe.
TEST_F(HttpTest, AnEarlyAnswerReachesAClientStillSendingItsBody) {
  ServerOptions o;
  o.max_body_bytes = 64 * 1024;
  start(o);
  Client c(server_->port());
  const std::size_t body = 4 * 1024 * 1024;
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n");
  EXPECT_TRUE(c.send_all(std::string(body, 'x'))) << "the whole body went out: the server kept reading";
  EXPECT_EQ(status_of(c.response()), 413);
}

// Past max_connections the server stops accepting until one closes; the
// waiting client is served then, not refused.
TEST_F(HttpTest, PastMaxConnectionsNewOnesWaitForAFreeSlot) {
  ServerOptions o;
  o.max_connections = 3;
  start(o);
  std::vector<std::unique_ptr<Client>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<Client>(server_->port()));
    open.back()->send(get("/hello/" + std::to_string(i)));
    EXPECT_EQ(status_of(open.back()->response()), 200);
  }
  Client waiting(server_->port());  // the kernel's backlog takes it
  waiting.send(get("/hello/late"));
  EXPECT_FALSE(waiting.readable_within(300)) << "a fourth connection is not served while three are open";
  open.pop_back();  // one closes
  EXPECT_EQ(body_of(waiting.response()), "hello late");
}

TEST_F(HttpTest, InventedMethodsDoNotGrowTheMetrics) {
  Metrics metrics;
  middleware_.push_back(metrics.middleware());
  start();
  for (int i = 0; i < 200; ++i) {
    Client c(server_->port());
    c.send("M" + std::to_string(i) + " /hello/x HTTP/1.1\r\nHost: t\r\n\r\n");
    (void)c.response();
  }
  const std::string text = metrics.render();
  EXPECT_EQ(text.find("M17"), std::string::npos);
  EXPECT_NE(text.find("method=\"other\""), std::string::npos);
  EXPECT_LT(text.size(), 20000u) << "bounded, whatever the methods";
}

}  // namespace
}  // namespace gatehouse::http
