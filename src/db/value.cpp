#include "gatehouse/db/value.h"

#include <charconv>
#include <cstdio>

#include "gatehouse/db/connection.h"
#include "gatehouse/db/error.h"

namespace gatehouse::db {

namespace {
[[noreturn]] void mismatch(const char* want) {
  throw DatabaseError(ErrorKind::invalid_value, std::string("value is not ") + want);
}
}  // namespace

std::int64_t Value::as_int() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* d = std::get_if<double>(&v_)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v_)) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec == std::errc() && p == s->data() + s->size()) return v;
  }
  mismatch("an integer");
}

double Value::as_real() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v_)) {
    char* end = nullptr;
    const double v = std::strtod(s->c_str(), &end);
    if (end == s->c_str() + s->size() && !s->empty()) return v;
  }
  mismatch("a number");
}

const std::string& Value::as_text() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  mismatch("text");
}

std::optional<std::string> Value::to_text() const {
  if (is_null()) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v_)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return std::string(buf);
  }
  return std::get<std::string>(v_);
}

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::unique_violation: return "unique_violation";
    case ErrorKind::foreign_key_violation: return "foreign_key_violation";
    case ErrorKind::not_null_violation: return "not_null_violation";
    case ErrorKind::check_violation: return "check_violation";
    case ErrorKind::invalid_value: return "invalid_value";
    case ErrorKind::busy: return "busy";
    case ErrorKind::serialization_failure: return "serialization_failure";
    case ErrorKind::connection: return "connection";
    case ErrorKind::invalid_query: return "invalid_query";
    case ErrorKind::configuration: return "configuration";
    case ErrorKind::other: return "other";
  }
  return "other";
}

std::string_view to_string(Engine engine) noexcept {
  return engine == Engine::sqlite ? "sqlite" : "postgresql";
}

std::size_t Result::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw DatabaseError(ErrorKind::invalid_query, "no column named " + std::string(name) + " in the result");
}

const Value& Result::scalar() const {
  if (rows.size() != 1 || rows[0].size() != 1)
    throw DatabaseError(ErrorKind::invalid_query, "expected one row of one column, got " +
                                                      std::to_string(rows.size()) + " rows");
  return rows[0][0];
}

}  // namespace gatehouse::db
