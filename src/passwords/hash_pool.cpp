#include "gatehouse/passwords/hash_pool.h"

#include <algorithm>
#include <cstdio>
#include <variant>

#include "gatehouse/core/constant_time.h"
#include "gatehouse/core/encoding.h"
#include "gatehouse/crypto/pbkdf2.h"

namespace gatehouse::passwords {

// A callback that throws must not end the pool's thread, nor be called a
// second time with the error: what it threw is logged and dropped here.
template <class F>
void run_callback(F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "{\"level\":\"error\",\"event\":\"hash_pool_callback_failed\",\"error\":\"%s\"}\n",
                 core::json_escape(e.what()).c_str());
  } catch (...) {
    std::fprintf(stderr, "{\"level\":\"error\",\"event\":\"hash_pool_callback_failed\"}\n");
  }
}

struct HashPool::Request {
  std::string password;
  std::string encoded;  // empty for make_password
  bool make = false;
  std::promise<CheckResult> checked;
  std::promise<std::string> made;
  CheckDone check_done;  // set for the callback forms instead of the promises
  MadeDone made_done;
  // Each answers exactly once and never throws.
  void finish_check(const CheckResult& r) noexcept {
    if (check_done) run_callback([&] { check_done(&r, nullptr); });
    else checked.set_value(r);
  }
  void fail(std::exception_ptr e) noexcept {
    if (make) {
      if (made_done) run_callback([&] { made_done(nullptr, e); });
      else made.set_exception(e);
    } else {
      if (check_done) run_callback([&] { check_done(nullptr, e); });
      else checked.set_exception(e);
    }
  }
  void finish_make(const std::string& s) noexcept {
    if (made_done) run_callback([&] { made_done(&s, nullptr); });
    else made.set_value(s);
  }
  // Set when the request can join a PBKDF2 batch.
  const Hasher* hasher = nullptr;
  std::optional<Pbkdf2Parts> pbkdf2;
};

HashPool::HashPool(const HasherRegistry& registry, Options options) : registry_(registry), options_(options) {
  if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
  if (options_.max_queue == 0 || options_.max_batch == 0)
    throw std::invalid_argument("HashPool: max_queue and max_batch must be at least 1");
  workers_.reserve(options_.threads);
  for (std::size_t i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { run(); });
}

HashPool::~HashPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void HashPool::enqueue(Request&& r) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queue) throw PoolFull();
    queue_.push_back(std::move(r));
  }
  cv_.notify_one();
}

std::future<CheckResult> HashPool::check(std::string password, std::string encoded) {
  Request r;
  r.password = std::move(password);
  r.encoded = std::move(encoded);
  if (is_password_usable(r.encoded)) {
    r.hasher = registry_.identify(r.encoded);
    if (r.hasher != nullptr) r.pbkdf2 = r.hasher->pbkdf2_parts(r.encoded);
  }
  auto f = r.checked.get_future();
  enqueue(std::move(r));
  return f;
}

void HashPool::check(std::string password, std::string encoded, CheckDone done) {
  Request r;
  r.password = std::move(password);
  r.encoded = std::move(encoded);
  r.check_done = std::move(done);
  if (is_password_usable(r.encoded)) {
    r.hasher = registry_.identify(r.encoded);
    if (r.hasher != nullptr) r.pbkdf2 = r.hasher->pbkdf2_parts(r.encoded);
  }
  enqueue(std::move(r));
}

void HashPool::make_password(std::string password, MadeDone done) {
  Request r;
  r.password = std::move(password);
  r.make = true;
  r.made_done = std::move(done);
  enqueue(std::move(r));
}

std::future<std::string> HashPool::make_password(std::string password) {
  Request r;
  r.password = std::move(password);
  r.make = true;
  auto f = r.made.get_future();
  enqueue(std::move(r));
  return f;
}

std::size_t HashPool::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

HashPool::Stats HashPool::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void HashPool::run() {
  for (;;) {
    std::vector<Request> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
      // Partners: queued PBKDF2 checks with the same PRF and iteration count.
      const auto& first = batch.front().pbkdf2;
      if (first && options_.max_batch > 1) {
        for (auto it = queue_.begin(); it != queue_.end() && batch.size() < options_.max_batch;) {
          if (it->pbkdf2 && it->pbkdf2->sha256 == first->sha256 && it->pbkdf2->iterations == first->iterations) {
            batch.push_back(std::move(*it));
            it = queue_.erase(it);
          } else {
            ++it;
          }
        }
      }
    }
    serve_batch(batch);
  }
}

const std::string& HashPool::dummy_hash() const {
  std::call_once(dummy_once_, [this] { dummy_ = registry_.make_password("gatehouse: no such account"); });
  return dummy_;
}

void HashPool::serve_batch(std::vector<Request>& batch) {
  if (batch.size() == 1 && !batch.front().pbkdf2) {
    Request& r = batch.front();
    std::optional<std::string> made;
    std::optional<CheckResult> checked;
    try {
      if (r.make) {
        made = registry_.make_password(r.password);
      } else {
        CheckResult result;
        result.correct = registry_.check_password(r.password, r.encoded, [&](std::string_view) { result.needs_upgrade = true; });
        checked = result;
      }
    } catch (...) {
      r.fail(std::current_exception());
    }
    if (made) r.finish_make(*made);
    if (checked) r.finish_check(*checked);
    std::lock_guard lock(mu_);
    ++stats_.checks;
    return;
  }
  // PBKDF2 checks, derived together.
  std::vector<crypto::Pbkdf2Job> jobs;
  jobs.reserve(batch.size());
  for (const Request& r : batch) {
    const auto& p = *r.pbkdf2;
    jobs.push_back({p.sha256 ? crypto::Prf::hmac_sha256 : crypto::Prf::hmac_sha1, r.password, p.salt,
                    p.iterations, p.sha256 ? std::size_t{32} : std::size_t{20}, {}});
  }
  try {
    crypto::pbkdf2_batch(jobs);
  } catch (...) {
    for (Request& r : batch) r.fail(std::current_exception());
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Request& r = batch[i];
    std::optional<CheckResult> checked;
    try {
      const bool correct = core::constant_time_equal(core::base64_encode(jobs[i].out), r.pbkdf2->hash_b64);
      CheckResult result;
      result.correct = registry_.finish_check(*r.hasher, r.password, r.encoded, correct,
                                              [&](std::string_view) { result.needs_upgrade = true; });
      checked = result;
    } catch (...) {
      r.fail(std::current_exception());
    }
    if (checked) r.finish_check(*checked);
  }
  std::lock_guard lock(mu_);
  stats_.checks += batch.size();
  if (batch.size() > 1) {
    ++stats_.batches;
    stats_.batched_checks += batch.size();
  }
}

}  // namespace gatehouse::passwords
