// The whole accounts service for the server and api_json fuzz targets: one
// app::AccountsServer per process (SQLite in memory, a free loopback port, no
// worker, no access log, throttles off: every input comes from 127.0.0.1, and
// with them on the fuzzer would soon see only 429s), served on a thread of its
// own, and a plain POSIX socket client. The server is stopped at exit.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gatehouse/app/server.h"

namespace fuzz {

// How long the server may take to answer and close; past it the input fails.
constexpr int kAnswerSeconds = 5;

[[noreturn]] inline void fail(const char* target, const std::string& why, std::string_view answer = {}) {
  const std::string shown(answer.substr(0, 2000));
  std::fprintf(stderr, "%s: %s\n%s\n", target, why.c_str(), shown.c_str());
  std::abort();
}

class Server {
 public:
  static Server& get() {
    static Server* const s = new Server();  // never destroyed: an atexit handler stops it
    return *s;
  }

  // Writes `bytes` on a fresh connection, half-closes it, and returns all the
  // server sent until it closed. Fails the input if the server neither
  // answers nor closes within kAnswerSeconds.
  std::string exchange(std::string_view bytes, const char* target) const {
    last_error_.clear();
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail(target, "socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const timeval tv{kAnswerSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 && !connected_after_signal(fd)) {
      ::close(fd);
      fail(target, "cannot connect: the server is gone");
    }
    for (std::size_t off = 0; off < bytes.size();) {
      const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;  // libFuzzer's SIGALRM (its -timeout watch), not the server
      if (n <= 0) break;  // the server may close early (a limit, a malformed request)
      off += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::string answer;
    char buf[16384];
    while (true) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        answer.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;  // libFuzzer's SIGALRM, as above
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        ::close(fd);
        fail(target, "the server neither answered nor closed the connection", answer);
      }
      if (n < 0) last_error_ = std::strerror(errno);
      break;  // closed (or reset) by the server
    }
    ::close(fd);
    return answer;
  }

  // connect() interrupted by a signal goes on in the background: wait for it.
  static bool connected_after_signal(int fd) {
    if (errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    while (::poll(&p, 1, kAnswerSeconds * 1000) < 0)
      if (errno != EINTR) return false;
    int err = 0;
    socklen_t len = sizeof err;
    return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 && (p.revents & POLLOUT) != 0;
  }

  // A well-formed GET /healthz must answer 200: the server is alive.
  void require_alive(const char* target) const {
    const std::string answer = exchange("GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n", target);
    if (!answer.starts_with("HTTP/1.1 200 "))
      fail(target, "the server no longer answers GET /healthz" + (last_error_.empty() ? "" : " (" + last_error_ + ")"),
           answer);
  }

 private:
  Server() {
    ::setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1);  // before the first password hash
    gatehouse::app::Config c;
    c.database_url = "sqlite::memory:";
    c.bind = "127.0.0.1:0";
    c.secret_key = "fuzz-secret-key-fuzz-secret-key-fuzz-secret-key-00";
    c.email_url = "memory:";
    c.run_worker = false;
    c.access_log = false;
    c.throttle = false;
    server_ = std::make_unique<gatehouse::app::AccountsServer>(c);
    port_ = server_->port();
    thread_ = std::thread([this] { server_->run(); });
    std::atexit([] { get().stop(); });
  }
  void stop() {
    server_->stop();
    thread_.join();
  }

  std::unique_ptr<gatehouse::app::AccountsServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::string last_error_;  // why the last exchange's recv ended, if not a close
};

// The status of every response in `answer`, in order (a HEAD answer has a
// Content-Length but no body: the next response may follow the headers).
inline std::vector<int> statuses(std::string_view answer) {
  std::vector<int> out;
  while (answer.starts_with("HTTP/1.1 ") && answer.size() >= 12) {
    out.push_back(std::atoi(std::string(answer.substr(9, 3)).c_str()));
    const auto end = answer.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    std::size_t length = 0;
    if (const auto cl = answer.substr(0, end).find("\r\nContent-Length: "); cl != std::string_view::npos)
      length = std::strtoul(std::string(answer.substr(cl + 18, 20)).c_str(), nullptr, 10);
    const std::string_view after_headers = answer.substr(end + 4);
    answer = length <= after_headers.size() && !after_headers.starts_with("HTTP/1.1 ") ? after_headers.substr(length)
                                                                                      : after_headers;
  }
  return out;
}

}  // namespace fuzz
