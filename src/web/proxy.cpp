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

// One hop a proxy recorded: the address it took the request from (nullopt:
// malformed, absent or obfuscated) and the scheme it was reached by ("" when
// not given).
struct Hop {
  std::optional<std::string> address;
  std::string proto;
};

bool equals_lower(std::string_view s, std::string_view lower) {
  return s.size() == lower.size() &&
         std::equal(s.begin(), s.end(), lower.begin(), [](char a, char b) { return (a | 0x20) == b; });
}

// Splits a comma-separated list, calling f(element) for each.
template <class F>
void for_each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    f(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
}

// The for= and proto= of each element of a Forwarded header, in order.
std::vector<Hop> forwarded_hops(std::string_view header) {
  std::vector<Hop> out;
  for_each_element(header, [&](std::string_view element) {
    Hop hop;
    while (!element.empty()) {
      const auto semi = element.find(';');
      const std::string_view pair = trim(element.substr(0, semi));
      element = semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view name = pair.substr(0, eq);
      std::string_view value = trim(pair.substr(eq + 1));
      if (equals_lower(name, "for")) hop.address = node_address(value);
      if (equals_lower(name, "proto")) {
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        hop.proto = std::string(value);
      }
    }
    out.push_back(std::move(hop));
  });
  return out;
}

// X-Forwarded-For's addresses, with X-Forwarded-Proto's entries matched from
// the right (an address with none gets the header's last entry).
std::vector<Hop> x_forwarded_hops(std::string_view for_header, std::string_view proto_header) {
  std::vector<Hop> out;
  for_each_element(for_header, [&](std::string_view e) { out.push_back({node_address(e), {}}); });
  std::vector<std::string> protos;
  for_each_element(proto_header, [&](std::string_view e) { protos.emplace_back(trim(e)); });
  for (std::size_t i = 0; i < out.size() && !protos.empty(); ++i) {
    const std::size_t from_right = out.size() - 1 - i;
    out[i].proto = from_right < protos.size() ? protos[protos.size() - 1 - from_right] : protos.back();
  }
  return out;
}

}  // namespace

ForwardedOrigin forwarded_origin(std::string_view peer, std::string_view forwarded, std::string_view x_forwarded_for,
                                 std::string_view x_forwarded_proto, const TrustedProxies& trusted) {
  ForwardedOrigin origin{node_address(peer).value_or(std::string(peer)), false};
  if (!trusted_peer(origin.address, trusted)) return origin;
  const auto hops = !trim(forwarded).empty() ? forwarded_hops(forwarded) : x_forwarded_hops(x_forwarded_for, x_forwarded_proto);
  // With no hop recorded, a trusted peer that names only the scheme still answers for it.
  if (hops.empty() && trim(forwarded).empty() && !trim(x_forwarded_proto).empty())
    origin.secure = equals_lower(trim(x_forwarded_proto.substr(x_forwarded_proto.rfind(',') + 1)), "https");
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!it->address) break;  // what lies beyond cannot be read: the last proxy known answers for it
    origin = {*it->address, equals_lower(it->proto, "https")};
    if (!trusted_peer(origin.address, trusted)) return origin;
  }
  return origin;
}

std::string forwarded_client(std::string_view peer, std::string_view forwarded, std::string_view x_forwarded_for_header,
                             const TrustedProxies& trusted) {
  return forwarded_origin(peer, forwarded, x_forwarded_for_header, {}, trusted).address;
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
    if (!trusted.empty()) {
      auto origin = forwarded_origin(req->client_address, all_of(*req, "forwarded"), all_of(*req, "x-forwarded-for"),
                                     all_of(*req, "x-forwarded-proto"), trusted);
      req->client_address = std::move(origin.address);
      req->secure = origin.secure;
    }
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
