// The admin's form fields as the templates show them (admin/field.html): one
// JSON shape per widget, and the user's fieldsets and profile inline.
#include "common.h"
#include "user_form.h"

namespace gatehouse::admin {

namespace {

json field(const std::string& name, const std::string& label, const auth::FieldErrors& errors, bool readonly,
           const std::string& help = {}) {
  const auto e = errors.find(name);
  json errs = e == errors.end() ? json::array() : json(e->second);
  return {{"name", name}, {"label", label}, {"errors", errs}, {"has_errors", !errs.empty()}, {"readonly", readonly},
          {"help", help.empty() ? json(false) : json(help)}, {"text", false}, {"checkbox", false}, {"select", false},
          {"multi", false}, {"datetime", false}, {"readonly_html", false}, {"required", false}};
}

json text(json f, const std::string& value, int maxlength, bool required, const std::string& type = "text") {
  if (f["readonly"]) f["readonly_html"] = value.empty() ? "-" : escape(value);
  else f["text"] = {{"value", value}, {"maxlength", maxlength}, {"type", type}};
  f["required"] = required;
  return f;
}

json checkbox(json f, bool value) {
  if (f["readonly"]) f["readonly_html"] = value ? "<img src=\"/static/admin/img/icon-yes.svg\" alt=\"True\">"
                                                : "<img src=\"/static/admin/img/icon-no.svg\" alt=\"False\">";
  else f["checkbox"] = {{"checked", value}};
  return f;
}

json select(json f, const std::vector<std::string>& choices, const std::string& value) {
  if (f["readonly"]) {
    f["readonly_html"] = escape(value);
    return f;
  }
  json options = json::array();
  for (const auto& c : choices) options.push_back({{"value", c}, {"label", c}, {"selected", c == value}});
  f["select"] = {{"options", options}};
  f["required"] = true;
  return f;
}

json multi(json f, const std::vector<std::pair<std::int64_t, std::string>>& choices, const std::vector<std::int64_t>& selected,
           const std::string& filter) {
  if (f["readonly"]) {
    std::string html;
    for (const auto& [id, label] : choices)
      if (std::find(selected.begin(), selected.end(), id) != selected.end()) html += (html.empty() ? "" : ", ") + escape(label);
    f["readonly_html"] = html.empty() ? "-" : html;
    return f;
  }
  f["multi"] = multi_select(f["name"], choices, selected, filter);
  return f;
}

json split_datetime(json f, const std::string& date, const std::string& time, bool required) {
  if (f["readonly"]) f["readonly_html"] = date.empty() ? "-" : escape(date + " " + time);
  else f["datetime"] = {{"date", date}, {"time", time}};
  f["required"] = required;
  return f;
}

std::vector<std::pair<std::int64_t, std::string>> group_choices(db::Connection& conn) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (const auto& row : conn.execute("SELECT id, name FROM auth_group ORDER BY name").rows)
    out.emplace_back(row[0].as_int(), row[1].as_text());
  return out;
}

json fieldset(const std::string& name, json fields) {
  return {{"name", name.empty() ? json(false) : json(name)}, {"fields", std::move(fields)}};
}

}  // namespace

json user_fieldsets(db::Connection& conn, const UserForm& f, const auth::FieldErrors& e, bool ro,
                    const std::string& summary, const Request& req) {
  json password = field("password", "Password", e, true,
                        ro ? "" : "Raw passwords are not stored, so there is no way to see this user’s password, but you "
                                  "can change the password using <a href=\"../password/\">this form</a>.");
  password["readonly_html"] = summary;
  password["password_link"] = !ro;
  const std::string g_filter = req.query_param("_filter_groups").value_or("");
  const std::string p_filter = req.query_param("_filter_user_permissions").value_or("");
  return json::array({
      fieldset("", {text(field("username", "Username", e, ro, "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
                         f.username, 150, true),
                    password}),
      fieldset("Personal info", {text(field("first_name", "First name", e, ro), f.first_name, 150, false),
                                 text(field("last_name", "Last name", e, ro), f.last_name, 150, false),
                                 text(field("email", "Email address", e, ro), f.email, 254, false, "email")}),
      fieldset("Permissions",
               {checkbox(field("is_active", "Active", e, ro,
                               "Designates whether this user should be treated as active. Unselect this instead of deleting accounts."),
                         f.is_active),
                checkbox(field("is_staff", "Staff status", e, ro, "Designates whether the user can log into this admin site."),
                         f.is_staff),
                checkbox(field("is_superuser", "Superuser status", e, ro,
                               "Designates that this user has all permissions without explicitly assigning them."),
                         f.is_superuser),
                checkbox(field("must_change_password", "Must change password at next login", e, ro,
                               "The user may log in, then must choose a new password before anything else. Setting it "
                               "ends the user’s sessions."),
                         f.must_change_password),
                multi(field("groups", "Groups", e, ro,
                            "The groups this user belongs to. A user will get all permissions granted to each of their groups."),
                      group_choices(conn), f.groups, g_filter),
                multi(field("user_permissions", "User permissions", e, ro, "Specific permissions for this user."),
                      permission_choices(conn), f.user_permissions, p_filter)}),
      fieldset("Important dates", {split_datetime(field("last_login", "Last login", e, ro), f.last_login_0, f.last_login_1, false),
                                   split_datetime(field("date_joined", "Date joined", e, ro), f.date_joined_0,
                                                  f.date_joined_1, true)}),
  });
}

json profile_inline(const ProfileForm& p, const auth::FieldErrors& e, bool ro, std::int64_t profile_id, std::int64_t user_id,
                    bool adding) {
  json views = field("views", "Views", e, true);
  views["readonly_html"] = std::to_string(p.views);
  const json fields = json::array({
      text(field("profile-0-default_language", "Default language", e, ro), p.default_language, 32, true),
      select(field("profile-0-default_exposure", "Default exposure", e, ro), accounts::kExposures, p.default_exposure),
      select(field("profile-0-default_expiration", "Default expiration", e, ro), accounts::kExpirations, p.default_expiration),
      checkbox(field("profile-0-private", "Private", e, ro), p.is_private),
      views,
  });
  return {{"prefix", "profile"}, {"verbose_name", "Profile"}, {"fields", fields}, {"readonly", ro},
          {"initial_forms", adding ? 0 : 1}, {"id", adding ? json("") : json(profile_id)},
          {"user", adding ? json("") : json(user_id)}};
}

}  // namespace gatehouse::admin
