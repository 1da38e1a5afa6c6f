#include "background.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "gatehouse/auth/email_addresses.h"
#include "gatehouse/auth/mfa.h"
#include "gatehouse/auth/throttle.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/auth/tokens.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/auth/user.h"
#include "gatehouse/tasks/durable.h"

namespace gatehouse::app {

namespace {

// A username as an email may show it: only when nothing in it can read as a
// link, an address or a path (no '.', '@', ':' or '/'), since a mail client
// turns "Click.evil.example" into a link; otherwise it is left out.
std::optional<std::string> shown_username(const std::string& username) {
  if (username.find_first_of(".@:/") != std::string::npos) return std::nullopt;
  return username;
}

std::string greeting(const std::string& username) {
  const auto shown = shown_username(username);
  return shown ? "Hello " + *shown + ",\n\n" : "Hello,\n\n";
}

std::string welcome_text(const std::string& username, const std::string& site) {
  return greeting(username) + "Your " + site +
         " account is ready. You can log in at any time with your username and password.\n\n"
         "If you did not sign up, you can ignore this message.\n\nThe " + site + " team\n";
}

// Active users with a usable password at the job's address.
std::vector<auth::User> recipients(db::Database& db, const tasks::Job& job) {
  const std::string address = nlohmann::json::parse(job.payload).at("email").get<std::string>();
  auto c = db.acquire();
  return auth::users_for_reset(*c, address);
}

// What a security notice (auth::kSecurityNoticeJob) tells the user, by event.
std::string notice_text(const std::string& event, const std::string& site) {
  if (event == auth::kFactorEnrolled) return "An authenticator app was set up as a second factor for your " + site + " account.";
  if (event == auth::kFactorDisabled) return "The second factor of your " + site + " account was turned off.";
  if (event == auth::kRecoveryCodeUsed) return "A recovery code was used to log in to your " + site + " account.";
  if (event == auth::kRecoveryCodesRenewed) return "New recovery codes were made for your " + site + " account; the old ones no longer work.";
  if (event == auth::kPasskeyAdded) return "A passkey was added to your " + site + " account.";
  if (event == auth::kPasskeyRemoved) return "A passkey was removed from your " + site + " account.";
  if (event == auth::kFactorsReset) return "Staff removed the second factors of your " + site + " account; you may set one up again.";
  return "The security settings of your " + site + " account changed.";
}

}  // namespace

// Where the jobs' emails go out: the backend, the sender, and a limit per
// address — at most 5 messages an hour to one address whatever the number of
// accounts on it or of requests for it, so nobody can flood a mailbox
// through the site (the sixth is dropped, and logged).
struct Background::Mailer {
  std::shared_ptr<mail::EmailBackend> email;
  std::string from;
  std::shared_ptr<auth::LoginThrottle> limit;

  // One plain-text message to one address; its Message-ID carries the job's
  // idempotency key, so a second delivery (at least once) is recognisable.
  void send(const std::string& to, std::string subject, std::string body, const std::string& message_id) const {
    if (limit->retry_after(to, {})) {
      std::fprintf(stderr, "{\"level\":\"warning\",\"event\":\"mail_rate_limited\",\"message_id\":\"%s\"}\n",
                   core::json_escape(message_id).c_str());
      return;
    }
    mail::EmailMessage m;
    m.subject = std::move(subject);
    m.body = std::move(body);
    m.from_email = from;
    m.to = {to};
    m.headers = {{"Message-ID", "<" + message_id + "@gatehouse>"}};
    email->send_messages({m});
    limit->record_failure(to, {});  // counted once sent: a retried failure is not
  }
};

Background::Background(db::Database& db, const Config& config, cache::Cache& cache,
                       std::shared_ptr<mail::EmailBackend> email, const core::Clock& clock)
    : email_(email ? std::move(email) : mail::backend_from_url(config.email_url)),
      codes_(std::make_shared<auth::ResetCodes>(
          cache, config.secret_key, auth::ResetCodePolicy{.lifetime = std::chrono::seconds(config.reset_code_seconds)})) {
  // The welcome email: enqueued in the transaction that creates the user, sent
  // by a worker. Its Message-ID carries the job's idempotency key, so a
  // second delivery (at least once) is recognisable as the same message.
  const Mailer mailer{email_, config.default_from_email,
                      std::make_shared<auth::LoginThrottle>(
                          cache,
                          auth::ThrottlePolicy{.max_failures_per_pair = 0, .max_failures_per_address = 0, .account_alarm = 0,
                                               .max_failures_per_account = 5, .window = std::chrono::hours(1),
                                               .enabled = config.throttle},
                          "mail")};
  add_confirmation_job(db, config, mailer, clock);
  // Without confirmation, the welcome email: a durable receiver of the user's
  // post_save (with it, the confirmation email is the welcome).
  const bool confirming = config.email_verification != auth::EmailVerification::none;
  welcome_ = tasks::connect_durable_post_save<auth::User>(
      registry_, "mail.welcome",
      [confirming](const auth::User& u, const models::SaveEvent& e) -> std::optional<tasks::DurableJob> {
        if (confirming || !e.created || u.email.empty() || !u.is_active) return std::nullopt;
        return tasks::DurableJob{nlohmann::json{{"user_id", u.id}, {"username", u.username}, {"email", u.email}}.dump(),
                                 "mail.welcome:" + std::to_string(u.id)};
      },
      [mailer, site = config.site_name](const tasks::Job& job) {
        const auto p = nlohmann::json::parse(job.payload);
        mailer.send(p.at("email").get<std::string>(), "Welcome to " + site,
                    welcome_text(p.at("username").get<std::string>(), site), job.idempotency_key);
      },
      tasks::RetryPolicy{.base = std::chrono::seconds(5), .max = std::chrono::minutes(30)}, 10, clock);
  add_recovery_jobs(db, config, mailer, clock);
  add_security_notice_job(db, config, mailer);
  worker_ = std::make_unique<tasks::Worker>(
      db, registry_, tasks::WorkerOptions{.threads = 1, .lease = std::chrono::seconds(config.worker_lease_seconds)}, clock);
}

// The password recovery emails: a one-time code, or Django's reset link.
void Background::add_recovery_jobs(db::Database& db, const Config& config, const Mailer& mailer, const core::Clock& clock) {
  const tasks::RetryPolicy mail_retry{.base = std::chrono::seconds(5), .max = std::chrono::minutes(10)};
  // A one-time code for each account recoverable by the address (usually one).
  registry_.add(
      kPasswordCodeJob,
      [&db, mailer, codes = codes_, site = config.site_name](const tasks::Job& job) {
        const auto minutes = codes->policy().lifetime.count() / 60;
        for (const auto& u : recipients(db, job))
          mailer.send(u.email, "Your " + site + " password reset code",
               greeting(u.username) + "Your code to reset your " + site + " password is:\n\n    " +
                   codes->issue(u.id) + "\n\nIt works once, for " + std::to_string(minutes) +
                   " minutes. If you did not ask for it, ignore this message: your password is unchanged.\n",
               job.idempotency_key + "." + std::to_string(u.id));
      },
      mail_retry);
  // A reset link (Django's password_reset_email) for each such account.
  registry_.add(
      kPasswordLinkJob,
      [&db, mailer, secret = config.secret_key, site = config.site_name, site_url = config.site_url,
       &clock](const tasks::Job& job) {
        const auth::PasswordResetTokenGenerator tokens(secret, std::chrono::seconds(259200), clock);
        for (const auto& u : recipients(db, job)) {
          const std::string link =
              site_url + "/accounts/reset/" + auth::uid_to_base64(u.id) + "/" + tokens.make_token(u) + "/";
          mailer.send(u.email, "Password reset on " + site,
               "You're receiving this email because you requested a password reset for your user account at " + site +
                   ".\n\nPlease go to the following page and choose a new password:\n\n" + link +
                   (shown_username(u.username) ? "\n\nYour username, in case you've forgotten: " + u.username : std::string()) +
                   "\n\nThanks for using our site!\n\nThe " + site + " team\n",
               job.idempotency_key + "." + std::to_string(u.id));
        }
      },
      mail_retry);
}

// The address confirmation link (django-allauth's email_confirmation_signup
// message): the welcome, and a link that works for 3 days.
void Background::add_confirmation_job(db::Database& db, const Config& config, const Mailer& mailer,
                                      const core::Clock& clock) {
  registry_.add(
      auth::kConfirmEmailJob,
      [&db, mailer, secret = config.secret_key, site = config.site_name, site_url = config.site_url,
       &clock](const tasks::Job& job) {
        const auto id = nlohmann::json::parse(job.payload).at("address_id").get<std::int64_t>();
        std::optional<auth::EmailAddress> address;
        std::optional<auth::User> user;
        {
          auto c = db.acquire();
          address = models::Manager<auth::EmailAddress>(*c).find({models::eq("id", id)});
          if (address) user = models::Manager<auth::User>(*c).find({models::eq("id", address->user_id)});
        }
        if (!address || !user || address->verified || user->email != address->email) return;  // nothing to confirm
        const std::string link = site_url + "/accounts/confirm-email/" + auth::confirmation_key(*address, secret, clock) + "/";
        mailer.send(address->email, "Welcome to " + site,
                    welcome_text(user->username, site) + "\nPlease confirm your email address by following this link " +
                        "(it works for 3 days):\n\n" + link + "\n",
                    job.idempotency_key);
      },
      tasks::RetryPolicy{.base = std::chrono::seconds(5), .max = std::chrono::minutes(30)});
}

// A change to a user's second factors, told to the user (auth/mfa.h).
void Background::add_security_notice_job(db::Database& db, const Config& config, const Mailer& mailer) {
  registry_.add(
      auth::kSecurityNoticeJob,
      [&db, mailer, site = config.site_name](const tasks::Job& job) {
        const auto p = nlohmann::json::parse(job.payload);
        std::optional<auth::User> user;
        {
          auto c = db.acquire();
          user = models::Manager<auth::User>(*c).find({models::eq("id", p.at("user_id").get<std::int64_t>())});
        }
        if (!user || user->email.empty()) return;  // deleted meanwhile: nobody to tell
        mailer.send(user->email, "Security notice from " + site,
                    greeting(user->username) + notice_text(p.at("event").get<std::string>(), site) +
                        "\n\nIf this was not you, change your password and contact us.\n\nThe " + site + " team\n",
                    job.idempotency_key.empty() ? "notice." + std::to_string(job.id) : job.idempotency_key);
      },
      tasks::RetryPolicy{.base = std::chrono::seconds(5), .max = std::chrono::minutes(30)});
}

Background::~Background() { worker_->stop(); }

}  // namespace gatehouse::app
