// What every HTML page of the accounts layer is made of (pages.cpp defines
// them; mfa_pages.cpp uses them too): the base context, rendering, form pages
// with their fields and errors, messages, and an Outcome shown as a page.
// Internal to the accounts layer.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "gatehouse/accounts/site.h"
#include "gatehouse/http/message.h"
#include "shared.h"

namespace gatehouse::accounts {

inline constexpr const char* kProfile = "/accounts/profile/";

struct Field {
  std::string name, label, type, autocomplete, help;
};

// One form page: its template, title and fields.
struct FormPage {
  std::string template_name, title;
  std::vector<Field> fields;
};

http::Form parse_form(const http::Request& r);
// Title, CSRF token and the user: what header.html needs.
nlohmann::json base(const http::Request& req, const std::string& title);
http::Response render(const Site& site, int status, const std::string& name, const nlohmann::json& context);
// The form's fields with their values (never a password's) and errors.
nlohmann::json fields(const std::vector<Field>& spec, const http::Form& values, const auth::FieldErrors& errors);
http::Response form(const Site& site, const http::Request& req, int status, const FormPage& page,
                    const http::Form& values, const auth::FieldErrors& errors,
                    const std::vector<std::string>& non_field = {}, const std::string& action = {});
http::Response message(const Site& site, const http::Request& req, int status, const std::string& title,
                       const std::string& text, const std::string& href = {}, const std::string& label = {});
// 503 (or busy) with Retry-After, as error.html.
http::Response error_page(const Site& site, const http::Request& req, const auth::Outcome& o);
// A failed Outcome as the form page again: field errors under their fields
// (`rename` maps an operation's field to the form's), the rest above the form.
http::Response show(const Site& site, const http::Request& req, const FormPage& page, const http::Form& f,
                    const auth::Outcome& o, const std::map<std::string, std::string>& rename = {},
                    const std::string& bad_credentials = kBadCredentials);
// "This field is required." for each field of `spec` left empty.
auth::FieldErrors missing(const http::Form& f, const std::vector<Field>& spec);
std::string value(const http::Form& f, const std::string& name);

// /accounts/login/mfa/ and /accounts/mfa/...: the second factor's pages (mfa_pages.cpp).
void add_mfa_pages(http::Router& router, Site& site);

}  // namespace gatehouse::accounts
