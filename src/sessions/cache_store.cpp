// CacheSessionStore and, through it, SignedCookieSessionStore. A session is
// one cache entry "session:<key>" (JSON: data unless it travels in the cookie,
// expiry, user, created, last seen, address, agent) living until the session
// expires, and, for a logged-in session, a member of the set
// "session_user:<id>", which lists the user's sessions. The index is pruned
// when read: a member whose entry has gone is dropped.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "gatehouse/crypto/signing.h"
#include "gatehouse/sessions/store.h"

namespace gatehouse::sessions {

namespace {

constexpr const char* kCookieSalt = "django.contrib.sessions.backends.signed_cookies";
constexpr const char* kKeyField = "_session_key";

std::string entry_key(const std::string& key) { return "session:" + key; }
std::string index_key(std::int64_t user_id) { return "session_user:" + std::to_string(user_id); }

std::int64_t micros(const models::Timestamp& t) { return t.time.time_since_epoch().count(); }
models::Timestamp from_micros(std::int64_t us) {
  return models::Timestamp{std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(us))};
}

std::map<std::string, std::string> string_map(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

}  // namespace

CacheSessionStore::CacheSessionStore(cache::Cache& cache, std::string secret_key, bool data_in_cookie,
                                     const core::Clock& clock)
    : cache_(cache), secret_key_(std::move(secret_key)), data_in_cookie_(data_in_cookie), clock_(clock) {}

std::optional<SessionRecord> CacheSessionStore::load_key(const std::string& key, const std::string* cookie_data) {
  if (key.empty() || key.size() > 40) return std::nullopt;
  const auto text = cache_.get(entry_key(key));
  if (!text) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(*text);
    SessionRecord rec;
    rec.key = key;
    rec.expire = from_micros(j.at("e").get<std::int64_t>());
    if (rec.expire.time <= clock_.now()) return std::nullopt;
    if (!j.at("u").is_null()) rec.user_id = j.at("u").get<std::int64_t>();
    rec.created = from_micros(j.at("c").get<std::int64_t>());
    rec.last_seen = from_micros(j.at("s").get<std::int64_t>());
    rec.address = j.at("a").get<std::string>();
    rec.user_agent = j.at("g").get<std::string>();
    if (cookie_data != nullptr) {
      auto data = nlohmann::json::parse(*cookie_data);
      if (!data.is_object()) return std::nullopt;
      data.erase(kKeyField);
      rec.data = string_map(data);
    } else if (j.contains("d")) {
      rec.data = string_map(j.at("d"));
    }
    return rec;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // not a session entry of ours
  }
}

std::optional<SessionRecord> CacheSessionStore::load(const std::string& cookie) {
  if (!data_in_cookie_) return load_key(cookie, nullptr);
  if (cookie.size() > 8192) return std::nullopt;
  std::string payload, key;
  try {
    payload = crypto::loads(cookie, secret_key_, kCookieSalt);
    const auto j = nlohmann::json::parse(payload);
    if (!j.is_object() || !j.contains(kKeyField) || !j[kKeyField].is_string()) return std::nullopt;
    key = j[kKeyField].get<std::string>();
  } catch (const std::exception&) {
    return std::nullopt;  // a bad signature, another key, or not our JSON: no session
  }
  return load_key(key, &payload);  // a failing registry (CacheError) is the caller's to answer, not "no session"
}

std::string CacheSessionStore::save(const SessionRecord& rec) {
  nlohmann::json j = {{"e", micros(rec.expire)},
                      {"u", rec.user_id ? nlohmann::json(*rec.user_id) : nlohmann::json(nullptr)},
                      {"c", micros(rec.created)},
                      {"s", micros(rec.last_seen)},
                      {"a", rec.address.substr(0, 64)},
                      {"g", rec.user_agent.substr(0, 512)}};
  nlohmann::json data = nlohmann::json::object();
  for (const auto& [k, v] : rec.data) data[k] = v;
  if (!data_in_cookie_) j["d"] = data;
  const auto ttl = std::chrono::duration_cast<cache::Ttl>(rec.expire.time - clock_.now());
  if (ttl.count() > 0) {
    cache_.set(entry_key(rec.key), j.dump(-1, ' ', true), ttl);
    if (rec.user_id) cache_.set_add(index_key(*rec.user_id), rec.key, ttl);
  } else {
    cache_.remove(entry_key(rec.key));  // already expired: nothing to keep
  }
  if (!data_in_cookie_) return rec.key;
  data[kKeyField] = rec.key;
  return crypto::dumps(data.dump(-1, ' ', true), secret_key_, kCookieSalt, true);
}

bool CacheSessionStore::remove(const std::string& key) {
  if (key.empty() || key.size() > 40) return false;
  return cache_.remove(entry_key(key));
}

std::vector<SessionRecord> CacheSessionStore::for_user(std::int64_t user_id) {
  std::vector<SessionRecord> out;
  for (const auto& key : cache_.set_members(index_key(user_id))) {
    auto rec = load_key(key, nullptr);
    if (rec && rec->user_id == user_id) {
      out.push_back(std::move(*rec));
    } else {
      cache_.set_remove(index_key(user_id), key);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SessionRecord& a, const SessionRecord& b) { return a.last_seen.time > b.last_seen.time; });
  return out;
}

std::size_t CacheSessionStore::remove_for_user(std::int64_t user_id, const std::string& keep) {
  std::size_t n = 0;
  for (const auto& key : cache_.set_members(index_key(user_id))) {
    if (key == keep) continue;
    if (cache_.remove(entry_key(key))) ++n;
    cache_.set_remove(index_key(user_id), key);
  }
  return n;
}

std::size_t CacheSessionStore::clear_expired() { return cache_.clear_expired(); }

}  // namespace gatehouse::sessions
