#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "drivers.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/db/error.h"

namespace gatehouse::db::detail {

namespace {

// Type OIDs from pg_type.h (stable across versions).
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
              kFloat8 = 701, kNumeric = 1700;

ErrorKind kind_of_sqlstate(const char* state) {
  if (state == nullptr) return ErrorKind::other;
  const std::string_view s(state);
  if (s == "23505") return ErrorKind::unique_violation;
  if (s == "23503") return ErrorKind::foreign_key_violation;
  if (s == "23502") return ErrorKind::not_null_violation;
  if (s == "23514") return ErrorKind::check_violation;
  if (s == "40001" || s == "40P01") return ErrorKind::serialization_failure;
  if (s == "55P03" || s == "57014") return ErrorKind::busy;  // lock not available, statement timeout
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03") return ErrorKind::connection;
  if (s.starts_with("22")) return ErrorKind::invalid_value;
  if (s.starts_with("42")) return ErrorKind::invalid_query;
  return ErrorKind::other;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages span lines ("...\n\tIs the server running..."): one line
// reads better in logs and in the CLI's one-line errors.
std::string trim(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

class PgConnection final : public Connection {
 public:
  explicit PgConnection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (conn_ == nullptr) throw DatabaseError(ErrorKind::connection, "PostgreSQL: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string msg = trim(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      throw DatabaseError(ErrorKind::connection, "cannot connect to PostgreSQL: " + msg);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // notices are not errors
  }
  ~PgConnection() override { PQfinish(conn_); }

  Engine engine() const noexcept override { return Engine::postgresql; }
  bool healthy() const noexcept override { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

  Result execute(std::string_view sql, std::span<const Value> params) override {
    std::size_t count = 0;
    const std::string numbered = number_placeholders(sql, &count);
    if (count != params.size())
      throw DatabaseError(ErrorKind::invalid_query, "statement takes " + std::to_string(count) + " parameters, " +
                                                        std::to_string(params.size()) + " given");
    std::vector<std::optional<std::string>> texts;
    texts.reserve(params.size());
    std::vector<const char*> values;
    for (const Value& v : params) {
      texts.push_back(v.to_text());
      if (texts.back() && texts.back()->find('\0') != std::string::npos)
        throw DatabaseError(ErrorKind::invalid_value, "PostgreSQL text cannot hold a NUL byte");
    }
    for (const auto& t : texts) values.push_back(t ? t->c_str() : nullptr);
    PgResult res(PQexecParams(conn_, numbered.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                              nullptr, nullptr, 0));
    return collect(res.get(), sql);
  }

  void execute_script(std::string_view sql) override {
    const std::string s(sql);
    PgResult res(PQexec(conn_, s.c_str()));
    (void)collect(res.get(), sql);
  }

 private:
  Result collect(PGresult* res, std::string_view sql) {
    const ExecStatusType status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      ErrorKind kind = kind_of_sqlstate(res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr);
      if (PQstatus(conn_) != CONNECTION_OK) kind = ErrorKind::connection;
      std::string msg = "PostgreSQL: " + trim(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
      if (kind == ErrorKind::invalid_query) msg += " in: " + std::string(sql.substr(0, 200));
      throw DatabaseError(kind, msg);
    }
    Result out;
    if (status == PGRES_COMMAND_OK) {
      const char* n = PQcmdTuples(res);
      out.affected = (n != nullptr && *n != '\0') ? std::strtoll(n, nullptr, 10) : 0;
      return out;
    }
    const int nf = PQnfields(res), nt = PQntuples(res);
    for (int f = 0; f < nf; ++f) out.columns.emplace_back(PQfname(res, f));
    out.rows.reserve(static_cast<std::size_t>(nt));
    for (int t = 0; t < nt; ++t) {
      std::vector<Value> row;
      row.reserve(static_cast<std::size_t>(nf));
      for (int f = 0; f < nf; ++f) row.push_back(cell(res, t, f));
      out.rows.push_back(std::move(row));
    }
    const char* n = PQcmdTuples(res);
    out.affected = (n != nullptr && *n != '\0') ? std::strtoll(n, nullptr, 10) : 0;
    return out;
  }

  static Value cell(PGresult* res, int t, int f) {
    if (PQgetisnull(res, t, f)) return Value();
    const char* text = PQgetvalue(res, t, f);
    const auto len = static_cast<std::size_t>(PQgetlength(res, t, f));
    switch (PQftype(res, f)) {
      case kBool:
        return Value(std::int64_t{text[0] == 't' ? 1 : 0});
      case kInt2:
      case kInt4:
      case kInt8:
      case kOid:
        return Value(static_cast<std::int64_t>(std::strtoll(text, nullptr, 10)));
      case kFloat4:
      case kFloat8:
      case kNumeric:
        return Value(std::strtod(text, nullptr));
      case kBytea:
        if (len >= 2 && text[0] == '\\' && text[1] == 'x') {
          if (auto bytes = core::hex_decode(std::string_view(text + 2, len - 2))) return Value(std::move(*bytes));
        }
        return Value(std::string(text, len));
      default:
        return Value(std::string(text, len));
    }
  }

  PGconn* conn_;
};

}  // namespace

std::unique_ptr<Connection> open_postgresql(const std::string& conninfo) {
  return std::make_unique<PgConnection>(conninfo);
}

std::string number_placeholders(std::string_view sql, std::size_t* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t n = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // quoted: copy through the closing quote ('' escapes)
      const std::size_t end = sql.find(c, i + 1);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // comment to end of line
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  if (count != nullptr) *count = n;
  return out;
}

}  // namespace gatehouse::db::detail
