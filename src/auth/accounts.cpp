#include "gatehouse/auth/accounts.h"

#include <unistr.h>

#include "gatehouse/auth/email_addresses.h"
#include "gatehouse/auth/login.h"
#include "gatehouse/auth/mfa.h"
#include "gatehouse/auth/otp.h"
#include "gatehouse/auth/password_change.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/passwords/validators.h"
#include "gatehouse/tasks/tasks.h"

namespace gatehouse::auth {

namespace {

const std::string kUsernameTaken = "A user with that username already exists.";
const std::string kOldPasswordWrong = "Your old password was entered incorrectly. Please enter it again.";
const std::string kPasswordWrong = "Your password was entered incorrectly. Please enter it again.";

// Runs `f`; an exception out of it becomes the Outcome it means (busy,
// unavailable), and a bug goes on up (a 500 where it lands).
template <class F>
void guarded(const OutcomeDone& done, F&& f) {
  std::optional<Outcome> failed;
  try {
    f();
    return;
  } catch (...) {
    failed = outcome_of(std::current_exception());
  }
  done(std::move(*failed));
}

bool is_utf8(std::string_view s) {
  return u8_check(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) == nullptr;
}

std::vector<std::string> messages(const std::vector<passwords::ValidationError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.message);
  return out;
}

}  // namespace

Accounts::Accounts(AccountParts parts, AccountOptions options) : parts_(parts), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &core::system_clock();
}

std::vector<std::string> Accounts::password_problems(const std::string& password, const User& u) const {
  passwords::UserAttributes attrs{
      {{"username", u.username}, {"first_name", u.first_name}, {"last_name", u.last_name}, {"email", u.email}}};
  return messages(passwords::validate_password(password, &attrs, passwords::default_validators()));
}

// ---- login and logout ------------------------------------------------------------

void Accounts::login(Credentials credentials, Client client, sessions::SessionRecord& session, OutcomeDone done) {
  guarded(done, [&] {
    if (auto wait = parts_.login_throttle.retry_after(credentials.identifier, client.address))
      return done(Outcome::throttle(*wait));
    auto on_answer = [this, credentials, client, &session, done](Authenticated a) {
      finish_login(a, credentials, client, session, done);
    };
    authenticate(backend_context(), options_.backends, credentials, client, std::move(on_answer));
  });
}

// On a pool thread: what the backends said, made into a session or a refusal.
void Accounts::finish_login(const Authenticated& a, const Credentials& credentials, const Client& client,
                            sessions::SessionRecord& session, const OutcomeDone& done) {
  guarded(done, [&] {
    if (a.error) std::rethrow_exception(a.error);  // a dependency: not the user's failure
    if (!a.user) {
      parts_.login_throttle.record_failure(credentials.identifier, client.address);
      return done(Outcome::refused());
    }
    User user = *a.user;
    if (credentials.allowed && !credentials.allowed(user)) return done(Outcome::refused());
    bool confirmed = true;
    {
      auto c = parts_.db.acquire();
      confirmed = address_ok(*c, user);
      if (!confirmed && !user.email.empty()) send_confirmation(*c, user);  // the password was right: send the link again
    }
    if (!confirmed) return done(Outcome{Outcome::Kind::unconfirmed, {}, {}, {}, std::move(user), {}});
    if (auto pending = second_step(session, user, a.backend, client)) {
      parts_.login_throttle.reset(credentials.identifier, client.address);  // the password was right
      return done(std::move(*pending));
    }
    auth::login(parts_.db, parts_.sessions, session, user, a.backend, options_.secret_key, client, options_.session_age,
                *options_.clock);
    mark_password_change(session, user);
    parts_.login_throttle.reset(credentials.identifier, client.address);
    done(Outcome::success(std::move(user)));
  });
}

// A user staff flagged must change the password before the session does anything else.
void Accounts::mark_password_change(sessions::SessionRecord& session, const User& user) {
  bool required = false;
  {
    auto c = parts_.db.acquire();
    required = must_change_password(*c, user.id);
  }
  if (!required) return;
  session.data[kPasswordChangeRequiredKey] = "1";
  parts_.sessions.save(session);
}

bool factor_required(MfaRequirement requirement, const User& user) {
  return requirement == MfaRequirement::all || (requirement == MfaRequirement::staff && (user.is_staff || user.is_superuser));
}

// The session becomes a pending one (auth/mfa.h) under a new key: not
// logged in, good for kPendingLifetime, naming the user for the second step.
std::optional<Outcome> Accounts::second_step(sessions::SessionRecord& session, const User& user,
                                             const std::string& backend, const Client& client, bool enrolment_only) {
  std::vector<std::string> methods;
  {
    auto c = parts_.db.acquire();
    methods = second_factor_methods(*c, user.id);
  }
  const bool enrol = methods.empty() && factor_required(options_.mfa_required, user);
  if (!enrol && (methods.empty() || enrolment_only)) return std::nullopt;
  // Nothing of another user's login, pending or complete, survives into this one.
  const std::string id = std::to_string(user.id);
  for (const char* k : {kSessionUserId, kPendingUser}) {
    const auto other = session.data.find(k);
    if (other != session.data.end() && other->second != id) session.data.clear();
  }
  for (const char* k : {kSessionUserId, kSessionBackend, kSessionHash, kPendingUser, kPendingBackend, kPendingHash,
                        kPendingUntil, kPendingEnrolment, kWebauthnChallenge})
    session.data.erase(k);
  if (!session.key.empty()) parts_.sessions.remove(session.key);
  const auto now = models::Timestamp::now(*options_.clock);
  session.key = sessions::SessionStore::new_key();
  session.data[kPendingUser] = id;
  session.data[kPendingBackend] = backend;
  session.data[kPendingHash] = session_auth_hash(user, options_.secret_key);
  session.data[kPendingUntil] = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>((now.time + kPendingLifetime).time_since_epoch()).count());
  if (enrol) session.data[kPendingEnrolment] = id;  // the user's own id: a flag left by another login cannot pass
  session.user_id.reset();
  session.created = session.last_seen = now;
  session.expire = models::Timestamp{now.time + kPendingLifetime};
  session.address = client.address;
  session.user_agent = client.user_agent;
  parts_.sessions.save(session);
  Outcome o{enrol ? Outcome::Kind::enrolment : Outcome::Kind::second_factor, {}, {}, {}, user, std::move(methods)};
  return o;
}

Outcome Accounts::log_in_user(User& user, const Client& client, sessions::SessionRecord& session, std::string backend) {
  try {
    if (backend.empty())
      backend = options_.backends.empty() ? ModelBackend().name() : options_.backends.front()->name();
    // A user who must have a factor and has none enrols first (after signup too).
    if (auto pending = second_step(session, user, backend, client, true)) return std::move(*pending);
    auth::login(parts_.db, parts_.sessions, session, user, backend, options_.secret_key, client, options_.session_age,
                *options_.clock);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  return Outcome::success(user);
}

Outcome Accounts::logout(sessions::SessionRecord& session, const std::optional<User>& user, const Client& client) {
  try {
    auth::logout(parts_.db, parts_.sessions, session, user, client);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  session = {};
  return Outcome::success();
}

std::optional<User> Accounts::user_of(const sessions::SessionRecord& session) {
  auto c = parts_.db.acquire();
  return get_user(*c, session, options_.secret_key);
}

// ---- signup ---------------------------------------------------------------------------

void Accounts::signup(SignupForm form, const Client& client, OutcomeDone done) {
  guarded(done, [&] {
    if (auto wait = parts_.signup_throttle.retry_after({}, client.address)) return done(Outcome::throttle(*wait));
    parts_.signup_throttle.record_failure({}, client.address);  // every attempt counts
    User u;
    FieldErrors errors;
    try {
      u.username = normalize_username(form.username);
      if (auto e = username_error(u.username)) errors["username"].push_back(*e);
    } catch (const std::invalid_argument&) {
      errors["username"].push_back("Enter a valid username.");
    }
    u.email = normalize_email(form.email);
    if (u.email.empty()) errors["email"].push_back("This field is required.");  // the address recovery goes to
    else if (auto e = email_error(u.email)) errors["email"].push_back(*e);
    for (auto& p : password_problems(form.password, u)) errors["password"].push_back(std::move(p));
    if (errors.empty()) {
      auto c = parts_.db.acquire();
      if (UserManager(*c).exists({models::eq("username", u.username)})) errors["username"].push_back(kUsernameTaken);
      if (options_.unique_email && !u.email.empty() &&
          !c->execute("SELECT 1 FROM auth_user WHERE lower(email) = lower(?) LIMIT 1", {u.email}).rows.empty())
        errors["email"].push_back("A user is already registered with this email address.");
    }
    if (!errors.empty()) return done(Outcome::invalid(std::move(errors)));
    parts_.pool.make_password(form.password, [this, u, done](const std::string* encoded, std::exception_ptr e) mutable {
      guarded(done, [&] {
        if (encoded == nullptr) std::rethrow_exception(e);
        u.set_password(EncodedPassword::from_hash(*encoded));
        std::optional<User> made = create(std::move(u));
        if (!made) return done(Outcome::invalid({{"username", {kUsernameTaken}}}));
        done(Outcome::success(std::move(made)));
      });
    });
  });
}

// The user, and (when addresses are confirmed) their address row and the job
// that emails its link, in one transaction; nullopt when the username was
// taken meanwhile (a race with another signup of the name).
std::optional<User> Accounts::create(User u) {
  auto c = parts_.db.acquire();
  try {
    db::Transaction tx(*c);
    User made = UserManager(*c).create(u);
    // The confirmation is the welcome email (its job keyed as the welcome would be).
    if (options_.email_verification != EmailVerification::none)
      send_confirmation(*c, made, "mail.welcome:" + std::to_string(made.id));
    tx.commit();
    return made;
  } catch (const db::DatabaseError& de) {
    if (de.kind() != db::ErrorKind::unique_violation) throw;
    return std::nullopt;
  }
}

// Enqueues the confirmation email for the user's address (on `conn`, in the caller's transaction).
void Accounts::send_confirmation(db::Connection& conn, const User& user, std::string idempotency_key) const {
  const EmailAddress address = address_of(conn, user);
  tasks::enqueue(conn, kConfirmEmailJob, "{\"address_id\":" + std::to_string(address.id) + "}",
                 {.idempotency_key = std::move(idempotency_key)}, *options_.clock);
}

bool Accounts::address_ok(db::Connection& conn, const User& user) const {
  return options_.email_verification != EmailVerification::mandatory || email_verified(conn, user);
}

Outcome Accounts::confirm_email(const std::string& key) {
  try {
    auto c = parts_.db.acquire();
    const auto confirmed = auth::confirm_email(*c, key, options_.secret_key, *options_.clock);
    if (!confirmed) return Outcome::refused();
    return Outcome::success(models::Manager<User>(*c).get(confirmed->user_id));
  } catch (...) {
    return outcome_of(std::current_exception());
  }
}

// ---- password change ---------------------------------------------------------------------

void Accounts::check_password(const User& user, std::string password, const Client& client, const OutcomeDone& done,
                              std::function<void()> then, const char* field) {
  guarded(done, [&] {
    if (auto wait = parts_.login_throttle.retry_after(user.username, client.address)) return done(Outcome::throttle(*wait));
    parts_.pool.check(std::move(password), user.password().encoded(),
                      [this, username = user.username, address = client.address, field, done,
                       then = std::move(then)](const passwords::CheckResult* res, std::exception_ptr e) {
                        guarded(done, [&] {
                          if (res == nullptr) std::rethrow_exception(e);
                          if (!res->correct) {
                            parts_.login_throttle.record_failure(username, address);
                            const bool old = std::string_view(field) == "old_password";
                            return done(Outcome::invalid({{field, {old ? kOldPasswordWrong : kPasswordWrong}}}));
                          }
                          then();
                        });
                      });
  });
}

void Accounts::change_password(User user, std::string old_password, std::string new_password, const Client& client,
                               sessions::SessionRecord& session, OutcomeDone done) {
  // A throttled client hears so before anything is judged (check_password looks again; a cache read).
  bool checked = false;
  std::optional<std::chrono::seconds> wait;
  guarded(done, [&] {
    wait = parts_.login_throttle.retry_after(user.username, client.address);
    checked = true;
  });
  if (!checked) return;  // the cache failed: `done` has its Outcome
  if (wait) return done(Outcome::throttle(*wait));
  if (auto problems = password_problems(new_password, user); !problems.empty())
    return done(Outcome::invalid({{"new_password", problems}}));
  check_password(user, std::move(old_password), client, done, [this, user, new_password, &session, done]() mutable {
    user.set_password(new_password);  // on the pool thread: hashing stays off the server threads
    {
      auto c = parts_.db.acquire();
      db::Transaction tx(*c);
      models::Manager<User>(*c).save(user, {.update_fields = {"password"}});
      require_password_change(*c, user.id, false);  // changed: the flag is done
      tx.commit();
    }
    session.data.erase(kPasswordChangeRequiredKey);
    parts_.sessions.remove_for_user(user.id, session.key);  // every other session ends
    // This one stays logged in, under a new key (Django's update_session_auth_hash).
    if (!session.key.empty()) parts_.sessions.remove(session.key);
    session.key = sessions::SessionStore::new_key();
    update_session_auth_hash(session, user, options_.secret_key);
    parts_.sessions.save(session);
    done(Outcome::success(user));
  }, "old_password");
}

// ---- password recovery ----------------------------------------------------------------------

Outcome Accounts::forgot(std::string_view email_in, const Client& client, const char* job) {
  try {
    const std::string email = normalize_email(email_in);
    if (email.empty() || !is_utf8(email) || email_error(email))
      return Outcome::invalid({{"email", {"Enter a valid email address."}}});
    if (auto wait = parts_.forgot_throttle.retry_after(email, client.address)) return Outcome::throttle(*wait);
    parts_.forgot_throttle.record_failure(email, client.address);  // every request counts
    // The same work whether or not the address has an account: one job, whose
    // worker looks the address up and (only if it may) emails it.
    auto c = parts_.db.acquire();
    tasks::enqueue(*c, job, "{\"email\":\"" + core::json_escape(email) + "\"}", {}, *options_.clock);
  } catch (...) {
    return outcome_of(std::current_exception());
  }
  return Outcome::success();
}

void Accounts::reset_with_code(std::string email_in, std::string code, std::string new_password, const Client& client,
                               OutcomeDone done) {
  guarded(done, [&] {
    const std::string email = normalize_email(email_in);
    if (auto wait = parts_.reset_throttle.retry_after(email, client.address)) return done(Outcome::throttle(*wait));
    parts_.reset_throttle.record_failure(email, client.address);
    // Judged only by what the request says, the same for every address.
    passwords::UserAttributes attrs{{{"email", email}}};
    auto problems = messages(passwords::validate_password(new_password, &attrs, passwords::default_validators()));
    if (!problems.empty()) return done(Outcome::invalid({{"new_password", problems}}));
    std::vector<User> candidates;
    {
      auto c = parts_.db.acquire();
      candidates = users_for_reset(*c, email);
    }  // released: the codes may live in the database cache
    for (auto& u : candidates) {
      if (parts_.codes.redeem(u.id, code)) return store_password(std::move(u), std::move(new_password), client, done);
    }
    done(Outcome::refused());
  });
}

void Accounts::set_password(User user, std::string new_password, const Client& client, OutcomeDone done) {
  guarded(done, [&] {
    if (auto problems = password_problems(new_password, user); !problems.empty())
      return done(Outcome::invalid({{"new_password", problems}}));
    store_password(std::move(user), std::move(new_password), client, done);
  });
}

// Hashes on the pool, saves, ends every session of the user, sends user_password_reset.
void Accounts::store_password(User user, std::string new_password, const Client& client, OutcomeDone done) {
  parts_.pool.make_password(std::move(new_password), [this, user, client, done](const std::string* encoded,
                                                                                std::exception_ptr e) mutable {
    guarded(done, [&] {
      if (encoded == nullptr) std::rethrow_exception(e);
      user.set_password(EncodedPassword::from_hash(*encoded));
      {
        auto c = parts_.db.acquire();
        db::Transaction tx(*c);
        models::Manager<User>(*c).save(user, {.update_fields = {"password"}});
        require_password_change(*c, user.id, false);  // the user chose a new one through recovery
        tx.commit();
      }
      parts_.sessions.remove_for_user(user.id);  // every session of the user ends
      {
        auto c = parts_.db.acquire();
        PasswordResetEvent ev;
        ev.user = &user;
        ev.client = &client;
        ev.connection = &*c;
        user_password_reset.send_robust(signals::Sender::of<User>(), ev);
      }
      done(Outcome::success(user));
    });
  });
}

}  // namespace gatehouse::auth
