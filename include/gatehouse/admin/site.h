// The admin site under /admin/: Django's django.contrib.admin for auth's
// users and groups, with the accounts profile as a stacked inline on the
// user's page. Same URLs, form field names, query parameters, buttons,
// redirects, status codes and messages as Django's admin (DESIGN.md,
// "Admin"), server-rendered, without JavaScript, under the pages' strict CSP.
// It is one more route group over auth's operations: the admin login goes
// through auth::Accounts::login (the same throttle as every login), password
// hashing through the hash pool, and every change is written to
// django_admin_log as Django writes it, so either admin shows the other's
// history.
//
//   accounts::Site site{...};                 // as for the accounts pages
//   admin::add_routes(router, site);          // /admin/... and its stylesheet
//   auth::migrate(db, admin::migrations());   // django_admin_log and the audit table
//
// Beyond Django's admin: a sessions panel on the user's page; deactivating a
// user, removing staff or superuser status, or setting a password ends that
// user's sessions; the last active superuser cannot be deleted, deactivated
// or demoted; an audit table (gatehouse_admin_audit) keeps old and new values
// and the actor's name, so it outlives the actor.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gatehouse/accounts/site.h"
#include "gatehouse/db/migrations.h"

namespace gatehouse::admin {

// Adds every admin route to `router`. `site` must outlive the router; its
// templates must hold admin::builtin_templates() (or overrides of them).
void add_routes(http::Router& router, accounts::Site& site);

// The admin's tables: Django's django_admin_log (admin 0001_initial to
// 0003_logentry_add_action_flag_choices, adopted when Django made it) and
// gatehouse_admin_audit. Run after auth's and accounts' migrations.
std::vector<db::Migration> migrations();

// The admin's templates compiled into the library (templates/admin/ in the
// source tree), named "admin/<file>": a deployer overrides one with a file
// of that name under GATEHOUSE_TEMPLATES_DIR/admin/.
std::map<std::string, std::string> builtin_templates();

}  // namespace gatehouse::admin
