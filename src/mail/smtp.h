// The SMTP backend (GATEHOUSE_EMAIL_URL=smtp://...). Internal to the mail
// layer: backend_from_url() makes it.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "gatehouse/mail/backend.h"

namespace gatehouse::mail {

struct SmtpOptions {
  std::string host;
  int port = 25;
  std::string username, password;  // login when set
  bool starttls = false;           // require STARTTLS (smtp://...?starttls=1)
  bool implicit_tls = false;       // smtps://
  std::string ca_file;             // CA certificates to verify the server with (default: the system's)
  std::chrono::seconds timeout{10};
};

// smtp[s]://[user:password@]host[:port][?starttls=1&timeout=SECONDS&cafile=PATH]
SmtpOptions parse_smtp_url(const std::string& url);

class SmtpBackend final : public EmailBackend {
 public:
  explicit SmtpBackend(SmtpOptions options);
  ~SmtpBackend() override;
  // Sends in order on one connection (reused across calls while the server
  // keeps it); throws std::runtime_error at the first failure, after the
  // messages before it were sent.
  std::size_t send_messages(const std::vector<EmailMessage>& messages) override;

 private:
  struct Handle;
  void send_one(const EmailMessage& m);
  SmtpOptions options_;
  std::mutex mu_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace gatehouse::mail
