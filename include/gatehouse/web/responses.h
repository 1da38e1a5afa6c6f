// The standard answers every JSON route gives, defined once: 401 not
// authenticated, 403, 429 and 503 with Retry-After, 400 field errors, and the
// JSON form of an auth::Outcome. Pages have their own (accounts/pages), with
// the same statuses and headers.
#pragma once

#include <chrono>
#include <string_view>

#include "gatehouse/auth/outcome.h"
#include "gatehouse/http/handler.h"

namespace gatehouse::web {

http::Response not_authenticated();                        // 401
http::Response forbidden();                                // 403
http::Response field_errors(const auth::FieldErrors& e);   // 400 {"errors": {field: [text]}}
// 429 with Retry-After; `detail` says what was refused.
http::Response throttled(std::chrono::seconds retry_after, std::string_view detail);
http::Response busy(std::chrono::seconds retry_after);     // 503: the hash pool is full
// 503 with Retry-After, naming the dependency that failed.
http::Response unavailable(std::chrono::seconds retry_after, std::string_view dependency);

// A failed Outcome as JSON: field errors 400, bad credentials 401 with
// `bad_credentials` as the detail, throttled 429, busy and unavailable 503,
// an address still to confirm 403 (email_unconfirmed).
// REQUIRES: !outcome.ok().
http::Response failure(const auth::Outcome& outcome, std::string_view bad_credentials,
                       std::string_view throttled_detail = "Too many attempts. Try again later.");

// How a fault is shown: JSON (the API) or a page (HTML, from the site's templates).
using FaultPage = std::function<http::Response(const http::Request&, const auth::Outcome&)>;

// Innermost of the application's middleware (last in http::chain, so the
// Responders of the middleware around it are still waiting when a handler
// throws, and see the 503 go by): an exception a handler throws
// synchronously that means a dependency failed (database, cache, session
// store) or a full hash pool becomes a 503 (JSON under /api/, else `page`),
// logged once; anything else goes on to the server's 500. Asynchronous work
// answers its own faults (auth::Accounts does).
http::Middleware faults_middleware(FaultPage page = {});

}  // namespace gatehouse::web
