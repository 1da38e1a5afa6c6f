// MemoryCache: one mutex over a hash map. Expired entries are dropped when
// touched and by clear_expired(); the map is small in the uses it has here.
// Expiry is by the injected clock (wall time by default).
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "gatehouse/cache/cache.h"
#include "validate.h"

namespace gatehouse::cache {

namespace {

class MemoryCache final : public Cache {
 public:
  explicit MemoryCache(const core::Clock& clock) : clock_(clock) {}

  std::optional<std::string> get(std::string_view key) override {
    std::lock_guard lock(mu_);
    const Entry* e = live(key);
    if (e == nullptr || e->is_set) return std::nullopt;
    return e->value;
  }
  void set(std::string_view key, std::string_view value, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    std::lock_guard lock(mu_);
    entries_[std::string(key)] = Entry{std::string(value), {}, false, clock_.now() + ttl};
  }
  bool add(std::string_view key, std::string_view value, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    std::lock_guard lock(mu_);
    if (live(key) != nullptr) return false;
    entries_[std::string(key)] = Entry{std::string(value), {}, false, clock_.now() + ttl};
    return true;
  }
  bool remove(std::string_view key) override {
    std::lock_guard lock(mu_);
    const bool was_live = live(key) != nullptr;
    entries_.erase(std::string(key));
    return was_live;
  }
  std::int64_t incr(std::string_view key, std::int64_t delta, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    std::lock_guard lock(mu_);
    Entry* e = live(key);
    if (e == nullptr) {
      e = &(entries_[std::string(key)] = Entry{"0", {}, false, clock_.now() + ttl});
    }
    const std::int64_t n = parse_counter(e->value) + delta;
    e->value = std::to_string(n);
    return n;
  }
  std::optional<Ttl> ttl(std::string_view key) override {
    std::lock_guard lock(mu_);
    const Entry* e = live(key);
    if (e == nullptr) return std::nullopt;
    return std::chrono::duration_cast<Ttl>(e->expires - clock_.now());
  }
  void set_add(std::string_view key, std::string_view member, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    std::lock_guard lock(mu_);
    const auto until = clock_.now() + ttl;
    Entry* e = live(key);
    if (e == nullptr) e = &(entries_[std::string(key)] = Entry{{}, {}, true, until});
    e->members.insert(std::string(member));
    e->expires = std::max(e->expires, until);
  }
  void set_remove(std::string_view key, std::string_view member) override {
    std::lock_guard lock(mu_);
    if (Entry* e = live(key)) e->members.erase(std::string(member));
  }
  std::vector<std::string> set_members(std::string_view key) override {
    std::lock_guard lock(mu_);
    const Entry* e = live(key);
    if (e == nullptr) return {};
    return {e->members.begin(), e->members.end()};
  }
  std::size_t clear_expired() override {
    std::lock_guard lock(mu_);
    const auto now = clock_.now();
    return static_cast<std::size_t>(std::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; }));
  }

 private:
  struct Entry {
    std::string value;
    std::set<std::string> members;
    bool is_set = false;
    core::TimePoint expires;
  };
  // The live entry, erasing it if it has expired. Caller holds mu_.
  Entry* live(std::string_view key) {
    auto it = entries_.find(std::string(key));
    if (it == entries_.end()) return nullptr;
    if (it->second.expires <= clock_.now()) {
      entries_.erase(it);
      return nullptr;
    }
    return &it->second;
  }
  const core::Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace

std::unique_ptr<Cache> make_memory_cache(const core::Clock& clock) { return std::make_unique<MemoryCache>(clock); }

}  // namespace gatehouse::cache
