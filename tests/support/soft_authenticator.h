// A software WebAuthn authenticator for the tests: it makes the
// PublicKeyCredential JSON a browser hands the page, for registration (a
// `none` attestation) and for assertions, from a key of its own (ES256 on
// P-256, or RS256 2048), signed with OpenSSL and encoded with libcbor. The
// tests change what it sends (flags, counter, origin, challenge, the
// signature) to see each check refuse.
#pragma once

#include <cbor.h>
#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/crypto/sha.h"

namespace gatehouse::testing {

struct AuthenticatorTweaks {  // what a test changes in SoftAuthenticator's next answer
  std::string type{};        // clientDataJSON.type; "" for the right one
  std::string origin{};      // "" for the authenticator's own
  std::string challenge{};   // "" for the one asked
  std::string rp_id{};       // "" for the one asked
  std::uint8_t flags = 0x05;  // UP and UV
  bool cross_origin = false;
  bool bad_signature = false;
  std::string fmt = "none";
  std::optional<std::uint32_t> counter{};  // the counter to report instead of the next one
  std::string user_handle{};               // raw; "" for the registered one
};

class SoftAuthenticator {
 public:
  enum class Algorithm { es256, rs256 };
  using Tweaks = AuthenticatorTweaks;

  SoftAuthenticator(std::string origin, Algorithm alg = Algorithm::es256)
      : origin_(std::move(origin)), alg_(alg), id_(core::random_bytes(16)) {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, alg == Algorithm::es256 ? "EC" : "RSA", nullptr), &EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) throw std::runtime_error("keygen init");
    if (alg == Algorithm::es256) {
      if (EVP_PKEY_CTX_set_group_name(ctx.get(), "prime256v1") != 1) throw std::runtime_error("group");
    } else if (EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) != 1) {
      throw std::runtime_error("bits");
    }
    if (EVP_PKEY_generate(ctx.get(), &key) != 1) throw std::runtime_error("keygen");
    key_.reset(key);
  }

  const std::string& credential_id() const { return id_; }
  std::string credential_id_b64() const { return core::base64url_encode(id_); }

  // The answer to navigator.credentials.create(options).
  nlohmann::json create(const nlohmann::json& options, const Tweaks& t = {}) {
    rp_id_ = options["rp"]["id"].get<std::string>();
    user_handle_ = *core::base64url_decode(options["user"]["id"].get<std::string>());
    const std::string client =
        client_data(t.type.empty() ? "webauthn.create" : t.type, options["challenge"].get<std::string>(), t);
    std::string auth = auth_data(t, static_cast<std::uint8_t>(t.flags | 0x40u));  // AT
    auth += std::string(16, '\0');                                              // AAGUID: none
    auth += static_cast<char>(id_.size() >> 8);
    auth += static_cast<char>(id_.size() & 0xFF);
    auth += id_ + cose_key();
    cbor_item_t* map = cbor_new_definite_map(3);
    add(map, cbor_build_string("fmt"), cbor_build_string(t.fmt.c_str()));
    add(map, cbor_build_string("attStmt"), cbor_new_definite_map(0));
    add(map, cbor_build_string("authData"), bytes(auth));
    const std::string attestation = serialize(map);
    return {{"id", credential_id_b64()}, {"rawId", credential_id_b64()}, {"type", "public-key"},
            {"response", {{"clientDataJSON", core::base64url_encode(client)},
                          {"attestationObject", core::base64url_encode(attestation)}}}};
  }

  // The answer to navigator.credentials.get(options).
  nlohmann::json get(const nlohmann::json& options, const Tweaks& t = {}) {
    if (options.contains("rpId")) rp_id_ = options["rpId"].get<std::string>();
    const std::string client =
        client_data(t.type.empty() ? "webauthn.get" : t.type, options["challenge"].get<std::string>(), t);
    const std::string auth = auth_data(t, t.flags);
    std::string signature = sign(auth + crypto::sha256(client));
    if (t.bad_signature) signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x01);
    return {{"id", credential_id_b64()}, {"rawId", credential_id_b64()}, {"type", "public-key"},
            {"response", {{"clientDataJSON", core::base64url_encode(client)},
                          {"authenticatorData", core::base64url_encode(auth)},
                          {"signature", core::base64url_encode(signature)},
                          {"userHandle", core::base64url_encode(t.user_handle.empty() ? user_handle_ : t.user_handle)}}}};
  }

 private:
  struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };

  std::string client_data(const std::string& type, const std::string& challenge, const Tweaks& t) const {
    return nlohmann::json{{"type", type},
                          {"challenge", t.challenge.empty() ? challenge : t.challenge},
                          {"origin", t.origin.empty() ? origin_ : t.origin},
                          {"crossOrigin", t.cross_origin}}
        .dump();
  }

  std::string auth_data(const Tweaks& t, std::uint8_t flags) {
    const std::uint32_t count = t.counter ? *t.counter : ++counter_;
    std::string out = crypto::sha256(t.rp_id.empty() ? rp_id_ : t.rp_id);
    out += static_cast<char>(flags);
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((count >> shift) & 0xFFu);
    return out;
  }

  static void add(cbor_item_t* map, cbor_item_t* k, cbor_item_t* v) {
    cbor_map_add(map, {cbor_move(k), cbor_move(v)});
  }
  static cbor_item_t* bytes(const std::string& b) {
    return cbor_build_bytestring(reinterpret_cast<cbor_data>(b.data()), b.size());
  }
  static cbor_item_t* integer(std::int64_t v) {
    return v >= 0 ? cbor_build_uint32(static_cast<std::uint32_t>(v)) : cbor_build_negint32(static_cast<std::uint32_t>(-1 - v));
  }
  static std::string serialize(cbor_item_t* item) {
    unsigned char* buffer = nullptr;
    std::size_t size = 0;
    const std::size_t written = cbor_serialize_alloc(item, &buffer, &size);
    std::string out(reinterpret_cast<char*>(buffer), written);
    std::free(buffer);
    cbor_decref(&item);
    return out;
  }

  std::string bn_param(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), name, &bn);
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
  }

  std::string cose_key() const {
    if (alg_ == Algorithm::rs256) {
      cbor_item_t* map = cbor_new_definite_map(4);
      add(map, integer(1), integer(3));
      add(map, integer(3), integer(-257));
      add(map, integer(-1), bytes(bn_param(OSSL_PKEY_PARAM_RSA_N)));
      add(map, integer(-2), bytes(bn_param(OSSL_PKEY_PARAM_RSA_E)));
      return serialize(map);
    }
    std::string point(65, '\0');
    std::size_t len = 0;
    EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, reinterpret_cast<unsigned char*>(point.data()),
                                    point.size(), &len);
    cbor_item_t* map = cbor_new_definite_map(5);
    add(map, integer(1), integer(2));
    add(map, integer(3), integer(-7));
    add(map, integer(-1), integer(1));
    add(map, integer(-2), bytes(point.substr(1, 32)));
    add(map, integer(-3), bytes(point.substr(33, 32)));
    return serialize(map);
  }

  std::string sign(const std::string& message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t size = 0;
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get());
    EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(message.data()), message.size());
    std::string out(size, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
    out.resize(size);
    return out;
  }

  std::string origin_;
  Algorithm alg_;
  std::string id_;
  std::unique_ptr<EVP_PKEY, KeyFree> key_;
  std::string rp_id_;
  std::string user_handle_;
  std::uint32_t counter_ = 0;
};

}  // namespace gatehouse::testing
