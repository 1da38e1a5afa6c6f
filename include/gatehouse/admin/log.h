// The admin's history: Django's LogEntry (django_admin_log) and Gatehouse's
// audit trail (gatehouse_admin_audit). Rows are written by the admin views
// inside the transaction of the change they describe.
//
//   admin::log_action(conn, actor, ct, obj.id, "ada", admin::Action::change,
//                     R"([{"changed": {"fields": ["Email address"]}}])");
//   std::string text = admin::change_message_text(entry.change_message);
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/auth/user.h"
#include "gatehouse/models/model.h"

namespace gatehouse::admin {

// Django's ADDITION, CHANGE and DELETION action flags.
enum class Action : int { addition = 1, change = 2, deletion = 3 };

struct LogEntry {
  std::int64_t id = 0;
  models::Timestamp action_time{};
  std::int64_t user_id = 0;                        // the actor; deleted with them, as Django cascades
  std::optional<std::int64_t> content_type_id{};   // the object's model (django_content_type)
  std::optional<std::string> object_id{};          // its primary key, as text
  std::string object_repr{};                       // its text form, at most 200 characters
  int action_flag = 0;                             // Action
  std::string change_message{};                    // Django's JSON list, or plain text from old rows
  static const models::ModelInfo<LogEntry>& meta();
};

// One row of the audit trail: what changed, with old and new values
// (passwords and hashes redacted), and who did it, copied, so the row
// outlives the actor's account.
struct AuditEntry {
  std::int64_t id = 0;
  models::Timestamp time{};
  std::optional<std::int64_t> actor_id{};  // NULL once the actor is deleted
  std::string actor_username{};
  std::string client_address{};
  std::string user_agent{};
  std::string app_label{}, model{};
  std::string object_id{};
  std::string object_repr{};
  int action_flag = 0;
  std::string changes{};  // JSON: {"field": {"old": ..., "new": ...}}; "[redacted]" for secrets
  static const models::ModelInfo<AuditEntry>& meta();
};

// Writes a LogEntry (action_time now, by `clock`); object_repr is cut to 200 characters.
LogEntry log_action(db::Connection& conn, const auth::User& actor, std::int64_t content_type_id,
                    std::int64_t object_id, const std::string& object_repr, Action action,
                    const std::string& change_message, const core::Clock& clock = core::system_clock());

// Django's LogEntry.get_change_message(): the JSON list as a sentence
// ("Changed First name and Email address.", "Added.", "No fields changed.");
// a message that is not such a list is shown as it is.
std::string change_message_text(const std::string& change_message);

// A change message as Django stores it: Python's json.dumps (", " and ": "
// separators, keys in the order given, non-ASCII as \uXXXX escapes), so
// the rows are byte for byte what Django's admin writes.
std::string django_json(const nlohmann::ordered_json& value);

// The first `n` characters (code points) of a UTF-8 text.
std::string first_characters(const std::string& text, std::size_t n);

// The content type id of auth's "user" or "group" (created by migrate).
std::int64_t content_type_id(db::Connection& conn, const std::string& app_label, const std::string& model);

}  // namespace gatehouse::admin
