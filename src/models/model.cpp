#include "gatehouse/models/model.h"

#include <algorithm>
#include <mutex>

namespace gatehouse::models {

namespace {
struct Registry {
  std::mutex mu;
  std::vector<const ModelInfoBase*> models;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: static destructors may still look
  return *r;
}

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string summarize(const std::map<std::string, std::vector<std::string>>& errors) {
  std::string out;
  for (const auto& [field, messages] : errors) {
    for (const auto& m : messages) {
      if (!out.empty()) out += "; ";
      out += field + ": " + m;
    }
  }
  return out;
}
}  // namespace

ValidationError::ValidationError(std::map<std::string, std::vector<std::string>> errors)
    : std::invalid_argument(summarize(errors)), errors_(std::move(errors)) {}

ModelInfoBase::ModelInfoBase(std::string app_label, std::string model_name, std::string table, signals::Sender sender)
    : app_label_(std::move(app_label)), model_name_(std::move(model_name)), table_(std::move(table)), sender_(sender) {}

const FieldInfo* ModelInfoBase::field(std::string_view column) const noexcept {
  for (const auto& f : fields_)
    if (f.column == column) return &f;
  return nullptr;
}

const FieldInfo& ModelInfoBase::pk_field() const {
  for (const auto& f : fields_)
    if (f.primary_key) return f;
  throw std::logic_error("model " + table_ + " declares no primary key");
}

void ModelInfoBase::validate(const void* obj) const {
  std::map<std::string, std::vector<std::string>> errors;
  for (const auto& f : fields_) {
    if (f.primary_key) continue;
    const db::Value v = f.get(obj, db::Engine::sqlite);
    const std::string* text = f.text(obj);
    const bool empty = v.is_null() || (text != nullptr && text->empty());
    if (empty && !f.options.blank) {
      if (v.is_null() || text != nullptr) {
        errors[f.column].push_back("This field cannot be blank.");
        continue;
      }
    }
    if (text == nullptr) continue;
    if (f.options.max_length > 0 && code_points(*text) > f.options.max_length)
      errors[f.column].push_back("Ensure this value has at most " + std::to_string(f.options.max_length) +
                                 " characters (it has " + std::to_string(code_points(*text)) + ").");
    if (!f.options.choices.empty() && !text->empty() &&
        std::find(f.options.choices.begin(), f.options.choices.end(), *text) == f.options.choices.end())
      errors[f.column].push_back("Value '" + *text + "' is not a valid choice.");
  }
  if (!errors.empty()) throw ValidationError(std::move(errors));
}

std::vector<const ModelInfoBase*> registered_models() {
  std::lock_guard lock(registry().mu);
  return registry().models;
}

void register_model(const ModelInfoBase* model) {
  std::lock_guard lock(registry().mu);
  auto& models = registry().models;
  if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
}

std::vector<std::pair<const ModelInfoBase*, const FieldInfo*>> references_to(std::string_view table) {
  std::vector<std::pair<const ModelInfoBase*, const FieldInfo*>> out;
  for (const ModelInfoBase* m : registered_models())
    for (const auto& f : m->fields())
      if (f.options.references && f.options.references->table == table) out.emplace_back(m, &f);
  return out;
}

}  // namespace gatehouse::models
