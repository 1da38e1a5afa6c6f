// Schema from model metadata, for migrations, and migrate() with post_migrate.
#pragma once

#include <string>
#include <vector>

#include "gatehouse/db/migrations.h"
#include "gatehouse/models/model.h"

namespace gatehouse::models {

// CREATE TABLE IF NOT EXISTS for `m` on the connection's engine, in Django's
// style (deferrable foreign keys, an index per foreign key), then its indexes.
void create_table(db::Connection& conn, const ModelInfoBase& m);
std::vector<std::string> create_table_sql(const ModelInfoBase& m, db::Engine engine);

// db::migrate, then post_migrate (sender: none) with the migrations applied.
std::vector<std::string> migrate(db::Database& db, const std::vector<db::Migration>& migrations);

}  // namespace gatehouse::models
