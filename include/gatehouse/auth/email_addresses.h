// Email addresses and their confirmation, in django-allauth's formats: the
// account_emailaddress table (one row per address of a user: verified,
// primary) and allauth's HMAC confirmation keys (django.core.signing.dumps of
// the row's id with the salt "account", valid for 3 days), so a Django
// project using allauth on the same database and secret key accepts the
// same links and sees the same verified addresses.
//
// A key is good once in effect: it names the row, and a confirmed row stays
// confirmed (confirming again changes nothing and says so). A key for an
// address the user has since changed names a row that no longer matches the
// user's address, and is refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/auth/user.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/models/model.h"

namespace gatehouse::auth {

struct EmailAddress {
  std::int64_t id = 0;
  std::int64_t user_id = 0;  // deleted with the user
  std::string email;
  bool verified = false;
  bool primary = false;

  static const models::ModelInfo<EmailAddress>& meta();
};

// The account_emailaddress table (adopted if allauth made it).
std::vector<db::Migration> email_address_migrations();

// The user's row for their current address (created, unverified and
// primary, when there is none). REQUIRES: the user has an address.
EmailAddress address_of(db::Connection& conn, const User& user);
// Whether the user's current address is confirmed.
bool email_verified(db::Connection& conn, const User& user);

inline constexpr std::chrono::seconds kConfirmationLifetime{3 * 24 * 3600};  // allauth's EMAIL_CONFIRMATION_EXPIRE_DAYS

// allauth's HMAC key for the row.
std::string confirmation_key(const EmailAddress& address, const std::string& secret_key,
                             const core::Clock& clock = core::system_clock());

struct Confirmed {
  std::int64_t user_id = 0;
  bool already = false;  // it was confirmed before: nothing changed
};
// Confirms the address the key names: nullopt for a key that is not one, has
// expired, or names an address its user no longer has.
std::optional<Confirmed> confirm_email(db::Connection& conn, const std::string& key, const std::string& secret_key,
                                       const core::Clock& clock = core::system_clock());

}  // namespace gatehouse::auth
