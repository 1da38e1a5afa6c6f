// What the JSON API and the pages share: the texts both show, and the steps
// around an auth::Accounts operation that touch the request's session (a
// copy of the record goes to the operation; it replaces the request's
// session only when the operation succeeded). Internal to the accounts layer.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <variant>

#include "gatehouse/accounts/site.h"

namespace gatehouse::accounts {

inline const std::string kBadCredentials =
    "Please enter a correct username and password. Note that both fields may be case-sensitive.";
inline const std::string kTooManyLogins = "Too many failed login attempts. Try again later.";
inline const std::string kTooManyRequests = "Too many requests. Try again later.";
inline const std::string kInvalidCode = "The email or code is not valid, or the code has expired.";
inline const std::string kRequired = "This field is required.";
inline const std::string kConfirmFirst = "Confirm your email address first: we have emailed you a link to do it.";

// client_of, log_in, log_out and change_password are in site.h: the admin uses them too.

// ---- the JSON API's bodies ----
http::Response json_response(int status, const nlohmann::json& j);
// The request body as a JSON object whose `required` fields are strings, or the error answer.
std::variant<nlohmann::json, http::Response> json_body(const http::Request& r, std::initializer_list<const char*> required);
// Parses the body and runs `f(body)`, or answers the parse error.
template <class F>
void with_body(const http::RequestPtr& req, const http::Responder& respond, std::initializer_list<const char*> required,
               F&& f) {
  auto parsed = json_body(*req, required);
  if (auto* err = std::get_if<http::Response>(&parsed)) return respond(std::move(*err));
  f(std::get<nlohmann::json>(parsed));
}
inline std::string text(const nlohmann::json& body, const char* field) { return body.at(field).get<std::string>(); }

// POST /api/login/mfa and /api/mfa/...: the second factor's endpoints (mfa_api.cpp).
void add_mfa_api_routes(http::Router& router, Site& site);

}  // namespace gatehouse::accounts
