// django_admin_log in Django's own schema, Gatehouse's audit table, and
// LogEntry.get_change_message()'s sentences.
#include "gatehouse/admin/log.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "gatehouse/admin/site.h"
#include "gatehouse/auth/models.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"

namespace gatehouse::admin {

namespace {

using nlohmann::json;

// The table as Django 3.2's `migrate` leaves it after 0003 on each engine
// (on SQLite 0002 and 0003 rebuild it, so the column order is theirs), so a Django project's admin reads these rows and
// `migrate --check` finds nothing to do.
constexpr const char* kSqliteLog =
    R"(CREATE TABLE "django_admin_log" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "action_time" datetime NOT NULL, "object_id" text NULL, "object_repr" varchar(200) NOT NULL, "change_message" text NOT NULL, "content_type_id" integer NULL REFERENCES "django_content_type" ("id") DEFERRABLE INITIALLY DEFERRED, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "action_flag" smallint unsigned NOT NULL CHECK ("action_flag" >= 0));
CREATE INDEX "django_admin_log_content_type_id_c4bce8eb" ON "django_admin_log" ("content_type_id");
CREATE INDEX "django_admin_log_user_id_c564eba6" ON "django_admin_log" ("user_id");)";
constexpr const char* kPostgresLog =
    R"(CREATE TABLE "django_admin_log" ("id" serial NOT NULL PRIMARY KEY, "action_time" timestamp with time zone NOT NULL, "object_id" text NULL, "object_repr" varchar(200) NOT NULL, "action_flag" smallint NOT NULL CHECK ("action_flag" >= 0), "change_message" text NOT NULL, "content_type_id" integer NULL, "user_id" integer NOT NULL);
ALTER TABLE "django_admin_log" ADD CONSTRAINT "django_admin_log_content_type_id_c4bce8eb_fk_django_co" FOREIGN KEY ("content_type_id") REFERENCES "django_content_type" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "django_admin_log" ADD CONSTRAINT "django_admin_log_user_id_c564eba6_fk_auth_user_id" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "django_admin_log_content_type_id_c4bce8eb" ON "django_admin_log" ("content_type_id");
CREATE INDEX "django_admin_log_user_id_c564eba6" ON "django_admin_log" ("user_id");)";

void register_admin_models() {
  models::register_model(&LogEntry::meta());    // a deleted user's rows go with them, as Django's Collector
  models::register_model(&AuditEntry::meta());  // a deleted actor's rows stay, actor_id NULL
}

// Django's get_text_list(items, "and"): "a", "a and b", "a, b and c".
std::string text_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One entry of the list as Django's sentence, or "" for an entry it ignores.
std::string sentence(const json& entry) {
  if (!entry.is_object()) return {};
  if (const auto a = entry.find("added"); a != entry.end()) {
    if (!a->is_object() || a->empty()) return "Added.";
    return "Added " + str(*a, "name") + " “" + str(*a, "object") + "”.";
  }
  if (const auto c = entry.find("changed"); c != entry.end() && c->is_object()) {
    std::vector<std::string> fields;
    if (const auto f = c->find("fields"); f != c->end() && f->is_array())
      for (const auto& name : *f)
        if (name.is_string()) fields.push_back(name.get<std::string>());
    if (!c->contains("name")) return "Changed " + text_list(fields) + ".";
    return "Changed " + text_list(fields) + " for " + str(*c, "name") + " “" + str(*c, "object") + "”.";
  }
  if (const auto d = entry.find("deleted"); d != entry.end() && d->is_object())
    return "Deleted " + str(*d, "name") + " “" + str(*d, "object") + "”.";
  return {};
}

}  // namespace

std::string first_characters(const std::string& text, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t seen = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (seen++ == n) break;
  }
  return text.substr(0, i);
}

const models::ModelInfo<LogEntry>& LogEntry::meta() {
  static const models::ModelInfo<LogEntry> info =
      models::ModelInfo<LogEntry>("admin", "logentry", "django_admin_log")
          .primary_key("id", &LogEntry::id)
          .field("action_time", &LogEntry::action_time)
          .field("object_id", &LogEntry::object_id, {.blank = true})
          .field("object_repr", &LogEntry::object_repr, {.max_length = 200})
          .field("action_flag", &LogEntry::action_flag)
          .field("change_message", &LogEntry::change_message, {.blank = true})
          .field("content_type_id", &LogEntry::content_type_id, {.blank = true})
          .field("user_id", &LogEntry::user_id, {.references = models::Reference{.table = "auth_user"}});
  return info;
}

const models::ModelInfo<AuditEntry>& AuditEntry::meta() {
  static const models::ModelInfo<AuditEntry> info =
      models::ModelInfo<AuditEntry>("admin", "auditentry", "gatehouse_admin_audit")
          .primary_key("id", &AuditEntry::id)
          .field("time", &AuditEntry::time, {.db_index = true})
          .field("actor_id", &AuditEntry::actor_id,
                 {.blank = true,
                  .references = models::Reference{.table = "auth_user", .on_delete = models::OnDelete::set_null}})
          .field("actor_username", &AuditEntry::actor_username, {.max_length = 150})
          .field("client_address", &AuditEntry::client_address, {.blank = true, .max_length = 64})
          .field("user_agent", &AuditEntry::user_agent, {.blank = true, .max_length = 512})
          .field("app_label", &AuditEntry::app_label, {.max_length = 100})
          .field("model", &AuditEntry::model, {.max_length = 100})
          .field("object_id", &AuditEntry::object_id, {.max_length = 64, .db_index = true})
          .field("object_repr", &AuditEntry::object_repr, {.max_length = 200})
          .field("action_flag", &AuditEntry::action_flag)
          .field("changes", &AuditEntry::changes, {.blank = true});
  return info;
}

std::vector<db::Migration> migrations() {
  const auto unchanged = [](db::Connection&) { register_admin_models(); };  // Django's 0002 and 0003: Python-side only
  return {
      {"admin", "0001_initial",
       [](db::Connection& c) {
         register_admin_models();
         if (!db::table_exists(c, "django_admin_log"))
           c.execute_script(c.engine() == db::Engine::sqlite ? kSqliteLog : kPostgresLog);
       }},
      {"admin", "0002_logentry_remove_auto_add", unchanged},
      {"admin", "0003_logentry_add_action_flag_choices", unchanged},
      {"gatehouse_admin", "0001_audit",
       [](db::Connection& c) {
         register_admin_models();
         if (!db::table_exists(c, "gatehouse_admin_audit")) models::create_table(c, AuditEntry::meta());
       }},
  };
}

LogEntry log_action(db::Connection& conn, const auth::User& actor, std::int64_t content_type_id,
                    std::int64_t object_id, const std::string& object_repr, Action action,
                    const std::string& change_message, const core::Clock& clock) {
  LogEntry e;
  e.action_time = models::Timestamp::now(clock);
  e.user_id = actor.id;
  e.content_type_id = content_type_id;
  e.object_id = std::to_string(object_id);
  e.object_repr = first_characters(object_repr, 200);  // Django cuts at 200 characters, not bytes
  e.action_flag = static_cast<int>(action);
  e.change_message = change_message;
  return models::Manager<LogEntry>(conn).create(std::move(e));
}

namespace {
void python_string(const std::string& s, std::string& out) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char buf[16];
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\b') out += "\\b";
    else if (c == '\f') out += "\\f";
    else if (c < 0x20) { std::snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
    else if (c < 0x80) out += static_cast<char>(c);
    else {  // a UTF-8 sequence (the text came through validation): its code point as UTF-16 escapes
      const int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      std::uint32_t cp = c & (0x3Fu >> extra);
      for (int k = 0; k < extra && i + 1 < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3Fu);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04x", cp);
      }
      out += buf;
    }
  }
  out += '"';
}

void python_json(const nlohmann::ordered_json& v, std::string& out) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [k, item] : v.items()) {
      if (!first) out += ", ";
      first = false;
      python_string(k, out);
      out += ": ";
      python_json(item, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ", ";
      python_json(v[i], out);
    }
    out += ']';
  } else if (v.is_string()) {
    python_string(v.get<std::string>(), out);
  } else {
    out += v.dump();  // numbers, true, false, null: as Python writes them
  }
}
}  // namespace

std::string django_json(const nlohmann::ordered_json& value) {
  std::string out;
  python_json(value, out);
  return out;
}

std::string change_message_text(const std::string& change_message) {
  if (change_message.empty() || change_message.front() != '[') return change_message;
  const json list = json::parse(change_message, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded() || !list.is_array()) return change_message;
  std::string out;
  for (const auto& entry : list) {
    std::string s = sentence(entry);
    if (s.empty()) continue;
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out.empty() ? "No fields changed." : out;
}

std::int64_t content_type_id(db::Connection& conn, const std::string& app_label, const std::string& model) {
  return models::Manager<auth::ContentType>(conn)
      .get({models::eq("app_label", app_label), models::eq("model", model)})
      .id;
}

}  // namespace gatehouse::admin
