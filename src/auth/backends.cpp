#include "gatehouse/auth/backends.h"

#include <unistr.h>

#include <future>

#include "gatehouse/auth/user_manager.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::auth {

signals::Signal<void(const LoginFailedEvent&)> user_login_failed;

namespace {

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

bool is_utf8(const std::string& s) {
  return u8_check(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) == nullptr;
}

// Saves a password re-made with the preferred hasher (already on a pool thread).
void upgrade_hash(const BackendContext& ctx, User& user, const std::string& password) {
  user.set_password(password);
  auto c = ctx.db.acquire();
  models::Manager<User>(*c).save(user, {.update_fields = {"password"}});
}

// One authenticate(): the backends tried in turn, each after the last refused.
struct Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(const BackendContext& c, Backends b, Credentials cr, Client cl, std::function<void(Authenticated)> d)
      : ctx(c), backends(std::move(b)), credentials(std::move(cr)), client(std::move(cl)), done(std::move(d)) {}
  BackendContext ctx;
  Backends backends;
  Credentials credentials;
  Client client;
  std::function<void(Authenticated)> done;
  std::size_t next = 0;

  void step() {
    if (next == backends.size()) return refused();
    const auto& backend = backends[next++];
    auto self = shared_from_this();
    try {
      backend->authenticate(ctx, credentials, [self, name = backend->name()](std::optional<User> u, std::exception_ptr e) {
        if (e) return self->done({std::nullopt, {}, e});
        if (u) return self->done({std::move(u), name, nullptr});
        self->step();
      });
    } catch (...) {  // PoolFull, or a backend that threw instead of answering
      done({std::nullopt, {}, std::current_exception()});
    }
  }
  void refused() {
    LoginFailedEvent e;
    e.credentials = {{"username", credentials.identifier}, {"password", "********"}};
    e.client = &client;
    user_login_failed.send_robust(signals::Sender::of<User>(), e);
    done({});
  }
};

}  // namespace

void check_candidate(const BackendContext& ctx, std::optional<User> user, std::string password, BackendDone done) {
  // An unusable password ("!...") would answer at once: check the pool's
  // dummy hash instead (at the pool's own current settings), so such an
  // account costs what any other does (and fails).
  const bool usable = user && passwords::is_password_usable(user->password().encoded());
  const std::string encoded = usable ? user->password().encoded() : ctx.pool.dummy_hash();
  ctx.pool.check(password, encoded,
                 [ctx, user = std::move(user), usable, password, done = std::move(done)](const passwords::CheckResult* res,
                                                                                std::exception_ptr error) mutable {
                   if (res == nullptr) return done(std::nullopt, error);
                   if (!res->correct || !usable || !user->is_active) return done(std::nullopt, nullptr);
                   try {
                     if (res->needs_upgrade) upgrade_hash(ctx, *user, password);
                   } catch (...) {
                     return done(std::nullopt, std::current_exception());
                   }
                   done(std::move(user), nullptr);
                 });
}

void ModelBackend::authenticate(const BackendContext& ctx, const Credentials& credentials, BackendDone done) {
  std::optional<User> user;
  try {
    if (is_utf8(credentials.identifier)) {  // other bytes: no such user (and no database error)
      auto c = ctx.db.acquire();
      user = models::Manager<User>(*c).find({models::eq("username", normalize_username(credentials.identifier))});
    }
  } catch (...) {
    return done(std::nullopt, std::current_exception());
  }
  check_candidate(ctx, std::move(user), credentials.password, std::move(done));
}

void EmailBackend::authenticate(const BackendContext& ctx, const Credentials& credentials, BackendDone done) {
  std::optional<User> user;
  try {
    const std::string email = is_utf8(credentials.identifier) ? ascii_lower(normalize_email(credentials.identifier)) : "";
    if (!email.empty()) {
      auto c = ctx.db.acquire();
      // Case-insensitive match on the address; an ambiguous address logs no one in.
      const auto rows = c->execute("SELECT id FROM auth_user WHERE lower(email) = ? LIMIT 2", {email}).rows;
      if (rows.size() == 1) user = models::Manager<User>(*c).get(rows[0][0].as_int());
    }
  } catch (...) {
    return done(std::nullopt, std::current_exception());
  }
  check_candidate(ctx, std::move(user), credentials.password, std::move(done));
}

Backends default_backends() { return {std::make_shared<ModelBackend>(), std::make_shared<EmailBackend>()}; }

std::shared_ptr<AuthBackend> builtin_backend(const std::string& name) {
  if (name == "model" || name == ModelBackend().name()) return std::make_shared<ModelBackend>();
  if (name == "email" || name == EmailBackend().name()) return std::make_shared<EmailBackend>();
  throw std::invalid_argument("unknown authentication backend '" + name + "' (built in: model, email)");
}

void authenticate(const BackendContext& ctx, const Backends& backends, Credentials credentials, Client client,
                  std::function<void(Authenticated)> done) {
  std::make_shared<Attempt>(ctx, backends, std::move(credentials), std::move(client), std::move(done))->step();
}

Authenticated authenticate_wait(const BackendContext& ctx, const Backends& backends, Credentials credentials,
                                Client client) {
  std::promise<Authenticated> answer;
  auto f = answer.get_future();
  authenticate(ctx, backends, std::move(credentials), std::move(client),
               [&answer](Authenticated a) { answer.set_value(std::move(a)); });
  return f.get();
}

}  // namespace gatehouse::auth
