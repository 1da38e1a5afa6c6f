#include "test_database.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "gatehouse/core/random.h"
#include "gatehouse/db/database.h"

namespace gatehouse::testing {

std::string engine_name(db::Engine engine) { return engine == db::Engine::sqlite ? "sqlite" : "postgresql"; }

TestDatabase::TestDatabase(db::Engine engine) : engine_(engine) {
  const std::string tag = "t" + core::random_string(12, "abcdefghijklmnopqrstuvwxyz0123456789");
  if (engine == db::Engine::sqlite) {
    const auto dir = std::filesystem::temp_directory_path() / ("gatehouse-test-" + tag);
    std::filesystem::create_directories(dir);
    cleanup_ = dir.string();
    url_ = "sqlite:" + (dir / "test.sqlite3").string();
    return;
  }
  const char* base = std::getenv("GATEHOUSE_TEST_POSTGRES_URL");
  if (base == nullptr || *base == '\0')
    throw std::runtime_error(
        "GATEHOUSE_TEST_POSTGRES_URL is not set: run the tests through scripts/test.sh, which starts a "
        "PostgreSQL cluster (or start one with scripts/postgres-cluster.sh)");
  {
    db::Database admin(base);
    admin.acquire()->execute("CREATE SCHEMA " + tag);
  }
  cleanup_ = tag;
  const std::string b(base);
  url_ = b + (b.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" + tag;
}

TestDatabase::~TestDatabase() {
  try {
    if (engine_ == db::Engine::sqlite) {
      std::filesystem::remove_all(cleanup_);
    } else {
      db::Database admin(std::getenv("GATEHOUSE_TEST_POSTGRES_URL"));
      admin.acquire()->execute("DROP SCHEMA " + cleanup_ + " CASCADE");
    }
  } catch (...) {
    // Leftovers vanish with the throwaway cluster or the temporary directory.
  }
}

}  // namespace gatehouse::testing
