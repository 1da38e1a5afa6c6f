// The generic views over a ModelAdmin: Django's ChangeList (search, filters,
// ordering, pagination), the actions (delete_selected with its confirmation),
// the delete page and the history page.
#include <algorithm>
#include <sstream>

#include "common.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/field.h"

namespace gatehouse::admin {

namespace {

constexpr std::size_t kPerPage = 100;     // Django's list_per_page
constexpr std::size_t kMaxShowAll = 200;  // list_max_show_all

struct Query {
  std::string q, o;
  std::size_t page = 1;
  bool show_all = false;
  std::vector<std::pair<std::string, std::string>> filters;  // active param, value
  bool bad = false;                                          // an unknown parameter (Django's ?e=1)
};

Query read_query(const Request& req, const std::vector<ListFilter>& filters) {
  Query out;
  for (const auto& [k, v] : http::parse_form_pairs(req.query)) {
    if (k == "q") out.q = v;
    else if (k == "o") out.o = v;
    else if (k == "p") out.page = static_cast<std::size_t>(std::max(1LL, std::atoll(v.c_str())));
    else if (k == "all") out.show_all = true;
    else if (k == "e" || k == "_changelist_filters") continue;
    else if (const std::string& name = k;  // a structured binding cannot be captured (clang 14)
             std::any_of(filters.begin(), filters.end(), [&](const ListFilter& f) { return f.param == name; }))
      out.filters.emplace_back(k, v);
    else out.bad = true;
  }
  return out;
}

// The query string for a link: the current one without `drop`, with `set` added.
std::string with(const Query& q, const std::vector<std::pair<std::string, std::string>>& set,
                 const std::vector<std::string>& drop = {}) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!q.q.empty()) params.emplace_back("q", q.q);
  for (const auto& f : q.filters) params.push_back(f);
  if (!q.o.empty()) params.emplace_back("o", q.o);
  if (q.page > 1) params.emplace_back("p", std::to_string(q.page));
  if (q.show_all) params.emplace_back("all", "");
  const auto named = [&](const std::string& k) {
    return std::find(drop.begin(), drop.end(), k) != drop.end() ||
           std::any_of(set.begin(), set.end(), [&](const auto& s) { return s.first == k; });
  };
  params.erase(std::remove_if(params.begin(), params.end(), [&](const auto& p) { return named(p.first); }), params.end());
  params.insert(params.end(), set.begin(), set.end());
  std::sort(params.begin(), params.end());  // stable links, whatever order the request had
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "?" : "&") + http::percent_encode(k) + "=" + http::percent_encode(v);
  return out.empty() ? "?" : out;
}

// WHERE for the filters and the search terms (every term in some search field, as Django's).
std::string where(const ModelAdmin& ma, const Query& q, const std::vector<ListFilter>& filters,
                  std::vector<db::Value>& params) {
  std::vector<std::string> parts;
  for (const auto& active : q.filters) {
    const std::string& value = active.second;
    const auto f = std::find_if(filters.begin(), filters.end(), [&](const ListFilter& x) { return x.param == active.first; });
    parts.push_back(f->sql);
    if (f->boolean) params.emplace_back(value == "1" || value == "True" || value == "true");
    else params.emplace_back(static_cast<std::int64_t>(std::atoll(value.c_str())));
  }
  std::istringstream terms(q.q);
  for (std::string term; terms >> term;) {
    std::string escaped;
    for (char c : term) {
      if (c == '%' || c == '_' || c == '\\') escaped += '\\';
      escaped += c;
    }
    std::string any;
    for (const auto& field : ma.search_fields) {
      any += (any.empty() ? "" : " OR ") + std::string("UPPER(") + field + ") LIKE UPPER(?) ESCAPE '\\'";
      params.emplace_back("%" + escaped + "%");
    }
    parts.push_back("(" + any + ")");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? " WHERE " : " AND ") + p;
  return out;
}

// Django's `o`: '.'-separated indexes into list_display (0 is the checkbox), '-' for descending.
struct Ordering {
  std::string sql;
  std::vector<std::pair<std::size_t, bool>> columns;  // column index (1-based), descending
};
Ordering ordering(const ModelAdmin& ma, const std::string& o) {
  Ordering out;
  std::istringstream parts(o);
  for (std::string part; std::getline(parts, part, '.');) {
    const bool desc = !part.empty() && part[0] == '-';
    const long long i = std::atoll(part.c_str() + (desc ? 1 : 0));
    if (i < 1 || static_cast<std::size_t>(i) > ma.columns.size()) continue;
    out.columns.emplace_back(static_cast<std::size_t>(i), desc);
    out.sql += (out.sql.empty() ? "" : ", ") + ma.columns[static_cast<std::size_t>(i) - 1].field + (desc ? " DESC" : " ASC");
  }
  out.sql += (out.sql.empty() ? "" : ", ") + ma.ordering + ", id DESC";
  return out;
}

json headers(const ModelAdmin& ma, const Query& q, const Ordering& ord) {
  json out = json::array();
  for (std::size_t i = 1; i <= ma.columns.size(); ++i) {
    const auto it = std::find_if(ord.columns.begin(), ord.columns.end(), [&](const auto& c) { return c.first == i; });
    const bool sorted = it != ord.columns.end(), desc = sorted && it->second;
    const std::string toggle = (sorted && !desc ? "-" : "") + std::to_string(i);
    out.push_back({{"label", ma.columns[i - 1].label}, {"field", ma.columns[i - 1].field}, {"sorted", sorted},
                   {"order", desc ? "descending" : "ascending"}, {"href", with(q, {{"o", toggle}}, {"p"})}});
  }
  return out;
}

json result_rows(const ModelAdmin& ma, const db::Result& r, const std::string& filters_qs) {
  json rows = json::array();
  for (const auto& row : r.rows) {
    const std::int64_t id = row[0].as_int();
    json cells = json::array();
    for (std::size_t i = 0; i < ma.columns.size(); ++i) {
      const db::Value& v = row[i + 1];
      json cell = {{"first", i == 0}, {"field", ma.columns[i].field}, {"boolean", ma.columns[i].boolean}};
      if (ma.columns[i].boolean) cell["yes"] = !v.is_null() && v.as_bool();
      else cell["text"] = v.is_null() ? std::string("-") : v.as_text();
      cells.push_back(cell);
    }
    std::string href = ma.change_url(id);
    if (filters_qs.size() > 1) href += "?_changelist_filters=" + http::percent_encode(filters_qs.substr(1));
    rows.push_back({{"id", id}, {"cells", cells}, {"href", href}});
  }
  return rows;
}

json filter_context(const std::vector<ListFilter>& filters, const Query& q) {
  json out = json::array();
  for (const auto& f : filters) {
    const auto active = std::find_if(q.filters.begin(), q.filters.end(), [&](const auto& a) { return a.first == f.param; });
    json choices = json::array({{{"label", "All"}, {"selected", active == q.filters.end()}, {"href", with(q, {}, {f.param, "p"})}}});
    for (const auto& [value, label] : f.choices)
      choices.push_back({{"label", label}, {"selected", active != q.filters.end() && active->second == value},
                         {"href", with(q, {{f.param, value}}, {"p"})}});
    out.push_back({{"title", f.title}, {"choices", choices}});
  }
  return out;
}

// Django's paginator: every page when there are few, else the ends and the neighbourhood with "…".
json pages(const Query& q, std::size_t count) {
  const std::size_t n = std::max<std::size_t>(1, (count + kPerPage - 1) / kPerPage);
  json out = json::array();
  if (n <= 1 || q.show_all) return out;
  std::size_t last = 0;
  for (std::size_t p = 1; p <= n; ++p) {
    const bool near = p <= 2 || p + 1 >= n || (p + 3 >= q.page && p <= q.page + 3);
    if (!near) continue;
    if (last != 0 && p != last + 1) out.push_back({{"ellipsis", true}});
    out.push_back({{"ellipsis", false}, {"number", p}, {"current", p == q.page}, {"href", with(q, {{"p", std::to_string(p)}}, {"all"})}});
    last = p;
  }
  return out;
}

std::string plural(const ModelAdmin& ma, std::size_t n) { return n == 1 ? ma.verbose_name : ma.verbose_name_plural; }

}  // namespace

Response changelist(accounts::Site& site, const ModelAdmin& ma, Request& req) {
  auto conn = site.db.acquire();
  const auth::User& actor = *staff_user(req);
  const Perms perms = perms_for(*conn, actor, ma.model);
  if (!perms.view) return denied(site, req);
  const std::vector<ListFilter> filters = ma.filters ? ma.filters(*conn) : std::vector<ListFilter>{};
  const Query q = read_query(req, filters);
  if (q.bad) return Response::redirect(ma.url() + "?e=1");
  std::vector<db::Value> params;
  const std::string cond = where(ma, q, filters, params);
  const auto total = static_cast<std::size_t>(conn->execute("SELECT count(*) FROM " + ma.table).scalar().as_int());
  const auto count = static_cast<std::size_t>(conn->execute("SELECT count(*) FROM " + ma.table + cond, params).scalar().as_int());
  const bool all = q.show_all && count <= kMaxShowAll;
  const Ordering ord = ordering(ma, q.o);
  std::string cols = "id";
  for (const auto& c : ma.columns) cols += ", " + c.field;
  std::string sql = "SELECT " + cols + " FROM " + ma.table + cond + " ORDER BY " + ord.sql;
  if (!all) sql += " LIMIT " + std::to_string(kPerPage) + " OFFSET " + std::to_string((q.page - 1) * kPerPage);
  const db::Result r = conn->execute(sql, params);
  if (r.empty() && q.page > 1) return Response::redirect(ma.url() + "?e=1");  // Django: an invalid page
  json c = base(site, req, "Select " + ma.verbose_name + " to " + (perms.change ? "change" : "view"));
  const std::string qs = with(q, {});
  c["model"] = model_context(ma);
  c["can_add"] = perms.add;
  c["can_delete"] = perms.remove;
  json extra = json::array();
  if (perms.change)
    for (const auto& a : ma.actions) extra.push_back({{"name", a.name}, {"label", a.label}});
  c["extra_actions"] = extra;
  c["has_actions"] = perms.remove || !extra.empty();
  c["headers"] = headers(ma, q, ord);
  c["rows"] = result_rows(ma, r, qs);
  c["filters"] = filter_context(filters, q);
  c["has_filters"] = !filters.empty();
  c["q"] = q.q;
  c["searched"] = !q.q.empty() || !q.filters.empty();
  c["count"] = std::to_string(count) + " " + plural(ma, count);
  c["result_count"] = std::to_string(count) + (count == 1 ? " result" : " results");
  c["total"] = std::to_string(total) + " total";
  c["shown"] = r.rows.size();
  c["pages"] = pages(q, count);
  c["show_all"] = !all && count > kPerPage && count <= kMaxShowAll ? json(with(q, {{"all", ""}}, {"p"})) : json(false);
  c["query_string"] = qs;
  return render(site, 200, "admin/change_list.html", c);
}

namespace {

std::vector<std::int64_t> selected_ids(const http::FormPairs& form) {
  std::vector<std::int64_t> ids;
  for (const auto& v : form_values(form, "_selected_action")) {
    if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    ids.push_back(std::stoll(v));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// Deletes the objects in one transaction, each logged (Django's log_deletion) before it goes.
void delete_objects(accounts::Site& site, const ModelAdmin& ma, Request& req,
                    const std::vector<std::pair<std::int64_t, std::string>>& objects) {
  const auth::User& actor = *staff_user(req);
  {
    auto conn = site.db.acquire();
    db::Transaction tx(*conn);
    for (const auto& [id, repr] : objects) {
      record(*conn, req, actor, ma, id, repr, Action::deletion, "", json::object());
      ma.remove(*conn, id);
    }
    tx.commit();
  }
  std::vector<std::int64_t> ids;
  for (const auto& o : objects) ids.push_back(o.first);
  if (ma.after_deletion) ma.after_deletion(site, ids);
}

// The confirmation page, for one object (delete_view) or the selection (the action).
Response confirmation(accounts::Site& site, const ModelAdmin& ma, Request& req,
                      const std::vector<std::pair<std::int64_t, std::string>>& objects, bool action,
                      bool confirmed = false) {
  auto conn = site.db.acquire();
  std::vector<std::int64_t> ids;
  for (const auto& o : objects) ids.push_back(o.first);
  const auto refusal = ma.refuse_deletion ? ma.refuse_deletion(*conn, ids) : std::nullopt;
  json c = base(site, req, refusal ? "Cannot delete " + ma.verbose_name : "Are you sure?");
  json list = json::array();
  for (const auto& [id, repr] : objects)
    list.push_back({{"id", id}, {"repr", repr}, {"href", ma.change_url(id)}});
  c["model"] = model_context(ma);
  c["objects"] = list;
  c["action"] = action;
  c["object"] = objects.size() == 1 ? json(objects.front().second) : json(false);
  c["summary"] = ma.deletion_summary ? json(ma.deletion_summary(*conn, ids)) : json::array();
  c["refusal"] = refusal ? json(*refusal) : json(false);
  // Shown (200) with the reason and no button; a confirmed POST despite it is refused (403).
  return render(site, refusal && confirmed ? 403 : 200, "admin/delete_confirmation.html", c);
}

// The selected objects that exist, with their text forms.
std::vector<std::pair<std::int64_t, std::string>> existing(accounts::Site& site, const ModelAdmin& ma,
                                                           const std::vector<std::int64_t>& ids) {
  auto conn = site.db.acquire();
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (const auto id : ids)
    if (auto repr = object_repr(*conn, ma, id)) out.emplace_back(id, *repr);
  return out;
}

bool refused(accounts::Site& site, const ModelAdmin& ma, const std::vector<std::pair<std::int64_t, std::string>>& objects) {
  if (!ma.refuse_deletion) return false;
  std::vector<std::int64_t> ids;
  for (const auto& o : objects) ids.push_back(o.first);
  auto conn = site.db.acquire();
  return ma.refuse_deletion(*conn, ids).has_value();
}

}  // namespace

Response changelist_action(accounts::Site& site, const ModelAdmin& ma, Request& req) {
  const http::FormPairs form = form_pairs(req);
  const std::string back = ma.url() + (req.query.empty() ? "" : "?" + req.query);
  const std::string action = form_value(form, "action");
  const auto ids = selected_ids(form);
  if (action.empty()) {
    add_message(req, "warning", "No action selected.");
    return Response::redirect(back);
  }
  if (ids.empty()) {
    add_message(req, "warning", "Items must be selected in order to perform actions on them. No items have been changed.");
    return Response::redirect(back);
  }
  if (action != "delete_selected") {
    const auto extra = std::find_if(ma.actions.begin(), ma.actions.end(), [&](const ExtraAction& a) { return a.name == action; });
    if (extra == ma.actions.end()) return Response::text(400, "Bad Request: unknown action", "text/plain; charset=utf-8");
    return extra->run(site, req, ids);
  }
  {
    auto conn = site.db.acquire();
    if (!perms_for(*conn, *staff_user(req), ma.model).remove) return denied(site, req);
  }
  const auto objects = existing(site, ma, ids);
  if (objects.empty()) {
    add_message(req, "warning", "Items must be selected in order to perform actions on them. No items have been changed.");
    return Response::redirect(back);
  }
  if (form_value(form, "post") != "yes") return confirmation(site, ma, req, objects, true);
  if (refused(site, ma, objects)) return confirmation(site, ma, req, objects, true, true);
  delete_objects(site, ma, req, objects);
  add_message(req, "success", "Successfully deleted " + std::to_string(objects.size()) + " " +
                                  (objects.size() == 1 ? ma.verbose_name : ma.verbose_name_plural) + ".");
  return Response::redirect(back);
}

Response delete_view(accounts::Site& site, const ModelAdmin& ma, Request& req) {
  const auto id = id_param(req);
  std::optional<std::string> repr;
  {
    auto conn = site.db.acquire();
    if (!perms_for(*conn, *staff_user(req), ma.model).remove) return denied(site, req);
    if (id) repr = object_repr(*conn, ma, *id);
  }
  if (!repr) return missing(req, ma.verbose_name, req.params["id"]);
  const std::vector<std::pair<std::int64_t, std::string>> objects{{*id, *repr}};
  if (req.method != "POST") return confirmation(site, ma, req, objects, false);
  if (refused(site, ma, objects)) return confirmation(site, ma, req, objects, false, true);
  delete_objects(site, ma, req, objects);
  add_message(req, "success", "The " + ma.verbose_name + " “" + escape(*repr) + "” was deleted successfully.");
  return Response::redirect(ma.url());
}

namespace {

// Django's DATETIME_FORMAT "N j, Y, P": "Dec. 3, 2026, 12:10 a.m.", "noon", "midnight".
std::string django_datetime(const models::Timestamp& t) {
  static const char* const months[] = {"Jan.", "Feb.", "March", "April", "May", "June",
                                       "July", "Aug.",  "Sept.", "Oct.", "Nov.", "Dec."};
  const auto day = std::chrono::floor<std::chrono::days>(t.time);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t.time - day)};
  const int h = static_cast<int>(hms.hours().count()), m = static_cast<int>(hms.minutes().count());
  std::string time;
  if (m == 0 && h == 0) time = "midnight";
  else if (m == 0 && h == 12) time = "noon";
  else {
    time = std::to_string(h % 12 == 0 ? 12 : h % 12);
    if (m != 0) time += (m < 10 ? ":0" : ":") + std::to_string(m);
    time += h < 12 ? " a.m." : " p.m.";
  }
  return std::string(months[static_cast<unsigned>(ymd.month()) - 1]) + " " + std::to_string(static_cast<unsigned>(ymd.day())) +
         ", " + std::to_string(static_cast<int>(ymd.year())) + ", " + time;
}

}  // namespace

std::string admin_datetime(const models::Timestamp& t) { return django_datetime(t); }

Response history_view(accounts::Site& site, const ModelAdmin& ma, Request& req) {
  const auto id = id_param(req);
  auto conn = site.db.acquire();
  if (!perms_for(*conn, *staff_user(req), ma.model).view) return denied(site, req);
  const auto repr = id ? object_repr(*conn, ma, *id) : std::nullopt;
  if (!repr) return missing(req, ma.verbose_name, req.params["id"]);
  const db::Result r = conn->execute(
      "SELECT l.action_time, u.username, u.first_name, u.last_name, l.change_message, l.action_flag FROM "
      "django_admin_log l JOIN auth_user u ON u.id = l.user_id WHERE l.object_id = ? AND l.content_type_id = ? "
      "ORDER BY l.action_time, l.id",
      {db::Value(std::to_string(*id)), db::Value(content_type_id(*conn, "auth", ma.model))});
  json rows = json::array();
  for (const auto& row : r.rows) {
    std::string full = row[2].as_text() + " " + row[3].as_text();
    full.erase(0, full.find_first_not_of(' '));
    full.erase(full.find_last_not_of(' ') + 1);
    rows.push_back({{"time", django_datetime(models::parse_timestamp(row[0].as_text()))},
                    {"username", row[1].as_text()}, {"full_name", full.empty() ? json(false) : json(full)},
                    {"message", change_message_text(row[4].as_text())}});
  }
  json audit = json::array();  // Gatehouse's trail: old and new values, and who, even after their account is gone
  for (const auto& row : conn->execute("SELECT time, actor_username, client_address, changes FROM gatehouse_admin_audit "
                                       "WHERE app_label = ? AND model = ? AND object_id = ? ORDER BY time, id",
                                       {db::Value("auth"), db::Value(ma.model), db::Value(std::to_string(*id))}).rows)
    audit.push_back({{"time", django_datetime(models::parse_timestamp(row[0].as_text()))}, {"actor", row[1].as_text()},
                     {"address", row[2].as_text()}, {"changes", row[3].as_text()}});
  json events = json::array();  // what the user did to their own factors (auth/mfa.h)
  if (ma.model == "user")
    for (const auto& row : conn->execute("SELECT time, event, client_address FROM gatehouse_security_event "
                                         "WHERE user_id = ? ORDER BY time, id", {db::Value(*id)}).rows)
      events.push_back({{"time", django_datetime(models::parse_timestamp(row[0].as_text()))},
                        {"event", row[1].as_text()}, {"address", row[2].as_text()}});
  json c = base(site, req, "Change history: " + *repr);
  c["audit"] = audit;
  c["security_events"] = events.empty() ? json(false) : json{{"list", events}};
  c["model"] = model_context(ma);
  c["object"] = {{"repr", *repr}, {"href", ma.change_url(*id)}};
  c["rows"] = rows;
  return render(site, 200, "admin/object_history.html", c);
}

}  // namespace gatehouse::admin
