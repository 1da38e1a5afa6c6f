#include "gatehouse/web/responses.h"

#include <nlohmann/json.hpp>

namespace gatehouse::web {

using http::Response;

namespace {
constexpr std::string_view kConfirmFirst =
    "Confirm your email address first: we have emailed you a link to do it.";

Response with_retry(Response r, std::chrono::seconds retry_after) {
  r.set_header("Retry-After", std::to_string(std::max<long long>(1, retry_after.count())));
  return r;
}
}  // namespace

Response not_authenticated() {
  return Response::error(401, "not_authenticated", "Authentication credentials were not provided.");
}

Response forbidden() {
  return Response::error(403, "permission_denied", "You do not have permission to perform this action.");
}

Response field_errors(const auth::FieldErrors& errors) {
  nlohmann::json e = nlohmann::json::object();
  for (const auto& [k, v] : errors) e[k] = v;
  return Response::json_text(400, nlohmann::json{{"errors", e}}.dump());
}

Response throttled(std::chrono::seconds retry_after, std::string_view detail) {
  return with_retry(Response::error(429, "throttled", detail), retry_after);
}

Response busy(std::chrono::seconds retry_after) {
  return with_retry(Response::error(503, "busy", "Too many requests are being processed; try again."), retry_after);
}

Response unavailable(std::chrono::seconds retry_after, std::string_view dependency) {
  return with_retry(Response::error(503, "unavailable",
                                    "The " + std::string(dependency) + " is unavailable; try again in a moment."),
                    retry_after);
}

Response failure(const auth::Outcome& o, std::string_view bad_credentials, std::string_view throttled_detail) {
  using Kind = auth::Outcome::Kind;
  switch (o.kind) {
    case Kind::field_errors:
      return field_errors(o.errors);
    case Kind::bad_credentials:
      return Response::error(401, "invalid_credentials", bad_credentials);
    case Kind::throttled:
      return throttled(o.retry_after, throttled_detail);
    case Kind::busy:
      return busy(o.retry_after);
    case Kind::unavailable:
      return unavailable(o.retry_after, o.dependency);
    case Kind::unconfirmed:
      return Response::error(403, "email_unconfirmed", kConfirmFirst);
    case Kind::second_factor:
    case Kind::enrolment:  // a surface that offers no second step: the session is not logged in
      return Response::error(401, "mfa_required", "This account needs its second factor to log in.");
    case Kind::ok:
      break;
  }
  return Response::error(500, "internal_error", "an operation that succeeded was answered as a failure");
}

http::Middleware faults_middleware(FaultPage page) {
  return [page = std::move(page)](http::RequestPtr req, http::Responder respond, const http::Handler& next) {
    std::optional<auth::Outcome> fault;
    try {
      next(req, respond);
      return;
    } catch (...) {
      fault = auth::outcome_of(std::current_exception());  // rethrows a bug: the server answers 500
    }
    if (page && !req->path.starts_with("/api/")) return respond(page(*req, *fault));
    respond(fault->kind == auth::Outcome::Kind::busy ? busy(fault->retry_after)
                                                     : unavailable(fault->retry_after, fault->dependency));
  };
}

}  // namespace gatehouse::web
