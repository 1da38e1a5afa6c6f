// Checks shared by the cache backends. Internal to the cache layer.
#pragma once

#include <charconv>
#include <string>
#include <string_view>

#include "gatehouse/cache/cache.h"

namespace gatehouse::cache {

inline constexpr std::size_t kMaxKeyLength = 250;  // memcached's limit, as Django warns at

inline void check_key_and_ttl(std::string_view key, Ttl ttl) {
  if (key.empty() || key.size() > kMaxKeyLength)
    throw std::invalid_argument("cache keys are 1 to 250 bytes, not " + std::to_string(key.size()));
  if (ttl.count() <= 0) throw std::invalid_argument("a cache entry needs a positive time to live");
}

inline std::int64_t parse_counter(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size())
    throw CacheError("the cached value is not a counter");
  return n;
}

}  // namespace gatehouse::cache
