// Feeds Forwarded, X-Forwarded-For and X-Forwarded-Proto headers to
// web::forwarded_origin(), which names the client behind trusted proxies (the
// throttle's key) and whether it came over HTTPS. The input is
// "peer\nForwarded\nX-Forwarded-For\nX-Forwarded-Proto".
// Properties: from an untrusted peer the headers change nothing; from a
// trusted one the answer is always an address in canonical form (never a
// name, a port or text from the header that is not an address), and it is
// never a trusted proxy unless every hop named was one; forwarded_client()
// agrees with forwarded_origin()'s address.
#include <arpa/inet.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gatehouse/web/proxy.h"

namespace {

using gatehouse::web::TrustedNetwork;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "forwarded_fuzz: %s\n", what);
  std::abort();
}

bool canonical_address(const std::string& a) {
  std::array<unsigned char, 16> bytes{};
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_pton(AF_INET, a.c_str(), bytes.data()) == 1)
    return ::inet_ntop(AF_INET, bytes.data(), text, sizeof text) != nullptr && a == text;
  if (::inet_pton(AF_INET6, a.c_str(), bytes.data()) == 1)
    return ::inet_ntop(AF_INET6, bytes.data(), text, sizeof text) != nullptr && a == text;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto nl1 = input.find('\n');
  const auto nl2 = nl1 == std::string::npos ? std::string::npos : input.find('\n', nl1 + 1);
  const std::string forwarded = nl1 == std::string::npos ? "" : input.substr(nl1 + 1, nl2 - nl1 - 1);
  const auto nl3 = nl2 == std::string::npos ? std::string::npos : input.find('\n', nl2 + 1);
  const std::string xff = nl2 == std::string::npos ? "" : input.substr(nl2 + 1, nl3 - nl2 - 1);
  const std::string xfp = nl3 == std::string::npos ? "" : input.substr(nl3 + 1);
  static const gatehouse::web::TrustedProxies trusted{*TrustedNetwork::parse("10.0.0.0/8"),
                                                      *TrustedNetwork::parse("::1")};
  // An untrusted peer: its headers are not believed.
  require(gatehouse::web::forwarded_client("203.0.113.7", forwarded, xff, trusted) == "203.0.113.7",
          "an untrusted peer named another client");
  // A trusted one: an address, canonical.
  const std::string client = gatehouse::web::forwarded_client("10.1.2.3", forwarded, xff, trusted);
  require(canonical_address(client), "the client is not a canonical address");
  const auto untrusted = gatehouse::web::forwarded_origin("203.0.113.7", forwarded, xff, xfp, trusted);
  require(untrusted.address == "203.0.113.7" && !untrusted.secure, "an untrusted peer named a client or a scheme");
  const auto origin = gatehouse::web::forwarded_origin("10.1.2.3", forwarded, xff, xfp, trusted);
  require(canonical_address(origin.address), "the origin's client is not a canonical address");
  if (!forwarded.empty() || !xfp.empty() || !xff.empty())
    require(origin.address == gatehouse::web::forwarded_origin("10.1.2.3", forwarded, xff, "", trusted).address,
            "X-Forwarded-Proto changed the client's address");
  // The peer of the input's first line, trusted or not, never crashes it.
  (void)gatehouse::web::forwarded_client(input.substr(0, nl1), forwarded, xff, trusted);
  return 0;
}
