// WebAuthn (auth/webauthn.h): the relying party from a site URL, the
// authenticatorData and COSE parsers on malformed bytes, and registration and
// assertion from a software authenticator (ES256 and RS256) with each check
// made to refuse: type, challenge, origin, cross-origin, RP ID, user
// presence, attestation format, signature, and the clone counter.
#include "gatehouse/auth/webauthn.h"

#include <gtest/gtest.h>

#include <fstream>

#include "gatehouse/core/encoding.h"
#include "soft_authenticator.h"

namespace gatehouse::auth::webauthn {
namespace {

using testing::SoftAuthenticator;
using nlohmann::json;

const RelyingParty kRp = *RelyingParty::from_site_url("https://Accounts.Example.com/", "Example");

TEST(RelyingParty, HostAndOriginFromTheSiteUrl) {
  EXPECT_EQ(kRp.id, "accounts.example.com");
  EXPECT_EQ(kRp.origin, "https://accounts.example.com");
  const auto local = RelyingParty::from_site_url("http://localhost:8000", "x");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->id, "localhost");
  EXPECT_EQ(local->origin, "http://localhost:8000");
  EXPECT_EQ(RelyingParty::from_site_url("https://example.com:443/path?q", "x")->origin, "https://example.com");
  EXPECT_FALSE(RelyingParty::from_site_url("example.com", "x"));
  EXPECT_FALSE(RelyingParty::from_site_url("ftp://example.com", "x"));
  EXPECT_FALSE(RelyingParty::from_site_url("https://user@example.com/", "x"));
  EXPECT_FALSE(RelyingParty::from_site_url("https:///", "x"));
}

TEST(Parsing, MalformedAuthenticatorDataIsRefusedWithAReason) {
  std::string why;
  EXPECT_FALSE(parse_authenticator_data(std::string(36, 'a'), &why));
  EXPECT_EQ(why, "authenticatorData is shorter than 37 bytes");
  std::string with_at(37, '\0');
  with_at[32] = 0x41;  // UP and AT, but nothing attested follows
  EXPECT_FALSE(parse_authenticator_data(with_at, &why));
  std::string long_id = with_at + std::string(16, '\0') + "\xff\xff";
  EXPECT_FALSE(parse_authenticator_data(long_id, &why));
  EXPECT_EQ(why, "the credential id's length is out of bounds");
  std::string leftover(38, '\0');
  leftover[32] = 0x01;
  EXPECT_FALSE(parse_authenticator_data(leftover, &why));
  EXPECT_EQ(why, "bytes left over after authenticatorData");
  std::string plain(37, '\0');
  plain[32] = 0x05;
  plain[36] = 7;
  const auto d = parse_authenticator_data(plain);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->user_present());
  EXPECT_TRUE(d->user_verified());
  EXPECT_EQ(d->sign_count, 7u);
  EXPECT_FALSE(attestation_auth_data(std::string("\x9a\x10\x00\x00\x00", 5), &why))
      << "an array header claiming 2^28 items in five bytes: refused before libcbor allocates for them";
  EXPECT_FALSE(attestation_auth_data("\xbf\xff", &why)) << "indefinite lengths are not WebAuthn's";
  EXPECT_FALSE(cose_algorithm("\xa0"));  // an empty map
  EXPECT_FALSE(cose_algorithm(""));
  EXPECT_FALSE(attestation_auth_data("\x80"));  // an array
  EXPECT_FALSE(parse_client_data("[1]"));
  EXPECT_FALSE(parse_client_data(R"({"type":"webauthn.get","challenge":"x","origin":"y","crossOrigin":"no"})"));
}

class Ceremony : public ::testing::TestWithParam<SoftAuthenticator::Algorithm> {
 protected:
  SoftAuthenticator key_{kRp.origin, GetParam()};
  std::string challenge_ = new_challenge();
  json creation() { return creation_options(kRp, 42, "ada", challenge_, {}); }
  Credential registered(const Registered& r) {
    return {.user_id = 42, .credential_id = r.credential_id, .public_key = r.public_key, .sign_count = r.sign_count};
  }
};

TEST_P(Ceremony, ARegistrationIsCheckedAndItsKeyKept) {
  const json options = creation();
  EXPECT_EQ(options["rp"]["id"], "accounts.example.com");
  EXPECT_EQ(*core::base64url_decode(options["user"]["id"].get<std::string>()), user_handle(42));
  EXPECT_EQ(options["attestation"], "none");
  std::string why;
  const auto r = verify_registration(kRp, challenge_, key_.create(options), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->credential_id, key_.credential_id_b64());
  EXPECT_EQ(cose_algorithm(*core::base64url_decode(r->public_key)), GetParam() == SoftAuthenticator::Algorithm::es256 ? kES256 : kRS256);
  EXPECT_TRUE(r->user_verified);
  EXPECT_EQ(r->aaguid, std::string(32, '0'));
}

TEST_P(Ceremony, EachRegistrationCheckRefuses) {
  const json options = creation();
  const std::pair<SoftAuthenticator::Tweaks, const char*> cases[] = {
      {{.type = "webauthn.get"}, "clientDataJSON.type is not this ceremony's"},
      {{.challenge = new_challenge()}, "the challenge is not the one this server issued"},
      {{.origin = "https://evil.example.com"}, "the origin is not this site's"},
      {{.cross_origin = true}, "a cross-origin ceremony"},
      {{.rp_id = "evil.example.com"}, "the RP ID hash is not this site's"},
      {{.flags = 0x04}, "the user was not present"},
      {{.fmt = "packed"}, "only the `none` attestation is accepted"},
  };
  for (const auto& [tweak, reason] : cases) {
    std::string why;
    EXPECT_FALSE(verify_registration(kRp, challenge_, key_.create(options, tweak), &why)) << reason;
    EXPECT_EQ(why, reason);
  }
  json renamed = key_.create(options);
  renamed["id"] = renamed["rawId"] = core::base64url_encode("another id");
  std::string why;
  EXPECT_FALSE(verify_registration(kRp, challenge_, renamed, &why));
  EXPECT_EQ(why, "the credential id is not the attested one");
  EXPECT_FALSE(verify_registration(kRp, "", key_.create(options), &why)) << "no challenge kept: nothing matches";
  EXPECT_FALSE(verify_registration(kRp, challenge_, json::parse(R"({"type":"public-key"})"), &why));
}

TEST_P(Ceremony, AnAssertionIsCheckedAndTheCounterMustGrow) {
  const auto r = verify_registration(kRp, challenge_, key_.create(creation()));
  ASSERT_TRUE(r);
  Credential stored = registered(*r);
  const std::string c2 = new_challenge();
  const json options = request_options(kRp, c2, {stored.credential_id}, false);
  EXPECT_EQ(options["allowCredentials"][0]["id"], stored.credential_id);
  std::string why;
  const auto a = verify_assertion(kRp, c2, key_.get(options), stored, &why);
  ASSERT_TRUE(a) << why;
  EXPECT_TRUE(a->user_verified);
  EXPECT_EQ(user_of_handle(a->user_handle), 42);
  EXPECT_EQ(a->sign_count, 2u);
  stored.sign_count = a->sign_count;
  EXPECT_FALSE(verify_assertion(kRp, c2, key_.get(options, {.counter = 2}), stored, &why));
  EXPECT_EQ(why, "the signature counter went back: a cloned authenticator?");
  EXPECT_FALSE(verify_assertion(kRp, c2, key_.get(options, {.bad_signature = true}), stored, &why));
  EXPECT_EQ(why, "the signature is wrong");
  EXPECT_FALSE(verify_assertion(kRp, c2, key_.get(options, {.type = "webauthn.create"}), stored, &why));
  EXPECT_FALSE(verify_assertion(kRp, c2, key_.get(options, {.flags = 0x00}), stored, &why));
  EXPECT_EQ(why, "the user was not present");
  const auto no_uv = verify_assertion(kRp, c2, key_.get(options, {.flags = 0x01}), stored, &why);
  ASSERT_TRUE(no_uv) << why;
  EXPECT_FALSE(no_uv->user_verified) << "recorded, for the caller to require";
  SoftAuthenticator other(kRp.origin, GetParam());
  EXPECT_FALSE(verify_assertion(kRp, c2, other.get(options), stored, &why)) << "another authenticator's answer";
  Credential zero = stored;
  zero.sign_count = 0;
  EXPECT_TRUE(verify_assertion(kRp, c2, key_.get(options, {.counter = 0}), zero, &why))
      << "an authenticator without a counter (both zero) is accepted";
}

// What Chromium (Debian's, with the DevTools virtual authenticator: CTAP2,
// internal, resident key, user verification) sent to Gatehouse in
// tests/browser/passkeys.mjs, recorded with GATEHOUSE_RECORD_WEBAUTHN: a
// registration and two assertions. The challenge is read from each
// clientDataJSON (the server that issued it is gone).
json recording() {
  std::ifstream in(WEBAUTHN_RECORDING);
  return json::parse(in, nullptr, false);
}
std::string challenge_of(const json& credential) {
  const auto client = core::base64url_decode(credential["response"]["clientDataJSON"].get<std::string>());
  return parse_client_data(*client)->challenge;
}

TEST(RecordedChromium, ARealRegistrationAndItsAssertionsVerify) {
  const json r = recording();
  ASSERT_FALSE(r.is_discarded()) << WEBAUTHN_RECORDING;
  const RelyingParty rp = *RelyingParty::from_site_url(r["origin"].get<std::string>(), "Gatehouse");
  ASSERT_EQ(rp.id, "localhost");
  const json& created = r["ceremonies"][0]["body"]["credential"];
  std::string why;
  const auto reg = verify_registration(rp, challenge_of(created), created, &why);
  ASSERT_TRUE(reg) << why;
  EXPECT_EQ(cose_algorithm(*core::base64url_decode(reg->public_key)), kES256) << "Chromium's virtual authenticator: ES256";
  EXPECT_TRUE(reg->user_verified);
  Credential stored{.user_id = 1, .credential_id = reg->credential_id, .public_key = reg->public_key,
                    .sign_count = reg->sign_count};
  for (std::size_t i = 1; i < r["ceremonies"].size(); ++i) {
    const json& asserted = r["ceremonies"][i]["body"]["credential"];
    const auto a = verify_assertion(rp, challenge_of(asserted), asserted, stored, &why);
    ASSERT_TRUE(a) << "assertion " << i << ": " << why;
    EXPECT_TRUE(a->user_verified);
    EXPECT_EQ(user_of_handle(a->user_handle).has_value(), true);
    EXPECT_FALSE(verify_assertion(rp, challenge_of(asserted), asserted, {.credential_id = stored.credential_id,
                 .public_key = stored.public_key, .sign_count = a->sign_count}, &why))
        << "the same assertion again: its counter did not grow";
    stored.sign_count = a->sign_count;
  }
  EXPECT_FALSE(verify_registration(*RelyingParty::from_site_url("http://localhost:1", "x"), challenge_of(created), created, &why))
      << "another origin";
}

// Every byte string of the recording cut short, or one bit flipped, is refused without a crash.
TEST(RecordedChromium, MangledPayloadsAreRefused) {
  const json r = recording();
  const RelyingParty rp = *RelyingParty::from_site_url(r["origin"].get<std::string>(), "Gatehouse");
  const json& created = r["ceremonies"][0]["body"]["credential"];
  const auto reg = verify_registration(rp, challenge_of(created), created);
  ASSERT_TRUE(reg);
  const Credential stored{.credential_id = reg->credential_id, .public_key = reg->public_key};
  const json& asserted = r["ceremonies"][1]["body"]["credential"];
  for (const char* part : {"clientDataJSON", "authenticatorData", "signature"}) {
    const std::string raw = *core::base64url_decode(asserted["response"][part].get<std::string>());
    for (const std::size_t keep : {std::size_t{0}, raw.size() / 2, raw.size() - 1}) {
      json cut = asserted;
      cut["response"][part] = core::base64url_encode(raw.substr(0, keep));
      EXPECT_FALSE(verify_assertion(rp, challenge_of(asserted), cut, stored)) << part << " cut to " << keep;
    }
    std::string flipped = raw;
    flipped[raw.size() - 1] = static_cast<char>(flipped[raw.size() - 1] ^ 0x01);
    json bad = asserted;
    bad["response"][part] = core::base64url_encode(flipped);
    EXPECT_FALSE(verify_assertion(rp, challenge_of(asserted), bad, stored)) << part << " with a bit flipped";
  }
  const std::string object = *core::base64url_decode(created["response"]["attestationObject"].get<std::string>());
  for (std::size_t keep = 0; keep < object.size(); keep += 7) {
    json cut = created;
    cut["response"]["attestationObject"] = core::base64url_encode(object.substr(0, keep));
    EXPECT_FALSE(verify_registration(rp, challenge_of(created), cut)) << "attestationObject cut to " << keep;
  }
}

INSTANTIATE_TEST_SUITE_P(Keys, Ceremony,
                         ::testing::Values(SoftAuthenticator::Algorithm::es256, SoftAuthenticator::Algorithm::rs256),
                         [](const auto& p) { return p.param == SoftAuthenticator::Algorithm::es256 ? "ES256" : "RS256"; });

}  // namespace
}  // namespace gatehouse::auth::webauthn
