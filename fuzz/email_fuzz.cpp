// Feeds email headers and bodies to mail::EmailMessage::to_mime(), which
// encodes subjects and display names (RFC 2047) and bodies (quoted-printable).
// Input: up to six fields separated by NUL bytes: subject, From display name,
// To display name, the value of an extra header, the text body, and the HTML
// body (when there is a sixth field). Addresses are fixed ASCII.
// Properties: to_mime refuses (std::invalid_argument) exactly when a header
// field holds a CR or LF; otherwise its output is ASCII, every CR and LF is
// part of a CRLF, and the header block holds only the headers to_mime writes,
// one Subject and one To (no header injection).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/mail/message.h"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "email_fuzz: %s\n", what);
  std::abort();
}

std::vector<std::string> fields(std::string_view input) {
  std::vector<std::string> out;
  while (out.size() < 5) {
    const auto nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    out.emplace_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  out.emplace_back(input);
  return out;
}

bool has_line_break(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

std::string mailbox(const std::string& name, const char* address) {
  return name.empty() ? std::string(address) : name + " <" + address + ">";
}

// The header block: lines up to the first empty one, each a header to_mime writes.
void check_headers(std::string_view mime) {
  static constexpr std::string_view kNames[] = {"From: ",         "To: ",         "Subject: ",
                                                "Date: ",         "Message-ID: ", "X-Gatehouse-Fuzz: ",
                                                "MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: "};
  int subjects = 0, tos = 0;
  while (true) {
    const auto end = mime.find("\r\n");
    require(end != std::string_view::npos, "the header block does not end");
    const std::string_view line = mime.substr(0, end);
    mime.remove_prefix(end + 2);
    if (line.empty()) break;
    bool known = false;
    for (const auto name : kNames) known = known || line.starts_with(name);
    require(known, "a header line that to_mime does not write");
    subjects += line.starts_with("Subject: ") ? 1 : 0;
    tos += line.starts_with("To: ") ? 1 : 0;
  }
  require(subjects == 1 && tos == 1, "not exactly one Subject and one To");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto f = fields(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto field = [&f](std::size_t i) { return i < f.size() ? f[i] : std::string(); };
  gatehouse::mail::EmailMessage m;
  m.subject = field(0);
  m.from_email = mailbox(field(1), "from@example.com");
  m.to = {mailbox(field(2), "to@example.com")};
  m.headers = {{"X-Gatehouse-Fuzz", field(3)}};
  m.body = field(4);
  if (f.size() > 5) m.html_body = field(5);
  const bool injection = has_line_break(field(0)) || has_line_break(field(1)) || has_line_break(field(2)) ||
                         has_line_break(field(3));

  std::string mime;
  try {
    mime = m.to_mime();
  } catch (const std::invalid_argument&) {
    require(injection, "to_mime refused a message without a line break in a header");
    return 0;
  }
  require(!injection, "to_mime accepted a line break in a header");
  for (std::size_t i = 0; i < mime.size(); ++i) {
    const auto c = static_cast<unsigned char>(mime[i]);
    require(c < 0x80, "the message is not ASCII");
    if (c == '\r') require(i + 1 < mime.size() && mime[i + 1] == '\n', "a CR without LF");
    if (c == '\n') require(i > 0 && mime[i - 1] == '\r', "an LF without CR");
  }
  check_headers(mime);
  return 0;
}
