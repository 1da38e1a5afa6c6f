// Users, groups and permissions on both engines.
#include <gtest/gtest.h>

#include <cstdlib>

#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/passwords/hashers.h"
#include "test_database.h"

namespace gatehouse::auth {
namespace {

// Fast hashing for tests: read before the default registry is first built.
const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);

class Auth : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    auth::migrate(*db_);
    conn_.emplace(db_->acquire());
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    tdb_.reset();
  }
  db::Connection& c() { return **conn_; }
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::optional<db::PooledConnection> conn_;
};

TEST_P(Auth, CreateUserNormalisesAndHashes) {
  UserManager users(c());
  const User u = users.create_user("ｊｏｈｎ", "John.Smith@EXAMPLE.Com", "s3cret pass");  // full-width letters
  EXPECT_EQ(u.username, "john");  // NFKC
  EXPECT_EQ(u.email, "John.Smith@example.com");
  EXPECT_TRUE(u.password().encoded().starts_with("pbkdf2_sha256$1000$"));
  EXPECT_TRUE(u.is_active);
  EXPECT_FALSE(u.is_staff);
  User loaded = users.get_by_natural_key("john");
  EXPECT_TRUE(loaded.check_password("s3cret pass"));
  EXPECT_FALSE(loaded.check_password("wrong"));
  EXPECT_EQ(loaded.date_joined, u.date_joined);
}

TEST_P(Auth, UsernameRulesAndUniqueness) {
  UserManager users(c());
  users.create_user("ada.lovelace+1@x-y_z");
  users.create_user("Zoë");
  EXPECT_THROW(users.create_user("has space"), std::invalid_argument);
  EXPECT_THROW(users.create_user("semi;colon"), std::invalid_argument);
  EXPECT_THROW(users.create_user(""), std::invalid_argument);
  EXPECT_THROW(users.create_user(std::string(151, 'a')), std::invalid_argument);
  EXPECT_THROW(users.create_user("\xff\xfe"), std::invalid_argument);
  try {
    users.create_user("Zoë");
    ADD_FAILURE() << "duplicate username saved";
  } catch (const UsernameTaken& e) {  // typed, with Django's text, not the engine's
    EXPECT_EQ(e.kind(), db::ErrorKind::unique_violation);
    EXPECT_STREQ(e.what(), "A user with that username already exists.");
    EXPECT_EQ(e.username(), "Zoë");
  }
  EXPECT_EQ(users.count(), 2);
}

TEST_P(Auth, NoPasswordMeansUnusable) {
  UserManager users(c());
  User u = users.create_user("nopass");
  EXPECT_FALSE(u.has_usable_password());
  EXPECT_TRUE(u.password().encoded().starts_with("!"));
  EXPECT_FALSE(u.check_password(""));
  EXPECT_FALSE(u.check_password(u.password().encoded()));
}

TEST_P(Auth, PlaintextCannotBeStored) {
  EXPECT_THROW(EncodedPassword::from_hash("hunter2"), std::invalid_argument);
  EXPECT_THROW(EncodedPassword::from_hash("pbkdf2_sha256$0$salt$hash"), std::invalid_argument);
  const std::string premade = passwords::default_hashers().make_password("x");
  EXPECT_EQ(EncodedPassword::from_hash(premade).encoded(), premade);
  EXPECT_FALSE(EncodedPassword::from_hash(passwords::make_unusable_password()).usable());
}

TEST_P(Auth, SuperuserInsistsOnItsFlags) {
  UserManager users(c());
  const User admin = users.create_superuser("admin", "admin@example.com", "pw");
  EXPECT_TRUE(admin.is_staff);
  EXPECT_TRUE(admin.is_superuser);
  EXPECT_THROW(users.create_superuser("a2", "", "pw", {.is_staff = false}), std::invalid_argument);
  EXPECT_THROW(users.create_superuser("a3", "", "pw", {.is_superuser = false}), std::invalid_argument);
}

TEST_P(Auth, SetPasswordDoesNotSaveButCheckPasswordUpgrades) {
  UserManager users(c());
  User u = users.create_user("legacy");
  u.set_password(EncodedPassword::from_hash(passwords::default_hashers().make_password("old", "md5")));
  users.save(u);
  User loaded = users.get(u.id);
  loaded.set_password("new");  // not saved
  EXPECT_TRUE(users.get(u.id).password().encoded().starts_with("md5$"));
  User again = users.get(u.id);
  EXPECT_TRUE(again.check_password("old", &c()));  // correct: upgraded and saved
  EXPECT_TRUE(users.get(u.id).password().encoded().starts_with("pbkdf2_sha256$"));
  EXPECT_TRUE(users.get(u.id).check_password("old"));
}

TEST_P(Auth, NamesAndFlags) {
  User u;
  u.first_name = "Ada";
  u.last_name = "Lovelace";
  EXPECT_EQ(u.get_full_name(), "Ada Lovelace");
  EXPECT_EQ(u.get_short_name(), "Ada");
  u.first_name.clear();
  EXPECT_EQ(u.get_full_name(), "Lovelace");
  EXPECT_TRUE(User::is_authenticated());
  EXPECT_FALSE(User::is_anonymous());
}

TEST(UserEmail, EmailUserSendsToTheUsersAddress) {
  mail::clear_memory_outbox();
  mail::MemoryBackend backend;
  User u;
  u.username = "ada";
  u.email = "ada@example.com";
  EXPECT_EQ(u.email_user(backend, "Welcome", "Hello Ada", "noreply@example.com"), 1u);
  const auto sent = mail::memory_outbox();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, std::vector<std::string>{"ada@example.com"});
  EXPECT_EQ(sent[0].subject, "Welcome");
  u.email.clear();
  EXPECT_THROW(u.email_user(backend, "x", "y", "noreply@example.com"), std::invalid_argument);
}

TEST(AnonymousUser, IsNobodyAndCannotBeStored) {
  const AnonymousUser anon;
  EXPECT_FALSE(anon.id().has_value());
  EXPECT_EQ(anon.get_username(), "");
  EXPECT_FALSE(anon.is_active());
  EXPECT_FALSE(anon.is_staff());
  EXPECT_FALSE(anon.is_authenticated());
  EXPECT_TRUE(anon.is_anonymous());
  EXPECT_FALSE(anon.has_perm("auth.add_user"));
  EXPECT_THROW(anon.save(), NotImplementedError);
  EXPECT_THROW(anon.remove(), NotImplementedError);
}

TEST_P(Auth, DefaultPermissionsAreCreatedAfterMigrate) {
  for (const char* p : {"auth.add_user", "auth.change_user", "auth.delete_user", "auth.view_user", "auth.add_group",
                        "auth.view_permission", "contenttypes.change_contenttype"})
    EXPECT_NO_THROW(get_permission(c(), p)) << p;
  EXPECT_EQ(get_permission(c(), "auth.add_user").name, "Can add user");
  EXPECT_THROW(get_permission(c(), "auth.fly"), models::DoesNotExist);
  const auto before = models::Manager<Permission>(c()).count();
  auth::migrate(*db_);  // again: nothing new
  EXPECT_EQ(models::Manager<Permission>(c()).count(), before);
}

TEST_P(Auth, PermissionsFromUserGroupsSuperuserAndInactive) {
  UserManager users(c());
  User alice = users.create_user("alice");
  EXPECT_FALSE(has_perm(c(), alice, "auth.add_user"));

  user_permissions.add(c(), alice, {get_permission(c(), "auth.add_user").id});
  EXPECT_TRUE(has_perm(c(), alice, "auth.add_user"));
  EXPECT_FALSE(has_perm(c(), alice, "auth.delete_user"));

  Group editors = models::Manager<Group>(c()).create({.name = "editors"});
  group_permissions.add(c(), editors, {get_permission(c(), "auth.change_group").id});
  EXPECT_FALSE(has_perm(c(), alice, "auth.change_group"));
  user_groups.add(c(), alice, {editors.id});
  EXPECT_TRUE(has_perm(c(), alice, "auth.change_group"));
  EXPECT_EQ(get_group_permissions(c(), alice), std::set<std::string>{"auth.change_group"});
  EXPECT_EQ(get_all_permissions(c(), alice), (std::set<std::string>{"auth.add_user", "auth.change_group"}));
  EXPECT_TRUE(has_perms(c(), alice, {"auth.add_user", "auth.change_group"}));
  EXPECT_FALSE(has_perms(c(), alice, {"auth.add_user", "auth.delete_user"}));
  EXPECT_TRUE(has_module_perms(c(), alice, "auth"));
  EXPECT_FALSE(has_module_perms(c(), alice, "contenttypes"));

  alice.is_active = false;
  EXPECT_FALSE(has_perm(c(), alice, "auth.add_user"));
  EXPECT_TRUE(get_all_permissions(c(), alice).empty());

  User root = users.create_superuser("root", "", "pw");
  EXPECT_TRUE(has_perm(c(), root, "anything.at_all"));
  EXPECT_TRUE(has_module_perms(c(), root, "contenttypes"));
  EXPECT_TRUE(get_all_permissions(c(), root).contains("auth.delete_user"));
  root.is_active = false;
  EXPECT_FALSE(has_perm(c(), root, "auth.add_user"));  // inactive superusers have none
  EXPECT_TRUE(has_perms(c(), root, {}));               // as Django: all() of nothing
}

// The free functions take an AnonymousUser too, so one template serves the
// request's user whichever it is.
template <class U>
bool may_add_users(db::Connection& c, const U& user) {
  return has_perm(c, user, "auth.add_user") && has_perms(c, user, {"auth.add_user"});
}

TEST_P(Auth, PermissionChecksReadTheSameForAnonymousUsers) {
  User root = UserManager(c()).create_superuser("root", "", "pw");
  const AnonymousUser anon;
  EXPECT_TRUE(may_add_users(c(), root));
  EXPECT_FALSE(may_add_users(c(), anon));
  EXPECT_FALSE(has_module_perms(c(), anon, "auth"));
  EXPECT_TRUE(get_all_permissions(c(), anon).empty());
  EXPECT_TRUE(has_perms(c(), anon, {}));
}

TEST_P(Auth, ManyToManyChangesSendSignals) {
  UserManager users(c());
  User bob = users.create_user("bob");
  Group g1 = models::Manager<Group>(c()).create({.name = "g1"});
  const Group g2 = models::Manager<Group>(c()).create({.name = "g2"});
  std::vector<std::string> log;
  signals::ScopedConnection r = models::m2m_changed.connect(
      [&](const models::M2MChangedEvent& e) {
        static const char* names[] = {"pre_add", "post_add", "pre_remove", "post_remove", "pre_clear", "post_clear"};
        std::string entry = names[static_cast<int>(e.action)];
        if (e.pk_set != nullptr) entry += ":" + std::to_string(e.pk_set->size());
        EXPECT_TRUE(e.model.is<Group>());
        EXPECT_EQ(static_cast<User*>(e.instance)->username, "bob");
        log.push_back(entry);
      },
      {.sender = signals::Sender::of<UserGroup>()});
  user_groups.add(c(), bob, {g1.id, g2.id});
  user_groups.add(c(), bob, {g1.id});  // already there: nothing to add, no signal
  EXPECT_EQ(user_groups.ids(c(), bob), (std::vector<std::int64_t>{g1.id, g2.id}));
  user_groups.remove(c(), bob, {g2.id});
  user_groups.clear(c(), bob);
  EXPECT_TRUE(user_groups.ids(c(), bob).empty());
  EXPECT_EQ(log, (std::vector<std::string>{"pre_add:2", "post_add:2", "pre_remove:1", "post_remove:1", "pre_clear",
                                           "post_clear"}));
  user_groups.set(c(), bob, {g2.id});
  EXPECT_EQ(user_groups.all(c(), bob).front().name, "g2");
}

TEST_P(Auth, DeletingAUserDeletesItsLinksNotItsGroups) {
  UserManager users(c());
  User carol = users.create_user("carol");
  const Group g = models::Manager<Group>(c()).create({.name = "team"});
  user_groups.add(c(), carol, {g.id});
  user_permissions.add(c(), carol, {get_permission(c(), "auth.add_user").id});
  users.remove(carol);
  EXPECT_EQ(models::Manager<UserGroup>(c()).count(), 0);
  EXPECT_EQ(models::Manager<UserPermission>(c()).count(), 0);
  EXPECT_EQ(models::Manager<Group>(c()).count(), 1);
}

TEST(Normalisation, EmailsAndValidators) {
  EXPECT_EQ(normalize_email("  Foo@BAR.com "), "Foo@bar.com");
  EXPECT_EQ(normalize_email("no-at-sign"), "no-at-sign");
  EXPECT_EQ(normalize_email("a@b@EXAMPLE.org"), "a@b@example.org");
  EXPECT_FALSE(email_error("ada@example.com"));
  EXPECT_FALSE(email_error("root@localhost"));
  for (const char* bad : {"", "plain", "@example.com", "ada@", "ada@example", "a b@example.com", "ada@-x.com", "ada@x..com"})
    EXPECT_TRUE(email_error(bad)) << bad;
  EXPECT_FALSE(username_error("user_1.2+3@4-5"));
  EXPECT_TRUE(username_error("user name"));
}

INSTANTIATE_TEST_SUITE_P(Engines, Auth, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

}  // namespace
}  // namespace gatehouse::auth
