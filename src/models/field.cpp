#include "gatehouse/models/field.h"

#include <cstdio>

#include "gatehouse/db/error.h"

namespace gatehouse::models {

using namespace std::chrono;

Timestamp Timestamp::now() { return now(core::system_clock()); }

Timestamp Timestamp::now(const core::Clock& clock) { return Timestamp{clock.now()}; }

std::string format_timestamp(const Timestamp& t, db::Engine engine) {
  const auto day = floor<days>(t.time);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> hms{t.time - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                        static_cast<long long>(hms.seconds().count()));
  const auto micros = hms.subseconds().count();
  if (micros != 0) n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%06lld", static_cast<long long>(micros));
  std::string out(buf, static_cast<std::size_t>(n));
  if (engine == db::Engine::postgresql) out += "+00:00";
  return out;
}

Timestamp parse_timestamp(std::string_view s) {
  const auto bad = [&]() -> db::DatabaseError {
    return db::DatabaseError(db::ErrorKind::invalid_value, "not a timestamp: '" + std::string(s.substr(0, 64)) + "'");
  };
  const auto digits = [&](std::size_t pos, std::size_t n) -> int {
    if (pos + n > s.size()) throw bad();
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') throw bad();
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
    throw bad();
  const year_month_day ymd{year{digits(0, 4)}, month{static_cast<unsigned>(digits(5, 2))},
                           day{static_cast<unsigned>(digits(8, 2))}};
  if (!ymd.ok()) throw bad();
  const int hh = digits(11, 2), mm = digits(14, 2), ss = digits(17, 2);
  if (hh > 23 || mm > 59 || ss > 60) throw bad();
  std::size_t pos = 19;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int count = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (count < 6) {
        micros = micros * 10 + (s[pos] - '0');
        ++count;
      }
      ++pos;
    }
    if (count == 0) throw bad();
    for (; count < 6; ++count) micros *= 10;
  }
  long long offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      const int oh = digits(pos + 1, 2);
      pos += 3;
      int om = 0;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (pos + 2 <= s.size()) {
        om = digits(pos, 2);
        pos += 2;
      }
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (pos != s.size()) throw bad();
  const auto tp = sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss} + microseconds{micros} - minutes{offset_minutes};
  return Timestamp{tp};
}

}  // namespace gatehouse::models
