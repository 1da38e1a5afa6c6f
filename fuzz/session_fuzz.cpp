// Feeds Django-signed session data and signed cookies: crypto::loads(),
// sessions::decode_session_data() and SignedCookieSessionStore::load(). The
// first byte picks how the rest is used:
//   0  as the token itself (what a client sends: a forged or mangled cookie);
//   1  as the JSON inside a token signed with the right key (the JSON parser
//      behind a good signature; a client cannot forge one, Django's can);
//   2  as the zlib stream inside a signed, compressed token (".<b64>");
//   3  as the JSON inside a signed cookie of the signed-cookie store, whose
//      session "fuzzsession..." exists;
//   4  as a value to sign and read back.
// Properties: loads throws only BadSignature; decode_session_data answers for
// exactly the payloads that are JSON objects; the store returns only its own
// session, without the key field; dumps/loads and sign/unsign round-trip.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gatehouse/cache/cache.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/signing.h"
#include "gatehouse/sessions/store.h"

namespace crypto = gatehouse::crypto;
namespace sessions = gatehouse::sessions;

namespace {

const std::string kKey = "fuzz-secret-key-fuzz-secret-key-fuzz-secret-key-00";
const std::string kSessionSalt = "django.contrib.sessions.SessionStore";
const std::string kCookieSalt = "django.contrib.sessions.backends.signed_cookies";
const std::string kSessionKey = "fuzzsession0000000000000000000000";

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "session_fuzz: %s\n", what);
  std::abort();
}

// A signed-cookie store whose registry knows the session kSessionKey.
sessions::SignedCookieSessionStore& store() {
  static const std::unique_ptr<gatehouse::cache::Cache> cache = gatehouse::cache::make_memory_cache();
  static sessions::SignedCookieSessionStore s(*cache, kKey);
  static const bool saved = [] {
    sessions::SessionRecord rec;
    rec.key = kSessionKey;
    rec.created = rec.last_seen = gatehouse::models::Timestamp::now();
    rec.expire = {rec.created.time + std::chrono::hours(24 * 365)};
    rec.user_id = 7;
    (void)s.save(rec);
    return true;
  }();
  (void)saved;
  return s;
}

// crypto::loads, which may throw BadSignature and nothing else.
std::optional<std::string> loads(const std::string& token, const std::string& salt) {
  try {
    return crypto::loads(token, kKey, salt);
  } catch (const crypto::BadSignature&) {
    return std::nullopt;
  }
}

bool json_object(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  return !j.is_discarded() && j.is_object();
}

// What decode_session_data returns must agree with the payload inside the token.
void check_session_data(const std::string& token) {
  const auto payload = loads(token, kSessionSalt);
  const auto decoded = sessions::decode_session_data(token, kKey);
  require(decoded.has_value() == (payload && json_object(*payload)), "decode_session_data disagrees with the payload");
}

void check_cookie(const std::string& cookie) {
  (void)loads(cookie, kCookieSalt);
  if (const auto rec = store().load(cookie)) {
    require(rec->key == kSessionKey, "the store returned a session it does not have");
    require(rec->data.count("_session_key") == 0, "the store left the key field in the data");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const crypto::TimestampSigner session_signer(kKey, kSessionSalt), cookie_signer(kKey, kCookieSalt);
  switch (data[0] % 5) {
    case 0:
      check_session_data(rest);
      check_cookie(rest);
      break;
    case 1: {
      const std::string token = session_signer.sign(gatehouse::core::base64url_encode(rest));
      require(loads(token, kSessionSalt) == rest, "a signed payload did not read back");
      check_session_data(token);
      break;
    }
    case 2:
      check_session_data(session_signer.sign("." + gatehouse::core::base64url_encode(rest)));
      check_cookie(cookie_signer.sign("." + gatehouse::core::base64url_encode(rest)));
      break;
    case 3:
      check_cookie(cookie_signer.sign(gatehouse::core::base64url_encode(rest)));
      break;
    default: {
      require(loads(crypto::dumps(rest, kKey, kSessionSalt, true), kSessionSalt) == rest, "dumps/loads lost the value");
      const crypto::Signer signer(kKey);
      require(signer.unsign(signer.sign(rest)) == rest, "sign/unsign lost the value");
      break;
    }
  }
  return 0;
}
