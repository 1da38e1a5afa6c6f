// How signup treats the address given (django-allauth's ACCOUNT_EMAIL_VERIFICATION,
// GATEHOUSE_EMAIL_VERIFICATION): none sends nothing to confirm; optional emails
// a confirmation link at signup; mandatory also refuses login until the address
// is confirmed (and sends the link again).
#pragma once

namespace gatehouse::auth {

enum class EmailVerification { none, optional, mandatory };

}  // namespace gatehouse::auth
