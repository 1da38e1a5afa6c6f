// The admin's history on both engines: Django's sentences for change
// messages, the JSON as Python writes it, and what a deletion does to the
// log and the audit trail.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gatehouse/accounts/profile.h"
#include "gatehouse/admin/log.h"
#include "gatehouse/admin/site.h"
#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/http/templates.h"
#include "gatehouse/models/manager.h"
#include "test_database.h"

namespace gatehouse::admin {
namespace {

using nlohmann::ordered_json;

TEST(ChangeMessage, DjangosSentences) {
  EXPECT_EQ(change_message_text(R"([{"added": {}}])"), "Added.");
  EXPECT_EQ(change_message_text(R"([{"changed": {"fields": ["First name", "Email address"]}}])"),
            "Changed First name and Email address.");
  EXPECT_EQ(change_message_text(R"([{"changed": {"fields": ["A", "B", "C"]}}])"), "Changed A, B and C.");
  EXPECT_EQ(change_message_text(
                R"([{"changed": {"fields": ["Last name"]}}, {"changed": {"name": "profile", "object": "ada", "fields": ["Private"]}}])"),
            "Changed Last name. Changed Private for profile “ada”.");
  EXPECT_EQ(change_message_text(R"([{"added": {"name": "profile", "object": "ada"}}])"), "Added profile “ada”.");
  EXPECT_EQ(change_message_text(R"([{"deleted": {"name": "profile", "object": "ada"}}])"), "Deleted profile “ada”.");
  EXPECT_EQ(change_message_text("[]"), "No fields changed.");
  EXPECT_EQ(change_message_text("Changed password by hand."), "Changed password by hand.");  // old rows: plain text
  EXPECT_EQ(change_message_text("[not json"), "[not json");
  EXPECT_EQ(change_message_text(""), "");  // deletions
}

TEST(ChangeMessage, JsonIsPythonsJsonDumps) {
  ordered_json m = ordered_json::array();
  m.push_back({{"changed", {{"name", "profile"}, {"object", "Zoë 🐍"}, {"fields", {"Default language"}}}}});
  EXPECT_EQ(django_json(m),
            R"([{"changed": {"name": "profile", "object": "Zo\u00eb \ud83d\udc0d", "fields": ["Default language"]}}])");
  EXPECT_EQ(django_json(ordered_json::array({{{"added", ordered_json::object()}}})), R"([{"added": {}}])");
  EXPECT_EQ(django_json(ordered_json("a\"b\\c\n")), R"("a\"b\\c\n")");
}

TEST(ChangeMessage, ObjectReprKeepsWholeCharacters) {
  const std::string name(199, 'a');
  EXPECT_EQ(first_characters(name + "éé", 200), name + "é");
  EXPECT_EQ(first_characters("abc", 200), "abc");
}

TEST(Templates, AnOverrideUnderAdminReplacesTheBuiltInPage) {
  const auto dir = std::filesystem::temp_directory_path() / ("gh-admin-templates-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "admin");
  std::ofstream(dir / "admin" / "index.html") << "our own index for {{title}}";
  const http::Templates overridden(builtin_templates(), dir.string());
  EXPECT_EQ(overridden.render("admin/index.html", {{"title", "staff"}}), "our own index for staff");
  EXPECT_NE(overridden.render("admin/login.html", nlohmann::json::object()).find("id=\"login-form\""), std::string::npos)
      << "the others stay built in";
  std::filesystem::remove_all(dir);
}

class History : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    accounts::connect_profile_receiver();
    auto schema = accounts::migrations();
    for (auto& m : migrations()) schema.push_back(std::move(m));
    auth::migrate(*db_, schema);
  }
  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
};

TEST_P(History, DeletingAUserTakesTheirLogRowsAndKeepsTheAuditTrail) {
  auto c = db_->acquire();
  auth::UserManager users(*c);
  auth::User staff = users.create_superuser("boss", "boss@example.com", "pw-boss-123");
  auth::User ada = users.create_user("ada", "ada@example.com");
  const std::int64_t ct = content_type_id(*c, "auth", "user");
  log_action(*c, staff, ct, ada.id, "ada", Action::change, R"([{"changed": {"fields": ["Email address"]}}])");
  log_action(*c, ada, ct, staff.id, "boss", Action::change, "[]");
  models::Manager<AuditEntry>(*c).create(
      AuditEntry{.actor_id = ada.id, .actor_username = "ada", .app_label = "auth", .model = "user",
                 .object_id = std::to_string(staff.id), .object_repr = "boss", .action_flag = 2, .changes = "{}"});
  models::Manager<auth::User>(*c).remove(ada);

  const auto rows = models::Manager<LogEntry>(*c).all().all();
  ASSERT_EQ(rows.size(), 1u) << "ada's own actions go with her, as Django's Collector deletes them";
  EXPECT_EQ(rows[0].user_id, staff.id);
  EXPECT_EQ(rows[0].object_repr, "ada") << "what was done to her stays";
  EXPECT_EQ(change_message_text(rows[0].change_message), "Changed Email address.");
  const auto audit = models::Manager<AuditEntry>(*c).all().all();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_FALSE(audit[0].actor_id.has_value()) << "the audit row outlives its actor";
  EXPECT_EQ(audit[0].actor_username, "ada");
}

TEST_P(History, DjangoMigrationNamesAreRecorded) {
  auto c = db_->acquire();
  const db::Result r = c->execute("SELECT name FROM gatehouse_migrations WHERE app = ? ORDER BY name", {db::Value("admin")});
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0][0].as_text(), "0001_initial");
  EXPECT_EQ(r.rows[2][0].as_text(), "0003_logentry_add_action_flag_choices");
}

INSTANTIATE_TEST_SUITE_P(Engines, History, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

}  // namespace
}  // namespace gatehouse::admin
