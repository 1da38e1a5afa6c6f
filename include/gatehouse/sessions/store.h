// Session stores (django.contrib.sessions). A session is a key (32 letters and
// digits, from the CSPRNG) and a map of string values, plus what the "your
// sessions" page needs (user, created, last seen, client address, user agent).
//   DatabaseSessionStore     Django's django_session layout, session_data signed
//                            as Django signs it (a Django project with the same
//                            SECRET_KEY reads the same sessions), and a side table;
//   CacheSessionStore        the session in a cache (Redis when configured), with
//                            a per-user index; expiry is the entry's TTL;
//   SignedCookieSessionStore the data travels in the cookie, signed as Django's
//                            signed_cookies backend signs it; the server keeps
//                            only the session's metadata in a cache, so a user can
//                            still list and end sessions (a cookie whose session
//                            was ended is refused even though its signature holds).
// The cookie value is what save() returns: the key itself for the first two.
//
// Expiry is judged by the store's clock (by default the system clock), which
// must outlive the store. The cache behind a cache or signed-cookie store
// should read the same clock (or be Redis, which expires keys itself). The
// stores never set created or last_seen: the caller does (auth::login).
//
// Thread safety: stores may be used from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/cache/cache.h"
#include "gatehouse/core/clock.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/models/field.h"

namespace gatehouse::sessions {

struct SessionRecord {
  std::string key;
  std::map<std::string, std::string> data;
  models::Timestamp expire;
  std::optional<std::int64_t> user_id;  // set by auth::login, for listing a user's sessions
  models::Timestamp created;
  models::Timestamp last_seen;
  std::string address;
  std::string user_agent;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  // The live session named by this cookie value; nullopt when absent, expired,
  // ended or tampered with.
  virtual std::optional<SessionRecord> load(const std::string& cookie) = 0;
  // Inserts or replaces; returns the value for the session cookie.
  virtual std::string save(const SessionRecord& record) = 0;
  // Whether a session was removed.
  virtual bool remove(const std::string& key) = 0;
  // The user's live sessions, most recently seen first.
  virtual std::vector<SessionRecord> for_user(std::int64_t user_id) = 0;
  // Removes the user's sessions except `keep`; returns how many.
  virtual std::size_t remove_for_user(std::int64_t user_id, const std::string& keep = {}) = 0;
  // Removes expired sessions (gatehouse clearsessions); returns how many.
  virtual std::size_t clear_expired() = 0;

  // 32 characters of [a-z0-9] from the CSPRNG, as Django's.
  static std::string new_key();
};

class DatabaseSessionStore final : public SessionStore {
 public:
  DatabaseSessionStore(db::Database& db, std::string secret_key, const core::Clock& clock = core::system_clock());
  std::optional<SessionRecord> load(const std::string& cookie) override;
  std::string save(const SessionRecord& record) override;
  bool remove(const std::string& key) override;
  std::vector<SessionRecord> for_user(std::int64_t user_id) override;
  std::size_t remove_for_user(std::int64_t user_id, const std::string& keep = {}) override;
  std::size_t clear_expired() override;

 private:
  db::Database& db_;
  std::string secret_key_;
  const core::Clock& clock_;
};

class CacheSessionStore final : public SessionStore {
 public:
  CacheSessionStore(cache::Cache& cache, std::string secret_key, const core::Clock& clock = core::system_clock())
      : CacheSessionStore(cache, std::move(secret_key), false, clock) {}
  std::optional<SessionRecord> load(const std::string& cookie) override;
  std::string save(const SessionRecord& record) override;
  bool remove(const std::string& key) override;
  std::vector<SessionRecord> for_user(std::int64_t user_id) override;
  std::size_t remove_for_user(std::int64_t user_id, const std::string& keep = {}) override;
  std::size_t clear_expired() override;  // the cache's clear_expired(): Redis expires sessions itself

 private:
  friend class SignedCookieSessionStore;
  // data_in_cookie: the data travels in the cookie, the cache keeps the rest.
  CacheSessionStore(cache::Cache& cache, std::string secret_key, bool data_in_cookie, const core::Clock& clock);
  std::optional<SessionRecord> load_key(const std::string& key, const std::string* cookie_data);
  cache::Cache& cache_;
  std::string secret_key_;
  bool data_in_cookie_;
  const core::Clock& clock_;
};

class SignedCookieSessionStore final : public SessionStore {
 public:
  SignedCookieSessionStore(cache::Cache& registry, std::string secret_key,
                           const core::Clock& clock = core::system_clock())
      : impl_(registry, std::move(secret_key), true, clock) {}
  std::optional<SessionRecord> load(const std::string& cookie) override { return impl_.load(cookie); }
  std::string save(const SessionRecord& record) override { return impl_.save(record); }
  bool remove(const std::string& key) override { return impl_.remove(key); }
  std::vector<SessionRecord> for_user(std::int64_t user_id) override { return impl_.for_user(user_id); }
  std::size_t remove_for_user(std::int64_t user_id, const std::string& keep = {}) override {
    return impl_.remove_for_user(user_id, keep);
  }
  std::size_t clear_expired() override { return impl_.clear_expired(); }

 private:
  CacheSessionStore impl_;
};

// The tables of the database store (django_session is adopted if it exists).
std::vector<db::Migration> migrations();

// Django's SessionBase.encode / decode for a data map.
std::string encode_session_data(const std::map<std::string, std::string>& data, const std::string& secret_key);
// nullopt for data that was tampered with or signed with another key.
std::optional<std::map<std::string, std::string>> decode_session_data(const std::string& text,
                                                                      const std::string& secret_key);

}  // namespace gatehouse::sessions
