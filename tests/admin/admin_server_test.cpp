// The admin over HTTP on every deployment: what the browser test does not
// reach — a staff member without permissions, the login throttle (the
// browser test turns it off to seed users), deactivation ending sessions,
// effective permissions, the send-reset action through the outbox, and groups.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "accounts_server.h"
#include "api_browser.h"
#include "gatehouse/app/server.h"
#include "gatehouse/auth/accounts.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/auth/permissions.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/http/message.h"

namespace gatehouse::admin {
namespace {

const int kFastHashing = (setenv("GATEHOUSE_PBKDF2_ITERATIONS", "1000", 1), 0);
using testing::Browser;
using testing::Reply;
using nlohmann::json;
const std::string kPassword = "a staff passphrase 2718";
constexpr const char* kForm = "application/x-www-form-urlencoded";

class AdminServer : public ::testing::TestWithParam<testing::Deployment> {
 protected:
  auth::User make_user(const std::string& name, bool staff, bool superuser, const std::string& email = {}) {
    auto c = server_->database().acquire();
    return auth::UserManager(*c).create_user(name, email, kPassword, {.is_staff = staff, .is_superuser = superuser});
  }
  Browser admin_login(const std::string& name, const std::string& password = kPassword, int* status = nullptr) {
    Browser b(server_->port());
    b.fetch_csrf();
    const Reply r = b.request("POST", "/admin/login/", "username=" + name + "&password=" + http::percent_encode(password) +
                                                          "&next=%2Fadmin%2F", kForm);
    if (status != nullptr) *status = r.status;
    return b;
  }
  Browser api_login(const std::string& name) {
    Browser b(server_->port());
    b.fetch_csrf();
    EXPECT_EQ(b.request("POST", "/api/login", json{{"username", name}, {"password", kPassword}}.dump()).status, 200);
    return b;
  }
  // The change form as the page would post it, with `changes` applied.
  std::string change_form(const auth::User& u, const std::string& extra) {
    return "username=" + u.username + "&email=" + http::percent_encode(u.email) + "&date_joined_0=2026-01-02&date_joined_1=03%3A04%3A05" +
           (u.is_staff ? "&is_staff=on" : "") + (u.is_superuser ? "&is_superuser=on" : "") + extra + "&_save=Save";
  }
  testing::RunningAccountsServer server_{GetParam()};
};

TEST_P(AdminServer, StaffWithoutPermissionsSeeNothingAndGet403) {
  make_user("clerk", true, false);
  int status = 0;
  Browser b = admin_login("clerk", kPassword, &status);
  ASSERT_EQ(status, 302);
  const Reply index = b.request("GET", "/admin/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.raw.find("You don’t have permission to view or edit anything."), std::string::npos);
  EXPECT_EQ(b.request("GET", "/admin/auth/user/").status, 403);
  EXPECT_EQ(b.request("GET", "/admin/auth/group/add/").status, 403);
}

TEST_P(AdminServer, AdminLoginGoesThroughTheLoginThrottle) {
  make_user("root", true, true);
  int status = 0;
  for (int i = 0; i < 5; ++i) admin_login("root", "wrong", &status);
  EXPECT_EQ(status, 200) << "a wrong password is the login page again, with the one error";
  admin_login("root", kPassword, &status);
  EXPECT_EQ(status, 429) << "the same per-client limit as every login";
}

TEST_P(AdminServer, DeactivatingAUserEndsTheirSessionsAndTheThrottlePanelClears) {
  const auth::User root = make_user("root", true, true);
  const auth::User ada = make_user("ada", false, false, "ada@example.com");
  Browser ada_browser = api_login("ada");
  Browser stranger(server_->port());  // then someone guesses at ada's password (every client here is 127.0.0.1)
  stranger.fetch_csrf();
  for (int i = 0; i < 3; ++i)
    stranger.request("POST", "/api/login", json{{"username", "ada"}, {"password", "guess"}}.dump());
  Browser b = admin_login("root");
  const std::string page = b.request("GET", "/admin/auth/user/" + std::to_string(ada.id) + "/change/").raw;
  EXPECT_NE(page.find("Failed logins on this account in the current window: 3"), std::string::npos);
  EXPECT_NE(page.find("<tr class=\"throttled-client\"><td><a href=\"&#x2F;admin&#x2F;throttle&#x2F;?address=127.0.0.1\">127.0.0.1</a></td>"
                      "<td>3</td><td>may try</td>"),
            std::string::npos)
      << page.substr(page.find("id=\"throttle\""), 900);
  EXPECT_EQ(b.request("POST", "/admin/auth/user/" + std::to_string(ada.id) + "/throttle/clear/", "", kForm).status, 302);
  EXPECT_EQ(b.request("GET", "/admin/auth/user/" + std::to_string(ada.id) + "/change/").raw.find("throttled-client"),
            std::string::npos);

  ASSERT_EQ(ada_browser.request("GET", "/api/me").status, 200);
  const Reply saved = b.request("POST", "/admin/auth/user/" + std::to_string(ada.id) + "/change/", change_form(ada, ""), kForm);
  ASSERT_EQ(saved.status, 302) << saved.raw;
  EXPECT_EQ(ada_browser.request("GET", "/api/me").status, 401) << "no is_active in the form: deactivated, sessions ended";
  (void)root;
}

TEST_P(AdminServer, EffectivePermissionsSayWhyAndTheResetActionUsesTheOutbox) {
  make_user("root", true, true);
  auth::User ada = make_user("ada", false, false, "ada@example.com");
  const auth::User bob = make_user("bob", false, false);
  {
    auto c = server_->database().acquire();
    auth::Group editors = models::Manager<auth::Group>(*c).create({.name = "editors"});
    auth::group_permissions.add(*c, editors, {auth::get_permission(*c, "auth.view_group").id});
    auth::user_groups.add(*c, ada, {editors.id});
    auth::user_permissions.add(*c, ada, {auth::get_permission(*c, "auth.add_user").id});
  }
  Browser b = admin_login("root");
  const std::string page = b.request("GET", "/admin/auth/user/" + std::to_string(ada.id) + "/change/").raw;
  EXPECT_NE(page.find("<td>auth.view_group</td><td>through group editors<br></td>"), std::string::npos);
  EXPECT_NE(page.find("<td>auth.add_user</td><td>directly<br></td>"), std::string::npos);

  const Reply r = b.request("POST", "/admin/auth/user/",
                            "action=send_password_reset&index=0&_selected_action=" + std::to_string(ada.id) +
                                "&_selected_action=" + std::to_string(bob.id), kForm);
  ASSERT_EQ(r.status, 302) << r.raw;
  const std::string list = b.request("GET", "/admin/auth/user/").raw;
  EXPECT_NE(list.find("Sent a password reset email to 1 user."), std::string::npos);
  EXPECT_NE(list.find("1 user has no email address."), std::string::npos);
  auto c = server_->database().acquire();
  const db::Result jobs = c->execute("SELECT payload FROM gatehouse_task WHERE name = ?", {db::Value(auth::kPasswordLinkJob)});
  ASSERT_EQ(jobs.rows.size(), 1u);
  EXPECT_EQ(jobs.rows[0][0].as_text(), R"({"email":"ada@example.com"})");
}

// Groups: add with permissions (labelled by app and model, as Django's),
// list and search, change, history, delete with its confirmation.
TEST_P(AdminServer, GroupsAreAddedSearchedChangedAndDeleted) {
  make_user("root", true, true);
  std::int64_t add_user = 0, view_user = 0;
  {
    auto c = server_->database().acquire();
    add_user = auth::get_permission(*c, "auth.add_user").id;
    view_user = auth::get_permission(*c, "auth.view_user").id;
  }
  Browser b = admin_login("root");
  Reply r = b.request("GET", "/admin/auth/group/add/");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.raw.find(">Authentication and Authorization | user | Can add user</option>"), std::string::npos)
      << "permissions are labelled app | model | name";
  r = b.request("POST", "/admin/auth/group/add/", "name=editors&permissions=" + std::to_string(add_user) + "&_save=Save", kForm);
  ASSERT_EQ(r.status, 302) << r.raw;
  EXPECT_NE(r.raw.find("Location: /admin/auth/group/"), std::string::npos);
  r = b.request("GET", "/admin/auth/group/");
  EXPECT_NE(r.raw.find("was added successfully."), std::string::npos);
  EXPECT_NE(r.raw.find(">editors</a>"), std::string::npos);
  EXPECT_NE(b.request("GET", "/admin/auth/group/?q=edit").raw.find(">editors</a>"), std::string::npos);
  EXPECT_EQ(b.request("GET", "/admin/auth/group/?q=zzz").raw.find(">editors</a>"), std::string::npos);
  std::int64_t id = 0;
  {
    auto c = server_->database().acquire();
    id = c->execute("SELECT id FROM auth_group WHERE name = 'editors'").scalar().as_int();
  }
  const std::string change = "/admin/auth/group/" + std::to_string(id) + "/change/";
  r = b.request("GET", change);
  EXPECT_NE(r.raw.find("value=\"" + std::to_string(add_user) + "\" selected"), std::string::npos);
  r = b.request("POST", change, "name=writers&permissions=" + std::to_string(add_user) + "&permissions=" +
                                    std::to_string(view_user) + "&_save=Save", kForm);
  ASSERT_EQ(r.status, 302) << r.raw;
  r = b.request("GET", "/admin/auth/group/" + std::to_string(id) + "/history/");
  EXPECT_NE(r.raw.find("Changed Name and Permissions."), std::string::npos) << r.raw;
  r = b.request("GET", "/admin/auth/group/" + std::to_string(id) + "/delete/");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.raw.find("Are you sure you want to delete the group “writers”?"), std::string::npos) << r.raw;
  r = b.request("POST", "/admin/auth/group/" + std::to_string(id) + "/delete/", "post=yes", kForm);
  ASSERT_EQ(r.status, 302) << r.raw;
  r = b.request("GET", "/admin/auth/group/");
  EXPECT_NE(r.raw.find("The group “writers” was deleted successfully."), std::string::npos);
  EXPECT_EQ(r.raw.find(">writers</a>"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Deployments, AdminServer, ::testing::ValuesIn(testing::all_deployments()), testing::deployment_name);

}  // namespace
}  // namespace gatehouse::admin
