// Feeds raw bytes to the whole HTTP server (server_harness.h): each input is
// written to a fresh loopback connection, which is then half-closed, so the
// request line, headers, cookies, bodies, routing, middleware and handlers
// all see outside bytes. Properties: the server answers or closes within
// kAnswerSeconds, what it sends is HTTP/1.1 responses, none of them a 500 (an
// exception escaped a handler), and afterwards GET /healthz still answers 200.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Server& server = fuzz::Server::get();
  const std::string answer = server.exchange(std::string_view(reinterpret_cast<const char*>(data), size), "server_fuzz");
  if (!answer.empty() && !answer.starts_with("HTTP/1.1 ")) fuzz::fail("server_fuzz", "the answer is not HTTP/1.1", answer);
  for (const int status : fuzz::statuses(answer))
    if (status == 500) fuzz::fail("server_fuzz", "the server answered 500", answer);
  server.require_alive("server_fuzz");
  return 0;
}
