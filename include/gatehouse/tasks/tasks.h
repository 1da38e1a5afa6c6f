// Durable background work: a transactional outbox and the workers that drain it.
//
// A job is a row of gatehouse_task written with enqueue() on the connection
// of the work it belongs to, inside that work's transaction: it exists
// exactly when the data does (if the transaction rolls back, so does the job).
// A Worker claims due jobs (PostgreSQL: FOR UPDATE SKIP LOCKED, so workers on
// many machines never take the same job at once; SQLite: one UPDATE under the
// database's write lock), runs the handler registered under the job's name,
// and then marks it done; a handler that throws is retried with exponential
// backoff and jitter, and a job that keeps failing moves to the dead-letter
// state, where `gatehouse tasks` lists it and can send it back.
//
// Delivery is at least once: a worker that dies mid-job holds a lease, and
// when the lease expires another worker claims the job again. A handler
// should therefore be idempotent, and every job carries an idempotency key it
// can use for that (the email handler puts it in the Message-ID).
//
//   tasks::Registry registry;
//   registry.add("mail.welcome", [](const tasks::Job& j) { send_welcome(j.payload); });
//   { db::Transaction tx(*conn); create_user(...); tasks::enqueue(*conn, "mail.welcome", payload); tx.commit(); }
//   tasks::Worker worker(db, registry);  worker.start();   // or: gatehouse worker
//
// Time: run_after, leases, backoff, finish times and the purge of done jobs
// are read from the Clock given to enqueue(), Worker and retry_dead() (the
// system clock by default; every process sharing the table should read the
// same wall time). The worker's idle wait (poll_interval) is real time.
//
// Thread safety: Registry is read-only once workers start; Worker's methods
// may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/core/clock.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"

namespace gatehouse::tasks {

enum class State { pending, running, done, dead };
std::string_view to_string(State s) noexcept;

struct Job {
  std::int64_t id = 0;
  std::string name;             // the handler's name
  std::string payload;          // the handler's input (JSON by convention)
  std::string idempotency_key;  // unique per job
  State state = State::pending;
  int attempts = 0;             // runs started, this one included
  int max_attempts = 0;
  std::int64_t run_after_ms = 0;  // milliseconds since the epoch
  std::string last_error;
  std::int64_t created_ms = 0;
};

struct EnqueueOptions {
  std::string idempotency_key{};  // empty: a random one; a repeated key enqueues nothing
  std::chrono::milliseconds delay{0};
  int max_attempts = 8;
};

// Writes the job on `conn` (inside the caller's transaction, if any), due at
// clock.now() + delay; returns its id, or 0 when a job with the same
// idempotency key already exists.
std::int64_t enqueue(db::Connection& conn, std::string_view name, std::string_view payload, EnqueueOptions options = {},
                     const core::Clock& clock = core::system_clock());

// The gatehouse_task table.
std::vector<db::Migration> migrations();

struct RetryPolicy {
  std::chrono::milliseconds base{2000};  // the wait after the first failure
  std::chrono::milliseconds max{std::chrono::minutes(30)};
};
// The wait before attempt `attempts + 1`: base * 2^(attempts-1), capped at
// max, then scaled by a random factor in [0.5, 1] (jitter, so failures that
// happened together do not retry together).
std::chrono::milliseconds backoff(const RetryPolicy& policy, int attempts);

using Handler = std::function<void(const Job&)>;

class Registry {
 public:
  void add(std::string name, Handler handler, RetryPolicy retry = {});
  bool contains(const std::string& name) const { return handlers_.contains(name); }

 private:
  friend class Worker;
  struct Entry {
    Handler handler;
    RetryPolicy retry;
  };
  std::map<std::string, Entry, std::less<>> handlers_;
};

struct WorkerOptions {
  std::size_t threads = 1;
  std::chrono::milliseconds lease{std::chrono::seconds(60)};  // a claimed job is someone else's after this
  std::chrono::milliseconds poll_interval{250};              // the wait when there is nothing to do
  std::size_t batch = 8;                                      // jobs claimed at a time per thread
  std::chrono::hours keep_done{24 * 7};                       // done jobs are purged after this
  std::string worker_id{};                                    // empty: host:pid:random
};

class Worker {
 public:
  // `clock` decides what is due, lease ends and retry times; it must outlive the worker.
  Worker(db::Database& db, const Registry& registry, WorkerOptions options = {},
         const core::Clock& clock = core::system_clock());
  ~Worker();  // stops
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs threads that claim and run jobs until stop().
  void start();
  // Lets running jobs finish, then joins the threads.
  void stop();
  // Claims and runs up to `batch` due jobs on this thread; how many ran.
  std::size_t run_once();
  const std::string& id() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Administration (gatehouse tasks ...).
struct Counts {
  std::int64_t pending = 0, running = 0, done = 0, dead = 0;
};
Counts counts(db::Database& db);
std::vector<Job> list(db::Database& db, State state, std::size_t limit = 100);
// A dead job goes back to pending (due at clock.now()) with its attempts
// reset; whether it was dead.
bool retry_dead(db::Database& db, std::int64_t id, const core::Clock& clock = core::system_clock());

}  // namespace gatehouse::tasks
