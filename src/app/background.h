// The accounts service's durable background work: the outbox's handlers (the
// welcome email on signup, sent through the configured email backend), the
// durable receivers that enqueue them, and a worker. AccountsServer runs one
// inside `gatehouse serve`; `gatehouse worker` runs one on its own. Internal
// to the app layer.
#pragma once

#include <memory>

#include "gatehouse/app/server.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/signals/connection.h"
#include "gatehouse/tasks/tasks.h"

namespace gatehouse::app {

class Background {
 public:
  // Throws std::invalid_argument for a bad GATEHOUSE_EMAIL_URL.
  Background(db::Database& db, const Config& config);
  ~Background();
  void start() { worker_->start(); }
  void stop() { worker_->stop(); }
  tasks::Worker& worker() { return *worker_; }

 private:
  std::shared_ptr<mail::EmailBackend> email_;
  tasks::Registry registry_;
  signals::ScopedConnection welcome_;
  std::unique_ptr<tasks::Worker> worker_;
};

}  // namespace gatehouse::app
