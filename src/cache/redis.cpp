// RedisCache over hiredis (Debian's libhiredis 0.14, the synchronous API).
// Connections live in a small pool; one that fails mid-command is dropped, so
// the next call reconnects. Counters and set expiry are Lua scripts, so each
// is atomic on the server whatever other clients do.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <string>

#include "gatehouse/cache/cache.h"
#include "validate.h"

namespace gatehouse::cache {

namespace {

constexpr const char* kIncrScript =
    "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return n";
constexpr const char* kSetAddScript =
    "redis.call('SADD', KEYS[1], ARGV[1]) "
    "if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return 1";

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
struct ContextDeleter {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

class RedisCache final : public Cache {
 public:
  explicit RedisCache(RedisOptions o) : o_(std::move(o)) {}

  std::optional<std::string> get(std::string_view key) override {
    Reply r = run({"GET", k(key)});
    if (r->type == REDIS_REPLY_NIL) return std::nullopt;
    return std::string(r->str, r->len);
  }
  void set(std::string_view key, std::string_view value, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    run({"SET", k(key), std::string(value), "PX", std::to_string(ttl.count())});
  }
  bool add(std::string_view key, std::string_view value, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    return run({"SET", k(key), std::string(value), "PX", std::to_string(ttl.count()), "NX"})->type != REDIS_REPLY_NIL;
  }
  bool remove(std::string_view key) override { return run({"DEL", k(key)})->integer > 0; }
  std::int64_t incr(std::string_view key, std::int64_t delta, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    return run({"EVAL", kIncrScript, "1", k(key), std::to_string(delta), std::to_string(ttl.count())})->integer;
  }
  std::optional<Ttl> ttl(std::string_view key) override {
    const long long ms = run({"PTTL", k(key)})->integer;
    if (ms < 0) return std::nullopt;  // -2 absent; -1 never happens: every key has a TTL
    return Ttl(ms);
  }
  void set_add(std::string_view key, std::string_view member, Ttl ttl) override {
    check_key_and_ttl(key, ttl);
    run({"EVAL", kSetAddScript, "1", k(key), std::string(member), std::to_string(ttl.count())});
  }
  void set_remove(std::string_view key, std::string_view member) override {
    run({"SREM", k(key), std::string(member)});
  }
  std::vector<std::string> set_members(std::string_view key) override {
    Reply r = run({"SMEMBERS", k(key)});
    std::vector<std::string> out;
    for (std::size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::size_t clear_expired() override { return 0; }  // Redis expires keys itself

  ~RedisCache() override = default;

 private:
  std::string k(std::string_view key) const { return o_.key_prefix + std::string(key); }

  Context connect() const {
    Context c(redisConnectWithTimeout(o_.host.c_str(), o_.port, to_timeval(o_.timeout)));
    if (!c) throw CacheError("redis: out of memory");
    if (c->err) throw CacheError("redis: cannot connect to " + o_.host + ":" + std::to_string(o_.port) + ": " + c->errstr);
    redisSetTimeout(c.get(), to_timeval(o_.timeout));
    if (!o_.password.empty()) command(c.get(), {"AUTH", o_.password});
    if (o_.database != 0) command(c.get(), {"SELECT", std::to_string(o_.database)});
    return c;
  }

  // One command on one connection; throws CacheError for a transport or a Redis error.
  static Reply command(redisContext* c, std::initializer_list<std::string> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!r) throw CacheError(std::string("redis: ") + (c->err ? c->errstr : "no reply"));
    if (r->type == REDIS_REPLY_ERROR) throw CacheError("redis: " + std::string(r->str, r->len));
    return r;
  }

  Reply run(std::initializer_list<std::string> args) {
    Context c;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!c) c = connect();
    Reply r;
    try {
      r = command(c.get(), args);
    } catch (const CacheError&) {
      if (c->err == 0) give_back(std::move(c));  // a Redis error: the connection is fine
      throw;
    }
    give_back(std::move(c));
    return r;
  }
  void give_back(Context c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < o_.max_idle_connections) idle_.push_back(std::move(c));
  }

  RedisOptions o_;
  std::mutex mu_;
  std::vector<Context> idle_;
};

}  // namespace

RedisOptions parse_redis_url(std::string_view url) {
  const auto bad = [&](const char* why) {
    return std::invalid_argument("GATEHOUSE_REDIS_URL: " + std::string(why) + " (expected redis://[:password@]host[:port][/db][?prefix=NAME])");
  };
  if (!url.starts_with("redis://")) throw bad("not a redis:// address");
  std::string_view rest = url.substr(8);
  RedisOptions o;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    const std::string_view query = rest.substr(q + 1);
    if (!query.starts_with("prefix=") || query.size() == 7 || query.find('&') != std::string_view::npos)
      throw bad("the only option is ?prefix=NAME");
    o.key_prefix = std::string(query.substr(7));
    rest = rest.substr(0, q);
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    const auto colon = auth.find(':');
    o.password = std::string(colon == std::string_view::npos ? auth : auth.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), o.database);
      if (ec != std::errc() || end != db.data() + db.size() || o.database < 0) throw bad("the database is not a number");
    }
    rest = rest.substr(0, slash);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = rest.substr(colon + 1);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
    if (ec != std::errc() || end != port.data() + port.size() || o.port <= 0 || o.port > 65535)
      throw bad("the port is not a number from 1 to 65535");
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) throw bad("no host");
  o.host = std::string(rest);
  return o;
}

std::unique_ptr<Cache> make_redis_cache(RedisOptions options) { return std::make_unique<RedisCache>(std::move(options)); }

}  // namespace gatehouse::cache
