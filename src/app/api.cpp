#include "api.h"

#include <nlohmann/json.hpp>

#include "background.h"
#include "gatehouse/app/profile.h"
#include "gatehouse/tasks/tasks.h"
#include "gatehouse/auth/login.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/sha.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/passwords/validators.h"

namespace gatehouse::app {

namespace {

using nlohmann::json;
using http::Response;

struct SessionState {
  sessions::SessionStore* store = nullptr;
  std::optional<std::string> cookie;  // the sessionid cookie, loaded on first use
  bool loaded = false;
  std::optional<sessions::SessionRecord> record;
  bool modified = false;
  bool deleted = false;
  bool user_loaded = false;
  std::optional<auth::User> user;
};

// The request's session, loaded from its store the first time anything asks
// (so a handler can load it inside its own db::ReadScope, or not at all).
SessionState& state(const http::Request& r) {
  auto& s = *static_cast<SessionState*>(r.app_state.get());
  if (!s.loaded) {
    s.loaded = true;
    if (s.cookie) {
      try {
        s.record = s.store->load(*s.cookie);
      } catch (const std::exception&) {
        // A broken store answers "no session"; the handler decides what that means.
      }
    }
  }
  return s;
}

const std::string kBadCredentials =
    "Please enter a correct username and password. Note that both fields may be case-sensitive.";

Response json_response(int status, const json& j) { return Response::json_text(status, j.dump()); }

Response field_errors(const FieldErrors& errors) {
  json e = json::object();
  for (const auto& [k, v] : errors) e[k] = v;
  return json_response(400, {{"errors", e}});
}

// The request body as a JSON object with string fields, or the error response.
std::variant<json, Response> json_body(const http::Request& r, std::initializer_list<const char*> required) {
  const auto type = r.header("content-type");
  if (!type || type->find("application/json") == std::string_view::npos)
    return Response::error(415, "unsupported_media_type", "send the request body as application/json");
  json body;
  try {
    body = json::parse(r.body);
  } catch (const json::exception&) {
    return Response::error(400, "malformed_json", "the request body is not valid JSON");
  }
  if (!body.is_object()) return Response::error(400, "malformed_json", "the request body must be a JSON object");
  std::map<std::string, std::vector<std::string>> missing;
  for (const char* f : required) {
    if (!body.contains(f) || !body[f].is_string()) missing[f].push_back("This field is required.");
  }
  if (!missing.empty()) return field_errors(missing);
  return body;
}


// Loads the user once per request (from the session, checking its auth hash).
std::optional<auth::User>& current_user(const http::Request& r, ApiContext& ctx) {
  SessionState& s = state(r);
  if (!s.user_loaded) {
    s.user_loaded = true;
    if (s.record) {
      auto c = ctx.db->acquire();
      s.user = auth::get_user(*c, *s.record, ctx.config.secret_key);
    }
  }
  return s.user;
}

std::string public_id(const std::string& session_key) { return core::hex_encode(crypto::sha256(session_key)).substr(0, 24); }

std::string iso(const models::Timestamp& t) { return models::format_timestamp(t, db::Engine::postgresql); }

// A dummy hash for unknown users: the same algorithm and work as a real one.
const std::string& dummy_hash() {
  static const std::string h = passwords::default_hashers().make_password("gatehouse dummy password");
  return h;
}

}  // namespace

auth::Client client_of(const http::Request& r) {
  return {r.client_address, std::string(r.header("user-agent").value_or("")).substr(0, 512)};
}

std::optional<std::string> session_value(const http::Request& request, const std::string& key) {
  if (!request.app_state) return std::nullopt;
  const SessionState& s = state(request);
  if (!s.record) return std::nullopt;
  const auto it = s.record->data.find(key);
  if (it == s.record->data.end()) return std::nullopt;
  return it->second;
}

void set_session_value(ApiContext& ctx, const http::Request& request, const std::string& key, std::string value) {
  SessionState& s = state(request);
  if (!s.record) {
    s.record.emplace();
    s.record->key = sessions::SessionStore::new_key();
    s.record->created = s.record->last_seen = models::Timestamp::now();
    s.record->expire = models::Timestamp{s.record->created.time + std::chrono::seconds(ctx.config.session_age_seconds)};
    const auth::Client client = client_of(request);
    s.record->address = client.address;
    s.record->user_agent = client.user_agent;
  }
  s.record->data[key] = std::move(value);
  s.modified = true;
  s.deleted = false;
}

void erase_session_value(const http::Request& request, const std::string& key) {
  SessionState& s = state(request);
  if (s.record && s.record->data.erase(key) > 0) s.modified = true;
}

void reset_password(std::shared_ptr<ApiContext> ctx, http::RequestPtr req, auth::User user, std::string new_password,
                    std::function<void(bool)> done) {
  ctx->pool->make_password(new_password, [ctx, req, user, done](const std::string* encoded, std::exception_ptr) mutable {
    if (encoded == nullptr) return done(false);
    auto c = ctx->db->acquire();
    user.set_password(auth::EncodedPassword::from_hash(*encoded));
    models::Manager<auth::User>(*c).save(user, {.update_fields = {"password"}});
    ctx->store->remove_for_user(user.id);  // every session of the user ends
    const auth::Client client = client_of(*req);
    auth::PasswordResetEvent e;
    e.user = &user;
    e.client = &client;
    e.connection = &*c;
    auth::user_password_reset.send_robust(signals::Sender::of<auth::User>(), e);
    done(true);
  });
}

std::vector<std::string> password_problems(const std::string& password, const auth::User& u) {
  passwords::UserAttributes attrs{{{"username", u.username}, {"first_name", u.first_name},
                                   {"last_name", u.last_name}, {"email", u.email}}};
  std::vector<std::string> out;
  for (const auto& e : passwords::validate_password(password, &attrs, passwords::default_validators()))
    out.push_back(e.message);
  return out;
}

std::optional<auth::User> request_user(const http::Request& request, ApiContext& ctx) {
  if (!request.app_state) return std::nullopt;
  return current_user(request, ctx);
}

std::string current_session_key(const http::Request& request) {
  if (!request.app_state) return {};
  const SessionState& s = state(request);
  return s.record ? s.record->key : std::string();
}

void attempt_login(std::shared_ptr<ApiContext> ctx, http::RequestPtr req, std::string identifier, std::string password,
                   std::function<void(LoginOutcome)> done) {
  const auth::Client client = client_of(*req);
  if (auto wait = ctx->throttle->retry_after(identifier, client.address)) {
    ctx->metrics->increment("gatehouse_logins_throttled_total", "Logins refused by the throttle.");
    return done({LoginOutcome::Kind::throttled, *wait, std::nullopt});
  }
  std::optional<auth::User> user;
  {
    auto c = ctx->db->acquire();
    try {
      user = models::Manager<auth::User>(*c).find({models::eq("username", auth::normalize_username(identifier))});
    } catch (const std::invalid_argument&) {
    }
  }
  // The same hashing work whether or not the account exists.
  const std::string encoded = user ? user->password().encoded() : dummy_hash();
  try {
    ctx->pool->check(password, encoded, [ctx, req, done, user, identifier, password, client](
                                            const passwords::CheckResult* res, std::exception_ptr) mutable {
      const bool ok = res != nullptr && res->correct && user && user->is_active;
      auto c = ctx->db->acquire();
      if (!ok) {
        ctx->throttle->record_failure(identifier, client.address);
        ctx->metrics->increment("gatehouse_logins_failed_total", "Failed logins.");
        auth::LoginFailedEvent e;
        e.credentials = {{"username", identifier}, {"password", "********"}};
        e.client = &client;
        auth::user_login_failed.send_robust(signals::Sender::of<auth::User>(), e);
        return done({LoginOutcome::Kind::invalid, {}, std::nullopt});
      }
      if (res->needs_upgrade) {  // transparent upgrade to the preferred hasher
        user->set_password(password);
        models::Manager<auth::User>(*c).save(*user, {.update_fields = {"password"}});
      }
      ctx->throttle->reset(identifier);
      log_in(*ctx, *c, *req, *user);
      ctx->metrics->increment("gatehouse_logins_succeeded_total", "Successful logins.");
      done({LoginOutcome::Kind::ok, {}, user});
    });
  } catch (const passwords::PoolFull&) {
    done({LoginOutcome::Kind::busy, std::chrono::seconds(1), std::nullopt});
  }
}

void log_in(ApiContext& ctx, db::Connection& c, const http::Request& req, auth::User& user) {
  SessionState& s = state(req);
  if (!s.record) s.record.emplace();
  s.record->expire = models::Timestamp{models::Timestamp::now().time + std::chrono::seconds(ctx.config.session_age_seconds)};
  auth::login(c, *ctx.store, *s.record, user, "gatehouse.auth.ModelBackend", ctx.config.secret_key, client_of(req));
  s.modified = true;
  s.deleted = false;
  s.user_loaded = true;
  s.user = user;
}

void log_out(ApiContext& ctx, const http::Request& req) {
  SessionState& s = state(req);
  if (s.record) {
    auto c = ctx.db->acquire();
    auth::logout(*c, *ctx.store, *s.record, current_user(req, ctx), client_of(req));
  }
  s.record.reset();
  s.user.reset();
  s.deleted = true;
}

FieldErrors signup_errors(ApiContext& ctx, auth::User& u, const std::string& username, const std::string& email,
                          const std::string& password) {
  FieldErrors errors;
  try {
    u.username = auth::normalize_username(username);
    if (auto e = auth::username_error(u.username)) errors["username"].push_back(*e);
  } catch (const std::invalid_argument&) {
    errors["username"].push_back("Enter a valid username.");
  }
  u.email = auth::normalize_email(email);
  if (auto e = auth::email_error(u.email)) errors["email"].push_back(*e);
  for (auto& p : password_problems(password, u)) errors["password"].push_back(std::move(p));
  if (errors.empty()) {
    auto c = ctx.db->acquire();
    if (auth::UserManager(*c).exists({models::eq("username", u.username)}))
      errors["username"].push_back("A user with that username already exists.");
  }
  return errors;
}

void create_user(std::shared_ptr<ApiContext> ctx, auth::User u, std::string password,
                 std::function<void(std::optional<auth::User>, FieldErrors)> done) {
  ctx->pool->make_password(password, [ctx, u, done](const std::string* encoded, std::exception_ptr) mutable {
    if (encoded == nullptr) return done(std::nullopt, {{"password", {"The password could not be processed; try again."}}});
    try {
      u.set_password(auth::EncodedPassword::from_hash(*encoded));
      auto c = ctx->db->acquire();
      done(auth::UserManager(*c).create(u), {});
    } catch (const db::DatabaseError& de) {
      if (de.kind() != db::ErrorKind::unique_violation) throw;
      done(std::nullopt, {{"username", {"A user with that username already exists."}}});
    }
  });
}

void change_password(std::shared_ptr<ApiContext> ctx, http::RequestPtr req, auth::User user, std::string old_pw,
                     std::string new_pw, std::function<void(FieldErrors)> done) {
  if (auto problems = password_problems(new_pw, user); !problems.empty()) return done({{"new_password", problems}});
  ctx->pool->check(old_pw, user.password().encoded(),
                   [ctx, req, done, user, new_pw](const passwords::CheckResult* res, std::exception_ptr) mutable {
                     if (res == nullptr || !res->correct)
                       return done({{"old_password", {"Your old password was entered incorrectly. Please enter it again."}}});
                     auto c = ctx->db->acquire();
                     user.set_password(new_pw);  // on the pool thread: hashing stays off the server threads
                     models::Manager<auth::User>(*c).save(user, {.update_fields = {"password"}});
                     SessionState& s = state(*req);
                     ctx->store->remove_for_user(user.id, s.record->key);  // every other session ends
                     auth::update_session_auth_hash(*s.record, user, ctx->config.secret_key);
                     s.modified = true;
                     s.user = user;
                     done({});
                   });
}

http::Middleware session_middleware(std::shared_ptr<ApiContext> ctx) {
  return [ctx](http::RequestPtr req, http::Responder respond, const http::Handler& next) {
    auto st = std::make_shared<SessionState>();
    st->store = ctx->store;
    st->cookie = req->cookie("sessionid");
    req->app_state = st;
    next(req, respond.then([ctx, st](Response r) {
      const http::CookieOptions opts{.max_age_seconds = ctx->config.session_age_seconds, .secure = ctx->config.secure_cookies};
      if (st->deleted) {
        r.delete_cookie("sessionid");
      } else if (st->modified && st->record) {
        r.set_cookie("sessionid", ctx->store->save(*st->record), opts);
      }
      return r;
    }));
  };
}

void add_api_routes(http::Router& router, std::shared_ptr<ApiContext> ctx) {
  // ---- signup ----------------------------------------------------------------
  router.post("/api/signup", [ctx](http::RequestPtr req, http::Responder respond) {
    auto parsed = json_body(*req, {"username", "email", "password"});
    if (auto* err = std::get_if<Response>(&parsed)) return respond(std::move(*err));
    const json body = std::get<json>(parsed);
    auth::User u;
    const std::string password = body["password"].get<std::string>();
    auto errors = signup_errors(*ctx, u, body["username"].get<std::string>(), body["email"].get<std::string>(), password);
    if (!errors.empty()) return respond(field_errors(errors));
    try {
      create_user(ctx, u, password, [respond](std::optional<auth::User> made, FieldErrors errs) mutable {
        if (!made) return respond(field_errors(errs));
        respond(json_response(201, {{"id", made->id}, {"username", made->username}, {"email", made->email}}));
      });
    } catch (const passwords::PoolFull&) {
      Response r = Response::error(503, "busy", "too many requests are being processed; try again");
      r.set_header("Retry-After", "1");
      respond(std::move(r));
    }
  });

  // ---- login -----------------------------------------------------------------
  router.post("/api/login", [ctx](http::RequestPtr req, http::Responder respond) {
    auto parsed = json_body(*req, {"username", "password"});
    if (auto* err = std::get_if<Response>(&parsed)) return respond(std::move(*err));
    const json body = std::get<json>(parsed);
    attempt_login(ctx, req, body["username"].get<std::string>(), body["password"].get<std::string>(),
                  [respond](LoginOutcome o) mutable {
                    switch (o.kind) {
                      case LoginOutcome::Kind::ok:
                        return respond(json_response(200, {{"id", o.user->id}, {"username", o.user->username}}));
                      case LoginOutcome::Kind::invalid:
                        return respond(Response::error(401, "invalid_credentials", kBadCredentials));
                      case LoginOutcome::Kind::throttled: {
                        Response r = Response::error(429, "throttled", "Too many failed login attempts. Try again later.");
                        r.set_header("Retry-After", std::to_string(o.retry_after.count()));
                        return respond(std::move(r));
                      }
                      case LoginOutcome::Kind::busy: {
                        Response r = Response::error(503, "busy", "too many logins are being processed; try again");
                        r.set_header("Retry-After", "1");
                        return respond(std::move(r));
                      }
                    }
                  });
  });

  // ---- logout ----------------------------------------------------------------
  router.post("/api/logout", http::sync([ctx](http::Request& req) {
    log_out(*ctx, req);
    return Response::no_content();
  }));

  // ---- me --------------------------------------------------------------------
  router.get("/api/me", http::sync([ctx](http::Request& req) {
    db::ReadScope snapshot(*ctx->db);  // session, user and profile: one read transaction
    const auto& user = current_user(req, *ctx);
    if (!user) return Response::error(401, "not_authenticated", "Authentication credentials were not provided.");
    json profile = nullptr;
    try {
      auto c = ctx->db->acquire();
      const Profile p = profile_for(*c, *user);
      profile = {{"default_language", p.default_language}, {"default_exposure", p.default_exposure},
                 {"default_expiration", p.default_expiration}, {"private", p.is_private}, {"views", p.views}};
    } catch (const models::DoesNotExist&) {
    }
    return json_response(200, {{"id", user->id},
                               {"username", user->username},
                               {"email", user->email},
                               {"first_name", user->first_name},
                               {"last_name", user->last_name},
                               {"is_staff", user->is_staff},
                               {"is_superuser", user->is_superuser},
                               {"date_joined", iso(user->date_joined)},
                               {"last_login", user->last_login ? json(iso(*user->last_login)) : json(nullptr)},
                               {"profile", profile}});
  }));

  // ---- password change ---------------------------------------------------------
  router.post("/api/password/change", [ctx](http::RequestPtr req, http::Responder respond) {
    std::optional<auth::User> user = current_user(*req, *ctx);
    if (!user) return respond(Response::error(401, "not_authenticated", "Authentication credentials were not provided."));
    auto parsed = json_body(*req, {"old_password", "new_password"});
    if (auto* err = std::get_if<Response>(&parsed)) return respond(std::move(*err));
    const json body = std::get<json>(parsed);
    try {
      change_password(ctx, req, *user, body["old_password"].get<std::string>(), body["new_password"].get<std::string>(),
                      [respond](FieldErrors errors) mutable {
                        respond(errors.empty() ? Response::no_content() : field_errors(errors));
                      });
    } catch (const passwords::PoolFull&) {
      Response r = Response::error(503, "busy", "try again");
      r.set_header("Retry-After", "1");
      respond(std::move(r));
    }
  });

  // ---- password recovery by a one-time code ----------------------------------------------
  router.post("/api/password/forgot", [ctx](http::RequestPtr req, http::Responder respond) {
    auto parsed = json_body(*req, {"email"});
    if (auto* err = std::get_if<Response>(&parsed)) return respond(std::move(*err));
    const std::string email = auth::normalize_email(std::get<json>(parsed)["email"].get<std::string>());
    if (auth::email_error(email) || email.empty()) return respond(field_errors({{"email", {"Enter a valid email address."}}}));
    const auth::Client client = client_of(*req);
    if (auto wait = ctx->forgot_throttle->retry_after(email, client.address)) {
      Response r = Response::error(429, "throttled", "Too many requests. Try again later.");
      r.set_header("Retry-After", std::to_string(wait->count()));
      return respond(std::move(r));
    }
    ctx->forgot_throttle->record_failure(email, client.address);  // every request counts
    // The same work whether or not the address has an account: one job, whose
    // worker looks the address up and (only if it may) emails a code.
    {
      auto c = ctx->db->acquire();
      tasks::enqueue(*c, kPasswordCodeJob, json{{"email", email}}.dump());
    }
    respond(json_response(202, {{"detail", "If an active account uses this address, a code is on its way to it."}}));
  });

  router.post("/api/password/reset", [ctx](http::RequestPtr req, http::Responder respond) {
    auto parsed = json_body(*req, {"email", "code", "new_password"});
    if (auto* err = std::get_if<Response>(&parsed)) return respond(std::move(*err));
    const json body = std::get<json>(parsed);
    const std::string email = auth::normalize_email(body["email"].get<std::string>());
    const std::string code = body["code"].get<std::string>(), new_pw = body["new_password"].get<std::string>();
    const auth::Client client = client_of(*req);
    if (auto wait = ctx->reset_throttle->retry_after(email, client.address)) {
      Response r = Response::error(429, "throttled", "Too many attempts. Try again later.");
      r.set_header("Retry-After", std::to_string(wait->count()));
      return respond(std::move(r));
    }
    ctx->reset_throttle->record_failure(email, client.address);
    // Judged only by what the request says, the same for every address.
    passwords::UserAttributes attrs{{{"email", email}}};
    std::vector<std::string> problems;
    for (const auto& e : passwords::validate_password(new_pw, &attrs, passwords::default_validators()))
      problems.push_back(e.message);
    if (!problems.empty()) return respond(field_errors({{"new_password", problems}}));
    std::optional<auth::User> matched;
    {
      auto c = ctx->db->acquire();
      for (auto& u : auth::users_for_reset(*c, email)) {
        if (ctx->codes->redeem(u.id, code)) {
          matched = std::move(u);
          break;
        }
      }
    }
    if (!matched)
      return respond(Response::error(400, "invalid_code", "The email or code is not valid, or the code has expired."));
    try {
      reset_password(ctx, req, *matched, new_pw, [respond](bool ok) mutable {
        respond(ok ? Response::no_content() : Response::error(500, "internal_error", "the password could not be set"));
      });
    } catch (const passwords::PoolFull&) {
      Response r = Response::error(503, "busy", "try again");
      r.set_header("Retry-After", "1");
      respond(std::move(r));
    }
  });

  // ---- the user's sessions -------------------------------------------------------
  router.get("/api/sessions", http::sync([ctx](http::Request& req) {
    db::ReadScope snapshot(*ctx->db);
    const auto& user = current_user(req, *ctx);
    if (!user) return Response::error(401, "not_authenticated", "Authentication credentials were not provided.");
    const std::string mine = state(req).record->key;
    json list = json::array();
    for (const auto& s : ctx->store->for_user(user->id))
      list.push_back({{"id", public_id(s.key)}, {"created", iso(s.created)}, {"last_seen", iso(s.last_seen)},
                      {"address", s.address}, {"user_agent", s.user_agent}, {"current", s.key == mine}});
    return json_response(200, {{"sessions", list}});
  }));
  router.del("/api/sessions/{id}", http::sync([ctx](http::Request& req) {
    const auto& user = current_user(req, *ctx);
    if (!user) return Response::error(401, "not_authenticated", "Authentication credentials were not provided.");
    for (const auto& s : ctx->store->for_user(user->id)) {
      if (public_id(s.key) == req.params["id"]) {
        ctx->store->remove(s.key);
        if (s.key == state(req).record->key) state(req).deleted = true;
        return Response::no_content();
      }
    }
    return Response::error(404, "not_found", "no such session");
  }));
  router.post("/api/sessions/end-others", http::sync([ctx](http::Request& req) {
    const auto& user = current_user(req, *ctx);
    if (!user) return Response::error(401, "not_authenticated", "Authentication credentials were not provided.");
    ctx->store->remove_for_user(user->id, state(req).record->key);
    return Response::no_content();
  }));
}

}  // namespace gatehouse::app
