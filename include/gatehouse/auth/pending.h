// The keys a pending session carries between the password and the second
// factor (auth/mfa.h explains the login in two steps). A header of its own,
// so the web layer can send a pending session's pages to the second step
// without the account operations.
#pragma once

#include <chrono>

namespace gatehouse::auth {

inline constexpr const char* kPendingUser = "_mfa_pending_user_id";
inline constexpr const char* kPendingBackend = "_mfa_pending_backend";
inline constexpr const char* kPendingHash = "_mfa_pending_hash";
inline constexpr const char* kPendingUntil = "_mfa_pending_until";  // Unix seconds
inline constexpr const char* kPendingEnrolment = "_mfa_pending_enrolment";
inline constexpr std::chrono::seconds kPendingLifetime{300};

}  // namespace gatehouse::auth
