// The SMTP backend against a real SMTP server (Debian's python3-aiosmtpd,
// tests/mail/smtp_sink.py) on loopback: plain, STARTTLS with login and a
// verified certificate, connection reuse, timeouts, and failures that say
// what went wrong without the password.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gatehouse/core/random.h"
#include "gatehouse/mail/backend.h"

namespace gatehouse::mail {
namespace {

namespace fs = std::filesystem;

// smtp_sink.py in a child process; stopped (stdin closed, then killed) at the end.
class SmtpSink {
 public:
  explicit SmtpSink(std::vector<std::string> options = {}) {
    dir_ = fs::temp_directory_path() / ("gatehouse-smtp-" + core::random_string(10, "abcdefghijklmnopqrstuvwxyz"));
    fs::create_directories(dir_);
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe");
    std::vector<std::string> args{"/usr/bin/python3", SMTP_SINK, dir_.string()};
    args.insert(args.end(), options.begin(), options.end());
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    if (!line.starts_with("PORT ")) throw std::runtime_error("smtp_sink.py did not start: " + line);
    port_ = std::stoi(line.substr(5));
  }
  ~SmtpSink() {
    close(stdin_);
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    fs::remove_all(dir_);
  }
  int port() const { return port_; }
  std::vector<std::string> messages() const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".eml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(read_file(f));
    return out;
  }
  int connections() const {
    std::ifstream in(dir_ / "connections.log");
    int n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  }
  static std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

EmailMessage message(const std::string& subject) {
  EmailMessage m;
  m.subject = subject;
  m.body = "Bonjour Zoë,\n.\nA line that is only a dot, above, must survive.\n";
  m.from_email = "Équipe Gatehouse <noreply@example.com>";
  m.to = {"Zoë <zoe@example.com>"};
  m.bcc = {"audit@example.com"};
  return m;
}

TEST(Smtp, DeliversOverOneReusedConnection) {
  SmtpSink sink;
  auto backend = backend_from_url("smtp://127.0.0.1:" + std::to_string(sink.port()));
  EXPECT_EQ(backend->send_messages({message("first — ünï"), message("second")}), 2u);
  EXPECT_EQ(backend->send_messages({message("third")}), 1u);
  const auto got = sink.messages();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_NE(got[0].find("X-Envelope-From: noreply@example.com"), std::string::npos) << got[0];
  EXPECT_NE(got[0].find("X-Envelope-To: zoe@example.com, audit@example.com"), std::string::npos) << "bcc is an envelope recipient";
  EXPECT_EQ(got[0].find("audit@example.com", got[0].find("\r\n\r\n")), std::string::npos) << "but not in the text";
  EXPECT_NE(got[0].find("Subject: =?utf-8?b?"), std::string::npos);
  EXPECT_NE(got[0].find("\r\n.\r\nA line that is only a dot"), std::string::npos) << "dot-stuffing undone by the server";
  EXPECT_EQ(sink.connections(), 1) << "three messages, one connection";
}

TEST(Smtp, StartTlsWithLoginAndAVerifiedCertificate) {
  const fs::path dir = fs::temp_directory_path() / ("gatehouse-tls-" + core::random_string(8, "abcdefgh"));
  fs::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
                          "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " + key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  SmtpSink sink({"--starttls", cert, key, "--login", "mailer:s3cret pass"});
  const std::string where = "127.0.0.1:" + std::to_string(sink.port());
  auto good = backend_from_url("smtp://mailer:s3cret%20pass@" + where + "?starttls=1&cafile=" + cert);
  EXPECT_EQ(good->send_messages({message("over TLS")}), 1u);
  ASSERT_EQ(sink.messages().size(), 1u);

  try {
    backend_from_url("smtp://mailer:wrong-password@" + where + "?starttls=1&cafile=" + cert)->send_messages({message("x")});
    ADD_FAILURE() << "a wrong password was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("wrong-password"), std::string::npos) << "secrets never appear in errors";
    EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
  }
  EXPECT_THROW(backend_from_url("smtp://mailer:s3cret%20pass@" + where + "?starttls=1")->send_messages({message("x")}),
               std::runtime_error)
      << "an unknown certificate is refused";
  EXPECT_THROW(backend_from_url("smtp://mailer:s3cret%20pass@" + where)->send_messages({message("x")}), std::runtime_error)
      << "this server requires STARTTLS: plain text is refused";
  EXPECT_EQ(sink.messages().size(), 1u);
  fs::remove_all(dir);
}

TEST(Smtp, ASlowServerTimesOutAndAnAbsentOneFailsFast) {
  SmtpSink slow({"--delay-ms", "4000"});
  auto backend = backend_from_url("smtp://127.0.0.1:" + std::to_string(slow.port()) + "?timeout=1");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(backend->send_messages({message("slow")}), std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_THROW(backend_from_url("smtp://127.0.0.1:1")->send_messages({message("nobody home")}), std::runtime_error);
}

TEST(Smtp, BadUrlsAreRefusedAtStartUp) {
  for (const char* bad : {"smtp://", "smtp://host:0", "smtp://host:99999", "smtp://host:25?starttls=maybe",
                          "smtp://host:25?timeout=0", "smtp://host:25?colour=blue", "smtp://host/path"})
    EXPECT_THROW(backend_from_url(bad), std::invalid_argument) << bad;
  EXPECT_NO_THROW(backend_from_url("smtps://user:pw@mail.example.com"));
}

}  // namespace
}  // namespace gatehouse::mail
