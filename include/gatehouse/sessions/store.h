// Session stores (django.contrib.sessions). A session is a key (32 letters and
// digits, from the CSPRNG) and a map of string values; the database store
// keeps Django's django_session layout, session_data signed as Django signs it
// (so a Django project with the same SECRET_KEY reads the same sessions), plus
// a side table for what the "your sessions" page needs (user, created, last
// seen, client address, user agent).
//
// Thread safety: stores may be used from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  // The live session with this key; nullopt when absent or expired.
  virtual std::optional<SessionRecord> load(const std::string& key) = 0;
  // Inserts or replaces.
  virtual void save(const SessionRecord& record) = 0;
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
  DatabaseSessionStore(db::Database& db, std::string secret_key);
  std::optional<SessionRecord> load(const std::string& key) override;
  void save(const SessionRecord& record) override;
  bool remove(const std::string& key) override;
  std::vector<SessionRecord> for_user(std::int64_t user_id) override;
  std::size_t remove_for_user(std::int64_t user_id, const std::string& keep = {}) override;
  std::size_t clear_expired() override;

 private:
  db::Database& db_;
  std::string secret_key_;
};

// The tables of the database store (django_session is adopted if it exists).
std::vector<db::Migration> migrations();

// Django's SessionBase.encode / decode for a data map.
std::string encode_session_data(const std::map<std::string, std::string>& data, const std::string& secret_key);
// nullopt for data that was tampered with or signed with another key.
std::optional<std::map<std::string, std::string>> decode_session_data(const std::string& text,
                                                                      const std::string& secret_key);

}  // namespace gatehouse::sessions
