#include "gatehouse/db/migrations.h"

#include "gatehouse/db/transaction.h"

namespace gatehouse::db {

namespace {

// Serialises migrators across processes for the rest of the transaction.
void lock_migrations(Connection& conn) {
  if (conn.engine() == Engine::postgresql) {
    conn.execute("SELECT pg_advisory_xact_lock(7420391825)");  // any fixed key; ours
  }
  // SQLite: BEGIN IMMEDIATE already holds the database's write lock.
}

void ensure_table(Connection& conn) {
  if (conn.engine() == Engine::sqlite) {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS gatehouse_migrations ("
        "id INTEGER PRIMARY KEY AUTOINCREMENT, app VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, "
        "applied TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, UNIQUE (app, name))");
  } else {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS gatehouse_migrations ("
        "id BIGSERIAL PRIMARY KEY, app VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, "
        "applied TIMESTAMPTZ NOT NULL DEFAULT now(), UNIQUE (app, name))");
  }
}

}  // namespace

bool table_exists(Connection& conn, std::string_view table) {
  const Value name{std::string(table)};
  if (conn.engine() == Engine::sqlite)
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", {name}).scalar().as_int() > 0;
  return conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
                      {name})
             .scalar()
             .as_int() > 0;
}

std::vector<std::string> migrate(Database& db, const std::vector<Migration>& migrations) {
  std::vector<std::string> applied;
  auto conn = db.acquire();
  {
    Transaction tx(*conn);
    lock_migrations(*conn);
    ensure_table(*conn);
    tx.commit();
  }
  for (const Migration& m : migrations) {
    Transaction tx(*conn);
    lock_migrations(*conn);
    const bool done = conn->execute("SELECT count(*) FROM gatehouse_migrations WHERE app = ? AND name = ?",
                                    {Value(m.app), Value(m.name)})
                          .scalar()
                          .as_int() > 0;
    if (done) continue;  // another process, or an earlier run, applied it
    m.apply(*conn);
    conn->execute("INSERT INTO gatehouse_migrations (app, name) VALUES (?, ?)", {Value(m.app), Value(m.name)});
    tx.commit();
    applied.push_back(m.app + "." + m.name);
  }
  return applied;
}

std::vector<std::string> applied_migrations(Database& db) {
  auto conn = db.acquire();
  if (!table_exists(*conn, "gatehouse_migrations")) return {};
  std::vector<std::string> out;
  for (const auto& row : conn->execute("SELECT app, name FROM gatehouse_migrations ORDER BY id").rows)
    out.push_back(row[0].as_text() + "." + row[1].as_text());
  return out;
}

}  // namespace gatehouse::db
