// Feeds attacker-chosen bytes to every WebAuthn parser (auth/webauthn.h):
// authenticatorData, COSE keys, the attestation object, clientDataJSON, and
// the two ceremonies' JSON credentials. The first byte picks the target; the
// rest is the input. Properties: nothing throws or reads out of bounds
// (ASan, UBSan); parsed authenticatorData keeps its own invariants (a
// 32-byte RP ID hash; with AT, a 16-byte AAGUID, an id of 1 to 1023 bytes and
// a COSE key that is one CBOR item); and no ceremony accepts what a fixed
// challenge and key were not made for.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gatehouse/auth/webauthn.h"

namespace webauthn = gatehouse::auth::webauthn;

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "webauthn_fuzz: %s\n", what);
  std::abort();
}

const webauthn::RelyingParty& rp() {
  static const webauthn::RelyingParty r = *webauthn::RelyingParty::from_site_url("https://example.com/", "Example");
  return r;
}

void authenticator_data(std::string_view input) {
  const auto d = webauthn::parse_authenticator_data(input);
  if (!d) return;
  require(d->rp_id_hash.size() == 32, "an RP ID hash that is not 32 bytes");
  if (d->attested()) {
    require(d->aaguid.size() == 16, "an AAGUID that is not 16 bytes");
    require(!d->credential_id.empty() && d->credential_id.size() <= 1023, "a credential id out of bounds");
    require(!d->cose_key.empty(), "an attested credential without a key");
    (void)webauthn::cose_algorithm(d->cose_key);
  }
}

void ceremonies(std::string_view input) {
  const nlohmann::json credential = nlohmann::json::parse(input, nullptr, false);
  if (credential.is_discarded()) return;
  // A challenge the input cannot know: nothing may be accepted.
  const std::string challenge = "fuzz-challenge-that-no-input-names-0123456789";
  require(!webauthn::verify_registration(rp(), challenge, credential), "a registration for another challenge");
  (void)webauthn::assertion_credential_id(credential);
  const webauthn::Credential stored{.credential_id = "AAAA", .public_key = "pQECAyYgASFYIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIlggAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
  require(!webauthn::verify_assertion(rp(), challenge, credential, stored), "an assertion for another challenge");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: authenticator_data(input); break;
    case 1: (void)webauthn::cose_algorithm(input); break;
    case 2:
      if (const auto auth = webauthn::attestation_auth_data(input)) authenticator_data(*auth);
      break;
    case 3: (void)webauthn::parse_client_data(input); break;
    default: ceremonies(input); break;
  }
  return 0;
}
