#include "gatehouse/web/session.h"

#include <stdexcept>

#include "gatehouse/http/message.h"
#include "gatehouse/web/responses.h"

namespace gatehouse::web {

Session::Session(sessions::SessionStore& store, std::optional<std::string> cookie, SessionOptions options,
                 std::string address, std::string user_agent)
    : store_(store), cookie_(std::move(cookie)), options_(options), address_(std::move(address)),
      user_agent_(std::move(user_agent)) {}

const sessions::SessionRecord* Session::record() {
  if (!loaded_) {
    if (cookie_) record_ = store_.load(*cookie_);  // may throw: then nothing counts as loaded
    loaded_ = true;
    // "Last seen" moves at most once a minute: one write a minute per active
    // session, not one per request.
    const auto now = models::Timestamp::now(*options_.clock);
    if (record_ && now.time - record_->last_seen.time >= std::chrono::minutes(1)) {
      record_->last_seen = now;
      modified_ = true;
    }
  }
  return record_ ? &*record_ : nullptr;
}

std::optional<std::string> Session::get(const std::string& key) {
  const auto* r = record();
  if (r == nullptr) return std::nullopt;
  const auto it = r->data.find(key);
  if (it == r->data.end()) return std::nullopt;
  return it->second;
}

sessions::SessionRecord& Session::for_update() {
  (void)record();
  if (!record_) {
    record_.emplace();
    record_->key = sessions::SessionStore::new_key();
    record_->created = record_->last_seen = models::Timestamp::now(*options_.clock);
    record_->expire = models::Timestamp{record_->created.time + options_.age};
    record_->address = address_;
    record_->user_agent = user_agent_;
  }
  modified_ = true;
  deleted_ = false;
  return *record_;
}

void Session::set(const std::string& key, std::string value) { for_update().data[key] = std::move(value); }

void Session::erase(const std::string& key) {
  (void)record();
  if (record_ && record_->data.erase(key) > 0) modified_ = true;
}

std::string Session::key() {
  const auto* r = record();
  return r != nullptr ? r->key : std::string();
}

void Session::replace(sessions::SessionRecord record) {
  loaded_ = true;
  record_ = std::move(record);
  modified_ = true;
  deleted_ = false;
}

void Session::ended() {
  loaded_ = true;
  record_.reset();
  modified_ = false;
  deleted_ = true;
}

http::Response Session::finish(http::Response response) {
  if (deleted_) {
    response.delete_cookie(options_.cookie_name);
  } else if (modified_ && record_) {
    std::string value;
    try {
      value = store_.save(*record_);
    } catch (...) {  // the answer would claim what was not kept
      const auth::Outcome o = auth::outcome_of(std::current_exception());
      return unavailable(o.retry_after, o.dependency.empty() ? "session store" : o.dependency);
    }
    const http::CookieOptions cookie{.max_age_seconds = options_.age.count(), .secure = options_.secure};
    response.set_cookie(options_.cookie_name, value, cookie);
  }
  return response;
}

std::string user_agent_of(const http::Request& request) {
  return std::string(request.header("user-agent").value_or("")).substr(0, 512);
}

http::Middleware session_middleware(sessions::SessionStore& store, SessionOptions options) {
  return [&store, options](http::RequestPtr req, http::Responder respond, const http::Handler& next) {
    SessionOptions mine = options;
    mine.secure = options.secure || req->secure;  // HTTPS as a trusted proxy reports it
    auto s = std::make_shared<Session>(store, req->cookie(options.cookie_name), mine, req->client_address,
                                       user_agent_of(*req));
    req->set(s);
    next(req, respond.then([s](http::Response r) { return s->finish(std::move(r)); }));
  };
}

Session& session(const http::Request& request) {
  auto* s = request.get<Session>();
  if (s == nullptr) throw std::logic_error("web::session: the request did not pass through web::session_middleware");
  return *s;
}

}  // namespace gatehouse::web
