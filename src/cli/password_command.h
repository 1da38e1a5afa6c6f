// `gatehouse password hash|check` (DESIGN.md, "CLI").
#pragma once

#include <CLI/CLI.hpp>

namespace gatehouse::cli {

// Adds the `password` command to `app`; `exit_code` receives the result of
// whichever of its subcommands runs.
void add_password_command(CLI::App& app, int& exit_code);

}  // namespace gatehouse::cli
