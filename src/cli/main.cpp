// The `gatehouse` command: Gatehouse's manage.py (DESIGN.md, "CLI").
// Bad input gets one line on stderr and exit status 2.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "gatehouse/version.h"
#include "commands.h"
#include "password_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Gatehouse: users, passwords, sessions and signals for C++ services"};
  app.set_version_flag("--version", gatehouse::kVersion);
  app.require_subcommand(0, 1);
  int exit_code = 0;
  gatehouse::cli::add_serve_command(app, exit_code);
  gatehouse::cli::add_migrate_command(app, exit_code);
  gatehouse::cli::add_createsuperuser_command(app, exit_code);
  gatehouse::cli::add_changepassword_command(app, exit_code);
  gatehouse::cli::add_check_command(app, exit_code);
  gatehouse::cli::add_clearsessions_command(app, exit_code);
  gatehouse::cli::add_sendtestemail_command(app, exit_code);
  gatehouse::cli::add_worker_command(app, exit_code);
  gatehouse::cli::add_password_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gatehouse: %s (see gatehouse --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gatehouse: %s\n", e.what());
    return 2;
  }
  if (argc == 1) std::fputs(app.help().c_str(), stdout);
  return exit_code;
}
