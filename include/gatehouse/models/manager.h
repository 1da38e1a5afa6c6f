// Manager<M>: create, read, update and delete model instances on one
// connection (so it composes with db::Transaction), sending the model signals.
//
//   db::Transaction tx(*conn);
//   models::Manager<Article> articles(*conn);
//   Article a = articles.create({.title = "Hello"});
//   auto recent = articles.filter({models::eq("title", "Hello")}).order_by("-id").limit(10).all();
//   tx.commit();
//
// Column names in conditions and orderings are checked against the model:
// an unknown one is a std::invalid_argument, never SQL.
//
// Thread safety: as the connection: one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gatehouse/db/error.h"
#include "gatehouse/db/transaction.h"
#include "gatehouse/models/model.h"

namespace gatehouse::models {

// One condition of a WHERE clause.
struct Condition {
  enum class Op { eq, in, is_null, not_null };
  std::string column;
  Op op = Op::eq;
  std::vector<db::Value> values;
};
inline Condition eq(std::string column, db::Value v) { return {std::move(column), Condition::Op::eq, {std::move(v)}}; }
inline Condition in(std::string column, std::vector<db::Value> vs) {
  return {std::move(column), Condition::Op::in, std::move(vs)};
}
inline Condition is_null(std::string column) { return {std::move(column), Condition::Op::is_null, {}}; }
inline Condition not_null(std::string column) { return {std::move(column), Condition::Op::not_null, {}}; }
using Where = std::vector<Condition>;

struct SaveOptions {
  std::vector<std::string> update_fields = {};  // empty: every field
  bool raw = false;                             // as Django's raw save: no validation
};

namespace detail {
struct Query {
  Where where;
  std::vector<std::pair<std::string, bool>> order;  // column, descending
  std::optional<std::int64_t> limit, offset;
};
// SELECT <fields> FROM <table> WHERE ... ORDER BY ... LIMIT ... OFFSET ...
std::string select_sql(const ModelInfoBase& m, const Query& q, std::vector<db::Value>& params, std::string_view what = {});
std::string where_sql(const ModelInfoBase& m, const Where& w, std::vector<db::Value>& params);
std::vector<std::string> columns_except_pk(const ModelInfoBase& m);
// INSERT ... RETURNING pk for `obj`; returns the new pk.
std::int64_t insert(db::Connection& c, const ModelInfoBase& m, const void* obj, bool with_pk);
// UPDATE of `fields` (every field but the pk when null) of the row `pk`;
// returns the number of rows it changed. Out of line: the statement's
// db::Values, built in each user's instantiation, trip GCC 12's false
// -Wmaybe-uninitialized on std::variant at -O2.
std::int64_t update(db::Connection& c, const ModelInfoBase& m, const void* obj, std::int64_t pk,
                    const std::vector<std::string>* fields);
// One multi-row INSERT per chunk of rows; returns the new pks in order.
std::vector<std::int64_t> insert_many(db::Connection& c, const ModelInfoBase& m, const std::vector<const void*>& objs,
                                      bool with_pk);
// Deletes `root` and everything that cascades from it, with the signals.
void delete_with_cascade(db::Connection& c, const ModelInfoBase& m, void* root);
void send_save(signals::Signal<void(const SaveEvent&)>& sig, const ModelInfoBase& m, void* obj, bool created,
               bool raw, const std::vector<std::string>* fields, db::Connection& c);
}  // namespace detail

template <class M>
class QuerySet;

template <class M>
class Manager {
 public:
  explicit Manager(db::Connection& conn) : conn_(conn), meta_(M::meta()) { register_model(&meta_); }

  db::Connection& connection() const noexcept { return conn_; }

  // Inserts `obj` (its pk must be 0, or a free pk to use) and returns it saved.
  M create(M obj) {
    save_impl(obj, {}, /*force_insert=*/true);
    return obj;
  }

  // Inserts when the pk is 0, else updates (every field, or only
  // update_fields); an update that finds no row inserts with that pk, as Django.
  void save(M& obj, const SaveOptions& options = {}) { save_impl(obj, options, false); }

  M get(std::int64_t pk) const { return get(Where{eq(meta_.pk_field().column, pk)}); }
  // Exactly one match, else DoesNotExist or MultipleObjectsReturned.
  M get(const Where& where) const {
    auto rows = filter(where).limit(2).all();
    if (rows.empty()) throw DoesNotExist(meta_.model_name() + " matching query does not exist");
    if (rows.size() > 1) throw MultipleObjectsReturned("get() returned more than one " + meta_.model_name());
    return std::move(rows.front());
  }
  std::optional<M> find(const Where& where) const {
    auto rows = filter(where).limit(1).all();
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }

  // The match for `lookup`, or `defaults` created; .second is true if created.
  std::pair<M, bool> get_or_create(const Where& lookup, M defaults) {
    if (auto found = find(lookup)) return {std::move(*found), false};
    db::Transaction tx(conn_);  // a savepoint inside an outer transaction
    try {
      M created = create(std::move(defaults));
      tx.commit();
      return {std::move(created), true};
    } catch (const db::DatabaseError& e) {
      if (e.kind() != db::ErrorKind::unique_violation) throw;
      tx.rollback();  // someone else created it meanwhile
      return {get(lookup), false};
    }
  }

  QuerySet<M> filter(Where where) const { return QuerySet<M>(*this, std::move(where)); }
  QuerySet<M> all() const { return QuerySet<M>(*this, {}); }
  std::int64_t count(const Where& where = {}) const { return filter(where).count(); }
  bool exists(const Where& where = {}) const { return filter(where).exists(); }

  // Deletes `obj` and whatever cascades from it, in one (nested) transaction,
  // sending pre_delete/post_delete for every row. Sets obj's pk to 0.
  void remove(M& obj) {
    if (meta_.pk(obj) == 0) throw std::invalid_argument(meta_.model_name() + " object can't be deleted: it has no primary key");
    detail::delete_with_cascade(conn_, meta_, &obj);
    meta_.set_pk(obj, 0);
  }

  // Multi-row INSERTs (in chunks) in one transaction; pks are set on the
  // objects. No signals and no validation, as Django's bulk_create.
  void bulk_create_without_signals(std::vector<M>& objs) {
    if (objs.empty()) return;
    const bool with_pk = meta_.pk(objs.front()) != 0;
    std::vector<const void*> ptrs;
    for (const M& o : objs) {
      if ((meta_.pk(o) != 0) != with_pk)
        throw std::invalid_argument("bulk_create: give every object a pk, or none");
      ptrs.push_back(&o);
    }
    db::Transaction tx(conn_);
    const auto pks = detail::insert_many(conn_, meta_, ptrs, with_pk);
    for (std::size_t i = 0; i < objs.size(); ++i) meta_.set_pk(objs[i], pks[i]);
    tx.commit();
  }

  const ModelInfo<M>& meta() const noexcept { return meta_; }

 private:
  friend class QuerySet<M>;

  void save_impl(M& obj, const SaveOptions& options, bool force_insert) {
    for (const auto& f : options.update_fields)
      if (meta_.field(f) == nullptr || meta_.field(f)->primary_key)
        throw std::invalid_argument("update_fields names a field " + meta_.model_name() + " does not have: " + f);
    if (!options.raw) meta_.validate(&obj);
    const std::vector<std::string>* fields = options.update_fields.empty() ? nullptr : &options.update_fields;
    // Atomic with its receivers, as Django's save: what a post_save receiver
    // writes (a profile, an outbox job) exists exactly when the row does.
    // With no receiver the statement is its own unit of work, and a
    // transaction would only add round trips.
    std::optional<db::Transaction> tx;
    if (pre_save.has_listeners(meta_.sender()) || post_save.has_listeners(meta_.sender())) tx.emplace(conn_);
    detail::send_save(pre_save, meta_, &obj, false, options.raw, fields, conn_);
    bool created = false;
    if (force_insert || meta_.pk(obj) == 0) {
      meta_.set_pk(obj, detail::insert(conn_, meta_, &obj, meta_.pk(obj) != 0));
      created = true;
    } else {
      if (detail::update(conn_, meta_, &obj, meta_.pk(obj), fields) == 0) {
        if (fields != nullptr)
          throw db::DatabaseError(db::ErrorKind::other, "save with update_fields did not affect any rows");
        detail::insert(conn_, meta_, &obj, true);
        created = true;
      }
    }
    detail::send_save(post_save, meta_, &obj, created, options.raw, fields, conn_);
    if (tx) tx->commit();
  }

  db::Connection& conn_;
  const ModelInfo<M>& meta_;
};

template <class M>
class QuerySet {
 public:
  QuerySet(const Manager<M>& manager, Where where) : manager_(manager) { query_.where = std::move(where); }

  // "column" ascending, "-column" descending; applied in the order given.
  QuerySet& order_by(std::string_view column) {
    const bool desc = column.starts_with('-');
    query_.order.emplace_back(std::string(desc ? column.substr(1) : column), desc);
    return *this;
  }
  QuerySet& limit(std::int64_t n) {
    query_.limit = n;
    return *this;
  }
  QuerySet& offset(std::int64_t n) {
    query_.offset = n;
    return *this;
  }

  std::vector<M> all() const {
    std::vector<db::Value> params;
    const std::string sql = detail::select_sql(manager_.meta_, query_, params);
    const db::Result r = manager_.conn_.execute(sql, params);
    std::vector<M> out;
    out.reserve(r.rows.size());
    for (const auto& row : r.rows) out.push_back(manager_.meta_.from_row(row));
    return out;
  }
  std::optional<M> first() const {
    QuerySet one = *this;
    auto rows = one.limit(1).all();
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }
  std::int64_t count() const {
    std::vector<db::Value> params;
    const std::string sql = detail::select_sql(manager_.meta_, query_, params, "count(*)");
    return manager_.conn_.execute(sql, params).scalar().as_int();
  }
  bool exists() const {
    QuerySet one = *this;
    return !one.limit(1).all().empty();
  }
  // Deletes every match as Manager::remove would (signals, cascades); returns how many.
  std::size_t remove() const {
    db::Transaction tx(manager_.conn_);
    auto rows = all();
    for (M& obj : rows) detail::delete_with_cascade(manager_.conn_, manager_.meta_, &obj);
    tx.commit();
    return rows.size();
  }
  // One UPDATE; no signals and no validation (Django's QuerySet.update).
  std::int64_t update_without_signals(const std::vector<std::pair<std::string, db::Value>>& sets) const {
    if (sets.empty()) return 0;
    std::string sql = "UPDATE " + manager_.meta_.table() + " SET ";
    std::vector<db::Value> params;
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const FieldInfo* f = manager_.meta_.field(sets[i].first);
      if (f == nullptr || f->primary_key) throw std::invalid_argument("cannot update field " + sets[i].first);
      if (i > 0) sql += ", ";
      sql += f->column + " = ?";
      params.push_back(sets[i].second);
    }
    sql += detail::where_sql(manager_.meta_, query_.where, params);
    return manager_.conn_.execute(sql, params).affected;
  }

 private:
  const Manager<M>& manager_;
  detail::Query query_;
};

}  // namespace gatehouse::models
