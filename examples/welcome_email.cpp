// A welcome email for every new user, sent only once the user is committed:
// first as an after-commit receiver (Django's transaction.on_commit in a
// post_save receiver), then as a durable job (the outbox: the job is written
// in the user's transaction and a worker sends the email later, surviving a
// crash and retried on failure).
//
// Shows: models::on_post_save<User> with Delivery::on_commit (nothing is sent
// for a rollback, nothing before the commit); tasks::connect_durable_post_save
// (no job for a rollback, one job after the commit, run exactly once by
// Worker::run_once). Email goes to the in-memory backend (mail::memory_outbox()).
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/models/signals.h"
#include "gatehouse/tasks/durable.h"
#include "gatehouse/tasks/tasks.h"

namespace {

using namespace gatehouse;

const std::string kPassword = "correct horse battery staple";
const std::string kFrom = "noreply@example.com";

// "<when>: N sent", and the last message if there is one.
void show_outbox(const std::string& when) {
  const auto sent = mail::memory_outbox();
  std::cout << when << ": " << sent.size() << " sent";
  if (!sent.empty())
    std::cout << ": \"" << sent.back().subject << "\" to " << sent.back().to.front();
  std::cout << "\n";
}

bool user_exists(auth::UserManager& users, const std::string& username) {
  return users.exists({models::eq("username", username)});
}

void after_commit(db::Database& db) {
  std::cout << "-- after commit --\n";
  mail::clear_memory_outbox();
  mail::MemoryBackend mailer;
  // The typed helper copies the user when post_save is sent and runs the
  // handler with that copy once the outermost transaction commits.
  const signals::ScopedConnection welcome = models::on_post_save<auth::User>(
      [&mailer](auth::User& user, const models::SaveEvent& e) {
        if (e.created)
          user.email_user(mailer, "Welcome, " + user.username, "Your account is ready.", kFrom);
      },
      {.delivery = signals::Delivery::on_commit});

  auto conn = db.acquire();
  auth::UserManager users(*conn);
  {
    db::Transaction tx(*conn);
    users.create_user("ghost", "ghost@example.com", kPassword);
    show_outbox("inside the transaction");
  }  // destroyed without commit(): rolled back
  show_outbox("after rollback");
  std::cout << "ghost exists: " << (user_exists(users, "ghost") ? "yes" : "no") << "\n";
  {
    db::Transaction tx(*conn);
    users.create_user("ada", "ada@example.com", kPassword);
    show_outbox("before commit");
    tx.commit();
  }
  show_outbox("after commit");
  mail::clear_memory_outbox();
  users.create_user("grace", "grace@example.com", kPassword);  // the save's own transaction
  show_outbox("outside any transaction");
}

void durable_job(db::Database& db) {
  std::cout << "-- as a durable job --\n";
  mail::clear_memory_outbox();
  mail::MemoryBackend mailer;
  tasks::Registry registry;
  const signals::ScopedConnection welcome = tasks::connect_durable_post_save<auth::User>(
      registry, "example.welcome",
      [](const auth::User& user, const models::SaveEvent& e) -> std::optional<tasks::DurableJob> {
        if (!e.created) return std::nullopt;
        return tasks::DurableJob{user.email, "example.welcome:" + std::to_string(user.id)};
      },
      [&mailer](const tasks::Job& job) {
        mail::send_mail(mailer, "Welcome", "Your account is ready.", kFrom, {job.payload});
      });

  auto conn = db.acquire();
  auth::UserManager users(*conn);
  {
    db::Transaction tx(*conn);
    users.create_user("phantom", "phantom@example.com", kPassword);
  }  // rolled back: neither the user nor the job
  std::cout << "jobs pending after rollback: " << tasks::counts(db).pending << "\n";
  {
    db::Transaction tx(*conn);
    users.create_user("linus", "linus@example.com", kPassword);
    tx.commit();
  }
  std::cout << "jobs pending after commit: " << tasks::counts(db).pending << "\n";
  show_outbox("before the worker");

  tasks::Worker worker(db, registry);
  std::cout << "worker ran " << worker.run_once() << " job(s)\n";
  std::cout << "worker ran " << worker.run_once() << " job(s) the second time\n";
  std::cout << "jobs done: " << tasks::counts(db).done << "\n";
  show_outbox("after the worker");
}

}  // namespace

int main() {
  setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1);  // fast hashing for an example, before any hash
  try {
    db::Database db("sqlite::memory:");
    auth::migrate(db, tasks::migrations());
    after_commit(db);
    durable_job(db);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "welcome_email: " << e.what() << "\n";
    return 1;
  }
}
