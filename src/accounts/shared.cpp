#include "shared.h"

#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/sha.h"
#include "gatehouse/web/authentication.h"
#include "gatehouse/web/csrf.h"
#include "gatehouse/web/responses.h"
#include "gatehouse/web/session.h"

namespace gatehouse::accounts {

namespace {
// A copy of the request's session record (an empty one when it has none), for
// an operation to change; it lives as long as the operation's callback.
std::shared_ptr<sessions::SessionRecord> session_copy(const http::Request& req) {
  const auto* r = web::session(req).record();
  return std::make_shared<sessions::SessionRecord>(r != nullptr ? *r : sessions::SessionRecord{});
}
}  // namespace

http::Response json_response(int status, const nlohmann::json& j) { return http::Response::json_text(status, j.dump()); }

std::variant<nlohmann::json, http::Response> json_body(const http::Request& r, std::initializer_list<const char*> required) {
  using http::Response;
  const auto type = r.header("content-type");
  if (!type || !http::media_type_is(*type, "application/json"))
    return Response::error(415, "unsupported_media_type", "send the request body as application/json");
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded()) return Response::error(400, "malformed_json", "the request body is not valid JSON");
  if (!body.is_object()) return Response::error(400, "malformed_json", "the request body must be a JSON object");
  auth::FieldErrors missing;
  for (const char* f : required) {
    if (!body.contains(f) || !body[f].is_string()) missing[f].push_back(kRequired);
  }
  if (!missing.empty()) return web::field_errors(missing);
  return body;
}

std::string session_public_id(const std::string& key) { return core::hex_encode(crypto::sha256(key)).substr(0, 24); }

auth::Client client_of(const http::Request& r) { return {r.client_address, web::user_agent_of(r)}; }

void log_in(Site& site, const http::RequestPtr& req, auth::Credentials credentials, auth::OutcomeDone done) {
  auto record = session_copy(*req);
  site.accounts.login(std::move(credentials), client_of(*req), *record, [req, record, done](auth::Outcome o) {
    if (o.ok() || o.pending()) {
      web::session(*req).replace(std::move(*record));  // logged in, or pending a second factor (auth/mfa.h)
      web::set_user(*req, o.ok() ? o.user : std::nullopt);
      web::rotate_csrf_token(*req);  // as Django's login(): a token seen before login is worthless after
    }
    done(std::move(o));
  });
}

namespace {
// Runs `step` on a copy of the request's (pending) session; when it logged
// the session in, the copy becomes the request's session and user.
template <class Step>
auth::Outcome on_pending(http::Request& req, Step&& step) {
  auto record = session_copy(req);
  auth::Outcome o = step(*record);
  if (o.ok()) {
    web::session(req).replace(std::move(*record));
    web::set_user(req, o.user);
    web::rotate_csrf_token(req);
  }
  return o;
}
}  // namespace

auth::Outcome complete_login(Site& site, http::Request& req, const auth::SecondFactor& factor) {
  return on_pending(req, [&](sessions::SessionRecord& r) { return site.mfa.complete_login(r, factor, client_of(req)); });
}

auth::Outcome complete_enrolment(Site& site, http::Request& req, const std::string& code,
                                 std::vector<std::string>& codes) {
  return on_pending(req, [&](sessions::SessionRecord& r) {
    return site.mfa.complete_enrolment(r, code, client_of(req), codes);
  });
}

auth::Outcome complete_with_passkey(Site& site, http::Request& req, const nlohmann::json& credential) {
  auth::Outcome o = on_pending(
      req, [&](sessions::SessionRecord& r) { return site.mfa.finish_authentication(r, credential, client_of(req)); });
  if (!o.ok() && web::session(req).record() != nullptr) web::session(req).erase(auth::kWebauthnChallenge);  // used up
  return o;
}

std::optional<auth::User> pending_user(Site& site, const http::Request& req) {
  const auto* r = web::session(req).record();
  return r != nullptr ? site.mfa.pending_user(*r) : std::nullopt;
}

bool awaiting_enrolment(const http::Request& req) {
  const auto* r = web::session(req).record();
  return r != nullptr && auth::Mfa::awaiting_enrolment(*r);
}

auth::Outcome log_in_user(Site& site, http::Request& req, auth::User user) {
  auto record = session_copy(req);
  auth::Outcome o = site.accounts.log_in_user(user, client_of(req), *record);
  if (o.ok() || o.pending()) {  // pending: the user must enrol a factor first (GATEHOUSE_MFA_REQUIRED)
    web::session(req).replace(std::move(*record));
    if (o.ok()) web::set_user(req, std::move(user));
    web::rotate_csrf_token(req);
  }
  return o;
}

auth::Outcome log_out(Site& site, http::Request& req) {
  web::Session& s = web::session(req);
  if (const auto* r = s.record()) {
    sessions::SessionRecord record = *r;
    const auth::User* u = web::user(req);
    auth::Outcome o = site.accounts.logout(record, u ? std::optional<auth::User>(*u) : std::nullopt, client_of(req));
    if (!o.ok()) return o;
  }
  s.ended();
  web::set_user(req, std::nullopt);
  return auth::Outcome::success();
}

void change_password(Site& site, const http::RequestPtr& req, const auth::User& user, std::string old_password,
                     std::string new_password, auth::OutcomeDone done) {
  auto record = session_copy(*req);
  site.accounts.change_password(user, std::move(old_password), std::move(new_password), client_of(*req), *record,
                                [req, record, done](auth::Outcome o) {
                                  if (o.ok()) {
                                    web::session(*req).replace(std::move(*record));
                                    web::set_user(*req, o.user);
                                  }
                                  done(std::move(o));
                                });
}

}  // namespace gatehouse::accounts
