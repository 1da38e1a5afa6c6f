// Password reset tokens against Django 3.2's: the vectors below are the output
// of tests/auth/reset_token_vectors.py (Debian's Django, SECRET_KEY "s"*50).
#include "gatehouse/auth/tokens.h"

#include <gtest/gtest.h>

namespace gatehouse::auth {
namespace {

const std::string kSecret(50, 's');

// The instant `seconds` after 2001-01-01T00:00:00Z (tokens count from there).
core::TimePoint since_2001(std::int64_t seconds) {
  return core::TimePoint(std::chrono::seconds(978307200 + seconds));
}

User user(std::int64_t id) {
  User u;
  u.id = id;
  if (id == 7) {
    u.set_password(EncodedPassword::from_hash("md5$saltsaltsalt$9e7ea520e2837a6e07c14823895ad450"));
    u.email = "ada@example.com";
  } else if (id == 42) {
    u.set_password(EncodedPassword::from_hash(
        "pbkdf2_sha256$260000$pepperpepper12$Dn6QwTVINgH5hcdz5HOF8YR3CjFOz4sLXabC3jyBRfI="));
    // 2024-02-29 23:59:58.123456 UTC: the microseconds do not count
    u.last_login = models::Timestamp{std::chrono::sys_days{std::chrono::year{2024} / 2 / 29} + std::chrono::hours(23) +
                                     std::chrono::minutes(59) + std::chrono::seconds(58) + std::chrono::microseconds(123456)};
  } else {
    u.set_password(EncodedPassword::from_hash("!" + std::string(40, 'x')));
    u.email = "Zoë@Example.com";
  }
  return u;
}

struct Vector {
  std::int64_t id, timestamp;
  const char *token, *legacy, *uidb64;
};
const Vector kDjango[] = {
    {7, 0, "0-372ea367bb617bf4f64b9c663bab612f", "0-7b7924cbc7ccc7278290", "Nw"},
    {7, 757382400, "cixc00-3d1a4f30afb7058fb123e98566c83c7f", "cixc00-b6e90c4ee44565f08ac2", "Nw"},
    {7, 864000000, "eaeio0-8c47ba30d836a366f8db9e4b15b30c57", "eaeio0-cfd3366a6107fc9b23a0", "Nw"},
    {42, 0, "0-fd6425f0b41196a65414b908bf9e90c8", "0-7e55e4c3ec138e867f75", "NDI"},
    {42, 757382400, "cixc00-e8a476923767609212863955bd52fae3", "cixc00-67a9bbdb5558d8d1d9ab", "NDI"},
    {42, 864000000, "eaeio0-df2e691ce91312d9f35fccbef53435aa", "eaeio0-5b83e8c3bcd0bd9aa67b", "NDI"},
    {123456789, 0, "0-b884bd1012a83ff42e110074bdf99e14", "0-b1c9f54d8c273079df18", "MTIzNDU2Nzg5"},
    {123456789, 757382400, "cixc00-077924491a28ee2a5e6d5ba195b181d4", "cixc00-bff9d981702702ed9d60", "MTIzNDU2Nzg5"},
    {123456789, 864000000, "eaeio0-506b13eb57f29ae52cda8388abf78208", "eaeio0-6d38307aebd49b590550", "MTIzNDU2Nzg5"},
};

TEST(ResetTokens, MatchDjangoAndAreAcceptedWithinTheTimeout) {
  core::ManualClock clock;
  PasswordResetTokenGenerator g(kSecret, std::chrono::seconds(259200), clock);
  for (const auto& v : kDjango) {
    const User u = user(v.id);
    EXPECT_EQ(g.make_token_at(u, v.timestamp), v.token) << v.id << " " << v.timestamp;
    EXPECT_EQ(g.make_token_at(u, v.timestamp, true), v.legacy) << v.id << " " << v.timestamp;
    EXPECT_EQ(uid_to_base64(v.id), v.uidb64);
    EXPECT_EQ(uid_from_base64(v.uidb64), v.id);
    // To the end of the last second of the three days.
    clock.set(since_2001(v.timestamp + 259201) - std::chrono::microseconds(1));
    EXPECT_TRUE(g.check_token(u, v.token));
    EXPECT_TRUE(g.check_token(u, v.legacy)) << "Django 3.2 still accepts its legacy SHA-1 tokens";
    clock.advance(std::chrono::microseconds(1));
    EXPECT_FALSE(g.check_token(u, v.token)) << "expired";
  }
}

TEST(ResetTokens, AreStampedAndJudgedByTheInjectedClock) {
  core::ManualClock clock(since_2001(757382400));
  PasswordResetTokenGenerator g(kSecret, std::chrono::hours(1), clock);
  const User u = user(7);
  const std::string t = g.make_token(u);
  EXPECT_EQ(t, "cixc00-3d1a4f30afb7058fb123e98566c83c7f") << "Django's token for that instant";
  clock.advance(std::chrono::hours(1));
  EXPECT_TRUE(g.check_token(u, t)) << "an hour old: the timeout's last second";
  clock.advance(std::chrono::seconds(1));
  EXPECT_FALSE(g.check_token(u, t)) << "expired";
}

TEST(ResetTokens, DieWhenThePasswordChangesOrTheUserLogsIn) {
  PasswordResetTokenGenerator g(kSecret);
  User u = user(7);
  const std::string t = g.make_token(u);
  EXPECT_TRUE(g.check_token(u, t));
  User changed = u;
  changed.set_password(EncodedPassword::from_hash("md5$othersalt$0e7ea520e2837a6e07c14823895ad450"));
  EXPECT_FALSE(g.check_token(changed, t));
  User logged_in = u;
  logged_in.last_login = models::Timestamp::now();
  EXPECT_FALSE(g.check_token(logged_in, t));
  User moved = u;
  moved.email = "new@example.com";
  EXPECT_FALSE(g.check_token(moved, t));
  EXPECT_FALSE(PasswordResetTokenGenerator(std::string(50, 'z')).check_token(u, t)) << "another secret";
  for (const char* bad : {"", "-", "abc", "zzzzzzzzzzzzzz-00", "1-2-3", "!!-deadbeef", "0-"})
    EXPECT_FALSE(g.check_token(u, bad)) << bad;
  for (const char* bad : {"", "AA", "LTE", "MA", "eHl6", "!!!", "MTIzNDU2Nzg5MTIzNDU2Nzg5MTIzNDU2Nzg5"})
    EXPECT_FALSE(uid_from_base64(bad)) << bad;
}

}  // namespace
}  // namespace gatehouse::auth
