#include "gatehouse/sessions/store.h"

#include <nlohmann/json.hpp>

#include "gatehouse/core/random.h"
#include "gatehouse/crypto/signing.h"
#include "gatehouse/db/transaction.h"

namespace gatehouse::sessions {

namespace {
constexpr const char* kSalt = "django.contrib.sessions.SessionStore";

models::Timestamp ts(const db::Value& v) { return models::parse_timestamp(v.as_text()); }
}  // namespace

std::string SessionStore::new_key() { return core::random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"); }

std::string encode_session_data(const std::map<std::string, std::string>& data, const std::string& secret_key) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : data) j[k] = v;
  // Django's JSONSerializer: compact, ASCII (json.dumps with ensure_ascii).
  return crypto::dumps(j.dump(-1, ' ', true), secret_key, kSalt, true);
}

std::optional<std::map<std::string, std::string>> decode_session_data(const std::string& text,
                                                                      const std::string& secret_key) {
  try {
    const auto j = nlohmann::json::parse(crypto::loads(text, secret_key, kSalt));
    if (!j.is_object()) return std::nullopt;
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // tampered, another key, or not JSON: no session
  }
}

std::vector<db::Migration> migrations() {
  return {{"sessions", "0001_initial", [](db::Connection& c) {
             const bool pg = c.engine() == db::Engine::postgresql;
             if (!db::table_exists(c, "django_session")) {
               c.execute(std::string("CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY, "
                                     "session_data text NOT NULL, expire_date ") +
                         (pg ? "timestamp with time zone" : "datetime") + " NOT NULL)");
               c.execute("CREATE INDEX django_session_expire_date_idx ON django_session (expire_date)");
             }
             c.execute(std::string("CREATE TABLE IF NOT EXISTS gatehouse_session_meta (session_key varchar(40) NOT NULL "
                                   "PRIMARY KEY, user_id bigint NULL, created ") +
                       (pg ? "timestamp with time zone" : "datetime") + " NOT NULL, last_seen " +
                       (pg ? "timestamp with time zone" : "datetime") +
                       " NOT NULL, address varchar(64) NOT NULL, user_agent varchar(512) NOT NULL)");
             c.execute("CREATE INDEX IF NOT EXISTS gatehouse_session_meta_user_idx ON gatehouse_session_meta (user_id)");
           }}};
}

DatabaseSessionStore::DatabaseSessionStore(db::Database& db, std::string secret_key, const core::Clock& clock)
    : db_(db), secret_key_(std::move(secret_key)), clock_(clock) {}

std::optional<SessionRecord> DatabaseSessionStore::load(const std::string& key) {  // the cookie is the key
  if (key.empty() || key.size() > 40) return std::nullopt;
  auto c = db_.acquire();
  const auto now = models::format_timestamp(models::Timestamp::now(clock_), c->engine());
  const db::Result r = c->execute(
      "SELECT s.session_data, s.expire_date, m.user_id, m.created, m.last_seen, m.address, m.user_agent "
      "FROM django_session s LEFT JOIN gatehouse_session_meta m ON m.session_key = s.session_key "
      "WHERE s.session_key = ? AND s.expire_date > ?",
      {key, now});
  if (r.empty()) return std::nullopt;
  const auto& row = r.rows[0];
  auto data = decode_session_data(row[0].as_text(), secret_key_);
  if (!data) return std::nullopt;
  SessionRecord rec;
  rec.key = key;
  rec.data = std::move(*data);
  rec.expire = ts(row[1]);
  if (!row[2].is_null()) rec.user_id = row[2].as_int();
  rec.created = row[3].is_null() ? rec.expire : ts(row[3]);
  rec.last_seen = row[4].is_null() ? rec.created : ts(row[4]);
  rec.address = row[5].is_null() ? "" : row[5].as_text();
  rec.user_agent = row[6].is_null() ? "" : row[6].as_text();
  return rec;
}

std::string DatabaseSessionStore::save(const SessionRecord& rec) {
  auto c = db_.acquire();
  const auto e = c->engine();
  db::Transaction tx(*c);
  const std::string data = encode_session_data(rec.data, secret_key_);
  c->execute("DELETE FROM django_session WHERE session_key = ?", {rec.key});
  c->execute("INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, ?, ?)",
             {rec.key, data, models::format_timestamp(rec.expire, e)});
  c->execute("DELETE FROM gatehouse_session_meta WHERE session_key = ?", {rec.key});
  c->execute("INSERT INTO gatehouse_session_meta (session_key, user_id, created, last_seen, address, user_agent) "
             "VALUES (?, ?, ?, ?, ?, ?)",
             {rec.key, rec.user_id ? db::Value(*rec.user_id) : db::Value(), models::format_timestamp(rec.created, e),
              models::format_timestamp(rec.last_seen, e), rec.address.substr(0, 64), rec.user_agent.substr(0, 512)});
  tx.commit();
  return rec.key;
}

bool DatabaseSessionStore::remove(const std::string& key) {
  auto c = db_.acquire();
  db::Transaction tx(*c);
  const auto n = c->execute("DELETE FROM django_session WHERE session_key = ?", {key}).affected;
  c->execute("DELETE FROM gatehouse_session_meta WHERE session_key = ?", {key});
  tx.commit();
  return n > 0;
}

std::vector<SessionRecord> DatabaseSessionStore::for_user(std::int64_t user_id) {
  std::vector<std::string> keys;
  {
    auto c = db_.acquire();
    const auto now = models::format_timestamp(models::Timestamp::now(clock_), c->engine());
    for (const auto& row : c->execute("SELECT m.session_key FROM gatehouse_session_meta m JOIN django_session s ON "
                                      "s.session_key = m.session_key WHERE m.user_id = ? AND s.expire_date > ? "
                                      "ORDER BY m.last_seen DESC",
                                      {user_id, now})
                               .rows)
      keys.push_back(row[0].as_text());
  }
  std::vector<SessionRecord> out;
  for (const auto& k : keys)
    if (auto rec = load(k)) out.push_back(std::move(*rec));
  return out;
}

std::size_t DatabaseSessionStore::remove_for_user(std::int64_t user_id, const std::string& keep) {
  auto c = db_.acquire();
  db::Transaction tx(*c);
  const auto n = c->execute("DELETE FROM django_session WHERE session_key IN (SELECT session_key FROM "
                            "gatehouse_session_meta WHERE user_id = ? AND session_key <> ?)",
                            {user_id, keep})
                     .affected;
  c->execute("DELETE FROM gatehouse_session_meta WHERE user_id = ? AND session_key <> ?", {user_id, keep});
  tx.commit();
  return static_cast<std::size_t>(n);
}

std::size_t DatabaseSessionStore::clear_expired() {
  auto c = db_.acquire();
  db::Transaction tx(*c);
  const auto now = models::format_timestamp(models::Timestamp::now(clock_), c->engine());
  const auto n = c->execute("DELETE FROM django_session WHERE expire_date <= ?", {now}).affected;
  c->execute("DELETE FROM gatehouse_session_meta WHERE session_key NOT IN (SELECT session_key FROM django_session)");
  tx.commit();
  return static_cast<std::size_t>(n);
}

}  // namespace gatehouse::sessions
