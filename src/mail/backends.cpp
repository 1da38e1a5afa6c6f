#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include "gatehouse/core/random.h"
#include "gatehouse/mail/backend.h"

#include "smtp.h"

namespace gatehouse::mail {

namespace {
struct Outbox {
  std::mutex mu;
  std::vector<EmailMessage> messages;
};
Outbox& outbox() {
  static Outbox* o = new Outbox;  // never destroyed: senders may run during exit
  return *o;
}
}  // namespace

std::size_t ConsoleBackend::send_messages(const std::vector<EmailMessage>& messages) {
  std::lock_guard lock(mu_);
  for (const auto& m : messages) {
    const std::string text = m.to_mime();
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputs("-------------------------------------------------------------------------------\n", stdout);
  }
  std::fflush(stdout);
  return messages.size();
}

FileBackend::FileBackend(std::string directory) : directory_(std::move(directory)) {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec || !std::filesystem::is_directory(directory_))
    throw std::runtime_error("file email backend: cannot use directory " + directory_ + ": " + ec.message());
}

std::size_t FileBackend::send_messages(const std::vector<EmailMessage>& messages) {
  for (const auto& m : messages) {
    const std::string text = m.to_mime();
    const auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
    const auto path = std::filesystem::path(directory_) / (std::to_string(stamp) + "-" + core::random_string(8) + ".eml");
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("file email backend: cannot write " + path.string());
  }
  return messages.size();
}

std::size_t MemoryBackend::send_messages(const std::vector<EmailMessage>& messages) {
  for (const auto& m : messages) (void)m.to_mime();  // the same checks a real send makes
  std::lock_guard lock(outbox().mu);
  outbox().messages.insert(outbox().messages.end(), messages.begin(), messages.end());
  return messages.size();
}

std::vector<EmailMessage> memory_outbox() {
  std::lock_guard lock(outbox().mu);
  return outbox().messages;
}

void clear_memory_outbox() {
  std::lock_guard lock(outbox().mu);
  outbox().messages.clear();
}

std::unique_ptr<EmailBackend> backend_from_url(const std::string& url) {
  if (url == "console:" || url.empty()) return std::make_unique<ConsoleBackend>();
  if (url == "memory:") return std::make_unique<MemoryBackend>();
  if (url.starts_with("file:")) {
    std::string dir = url.substr(5);
    if (dir.starts_with("//")) dir = dir.substr(2);
    if (dir.empty()) throw std::invalid_argument("GATEHOUSE_EMAIL_URL file: names no directory");
    return std::make_unique<FileBackend>(dir);
  }
  if (url.starts_with("smtp://") || url.starts_with("smtps://")) return std::make_unique<SmtpBackend>(parse_smtp_url(url));
  throw std::invalid_argument("GATEHOUSE_EMAIL_URL: unknown email backend '" + url + "'");
}

std::string email_url_from_environment() {
  const char* env = std::getenv("GATEHOUSE_EMAIL_URL");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("console:");
}

std::size_t send_mail(EmailBackend& backend, const std::string& subject, const std::string& message,
                      const std::string& from_email, const std::vector<std::string>& recipients,
                      const std::optional<std::string>& html_message) {
  EmailMessage m;
  m.subject = subject;
  m.body = message;
  m.html_body = html_message;
  m.from_email = from_email;
  m.to = recipients;
  return backend.send_messages({m});
}

}  // namespace gatehouse::mail
