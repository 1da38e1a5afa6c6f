// Must NOT compile (CTest signals.on_commit_on_a_model_signal_is_a_compile_error):
// after-commit delivery on a signal whose arguments cannot be copied (the
// model signals' events point at the instance) is refused by the type of the
// options, not by std::terminate at static initialisation.
#include "gatehouse/models/signals.h"
#include "gatehouse/signals/receiver.h"
using namespace gatehouse;
static void on_saved(const models::SaveEvent&) {}
static const signals::Receiver r{models::post_save, on_saved, {.delivery = signals::Delivery::on_commit}};
