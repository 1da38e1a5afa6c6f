// The embedded accounts server with routes of your own: everything
// `gatehouse serve` answers (the JSON API, the pages, /healthz), in your
// process, plus your routes behind the same sessions and login_required.
//
// Shows: app::AccountsServer from an app::Config (in-memory SQLite, a free
// loopback port, the in-memory email backend); AccountsServer::router() and
// access() to add an API route and a page behind login_required before
// run(); then, with a small socket client that keeps cookies and the CSRF
// token as a browser does, signup and login through /api/signup and
// /api/login, your routes seeing the user, and logout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "gatehouse/app/config.h"
#include "gatehouse/app/server.h"
#include "gatehouse/http/router.h"
#include "gatehouse/web/access.h"

namespace {

using namespace gatehouse;

// ---- a tiny HTTP client that keeps cookies and the CSRF token ---------------

struct Reply {
  int status = 0;
  std::string head, body;
  // The value of the cookie `name` the answer sets, if it sets one.
  std::optional<std::string> cookie(const std::string& name) const {
    const auto at = head.find("\r\nSet-Cookie: " + name + "=");
    if (at == std::string::npos) return std::nullopt;
    const auto start = at + 15 + name.size();
    return head.substr(start, head.find_first_of(";\r", start) - start);
  }
};

// Whether `raw` holds a whole answer (headers and a Content-Length body).
bool complete(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const auto cl = raw.find("Content-Length: ");
  const std::size_t length =
      cl != std::string::npos && cl < end ? std::stoul(raw.substr(cl + 16)) : 0;
  return raw.size() >= end + 4 + length;
}

// Sends one request to 127.0.0.1:port and reads its answer.
Reply roundtrip(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string raw;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[4096];
    ssize_t n = 0;
    while (!complete(raw) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0)
      raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) throw std::runtime_error("no HTTP answer");
  return {std::stoi(raw.substr(9, 3)), raw.substr(0, end + 2), raw.substr(end + 4)};
}

class Browser {
 public:
  explicit Browser(std::uint16_t port) : port_(port) {}

  Reply get(const std::string& path) {
    return request("GET " + path + " HTTP/1.1\r\n" + headers() + "\r\n");
  }
  Reply post_json(const std::string& path, const std::string& json) {
    return request("POST " + path + " HTTP/1.1\r\n" + headers() +
                   "Content-Type: application/json\r\nContent-Length: " +
                   std::to_string(json.size()) + "\r\n\r\n" + json);
  }
  // GET /api/csrf: the masked token that unsafe requests send back in X-CSRFToken.
  void fetch_csrf_token() {
    const std::string body = get("/api/csrf").body;
    const auto start = body.find("\"csrfToken\":\"") + 13;
    token_ = body.substr(start, body.find('"', start) - start);
  }

 private:
  std::string headers() const {
    std::string h = "Host: example\r\nUser-Agent: example-client\r\n";
    std::string cookies;
    for (const auto& [name, value] : cookies_)
      cookies += (cookies.empty() ? "" : "; ") + name + "=" + value;
    if (!cookies.empty()) h += "Cookie: " + cookies + "\r\n";
    if (!token_.empty()) h += "X-CSRFToken: " + token_ + "\r\n";
    return h;
  }
  Reply request(const std::string& raw) {
    Reply r = roundtrip(port_, raw);
    for (const char* name : {"sessionid", "csrftoken"}) {
      const auto value = r.cookie(name);
      if (!value) continue;
      if (*value == "\"\"")
        cookies_.erase(name);  // deleted (logout)
      else
        cookies_[name] = *value;
    }
    // Login rotates the CSRF secret: the new cookie is itself a valid token.
    if (!token_.empty() && r.cookie("csrftoken")) token_ = cookies_["csrftoken"];
    return r;
  }

  std::uint16_t port_;
  std::map<std::string, std::string> cookies_;
  std::string token_;
};

// ---- the application --------------------------------------------------------

void add_routes(app::AccountsServer& server) {
  const web::Access& access = server.access();
  const http::Handler hello = http::sync([&access](http::Request& r) {
    const auth::User* user = access.user(r);  // never null behind login_required
    return http::Response::text(200, "hello " + user->username + " <" + user->email + ">");
  });
  const http::Handler welcome = http::sync([&access](http::Request& r) {
    return http::Response::text(200, "Welcome, " + access.user(r)->username + "!",
                                "text/html; charset=utf-8");
  });
  server.router().get("/api/hello", access.login_required(hello));
  server.router().get("/welcome/", access.login_required(welcome, web::Audience::page));
}

// Runs the server on a thread of its own for as long as it lives.
class Running {
 public:
  explicit Running(app::AccountsServer& server)
      : server_(server), thread_([&server] { server.run(); }) {}
  ~Running() {
    server_.stop();
    thread_.join();
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

 private:
  app::AccountsServer& server_;
  std::thread thread_;
};

void walk_through(std::uint16_t port) {
  Browser browser(port);
  browser.fetch_csrf_token();
  std::cout << "GET /api/hello, anonymous: " << browser.get("/api/hello").status << "\n";
  const Reply page = browser.get("/welcome/");
  const auto location = page.head.find("\r\nLocation: ") + 12;
  std::cout << "GET /welcome/, anonymous: " << page.status << " to "
            << page.head.substr(location, page.head.find("\r\n", location) - location) << "\n";
  const std::string ada =
      R"({"username": "ada", "email": "ada@example.com", "password": "correct horse battery staple"})";
  std::cout << "POST /api/signup: " << browser.post_json("/api/signup", ada).status << "\n";
  const std::string credentials =
      R"({"username": "ada", "password": "correct horse battery staple"})";
  std::cout << "POST /api/login: " << browser.post_json("/api/login", credentials).status << "\n";
  const Reply hello = browser.get("/api/hello");
  std::cout << "GET /api/hello, logged in: " << hello.status << " " << hello.body << "\n";
  const Reply welcome = browser.get("/welcome/");
  std::cout << "GET /welcome/, logged in: " << welcome.status << " " << welcome.body << "\n";
  std::cout << "POST /api/logout: " << browser.post_json("/api/logout", "").status << "\n";
  std::cout << "GET /api/hello, logged out: " << browser.get("/api/hello").status << "\n";
}

void run() {
  app::Config config;
  config.database_url = "sqlite::memory:";
  config.bind = "127.0.0.1:0";  // a free port: server.port() says which
  config.email_url = "memory:";
  config.secret_key =
      app::secret_key_for(config.database_url, nullptr);  // one per process for :memory:
  config.access_log = false;
  app::AccountsServer server(config);
  add_routes(server);  // before run()
  const Running running(server);
  walk_through(server.port());
}

}  // namespace

int main() {
  setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1);  // fast hashing for an example, before any hash
  try {
    run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "accounts_server_routes: " << e.what() << "\n";
    return 1;
  }
}
