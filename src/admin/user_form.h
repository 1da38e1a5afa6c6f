// The user's change and add forms of the admin (Django's UserChangeForm,
// UserCreationForm, AdminPasswordChangeForm and the profile's stacked
// inline): parsing, validation, what changed (for change_message), and the
// fields as the templates show them. Internal to the admin layer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "gatehouse/accounts/profile.h"
#include "gatehouse/auth/outcome.h"

namespace gatehouse::admin {

struct ProfileForm {
  std::string default_language, default_exposure, default_expiration;
  bool is_private = false;
  std::int64_t views = 0;  // read-only
};

struct UserForm {
  std::string username, first_name, last_name, email;
  bool is_active = true, is_staff = false, is_superuser = false;
  std::vector<std::int64_t> groups, user_permissions;
  bool must_change_password = false;  // Gatehouse's flag (auth/password_change.h), not a Django field
  std::string last_login_0, last_login_1, date_joined_0, date_joined_1;  // date and time, as Django's split widget
  ProfileForm profile;
  bool profile_sent = true;  // the inline's management form came with the POST
};

UserForm user_form_of(const auth::User& u, std::vector<std::int64_t> groups, std::vector<std::int64_t> perms,
                      bool must_change_password, const accounts::Profile& p);
ProfileForm profile_form_of(const accounts::Profile& p);
UserForm parse_user_form(const http::FormPairs& form);
ProfileForm parse_profile_form(const http::FormPairs& form);

// Validates the change form against the database (username taken, the last
// superuser); on success `out` holds the values to save.
auth::FieldErrors validate_user_form(db::Connection& conn, const UserForm& form, const auth::User& before, auth::User& out);
auth::FieldErrors validate_profile_form(const ProfileForm& form);
void apply_profile(const ProfileForm& form, accounts::Profile& p);

// Django's form.changed_data, as the labels construct_change_message writes.
std::vector<std::string> changed_user_labels(const UserForm& before, const UserForm& after);
std::vector<std::string> changed_profile_labels(const ProfileForm& before, const ProfileForm& after);

// The change form's fieldsets and the inline, as the template shows them.
json user_fieldsets(db::Connection& conn, const UserForm& form, const auth::FieldErrors& errors, bool readonly,
                    const std::string& password_summary, const Request& req);
json profile_inline(const ProfileForm& form, const auth::FieldErrors& errors, bool readonly, std::int64_t profile_id,
                    std::int64_t user_id, bool adding);

// Django's ReadOnlyPasswordHashWidget: the hash summary (algorithm,
// iterations, salt and hash masked as safe_summary does), as HTML.
std::string password_summary(const auth::EncodedPassword& password);

// The old and new values of what changed, for the audit trail.
json audit_changes(const UserForm& before, const UserForm& after);

}  // namespace gatehouse::admin
