#include "gatehouse/auth/reset_codes.h"

#include <stdexcept>

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/crypto/hmac.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::auth {

signals::Signal<void(const PasswordResetEvent&)> user_password_reset;

namespace {
std::string code_key(std::int64_t id) { return "reset_code:" + std::to_string(id); }
std::string tries_key(std::int64_t id) { return "reset_code_tries:" + std::to_string(id); }
}  // namespace

ResetCodes::ResetCodes(cache::Cache& cache, std::string secret_key, ResetCodePolicy policy)
    : cache_(cache), secret_(std::move(secret_key)), policy_(policy) {
  if (policy_.digits < 6 || policy_.digits > 12) throw std::invalid_argument("reset codes have 6 to 12 digits");
  if (policy_.lifetime.count() <= 0 || policy_.max_tries < 1)
    throw std::invalid_argument("reset codes need a positive lifetime and at least one try");
}

std::string ResetCodes::digest(std::int64_t user_id, std::string_view code) const {
  return core::hex_encode(crypto::hmac_sha256(secret_, "gatehouse.reset_code|" + std::to_string(user_id) + "|" + std::string(code)));
}

std::string ResetCodes::issue(std::int64_t user_id) {
  std::uint64_t bound = 1;
  for (int i = 0; i < policy_.digits; ++i) bound *= 10;
  std::string code = std::to_string(core::random_below(bound));
  code.insert(0, static_cast<std::size_t>(policy_.digits) - code.size(), '0');
  cache_.set(code_key(user_id), digest(user_id, code), policy_.lifetime);
  cache_.remove(tries_key(user_id));
  return code;
}

bool ResetCodes::redeem(std::int64_t user_id, std::string_view code) {
  const auto stored = cache_.get(code_key(user_id));
  if (!stored) return false;
  if (code.size() != static_cast<std::size_t>(policy_.digits) || !core::constant_time_equal(*stored, digest(user_id, code))) {
    if (cache_.incr(tries_key(user_id), 1, policy_.lifetime) >= policy_.max_tries) revoke(user_id);
    return false;
  }
  // Single use: of two requests racing with the right code, only the one that removes it wins.
  const bool mine = cache_.remove(code_key(user_id));
  cache_.remove(tries_key(user_id));
  return mine;
}

std::vector<User> users_for_reset(db::Connection& conn, std::string_view email) {
  std::vector<User> out;
  if (email.empty() || email.size() > 254) return out;
  const auto ids = conn.execute("SELECT id FROM auth_user WHERE lower(email) = lower(?) AND is_active = ? ORDER BY id",
                                {email, true});
  models::Manager<User> users(conn);
  for (const auto& row : ids.rows) {
    if (auto u = users.find({models::eq("id", row[0].as_int())}); u && u->has_usable_password()) out.push_back(std::move(*u));
  }
  return out;
}

void ResetCodes::revoke(std::int64_t user_id) {
  cache_.remove(code_key(user_id));
  cache_.remove(tries_key(user_id));
}

}  // namespace gatehouse::auth
