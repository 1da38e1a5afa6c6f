// DatabaseCache: two tables in the configured database. Expiry times are
// milliseconds since the Unix epoch (the injected clock: by default the wall
// clock, shared by every server on the database). Each operation is one statement or one short transaction;
// counters are a single upsert, so concurrent increments from several
// processes never lose a count.
#include <string>

#include "gatehouse/cache/cache.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/error.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/db/transaction.h"
#include "validate.h"

namespace gatehouse::cache {

namespace {

// Milliseconds since the Unix epoch by `clock`, as the expires columns hold them.
std::int64_t now_ms(const core::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

// Runs f, turning a database failure into the cache's own error.
template <class F>
auto guarded(F&& f) {
  try {
    return f();
  } catch (const db::DatabaseError& e) {
    throw CacheError(std::string("database cache: ") + e.what());
  }
}

class DatabaseCache final : public Cache {
 public:
  DatabaseCache(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  std::optional<std::string> get(std::string_view key) override {
    return guarded([&]() -> std::optional<std::string> {
      const auto r = db_.acquire()->execute("SELECT value FROM gatehouse_cache WHERE cache_key = ? AND expires > ?",
                                            {key, now_ms(clock_)});
      if (r.empty()) return std::nullopt;
      return r.rows[0][0].as_text();
    });
  }
  void set(std::string_view key, std::string_view value, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    guarded([&] {
      db_.acquire()->execute(
          "INSERT INTO gatehouse_cache (cache_key, value, expires) VALUES (?, ?, ?) ON CONFLICT (cache_key) "
          "DO UPDATE SET value = excluded.value, expires = excluded.expires",
          {key, value, now_ms(clock_) + ttl.count()});
      return 0;
    });
  }
  bool add(std::string_view key, std::string_view value, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    return guarded([&] {
      const auto now = now_ms(clock_);
      return db_.acquire()
                 ->execute("INSERT INTO gatehouse_cache (cache_key, value, expires) VALUES (?, ?, ?) ON CONFLICT "
                           "(cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
                           "WHERE gatehouse_cache.expires <= ?",
                           {key, value, now + ttl.count(), now})
                 .affected > 0;
    });
  }
  bool remove(std::string_view key) override {
    return guarded([&] {
      const auto r = db_.acquire()->execute("DELETE FROM gatehouse_cache WHERE cache_key = ? RETURNING expires", {key});
      return !r.empty() && r.rows[0][0].as_int() > now_ms(clock_);
    });
  }
  std::int64_t incr(std::string_view key, std::int64_t delta, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    return guarded([&] {
      const auto now = now_ms(clock_);
      // The SET expressions see the old row: an expired counter restarts.
      const auto r = db_.acquire()->execute(
          "INSERT INTO gatehouse_cache (cache_key, value, expires) VALUES (?, ?, ?) ON CONFLICT (cache_key) DO UPDATE "
          "SET value = CASE WHEN gatehouse_cache.expires <= ? THEN excluded.value "
          "ELSE CAST(CAST(gatehouse_cache.value AS bigint) + ? AS text) END, "
          "expires = CASE WHEN gatehouse_cache.expires <= ? THEN excluded.expires ELSE gatehouse_cache.expires END "
          "RETURNING value",
          {key, std::to_string(delta), now + ttl.count(), now, delta, now});
      return parse_counter(r.scalar().as_text());
    });
  }
  std::optional<Ttl> ttl(std::string_view key) override {
    return guarded([&]() -> std::optional<Ttl> {
      const auto now = now_ms(clock_);
      const auto r =
          db_.acquire()->execute("SELECT expires FROM gatehouse_cache WHERE cache_key = ? AND expires > ?", {key, now});
      if (r.empty()) return std::nullopt;
      return Ttl(r.rows[0][0].as_int() - now);
    });
  }
  void set_add(std::string_view key, std::string_view member, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    guarded([&] {
      // Every member of a set carries the set's expiry, as one Redis key does.
      const auto now = now_ms(clock_);
      const auto until = now + ttl.count();
      auto c = db_.acquire();
      db::Transaction tx(*c);
      c->execute("DELETE FROM gatehouse_cache_set WHERE set_key = ? AND expires <= ?", {key, now});
      c->execute("INSERT INTO gatehouse_cache_set (set_key, member, expires) VALUES (?, ?, ?) ON CONFLICT "
                 "(set_key, member) DO UPDATE SET expires = excluded.expires",
                 {key, member, until});
      c->execute("UPDATE gatehouse_cache_set SET expires = ? WHERE set_key = ? AND expires < ?", {until, key, until});
      tx.commit();
      return 0;
    });
  }
  void set_remove(std::string_view key, std::string_view member) override {
    guarded([&] {
      db_.acquire()->execute("DELETE FROM gatehouse_cache_set WHERE set_key = ? AND member = ?", {key, member});
      return 0;
    });
  }
  std::vector<std::string> set_members(std::string_view key) override {
    return guarded([&] {
      std::vector<std::string> out;
      for (const auto& row : db_.acquire()
                                 ->execute("SELECT member FROM gatehouse_cache_set WHERE set_key = ? AND expires > ? "
                                           "ORDER BY member",
                                           {key, now_ms(clock_)})
                                 .rows)
        out.push_back(row[0].as_text());
      return out;
    });
  }
  std::size_t clear_expired() override {
    return guarded([&] {
      const auto now = now_ms(clock_);
      auto c = db_.acquire();
      db::Transaction tx(*c);
      auto n = c->execute("DELETE FROM gatehouse_cache WHERE expires <= ?", {now}).affected;
      n += c->execute("DELETE FROM gatehouse_cache_set WHERE expires <= ?", {now}).affected;
      tx.commit();
      return static_cast<std::size_t>(n);
    });
  }

 private:
  db::Database& db_;
  const core::Clock& clock_;
};

}  // namespace

std::unique_ptr<Cache> make_database_cache(db::Database& db, const core::Clock& clock) {
  return std::make_unique<DatabaseCache>(db, clock);
}

std::vector<db::Migration> migrations() {
  return {{"cache", "0001_initial", [](db::Connection& c) {
             c.execute("CREATE TABLE IF NOT EXISTS gatehouse_cache (cache_key varchar(255) NOT NULL PRIMARY KEY, "
                       "value text NOT NULL, expires bigint NOT NULL)");
             c.execute("CREATE INDEX IF NOT EXISTS gatehouse_cache_expires_idx ON gatehouse_cache (expires)");
             c.execute("CREATE TABLE IF NOT EXISTS gatehouse_cache_set (set_key varchar(255) NOT NULL, member "
                       "varchar(255) NOT NULL, expires bigint NOT NULL, PRIMARY KEY (set_key, member))");
           }}};
}

}  // namespace gatehouse::cache
