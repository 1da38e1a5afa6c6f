#include "gatehouse/tasks/tasks.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "gatehouse/core/encoding.h"
#include "gatehouse/core/random.h"
#include "gatehouse/db/error.h"

namespace gatehouse::tasks {

namespace {

// Milliseconds since the Unix epoch by `clock`, as the table's times are kept.
std::int64_t now_ms(const core::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

State state_of(const std::string& s) {
  if (s == "pending") return State::pending;
  if (s == "running") return State::running;
  if (s == "done") return State::done;
  return State::dead;
}

constexpr const char* kColumns =
    "id, name, payload, idempotency_key, state, attempts, max_attempts, run_after, last_error, created";

Job job_of(const std::vector<db::Value>& row) {
  Job j;
  j.id = row[0].as_int();
  j.name = row[1].as_text();
  j.payload = row[2].as_text();
  j.idempotency_key = row[3].as_text();
  j.state = state_of(row[4].as_text());
  j.attempts = static_cast<int>(row[5].as_int());
  j.max_attempts = static_cast<int>(row[6].as_int());
  j.run_after_ms = row[7].as_int();
  j.last_error = row[8].as_text();
  j.created_ms = row[9].as_int();
  return j;
}


std::string default_worker_id() {
  char host[128] = "host";
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + core::random_string(6);
}

}  // namespace

std::string_view to_string(State s) noexcept {
  switch (s) {
    case State::pending:
      return "pending";
    case State::running:
      return "running";
    case State::done:
      return "done";
    case State::dead:
      return "dead";
  }
  return "dead";
}

std::vector<db::Migration> migrations() {
  return {{"tasks", "0001_outbox", [](db::Connection& c) {
             const bool pg = c.engine() == db::Engine::postgresql;
             c.execute(std::string("CREATE TABLE IF NOT EXISTS gatehouse_task (id ") +
                       (pg ? "bigserial PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT") +
                       ", name varchar(200) NOT NULL, payload text NOT NULL, idempotency_key varchar(100) NOT NULL "
                       "UNIQUE, state varchar(10) NOT NULL, attempts integer NOT NULL, max_attempts integer NOT NULL, "
                       "run_after bigint NOT NULL, locked_until bigint NULL, locked_by varchar(200) NULL, last_error "
                       "text NOT NULL, created bigint NOT NULL, finished bigint NULL)");
             c.execute("CREATE INDEX IF NOT EXISTS gatehouse_task_due_idx ON gatehouse_task (state, run_after)");
           }}};
}

std::int64_t enqueue(db::Connection& conn, std::string_view name, std::string_view payload, EnqueueOptions o,
                     const core::Clock& clock) {
  if (name.empty() || name.size() > 200) throw std::invalid_argument("a job name is 1 to 200 characters");
  if (o.max_attempts < 1) throw std::invalid_argument("a job needs at least one attempt");
  std::string key = o.idempotency_key.empty() ? core::random_string(32) : o.idempotency_key;
  if (key.size() > 100) throw std::invalid_argument("an idempotency key is at most 100 characters");
  const auto now = now_ms(clock);
  const auto r = conn.execute(
      "INSERT INTO gatehouse_task (name, payload, idempotency_key, state, attempts, max_attempts, run_after, "
      "last_error, created) VALUES (?, ?, ?, 'pending', 0, ?, ?, '', ?) ON CONFLICT (idempotency_key) DO NOTHING "
      "RETURNING id",
      {name, payload, key, o.max_attempts, now + o.delay.count(), now});
  return r.empty() ? 0 : r.rows[0][0].as_int();
}

std::chrono::milliseconds backoff(const RetryPolicy& policy, int attempts) {
  double wait = static_cast<double>(policy.base.count());
  for (int i = 1; i < attempts && wait < static_cast<double>(policy.max.count()); ++i) wait *= 2;
  wait = std::min(wait, static_cast<double>(policy.max.count()));
  const double jitter = 0.5 + static_cast<double>(core::random_below(1000001)) / 2e6;  // [0.5, 1]
  return std::chrono::milliseconds(static_cast<std::int64_t>(wait * jitter));
}

void Registry::add(std::string name, Handler handler, RetryPolicy retry) {
  handlers_[std::move(name)] = Entry{std::move(handler), retry};
}

struct Worker::Impl {
  db::Database& db;
  const Registry& registry;
  WorkerOptions options;
  const core::Clock& clock;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<std::int64_t> last_purge{0};

  Impl(db::Database& d, const Registry& r, WorkerOptions o, const core::Clock& k)
      : db(d), registry(r), options(std::move(o)), clock(k) {
    if (options.worker_id.empty()) options.worker_id = default_worker_id();
    if (options.threads == 0) options.threads = 1;
    if (options.batch == 0) options.batch = 1;
  }

  std::vector<Job> claim() {
    const auto now = now_ms(clock);
    auto c = db.acquire();
    const bool pg = c->engine() == db::Engine::postgresql;
    const auto r = c->execute(
        std::string("UPDATE gatehouse_task SET state = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1 "
                    "WHERE id IN (SELECT id FROM gatehouse_task WHERE (state = 'pending' AND run_after <= ?) OR "
                    "(state = 'running' AND locked_until <= ?) ORDER BY run_after, id LIMIT ?") +
            (pg ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " + kColumns,
        {options.worker_id, now + options.lease.count(), now, now, static_cast<std::int64_t>(options.batch)});
    std::vector<Job> jobs;
    for (const auto& row : r.rows) jobs.push_back(job_of(row));
    std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
    return jobs;
  }

  void finish(const Job& job, const std::string* error) {
    const auto now = now_ms(clock);
    auto c = db.acquire();
    if (error == nullptr) {
      c->execute("UPDATE gatehouse_task SET state = 'done', finished = ?, locked_by = NULL, locked_until = NULL "
                 "WHERE id = ? AND locked_by = ?",
                 {now, job.id, options.worker_id});
      return;
    }
    std::fprintf(stderr, "{\"event\":\"task_failed\",\"id\":%lld,\"name\":\"%s\",\"attempt\":%d,\"of\":%d,\"error\":\"%s\"}\n",
                 static_cast<long long>(job.id), core::json_escape(job.name).c_str(), job.attempts, job.max_attempts,
                 core::json_escape(error->substr(0, 500)).c_str());
    if (job.attempts >= job.max_attempts) {
      c->execute("UPDATE gatehouse_task SET state = 'dead', last_error = ?, finished = ?, locked_by = NULL, "
                 "locked_until = NULL WHERE id = ? AND locked_by = ?",
                 {error->substr(0, 2000), now, job.id, options.worker_id});
      return;
    }
    const auto entry = registry.handlers_.find(job.name);
    const RetryPolicy policy = entry != registry.handlers_.end() ? entry->second.retry : RetryPolicy{};
    c->execute("UPDATE gatehouse_task SET state = 'pending', run_after = ?, last_error = ?, locked_by = NULL, "
               "locked_until = NULL WHERE id = ? AND locked_by = ?",
               {now + backoff(policy, job.attempts).count(), error->substr(0, 2000), job.id, options.worker_id});
  }

  void run(const Job& job) {
    if (job.attempts > job.max_attempts) {  // claimed again after every lease expired: the job kills its workers
      const std::string why = "the lease expired on every attempt (a worker died running it)";
      return finish(job, &why);
    }
    const auto entry = registry.handlers_.find(job.name);
    std::string error;
    if (entry == registry.handlers_.end()) {
      error = "no handler is registered for '" + job.name + "'";
    } else {
      try {
        entry->second.handler(job);
        return finish(job, nullptr);
      } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "the handler failed";
      } catch (...) {
        error = "the handler threw a non-exception";
      }
    }
    finish(job, &error);
  }

  void purge() {
    const auto now = now_ms(clock);
    auto last = last_purge.load();
    if (now - last < 60000 || !last_purge.compare_exchange_strong(last, now)) return;
    const auto keep = std::chrono::duration_cast<std::chrono::milliseconds>(options.keep_done).count();
    db.acquire()->execute("DELETE FROM gatehouse_task WHERE state = 'done' AND finished < ?", {now - keep});
  }

  std::size_t run_once() {
    const auto jobs = claim();
    for (const auto& j : jobs) run(j);
    purge();
    return jobs.size();
  }

  void loop() {
    bool reported = false;
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stopping) return;
      }
      std::size_t n = 0;
      try {
        n = run_once();
        reported = false;
      } catch (const std::exception& e) {
        if (!reported)  // once per outage, not once per poll
          std::fprintf(stderr, "{\"event\":\"worker_error\",\"error\":\"%s\"}\n", core::json_escape(e.what()).c_str());
        reported = true;
      }
      if (n == 0) {
        std::unique_lock lock(mu);
        cv.wait_for(lock, options.poll_interval, [this] { return stopping; });
      }
    }
  }
};

Worker::Worker(db::Database& db, const Registry& registry, WorkerOptions options, const core::Clock& clock)
    : impl_(std::make_unique<Impl>(db, registry, std::move(options), clock)) {}
Worker::~Worker() { stop(); }

void Worker::start() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->threads.empty()) return;
  impl_->stopping = false;
  for (std::size_t i = 0; i < impl_->options.threads; ++i) impl_->threads.emplace_back([this] { impl_->loop(); });
}

void Worker::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    threads.swap(impl_->threads);
  }
  impl_->cv.notify_all();
  for (auto& t : threads) t.join();
}

std::size_t Worker::run_once() { return impl_->run_once(); }
const std::string& Worker::id() const noexcept { return impl_->options.worker_id; }

Counts counts(db::Database& db) {
  Counts out;
  std::int64_t* const slot[] = {&out.pending, &out.running, &out.done, &out.dead};  // in State's order
  for (const auto& row : db.acquire()->execute("SELECT state, count(*) FROM gatehouse_task GROUP BY state").rows)
    *slot[static_cast<std::size_t>(state_of(row[0].as_text()))] = row[1].as_int();
  return out;
}

std::vector<Job> list(db::Database& db, State state, std::size_t limit) {
  std::vector<Job> out;
  for (const auto& row : db.acquire()
                             ->execute(std::string("SELECT ") + kColumns +
                                           " FROM gatehouse_task WHERE state = ? ORDER BY id LIMIT ?",
                                       {std::string(to_string(state)), static_cast<std::int64_t>(limit)})
                             .rows)
    out.push_back(job_of(row));
  return out;
}

bool retry_dead(db::Database& db, std::int64_t id, const core::Clock& clock) {
  return db.acquire()
             ->execute("UPDATE gatehouse_task SET state = 'pending', attempts = 0, run_after = ?, finished = NULL "
                       "WHERE id = ? AND state = 'dead'",
                       {now_ms(clock), id})
             .affected > 0;
}

}  // namespace gatehouse::tasks
