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

// client_of, log_in, log_out and change_password are in site.h: the admin uses them too.

}  // namespace gatehouse::accounts
