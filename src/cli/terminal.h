// Talking to the person at the terminal: prompts, and passwords without echo.
#pragma once

#include <optional>
#include <string>

namespace gatehouse::cli {

bool stdin_is_terminal();
// Prints `prompt` and reads a line (without its newline); nullopt at EOF.
std::optional<std::string> prompt_line(const std::string& prompt);
// As prompt_line with the terminal's echo off (restored even on error).
std::optional<std::string> prompt_password(const std::string& prompt);

}  // namespace gatehouse::cli
