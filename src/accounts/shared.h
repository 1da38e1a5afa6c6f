// What the JSON API and the pages share: the texts both show, and the steps
// around an auth::Accounts operation that touch the request's session (a
// copy of the record goes to the operation; it replaces the request's
// session only when the operation succeeded). Internal to the accounts layer.
#pragma once

#include <string>

#include "gatehouse/accounts/site.h"

namespace gatehouse::accounts {

inline const std::string kBadCredentials =
    "Please enter a correct username and password. Note that both fields may be case-sensitive.";
inline const std::string kTooManyLogins = "Too many failed login attempts. Try again later.";
inline const std::string kTooManyRequests = "Too many requests. Try again later.";
inline const std::string kInvalidCode = "The email or code is not valid, or the code has expired.";
inline const std::string kRequired = "This field is required.";
inline const std::string kConfirmFirst = "Confirm your email address first: we have emailed you a link to do it.";

auth::Client client_of(const http::Request& request);

// accounts.login on a copy of the request's session; on success the copy
// (logged in, new key) becomes the request's session and user, and the CSRF
// secret is new (Django's rotate_token at login).
void log_in(Site& site, const http::RequestPtr& req, auth::Credentials credentials, auth::OutcomeDone done);
// Logs `user` in without credentials (after signup: Django's login(request, user)).
auth::Outcome log_in_user(Site& site, http::Request& req, auth::User user);
// accounts.logout; the request's session ends (its cookie is deleted).
auth::Outcome log_out(Site& site, http::Request& req);
// accounts.change_password on a copy of the session; on success it replaces it.
void change_password(Site& site, const http::RequestPtr& req, const auth::User& user, std::string old_password,
                     std::string new_password, auth::OutcomeDone done);

}  // namespace gatehouse::accounts
