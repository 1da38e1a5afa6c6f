// The model signals (django.db.models.signals), sent with the model type as
// sender: Sender::of<M>().
//
//   pre_init / post_init     an instance is built by models::make<M>() or from a row
//   pre_save / post_save     Manager::save / create (`created` only in post_save)
//   pre_delete / post_delete Manager::remove and QuerySet::remove, once per row,
//                            cascaded rows included
//   m2m_changed              ManyToMany add / remove / clear / set
//   post_migrate             models::migrate, after the migrations ran
//
// Operations named "..._without_signals" (bulk_create_without_signals,
// update_without_signals) send none, as Django's bulk_create and
// QuerySet.update do not; set_null on delete sends none either.
//
// Events hold pointers to the instance and are not copyable, so a receiver
// cannot ask for Delivery::on_commit on these signals directly (it would see a
// dangling instance): the typed helpers on_post_save<M>() etc. copy the model
// and defer that copy instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gatehouse/db/connection.h"
#include "gatehouse/signals/signal.h"
#include "gatehouse/signals/unit_of_work.h"

namespace gatehouse::models {

struct Event {
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

struct InitEvent : Event {
  void* instance = nullptr;
  template <class M>
  M& as() const { return *static_cast<M*>(instance); }
};

struct SaveEvent : Event {
  void* instance = nullptr;
  bool created = false;  // post_save only: the row was inserted
  bool raw = false;      // saved as given (fixtures, imports): no validation, receivers should not touch other rows
  const std::vector<std::string>* update_fields = nullptr;  // nullptr: every field
  db::Connection* connection = nullptr;
  template <class M>
  M& as() const { return *static_cast<M*>(instance); }
};

struct DeleteEvent : Event {
  void* instance = nullptr;
  db::Connection* connection = nullptr;
  template <class M>
  M& as() const { return *static_cast<M*>(instance); }
};

enum class M2MAction { pre_add, post_add, pre_remove, post_remove, pre_clear, post_clear };

struct M2MChangedEvent : Event {
  void* instance = nullptr;       // the object whose relation changed
  M2MAction action{};
  bool reverse = false;           // changed from the target's side
  signals::Sender model;          // the other side's model type
  const std::vector<std::int64_t>* pk_set = nullptr;  // nullptr for the clear actions
  db::Connection* connection = nullptr;
};

struct MigrateEvent : Event {
  db::Connection* connection = nullptr;
  const std::vector<std::string>* applied = nullptr;  // "app.name" of each migration applied now
};

extern signals::Signal<void(const InitEvent&)> pre_init;
extern signals::Signal<void(const InitEvent&)> post_init;
extern signals::Signal<void(const SaveEvent&)> pre_save;
extern signals::Signal<void(const SaveEvent&)> post_save;
extern signals::Signal<void(const DeleteEvent&)> pre_delete;
extern signals::Signal<void(const DeleteEvent&)> post_delete;
extern signals::Signal<void(const M2MChangedEvent&)> m2m_changed;
extern signals::Signal<void(const MigrateEvent&)> post_migrate;

namespace detail {
// Connects `handler(M&, const Event&)` for sender M; with Delivery::on_commit
// the model is copied at send time and the handler runs after commit with the
// copy and a default event (only `created`/`raw` carried over for saves).
template <class M, class EventT, class F>
signals::Connection connect_typed(signals::Signal<void(const EventT&)>& sig, F handler,
                                  signals::ConnectOptions opts) {
  const signals::ImmediateConnectOptions immediate{.sender = signals::Sender::of<M>(),
                                                   .dispatch_uid = opts.dispatch_uid};
  if (opts.delivery != signals::Delivery::on_commit) {
    return sig.connect([handler](const EventT& e) mutable { handler(e.template as<M>(), e); }, immediate);
  }
  return sig.connect(
      [handler](const EventT& e) mutable {
        M copy = e.template as<M>();
        bool created = false, raw = false;
        if constexpr (std::is_same_v<EventT, SaveEvent>) {
          created = e.created;
          raw = e.raw;
        }
        auto run = [handler, copy, created, raw]() mutable {
          EventT later;
          later.instance = &copy;
          if constexpr (std::is_same_v<EventT, SaveEvent>) {
            later.created = created;
            later.raw = raw;
          }
          handler(copy, later);
        };
        if (signals::UnitOfWork* uow = signals::UnitOfWork::current()) {
          uow->on_commit(std::move(run));
        } else {
          run();
        }
      },
      immediate);
}
}  // namespace detail

// handler(M& instance, const SaveEvent& e), for sender M only.
template <class M, class F>
signals::Connection on_pre_save(F handler, signals::ConnectOptions opts = {}) {
  return detail::connect_typed<M>(pre_save, std::move(handler), opts);
}
template <class M, class F>
signals::Connection on_post_save(F handler, signals::ConnectOptions opts = {}) {
  return detail::connect_typed<M>(post_save, std::move(handler), opts);
}
template <class M, class F>
signals::Connection on_pre_delete(F handler, signals::ConnectOptions opts = {}) {
  return detail::connect_typed<M>(pre_delete, std::move(handler), opts);
}
template <class M, class F>
signals::Connection on_post_delete(F handler, signals::ConnectOptions opts = {}) {
  return detail::connect_typed<M>(post_delete, std::move(handler), opts);
}

}  // namespace gatehouse::models
