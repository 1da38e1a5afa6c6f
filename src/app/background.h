// The accounts service's durable background work: the outbox's handlers (the
// welcome email on signup; the password recovery emails, a one-time code or a
// reset link), the durable receiver that enqueues the welcome, and a worker. AccountsServer runs one
// inside `gatehouse serve`; `gatehouse worker` runs one on its own. Internal
// to the app layer.
#pragma once

#include <memory>

#include "gatehouse/app/server.h"
#include "gatehouse/auth/accounts.h"
#include "gatehouse/auth/reset_codes.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/cache/cache.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/signals/connection.h"
#include "gatehouse/tasks/tasks.h"

namespace gatehouse::app {

class Background {
 public:
  // Throws std::invalid_argument for a bad GATEHOUSE_EMAIL_URL. `cache`
  // holds the one-time codes the recovery emails carry.
  // `email` replaces the backend GATEHOUSE_EMAIL_URL names (tests, fault injection).
  Background(db::Database& db, const Config& config, cache::Cache& cache,
             std::shared_ptr<mail::EmailBackend> email = nullptr, const core::Clock& clock = core::system_clock());
  ~Background();
  void start() { worker_->start(); }
  void stop() { worker_->stop(); }
  tasks::Worker& worker() { return *worker_; }

 private:
  struct Mailer;  // the jobs' way out (background.cpp)
  void add_confirmation_job(db::Database& db, const Config& config, const Mailer& mailer, const core::Clock& clock);
  void add_security_notice_job(db::Database& db, const Config& config, const Mailer& mailer);
  void add_recovery_jobs(db::Database& db, const Config& config, const Mailer& mailer, const core::Clock& clock);
  std::shared_ptr<mail::EmailBackend> email_;
  std::shared_ptr<auth::ResetCodes> codes_;
  tasks::Registry registry_;
  signals::ScopedConnection welcome_;
  std::unique_ptr<tasks::Worker> worker_;
};

using auth::kPasswordCodeJob;  // the recovery jobs (auth/accounts.h)
using auth::kPasswordLinkJob;

}  // namespace gatehouse::app
