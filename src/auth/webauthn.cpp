#include "gatehouse/auth/webauthn.h"

#include <cbor.h>
#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <memory>

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/crypto/sha.h"
#include "gatehouse/models/schema.h"

namespace gatehouse::auth::webauthn {

namespace {

using nlohmann::json;

bool refuse(std::string* why, const char* reason) {
  if (why != nullptr) *why = reason;
  return false;
}
template <class T>
std::optional<T> none(std::string* why, const char* reason) {
  refuse(why, reason);
  return std::nullopt;
}

// ---- CBOR, through libcbor -------------------------------------------------------------

struct CborDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using Cbor = std::unique_ptr<cbor_item_t, CborDeleter>;

// Whether `bytes` starts with one well-formed, definite-length CBOR item no
// deeper than `depth` whose every declared length fits in the bytes left
// (`end` gets where it ends). Checked before libcbor sees the bytes: libcbor
// allocates what an array's or map's header claims, so five bytes could ask
// it for gigabytes. WebAuthn's CBOR is definite-length (CTAP2 canonical form).
bool plausible(std::string_view b, std::size_t& end, int depth = 8) {
  std::size_t at = 0;
  const auto item = [&](auto& self, int level) -> bool {
    if (level > depth || at >= b.size()) return false;
    const auto initial = static_cast<unsigned char>(b[at++]);
    const unsigned major = initial >> 5, info = initial & 0x1Fu;
    std::uint64_t value = info;
    if (info >= 24 && info <= 27) {
      const std::size_t n = std::size_t{1} << (info - 24);
      if (b.size() - at < n) return false;
      value = 0;
      for (std::size_t i = 0; i < n; ++i) value = (value << 8) | static_cast<unsigned char>(b[at++]);
    } else if (info > 27) {
      return false;  // indefinite lengths and reserved values
    }
    const std::uint64_t left = b.size() - at;
    switch (major) {
      case 2: case 3:  // byte and text strings
        if (value > left) return false;
        at += static_cast<std::size_t>(value);
        return true;
      case 4: case 5: {  // arrays and maps: every item takes a byte at least
        const std::uint64_t items = major == 5 ? value * 2 : value;
        if (value > left || items > left) return false;
        for (std::uint64_t i = 0; i < items; ++i)
          if (!self(self, level + 1)) return false;
        return true;
      }
      case 6: return self(self, level + 1);  // a tag and its item
      default: return true;                  // integers, simple values, floats
    }
  };
  if (!item(item, 0)) return false;
  end = at;
  return true;
}

// One CBOR item from the start of `bytes`; `read` gets how many bytes it took.
Cbor load(std::string_view bytes, std::size_t* read = nullptr) {
  std::size_t end = 0;
  if (!plausible(bytes, end)) return nullptr;
  cbor_load_result result{};
  Cbor item(cbor_load(reinterpret_cast<cbor_data>(bytes.data()), bytes.size(), &result));
  if (result.error.code != CBOR_ERR_NONE) return nullptr;
  if (read != nullptr) *read = result.read;
  return item;
}

std::optional<std::string> bytes_of(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(cbor_bytestring_handle(item)), cbor_bytestring_length(item));
}

std::optional<std::string> text_of(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(cbor_string_handle(item)), cbor_string_length(item));
}

// An integer key or value (COSE labels are small, positive or negative).
std::optional<std::int64_t> int_of(const cbor_item_t* item) {
  if (item == nullptr) return std::nullopt;
  if (cbor_isa_uint(item) && cbor_get_int(item) <= 0xFFFFFFFFu) return static_cast<std::int64_t>(cbor_get_int(item));
  if (cbor_isa_negint(item) && cbor_get_int(item) <= 0xFFFFFFFFu) return -1 - static_cast<std::int64_t>(cbor_get_int(item));
  return std::nullopt;
}

// The value under an integer label of a definite map.
const cbor_item_t* at(const cbor_item_t* map, std::int64_t label) {
  if (map == nullptr || !cbor_isa_map(map) || !cbor_map_is_definite(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i)
    if (int_of(pairs[i].key) == label) return pairs[i].value;
  return nullptr;
}
// The value under a text key of a definite map.
const cbor_item_t* at(const cbor_item_t* map, std::string_view key) {
  if (map == nullptr || !cbor_isa_map(map) || !cbor_map_is_definite(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i)
    if (text_of(pairs[i].key) == key) return pairs[i].value;
  return nullptr;
}

// ---- keys, through OpenSSL -------------------------------------------------------------

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;

Key key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return Key(key);
}

// COSE EC2 (kty 2) on P-256 (crv 1): x and y, 32 bytes each.
Key ec2_key(const cbor_item_t* cose) {
  const auto crv = int_of(at(cose, -1));
  const auto x = bytes_of(at(cose, -2)), y = bytes_of(at(cose, -3));
  if (crv != 1 || !x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  const std::string point = "\x04" + *x + *y;
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return nullptr;
  return key_from_params("EC", bld.get());
}

// COSE RSA (kty 3): n (2048 bits or more) and e.
Key rsa_key(const cbor_item_t* cose) {
  const auto n = bytes_of(at(cose, -1)), e = bytes_of(at(cose, -2));
  if (!n || !e || n->size() < 256 || n->size() > 1024 || e->empty() || e->size() > 8) return nullptr;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr), &BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr), &BN_free);
  // 2048 bits counted from the leading one (not the byte count), and an odd exponent of 3 or more.
  if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || !BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2)
    return nullptr;
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return nullptr;
  return key_from_params("RSA", bld.get());
}

// The key and its algorithm, when the COSE_Key is one this server verifies.
std::pair<Key, int> cose_public_key(std::string_view cose_bytes) {
  std::size_t read = 0;
  Cbor cose = load(cose_bytes, &read);
  if (!cose || read != cose_bytes.size()) return {nullptr, 0};
  const auto kty = int_of(at(cose.get(), 1)), alg = int_of(at(cose.get(), 3));
  if (kty == 2 && alg == kES256) return {ec2_key(cose.get()), kES256};
  if (kty == 3 && alg == kRS256) return {rsa_key(cose.get()), kRS256};
  return {nullptr, 0};
}

// ---- the JSON credential -----------------------------------------------------------------

// A base64url string member of `obj`, decoded.
std::optional<std::string> b64_member(const json& obj, const char* name) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return core::base64url_decode(it->get<std::string>());
}

// The credential's `response` object, when the credential is a public-key one whose id and rawId agree.
const json* response_of(const json& credential) {
  if (!credential.is_object()) return nullptr;
  const auto type = credential.find("type"), id = credential.find("id"), response = credential.find("response");
  if (type == credential.end() || *type != "public-key" || id == credential.end() || !id->is_string() ||
      response == credential.end() || !response->is_object())
    return nullptr;
  const auto raw = b64_member(credential, "rawId"), named = core::base64url_decode(id->get<std::string>());
  if (!named || named->empty() || (raw && *raw != *named)) return nullptr;
  return &*response;
}

bool client_data_ok(const RelyingParty& rp, const ClientData& c, const char* type, const std::string& challenge,
                    std::string* why) {
  if (c.type != type) return refuse(why, "clientDataJSON.type is not this ceremony's");
  if (challenge.empty() || !core::constant_time_equal(c.challenge, challenge))
    return refuse(why, "the challenge is not the one this server issued");
  if (c.origin != rp.origin) return refuse(why, "the origin is not this site's");
  if (c.cross_origin) return refuse(why, "a cross-origin ceremony");
  return true;
}

std::string sha256(std::string_view s) { return crypto::sha256(s); }

}  // namespace

// ---- the relying party and the stored credential ---------------------------------------------

std::optional<RelyingParty> RelyingParty::from_site_url(const std::string& site_url, const std::string& name) {
  const auto scheme_end = site_url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::string scheme = site_url.substr(0, scheme_end);
  std::string authority = site_url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if ((scheme != "http" && scheme != "https") || authority.empty() || authority.find('@') != std::string::npos)
    return std::nullopt;
  std::string host = authority, port;
  if (const auto colon = authority.rfind(':'); colon != std::string::npos && authority.find(']') == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  for (char& c : host) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  const bool default_port = port.empty() || (scheme == "https" && port == "443") || (scheme == "http" && port == "80");
  return RelyingParty{host, scheme + "://" + host + (default_port ? "" : ":" + port), name};
}

const models::ModelInfo<Credential>& Credential::meta() {
  static const models::ModelInfo<Credential> info =
      models::ModelInfo<Credential>("gatehouse_auth", "webauthncredential", "gatehouse_webauthn_credential")
          .primary_key("id", &Credential::id)
          .field("user_id", &Credential::user_id, {.references = models::Reference{.table = "auth_user"}, .db_index = true})
          .field("name", &Credential::name, {.max_length = 64})
          .field("credential_id", &Credential::credential_id, {.unique = true, .max_length = 1400})
          .field("public_key", &Credential::public_key)
          .field("sign_count", &Credential::sign_count)
          .field("user_verified", &Credential::user_verified)
          .field("discoverable", &Credential::discoverable)
          .field("aaguid", &Credential::aaguid, {.blank = true, .max_length = 32})
          .field("created", &Credential::created)
          .field("last_used", &Credential::last_used, {.blank = true});
  return info;
}

std::vector<db::Migration> migrations() {
  return {{"gatehouse_auth", "0003_webauthn_credentials", [](db::Connection& c) {
             models::register_model(&Credential::meta());  // a deleted user's passkeys go with them
             if (!db::table_exists(c, Credential::meta().table())) models::create_table(c, Credential::meta());
           }}};
}

// ---- parsing ------------------------------------------------------------------------------------

std::optional<AuthenticatorData> parse_authenticator_data(std::string_view b, std::string* why) {
  if (b.size() < 37) return none<AuthenticatorData>(why, "authenticatorData is shorter than 37 bytes");
  AuthenticatorData d;
  d.rp_id_hash = std::string(b.substr(0, 32));
  d.flags = static_cast<std::uint8_t>(b[32]);
  for (std::size_t i = 33; i < 37; ++i)
    d.sign_count = (d.sign_count << 8) | static_cast<std::uint32_t>(static_cast<unsigned char>(b[i]));
  std::string_view rest = b.substr(37);
  if (d.attested()) {
    if (rest.size() < 18) return none<AuthenticatorData>(why, "attested credential data is truncated");
    d.aaguid = std::string(rest.substr(0, 16));
    const std::size_t id_length = (static_cast<std::size_t>(static_cast<unsigned char>(rest[16])) << 8) |
                                  static_cast<unsigned char>(rest[17]);
    rest = rest.substr(18);
    if (id_length == 0 || id_length > 1023 || rest.size() < id_length)
      return none<AuthenticatorData>(why, "the credential id's length is out of bounds");
    d.credential_id = std::string(rest.substr(0, id_length));
    rest = rest.substr(id_length);
    std::size_t read = 0;
    if (!load(rest, &read) || read == 0) return none<AuthenticatorData>(why, "the credential public key is not CBOR");
    d.cose_key = std::string(rest.substr(0, read));
    rest = rest.substr(read);
  }
  if ((d.flags & 0x80u) != 0) {  // ED: extensions, one CBOR map to the end
    std::size_t read = 0;
    Cbor ext = load(rest, &read);
    if (!ext || !cbor_isa_map(ext.get())) return none<AuthenticatorData>(why, "the extensions are not a CBOR map");
    rest = rest.substr(read);
  }
  if (!rest.empty()) return none<AuthenticatorData>(why, "bytes left over after authenticatorData");
  return d;
}

std::optional<int> cose_algorithm(std::string_view cose_key, std::string* why) {
  auto [key, alg] = cose_public_key(cose_key);
  if (!key) return none<int>(why, "the public key is not an ES256 (P-256) or RS256 (2048+ bits) COSE key");
  return alg;
}

std::optional<std::string> attestation_auth_data(std::string_view attestation_object, std::string* why) {
  std::size_t read = 0;
  Cbor object = load(attestation_object, &read);
  if (!object || read != attestation_object.size() || !cbor_isa_map(object.get()))
    return none<std::string>(why, "the attestation object is not one CBOR map");
  const auto fmt = text_of(at(object.get(), "fmt"));
  const cbor_item_t* statement = at(object.get(), "attStmt");
  if (fmt != "none" || statement == nullptr || !cbor_isa_map(statement) || cbor_map_size(statement) != 0)
    return none<std::string>(why, "only the `none` attestation is accepted");
  auto auth_data = bytes_of(at(object.get(), "authData"));
  if (!auth_data) return none<std::string>(why, "the attestation object has no authData");
  return auth_data;
}

std::optional<ClientData> parse_client_data(std::string_view text, std::string* why) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return none<ClientData>(why, "clientDataJSON is not a JSON object");
  ClientData c;
  const std::pair<const char*, std::string*> members[] = {{"type", &c.type}, {"challenge", &c.challenge}, {"origin", &c.origin}};
  for (const auto& [name, out] : members) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return none<ClientData>(why, "clientDataJSON lacks type, challenge or origin");
    *out = it->get<std::string>();
  }
  if (const auto co = j.find("crossOrigin"); co != j.end()) {
    if (!co->is_boolean()) return none<ClientData>(why, "clientDataJSON.crossOrigin is not a boolean");
    c.cross_origin = co->get<bool>();
  }
  return c;
}

bool verify_signature(std::string_view cose_key, std::string_view message, std::string_view signature) {
  auto [key, alg] = cose_public_key(cose_key);
  if (!key || signature.empty()) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

// ---- the ceremonies ---------------------------------------------------------------------------------

std::string new_challenge() { return core::base64url_encode(core::random_bytes(32)); }

std::string user_handle(std::int64_t user_id) {
  std::string out(8, '\0');
  auto v = static_cast<std::uint64_t>(user_id);
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFFu);
  return out;
}

std::optional<std::int64_t> user_of_handle(std::string_view handle) {
  if (handle.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : handle) v = (v << 8) | static_cast<unsigned char>(c);
  if (v == 0 || v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

json creation_options(const RelyingParty& rp, std::int64_t user_id, const std::string& username,
                      const std::string& challenge, const std::vector<std::string>& exclude) {
  json excluded = json::array();
  for (const auto& id : exclude) excluded.push_back({{"type", "public-key"}, {"id", id}});
  return {{"rp", {{"id", rp.id}, {"name", rp.name}}},
          {"user", {{"id", core::base64url_encode(user_handle(user_id))}, {"name", username}, {"displayName", username}}},
          {"challenge", challenge},
          {"pubKeyCredParams", {{{"type", "public-key"}, {"alg", kES256}}, {{"type", "public-key"}, {"alg", kRS256}}}},
          {"timeout", 300000},
          {"excludeCredentials", excluded},
          {"authenticatorSelection",
           {{"residentKey", "preferred"}, {"requireResidentKey", false}, {"userVerification", "preferred"}}},
          {"attestation", "none"}};
}

json request_options(const RelyingParty& rp, const std::string& challenge, const std::vector<std::string>& allow,
                     bool require_user_verification) {
  json allowed = json::array();
  for (const auto& id : allow) allowed.push_back({{"type", "public-key"}, {"id", id}});
  return {{"challenge", challenge},
          {"rpId", rp.id},
          {"timeout", 300000},
          {"allowCredentials", allowed},
          {"userVerification", require_user_verification ? "required" : "preferred"}};
}

std::optional<Registered> verify_registration(const RelyingParty& rp, const std::string& challenge,
                                              const json& credential, std::string* why) {
  const json* response = response_of(credential);
  if (response == nullptr) return none<Registered>(why, "not a public-key credential");
  const auto client_json = b64_member(*response, "clientDataJSON");
  const auto attestation = b64_member(*response, "attestationObject");
  if (!client_json || !attestation) return none<Registered>(why, "the response lacks clientDataJSON or attestationObject");
  const auto client = parse_client_data(*client_json, why);
  if (!client || !client_data_ok(rp, *client, "webauthn.create", challenge, why)) return std::nullopt;
  const auto raw = attestation_auth_data(*attestation, why);
  const auto data = raw ? parse_authenticator_data(*raw, why) : std::nullopt;
  if (!data) return std::nullopt;
  if (!core::constant_time_equal(data->rp_id_hash, sha256(rp.id))) return none<Registered>(why, "the RP ID hash is not this site's");
  if (!data->user_present()) return none<Registered>(why, "the user was not present");
  if (!data->attested()) return none<Registered>(why, "no attested credential data");
  if (core::base64url_decode(credential["id"].get<std::string>()) != data->credential_id)
    return none<Registered>(why, "the credential id is not the attested one");
  if (!cose_algorithm(data->cose_key, why)) return std::nullopt;
  return Registered{core::base64url_encode(data->credential_id), core::base64url_encode(data->cose_key),
                    data->sign_count, data->user_verified(), core::hex_encode(data->aaguid)};
}

std::optional<std::string> assertion_credential_id(const json& credential) {
  if (response_of(credential) == nullptr) return std::nullopt;
  return core::base64url_encode(*core::base64url_decode(credential["id"].get<std::string>()));
}

std::optional<Asserted> verify_assertion(const RelyingParty& rp, const std::string& challenge, const json& credential,
                                         const Credential& stored, std::string* why) {
  const json* response = response_of(credential);
  if (response == nullptr || assertion_credential_id(credential) != stored.credential_id)
    return none<Asserted>(why, "not this credential's assertion");
  const auto client_json = b64_member(*response, "clientDataJSON");
  const auto raw = b64_member(*response, "authenticatorData");
  const auto signature = b64_member(*response, "signature");
  const auto key = core::base64url_decode(stored.public_key);
  if (!client_json || !raw || !signature || !key) return none<Asserted>(why, "the response lacks a part");
  const auto client = parse_client_data(*client_json, why);
  if (!client || !client_data_ok(rp, *client, "webauthn.get", challenge, why)) return std::nullopt;
  const auto data = parse_authenticator_data(*raw, why);
  if (!data) return std::nullopt;
  if (!core::constant_time_equal(data->rp_id_hash, sha256(rp.id))) return none<Asserted>(why, "the RP ID hash is not this site's");
  if (!data->user_present()) return none<Asserted>(why, "the user was not present");
  if (!verify_signature(*key, *raw + sha256(*client_json), *signature)) return none<Asserted>(why, "the signature is wrong");
  const auto stored_count = static_cast<std::uint64_t>(stored.sign_count);
  if ((data->sign_count != 0 || stored_count != 0) && data->sign_count <= stored_count)
    return none<Asserted>(why, "the signature counter went back: a cloned authenticator?");
  Asserted a{data->sign_count, data->user_verified(), {}};
  if (auto handle = b64_member(*response, "userHandle")) a.user_handle = *handle;
  return a;
}

}  // namespace gatehouse::auth::webauthn
