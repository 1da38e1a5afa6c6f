// The request's session (Django's SessionMiddleware and request.session).
//
//   router.get("/cart", http::sync([](http::Request& r) {
//     auto n = web::session(r).get("cart").value_or("0"); ...
//   }));
//
// session_middleware() hangs a Session on every request. The record is
// loaded from the store the first time a handler asks for it (so a handler
// can load it inside its own db::ReadScope, or never), and saved — the
// cookie set, or deleted after a logout — once the handler has answered, if
// it changed — or when its "last seen" is a minute old or more (so the
// session list shows when a session was last used, at one write a minute).
// A store that fails while loading throws to the handler (the
// faults middleware answers 503); one that fails while saving turns the
// answer into a 503 (nothing the handler thought was kept is lost silently).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "gatehouse/core/clock.h"
#include "gatehouse/http/handler.h"
#include "gatehouse/sessions/store.h"

namespace gatehouse::web {

struct SessionOptions {
  std::string cookie_name = "sessionid";
  std::chrono::seconds age{1209600};  // two weeks, as Django's SESSION_COOKIE_AGE
  bool secure = false;                // Secure cookie (also whenever Request::secure)
  const core::Clock* clock = &core::system_clock();
};

class Session {
 public:
  Session(sessions::SessionStore& store, std::optional<std::string> cookie, SessionOptions options,
          std::string address, std::string user_agent);

  // The live session, loaded on first use; nullptr when there is none.
  // Throws what the store throws.
  const sessions::SessionRecord* record();
  std::optional<std::string> get(const std::string& key);
  // Sets a value, starting an anonymous session if the request has none.
  void set(const std::string& key, std::string value);
  void erase(const std::string& key);
  // The key of the session ("" when none).
  std::string key();

  // For operations that change the session themselves (auth::Accounts'
  // login, password change): the record (a new anonymous one if none), now
  // marked to be saved with the answer. It lives as long as the request.
  sessions::SessionRecord& for_update();
  // The session as an operation left it (logged in under a new key, say):
  // saved with the answer.
  void replace(sessions::SessionRecord record);
  // After a logout: the cookie is deleted with the answer.
  void ended();

  // What the middleware does once the handler answered.
  http::Response finish(http::Response response);

 private:
  sessions::SessionStore& store_;
  std::optional<std::string> cookie_;
  SessionOptions options_;
  std::string address_, user_agent_;
  bool loaded_ = false;
  std::optional<sessions::SessionRecord> record_;
  bool modified_ = false;
  bool deleted_ = false;
};

// Hangs a Session on each request. `store` must outlive the middleware.
http::Middleware session_middleware(sessions::SessionStore& store, SessionOptions options = {});

// The request's Session. Throws std::logic_error without session_middleware.
Session& session(const http::Request& request);

// The client's user agent (at most 512 bytes), as the session list and the
// auth signals record it.
std::string user_agent_of(const http::Request& request);

}  // namespace gatehouse::web
