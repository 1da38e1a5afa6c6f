#include "gatehouse/http/templates.h"

#include <filesystem>
#include <fstream>
#include <mstch/mstch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace gatehouse::http {

namespace {

// JSON to mstch's node: objects become maps, arrays lists, and scalars the
// text they print as (false and null stay falsy for sections).
mstch::node to_node(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mstch::map m;
      for (const auto& [k, v] : j.items()) m.emplace(k, to_node(v));
      return m;
    }
    case nlohmann::json::value_t::array: {
      mstch::array a;
      for (const auto& v : j) a.push_back(to_node(v));
      return a;
    }
    case nlohmann::json::value_t::string:
      return j.get<std::string>();
    case nlohmann::json::value_t::boolean:
      return j.get<bool>();
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return false;
    default:
      return j.dump();
  }
}

}  // namespace

Templates::Templates(std::map<std::string, std::string> builtin, const std::string& override_dir)
    : templates_(std::move(builtin)) {
  if (override_dir.empty()) return;
  std::error_code ec;
  // Names are paths under the directory ("login.html", "admin/index.html").
  for (const auto& entry : std::filesystem::recursive_directory_iterator(override_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw std::runtime_error("cannot read the template " + entry.path().string());
    templates_[entry.path().lexically_relative(override_dir).generic_string()] = text.str();
  }
  if (ec) throw std::runtime_error("cannot read the templates directory " + override_dir + ": " + ec.message());
}

std::string Templates::render(const std::string& name, const nlohmann::json& context) const {
  const std::string& text = templates_.at(name);
  return mstch::render(text, to_node(context.is_object() ? context : nlohmann::json::object()), templates_);
}

}  // namespace gatehouse::http
