// Declarative models: a model is a plain struct whose static meta() says which
// table it lives in and which members are columns.
//
//   struct Article {                        // give every member a default, so
//     std::int64_t id = 0;                 // designated initialisers may omit it
//     std::string title{};                 // (0 as id: not saved yet)
//     std::optional<Timestamp> published{};
//     static const models::ModelInfo<Article>& meta() {
//       static const models::ModelInfo<Article> info = [] {
//         models::ModelInfo<Article> m("blog", "article", "blog_article");
//         m.primary_key("id", &Article::id);
//         m.field("title", &Article::title, {.max_length = 200});
//         m.field("published", &Article::published);
//         return m;
//       }();
//       return info;
//     }
//   };
//
// Register every model at start-up (`inline const models::Registration<Article>
// article_model;`) so that deletes find the rows that refer to a model, and
// post_migrate receivers (default permissions) see it. A Manager registers its
// model too.
//
// Thread safety: a ModelInfo is immutable once meta() returns it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/db/connection.h"
#include "gatehouse/models/field.h"
#include "gatehouse/models/signals.h"

namespace gatehouse::models {

// ---- errors -------------------------------------------------------------------

class DoesNotExist : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class MultipleObjectsReturned : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A delete refused by OnDelete::protect.
class ProtectedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Field values a model cannot hold; errors() maps a column to its messages.
class ValidationError : public std::invalid_argument {
 public:
  explicit ValidationError(std::map<std::string, std::vector<std::string>> errors);
  const std::map<std::string, std::vector<std::string>>& errors() const noexcept { return errors_; }

 private:
  std::map<std::string, std::vector<std::string>> errors_;
};

// ---- metadata -------------------------------------------------------------------

struct FieldInfo {
  std::string column;
  FieldOptions options;
  bool nullable = false;
  bool primary_key = false;
  std::string (*sql_type)(db::Engine, const FieldOptions&) = nullptr;
  std::function<db::Value(const void* obj, db::Engine)> get;
  std::function<void(void* obj, const db::Value&)> set;
  // For validation: the string value (strings and optional strings), if any.
  std::function<const std::string*(const void* obj)> text;
};

class ModelInfoBase {
 public:
  virtual ~ModelInfoBase() = default;
  const std::string& app_label() const noexcept { return app_label_; }
  const std::string& model_name() const noexcept { return model_name_; }
  const std::string& table() const noexcept { return table_; }
  const std::vector<FieldInfo>& fields() const noexcept { return fields_; }
  const FieldInfo* field(std::string_view column) const noexcept;
  const FieldInfo& pk_field() const;
  // Column sets that must be unique together (Django's unique_together).
  const std::vector<std::vector<std::string>>& unique_together() const noexcept { return unique_together_; }
  signals::Sender sender() const noexcept { return sender_; }

  // Type-erased instances, for deletes that cross models.
  virtual std::shared_ptr<void> load_one_row(const std::vector<db::Value>& row) const = 0;
  virtual std::int64_t pk_of(const void* obj) const = 0;

  // Checks max_length, choices, blank and null; throws ValidationError.
  void validate(const void* obj) const;

 protected:
  ModelInfoBase(std::string app_label, std::string model_name, std::string table, signals::Sender sender);
  std::string app_label_, model_name_, table_;
  std::vector<FieldInfo> fields_;
  std::vector<std::vector<std::string>> unique_together_;
  signals::Sender sender_;
};

// Every registered model, in registration order.
std::vector<const ModelInfoBase*> registered_models();
// Idempotent.
void register_model(const ModelInfoBase* model);
// The fields of registered models that refer to `table`, with their model.
std::vector<std::pair<const ModelInfoBase*, const FieldInfo*>> references_to(std::string_view table);

template <class M>
class ModelInfo final : public ModelInfoBase {
 public:
  ModelInfo(std::string app_label, std::string model_name, std::string table)
      : ModelInfoBase(std::move(app_label), std::move(model_name), std::move(table), signals::Sender::of<M>()) {}

  using ModelInfoBase::field;  // the lookup by column, beside the builder below

  // The auto-incremented integer primary key; 0 means "not saved yet".
  ModelInfo& primary_key(std::string column, std::int64_t M::*member) {
    add(std::move(column), member, {});
    fields_.back().primary_key = true;
    pk_ = member;
    return *this;
  }

  template <class T>
  ModelInfo& field(std::string column, T M::*member, FieldOptions options = {}) {
    if (options.references && options.references->one_to_one) options.unique = true;
    add(std::move(column), member, std::move(options));
    return *this;
  }

  ModelInfo& unique_together(std::vector<std::string> columns) {
    for (const auto& c : columns)
      if (field(c) == nullptr) throw std::logic_error("unique_together names no field of " + table_ + ": " + c);
    unique_together_.push_back(std::move(columns));
    return *this;
  }

  std::int64_t pk(const M& obj) const { return obj.*pk_; }
  void set_pk(M& obj, std::int64_t v) const { obj.*pk_ = v; }

  // Builds an instance from a row whose columns are fields() in order, sending
  // pre_init / post_init.
  M from_row(const std::vector<db::Value>& row) const;

  std::shared_ptr<void> load_one_row(const std::vector<db::Value>& row) const override {
    return std::make_shared<M>(from_row(row));
  }
  std::int64_t pk_of(const void* obj) const override { return static_cast<const M*>(obj)->*pk_; }

 private:
  template <class T>
  void add(std::string column, T M::*member, FieldOptions options) {
    for (const auto& f : fields_)
      if (f.column == column) throw std::logic_error("model " + table_ + " declares column " + column + " twice");
    FieldInfo f;
    f.column = std::move(column);
    f.options = std::move(options);
    f.nullable = FieldTraits<T>::nullable;
    f.sql_type = &FieldTraits<T>::sql_type;
    f.get = [member](const void* obj, db::Engine e) {
      return FieldTraits<T>::to_value(static_cast<const M*>(obj)->*member, e);
    };
    f.set = [member](void* obj, const db::Value& v) { static_cast<M*>(obj)->*member = FieldTraits<T>::from_value(v); };
    f.text = [member](const void* obj) -> const std::string* {
      const T& value = static_cast<const M*>(obj)->*member;
      if constexpr (std::is_same_v<T, std::string>) {
        return &value;
      } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
        return value ? &*value : nullptr;
      } else {
        return nullptr;
      }
    };
    fields_.push_back(std::move(f));
  }

  std::int64_t M::*pk_ = nullptr;
};

// Builds a default instance of M as Django's Model() would: pre_init, then post_init.
template <class M>
M make() {
  M obj{};
  InitEvent pre;
  pre.instance = &obj;
  pre_init.send(signals::Sender::of<M>(), pre);
  InitEvent post;
  post.instance = &obj;
  post_init.send(signals::Sender::of<M>(), post);
  return obj;
}

template <class M>
M ModelInfo<M>::from_row(const std::vector<db::Value>& row) const {
  M obj{};
  InitEvent pre;
  pre.instance = &obj;
  pre_init.send(signals::Sender::of<M>(), pre);
  for (std::size_t i = 0; i < fields_.size() && i < row.size(); ++i) fields_[i].set(&obj, row[i]);
  InitEvent post;
  post.instance = &obj;
  post_init.send(signals::Sender::of<M>(), post);
  return obj;
}

// Registers M's metadata at static initialisation: `inline const Registration<Article> reg;`
template <class M>
struct Registration {
  Registration() { register_model(&M::meta()); }
};

}  // namespace gatehouse::models
