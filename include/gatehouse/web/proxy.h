// Behind a reverse proxy: who the client is. The TCP peer is the proxy, so
// the client's address comes from X-Forwarded-For or Forwarded (RFC 7239) —
// but only when the peer is a proxy the deployer trusts
// (GATEHOUSE_TRUSTED_PROXIES); from anyone else those headers are ignored,
// or any client could name itself anyone (and lock a victim out, or dodge
// the throttle). Of the addresses the proxies appended, the client is the
// rightmost one that is not itself a trusted proxy: what a client writes
// into the header itself sits to the left and is never believed.
//
// The scheme likewise: the server speaks plain HTTP, so a request is HTTPS
// (Request::secure: Secure cookies, an https Origin for CSRF) only when a
// trusted proxy says so, with Forwarded's proto= or X-Forwarded-Proto.
//
//   chain({web::forwarded_middleware(config.trusted_proxies), ...}, handler)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/http/handler.h"

namespace gatehouse::web {

// One trusted network: an IPv4 or IPv6 prefix with no bits set past its
// length ("10.0.0.0/8"; a bare address is /32 or /128).
struct TrustedNetwork {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};  // IPv4 uses the first 4 bytes
  unsigned prefix_length = 0;

  // Parses "address[/length]"; nullopt for anything else.
  static std::optional<TrustedNetwork> parse(std::string_view text);
  // Whether the address `ip` (as text, e.g. "10.1.2.3", "::1" or
  // "::ffff:10.1.2.3", which counts as the IPv4 address) is inside.
  bool contains(std::string_view ip) const;
  // The canonical form: "10.0.0.0/8", "2001:db8::/32".
  std::string to_string() const;
  bool operator==(const TrustedNetwork&) const = default;
};

using TrustedProxies = std::vector<TrustedNetwork>;

// The client's address for a request from `peer` carrying these headers
// (either may be empty): `peer` itself unless it is trusted; else the
// rightmost untrusted address of Forwarded's for= (preferred) or
// X-Forwarded-For; a malformed entry ends the walk there (the peer answers
// for it). Addresses come back in inet_ntop's canonical form.
std::string forwarded_client(std::string_view peer, std::string_view forwarded, std::string_view x_forwarded_for,
                             const TrustedProxies& trusted);

// The client as the trusted proxies describe it: its address, and whether
// it reached the first trusted proxy over HTTPS. The scheme is the one given
// for the hop whose address was taken — that element's proto= in Forwarded,
// or the X-Forwarded-Proto entry as far from the right as the address was in
// X-Forwarded-For, else X-Forwarded-Proto's last entry (nginx's `$scheme`
// replaces the header with one value). From an untrusted peer: the peer, and
// not secure.
struct ForwardedOrigin {
  std::string address;
  bool secure = false;
};
ForwardedOrigin forwarded_origin(std::string_view peer, std::string_view forwarded, std::string_view x_forwarded_for,
                                 std::string_view x_forwarded_proto, const TrustedProxies& trusted);

// Sets each request's client_address and secure by forwarded_origin().
// With no trusted proxies it changes nothing.
http::Middleware forwarded_middleware(TrustedProxies trusted);

}  // namespace gatehouse::web
