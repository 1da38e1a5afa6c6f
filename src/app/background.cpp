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

}  // namespace

Background::Background(db::Database& db, const Config& config, cache::Cache& cache)
    : email_(mail::backend_from_url(config.email_url)),
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
        mail::EmailMessage m;
        m.subject = "Welcome to " + site;
        m.body = welcome_text(p.at("username").get<std::string>(), site);
        m.from_email = from;
        m.to = {p.at("email").get<std::string>()};
        m.headers = {{"Message-ID", "<" + job.idempotency_key + "@gatehouse>"}, {"X-Gatehouse-Job", job.idempotency_key}};
        email->send_messages({m});
      },
      tasks::RetryPolicy{.base = std::chrono::seconds(5), .max = std::chrono::minutes(30)}, 10);
  const tasks::RetryPolicy mail_retry{.base = std::chrono::seconds(5), .max = std::chrono::minutes(10)};
  // A one-time code for each account recoverable by the address (usually one).
  registry_.add(
      kPasswordCodeJob,
      [&db, email = email_, codes = codes_, site = config.site_name, from = config.default_from_email](const tasks::Job& job) {
        const std::string address = nlohmann::json::parse(job.payload).at("email").get<std::string>();
        std::vector<auth::User> users;
        {
          auto c = db.acquire();
          users = auth::users_for_reset(*c, address);
        }
        const auto minutes = codes->policy().lifetime.count() / 60;
        for (const auto& u : users) {
          mail::EmailMessage m;
          m.subject = "Your " + site + " password reset code";
          m.body = "Hello " + u.username + ",\n\nYour code to reset your " + site + " password is:\n\n    " +
                   codes->issue(u.id) + "\n\nIt works once, for " + std::to_string(minutes) +
                   " minutes. If you did not ask for it, ignore this message: your password is unchanged.\n";
          m.from_email = from;
          m.to = {u.email};
          m.headers = {{"Message-ID", "<" + job.idempotency_key + "." + std::to_string(u.id) + "@gatehouse>"}};
          email->send_messages({m});
        }
      },
      mail_retry);
  // A reset link (Django's password_reset_email) for each such account.
  registry_.add(
      kPasswordLinkJob,
      [&db, email = email_, secret = config.secret_key, site = config.site_name, site_url = config.site_url,
       from = config.default_from_email](const tasks::Job& job) {
        const std::string address = nlohmann::json::parse(job.payload).at("email").get<std::string>();
        std::vector<auth::User> users;
        {
          auto c = db.acquire();
          users = auth::users_for_reset(*c, address);
        }
        const auth::PasswordResetTokenGenerator tokens(secret);
        for (const auto& u : users) {
          const std::string link =
              site_url + "/accounts/reset/" + auth::uid_to_base64(u.id) + "/" + tokens.make_token(u) + "/";
          mail::EmailMessage m;
          m.subject = "Password reset on " + site;
          m.body = "You're receiving this email because you requested a password reset for your user account at " +
                   site + ".\n\nPlease go to the following page and choose a new password:\n\n" + link +
                   "\n\nYour username, in case you've forgotten: " + u.username + "\n\nThanks for using our site!\n\nThe " +
                   site + " team\n";
          m.from_email = from;
          m.to = {u.email};
          m.headers = {{"Message-ID", "<" + job.idempotency_key + "." + std::to_string(u.id) + "@gatehouse>"}};
          email->send_messages({m});
        }
      },
      mail_retry);
  worker_ = std::make_unique<tasks::Worker>(
      db, registry_, tasks::WorkerOptions{.threads = 1, .lease = std::chrono::seconds(config.worker_lease_seconds)});
}

Background::~Background() { worker_->stop(); }

}  // namespace gatehouse::app
