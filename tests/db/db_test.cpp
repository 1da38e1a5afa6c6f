// The db layer on both engines: values, typed errors, transactions and
// savepoints with on-commit callbacks, migrations, the pool.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <thread>

#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/signals/signal.h"
#include "test_database.h"

namespace gatehouse::db {
namespace {

using testing::TestDatabase;

class Db : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<TestDatabase>(GetParam());
    db_ = std::make_unique<Database>(tdb_->url());
    auto c = db_->acquire();
    c->execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE)");
    c->execute(
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id), "
        "score BIGINT CHECK (score >= 0), note TEXT, ratio REAL)");
  }
  void TearDown() override {
    db_.reset();
    tdb_.reset();
  }
  std::int64_t count(const char* table) {
    return db_->acquire()->execute(std::string("SELECT count(*) FROM ") + table).scalar().as_int();
  }
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Database> db_;
};

TEST_P(Db, ValuesRoundTrip) {
  auto c = db_->acquire();
  EXPECT_EQ(c->engine(), GetParam());
  c->execute("INSERT INTO parent (id, name) VALUES (?, ?)", {1, "lètmein 日本語"});
  const Result ins = c->execute("INSERT INTO child (id, parent_id, score, note, ratio) VALUES (?, ?, ?, ?, ?)",
                                {10, 1, std::int64_t{1} << 40, Value(), 0.25});
  EXPECT_EQ(ins.affected, 1);
  const Result r = c->execute("SELECT c.id, p.name, c.score, c.note, c.ratio FROM child c JOIN parent p ON p.id = c.parent_id");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.columns[1], "name");
  EXPECT_EQ(r.rows[0][0].as_int(), 10);
  EXPECT_EQ(r.rows[0][r.column("name")].as_text(), "lètmein 日本語");
  EXPECT_EQ(r.rows[0][2].as_int(), std::int64_t{1} << 40);
  EXPECT_TRUE(r.rows[0][3].is_null());
  EXPECT_DOUBLE_EQ(r.rows[0][4].as_real(), 0.25);
  // A '?' inside a literal is not a placeholder.
  EXPECT_EQ(c->execute("SELECT '?' || ?", {"x"}).scalar().as_text(), "?x");
  EXPECT_EQ(c->execute("UPDATE parent SET name = ? WHERE id = ?", {"renamed", 1}).affected, 1);
  EXPECT_EQ(c->execute("DELETE FROM child WHERE id = ?", {999}).affected, 0);
}

TEST_P(Db, SqlMetacharactersAreData) {
  auto c = db_->acquire();
  const std::string evil = "x'); DROP TABLE parent; --";
  c->execute("INSERT INTO parent (id, name) VALUES (?, ?)", {1, evil});
  EXPECT_EQ(c->execute("SELECT name FROM parent WHERE name = ?", {evil}).scalar().as_text(), evil);
  EXPECT_EQ(count("parent"), 1);
}

TEST_P(Db, ConstraintViolationsAreTyped) {
  auto c = db_->acquire();
  c->execute("INSERT INTO parent (id, name) VALUES (1, 'a')");
  const auto kind_of = [&](std::string_view sql) {
    try {
      c->execute(sql);
    } catch (const DatabaseError& e) {
      return e.kind();
    }
    return ErrorKind::other;  // no error at all: the EXPECT below fails
  };
  EXPECT_EQ(kind_of("INSERT INTO parent (id, name) VALUES (2, 'a')"), ErrorKind::unique_violation);
  EXPECT_EQ(kind_of("INSERT INTO parent (id, name) VALUES (1, 'b')"), ErrorKind::unique_violation);
  EXPECT_EQ(kind_of("INSERT INTO parent (id, name) VALUES (3, NULL)"), ErrorKind::not_null_violation);
  EXPECT_EQ(kind_of("INSERT INTO child (id, parent_id) VALUES (1, 42)"), ErrorKind::foreign_key_violation);
  EXPECT_EQ(kind_of("INSERT INTO child (id, parent_id, score) VALUES (1, 1, -5)"), ErrorKind::check_violation);
  EXPECT_EQ(kind_of("SELEKT 1"), ErrorKind::invalid_query);
  EXPECT_EQ(kind_of("SELECT * FROM no_such_table"), ErrorKind::invalid_query);
  try {
    c->execute("SELECT ?", {1, 2});
    ADD_FAILURE() << "parameter count not checked";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_query);
  }
  try {
    c->execute("INSERT INTO parent (id, name) VALUES (2, 'a')");
  } catch (const DatabaseError& e) {
    std::string msg = e.what();
    for (char& ch : msg) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(msg.find("unique"), std::string::npos) << e.what();  // a message a person can act on
  }
}

TEST_P(Db, AReadScopeLendsOneConnectionAndOneSnapshotToItsThread) {
  db_->acquire()->execute("INSERT INTO parent (id, name) VALUES (1, 'first')");
  {
    ReadScope scope(*db_);
    Connection* first = &*db_->acquire();
    {
      ReadScope nested(*db_);  // does nothing: the thread already has one
      EXPECT_EQ(&*db_->acquire(), first);
    }
    EXPECT_EQ(&*db_->acquire(), first) << "every acquire on this thread lends the scope's connection";
    EXPECT_EQ(db_->acquire()->execute("SELECT count(*) FROM parent").scalar().as_int(), 1);
    std::thread other([&] {
      auto c = db_->acquire();
      EXPECT_NE(&*c, first) << "another thread gets its own";
      c->execute("INSERT INTO parent (id, name) VALUES (2, 'second')");
    });
    other.join();
    EXPECT_EQ(db_->acquire()->execute("SELECT count(*) FROM parent").scalar().as_int(), 1)
        << "the scope reads one snapshot";
    if (GetParam() == Engine::postgresql) {
      EXPECT_THROW(db_->acquire()->execute("INSERT INTO parent (id, name) VALUES (3, 'x')"), DatabaseError)
          << "read only";
    }
  }
  auto c = db_->acquire();
  EXPECT_EQ(c->execute("SELECT count(*) FROM parent").scalar().as_int(), 2);
  Transaction tx(*c);  // the connection came back with no transaction open
  c->execute("INSERT INTO parent (id, name) VALUES (4, 'fourth')");
  tx.commit();
}

TEST_P(Db, TransactionsCommitAndRollBack) {
  auto c = db_->acquire();
  {
    Transaction tx(*c);
    c->execute("INSERT INTO parent (id, name) VALUES (1, 'kept')");
    tx.commit();
  }
  {
    Transaction tx(*c);
    c->execute("INSERT INTO parent (id, name) VALUES (2, 'dropped')");
  }  // no commit: rolled back
  EXPECT_EQ(count("parent"), 1);
  EXPECT_EQ(c->transaction_depth(), 0u);
}

TEST_P(Db, NothingIsHalfWrittenWhenAStatementFails) {
  auto c = db_->acquire();
  EXPECT_THROW(
      {
        Transaction tx(*c);
        c->execute("INSERT INTO parent (id, name) VALUES (1, 'a')");
        c->execute("INSERT INTO parent (id, name) VALUES (2, 'b')");
        c->execute("INSERT INTO parent (id, name) VALUES (3, 'a')");  // unique violation
        tx.commit();
      },
      DatabaseError);
  EXPECT_EQ(count("parent"), 0);
}

TEST_P(Db, SavepointsNest) {
  auto c = db_->acquire();
  Transaction outer(*c);
  c->execute("INSERT INTO parent (id, name) VALUES (1, 'outer')");
  {
    Transaction inner(*c);
    EXPECT_TRUE(inner.nested());
    c->execute("INSERT INTO parent (id, name) VALUES (2, 'inner-rolled-back')");
  }
  {
    Transaction inner(*c);
    c->execute("INSERT INTO parent (id, name) VALUES (3, 'inner-committed')");
    inner.commit();
  }
  // After a failed statement inside a savepoint, the outer transaction goes on
  // (PostgreSQL would otherwise refuse every later statement).
  {
    Transaction inner(*c);
    EXPECT_THROW(c->execute("INSERT INTO parent (id, name) VALUES (4, 'outer')"), DatabaseError);
  }
  outer.commit();
  const Result r = c->execute("SELECT id FROM parent ORDER BY id");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0][0].as_int(), 1);
  EXPECT_EQ(r.rows[1][0].as_int(), 3);
}

TEST_P(Db, OnCommitRunsAfterTheOutermostCommitOnly) {
  auto c = db_->acquire();
  std::vector<std::string> ran;
  {
    Transaction outer(*c);
    outer.on_commit([&] { ran.push_back("outer"); });
    {
      Transaction inner(*c);
      inner.on_commit([&] { ran.push_back("inner-committed"); });
      inner.commit();
    }
    {
      Transaction inner(*c);
      inner.on_commit([&] { ran.push_back("inner-rolled-back"); });
    }
    EXPECT_TRUE(ran.empty());
    outer.commit();
  }
  EXPECT_EQ(ran, (std::vector<std::string>{"outer", "inner-committed"}));
  ran.clear();
  {
    Transaction outer(*c);
    {
      Transaction inner(*c);
      inner.on_commit([&] { ran.push_back("lost"); });
      inner.commit();
    }
  }
  EXPECT_TRUE(ran.empty());
}

TEST_P(Db, AfterCommitReceiversNeverRunForRolledBackWork) {
  signals::Signal<void(std::int64_t)> saved;
  std::vector<std::int64_t> seen_after_commit;
  std::vector<std::int64_t> seen_in_db_at_delivery;
  signals::ScopedConnection conn = saved.connect(
      [&](std::int64_t id) {
        seen_after_commit.push_back(id);
        // The row is visible to another connection: the commit has happened.
        seen_in_db_at_delivery.push_back(
            db_->acquire()->execute("SELECT count(*) FROM parent WHERE id = ?", {id}).scalar().as_int());
      },
      {.delivery = signals::Delivery::on_commit});
  auto c = db_->acquire();
  {
    Transaction tx(*c);
    c->execute("INSERT INTO parent (id, name) VALUES (1, 'committed')");
    saved.send({}, 1);
    EXPECT_TRUE(seen_after_commit.empty());
    tx.commit();
  }
  {
    Transaction tx(*c);
    c->execute("INSERT INTO parent (id, name) VALUES (2, 'rolled back')");
    saved.send({}, 2);
  }
  EXPECT_EQ(seen_after_commit, std::vector<std::int64_t>{1});
  EXPECT_EQ(seen_in_db_at_delivery, std::vector<std::int64_t>{1});
}

TEST_P(Db, MisuseOfTransactionsIsRefused) {
  auto c = db_->acquire();
  Transaction outer(*c);
  Transaction inner(*c);
  EXPECT_THROW(outer.commit(), std::logic_error);  // inner still open
  inner.commit();
  EXPECT_THROW(inner.commit(), std::logic_error);
  outer.commit();
}

std::vector<Migration> schema(std::atomic<int>* applied_count = nullptr) {
  return {
      {"app", "0001_items",
       [=](Connection& c) {
         if (applied_count) ++*applied_count;
         c.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL)");
       }},
      {"app", "0002_more",
       [=](Connection& c) {
         if (applied_count) ++*applied_count;
         c.execute("ALTER TABLE items ADD COLUMN weight INTEGER NOT NULL DEFAULT 0");
       }},
  };
}

TEST_P(Db, MigrationsApplyOnceAndAreRecorded) {
  EXPECT_TRUE(applied_migrations(*db_).empty());
  EXPECT_EQ(migrate(*db_, schema()), (std::vector<std::string>{"app.0001_items", "app.0002_more"}));
  EXPECT_TRUE(migrate(*db_, schema()).empty());  // the second run applies nothing
  EXPECT_EQ(applied_migrations(*db_), (std::vector<std::string>{"app.0001_items", "app.0002_more"}));
  auto c = db_->acquire();
  EXPECT_TRUE(table_exists(*c, "items"));
  EXPECT_FALSE(table_exists(*c, "nothing"));
  c->execute("INSERT INTO items (id, label) VALUES (1, 'x')");
  EXPECT_EQ(c->execute("SELECT weight FROM items").scalar().as_int(), 0);
}

TEST_P(Db, FailedMigrationLeavesNoTrace) {
  std::vector<Migration> bad = schema();
  bad.push_back({"app", "0003_broken", [](Connection& c) {
                   c.execute("CREATE TABLE half (id INTEGER)");
                   c.execute("THIS IS NOT SQL");
                 }});
  EXPECT_THROW(migrate(*db_, bad), DatabaseError);
  auto c = db_->acquire();
  EXPECT_FALSE(table_exists(*c, "half"));
  EXPECT_EQ(applied_migrations(*db_), (std::vector<std::string>{"app.0001_items", "app.0002_more"}));
}

TEST_P(Db, ConcurrentMigratorsApplyEachMigrationOnce) {
  std::atomic<int> applied{0};
  std::vector<std::thread> migrators;
  std::atomic<int> errors{0};
  for (int i = 0; i < 4; ++i) {
    migrators.emplace_back([&] {
      try {
        Database own(tdb_->url());  // its own connections, as another process would have
        migrate(own, schema(&applied));
      } catch (const std::exception& e) {
        ++errors;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : migrators) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(applied.load(), 2);
  EXPECT_EQ(applied_migrations(*db_).size(), 2u);
}

TEST_P(Db, PoolWaitsThenGivesUp) {
  Database small(tdb_->url(), {.max_connections = 1, .acquire_timeout = std::chrono::milliseconds(100)});
  {
    auto held = small.acquire();
    try {
      auto second = small.acquire();
      ADD_FAILURE() << "a second connection was lent from a pool of one";
    } catch (const DatabaseError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::busy);
    }
  }
  auto again = small.acquire();  // freed: lent again
  EXPECT_EQ(small.open_connections(), 1u);
}

TEST_P(Db, ConnectionReturnedMidTransactionIsDiscarded) {
  {
    auto c = db_->acquire();
    auto* tx = new Transaction(*c);  // leaked on purpose: still open when returned
    (void)tx;
  }
  auto c = db_->acquire();
  EXPECT_EQ(c->transaction_depth(), 0u);
  c->execute("INSERT INTO parent (id, name) VALUES (1, 'fresh connection')");
  EXPECT_EQ(count("parent"), 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, Db, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

// ---- engine-specific failures ------------------------------------------------

TEST(DbUrl, BadUrlsGetClearErrors) {
  try {
    Database bad("mysql://nope");
    ADD_FAILURE();
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::configuration);
  }
  try {
    Database unreachable("postgresql://user:s3cret@127.0.0.1:1/db?connect_timeout=2");
    ADD_FAILURE();
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connection);
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << "password in the message";
  }
  try {
    Database missing_dir("sqlite:/nonexistent/dir/db.sqlite3");
    ADD_FAILURE();
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connection);
  }
  Database mem("sqlite::memory:");
  EXPECT_EQ(mem.acquire()->execute("SELECT 1 + 1").scalar().as_int(), 2);
}

TEST(DbSqlite, LockedDatabaseIsBusyNotHung) {
  testing::TestDatabase tdb(Engine::sqlite);
  Database a(tdb.url());
  Database b(tdb.url(), {.busy_timeout = std::chrono::milliseconds(100)});
  auto ca = a.acquire();
  Transaction writer(*ca);  // holds the write lock
  auto cb = b.acquire();
  try {
    Transaction second(*cb);
    ADD_FAILURE() << "two writers at once";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::busy);
    EXPECT_TRUE(e.transient());
  }
}

TEST(DbSqlite, ManyOpenersOfANewFileAllSucceed) {
  // Switching a new file to WAL needs an exclusive lock; openers racing for
  // it must wait, not fail with "database is locked".
  for (int round = 0; round < 5; ++round) {
    testing::TestDatabase tdb(Engine::sqlite);
    std::atomic<int> failures{0};
    std::vector<std::thread> openers;
    for (int i = 0; i < 8; ++i) {
      openers.emplace_back([&] {
        try {
          Database db(tdb.url());
          migrate(db, schema());
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      });
    }
    for (auto& t : openers) t.join();
    EXPECT_EQ(failures.load(), 0);
    Database check(tdb.url());
    EXPECT_EQ(applied_migrations(check).size(), 2u);
    EXPECT_EQ(check.acquire()->execute("PRAGMA journal_mode").scalar().as_text(), "wal");
  }
}

TEST(DbPostgres, LostConnectionIsTypedAndReplaced) {
  testing::TestDatabase tdb(Engine::postgresql);
  Database db(tdb.url());
  {
    auto c = db.acquire();
    const auto pid = c->execute("SELECT pg_backend_pid()").scalar().as_int();
    Database killer(tdb.url());
    killer.acquire()->execute("SELECT pg_terminate_backend(?::int)", {pid});
    try {
      c->execute("SELECT 1");
      ADD_FAILURE() << "a killed connection still answered";
    } catch (const DatabaseError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::connection) << e.what();
    }
    EXPECT_FALSE(c->healthy());
  }
  EXPECT_EQ(db.acquire()->execute("SELECT 1").scalar().as_int(), 1);  // a new connection
}

}  // namespace
}  // namespace gatehouse::db
