#include "background.h"

#include <nlohmann/json.hpp>

#include "gatehouse/auth/tokens.h"
#include "gatehouse/auth/user.h"
#include "gatehouse/tasks/durable.h"

namespace gatehouse::app {

namespace {

std::string welcome_text(const std::string& username, const std::string& site) {
  return "Hello " + username + ",\n\nYour " + site +
         " account is ready. You can log in at any time with your username and password.\n\n"
         "If you did not sign up, you can ignore this message.\n\nThe " + site + " team\n";
}

// One plain-text message to one address; its Message-ID carries the job's
// idempotency key, so a second delivery (at least once) is recognisable.
void send(mail::EmailBackend& email, const std::string& from, const std::string& to, std::string subject,
          std::string body, const std::string& message_id) {
  mail::EmailMessage m;
  m.subject = std::move(subject);
  m.body = std::move(body);
  m.from_email = from;
  m.to = {to};
  m.headers = {{"Message-ID", "<" + message_id + "@gatehouse>"}};
  email.send_messages({m});
}

// Active users with a usable password at the job's address.
std::vector<auth::User> recipients(db::Database& db, const tasks::Job& job) {
  const std::string address = nlohmann::json::parse(job.payload).at("email").get<std::string>();
  auto c = db.acquire();
  return auth::users_for_reset(*c, address);
}

}  // namespace

Background::Background(db::Database& db, const Config& config, cache::Cache& cache,
                       std::shared_ptr<mail::EmailBackend> email, const core::Clock& clock)
    : email_(email ? std::move(email) : mail::backend_from_url(config.email_url)),
      codes_(std::make_shared<auth::ResetCodes>(
          cache, config.secret_key, auth::ResetCodePolicy{.lifetime = std::chrono::seconds(config.reset_code_seconds)})) {
  // The welcome email: enqueued in the transaction that creates the user, sent
  // by a worker. Its Message-ID carries the job's idempotency key, so a
  // second delivery (at least once) is recognisable as the same message.
  welcome_ = tasks::connect_durable_post_save<auth::User>(
      registry_, "mail.welcome",
      [](const auth::User& u, const models::SaveEvent& e) -> std::optional<tasks::DurableJob> {
        if (!e.created || u.email.empty() || !u.is_active) return std::nullopt;
        return tasks::DurableJob{nlohmann::json{{"user_id", u.id}, {"username", u.username}, {"email", u.email}}.dump(),
                                 "mail.welcome:" + std::to_string(u.id)};
      },
      [email = email_, site = config.site_name, from = config.default_from_email](const tasks::Job& job) {
        const auto p = nlohmann::json::parse(job.payload);
        send(*email, from, p.at("email").get<std::string>(), "Welcome to " + site,
             welcome_text(p.at("username").get<std::string>(), site), job.idempotency_key);
      },
      tasks::RetryPolicy{.base = std::chrono::seconds(5), .max = std::chrono::minutes(30)}, 10, clock);
  const tasks::RetryPolicy mail_retry{.base = std::chrono::seconds(5), .max = std::chrono::minutes(10)};
  // A one-time code for each account recoverable by the address (usually one).
  registry_.add(
      kPasswordCodeJob,
      [&db, email = email_, codes = codes_, site = config.site_name, from = config.default_from_email](const tasks::Job& job) {
        const auto minutes = codes->policy().lifetime.count() / 60;
        for (const auto& u : recipients(db, job))
          send(*email, from, u.email, "Your " + site + " password reset code",
               "Hello " + u.username + ",\n\nYour code to reset your " + site + " password is:\n\n    " +
                   codes->issue(u.id) + "\n\nIt works once, for " + std::to_string(minutes) +
                   " minutes. If you did not ask for it, ignore this message: your password is unchanged.\n",
               job.idempotency_key + "." + std::to_string(u.id));
      },
      mail_retry);
  // A reset link (Django's password_reset_email) for each such account.
  registry_.add(
      kPasswordLinkJob,
      [&db, email = email_, secret = config.secret_key, site = config.site_name, site_url = config.site_url,
       from = config.default_from_email, &clock](const tasks::Job& job) {
        const auth::PasswordResetTokenGenerator tokens(secret, std::chrono::seconds(259200), clock);
        for (const auto& u : recipients(db, job)) {
          const std::string link =
              site_url + "/accounts/reset/" + auth::uid_to_base64(u.id) + "/" + tokens.make_token(u) + "/";
          send(*email, from, u.email, "Password reset on " + site,
               "You're receiving this email because you requested a password reset for your user account at " + site +
                   ".\n\nPlease go to the following page and choose a new password:\n\n" + link +
                   "\n\nYour username, in case you've forgotten: " + u.username +
                   "\n\nThanks for using our site!\n\nThe " + site + " team\n",
               job.idempotency_key + "." + std::to_string(u.id));
        }
      },
      mail_retry);
  worker_ = std::make_unique<tasks::Worker>(
      db, registry_, tasks::WorkerOptions{.threads = 1, .lease = std::chrono::seconds(config.worker_lease_seconds)}, clock);
}

Background::~Background() { worker_->stop(); }

}  // namespace gatehouse::app
