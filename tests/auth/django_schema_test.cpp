// Schema compatibility with Django, for real: Debian's Django 3.2 migrates a
// database; Gatehouse adopts it, creates a user that Django authenticates, and
// authenticates a user that Django created. On both engines.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "test_database.h"

#ifndef DJANGO_SCHEMA_SCRIPT
#error "DJANGO_SCHEMA_SCRIPT must name tests/auth/django_schema.py"
#endif

namespace gatehouse::auth {
namespace {

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "20000", 1), 0);

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int django(const std::string& args) {
  const std::string cmd = "/usr/bin/python3 " + quote(DJANGO_SCHEMA_SCRIPT) + " " + args;
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class DjangoSchema : public ::testing::TestWithParam<db::Engine> {};

TEST_P(DjangoSchema, GatehouseAdoptsDjangosTablesAndBothAuthenticateEachOthersUsers) {
  testing::TestDatabase tdb(GetParam());
  ASSERT_EQ(django("migrate " + quote(tdb.url())), 0) << "Django could not migrate";

  db::Database db(tdb.url());
  const auto applied = auth::migrate(db);  // adopts: the tables exist already
  EXPECT_EQ(applied, (std::vector<std::string>{"contenttypes.0001_initial", "auth.0001_initial",
                                               "gatehouse_auth.0001_password_change_required", "otp_totp.0001_initial",
                                               "otp_totp.0002_auto_20190420_0723", "otp_static.0001_initial",
                                               "otp_static.0002_throttling", "gatehouse_auth.0002_security_events",
                                               "gatehouse_auth.0003_webauthn_credentials"}))
      << "Django's tables adopted; Gatehouse's own flag table and django-otp's device tables beside them";
  auto conn = db.acquire();
  // Django's own post_migrate made the permissions; Gatehouse finds them.
  EXPECT_EQ(get_permission(*conn, "auth.add_user").name, "Can add user");

  UserManager users(*conn);
  users.create_user("made_by_gatehouse", "g@example.com", "gatehouse pässword");
  EXPECT_EQ(django("authenticate " + quote(tdb.url()) + " made_by_gatehouse " + quote("gatehouse pässword")), 0);
  EXPECT_EQ(django("authenticate " + quote(tdb.url()) + " made_by_gatehouse wrong"), 1);

  ASSERT_EQ(django("create_user " + quote(tdb.url()) + " made_by_django " + quote("django pässword")), 0);
  User from_django = users.get_by_natural_key("made_by_django");
  EXPECT_TRUE(from_django.password().encoded().starts_with("pbkdf2_sha256$"));
  EXPECT_TRUE(from_django.check_password("django pässword"));
  EXPECT_FALSE(from_django.check_password("wrong"));
  EXPECT_EQ(from_django.email, "made_by_django@example.com");
  // Timestamps cross both ways: Django wrote date_joined just now, and Django
  // loaded (parsed) Gatehouse's user to authenticate it above.
  const auto age = models::Timestamp::now().time - from_django.date_joined.time;
  EXPECT_GE(age, std::chrono::seconds(0));
  EXPECT_LT(age, std::chrono::minutes(5));
}

INSTANTIATE_TEST_SUITE_P(Engines, DjangoSchema, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

}  // namespace
}  // namespace gatehouse::auth
