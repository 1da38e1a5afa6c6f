#include "terminal.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace gatehouse::cli {

bool stdin_is_terminal() { return isatty(STDIN_FILENO) == 1; }

std::optional<std::string> prompt_line(const std::string& prompt) {
  std::fputs(prompt.c_str(), stderr);
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<std::string> prompt_password(const std::string& prompt) {
  termios old{};
  const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  struct Restore {
    bool on;
    termios saved;
    ~Restore() {
      if (on) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
  } restore{tty, old};
  auto line = prompt_line(prompt);
  if (tty) std::fputs("\n", stderr);
  return line;
}

}  // namespace gatehouse::cli
