// A fresh, empty database for one test, on either engine:
//   SQLite      a new file in a temporary directory;
//   PostgreSQL  a new schema in the cluster named by GATEHOUSE_TEST_POSTGRES_URL
//               (scripts/test.sh starts one). Without that variable a
//               PostgreSQL test fails: it is never silently skipped.
#pragma once

#include <string>
#include <vector>

#include "gatehouse/db/connection.h"

namespace gatehouse::testing {

class TestDatabase {
 public:
  explicit TestDatabase(db::Engine engine);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const noexcept { return url_; }
  db::Engine engine() const noexcept { return engine_; }

 private:
  db::Engine engine_;
  std::string url_;
  std::string cleanup_;  // file path or schema name
};

inline const std::vector<db::Engine>& all_engines() {
  static const std::vector<db::Engine> engines{db::Engine::sqlite, db::Engine::postgresql};
  return engines;
}

std::string engine_name(db::Engine engine);

}  // namespace gatehouse::testing
