// Email backends (Django's EMAIL_BACKEND), chosen by GATEHOUSE_EMAIL_URL:
//   console:     print each message to standard output (the default)
//   file:/dir    one .eml file per message in /dir
//   memory:      keep messages in memory_outbox() (tests)
//   smtp://[user:password@]host:port[?starttls=1&timeout=S&cafile=PATH]
//   smtps://...  SMTP over libcurl: STARTTLS (required once asked for) or
//                implicit TLS, login, one reused connection, timeouts.
//
// Thread safety: send_messages may be called from several threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gatehouse/mail/message.h"

namespace gatehouse::mail {

class EmailBackend {
 public:
  virtual ~EmailBackend() = default;
  // Sends each message; returns how many were sent. Throws std::runtime_error
  // when delivery fails (nothing is silently dropped).
  virtual std::size_t send_messages(const std::vector<EmailMessage>& messages) = 0;
};

class ConsoleBackend final : public EmailBackend {
 public:
  std::size_t send_messages(const std::vector<EmailMessage>& messages) override;

 private:
  std::mutex mu_;
};

class FileBackend final : public EmailBackend {
 public:
  // Creates `directory` if needed; throws std::runtime_error if it cannot.
  explicit FileBackend(std::string directory);
  std::size_t send_messages(const std::vector<EmailMessage>& messages) override;

 private:
  std::string directory_;
};

class MemoryBackend final : public EmailBackend {
 public:
  std::size_t send_messages(const std::vector<EmailMessage>& messages) override;
};

// The messages the memory backends sent, in order (Django's mail.outbox).
std::vector<EmailMessage> memory_outbox();
void clear_memory_outbox();

// Throws std::invalid_argument for a URL it does not know.
std::unique_ptr<EmailBackend> backend_from_url(const std::string& url);
// GATEHOUSE_EMAIL_URL, or "console:" when unset.
std::string email_url_from_environment();

// Django's send_mail: one message to `recipients`; returns how many were sent.
std::size_t send_mail(EmailBackend& backend, const std::string& subject, const std::string& message,
                      const std::string& from_email, const std::vector<std::string>& recipients,
                      const std::optional<std::string>& html_message = std::nullopt);

}  // namespace gatehouse::mail
