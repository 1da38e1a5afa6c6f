// The `gatehouse` commands that work on the database (DESIGN.md, "CLI").
#pragma once

#include <CLI/CLI.hpp>

namespace gatehouse::cli {

// Each adds its subcommand to `app`; `exit_code` receives its result.
void add_migrate_command(CLI::App& app, int& exit_code);
void add_createsuperuser_command(CLI::App& app, int& exit_code);
void add_changepassword_command(CLI::App& app, int& exit_code);
void add_check_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);
void add_clearsessions_command(CLI::App& app, int& exit_code);
void add_sendtestemail_command(CLI::App& app, int& exit_code);
void add_worker_command(CLI::App& app, int& exit_code);

}  // namespace gatehouse::cli
