#include "gatehouse/auth/throttle.h"

#include "gatehouse/db/transaction.h"
#include "gatehouse/models/field.h"

namespace gatehouse::auth {

namespace {
std::string account_key(const std::string& account) {
  std::string k = "user:" + account.substr(0, 200);
  for (char& c : k)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return k;
}
}  // namespace

std::vector<db::Migration> throttle_migrations() {
  return {{"auth", "0101_login_throttle", [](db::Connection& c) {
             c.execute(std::string("CREATE TABLE IF NOT EXISTS gatehouse_login_throttle (scope_key varchar(255) NOT NULL "
                                   "PRIMARY KEY, failures integer NOT NULL, window_start ") +
                       (c.engine() == db::Engine::postgresql ? "timestamp with time zone" : "datetime") + " NOT NULL)");
           }}};
}

std::optional<std::chrono::seconds> LoginThrottle::blocked(const std::string& key, int limit) {
  auto c = db_.acquire();
  const db::Result r = c->execute("SELECT failures, window_start FROM gatehouse_login_throttle WHERE scope_key = ?", {key});
  if (r.empty() || r.rows[0][0].as_int() < limit) return std::nullopt;
  const auto start = models::parse_timestamp(r.rows[0][1].as_text()).time;
  const auto left = start + policy_.window - models::Timestamp::now().time;
  if (left.count() <= 0) return std::nullopt;
  // Round up: under a second left is still blocked (Retry-After is whole seconds).
  return std::chrono::ceil<std::chrono::seconds>(left);
}

std::optional<std::chrono::seconds> LoginThrottle::retry_after(const std::string& account, const std::string& address) {
  if (!policy_.enabled) return std::nullopt;
  auto a = blocked(account_key(account), policy_.max_failures_per_account);
  auto b = blocked("addr:" + address, policy_.max_failures_per_address);
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}

void LoginThrottle::bump(const std::string& key) {
  auto c = db_.acquire();
  db::Transaction tx(*c);
  const auto now = models::Timestamp::now();
  const auto text = models::format_timestamp(now, c->engine());
  const db::Result r = c->execute("SELECT failures, window_start FROM gatehouse_login_throttle WHERE scope_key = ?", {key});
  if (r.empty()) {
    c->execute("INSERT INTO gatehouse_login_throttle (scope_key, failures, window_start) VALUES (?, 1, ?) "
               "ON CONFLICT (scope_key) DO UPDATE SET failures = gatehouse_login_throttle.failures + 1",
               {key, text});
  } else if (models::parse_timestamp(r.rows[0][1].as_text()).time + policy_.window <= now.time) {
    c->execute("UPDATE gatehouse_login_throttle SET failures = 1, window_start = ? WHERE scope_key = ?", {text, key});
  } else {
    c->execute("UPDATE gatehouse_login_throttle SET failures = failures + 1 WHERE scope_key = ?", {key});
  }
  tx.commit();
}

void LoginThrottle::record_failure(const std::string& account, const std::string& address) {
  if (!policy_.enabled) return;
  bump(account_key(account));
  bump("addr:" + address);
}

void LoginThrottle::reset(const std::string& account) {
  db_.acquire()->execute("DELETE FROM gatehouse_login_throttle WHERE scope_key = ?", {account_key(account)});
}

}  // namespace gatehouse::auth
