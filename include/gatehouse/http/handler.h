// Handlers and middleware. A handler answers by calling its Responder once,
// from any thread and at any time: a handler that waits for slow work (the
// password hash pool) hands the Responder over instead of blocking a server
// thread. A Responder dropped without an answer sends a 500.
//
//   http::Handler hello = http::sync([](http::Request& r) { return http::Response::text(200, "hi"); });
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "gatehouse/http/message.h"

namespace gatehouse::http {

class Responder {
 public:
  using Send = std::function<void(Response)>;
  explicit Responder(Send send);
  // Sends `response`; later calls are ignored.
  void operator()(Response response) const;
  bool answered() const noexcept;
  // A Responder that sends through `transform` first (middleware post-processing).
  Responder then(std::function<Response(Response)> transform) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

using Handler = std::function<void(RequestPtr, Responder)>;
using Middleware = std::function<void(RequestPtr, Responder, const Handler& next)>;

// Adapts a synchronous function to a Handler.
Handler sync(std::function<Response(Request&)> fn);
// Wraps `handler` in `middleware`, outermost first.
Handler chain(const std::vector<Middleware>& middleware, Handler handler);

}  // namespace gatehouse::http
