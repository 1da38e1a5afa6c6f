#include <algorithm>
#include <set>
#include <stdexcept>

#include "gatehouse/db/error.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::models {

signals::Signal<void(const InitEvent&)> pre_init;
signals::Signal<void(const InitEvent&)> post_init;
signals::Signal<void(const SaveEvent&)> pre_save;
signals::Signal<void(const SaveEvent&)> post_save;
signals::Signal<void(const DeleteEvent&)> pre_delete;
signals::Signal<void(const DeleteEvent&)> post_delete;
signals::Signal<void(const M2MChangedEvent&)> m2m_changed;
signals::Signal<void(const MigrateEvent&)> post_migrate;

namespace detail {

namespace {
const FieldInfo& known(const ModelInfoBase& m, const std::string& column) {
  const FieldInfo* f = m.field(column);
  if (f == nullptr) throw std::invalid_argument("model " + m.model_name() + " has no field '" + column + "'");
  return *f;
}
}  // namespace

std::string where_sql(const ModelInfoBase& m, const Where& w, std::vector<db::Value>& params) {
  if (w.empty()) return {};
  std::string sql = " WHERE ";
  for (std::size_t i = 0; i < w.size(); ++i) {
    const Condition& c = w[i];
    const FieldInfo& f = known(m, c.column);
    if (i > 0) sql += " AND ";
    switch (c.op) {
      case Condition::Op::eq:
        if (c.values.size() != 1) throw std::invalid_argument("eq takes one value");
        if (c.values[0].is_null()) {
          sql += f.column + " IS NULL";
        } else {
          sql += f.column + " = ?";
          params.push_back(c.values[0]);
        }
        break;
      case Condition::Op::in:
        if (c.values.empty()) {
          sql += "1 = 0";  // IN () matches nothing, as Django's empty result
          break;
        }
        sql += f.column + " IN (";
        for (std::size_t k = 0; k < c.values.size(); ++k) {
          sql += k == 0 ? "?" : ", ?";
          params.push_back(c.values[k]);
        }
        sql += ")";
        break;
      case Condition::Op::is_null:
        sql += f.column + " IS NULL";
        break;
      case Condition::Op::not_null:
        sql += f.column + " IS NOT NULL";
        break;
    }
  }
  return sql;
}

std::string select_sql(const ModelInfoBase& m, const Query& q, std::vector<db::Value>& params, std::string_view what) {
  std::string cols;
  for (const auto& f : m.fields()) cols += (cols.empty() ? "" : ", ") + f.column;
  const bool counting = !what.empty();
  const bool sliced = q.limit || q.offset;
  std::string sql = "SELECT " + (counting && !sliced ? std::string(what) : cols) + " FROM " + m.table();
  sql += where_sql(m, q.where, params);
  if (!counting || sliced) {
    if (!q.order.empty()) {
      sql += " ORDER BY ";
      for (std::size_t i = 0; i < q.order.size(); ++i)
        sql += (i > 0 ? ", " : "") + known(m, q.order[i].first).column + (q.order[i].second ? " DESC" : " ASC");
    }
    if (q.limit) sql += " LIMIT " + std::to_string(*q.limit);
    if (q.offset) sql += (q.limit ? "" : " LIMIT 9223372036854775807") + std::string(" OFFSET ") + std::to_string(*q.offset);
  }
  if (counting && sliced) sql = "SELECT " + std::string(what) + " FROM (" + sql + ") AS sliced";
  return sql;
}

std::vector<std::string> columns_except_pk(const ModelInfoBase& m) {
  std::vector<std::string> out;
  for (const auto& f : m.fields())
    if (!f.primary_key) out.push_back(f.column);
  return out;
}

std::int64_t insert(db::Connection& c, const ModelInfoBase& m, const void* obj, bool with_pk) {
  std::string cols, marks;
  std::vector<db::Value> params;
  for (const auto& f : m.fields()) {
    if (f.primary_key && !with_pk) continue;
    cols += (cols.empty() ? "" : ", ") + f.column;
    marks += marks.empty() ? "?" : ", ?";
    params.push_back(f.get(obj, c.engine()));
  }
  const std::string& pk = m.pk_field().column;
  const std::string sql = cols.empty() ? "INSERT INTO " + m.table() + " DEFAULT VALUES RETURNING " + pk
                                       : "INSERT INTO " + m.table() + " (" + cols + ") VALUES (" + marks + ") RETURNING " + pk;
  return c.execute(sql, params).scalar().as_int();
}

std::int64_t update(db::Connection& c, const ModelInfoBase& m, const void* obj, std::int64_t pk,
                    const std::vector<std::string>* fields) {
  const auto columns = fields != nullptr ? *fields : columns_except_pk(m);
  std::string sql = "UPDATE " + m.table() + " SET ";
  std::vector<db::Value> params;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += columns[i] + " = ?";
    params.push_back(m.field(columns[i])->get(obj, c.engine()));
  }
  sql += " WHERE " + m.pk_field().column + " = ?";
  params.emplace_back(pk);
  return c.execute(sql, params).affected;
}

std::vector<std::int64_t> insert_many(db::Connection& c, const ModelInfoBase& m, const std::vector<const void*>& objs,
                                      bool with_pk) {
  std::vector<const FieldInfo*> fields;
  std::string cols;
  for (const auto& f : m.fields()) {
    if (f.primary_key && !with_pk) continue;
    fields.push_back(&f);
    cols += (cols.empty() ? "" : ", ") + f.column;
  }
  if (fields.empty()) {  // only a pk: nothing to batch
    std::vector<std::int64_t> out;
    for (const void* o : objs) out.push_back(insert(c, m, o, with_pk));
    return out;
  }
  // Stay under both engines' parameter limits (SQLite 32766, PostgreSQL 65535).
  const std::size_t per_chunk = std::max<std::size_t>(1, 30000 / fields.size());
  std::string row = "(";
  for (std::size_t i = 0; i < fields.size(); ++i) row += i == 0 ? "?" : ", ?";
  row += ")";
  std::vector<std::int64_t> out;
  out.reserve(objs.size());
  for (std::size_t start = 0; start < objs.size(); start += per_chunk) {
    const std::size_t end = std::min(objs.size(), start + per_chunk);
    std::string sql = "INSERT INTO " + m.table() + " (" + cols + ") VALUES ";
    std::vector<db::Value> params;
    params.reserve((end - start) * fields.size());
    for (std::size_t k = start; k < end; ++k) {
      sql += k == start ? row : ", " + row;
      for (const FieldInfo* f : fields) params.push_back(f->get(objs[k], c.engine()));
    }
    // Rows come back in VALUES order on both engines (what Django relies on too).
    sql += " RETURNING " + m.pk_field().column;
    const db::Result r = c.execute(sql, params);
    if (r.rows.size() != end - start)
      throw db::DatabaseError(db::ErrorKind::other, "bulk insert returned " + std::to_string(r.rows.size()) + " ids for " +
                                                        std::to_string(end - start) + " rows");
    for (const auto& ret : r.rows) out.push_back(ret[0].as_int());
  }
  return out;
}

void send_save(signals::Signal<void(const SaveEvent&)>& sig, const ModelInfoBase& m, void* obj, bool created, bool raw,
               const std::vector<std::string>* fields, db::Connection& c) {
  if (!sig.has_listeners(m.sender())) return;
  SaveEvent e;
  e.instance = obj;
  e.created = created;
  e.raw = raw;
  e.update_fields = fields;
  e.connection = &c;
  sig.send(m.sender(), e);
}

namespace {

struct Collected {
  const ModelInfoBase* model;
  void* obj;
  std::shared_ptr<void> holder;  // owns cascaded instances
  std::int64_t pk;
};

struct Collector {
  db::Connection& c;
  std::vector<Collected> items;
  std::set<std::pair<std::string, std::int64_t>> seen;
  std::vector<std::tuple<std::string, std::string, std::int64_t>> set_nulls;

  void collect(const ModelInfoBase& m, void* obj, std::shared_ptr<void> holder) {
    const std::int64_t pk = m.pk_of(obj);
    if (!seen.insert({m.table(), pk}).second) return;
    items.push_back({&m, obj, std::move(holder), pk});
    for (const auto& [child, fk] : references_to(m.table())) {
      std::vector<db::Value> params;
      Query q;
      q.where = {eq(fk->column, pk)};
      const std::string sql = select_sql(*child, q, params);  // fills params: not in the same call
      const db::Result rows = c.execute(sql, params);
      if (rows.empty()) continue;
      switch (fk->options.references->on_delete) {
        case OnDelete::protect:
          throw ProtectedError("cannot delete " + m.model_name() + " " + std::to_string(pk) + ": " +
                               std::to_string(rows.rows.size()) + " " + child->model_name() + " row(s) refer to it through " +
                               child->table() + "." + fk->column);
        case OnDelete::set_null:
          set_nulls.emplace_back(child->table(), fk->column, pk);
          break;
        case OnDelete::cascade:
          for (const auto& row : rows.rows) {
            auto instance = child->load_one_row(row);
            void* raw = instance.get();
            collect(*child, raw, std::move(instance));
          }
          break;
      }
    }
  }
};

void send_delete(signals::Signal<void(const DeleteEvent&)>& sig, const Collected& item, db::Connection& c) {
  if (!sig.has_listeners(item.model->sender())) return;
  DeleteEvent e;
  e.instance = item.obj;
  e.connection = &c;
  sig.send(item.model->sender(), e);
}

}  // namespace

void delete_with_cascade(db::Connection& c, const ModelInfoBase& m, void* root) {
  db::Transaction tx(c);
  Collector collector{c, {}, {}, {}};
  collector.collect(m, root, nullptr);
  for (const auto& item : collector.items) send_delete(pre_delete, item, c);
  for (const auto& [table, column, pk] : collector.set_nulls)
    c.execute("UPDATE " + table + " SET " + column + " = NULL WHERE " + column + " = ?", {pk});
  // Rows that refer to others go first, so foreign keys hold at every step.
  for (auto it = collector.items.rbegin(); it != collector.items.rend(); ++it)
    c.execute("DELETE FROM " + it->model->table() + " WHERE " + it->model->pk_field().column + " = ?", {it->pk});
  for (auto it = collector.items.rbegin(); it != collector.items.rend(); ++it) send_delete(post_delete, *it, c);
  tx.commit();
}

}  // namespace detail
}  // namespace gatehouse::models
