// The user admin's tools beyond Django's: the login throttle's state for an
// account or a client, with a way to clear it, "Send password reset email"
// (a button on the user's page and a change-list action) through the outbox,
// so staff never type a user's password, and the user's second factors with
// a way to reset them (a lost device).
#include "gatehouse/auth/accounts.h"
#include "gatehouse/auth/mfa.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/http/router.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/tasks/tasks.h"
#include "common.h"

namespace gatehouse::admin {

namespace {

json count_json(const auth::LoginThrottle::Count& c) {
  return {{"failures", c.failures}, {"locked", c.locked}, {"minutes", (c.expires_in.count() + 59) / 60}};
}

std::optional<auth::User> user_by_id(accounts::Site& site, const Request& req) {
  const auto id = id_param(req);
  if (!id) return std::nullopt;
  auto conn = site.db.acquire();
  return models::Manager<auth::User>(*conn).find({models::eq("id", *id)});
}

bool may_change_users(accounts::Site& site, const Request& req) {
  auto conn = site.db.acquire();
  return perms_for(*conn, *staff_user(req), "user").change;
}

Response clear_account(accounts::Site& site, Request& req) {
  if (!may_change_users(site, req)) return denied(site, req);
  const auto u = user_by_id(site, req);
  if (!u) return missing(req, "user", req.params["id"]);
  site.accounts.parts().login_throttle.clear_account(u->username);
  {
    auto conn = site.db.acquire();
    db::Transaction tx(*conn);
    record(*conn, req, *staff_user(req), user_admin(), u->id, u->username, Action::change,
           "Cleared the login throttle's failures.", {{"throttle", "cleared"}});
    tx.commit();
  }
  add_message(req, "success", "The login failures of “" + escape(u->username) + "” were cleared.");
  return Response::redirect(user_admin().change_url(u->id));
}

// /admin/throttle/?address=A: one client's failures over all accounts.
Response client_page(accounts::Site& site, Request& req) {
  if (!may_change_users(site, req)) return denied(site, req);
  const std::string address = req.query_param("address").value_or("");
  json c = base(site, req, "Login throttle");
  c["address"] = address;
  c["count"] = address.empty() ? json(false) : count_json(site.accounts.parts().login_throttle.address_count(address));
  return render(site, 200, "admin/throttle.html", c);
}

Response clear_client(accounts::Site& site, Request& req) {
  if (!may_change_users(site, req)) return denied(site, req);
  const std::string address = form_value(form_pairs(req), "address");
  if (address.empty()) return Response::redirect(std::string(kRoot) + "throttle/");
  site.accounts.parts().login_throttle.clear_address(address);
  add_message(req, "success", "The login failures of the client " + escape(address) + " were cleared.");
  return Response::redirect(std::string(kRoot) + "throttle/?address=" + http::percent_encode(address));
}

// Removes the user's second factors (a lost device), logged; the user is emailed.
Response reset_factors(accounts::Site& site, Request& req) {
  if (!may_change_users(site, req)) return denied(site, req);
  const auto u = user_by_id(site, req);
  if (!u) return missing(req, "user", req.params["id"]);
  {
    const auto before = site.mfa.status(*u);
    auto conn = site.db.acquire();
    db::Transaction tx(*conn);
    site.mfa.reset_factors(*conn, *u);
    record(*conn, req, *staff_user(req), user_admin(), u->id, u->username, Action::change,
           "Reset the second factors.",
           {{"totp", {before.totp, false}},
            {"recovery_codes", {before.recovery_codes_remaining, 0}},
            {"passkeys", {before.passkeys.size(), 0}}});
    tx.commit();
  }
  site.sessions.remove_for_user(u->id);  // a session the lost device opened ends too
  add_message(req, "success", "The second factors of “" + escape(u->username) +
                                  "” were removed; their sessions ended, and they were emailed.");
  return Response::redirect(user_admin().change_url(u->id));
}

Response reset_button(accounts::Site& site, Request& req) {
  const auto id = id_param(req);
  if (!id) return missing(req, "user", req.params["id"]);
  Response r = send_password_reset(site, req, {*id});
  return r.status == 302 ? Response::redirect(user_admin().change_url(*id)) : r;
}

}  // namespace

json throttle_panel(accounts::Site& site, const auth::User& user) {
  auto& throttle = site.accounts.parts().login_throttle;
  json clients = json::array();
  for (const auto& [address, count] : throttle.clients_of(user.username)) {
    json c = count_json(count);
    c["address"] = address;
    c["href"] = std::string(kRoot) + "throttle/?address=" + http::percent_encode(address);
    clients.push_back(c);
  }
  json panel = count_json(throttle.account_count(user.username));
  panel["clients"] = clients;
  panel["action"] = user_admin().url(std::to_string(user.id) + "/throttle/clear/");
  return panel;
}

json mfa_panel(accounts::Site& site, const auth::User& user, bool read_only) {
  const auth::MfaStatus s = site.mfa.status(user);
  json passkeys = json::array();
  for (const auto& p : s.passkeys) passkeys.push_back(p.name);
  return {{"totp", s.totp},
          {"recovery_codes", s.recovery_codes_remaining},
          {"passkeys", passkeys},
          {"any", s.totp || s.recovery_codes_remaining > 0 || !s.passkeys.empty()},
          {"action", read_only ? json(false) : json(user_admin().url(std::to_string(user.id) + "/mfa/reset/"))}};
}

// Enqueues the reset link email (the job the password reset page sends) for
// each selected user with an address, logged, in one transaction.
Response send_password_reset(accounts::Site& site, Request& req, const std::vector<std::int64_t>& ids) {
  if (!may_change_users(site, req)) return denied(site, req);
  std::size_t sent = 0, skipped = 0;
  {
    auto conn = site.db.acquire();
    db::Transaction tx(*conn);
    for (const auto id : ids) {
      auto u = models::Manager<auth::User>(*conn).find({models::eq("id", id)});
      if (!u) continue;
      if (u->email.empty()) {
        ++skipped;
        continue;
      }
      tasks::enqueue(*conn, auth::kPasswordLinkJob, json{{"email", u->email}}.dump());
      record(*conn, req, *staff_user(req), user_admin(), u->id, u->username, Action::change,
             "Sent a password reset email.", {{"password_reset_email", u->email}});
      ++sent;
    }
    tx.commit();
  }
  if (sent > 0)
    add_message(req, "success", "Sent a password reset email to " + std::to_string(sent) + (sent == 1 ? " user." : " users."));
  if (skipped > 0)
    add_message(req, "warning", std::to_string(skipped) + (skipped == 1 ? " user has" : " users have") + " no email address.");
  return Response::redirect(user_admin().url());
}

void add_user_tool_routes(http::Router& router, accounts::Site& site) {
  router.post(user_admin().url("{id}/throttle/clear/"), staff_view(site, clear_account));
  router.post(user_admin().url("{id}/send_reset/"), staff_view(site, reset_button));
  router.post(user_admin().url("{id}/mfa/reset/"), staff_view(site, reset_factors));
  router.get(std::string(kRoot) + "throttle/", staff_view(site, client_page));
  router.post(std::string(kRoot) + "throttle/clear/", staff_view(site, clear_client));
}

}  // namespace gatehouse::admin
