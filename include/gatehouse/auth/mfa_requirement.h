// GATEHOUSE_MFA_REQUIRED: who must have a second factor before a session is
// complete (auth/mfa.h). A header of its own, so the configuration names it
// without the account operations.
#pragma once

namespace gatehouse::auth {

enum class MfaRequirement {
  none,   // a second factor is each user's choice
  staff,  // staff and superusers must enrol one (the admin is behind it)
  all,    // everyone must
};

}  // namespace gatehouse::auth
