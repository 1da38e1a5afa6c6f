#include "gatehouse/models/schema.h"

namespace gatehouse::models {

std::vector<std::string> create_table_sql(const ModelInfoBase& m, db::Engine engine) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + m.table() + " (";
  std::vector<std::string> indexes;
  bool first = true;
  for (const auto& f : m.fields()) {
    sql += first ? "" : ", ";
    first = false;
    if (f.primary_key) {
      sql += f.column + (engine == db::Engine::sqlite ? " integer NOT NULL PRIMARY KEY AUTOINCREMENT"
                                                      : " bigserial NOT NULL PRIMARY KEY");
      continue;
    }
    sql += f.column + " " + f.sql_type(engine, f.options) + (f.nullable ? " NULL" : " NOT NULL");
    if (f.options.unique) sql += " UNIQUE";
    if (const auto& r = f.options.references) {
      sql += " REFERENCES " + r->table + " (" + r->column + ") DEFERRABLE INITIALLY DEFERRED";
      if (!f.options.unique) indexes.push_back(f.column);
    } else if (f.options.db_index && !f.options.unique) {
      indexes.push_back(f.column);
    }
  }
  sql += ")";
  std::vector<std::string> out{sql};
  for (const auto& cols : m.unique_together()) {
    std::string name = m.table(), list;
    for (const auto& c : cols) {
      name += "_" + c;
      list += (list.empty() ? "" : ", ") + c;
    }
    out.push_back("CREATE UNIQUE INDEX IF NOT EXISTS " + name + "_uniq ON " + m.table() + " (" + list + ")");
  }
  for (const auto& col : indexes)
    out.push_back("CREATE INDEX IF NOT EXISTS " + m.table() + "_" + col + "_idx ON " + m.table() + " (" + col + ")");
  return out;
}

void create_table(db::Connection& conn, const ModelInfoBase& m) {
  for (const auto& sql : create_table_sql(m, conn.engine())) conn.execute(sql);
}

std::vector<std::string> migrate(db::Database& db, const std::vector<db::Migration>& migrations) {
  std::vector<std::string> applied = db::migrate(db, migrations);
  if (post_migrate.has_listeners()) {
    auto conn = db.acquire();
    MigrateEvent e;
    e.connection = &*conn;
    e.applied = &applied;
    post_migrate.send(signals::Sender{}, e);
  }
  return applied;
}

}  // namespace gatehouse::models
