#include "background.h"

#include <nlohmann/json.hpp>

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

Background::Background(db::Database& db, const Config& config)
    : email_(mail::backend_from_url(config.email_url)) {
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
  worker_ = std::make_unique<tasks::Worker>(db, registry_, tasks::WorkerOptions{.threads = 1});
}

Background::~Background() { worker_->stop(); }

}  // namespace gatehouse::app
