#include "gatehouse/mail/message.h"

#include <algorithm>
#include <cctype>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"

namespace gatehouse::mail {

namespace {

bool ascii_only(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

void refuse_injection(const std::string& value, const char* what) {
  if (value.find_first_of("\r\n") != std::string::npos)
    throw std::invalid_argument(std::string("header injection refused: a line break in ") + what);
}

// "Name <addr>" with a non-ASCII name encoded; a bare address as it is.
std::string mailbox(const std::string& m) {
  refuse_injection(m, "an address");
  const auto lt = m.rfind('<');
  if (lt == std::string::npos || m.back() != '>') return m;
  std::string name = m.substr(0, lt);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.empty()) return m.substr(lt);
  if (!ascii_only(name)) return encode_header_words(name) + " " + m.substr(lt);
  if (name.find_first_of(",;:\"()<>@[]") != std::string::npos && name.front() != '"')
    name = "\"" + name + "\"";
  return name + " " + m.substr(lt);
}

std::string join_mailboxes(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& m : list) out += (out.empty() ? "" : ", ") + mailbox(m);
  return out;
}

bool needs_qp(const std::string& text) {
  if (!ascii_only(text)) return true;
  std::size_t line = 0;
  for (char c : text) {
    line = c == '\n' ? 0 : line + 1;
    if (line > 998) return true;
  }
  return false;
}

std::string text_part(const std::string& subtype, const std::string& text) {
  std::string out = "Content-Type: text/" + subtype + "; charset=\"utf-8\"\r\n";
  if (needs_qp(text)) {
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + quoted_printable(text);
  } else {
    out += "Content-Transfer-Encoding: 7bit\r\n\r\n";
    for (char c : text) {
      if (c == '\n') {
        out += "\r\n";
      } else if (c != '\r') {
        out += c;
      }
    }
  }
  return out + "\r\n";
}

std::string rfc5322_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

std::string encode_header_words(const std::string& text) {
  if (ascii_only(text)) return text;
  // Split into encoded words of at most 45 input bytes, on UTF-8 boundaries.
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = std::min(text.size(), i + 45);
    // Back to the start of a character, but never to `i`: bytes that are not
    // UTF-8 (45 continuation bytes in a row) are cut where they are.
    while (end > i + 1 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (end == i + 1 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      end = std::min(text.size(), i + 45);
    if (!out.empty()) out += " ";
    out += "=?utf-8?b?" + core::base64_encode(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string quoted_printable(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out, line;
  const auto flush = [&](bool soft) {
    out += line + (soft ? "=\r\n" : "\r\n");
    line.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      // Trailing space or tab before a line break must be encoded.
      if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
        const char last = line.back();
        line.pop_back();
        line += last == ' ' ? "=20" : "=09";
      }
      flush(false);
      continue;
    }
    if (c == '\r') continue;
    std::string piece;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      piece = std::string(1, static_cast<char>(c));
    } else {
      piece = {'=', kHex[c >> 4], kHex[c & 15]};
    }
    if (line.size() + piece.size() > 75) flush(true);
    line += piece;
  }
  out += line;
  return out;
}

std::vector<std::string> EmailMessage::recipients() const {
  std::vector<std::string> out;
  for (const auto* list : {&to, &cc, &bcc})
    for (const auto& m : *list) out.push_back(address_of(m));
  return out;
}

std::string EmailMessage::address_of(const std::string& m) {
  const auto lt = m.rfind('<');
  if (lt != std::string::npos && m.back() == '>') return m.substr(lt + 1, m.size() - lt - 2);
  return m;
}

namespace {
bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

std::string EmailMessage::to_mime() const {
  if (recipients().empty()) throw std::invalid_argument("an email needs at least one recipient");
  refuse_injection(subject, "the subject");
  std::string out;
  out += "From: " + mailbox(from_email) + "\r\n";
  if (!to.empty()) out += "To: " + join_mailboxes(to) + "\r\n";
  if (!cc.empty()) out += "Cc: " + join_mailboxes(cc) + "\r\n";
  if (!reply_to.empty()) out += "Reply-To: " + join_mailboxes(reply_to) + "\r\n";
  out += "Subject: " + encode_header_words(subject) + "\r\n";
  out += "Date: " + rfc5322_date() + "\r\n";
  const std::string domain = [&] {
    const std::string addr = address_of(from_email);
    const auto at = addr.rfind('@');
    return at == std::string::npos ? std::string("localhost") : addr.substr(at + 1);
  }();
  // One Message-ID: the caller's, if it gave one (Django's make_msgid unless set).
  const bool own_id = std::any_of(headers.begin(), headers.end(), [](const auto& h) { return iequals_ascii(h.first, "Message-ID"); });
  if (!own_id) out += "Message-ID: <" + core::random_string(24) + "@" + domain + ">\r\n";
  for (const auto& [name, value] : headers) {
    refuse_injection(name, "a header name");
    refuse_injection(value, "a header value");
    out += name + ": " + encode_header_words(value) + "\r\n";
  }
  out += "MIME-Version: 1.0\r\n";
  if (!html_body) return out + text_part("plain", body);
  const std::string boundary = "==gatehouse-" + core::random_string(24);
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + text_part("plain", body);
  out += "--" + boundary + "\r\n" + text_part("html", *html_body);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace gatehouse::mail
