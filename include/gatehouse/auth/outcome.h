// Outcome: what an account operation did, as a value every surface (the JSON
// API, the pages, the admin, a library user's routes) turns into its own
// response. No operation throws for a failure the user or an operator should
// see; each answers with one of these kinds.
#pragma once

#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/auth/user.h"

namespace gatehouse::auth {

// Messages keyed by form field ("username", "new_password", ...).
using FieldErrors = std::map<std::string, std::vector<std::string>>;

struct Outcome {
  enum class Kind {
    ok,
    field_errors,     // the input was refused: `errors` says why, per field
    bad_credentials,  // one answer for every cause (wrong password, no such account, inactive, bad code)
    throttled,        // too many attempts: wait `retry_after`
    busy,             // the password hashing queue is full: try again after `retry_after`
    unavailable,      // a dependency failed (`dependency`: "database", "cache", ...): try again after `retry_after`
    unconfirmed,      // the password was right, but the address must be confirmed first (a link is on its way)
    second_factor,    // the password was right: the session now waits for the second step (`methods`), auth/mfa.h
    enrolment,        // the password was right, but a factor is required and the user has none: enrol first
  };
  Kind kind = Kind::ok;
  FieldErrors errors;
  std::chrono::seconds retry_after{0};
  std::string dependency;
  std::optional<User> user;  // ok: the user concerned (logged in, created, changed)
  std::vector<std::string> methods{};  // second_factor: "totp", "recovery_code"

  bool ok() const noexcept { return kind == Kind::ok; }
  // The password step succeeded and the session is a pending one (auth/mfa.h):
  // the caller keeps the new session, which is not logged in.
  bool pending() const noexcept { return kind == Kind::second_factor || kind == Kind::enrolment; }
  static Outcome success(std::optional<User> user = std::nullopt);
  static Outcome invalid(FieldErrors errors);
  static Outcome refused() { return Outcome{Kind::bad_credentials, {}, {}, {}, {}, {}}; }
  static Outcome throttle(std::chrono::seconds wait) { return Outcome{Kind::throttled, {}, wait, {}, {}, {}}; }
  static Outcome full() { return Outcome{Kind::busy, {}, std::chrono::seconds(1), {}, {}, {}}; }
  static Outcome down(std::string dependency);
};

// What to answer for an exception that escaped an operation: busy for a full
// hash pool, unavailable (naming the dependency) for a database, cache or
// session store failure. Rethrows anything else (a bug, to be a 500). Logs a
// dependency's failure on stderr, at most once every 10 s per dependency.
Outcome outcome_of(std::exception_ptr error);

// The dependency an exception says is failing ("database", "cache"), or
// nullopt when it is not a dependency's failure.
std::optional<std::string> failed_dependency(std::exception_ptr error);

// Seconds a client should wait before retrying after a dependency failed.
inline constexpr std::chrono::seconds kUnavailableRetry{5};

}  // namespace gatehouse::auth
