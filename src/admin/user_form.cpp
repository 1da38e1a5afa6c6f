#include "user_form.h"

#include <algorithm>
#include <sstream>

#include "gatehouse/auth/models.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/passwords/registry.h"

namespace gatehouse::admin {

namespace {

const std::string kRequired = "This field is required.";
const std::string kLastSuperuser = "The last active superuser cannot be deactivated or demoted.";

std::pair<std::string, std::string> split(const std::optional<models::Timestamp>& t) {
  if (!t) return {};
  std::string s = models::format_timestamp(*t, db::Engine::sqlite);  // "YYYY-MM-DD HH:MM:SS[.ffffff]"
  return {s.substr(0, 10), s.substr(11, 8)};
}

std::vector<std::int64_t> ids_of(const std::vector<std::string>& values) {
  std::vector<std::int64_t> out;
  for (const auto& v : values)
    if (!v.empty() && v.size() <= 18 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      out.push_back(std::stoll(v));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool checked(const http::FormPairs& f, const std::string& name) {
  const std::string v = form_value(f, name);
  return form_has(f, name) && v != "false" && v != "0" && v != "off";
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Django's DateField and TimeField input formats ("2026-12-03"; "13:05", "13:05:09", "13:05:09.5").
bool valid_date(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-' || !digits(d.substr(0, 4)) || !digits(d.substr(5, 2)) ||
      !digits(d.substr(8, 2)))
    return false;
  const std::chrono::year_month_day ymd{std::chrono::year(std::stoi(d.substr(0, 4))),
                                        std::chrono::month(static_cast<unsigned>(std::stoi(d.substr(5, 2)))),
                                        std::chrono::day(static_cast<unsigned>(std::stoi(d.substr(8, 2))))};
  return ymd.ok();
}
std::optional<std::string> normal_time(const std::string& t) {
  if (t.size() < 5 || t[2] != ':' || !digits(t.substr(0, 2)) || !digits(t.substr(3, 2))) return std::nullopt;
  std::string secs = "00";
  if (t.size() > 5) {
    if (t[5] != ':' || t.size() < 8 || !digits(t.substr(6, 2))) return std::nullopt;
    if (t.size() > 8 && (t[8] != '.' || !digits(t.substr(9)))) return std::nullopt;
    secs = t.substr(6, 2);
  }
  if (std::stoi(t.substr(0, 2)) > 23 || std::stoi(t.substr(3, 2)) > 59 || std::stoi(secs) > 59) return std::nullopt;
  return t.substr(0, 5) + ":" + secs;
}

// A split date-time field: the time, nullopt for an empty optional one; errors go to `errors[name]`.
std::optional<models::Timestamp> datetime(const std::string& name, const std::string& date, const std::string& time,
                                          bool required, auth::FieldErrors& errors) {
  if (date.empty() && time.empty()) {
    if (required) errors[name].push_back(kRequired);
    return std::nullopt;
  }
  if (date.empty() || time.empty()) {
    errors[name].push_back(kRequired);
    return std::nullopt;
  }
  const auto t = normal_time(time);
  if (!valid_date(date)) errors[name].push_back("Enter a valid date.");
  if (!t) errors[name].push_back("Enter a valid time.");
  if (!t || !valid_date(date)) return std::nullopt;
  return models::parse_timestamp(date + " " + *t);
}

std::string choice_error(const std::string& v) {
  return "Select a valid choice. " + v + " is not one of the available choices.";
}

}  // namespace

ProfileForm profile_form_of(const accounts::Profile& p) {
  return {p.default_language, p.default_exposure, p.default_expiration, p.is_private, p.views};
}

UserForm user_form_of(const auth::User& u, std::vector<std::int64_t> groups, std::vector<std::int64_t> perms,
                      bool must_change_password, const accounts::Profile& p) {
  UserForm f{u.username, u.first_name, u.last_name, u.email, u.is_active, u.is_staff, u.is_superuser,
             std::move(groups), std::move(perms), must_change_password, {}, {}, {}, {}, profile_form_of(p), true};
  std::sort(f.groups.begin(), f.groups.end());
  std::sort(f.user_permissions.begin(), f.user_permissions.end());
  std::tie(f.last_login_0, f.last_login_1) = split(u.last_login);
  std::tie(f.date_joined_0, f.date_joined_1) = split(u.date_joined);
  return f;
}

ProfileForm parse_profile_form(const http::FormPairs& f) {
  return {form_value(f, "profile-0-default_language"), form_value(f, "profile-0-default_exposure"),
          form_value(f, "profile-0-default_expiration"), checked(f, "profile-0-private"), 0};
}

UserForm parse_user_form(const http::FormPairs& f) {
  UserForm u{form_value(f, "username"), form_value(f, "first_name"), form_value(f, "last_name"), form_value(f, "email"),
             checked(f, "is_active"), checked(f, "is_staff"), checked(f, "is_superuser"),
             ids_of(form_values(f, "groups")), ids_of(form_values(f, "user_permissions")),
             checked(f, "must_change_password"), form_value(f, "last_login_0"), form_value(f, "last_login_1"), form_value(f, "date_joined_0"),
             form_value(f, "date_joined_1"), parse_profile_form(f), form_has(f, "profile-TOTAL_FORMS")};
  for (std::string* s : {&u.username, &u.first_name, &u.last_name, &u.email}) {  // Django's CharField strips
    s->erase(0, s->find_first_not_of(" \t\r\n"));
    s->erase(s->find_last_not_of(" \t\r\n") + 1);
  }
  return u;
}

auth::FieldErrors validate_profile_form(const ProfileForm& p) {
  auth::FieldErrors errors;
  if (p.default_language.empty()) errors["profile-0-default_language"].push_back(kRequired);
  else if (p.default_language.size() > 32)
    errors["profile-0-default_language"].push_back("Ensure this value has at most 32 characters (it has " +
                                                    std::to_string(p.default_language.size()) + ").");
  const auto in = [](const std::vector<std::string>& c, const std::string& v) { return std::find(c.begin(), c.end(), v) != c.end(); };
  if (!in(accounts::kExposures, p.default_exposure))
    errors["profile-0-default_exposure"].push_back(p.default_exposure.empty() ? kRequired : choice_error(p.default_exposure));
  if (!in(accounts::kExpirations, p.default_expiration))
    errors["profile-0-default_expiration"].push_back(p.default_expiration.empty() ? kRequired
                                                                                  : choice_error(p.default_expiration));
  return errors;
}

void apply_profile(const ProfileForm& f, accounts::Profile& p) {
  p.default_language = f.default_language;
  p.default_exposure = f.default_exposure;
  p.default_expiration = f.default_expiration;
  p.is_private = f.is_private;
}

auth::FieldErrors validate_user_form(db::Connection& conn, const UserForm& f, const auth::User& before, auth::User& out) {
  auth::FieldErrors errors;
  out = before;
  try {
    out.username = auth::normalize_username(f.username);
  } catch (const std::invalid_argument&) {
    out.username = f.username;
  }
  if (out.username.empty()) errors["username"].push_back(kRequired);
  else if (auto e = auth::username_error(out.username)) errors["username"].push_back(*e);
  else if (models::Manager<auth::User>(conn).exists({models::eq("username", out.username)}) && out.username != before.username)
    errors["username"].push_back("A user with that username already exists.");
  for (const auto& [name, value] : {std::pair{"first_name", &f.first_name}, std::pair{"last_name", &f.last_name}})
    if (value->size() > 150)
      errors[name].push_back("Ensure this value has at most 150 characters (it has " + std::to_string(value->size()) + ").");
  if (!f.email.empty())
    if (auto e = auth::email_error(f.email)) errors["email"].push_back("Enter a valid email address.");
  out.first_name = f.first_name;
  out.last_name = f.last_name;
  out.email = f.email;
  out.is_active = f.is_active;
  out.is_staff = f.is_staff;
  out.is_superuser = f.is_superuser;
  out.last_login = datetime("last_login", f.last_login_0, f.last_login_1, false, errors);
  if (auto joined = datetime("date_joined", f.date_joined_0, f.date_joined_1, true, errors)) out.date_joined = *joined;
  // Demoting includes taking staff status away: a superuser who is not staff cannot reach the admin.
  const bool was = before.is_active && before.is_superuser && before.is_staff,
             is = out.is_active && out.is_superuser && out.is_staff;
  if (was && !is &&
      conn.execute("SELECT count(*) FROM auth_user WHERE is_active = ? AND is_superuser = ? AND is_staff = ? AND id <> ?",
                   {db::Value(true), db::Value(true), db::Value(true), db::Value(before.id)})
              .scalar()
              .as_int() == 0)
    errors[!out.is_active ? "is_active" : !out.is_superuser ? "is_superuser" : "is_staff"].push_back(kLastSuperuser);
  return errors;
}

std::vector<std::string> changed_user_labels(const UserForm& a, const UserForm& b) {
  std::vector<std::string> out;
  const auto add = [&](bool changed, const char* label) { if (changed) out.emplace_back(label); };
  add(a.username != b.username, "Username");
  add(a.first_name != b.first_name, "First name");
  add(a.last_name != b.last_name, "Last name");
  add(a.email != b.email, "Email address");
  add(a.is_active != b.is_active, "Active");
  add(a.is_staff != b.is_staff, "Staff status");
  add(a.is_superuser != b.is_superuser, "Superuser status");
  add(a.groups != b.groups, "Groups");
  add(a.user_permissions != b.user_permissions, "User permissions");
  add(a.must_change_password != b.must_change_password, "Must change password at next login");
  add(a.last_login_0 != b.last_login_0 || a.last_login_1 != b.last_login_1, "Last login");
  add(a.date_joined_0 != b.date_joined_0 || a.date_joined_1 != b.date_joined_1, "Date joined");
  return out;
}

std::vector<std::string> changed_profile_labels(const ProfileForm& a, const ProfileForm& b) {
  std::vector<std::string> out;
  if (a.default_language != b.default_language) out.emplace_back("Default language");
  if (a.default_exposure != b.default_exposure) out.emplace_back("Default exposure");
  if (a.default_expiration != b.default_expiration) out.emplace_back("Default expiration");
  if (a.is_private != b.is_private) out.emplace_back("Private");
  return out;
}

json audit_changes(const UserForm& a, const UserForm& b) {
  json out = json::object();
  const auto put = [&](const char* name, const json& old_value, const json& new_value) {
    if (old_value != new_value) out[name] = {{"old", old_value}, {"new", new_value}};
  };
  put("username", a.username, b.username);
  put("first_name", a.first_name, b.first_name);
  put("last_name", a.last_name, b.last_name);
  put("email", a.email, b.email);
  put("is_active", a.is_active, b.is_active);
  put("is_staff", a.is_staff, b.is_staff);
  put("is_superuser", a.is_superuser, b.is_superuser);
  put("groups", a.groups, b.groups);
  put("user_permissions", a.user_permissions, b.user_permissions);
  put("must_change_password", a.must_change_password, b.must_change_password);
  put("last_login", a.last_login_0 + " " + a.last_login_1, b.last_login_0 + " " + b.last_login_1);
  put("date_joined", a.date_joined_0 + " " + a.date_joined_1, b.date_joined_0 + " " + b.date_joined_1);
  put("profile.default_language", a.profile.default_language, b.profile.default_language);
  put("profile.default_exposure", a.profile.default_exposure, b.profile.default_exposure);
  put("profile.default_expiration", a.profile.default_expiration, b.profile.default_expiration);
  put("profile.private", a.profile.is_private, b.profile.is_private);
  return out;
}

std::string password_summary(const auth::EncodedPassword& password) {
  const std::string& e = password.encoded();
  if (e.empty() || !password.usable()) return "<strong>No password set.</strong>";
  if (passwords::default_hashers().identify(e) == nullptr)
    return "<strong>Invalid password format or unknown hashing algorithm.</strong>";
  std::vector<std::string> parts;
  std::stringstream in(e);
  for (std::string p; std::getline(in, p, '$');) parts.push_back(p);
  const auto mask = [](const std::string& s) { return s.substr(0, 6) + std::string(s.size() > 6 ? s.size() - 6 : 0, '*'); };
  std::vector<std::pair<std::string, std::string>> items{{"algorithm", parts[0]}};
  if (parts[0].rfind("pbkdf2", 0) == 0 && parts.size() == 4)
    items.insert(items.end(), {{"iterations", parts[1]}, {"salt", mask(parts[2])}, {"hash", mask(parts[3])}});
  else if (parts[0] == "argon2" && parts.size() >= 6)
    items.insert(items.end(), {{"variety", parts[1]}, {"version", parts[2].substr(2)}, {"parameters", parts[3]},
                               {"salt", mask(parts[4])}, {"hash", mask(parts[5])}});
  else if (parts.size() >= 2)
    items.emplace_back("hash", mask(parts.back()));
  std::string html;
  for (const auto& [k, v] : items) html += "<strong>" + escape(k) + "</strong>: <bdi>" + escape(v) + "</bdi> ";
  return html;
}

}  // namespace gatehouse::admin
