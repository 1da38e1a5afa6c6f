// The schema of the auth layer, and migrate() for it.
//
// Compatible with Django 3.2+: on a database Django already migrated, the
// tables are adopted as they are (a table that exists is not created again).
// The accounts service (app::service_migrations) also records Django's own
// migration names in django_migrations, so a Django project sharing a
// Gatehouse-made database finds nothing to apply; a library user who calls
// only auth::migrate has a Django project run `manage.py migrate --fake-initial`.
#pragma once

#include <string>
#include <vector>

#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"

namespace gatehouse::auth {

// contenttypes and auth in Django's schema, then Gatehouse's own
// gatehouse_password_change_required (auth/password_change.h).
std::vector<db::Migration> migrations();

// Registers the auth models, connects create_default_permissions to
// post_migrate, and applies `extra` after the auth migrations. Returns the
// migrations applied now.
std::vector<std::string> migrate(db::Database& db, const std::vector<db::Migration>& extra = {});

}  // namespace gatehouse::auth
