// When a receiver runs, and the options of connect() (signal.h).
#pragma once

#include <string_view>

#include "gatehouse/signals/sender.h"

namespace gatehouse::signals {

// When a receiver runs.
enum class Delivery {
  immediate,  // inside send(), on the sending thread
  on_commit,  // after the innermost open UnitOfWork commits; never if it rolls back
};

// connect()'s options on a signal whose arguments can be copied.
struct ConnectOptions {
  Sender sender{};                  // only sends by this sender; Sender{}: every send
  std::string_view dispatch_uid{};  // identity for de-duplication and disconnect_uid()
  Delivery delivery = Delivery::immediate;
};

// connect()'s options on a signal whose arguments cannot be copied (the model
// signals: their events point at the instance being saved). There is no
// `delivery`: deferring the call to after commit would need a copy of the
// arguments, so asking for it is a compile-time error, not a failure at
// static initialisation. For the model signals, models::on_post_save<M>()
// and its kin take ConnectOptions and defer a copy of the model instead.
struct ImmediateConnectOptions {
  Sender sender{};
  std::string_view dispatch_uid{};
};

}  // namespace gatehouse::signals
