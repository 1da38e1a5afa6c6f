// Field types and options for declarative models (model.h).
//
// A field is a data member of the model struct. Supported member types:
//   std::int64_t, int, bool, double, std::string, Timestamp,
//   and std::optional of any of them (a nullable column).
// FieldTraits<T> says how each maps to SQL and to db::Value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/core/clock.h"
#include "gatehouse/db/connection.h"
#include "gatehouse/db/value.h"

namespace gatehouse::models {

// A point in time, microsecond precision, UTC (Django's DateTimeField with USE_TZ).
struct Timestamp {
  std::chrono::sys_time<std::chrono::microseconds> time{};
  // The current time by the system clock.
  static Timestamp now();
  // The current time by `clock`.
  static Timestamp now(const core::Clock& clock);
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

// "YYYY-MM-DD HH:MM:SS[.ffffff]" as Django writes it to SQLite; with "+00:00" for PostgreSQL.
std::string format_timestamp(const Timestamp& t, db::Engine engine);
// Reads either engine's text form (an offset, 'T' separator and fractions are accepted).
// Throws db::DatabaseError(invalid_value) for anything else.
Timestamp parse_timestamp(std::string_view text);

enum class OnDelete {
  cascade,   // delete the rows that refer to it, with their signals
  protect,   // refuse to delete while rows refer to it (ProtectedError)
  set_null,  // set the reference to NULL (the field must be nullable); no signals
};

// What a foreign key or one-to-one field refers to.
struct Reference {
  std::string table;           // the referenced model's table
  std::string column = "id";
  OnDelete on_delete = OnDelete::cascade;
  bool one_to_one = false;     // implies unique
};

struct FieldOptions {
  bool blank = false;                    // may be empty ("" or NULL) when validated
  bool unique = false;
  std::size_t max_length = 0;            // strings: 0 means unbounded (TEXT)
  std::vector<std::string> choices = {};  // strings: the allowed values; empty means any
  std::optional<Reference> references = {};
  bool db_index = false;
};

template <class T>
struct FieldTraits;

template <>
struct FieldTraits<std::int64_t> {
  static constexpr bool nullable = false;
  static std::string sql_type(db::Engine e, const FieldOptions&) { return e == db::Engine::sqlite ? "integer" : "bigint"; }
  static db::Value to_value(std::int64_t v, db::Engine) { return db::Value(v); }
  static std::int64_t from_value(const db::Value& v) { return v.as_int(); }
};
template <>
struct FieldTraits<int> {
  static constexpr bool nullable = false;
  static std::string sql_type(db::Engine, const FieldOptions&) { return "integer"; }
  static db::Value to_value(int v, db::Engine) { return db::Value(v); }
  static int from_value(const db::Value& v) { return static_cast<int>(v.as_int()); }
};
template <>
struct FieldTraits<bool> {
  static constexpr bool nullable = false;
  static std::string sql_type(db::Engine e, const FieldOptions&) { return e == db::Engine::sqlite ? "bool" : "boolean"; }
  static db::Value to_value(bool v, db::Engine) { return db::Value(v); }
  static bool from_value(const db::Value& v) { return v.as_bool(); }
};
template <>
struct FieldTraits<double> {
  static constexpr bool nullable = false;
  static std::string sql_type(db::Engine e, const FieldOptions&) { return e == db::Engine::sqlite ? "real" : "double precision"; }
  static db::Value to_value(double v, db::Engine) { return db::Value(v); }
  static double from_value(const db::Value& v) { return v.as_real(); }
};
template <>
struct FieldTraits<std::string> {
  static constexpr bool nullable = false;
  static std::string sql_type(db::Engine, const FieldOptions& o) {
    return o.max_length > 0 ? "varchar(" + std::to_string(o.max_length) + ")" : "text";
  }
  static db::Value to_value(const std::string& v, db::Engine) { return db::Value(v); }
  static std::string from_value(const db::Value& v) { return v.as_text(); }
};
template <>
struct FieldTraits<Timestamp> {
  static constexpr bool nullable = false;
  static std::string sql_type(db::Engine e, const FieldOptions&) {
    return e == db::Engine::sqlite ? "datetime" : "timestamp with time zone";
  }
  static db::Value to_value(const Timestamp& v, db::Engine e) { return db::Value(format_timestamp(v, e)); }
  static Timestamp from_value(const db::Value& v) { return parse_timestamp(v.as_text()); }
};
template <class T>
struct FieldTraits<std::optional<T>> {
  static constexpr bool nullable = true;
  static std::string sql_type(db::Engine e, const FieldOptions& o) { return FieldTraits<T>::sql_type(e, o); }
  static db::Value to_value(const std::optional<T>& v, db::Engine e) {
    return v ? FieldTraits<T>::to_value(*v, e) : db::Value();
  }
  static std::optional<T> from_value(const db::Value& v) {
    if (v.is_null()) return std::nullopt;
    return FieldTraits<T>::from_value(v);
  }
};

}  // namespace gatehouse::models
