// The model layer on both engines: CRUD, lookups, update_fields, cascades,
// validation, timestamps, and the model signals.
#include <gtest/gtest.h>

#include "gatehouse/db/database.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"
#include "test_database.h"

namespace gatehouse::models {
namespace {

struct Publisher {
  std::int64_t id = 0;
  std::string name{};
  static const ModelInfo<Publisher>& meta() {
    static const ModelInfo<Publisher> info = ModelInfo<Publisher>("shop", "publisher", "shop_publisher")
                                                 .primary_key("id", &Publisher::id)
                                                 .field("name", &Publisher::name, {.unique = true, .max_length = 50});
    return info;
  }
};

struct Book {
  std::int64_t id = 0;
  std::int64_t publisher_id = 0;
  std::string title{};
  std::string genre = "fiction";
  std::optional<Timestamp> published{};
  double price = 0;
  bool in_print = true;
  static const ModelInfo<Book>& meta() {
    static const ModelInfo<Book> info =
        ModelInfo<Book>("shop", "book", "shop_book")
            .primary_key("id", &Book::id)
            .field("publisher_id", &Book::publisher_id, {.references = Reference{.table = "shop_publisher"}})
            .field("title", &Book::title, {.max_length = 100})
            .field("genre", &Book::genre, {.max_length = 20, .choices = {"fiction", "science"}})
            .field("published", &Book::published, {.blank = true})
            .field("price", &Book::price)
            .field("in_print", &Book::in_print);
    return info;
  }
};

struct Chapter {  // cascades with its book
  std::int64_t id = 0;
  std::int64_t book_id = 0;
  int number = 0;
  static const ModelInfo<Chapter>& meta() {
    static const ModelInfo<Chapter> info =
        ModelInfo<Chapter>("shop", "chapter", "shop_chapter")
            .primary_key("id", &Chapter::id)
            .field("book_id", &Chapter::book_id, {.references = Reference{.table = "shop_book"}})
            .field("number", &Chapter::number);
    return info;
  }
};

struct Note {  // survives its book: reference set to NULL
  std::int64_t id = 0;
  std::optional<std::int64_t> book_id{};
  std::string text{};
  static const ModelInfo<Note>& meta() {
    static const ModelInfo<Note> info =
        ModelInfo<Note>("shop", "note", "shop_note")
            .primary_key("id", &Note::id)
            .field("book_id", &Note::book_id,
                   {.blank = true, .references = Reference{.table = "shop_book", .on_delete = OnDelete::set_null}})
            .field("text", &Note::text, {.blank = true});
    return info;
  }
};

struct Contract {  // protects its publisher
  std::int64_t id = 0;
  std::int64_t publisher_id = 0;
  static const ModelInfo<Contract>& meta() {
    static const ModelInfo<Contract> info =
        ModelInfo<Contract>("shop", "contract", "shop_contract")
            .primary_key("id", &Contract::id)
            .field("publisher_id", &Contract::publisher_id,
                   {.references = Reference{.table = "shop_publisher", .on_delete = OnDelete::protect}});
    return info;
  }
};

const Registration<Publisher> publisher_model;
const Registration<Book> book_model;
const Registration<Chapter> chapter_model;
const Registration<Note> note_model;
const Registration<Contract> contract_model;

std::vector<db::Migration> shop_migrations() {
  return {{"shop", "0001_initial", [](db::Connection& c) {
             create_table(c, Publisher::meta());
             create_table(c, Book::meta());
             create_table(c, Chapter::meta());
             create_table(c, Note::meta());
             create_table(c, Contract::meta());
           }}};
}

class Models : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<testing::TestDatabase>(GetParam());
    db_ = std::make_unique<db::Database>(tdb_->url());
    models::migrate(*db_, shop_migrations());
    conn_.emplace(db_->acquire());
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    tdb_.reset();
  }
  db::Connection& c() { return **conn_; }
  Publisher publisher(const std::string& name = "Penguin") { return Manager<Publisher>(c()).create({.name = name}); }
  Book book(std::int64_t publisher_id, const std::string& title) {
    return Manager<Book>(c()).create({.publisher_id = publisher_id, .title = title});
  }

  std::unique_ptr<testing::TestDatabase> tdb_;
  std::unique_ptr<db::Database> db_;
  std::optional<db::PooledConnection> conn_;
};

TEST_P(Models, CreateGetAndLookups) {
  Manager<Book> books(c());
  const Publisher p = publisher();
  Book a = books.create({.publisher_id = p.id, .title = "Dune", .genre = "fiction", .price = 9.5});
  EXPECT_GT(a.id, 0);
  const Book b = book(p.id, "Cosmos");
  EXPECT_NE(a.id, b.id);

  EXPECT_EQ(books.get(a.id).title, "Dune");
  EXPECT_DOUBLE_EQ(books.get(a.id).price, 9.5);
  EXPECT_EQ(books.get({eq("title", "Cosmos")}).id, b.id);
  EXPECT_THROW(books.get(999999), DoesNotExist);
  EXPECT_THROW(books.get({eq("publisher_id", p.id)}), MultipleObjectsReturned);
  EXPECT_FALSE(books.find({eq("title", "Nope")}).has_value());
  EXPECT_THROW(books.get({eq("no_such_column", 1)}), std::invalid_argument);

  auto [existing, created] = books.get_or_create({eq("title", "Dune")}, {.publisher_id = p.id, .title = "Dune"});
  EXPECT_FALSE(created);
  EXPECT_EQ(existing.id, a.id);
  auto [fresh, made] = books.get_or_create({eq("title", "Solaris")}, {.publisher_id = p.id, .title = "Solaris"});
  EXPECT_TRUE(made);
  EXPECT_GT(fresh.id, b.id);
}

TEST_P(Models, FilterOrderLimitCountExists) {
  Manager<Book> books(c());
  const Publisher p = publisher();
  for (const char* t : {"c", "a", "e", "b", "d"}) book(p.id, t);
  auto titles = [](const std::vector<Book>& bs) {
    std::string s;
    for (const auto& b : bs) s += b.title;
    return s;
  };
  EXPECT_EQ(titles(books.all().order_by("title").all()), "abcde");
  EXPECT_EQ(titles(books.all().order_by("-title").limit(2).all()), "ed");
  EXPECT_EQ(titles(books.all().order_by("title").offset(3).all()), "de");
  EXPECT_EQ(titles(books.filter({in("title", {"a", "d", "zzz"})}).order_by("title").all()), "ad");
  EXPECT_TRUE(books.filter({in("title", {})}).all().empty());
  EXPECT_EQ(books.count(), 5);
  EXPECT_EQ(books.count({in("title", {"a", "b"})}), 2);
  EXPECT_EQ(books.all().order_by("title").limit(3).count(), 3);
  EXPECT_TRUE(books.exists({eq("title", "e")}));
  EXPECT_FALSE(books.exists({eq("title", "f")}));
  EXPECT_EQ(books.all().order_by("title").first()->title, "a");
  EXPECT_THROW(books.all().order_by("-nope").all(), std::invalid_argument);
}

TEST_P(Models, SaveUpdatesAndUpdateFieldsTouchOnlyThoseColumns) {
  Manager<Book> books(c());
  const Publisher p = publisher();
  Book b = book(p.id, "Draft");
  b.title = "Final";
  b.price = 12;
  books.save(b);
  EXPECT_EQ(books.get(b.id).title, "Final");

  // Another writer changes the price; saving only the title must keep it.
  books.filter({eq("id", b.id)}).update_without_signals({{"price", 99.0}});
  b.title = "Final, revised";
  b.price = 1;  // stale in memory: not saved
  books.save(b, {.update_fields = {"title"}});
  const Book fresh = books.get(b.id);
  EXPECT_EQ(fresh.title, "Final, revised");
  EXPECT_DOUBLE_EQ(fresh.price, 99.0);
  EXPECT_THROW(books.save(b, {.update_fields = {"nope"}}), std::invalid_argument);

  // An update that finds no row inserts with that pk (Django's save()).
  Book ghost = fresh;
  books.remove(ghost);
  Book again = fresh;
  books.save(again);
  EXPECT_EQ(books.get(fresh.id).title, "Final, revised");
}

TEST_P(Models, ValidationRefusesWhatTheColumnCannotHold) {
  Manager<Book> books(c());
  const Publisher p = publisher();
  try {
    books.create({.publisher_id = p.id, .title = std::string(101, 'x'), .genre = "poetry"});
    ADD_FAILURE() << "saved an invalid book";
  } catch (const ValidationError& e) {
    ASSERT_EQ(e.errors().count("title"), 1u);
    EXPECT_EQ(e.errors().at("title")[0], "Ensure this value has at most 100 characters (it has 101).");
    EXPECT_EQ(e.errors().at("genre")[0], "Value 'poetry' is not a valid choice.");
  }
  try {
    books.create({.publisher_id = p.id, .title = ""});
    ADD_FAILURE();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.errors().at("title")[0], "This field cannot be blank.");
  }
  // max_length counts characters, not bytes.
  EXPECT_NO_THROW(books.create({.publisher_id = p.id, .title = std::string(50, 'a') + std::string(25, 'x') + "日本語"}));
  // raw saves skip validation (fixtures).
  Book raw{.publisher_id = p.id, .title = "", .genre = "whatever"};
  EXPECT_NO_THROW(books.save(raw, {.raw = true}));
  EXPECT_EQ(books.count(), 2);
}

TEST_P(Models, UniqueViolationIsATypedError) {
  publisher("Unique");
  try {
    publisher("Unique");
    ADD_FAILURE();
  } catch (const db::DatabaseError& e) {
    EXPECT_EQ(e.kind(), db::ErrorKind::unique_violation);
  }
}

TEST_P(Models, TimestampsKeepMicrosecondsOnBothEngines) {
  Manager<Book> books(c());
  const Publisher p = publisher();
  const Timestamp t{std::chrono::sys_days{std::chrono::year{2024} / 2 / 29} + std::chrono::hours{23} +
                    std::chrono::minutes{59} + std::chrono::seconds{58} + std::chrono::microseconds{123456}};
  Book b = books.create({.publisher_id = p.id, .title = "Leap", .published = t});
  EXPECT_EQ(books.get(b.id).published, t);
  Book none = book(p.id, "Unpublished");
  EXPECT_FALSE(books.get(none.id).published.has_value());
  const Timestamp whole{std::chrono::sys_days{std::chrono::year{2020} / 1 / 1}};
  b.published = whole;
  books.save(b);
  EXPECT_EQ(books.get(b.id).published, whole);
}

TEST_P(Models, DeleteCascadesWithSignalsForEveryRow) {
  const Publisher p = publisher();
  const Book b1 = book(p.id, "One"), b2 = book(p.id, "Two");
  Manager<Chapter> chapters(c());
  for (int i = 1; i <= 3; ++i) chapters.create({.book_id = b1.id, .number = i});
  chapters.create({.book_id = b2.id, .number = 1});
  Note note = Manager<Note>(c()).create({.book_id = b1.id, .text = "keep me"});

  std::vector<std::string> log;
  signals::ScopedConnection pre = pre_delete.connect([&](const signals::Sender& s, const DeleteEvent&) {
    log.push_back(std::string("pre:") + (s.is<Publisher>() ? "publisher" : s.is<Book>() ? "book" : "chapter"));
  });
  signals::ScopedConnection post = on_post_delete<Chapter>([&](Chapter& ch, const DeleteEvent&) {
    log.push_back("post:chapter" + std::to_string(ch.number));
  });

  Publisher victim = p;
  Manager<Publisher>(c()).remove(victim);
  EXPECT_EQ(victim.id, 0);
  EXPECT_EQ(Manager<Book>(c()).count(), 0);
  EXPECT_EQ(chapters.count(), 0);
  EXPECT_EQ(std::count(log.begin(), log.end(), "pre:publisher"), 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), "pre:book"), 2);
  EXPECT_EQ(std::count(log.begin(), log.end(), "pre:chapter"), 4);
  EXPECT_EQ(std::count_if(log.begin(), log.end(), [](const std::string& s) { return s.starts_with("post:chapter"); }), 4);
  EXPECT_EQ(log.front(), "pre:publisher");  // every pre_delete before any row goes
  // SET_NULL: the note survives, its reference cleared, without signals.
  EXPECT_FALSE(Manager<Note>(c()).get(note.id).book_id.has_value());
}

TEST_P(Models, ProtectedReferencesBlockTheDeleteAndNothingChanges) {
  const Publisher p = publisher();
  book(p.id, "Kept");
  Manager<Contract>(c()).create({.publisher_id = p.id});
  Publisher victim = p;
  EXPECT_THROW(Manager<Publisher>(c()).remove(victim), ProtectedError);
  EXPECT_EQ(victim.id, p.id);
  EXPECT_EQ(Manager<Book>(c()).count(), 1);
  EXPECT_EQ(Manager<Publisher>(c()).count(), 1);
}

TEST_P(Models, SaveSignalsCarryDjangosArguments) {
  struct Seen {
    std::string which;
    bool created, raw;
    std::vector<std::string> fields;
  };
  std::vector<Seen> seen;
  signals::ScopedConnection pre = on_pre_save<Book>([&](Book& b, const SaveEvent& e) {
    b.title += "!";  // pre_save may change the instance before it is written
    seen.push_back({"pre", e.created, e.raw, e.update_fields ? *e.update_fields : std::vector<std::string>{}});
  });
  signals::ScopedConnection post = on_post_save<Book>([&](Book&, const SaveEvent& e) {
    seen.push_back({"post", e.created, e.raw, e.update_fields ? *e.update_fields : std::vector<std::string>{}});
  });
  int publisher_saves = 0;
  signals::ScopedConnection other = on_post_save<Publisher>([&](Publisher&, const SaveEvent&) { ++publisher_saves; });

  Manager<Book> books(c());
  const Publisher p = publisher();
  Book b = book(p.id, "Signals");
  EXPECT_EQ(books.get(b.id).title, "Signals!");
  books.save(b, {.update_fields = {"title"}});
  books.save(b, {.raw = true});
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_TRUE(seen[1].created);
  EXPECT_FALSE(seen[0].created);  // pre_save has no `created`
  EXPECT_FALSE(seen[3].created);
  EXPECT_EQ(seen[3].fields, std::vector<std::string>{"title"});
  EXPECT_TRUE(seen[5].raw);
  EXPECT_EQ(publisher_saves, 1);  // sender filtering by model type
}

TEST_P(Models, InitSignalsForEveryBuiltInstance) {
  int pre = 0, post = 0;
  signals::ScopedConnection a = pre_init.connect([&](const InitEvent&) { ++pre; }, {.sender = signals::Sender::of<Book>()});
  signals::ScopedConnection b = post_init.connect([&](const InitEvent& e) {
    ++post;
    EXPECT_NE(e.as<Book>().genre, "");  // fields are set by post_init
  }, {.sender = signals::Sender::of<Book>()});
  const Publisher p = publisher();
  book(p.id, "x");
  book(p.id, "y");
  EXPECT_EQ(Manager<Book>(c()).all().all().size(), 2u);
  EXPECT_EQ(pre, 2);
  EXPECT_EQ(post, 2);
  (void)make<Book>();
  EXPECT_EQ(post, 3);
}

TEST_P(Models, BulkAndQuerysetUpdatesSendNoSignals) {
  int saves = 0;
  signals::ScopedConnection s = post_save.connect([&](const SaveEvent&) { ++saves; });
  const Publisher p = publisher();
  EXPECT_EQ(saves, 1);
  std::vector<Book> many;
  for (int i = 0; i < 20; ++i) many.push_back({.publisher_id = p.id, .title = "bulk " + std::to_string(i)});
  Manager<Book> books(c());
  books.bulk_create_without_signals(many);
  for (const auto& b : many) EXPECT_GT(b.id, 0);
  EXPECT_EQ(books.get(many[7].id).title, "bulk 7");
  EXPECT_EQ(books.all().update_without_signals({{"in_print", false}}), 20);
  EXPECT_EQ(books.count({eq("in_print", false)}), 20);
  EXPECT_EQ(saves, 1);
}

template <class O>
concept HasDelivery = requires(O o) { o.delivery; };

TEST_P(Models, AfterCommitReceiversGetACopyAndNeverSeeRollbacks) {
  std::vector<std::string> delivered;
  signals::ScopedConnection r = on_post_save<Book>(
      [&](Book& b, const SaveEvent& e) { delivered.push_back(b.title + (e.created ? "+" : "")); },
      {.delivery = signals::Delivery::on_commit});
  // The untyped signal has no after-commit delivery to ask for (its event
  // points at the instance): ImmediateConnectOptions has no `delivery`, so
  // asking is a compile-time error.
  static_assert(std::is_same_v<decltype(post_save)::Options, signals::ImmediateConnectOptions>);
  static_assert(!HasDelivery<decltype(post_save)::Options>);
  static_assert(HasDelivery<signals::ConnectOptions>);
  static_assert(std::is_same_v<signals::Signal<void(int)>::Options, signals::ConnectOptions>);
  const Publisher p = publisher();
  {
    db::Transaction tx(c());
    Book b = book(p.id, "committed");
    b.title = "changed after save";  // the receiver sees the saved state
    tx.commit();
  }
  {
    db::Transaction tx(c());
    book(p.id, "rolled back");
  }
  EXPECT_EQ(delivered, std::vector<std::string>{"committed+"});
}

TEST_P(Models, PostMigrateFollowsMigrate) {
  std::vector<std::string> applied;
  signals::ScopedConnection r = post_migrate.connect([&](const MigrateEvent& e) {
    applied = *e.applied;
    EXPECT_NE(e.connection, nullptr);
  });
  models::migrate(*db_, {{"shop", "0002_extra", [](db::Connection& c) { c.execute("CREATE TABLE shop_extra (id integer)"); }}});
  EXPECT_EQ(applied, std::vector<std::string>{"shop.0002_extra"});
  models::migrate(*db_, shop_migrations());
  EXPECT_TRUE(applied.empty());  // sent again, with nothing applied
}

INSTANTIATE_TEST_SUITE_P(Engines, Models, ::testing::ValuesIn(testing::all_engines()),
                         [](const auto& param_info) { return testing::engine_name(param_info.param); });

TEST(Timestamps, FormatAndParse) {
  const Timestamp t{std::chrono::sys_days{std::chrono::year{2001} / 9 / 9} + std::chrono::hours{1} +
                    std::chrono::minutes{46} + std::chrono::seconds{40} + std::chrono::microseconds{5}};
  EXPECT_EQ(format_timestamp(t, db::Engine::sqlite), "2001-09-09 01:46:40.000005");
  EXPECT_EQ(format_timestamp(t, db::Engine::postgresql), "2001-09-09 01:46:40.000005+00:00");
  EXPECT_EQ(parse_timestamp("2001-09-09 01:46:40.000005"), t);
  EXPECT_EQ(parse_timestamp("2001-09-09T03:46:40.000005+02:00"), t);
  EXPECT_EQ(parse_timestamp("2001-09-09 01:46:40.000005+00"), t);
  EXPECT_EQ(parse_timestamp("2001-09-09 01:46:40.0000051Z"), t);
  for (const char* bad : {"", "2001-13-01 00:00:00", "2001-02-30 00:00:00", "2001-09-09", "2001-09-09 25:00:00",
                          "2001-09-09 01:46:40.", "2001-09-09 01:46:40 junk"})
    EXPECT_THROW(parse_timestamp(bad), db::DatabaseError) << bad;
}

}  // namespace
}  // namespace gatehouse::models
