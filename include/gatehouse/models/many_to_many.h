// ManyToMany<Owner, Target, Link>: a relation kept in a link table (Django's
// ManyToManyField and its "through" model). Link is a model with a pk and two
// foreign keys, named by owner_column and target_column.
//
// add / remove / clear / set send m2m_changed (sender: the link model, as
// Django's through model) with Django's actions and pk_set; `reverse` is
// false here: this object changes the relation from the owner's side.
//
//   ManyToMany<User, Group, UserGroup> groups("user_id", "group_id");
//   groups.add(conn, user, {admins.id, staff.id});
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gatehouse/db/transaction.h"
#include "gatehouse/models/manager.h"

namespace gatehouse::models {

template <class Owner, class Target, class Link>
class ManyToMany {
 public:
  ManyToMany(std::string owner_column, std::string target_column)
      : owner_column_(std::move(owner_column)), target_column_(std::move(target_column)) {}

  // Target pks related to `owner`, ascending.
  std::vector<std::int64_t> ids(db::Connection& c, const Owner& owner) const {
    const auto& link = Link::meta();
    const db::Result r = c.execute("SELECT " + target_column_ + " FROM " + link.table() + " WHERE " + owner_column_ +
                                       " = ? ORDER BY " + target_column_,
                                   {Owner::meta().pk(owner)});
    std::vector<std::int64_t> out;
    for (const auto& row : r.rows) out.push_back(row[0].as_int());
    return out;
  }

  std::vector<Target> all(db::Connection& c, const Owner& owner) const {
    std::vector<db::Value> pks;
    for (auto id : ids(c, owner)) pks.emplace_back(id);
    return Manager<Target>(c).filter({in(Target::meta().pk_field().column, std::move(pks))}).all();
  }

  // Adds the targets not already related; pk_set is those (Django 1.9+).
  void add(db::Connection& c, Owner& owner, const std::vector<std::int64_t>& targets) const {
    db::Transaction tx(c);
    const auto have = ids(c, owner);
    std::vector<std::int64_t> missing;
    for (auto t : std::set<std::int64_t>(targets.begin(), targets.end()))
      if (!std::binary_search(have.begin(), have.end(), t)) missing.push_back(t);
    if (!missing.empty()) {
      send(c, owner, M2MAction::pre_add, &missing);
      for (auto t : missing)
        c.execute("INSERT INTO " + Link::meta().table() + " (" + owner_column_ + ", " + target_column_ + ") VALUES (?, ?)",
                  {Owner::meta().pk(owner), t});
      send(c, owner, M2MAction::post_add, &missing);
    }
    tx.commit();
  }

  // Removes these targets; pk_set is the set given, as Django.
  void remove(db::Connection& c, Owner& owner, const std::vector<std::int64_t>& targets) const {
    if (targets.empty()) return;
    db::Transaction tx(c);
    const std::set<std::int64_t> unique(targets.begin(), targets.end());
    const std::vector<std::int64_t> pk_set(unique.begin(), unique.end());
    send(c, owner, M2MAction::pre_remove, &pk_set);
    for (auto t : pk_set)
      c.execute("DELETE FROM " + Link::meta().table() + " WHERE " + owner_column_ + " = ? AND " + target_column_ + " = ?",
                {Owner::meta().pk(owner), t});
    send(c, owner, M2MAction::post_remove, &pk_set);
    tx.commit();
  }

  void clear(db::Connection& c, Owner& owner) const {
    db::Transaction tx(c);
    send(c, owner, M2MAction::pre_clear, nullptr);
    c.execute("DELETE FROM " + Link::meta().table() + " WHERE " + owner_column_ + " = ?", {Owner::meta().pk(owner)});
    send(c, owner, M2MAction::post_clear, nullptr);
    tx.commit();
  }

  // Makes the relation exactly `targets`: removes the others, adds the missing.
  void set(db::Connection& c, Owner& owner, const std::vector<std::int64_t>& targets) const {
    db::Transaction tx(c);
    const std::set<std::int64_t> want(targets.begin(), targets.end());
    std::vector<std::int64_t> gone;
    for (auto t : ids(c, owner))
      if (!want.contains(t)) gone.push_back(t);
    remove(c, owner, gone);
    add(c, owner, targets);
    tx.commit();
  }

 private:
  void send(db::Connection& c, Owner& owner, M2MAction action, const std::vector<std::int64_t>* pks) const {
    const signals::Sender sender = signals::Sender::of<Link>();
    if (!m2m_changed.has_listeners(sender)) return;
    M2MChangedEvent e;
    e.instance = &owner;
    e.action = action;
    e.reverse = false;
    e.model = signals::Sender::of<Target>();
    e.pk_set = pks;
    e.connection = &c;
    m2m_changed.send(sender, e);
  }

  std::string owner_column_, target_column_;
};

}  // namespace gatehouse::models
