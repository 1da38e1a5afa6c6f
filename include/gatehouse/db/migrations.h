// Versioned schema migrations, applied in order and recorded in the table
// gatehouse_migrations (app, name, applied). migrate() is safe to run twice
// and from several processes at once: each migration runs in its own
// transaction under a database-wide lock (PostgreSQL advisory lock; SQLite's
// write lock), and one already recorded is skipped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gatehouse/db/database.h"

namespace gatehouse::db {

struct Migration {
  std::string app;   // e.g. "auth"
  std::string name;  // e.g. "0001_initial"; ordered as given
  // Applies the change inside the migration's transaction. May look at the
  // engine (conn.engine()) and at what exists (to adopt a Django schema).
  std::function<void(Connection& conn)> apply;
};

// Applies every migration not yet recorded; returns "app.name" of each one
// applied now. Throws DatabaseError; a failed migration leaves no trace.
std::vector<std::string> migrate(Database& db, const std::vector<Migration>& migrations);

// "app.name" of every recorded migration, in the order applied.
std::vector<std::string> applied_migrations(Database& db);

// Whether `table` exists in the connection's database (current schema).
bool table_exists(Connection& conn, std::string_view table);

}  // namespace gatehouse::db
