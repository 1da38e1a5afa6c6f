// The two engines behind Connection. Internal to the db layer.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "gatehouse/db/connection.h"

namespace gatehouse::db::detail {

// `target` is a file path, or an SQLite URI when `uri` is set.
std::unique_ptr<Connection> open_sqlite(const std::string& target, bool uri, std::chrono::milliseconds busy_timeout);
// `conninfo` is a libpq connection URI.
std::unique_ptr<Connection> open_postgresql(const std::string& conninfo);

// Rewrites '?' placeholders as $1, $2, ... outside quotes and comments.
std::string number_placeholders(std::string_view sql, std::size_t* count);

}  // namespace gatehouse::db::detail
