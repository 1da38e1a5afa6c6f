// Passkeys: WebAuthn Level 2 registration and authentication, as a relying
// party checks them. CBOR (the attestation object, COSE keys) is decoded with
// Debian's libcbor and signatures are checked with OpenSSL; this file holds
// no cryptography of its own.
//
// What is checked (Web Authentication Level 2, 7.1 and 7.2):
//   - clientDataJSON: `type`, the `challenge` (the one this server made, from
//     the CSPRNG, single use: the caller keeps it in the session and forgets
//     it once used), the `origin` (GATEHOUSE_SITE_URL's), not cross-origin;
//   - authenticatorData: the RP ID hash (SHA-256 of GATEHOUSE_SITE_URL's
//     host), user presence required, user verification recorded (and
//     required for a passkey used alone), the attested credential on
//     registration;
//   - attestation: `none` only (no trust store is needed, and browsers send
//     `none` when the options ask for it, as ours do);
//   - keys: ES256 (COSE EC2, P-256) and RS256 (COSE RSA, 2048 bits or more);
//   - the signature over authenticatorData || SHA-256(clientDataJSON), and
//     the signature counter: when either side is not zero, the new count
//     must be greater, or the credential is taken for a clone and refused.
//
// Every parser takes bytes an attacker chose and answers std::nullopt (with
// a reason) for anything malformed: none throws, none reads out of bounds
// (fuzz/webauthn_fuzz.cpp).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/db/migrations.h"
#include "gatehouse/models/model.h"

namespace gatehouse::auth::webauthn {

// The relying party: who the credentials are for.
struct RelyingParty {
  std::string id;      // a host name: "accounts.example.com"
  std::string origin;  // "https://accounts.example.com" (port included when not the default)
  std::string name;    // shown by the authenticator: GATEHOUSE_SITE_NAME
  // From a site URL ("https://accounts.example.com/"); nullopt when it has no host.
  static std::optional<RelyingParty> from_site_url(const std::string& site_url, const std::string& name);
};

// COSE algorithm identifiers.
inline constexpr int kES256 = -7;
inline constexpr int kRS256 = -257;

// A stored passkey (gatehouse_webauthn_credential; the rows go with the user).
struct Credential {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string name{};
  std::string credential_id{};  // base64url, as the browser names it
  std::string public_key{};     // the COSE key, base64url
  std::int64_t sign_count = 0;
  bool user_verified = false;   // the authenticator verified the user at registration
  bool discoverable = false;    // a resident key: it can log in without a username
  std::string aaguid{};         // hex
  models::Timestamp created{};
  std::optional<models::Timestamp> last_used{};
  static const models::ModelInfo<Credential>& meta();
};
std::vector<db::Migration> migrations();

// ---- parsing -----------------------------------------------------------------------

struct AuthenticatorData {
  std::string rp_id_hash;  // 32 bytes
  std::uint8_t flags = 0;
  std::uint32_t sign_count = 0;
  // With the AT flag (registration):
  std::string aaguid;         // 16 bytes
  std::string credential_id;  // raw bytes
  std::string cose_key;       // the COSE_Key's CBOR bytes
  bool user_present() const noexcept { return (flags & 0x01u) != 0; }
  bool user_verified() const noexcept { return (flags & 0x04u) != 0; }
  bool attested() const noexcept { return (flags & 0x40u) != 0; }
};
std::optional<AuthenticatorData> parse_authenticator_data(std::string_view bytes, std::string* why = nullptr);

// A COSE_Key's algorithm, when it is one this server verifies (ES256 on
// P-256, RS256 with a modulus of 2048 bits or more), else nullopt.
std::optional<int> cose_algorithm(std::string_view cose_key, std::string* why = nullptr);

// The authenticatorData of a `none` attestation object.
std::optional<std::string> attestation_auth_data(std::string_view attestation_object, std::string* why = nullptr);

struct ClientData {
  std::string type, challenge, origin;  // challenge: base64url as sent
  bool cross_origin = false;
};
std::optional<ClientData> parse_client_data(std::string_view json, std::string* why = nullptr);

// Whether `signature` is the COSE key's signature of `message` (ES256: DER
// ECDSA over SHA-256; RS256: PKCS#1 v1.5 over SHA-256).
bool verify_signature(std::string_view cose_key, std::string_view message, std::string_view signature);

// ---- the ceremonies -------------------------------------------------------------------

// A new challenge: 32 bytes from the CSPRNG, base64url.
std::string new_challenge();

// PublicKeyCredentialCreationOptions (WebAuthn's JSON, binary as base64url)
// for the user; `exclude` are their credential ids (no second registration
// of one authenticator). Asks for a discoverable credential (a passkey),
// user verification preferred, attestation `none`, ES256 then RS256.
nlohmann::json creation_options(const RelyingParty& rp, std::int64_t user_id, const std::string& username,
                                const std::string& challenge, const std::vector<std::string>& exclude);
// PublicKeyCredentialRequestOptions; an empty `allow` lets the
// authenticator offer its discoverable credentials (a passkey alone).
nlohmann::json request_options(const RelyingParty& rp, const std::string& challenge,
                               const std::vector<std::string>& allow, bool require_user_verification);

struct Registered {
  std::string credential_id;  // base64url
  std::string public_key;     // COSE, base64url
  std::uint32_t sign_count = 0;
  bool user_verified = false;
  std::string aaguid;         // hex
};
// Checks a registration response (the PublicKeyCredential as JSON:
// {id, rawId, type, response: {clientDataJSON, attestationObject}}).
std::optional<Registered> verify_registration(const RelyingParty& rp, const std::string& challenge,
                                              const nlohmann::json& credential, std::string* why = nullptr);

struct Asserted {
  std::uint32_t sign_count = 0;
  bool user_verified = false;
  std::string user_handle;  // raw bytes, when the authenticator sent one
};
// The credential id (base64url) an assertion response names, if well formed.
std::optional<std::string> assertion_credential_id(const nlohmann::json& credential);
// Checks an assertion response ({id, rawId, type, response:
// {clientDataJSON, authenticatorData, signature, userHandle?}}) made by
// `stored`.
std::optional<Asserted> verify_assertion(const RelyingParty& rp, const std::string& challenge,
                                         const nlohmann::json& credential, const Credential& stored,
                                         std::string* why = nullptr);

// The user handle a registration gives the authenticator: the user id as 8
// bytes, big-endian (no username or address leaves the server in it).
std::string user_handle(std::int64_t user_id);
std::optional<std::int64_t> user_of_handle(std::string_view handle);

}  // namespace gatehouse::auth::webauthn
