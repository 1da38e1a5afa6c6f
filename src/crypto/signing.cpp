#include "gatehouse/crypto/signing.h"

#include <zlib.h>

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/hmac.h"

namespace gatehouse::crypto {

namespace {
constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string zlib_compress(std::string_view data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  if (compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(data.data()),
               static_cast<uLong>(data.size())) != Z_OK)
    throw std::runtime_error("zlib compression failed");
  out.resize(size);
  return out;
}

std::string zlib_decompress(std::string_view data) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) throw BadSignature("zlib unavailable");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw BadSignature("corrupt compressed payload");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > (16u << 20)) {
      inflateEnd(&zs);
      throw BadSignature("payload too large");  // a decompression bomb
    }
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}
}  // namespace

std::string base62_encode(std::uint64_t value) {
  if (value == 0) return "0";
  std::string out;
  while (value > 0) {
    out.insert(out.begin(), kBase62[value % 62]);
    value /= 62;
  }
  return out;
}

std::optional<std::uint64_t> base62_decode(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    const auto d = kBase62.find(c);
    if (d == std::string_view::npos) return std::nullopt;
    v = v * 62 + d;
  }
  return v;
}

Signer::Signer(std::string key, std::string salt, char sep) : key_(std::move(key)), salt_(std::move(salt)), sep_(sep) {}

std::string Signer::signature(std::string_view value) const {
  return core::base64url_encode(salted_hmac_sha256(salt_ + "signer", value, key_));
}

std::string Signer::sign(std::string_view value) const {
  std::string out(value);
  out += sep_;
  out += signature(value);
  return out;
}

std::string Signer::unsign(std::string_view signed_value) const {
  const auto pos = signed_value.rfind(sep_);
  if (pos == std::string_view::npos) throw BadSignature("No \"" + std::string(1, sep_) + "\" found in value");
  const std::string_view value = signed_value.substr(0, pos), sig = signed_value.substr(pos + 1);
  if (!core::constant_time_equal(sig, signature(value))) throw BadSignature("Signature does not match");
  return std::string(value);
}

TimestampSigner::TimestampSigner(std::string key, std::string salt, char sep) : Signer(std::move(key), std::move(salt), sep) {}

std::string TimestampSigner::sign(std::string_view value, Clock::time_point now) const {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::string v(value);
  v += sep_;
  v += base62_encode(static_cast<std::uint64_t>(secs < 0 ? 0 : secs));
  return Signer::sign(v);
}

std::string TimestampSigner::unsign(std::string_view signed_value, std::optional<std::chrono::seconds> max_age,
                                    Clock::time_point now) const {
  const std::string result = Signer::unsign(signed_value);
  const auto pos = result.rfind(sep_);
  if (pos == std::string::npos) throw BadSignature("No timestamp in value");
  const auto ts = base62_decode(std::string_view(result).substr(pos + 1));
  if (!ts) throw BadSignature("Bad timestamp");
  if (max_age) {
    const auto signed_at = Clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(*ts)));
    if (now - signed_at > *max_age) throw SignatureExpired("Signature age exceeds max_age");
  }
  return result.substr(0, pos);
}

TimestampSigner::Clock::time_point TimestampSigner::timestamp(std::string_view signed_value) const {
  const std::string result = Signer::unsign(signed_value);
  const auto ts = base62_decode(std::string_view(result).substr(result.rfind(sep_) + 1));
  if (!ts) throw BadSignature("Bad timestamp");
  return Clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(*ts)));
}

std::string dumps(std::string_view json, const std::string& key, const std::string& salt, bool compress,
                  TimestampSigner::Clock::time_point now) {
  std::string data(json);
  bool compressed = false;
  if (compress) {
    std::string z = zlib_compress(data);
    if (z.size() + 1 < data.size()) {
      data = std::move(z);
      compressed = true;
    }
  }
  std::string b64 = core::base64url_encode(data);
  if (compressed) b64.insert(b64.begin(), '.');
  return TimestampSigner(key, salt).sign(b64, now);
}

std::string loads(std::string_view token, const std::string& key, const std::string& salt,
                  std::optional<std::chrono::seconds> max_age, TimestampSigner::Clock::time_point now) {
  std::string b64 = TimestampSigner(key, salt).unsign(token, max_age, now);
  const bool compressed = !b64.empty() && b64.front() == '.';
  if (compressed) b64.erase(b64.begin());
  auto data = core::base64url_decode(b64);
  if (!data) throw BadSignature("bad base64 payload");
  return compressed ? zlib_decompress(*data) : *data;
}

}  // namespace gatehouse::crypto
