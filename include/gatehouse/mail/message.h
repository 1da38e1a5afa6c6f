// EmailMessage: an email with a plain-text body, an optional HTML alternative,
// and headers; to_mime() renders it as RFC 5322 / MIME text, UTF-8
// throughout: non-ASCII subjects and display names become RFC 2047 encoded
// words, non-ASCII or long-lined bodies are quoted-printable.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gatehouse::mail {

struct EmailMessage {
  std::string subject{};
  std::string body{};                      // text/plain
  std::optional<std::string> html_body{};  // text/html alternative
  std::string from_email{};                // "addr" or "Display Name <addr>"
  std::vector<std::string> to{}, cc{}, bcc{}, reply_to{};
  std::vector<std::pair<std::string, std::string>> headers{};  // extra headers

  // Every envelope recipient: to, cc and bcc (bcc never appears in the text).
  std::vector<std::string> recipients() const;
  // The bare address of a "Name <addr>" form.
  static std::string address_of(const std::string& mailbox);
  // The message as sent. Throws std::invalid_argument for header injection
  // (a CR or LF in any header value) or no recipient.
  std::string to_mime() const;
};

// RFC 2047 "=?utf-8?b?...?=" when `text` is not plain ASCII, else `text`.
std::string encode_header_words(const std::string& text);
// Quoted-printable (RFC 2045), lines at most 76 characters.
std::string quoted_printable(const std::string& text);

}  // namespace gatehouse::mail
