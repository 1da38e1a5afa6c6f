#include "faults.h"

#include <stdexcept>

namespace gatehouse::testing {

namespace {

bool is_read(std::string_view sql) {
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
  const std::string_view head = sql.substr(0, 6);
  return head == "SELECT" || head == "select" || head == "BEGIN " || head == "BEGIN" || sql.starts_with("COMMIT") ||
         sql.starts_with("ROLLBACK") || sql.starts_with("SAVEPOINT") || sql.starts_with("RELEASE");
}

class FaultyConnection final : public db::Connection {
 public:
  FaultyConnection(std::unique_ptr<db::Connection> inner, std::shared_ptr<Faults> f)
      : inner_(std::move(inner)), faults_(std::move(f)) {}
  db::Engine engine() const noexcept override { return inner_->engine(); }
  db::Result execute(std::string_view sql, std::span<const db::Value> params) override {
    check(sql);
    return inner_->execute(sql, params);
  }
  void execute_script(std::string_view sql) override {
    check(sql);
    inner_->execute_script(sql);
  }
  bool healthy() const noexcept override { return inner_->healthy(); }

 private:
  void check(std::string_view sql) {
    if (faults_->database_down || (faults_->database_writes && !is_read(sql))) {
      ++faults_->database_failures;
      throw db::DatabaseError(db::ErrorKind::connection, "injected fault: the database is unreachable");
    }
  }
  std::unique_ptr<db::Connection> inner_;
  std::shared_ptr<Faults> faults_;
};

class FaultyCache final : public cache::Cache {
 public:
  FaultyCache(std::unique_ptr<cache::Cache> inner, std::shared_ptr<Faults> f) : inner_(std::move(inner)), faults_(std::move(f)) {}
  std::optional<std::string> get(std::string_view k) override { return check(), inner_->get(k); }
  void set(std::string_view k, std::string_view v, cache::Ttl t) override { check(), inner_->set(k, v, t); }
  bool add(std::string_view k, std::string_view v, cache::Ttl t) override { return check(), inner_->add(k, v, t); }
  bool remove(std::string_view k) override { return check(), inner_->remove(k); }
  std::int64_t incr(std::string_view k, std::int64_t d, cache::Ttl t) override { return check(), inner_->incr(k, d, t); }
  std::optional<cache::Ttl> ttl(std::string_view k) override { return check(), inner_->ttl(k); }
  void set_add(std::string_view k, std::string_view m, cache::Ttl t) override { check(), inner_->set_add(k, m, t); }
  void set_remove(std::string_view k, std::string_view m) override { check(), inner_->set_remove(k, m); }
  std::vector<std::string> set_members(std::string_view k) override { return check(), inner_->set_members(k); }
  std::size_t clear_expired() override { return check(), inner_->clear_expired(); }

 private:
  void check() {
    if (faults_->cache_down) {
      ++faults_->cache_failures;
      throw cache::CacheError("injected fault: the cache is unreachable");
    }
  }
  std::unique_ptr<cache::Cache> inner_;
  std::shared_ptr<Faults> faults_;
};

class FaultyMail final : public mail::EmailBackend {
 public:
  FaultyMail(std::shared_ptr<mail::EmailBackend> inner, std::shared_ptr<Faults> f) : inner_(std::move(inner)), faults_(std::move(f)) {}
  std::size_t send_messages(const std::vector<mail::EmailMessage>& messages) override {
    if (faults_->mail_down) {
      ++faults_->mail_failures;
      throw std::runtime_error("injected fault: 421 the SMTP server refused the connection");
    }
    return inner_->send_messages(messages);
  }

 private:
  std::shared_ptr<mail::EmailBackend> inner_;
  std::shared_ptr<Faults> faults_;
};

}  // namespace

std::function<std::unique_ptr<db::Connection>(std::unique_ptr<db::Connection>)> faulty_connections(
    std::shared_ptr<Faults> faults) {
  return [faults](std::unique_ptr<db::Connection> c) -> std::unique_ptr<db::Connection> {
    return std::make_unique<FaultyConnection>(std::move(c), faults);
  };
}

std::unique_ptr<cache::Cache> faulty_cache(std::unique_ptr<cache::Cache> inner, std::shared_ptr<Faults> faults) {
  return std::make_unique<FaultyCache>(std::move(inner), std::move(faults));
}

std::shared_ptr<mail::EmailBackend> faulty_mail(std::shared_ptr<mail::EmailBackend> inner, std::shared_ptr<Faults> faults) {
  return std::make_shared<FaultyMail>(std::move(inner), std::move(faults));
}

}  // namespace gatehouse::testing
