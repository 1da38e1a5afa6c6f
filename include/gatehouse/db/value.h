// Value: one SQL parameter or result cell. NULL, a 64-bit integer, a double,
// or text (which also carries bytes). Booleans travel as 0/1 integers;
// timestamps as text in the engine's format (the models layer converts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace gatehouse::db {

using Null = std::monostate;

class Value {
 public:
  Value() noexcept = default;  // NULL
  Value(Null) noexcept {}
  Value(std::int64_t v) noexcept : v_(v) {}
  Value(int v) noexcept : v_(std::int64_t{v}) {}
  Value(bool v) noexcept : v_(std::int64_t{v ? 1 : 0}) {}
  Value(double v) noexcept : v_(v) {}
  Value(std::string v) noexcept : v_(std::move(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  template <class T>
  Value(const std::optional<T>& v) : Value(v ? Value(*v) : Value()) {}

  bool is_null() const noexcept { return std::holds_alternative<Null>(v_); }
  bool is_int() const noexcept { return std::holds_alternative<std::int64_t>(v_); }
  bool is_real() const noexcept { return std::holds_alternative<double>(v_); }
  bool is_text() const noexcept { return std::holds_alternative<std::string>(v_); }

  // Conversions throw std::bad_variant_access (via DatabaseError in Row) on a
  // type mismatch; text holding a number converts to it.
  std::int64_t as_int() const;
  double as_real() const;
  bool as_bool() const { return as_int() != 0; }
  const std::string& as_text() const;
  // The value as SQL text, for engines that take text parameters; nullopt for NULL.
  std::optional<std::string> to_text() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  std::variant<Null, std::int64_t, double, std::string> v_;
};

}  // namespace gatehouse::db
