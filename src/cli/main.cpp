// The `gatehouse` command: Gatehouse's manage.py (DESIGN.md, "CLI").
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "gatehouse/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Gatehouse: users, passwords, sessions and signals for C++ services"};
  app.set_version_flag("--version", gatehouse::kVersion);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (argc == 1) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  return 0;
}
