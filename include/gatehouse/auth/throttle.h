// LoginThrottle: failed attempts counted in a cache (the database cache, or
// Redis when configured), so every server instance sharing it shares the
// counts. The same class guards logins, recovery requests and recovery codes
// (one `scope` each).
//
// The policy, and why (logins):
//   - per (account, client): 5 failures in 15 minutes and that client gets
//     429 for that account. The common case — one client guessing one
//     password — stops here.
//   - per client: 20 failures in 15 minutes over any accounts and the client
//     gets 429 for all (password spraying from one address).
//   - per account, over all clients: past 10 failures the account is "under
//     attack": from then on, a client that has failed on it even once in the
//     window is refused, while a client with no recent failure may still try.
//     A victim who types the right password from their own device is never
//     locked out by someone else's guesses (the lockout django-axes and
//     Keycloak's brute-force detection apply to the account lets anyone
//     lock anyone out: five bad logins and the victim waits), and an attacker
//     spread over many addresses gets one guess per address per window.
//   - no hard per-account limit for logins (max_failures_per_account = 0);
//     recovery sets one (5 requests an address asks for, whoever asks), since
//     there the harm is the mailbox, not the account.
//   - the client is the address forwarded_middleware decided
//     (GATEHOUSE_TRUSTED_PROXIES): behind a trusted proxy, clients stay apart.
//   - accounts are compared as Django's ModelBackend finds them and more:
//     Unicode NFKC and case folded, so "ａｌｉｃｅ", "𝐚𝐥𝐢𝐜𝐞" and "ALICE"
//     share alice's counts.
// Windows are fixed: they start at the first failure, so a steady trickle
// cannot extend them; they are the counters' time to live, on the cache's
// clock. Compared with django-axes (AXES_FAILURE_LIMIT=3 per username or IP,
// a cool-off that locks the account for everyone) and Keycloak (failure
// factor 30 with a growing wait per user, for everyone), a correct password
// from a clean client always passes here, and distributed guessing is
// bounded per address.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gatehouse/cache/cache.h"

namespace gatehouse::auth {

struct ThrottlePolicy {
  int max_failures_per_pair = 5;      // one client on one account
  int max_failures_per_address = 20;  // one client on any accounts
  int account_alarm = 10;             // all clients on one account: past it, only clients without failures on it
  int max_failures_per_account = 0;   // all clients on one account: past it, nobody (0: no such limit)
  std::chrono::seconds window{15 * 60};
  bool enabled = true;
};

class LoginThrottle {
 public:
  // `scope` separates counters of different uses of one cache ("login", "forgot").
  LoginThrottle(cache::Cache& cache, ThrottlePolicy policy = {}, std::string scope = "login")
      : cache_(cache), policy_(policy), scope_(std::move(scope)) {}
  // How long the caller must wait, or nullopt if a login may be tried now.
  // Throws cache::CacheError when the cache fails.
  std::optional<std::chrono::seconds> retry_after(const std::string& account, const std::string& address);
  void record_failure(const std::string& account, const std::string& address);
  // After a success: the account's counts and this client's on it start over.
  void reset(const std::string& account, const std::string& address = {});
  // The account as the throttle compares it (NFKC, case folded; bytes that
  // are not UTF-8 as they are).
  static std::string account_of(const std::string& account);

  // What the counters say now, for the admin's throttle panel: failures in
  // the window and when it ends; `locked` is whether they refuse logins now.
  struct Count {
    std::int64_t failures = 0;
    std::chrono::seconds expires_in{0};
    bool locked = false;
  };
  // All clients on the account (locked: under attack, so clients that failed
  // on it are refused, or past the hard per-account limit).
  Count account_count(const std::string& account);
  // One client over all accounts (locked: past the per-client limit).
  Count address_count(const std::string& address);
  // Each client that failed on the account in the window, with its count on
  // it (locked: past the per-pair limit); at most `limit`, by address.
  std::vector<std::pair<std::string, Count>> clients_of(const std::string& account, std::size_t limit = 50);
  // Forgets the account's failures and every client's on it.
  void clear_account(const std::string& account);
  // Forgets a client's failures over all accounts (not its counts per account).
  void clear_address(const std::string& address);
  const ThrottlePolicy& policy() const noexcept { return policy_; }

 private:
  std::string account_key(const std::string& account) const;
  std::string pair_key(const std::string& account, const std::string& address) const;
  std::string address_key(const std::string& address) const;
  std::string clients_key(const std::string& account) const;
  Count count(const std::string& key, int limit);
  std::optional<std::chrono::seconds> blocked(const std::string& key, int limit);
  cache::Cache& cache_;
  ThrottlePolicy policy_;
  std::string scope_;
};

}  // namespace gatehouse::auth
