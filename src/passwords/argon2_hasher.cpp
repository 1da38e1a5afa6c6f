// argon2: "argon2" + libargon2's encoding, e.g.
//   argon2$argon2id$v=19$m=102400,t=2,p=8$<base64 salt>$<base64 hash>
// Older Django wrote argon2i, and argon2-cffi before version 19 omitted "v=".
#include <argon2.h>

#include <stdexcept>
#include <string>

#include "format.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/passwords/hashers.h"

namespace gatehouse::passwords {

namespace {

struct Decoded {
  argon2_type type;
  std::uint32_t version;
  std::uint32_t m, t, p;
  std::size_t salt_len, hash_len;
};

std::optional<std::uint32_t> param(std::string_view field, std::string_view key, std::uint32_t max) {
  if (!field.starts_with(key)) return std::nullopt;
  const auto v = detail::parse_count(field.substr(key.size()), max);
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

std::optional<std::size_t> b64_len(std::string_view s) {
  std::string padded(s);
  while (padded.size() % 4 != 0) padded += '=';
  const auto bytes = core::base64_decode(padded);
  if (!bytes) return std::nullopt;
  return bytes->size();
}

class Argon2Hasher final : public Hasher {
 public:
  Argon2Hasher(const Argon2Params& p, const HasherLimits& limits) : p_(p), limits_(limits) {
    if (!within_limits(p.memory_cost_kib, p.time_cost, p.parallelism) || p.memory_cost_kib < 8 * p.parallelism)
      throw std::invalid_argument("argon2 parameters out of range");
  }

  std::string_view algorithm() const noexcept override { return "argon2"; }

  std::string encode(std::string_view password, std::string_view salt) const override {
    if (!detail::salt_fits(salt) || salt.size() < ARGON2_MIN_SALT_LENGTH)
      throw std::invalid_argument("argon2 salt must be at least 8 characters, without '$'");
    const std::size_t len = argon2_encodedlen(p_.time_cost, p_.memory_cost_kib, p_.parallelism,
                                              static_cast<std::uint32_t>(salt.size()), 32, Argon2_id);
    std::string encoded(len, '\0');
    const int rc = argon2_hash(p_.time_cost, p_.memory_cost_kib, p_.parallelism, password.data(),
                               password.size(), salt.data(), salt.size(), nullptr, 32,
                               encoded.data(), encoded.size(), Argon2_id, ARGON2_VERSION_13);
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
    encoded.resize(encoded.find('\0'));
    return "argon2" + encoded;
  }

  bool verify(std::string_view password, std::string_view encoded) const noexcept override {
    try {
      const auto d = decode(encoded);
      if (!d) return false;
      const std::string rest(encoded.substr(6));  // "$argon2id$..."
      return argon2_verify(rest.c_str(), password.data(), password.size(), d->type) == ARGON2_OK;
    } catch (...) {
      return false;
    }
  }

  bool is_well_formed(std::string_view encoded) const noexcept override {
    return decode(encoded).has_value();
  }

  bool must_update(std::string_view encoded) const noexcept override {
    const auto d = decode(encoded);
    if (!d) return false;
    return d->type != Argon2_id || d->version != ARGON2_VERSION_13 || d->m != p_.memory_cost_kib ||
           d->t != p_.time_cost || d->p != p_.parallelism || d->hash_len != 32 ||
           d->salt_len < kSaltLength;
  }

 private:
  bool within_limits(std::uint32_t m, std::uint32_t t, std::uint32_t p) const {
    return m >= 8 && m <= limits_.max_argon2_memory_kib && t >= 1 && t <= limits_.max_argon2_time_cost &&
           p >= 1 && p <= limits_.max_argon2_parallelism;
  }

  // Checks the whole format and the limits before libargon2 sees the string.
  std::optional<Decoded> decode(std::string_view encoded) const noexcept {
    try {
      if (!encoded.starts_with("argon2$")) return std::nullopt;
      auto f = detail::split_fields(encoded.substr(7), 5);
      std::vector<std::string_view> fields;
      if (f && (*f)[1].starts_with("v=")) {
        fields = *f;
      } else if (auto g = detail::split_fields(encoded.substr(7), 4)) {
        fields = {(*g)[0], "v=16", (*g)[1], (*g)[2], (*g)[3]};
      } else {
        return std::nullopt;
      }
      Decoded d{};
      if (fields[0] == "argon2id") {
        d.type = Argon2_id;
      } else if (fields[0] == "argon2i") {
        d.type = Argon2_i;
      } else if (fields[0] == "argon2d") {
        d.type = Argon2_d;
      } else {
        return std::nullopt;
      }
      const auto v = param(fields[1], "v=", 0x13);
      if (!v || (*v != 0x10 && *v != 0x13)) return std::nullopt;
      d.version = *v;
      const std::string_view mtp = fields[2];
      const auto c1 = mtp.find(','), c2 = mtp.rfind(',');
      if (c1 == std::string_view::npos || c1 == c2) return std::nullopt;
      const auto m = param(mtp.substr(0, c1), "m=", limits_.max_argon2_memory_kib);
      const auto t = param(mtp.substr(c1 + 1, c2 - c1 - 1), "t=", limits_.max_argon2_time_cost);
      const auto p = param(mtp.substr(c2 + 1), "p=", limits_.max_argon2_parallelism);
      if (!m || !t || !p || !within_limits(*m, *t, *p) || *m < 8 * *p) return std::nullopt;
      d.m = *m;
      d.t = *t;
      d.p = *p;
      const auto salt_len = b64_len(fields[3]);
      const auto hash_len = b64_len(fields[4]);
      if (!salt_len || !hash_len || *salt_len < ARGON2_MIN_SALT_LENGTH || *hash_len < 4 || *hash_len > 1024)
        return std::nullopt;
      d.salt_len = *salt_len;
      d.hash_len = *hash_len;
      return d;
    } catch (...) {
      return std::nullopt;
    }
  }

  Argon2Params p_;
  HasherLimits limits_;
};

}  // namespace

std::shared_ptr<const Hasher> argon2_hasher(const Argon2Params& params, const HasherLimits& limits) {
  return std::make_shared<Argon2Hasher>(params, limits);
}

}  // namespace gatehouse::passwords
