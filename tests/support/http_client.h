// A raw HTTP/1.1 client for tests: what a client (or an attacker) actually sends.
#pragma once

#include <poll.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

namespace gatehouse::testing {

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~HttpClient() { ::close(fd_); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connected() const { return connected_; }
  // Sends everything; false if the peer closed or reset before all was sent.
  bool send_all(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  void send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close early: what it answered still counts
      off += static_cast<std::size_t>(n);
    }
  }
  // One response: status line, headers, and a Content-Length body.
  std::string response() {
    while (true) {
      const auto end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t len = 0;
        const auto cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) len = std::stoul(buf_.substr(cl + 16));
        if (buf_.size() >= end + 4 + len) {
          std::string r = buf_.substr(0, end + 4 + len);
          buf_.erase(0, end + 4 + len);
          return r;
        }
      }
      char tmp[65536];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return std::exchange(buf_, {});
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }
  // Whether something arrives (or the peer closes) within `ms` milliseconds.
  bool readable_within(int ms) {
    if (!buf_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }
  // The server ended the connection (FIN or reset), as opposed to a timeout.
  bool closed_by_peer() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  static int status_of(const std::string& response) {
    return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
  }
  static std::string body_of(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
  }
  // The value of the first Set-Cookie for `name`, or "".
  static std::string cookie_of(const std::string& response, const std::string& name) {
    const auto p = response.find("Set-Cookie: " + name + "=");
    if (p == std::string::npos) return {};
    const auto start = p + 13 + name.size();
    return response.substr(start, response.find(';', start) - start);
  }

 private:
  int fd_;
  bool connected_ = false;
  std::string buf_;
};

}  // namespace gatehouse::testing
