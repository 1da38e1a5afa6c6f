// Durable receivers: a receiver that is not called during send(). Instead its
// job is written to the outbox on the sender's connection, inside the
// sender's transaction (Manager::save is atomic with its receivers), and a
// Worker runs it later: it survives a crash, is retried, and never slows the
// request that sent the signal.
//
//   tasks::Registry registry;
//   signals::ScopedConnection welcome = tasks::connect_durable_post_save<auth::User>(
//       registry, "mail.welcome",
//       [](const auth::User& u, const models::SaveEvent& e) -> std::optional<tasks::DurableJob> {
//         if (!e.created) return std::nullopt;
//         return tasks::DurableJob{json_of(u), "mail.welcome:" + std::to_string(u.id)};
//       },
//       [](const tasks::Job& job) { send_welcome(job.payload); });
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "gatehouse/models/signals.h"
#include "gatehouse/signals/connection.h"
#include "gatehouse/tasks/tasks.h"

namespace gatehouse::tasks {

struct DurableJob {
  std::string payload;
  // Deterministic keys make the receiver idempotent: a second receiver (or a
  // second send) for the same event enqueues nothing. Empty: a random key.
  std::string idempotency_key{};
};

// Registers `handler` as `job_name` and connects a post_save receiver for M
// that enqueues a job whenever `job_of` returns one (due at clock.now();
// `clock` must outlive the connection). The returned connection disconnects
// on destruction.
template <class M>
signals::ScopedConnection connect_durable_post_save(
    Registry& registry, const std::string& job_name,
    std::function<std::optional<DurableJob>(const M&, const models::SaveEvent&)> job_of, Handler handler,
    RetryPolicy retry = {}, int max_attempts = 8, const core::Clock& clock = core::system_clock()) {
  registry.add(job_name, std::move(handler), retry);
  return signals::ScopedConnection(models::post_save.connect(
      [job_name, job_of = std::move(job_of), max_attempts, source = &clock](const models::SaveEvent& e) {
        if (e.raw || e.connection == nullptr) return;
        auto job = job_of(e.as<M>(), e);
        if (!job) return;
        enqueue(*e.connection, job_name, job->payload,
                {.idempotency_key = std::move(job->idempotency_key), .max_attempts = max_attempts}, *source);
      },
      {.sender = signals::Sender::of<M>()}));
}

}  // namespace gatehouse::tasks
