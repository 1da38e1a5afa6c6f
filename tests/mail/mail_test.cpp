// Messages and backends. Encoding is checked by a real parser: Python's email
// package reads what to_mime() wrote and must get the original text back.
#include <gtest/gtest.h>

#include "gatehouse/core/random.h"
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gatehouse/mail/backend.h"
#include "gatehouse/mail/message.h"

namespace gatehouse::mail {
namespace {

// Parses `mime` with Python's email package; returns "subject\nfrom\nto\nplain\nhtml".
std::string parsed_by_python(const std::string& mime) {
  // Names of this call's own: ctest runs the cases of this file in parallel processes.
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "-" + gatehouse::core::random_string(8);
  const std::string in = (dir / ("gatehouse-mail-test-" + tag + ".eml")).string();
  std::ofstream(in, std::ios::binary) << mime;
  const std::string script =
      "import sys, email, email.policy\n"
      "m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n"
      "plain = m.get_body(('plain',)); html = m.get_body(('html',))\n"
      "sys.stdout.write('\\n'.join([str(m['subject']), str(m['from']), str(m['to']),\n"
      "  plain.get_content().replace('\\r\\n', '\\n').rstrip('\\n') if plain else '',\n"
      "  html.get_content().rstrip('\\n') if html else '']))\n";
  const std::string py = (dir / ("gatehouse-mail-test-" + tag + ".py")).string();
  std::ofstream(py) << script;
  const std::string cmd = "/usr/bin/python3 " + py + " " + in;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  std::filesystem::remove(in);
  std::filesystem::remove(py);
  return out;
}

EmailMessage sample() {
  EmailMessage m;
  m.subject = "Réinitialisation du mot de passe — 密码重置";
  m.body = "Bonjour Zoë,\n\nVotre code : 12345678\n" + std::string(1200, 'x') + "\nFin.";
  m.from_email = "Équipe Gatehouse <noreply@example.com>";
  m.to = {"Zoë Ünicode <zoe@example.com>", "plain@example.com"};
  m.bcc = {"audit@example.com"};
  return m;
}

TEST(Message, NonAsciiSubjectNamesAndBodiesSurviveARealParser) {
  const EmailMessage m = sample();
  const std::string mime = m.to_mime();
  for (char c : mime) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << "8-bit byte in the message";
  EXPECT_EQ(mime.find("audit@example.com"), std::string::npos) << "Bcc must not appear in the text";
  EXPECT_EQ(parsed_by_python(mime),
            m.subject + "\n" + m.from_email + "\n" + "Zoë Ünicode <zoe@example.com>, plain@example.com\n" + m.body + "\n");
}

TEST(Message, HtmlAlternative) {
  EmailMessage m = sample();
  m.html_body = "<p>Bonjour <b>Zoë</b></p>";
  const std::string mime = m.to_mime();
  EXPECT_NE(mime.find("multipart/alternative"), std::string::npos);
  const std::string parsed = parsed_by_python(mime);
  EXPECT_TRUE(parsed.ends_with("\n<p>Bonjour <b>Zoë</b></p>")) << parsed;
}

TEST(Message, RecipientsAndHeaderInjection) {
  EmailMessage m = sample();
  EXPECT_EQ(m.recipients(), (std::vector<std::string>{"zoe@example.com", "plain@example.com", "audit@example.com"}));
  m.subject = "Hello\r\nBcc: victim@example.com";
  EXPECT_THROW(m.to_mime(), std::invalid_argument);
  m = sample();
  m.to = {"a@example.com\nBcc: x@example.com"};
  EXPECT_THROW(m.to_mime(), std::invalid_argument);
  m = sample();
  m.headers = {{"X-Tag", "a\nb"}};
  EXPECT_THROW(m.to_mime(), std::invalid_argument);
  m = sample();
  m.to.clear();
  m.bcc.clear();
  EXPECT_THROW(m.to_mime(), std::invalid_argument);
}

TEST(Message, QuotedPrintableRules) {
  EXPECT_EQ(quoted_printable("a=b"), "a=3Db");
  EXPECT_EQ(quoted_printable("trailing \nx"), "trailing=20\r\nx");
  const std::string qp = quoted_printable(std::string(200, 'y'));
  for (std::size_t start = 0, nl; (nl = qp.find("\r\n", start)) != std::string::npos; start = nl + 2)
    EXPECT_LE(nl - start, 76u);
  EXPECT_EQ(encode_header_words("plain"), "plain");
  EXPECT_EQ(encode_header_words("é"), "=?utf-8?b?w6k=?=");
}

TEST(Backends, MemoryFileAndConsole) {
  clear_memory_outbox();
  auto memory = backend_from_url("memory:");
  EXPECT_EQ(send_mail(*memory, "Hi", "Body", "from@example.com", {"to@example.com"}), 1u);
  ASSERT_EQ(memory_outbox().size(), 1u);
  EXPECT_EQ(memory_outbox()[0].subject, "Hi");

  const auto dir = std::filesystem::temp_directory_path() / "gatehouse-file-backend-test";
  std::filesystem::remove_all(dir);
  auto file = backend_from_url("file:" + dir.string());
  EXPECT_EQ(file->send_messages({sample(), sample()}), 2u);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().extension(), ".eml");
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("MIME-Version: 1.0"), std::string::npos);
  }
  EXPECT_EQ(files, 2);
  std::filesystem::remove_all(dir);

  testing::internal::CaptureStdout();
  backend_from_url("console:")->send_messages({sample()});
  const std::string printed = testing::internal::GetCapturedStdout();
  EXPECT_NE(printed.find("Subject: =?utf-8?b?"), std::string::npos);

  EXPECT_THROW(backend_from_url("pigeon://coop"), std::invalid_argument);
  EXPECT_THROW(backend_from_url("file:"), std::invalid_argument);
  EXPECT_THROW(backend_from_url("file:/proc/no/such/dir"), std::runtime_error);
}

}  // namespace
}  // namespace gatehouse::mail
