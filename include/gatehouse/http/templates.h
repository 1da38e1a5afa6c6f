// HTML templates: Mustache, rendered by mstch (Debian's libmstch). A set holds
// built-in templates by name and, optionally, a directory a deployer fills
// with files of the same names to override them (read once, at construction;
// a name with a slash is a file in a subdirectory: "admin/index.html").
// Partials are other templates of the set: {{> header}}. Values are
// HTML-escaped unless written {{{triple}}}.
//
//   http::Templates t(accounts::builtin_templates(), "/etc/gatehouse/templates");
//   std::string html = t.render("login.html", {{"form", {{"username", "ada"}}}});
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace gatehouse::http {

class Templates {
 public:
  // Throws std::runtime_error if override_dir is set and cannot be read.
  explicit Templates(std::map<std::string, std::string> builtin, const std::string& override_dir = {});
  // Throws std::out_of_range for an unknown template name.
  std::string render(const std::string& name, const nlohmann::json& context) const;
  bool has(const std::string& name) const { return templates_.contains(name); }

 private:
  std::map<std::string, std::string> templates_;
};

}  // namespace gatehouse::http
