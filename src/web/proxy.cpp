#include "gatehouse/web/proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace gatehouse::web {

namespace {

bool trusted_peer(std::string_view ip, const TrustedProxies& trusted) {
  return std::any_of(trusted.begin(), trusted.end(), [&](const TrustedNetwork& n) { return n.contains(ip); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An address as a proxy writes it — "192.0.2.1", "192.0.2.1:80", "2001:db8::1",
// "[2001:db8::1]:80", quoted or not — in canonical form; nullopt otherwise
// ("unknown", obfuscated names, junk).
std::optional<std::string> node_address(std::string_view node) {
  node = trim(node);
  if (node.size() >= 2 && node.front() == '"' && node.back() == '"') node = node.substr(1, node.size() - 2);
  std::string host(node);
  if (node.starts_with("[")) {
    const auto close = node.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = std::string(node.substr(1, close - 1));
  } else if (std::count(node.begin(), node.end(), ':') == 1) {
    host = std::string(node.substr(0, node.find(':')));  // IPv4 with a port
  }
  std::array<std::uint8_t, 16> bytes{};
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_pton(AF_INET, host.c_str(), bytes.data()) == 1) return ::inet_ntop(AF_INET, bytes.data(), text, sizeof text);
  if (::inet_pton(AF_INET6, host.c_str(), bytes.data()) == 1) return ::inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  return std::nullopt;
}

// The for= of each element of a Forwarded header, in order (nullopt: malformed or absent).
std::vector<std::optional<std::string>> forwarded_for(std::string_view header) {
  std::vector<std::optional<std::string>> out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view element = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::optional<std::string> address;
    while (!element.empty()) {
      const auto semi = element.find(';');
      const std::string_view pair = trim(element.substr(0, semi));
      element = semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1);
      if (pair.size() > 4 && (pair[0] == 'f' || pair[0] == 'F') && (pair[1] == 'o' || pair[1] == 'O') &&
          (pair[2] == 'r' || pair[2] == 'R') && pair[3] == '=')
        address = node_address(pair.substr(4));
    }
    out.push_back(std::move(address));
  }
  return out;
}

std::vector<std::optional<std::string>> x_forwarded_for(std::string_view header) {
  std::vector<std::optional<std::string>> out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    out.push_back(node_address(header.substr(0, comma)));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
  }
  return out;
}

}  // namespace

std::string forwarded_client(std::string_view peer, std::string_view forwarded, std::string_view x_forwarded_for_header,
                             const TrustedProxies& trusted) {
  std::string current = node_address(peer).value_or(std::string(peer));
  if (!trusted_peer(current, trusted)) return current;
  const auto hops = !trim(forwarded).empty() ? forwarded_for(forwarded) : x_forwarded_for(x_forwarded_for_header);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!*it) break;  // what lies beyond cannot be read: the last proxy known answers for it
    current = **it;
    if (!trusted_peer(current, trusted)) return current;
  }
  return current;
}

namespace {
// Every field of that name, joined with commas in order (RFC 9110 5.3).
std::string all_of(const http::Request& req, std::string_view name) {
  std::string joined;
  for (const auto& [k, v] : req.headers)
    if (k == name) joined += (joined.empty() ? "" : ",") + v;
  return joined;
}
}  // namespace

http::Middleware forwarded_middleware(TrustedProxies trusted) {
  return [trusted = std::move(trusted)](http::RequestPtr req, http::Responder respond, const http::Handler& next) {
    if (!trusted.empty())
      req->client_address =
          forwarded_client(req->client_address, all_of(*req, "forwarded"), all_of(*req, "x-forwarded-for"), trusted);
    next(std::move(req), std::move(respond));
  };
}

std::optional<TrustedNetwork> TrustedNetwork::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  TrustedNetwork n;
  if (::inet_pton(AF_INET, address.c_str(), n.address.data()) == 1) {
    n.ipv6 = false;
  } else if (::inet_pton(AF_INET6, address.c_str(), n.address.data()) == 1) {
    n.ipv6 = true;
  } else {
    return std::nullopt;
  }
  const unsigned max = n.ipv6 ? 128 : 32;
  n.prefix_length = max;
  if (slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n.prefix_length);
    if (ec != std::errc() || end != length.data() + length.size() || length.empty() || n.prefix_length > max)
      return std::nullopt;
  }
  for (unsigned bit = n.prefix_length; bit < max; ++bit)  // no host bits: "10.0.0.1/8" is a typo
    if ((n.address[bit / 8] & (0x80u >> (bit % 8))) != 0) return std::nullopt;
  return n;
}

bool TrustedNetwork::contains(std::string_view ip) const {
  const std::string text(ip);
  std::array<std::uint8_t, 16> peer{};
  bool peer_v6 = false;
  if (::inet_pton(AF_INET, text.c_str(), peer.data()) != 1) {
    if (::inet_pton(AF_INET6, text.c_str(), peer.data()) != 1) return false;
    peer_v6 = true;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!ipv6 && std::equal(kMapped, kMapped + 12, peer.begin())) {  // ::ffff:a.b.c.d is a.b.c.d
      std::copy(peer.begin() + 12, peer.end(), peer.begin());
      peer_v6 = false;
    }
  }
  if (peer_v6 != ipv6) return false;
  for (unsigned bit = 0; bit < prefix_length; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((peer[bit / 8] & mask) != (address[bit / 8] & mask)) return false;
  }
  return true;
}

std::string TrustedNetwork::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, address.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix_length);
}

}  // namespace gatehouse::web
