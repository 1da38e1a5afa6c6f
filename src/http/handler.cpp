#include "gatehouse/http/handler.h"

#include <mutex>

namespace gatehouse::http {

struct Responder::State {
  Send send;
  std::atomic<bool> answered{false};
  ~State() {
    // Dropped unanswered: the client must still get an answer.
    if (!answered.exchange(true) && send) {
      try {
        send(Response::error(500, "no_response", "the handler gave no response"));
      } catch (...) {
      }
    }
  }
};

Responder::Responder(Send send) : state_(std::make_shared<State>()) { state_->send = std::move(send); }

void Responder::operator()(Response response) const {
  if (state_->answered.exchange(true)) return;
  state_->send(std::move(response));
}

bool Responder::answered() const noexcept { return state_->answered.load(); }

Responder Responder::then(std::function<Response(Response)> transform) const {
  Responder outer = *this;
  return Responder([outer, transform = std::move(transform)](Response r) { outer(transform(std::move(r))); });
}

Handler sync(std::function<Response(Request&)> fn) {
  return [fn = std::move(fn)](RequestPtr req, Responder respond) { respond(fn(*req)); };
}

Handler chain(const std::vector<Middleware>& middleware, Handler handler) {
  for (auto it = middleware.rbegin(); it != middleware.rend(); ++it) {
    handler = [mw = *it, next = std::move(handler)](RequestPtr req, Responder respond) { mw(std::move(req), std::move(respond), next); };
  }
  return handler;
}

}  // namespace gatehouse::http
