// An AccountsServer on a fresh database and a free loopback port, for tests.
// Routes may be added in `before_run` (before the server starts serving).
#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "gatehouse/app/server.h"
#include "test_database.h"

namespace gatehouse::testing {

class RunningAccountsServer {
 public:
  explicit RunningAccountsServer(db::Engine engine, const std::function<void(app::AccountsServer&)>& before_run = {})
      : tdb_(engine) {
    app::Config c;
    c.database_url = tdb_.url();
    c.bind = "127.0.0.1:0";
    c.secret_key = std::string(50, 'k');
    server_ = std::make_unique<app::AccountsServer>(c);
    if (before_run) before_run(*server_);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~RunningAccountsServer() {
    server_->stop();
    thread_.join();
    server_.reset();
  }
  app::AccountsServer& operator*() { return *server_; }
  app::AccountsServer* operator->() { return server_.get(); }

 private:
  TestDatabase tdb_;
  std::unique_ptr<app::AccountsServer> server_;
  std::thread thread_;
};

}  // namespace gatehouse::testing
