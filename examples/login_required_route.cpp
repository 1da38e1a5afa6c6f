// Your own route behind login_required, in an http::Server you own (Django's
// @login_required on a view, with the session and authentication middleware).
//
// Shows: the web layer's middleware (web::session_middleware, then
// web::authentication_middleware) around a Router; web::Access's
// login_required for an API route (401 when anonymous) and for a page (a
// redirect to the login page); a login route of your own that authenticates
// on the password hash pool and calls auth::login on the request's session;
// the same routes answering 200 with the username once the session cookie is
// sent. The server runs in-process on 127.0.0.1:0; a tiny socket client talks
// to it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "gatehouse/auth/backends.h"
#include "gatehouse/auth/login.h"
#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/http/router.h"
#include "gatehouse/http/server.h"
#include "gatehouse/passwords/hash_pool.h"
#include "gatehouse/sessions/store.h"
#include "gatehouse/web/access.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/session.h"

namespace {

using namespace gatehouse;

const std::string kSecretKey = "an example secret key: at least 32 characters long";
const std::string kPassword = "correct horse battery staple";

// ---- a tiny HTTP client ---------------------------------------------------

struct Reply {
  int status = 0;
  std::string head, body;
  // The value of the first header `name` ("" when absent).
  std::string header(const std::string& name) const {
    const auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
  }
  // A cookie the answer sets ("" when it sets none).
  std::string cookie(const std::string& name) const {
    const std::string set = header("Set-Cookie");
    if (!set.starts_with(name + "=")) return {};
    return set.substr(name.size() + 1, set.find(';') - name.size() - 1);
  }
};

Reply parse_reply(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) throw std::runtime_error("no HTTP answer");
  return {std::stoi(raw.substr(9, 3)), raw.substr(0, end + 2), raw.substr(end + 4)};
}

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
  return parse_reply(raw);
}

Reply get(std::uint16_t port, const std::string& path, const std::string& cookie = {}) {
  return roundtrip(port, "GET " + path + " HTTP/1.1\r\nHost: example\r\n" +
                             (cookie.empty() ? "" : "Cookie: " + cookie + "\r\n") + "\r\n");
}

Reply post_form(std::uint16_t port, const std::string& path, const std::string& form) {
  return roundtrip(
      port, "POST " + path +
                " HTTP/1.1\r\nHost: example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: " +
                std::to_string(form.size()) + "\r\n\r\n" + form);
}

// ---- the application --------------------------------------------------------

// What the login route works with; everything must outlive the server.
struct LoginRoute {
  db::Database& db;
  sessions::SessionStore& store;
  passwords::HashPool& pool;
  auth::Backends backends = {std::make_shared<auth::ModelBackend>()};
};

// POST /login (a form: username, password). The password is checked on the
// hash pool, not on a server thread; auth::login then logs the request's
// session in under a new key, which the session middleware sends as the cookie.
// (A site with forms also puts web::csrf_middleware() first in the chain;
// left out here to keep the client small.)
http::Handler login_view(LoginRoute& site) {
  return [&site](http::RequestPtr req, http::Responder respond) {
    auth::Credentials credentials{req->form_value("username").value_or(""),
                                  req->form_value("password").value_or("")};
    const auth::Client client{req->client_address, web::user_agent_of(*req)};
    auth::authenticate(
        {site.db, site.pool}, site.backends, std::move(credentials), client,
        [&site, req, respond, client](auth::Authenticated a) {
          if (a.error) return respond(http::Response::error(503, "unavailable", "try again later"));
          if (!a.user)
            return respond(http::Response::error(401, "bad_credentials", "wrong password"));
          auth::login(site.db, site.store, web::session(*req).for_update(), *a.user, a.backend,
                      kSecretKey, client);
          web::set_user(*req, *a.user);
          respond(http::Response::text(200, "logged in as " + a.user->username));
        });
  };
}

void add_routes(http::Router& router, const web::Access& access, LoginRoute& login) {
  const http::Handler hello = http::sync([&access](http::Request& r) {
    return http::Response::text(200, "hello " + access.user(r)->username);  // never null here
  });
  const http::Handler dashboard = http::sync([&access](http::Request& r) {
    return http::Response::text(200, access.user(r)->username + "'s dashboard",
                                "text/html; charset=utf-8");
  });
  router.post("/login", login_view(login));
  router.get("/api/hello", access.login_required(hello));  // 401 when anonymous
  router.get("/dashboard/", access.login_required(dashboard, web::Audience::page));  // a redirect
}

// Runs a server on a thread of its own for as long as it lives.
class Running {
 public:
  explicit Running(http::Server& server) : server_(server), thread_([&server] { server.run(); }) {}
  ~Running() {
    server_.stop();
    thread_.join();
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

 private:
  http::Server& server_;
  std::thread thread_;
};

void walk_through(std::uint16_t port) {
  std::cout << "GET /api/hello, anonymous: " << get(port, "/api/hello").status << "\n";
  const Reply page = get(port, "/dashboard/");
  std::cout << "GET /dashboard/, anonymous: " << page.status << " to " << page.header("Location")
            << "\n";
  std::cout << "POST /login, wrong password: "
            << post_form(port, "/login", "username=ada&password=nope").status << "\n";
  const Reply login =
      post_form(port, "/login", "username=ada&password=correct+horse+battery+staple");
  std::cout << "POST /login: " << login.status << " " << login.body << "\n";
  const std::string cookie = "sessionid=" + login.cookie("sessionid");
  const Reply hello = get(port, "/api/hello", cookie);
  std::cout << "GET /api/hello, logged in: " << hello.status << " " << hello.body << "\n";
  const Reply dashboard = get(port, "/dashboard/", cookie);
  std::cout << "GET /dashboard/, logged in: " << dashboard.status << " " << dashboard.body << "\n";
}

void run() {
  auth::connect_update_last_login();  // Django connects it by default; here it is asked for
  db::Database db("sqlite::memory:");
  auth::migrate(db, sessions::migrations());
  auth::UserManager(*db.acquire()).create_user("ada", "ada@example.com", kPassword);

  sessions::DatabaseSessionStore store(db, kSecretKey);
  std::optional<passwords::HashPool> pool(std::in_place, passwords::default_hashers());
  const web::Access access(db);
  LoginRoute login{db, store, *pool};
  http::Router router;
  add_routes(router, access, login);
  http::Server server(
      {.bind = "127.0.0.1:0", .threads = 2, .access_log = false},
      http::chain({web::session_middleware(store), web::authentication_middleware(db, kSecretKey)},
                  router.handler()));
  {
    const Running running(server);
    walk_through(server.port());
  }
  pool.reset();  // its finished callbacks held Responders: let them go while the server exists

  const auth::User ada = auth::UserManager(*db.acquire()).get_by_natural_key("ada");
  std::cout << "ada's last_login is set: " << (ada.last_login ? "yes" : "no") << "\n";
}

}  // namespace

int main() {
  setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1);  // fast hashing for an example, before any hash
  try {
    run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "login_required_route: " << e.what() << "\n";
    return 1;
  }
}
