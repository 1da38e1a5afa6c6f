#include "commands.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "gatehouse/app/config.h"
#include "gatehouse/accounts/profile.h"
#include "gatehouse/app/server.h"
#include "gatehouse/version.h"
#include "gatehouse/auth/migrations.h"
#include "gatehouse/auth/user_manager.h"
#include "gatehouse/db/database.h"
#include "gatehouse/db/migrations.h"
#include "gatehouse/cache/cache.h"
#include "gatehouse/mail/backend.h"
#include "gatehouse/tasks/tasks.h"
#include "gatehouse/passwords/registry.h"
#include "gatehouse/passwords/validators.h"
#include "gatehouse/sessions/store.h"
#include "stdin_password.h"
#include "terminal.h"

namespace gatehouse::cli {

namespace {

// One line on stderr, in the command's voice.
int fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "gatehouse: %s\n", message.c_str());
  return code;
}

// The configuration, read as serve reads it (app::Config::load: the
// environment and GATEHOUSE_CONFIG), once per command; the hashing work factor
// goes to the password registry before anything hashes. Throws
// app::ConfigError, which guarded() reports in one line with exit status 2.
app::Config load_config(app::Config::SecretKey secret = app::Config::SecretKey::skip) {
  app::Config config = app::Config::load(secret);
  passwords::set_default_pbkdf2_iterations(config.pbkdf2_iterations);
  return config;
}

std::unique_ptr<db::Database> open_database(const app::Config& config) {
  return std::make_unique<db::Database>(config.database_url);
}

// Every migration `gatehouse migrate` applies (auth's, then the service's), as "app.name".
std::vector<std::string> expected_migrations() {
  std::vector<std::string> names;
  for (const auto& m : auth::migrations()) names.push_back(m.app + "." + m.name);
  for (const auto& m : app::service_migrations()) names.push_back(m.app + "." + m.name);
  return names;
}

// The accounts service's schema: auth's, then sessions, the cache, profiles.
std::vector<std::string> migrate_all(db::Database& db) {
  accounts::connect_profile_receiver();
  return auth::migrate(db, app::service_migrations());
}

// Runs `body`, turning the errors a person can act on into one line each; a
// bad configuration exits 2, as bad input does.
template <class F>
int guarded(F body) {
  try {
    return body();
  } catch (const app::ConfigError& e) {
    return fail(e.what(), 2);
  } catch (const db::DatabaseError& e) {
    if (e.kind() == db::ErrorKind::connection || e.kind() == db::ErrorKind::configuration)
      return fail("database unavailable: " + std::string(e.what()) + " (GATEHOUSE_DATABASE_URL)");
    return fail(std::string("database error: ") + e.what());
  } catch (const models::ValidationError& e) {
    return fail(std::string("invalid value: ") + e.what());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

std::vector<std::string> password_problems(const std::string& password, const auth::User& user) {
  passwords::UserAttributes attrs{{{"username", user.username},
                                   {"first_name", user.first_name},
                                   {"last_name", user.last_name},
                                   {"email", user.email}}};
  std::vector<std::string> out;
  for (const auto& e : passwords::validate_password(password, &attrs, passwords::default_validators())) out.push_back(e.message);
  return out;
}

std::string joined(const std::vector<std::string>& messages) {
  std::string s;
  for (const auto& m : messages) s += (s.empty() ? "" : " ") + m;
  return s;
}

// Asks twice without echo until both agree and the validators pass (or the
// person accepts a weak one, as Django offers).
std::optional<std::string> ask_new_password(const auth::User& user) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto first = prompt_password("Password: ");
    if (!first) return std::nullopt;
    auto second = prompt_password("Password (again): ");
    if (!second) return std::nullopt;
    if (*first != *second) {
      std::fputs("Error: Your passwords didn't match.\n", stderr);
      continue;
    }
    if (first->empty()) {
      std::fputs("Error: Blank passwords aren't allowed.\n", stderr);
      continue;
    }
    const auto problems = password_problems(*first, user);
    if (problems.empty()) return first;
    std::fprintf(stderr, "This password is not good enough: %s\n", joined(problems).c_str());
    auto answer = prompt_line("Bypass password validation and use it anyway? [y/N]: ");
    if (answer && (*answer == "y" || *answer == "Y")) return first;
  }
  return std::nullopt;
}

// ---- migrate --------------------------------------------------------------------

int run_migrate() {
  return guarded([] {
    auto db = open_database(load_config());
    const auto applied = migrate_all(*db);
    std::printf("Database: %s\n", db->display_url().c_str());
    if (applied.empty()) {
      std::printf("No migrations to apply.\n");
    } else {
      for (const auto& m : applied) std::printf("  Applied %s\n", m.c_str());
    }
    return 0;
  });
}

// ---- createsuperuser --------------------------------------------------------------

struct SuperuserOptions {
  std::string username, email;
  bool noinput = false;
};

int run_createsuperuser(const SuperuserOptions& o) {
  return guarded([&]() -> int {
    auto db = open_database(load_config());
    migrate_all(*db);  // the tables must exist; a no-op once migrated
    auto conn = db->acquire();
    auth::UserManager users(*conn);
    std::string username = o.username, email = o.email;
    std::optional<std::string> password;
    if (o.noinput) {
      if (username.empty()) return fail("You must use --username with --noinput.", 2);
      if (const char* env = std::getenv("GATEHOUSE_SUPERUSER_PASSWORD")) password = env;
    } else {
      if (!stdin_is_terminal())
        return fail("Superuser creation skipped: not running in a terminal. Use --noinput with "
                    "GATEHOUSE_SUPERUSER_PASSWORD.", 1);
      while (username.empty()) {
        auto line = prompt_line("Username: ");
        if (!line) return fail("cancelled");
        username = *line;
        if (auto e = auth::username_error(auth::normalize_username(username))) {
          std::fprintf(stderr, "Error: %s\n", e->c_str());
          username.clear();
        } else if (users.exists({models::eq("username", auth::normalize_username(username))})) {
          std::fputs("Error: That username is already taken.\n", stderr);
          username.clear();
        }
      }
      if (email.empty()) {
        auto line = prompt_line("Email address: ");
        if (!line) return fail("cancelled");
        email = *line;
      }
    }
    const std::string normalized = auth::normalize_username(username);
    if (auto e = auth::username_error(normalized)) return fail(*e);
    if (users.exists({models::eq("username", normalized)})) return fail("That username is already taken.");
    if (!email.empty()) {
      if (auto e = auth::email_error(email)) return fail(*e + " ('" + email + "')");
    }
    auth::User probe;
    probe.username = normalized;
    probe.email = email;
    if (!o.noinput) {
      password = ask_new_password(probe);
      if (!password) return fail("no acceptable password given; superuser not created");
    } else if (password) {
      const auto problems = password_problems(*password, probe);
      if (!problems.empty()) return fail("GATEHOUSE_SUPERUSER_PASSWORD is too weak: " + joined(problems));
    }
    users.create_superuser(username, email, password ? std::optional<std::string_view>(*password) : std::nullopt);
    std::printf("Superuser created successfully.\n");
    return 0;
  });
}

// ---- changepassword ----------------------------------------------------------------

int run_changepassword(const std::string& username) {
  return guarded([&]() -> int {
    auto db = open_database(load_config());
    accounts::connect_profile_receiver();
    auto conn = db->acquire();
    auth::UserManager users(*conn);
    auto found = users.find({models::eq("username", auth::normalize_username(username))});
    if (!found) return fail("user '" + username + "' does not exist");
    auth::User user = std::move(*found);
    std::string password;
    if (stdin_is_terminal()) {
      std::fprintf(stderr, "Changing password for user '%s'\n", user.username.c_str());
      auto chosen = ask_new_password(user);
      if (!chosen) return fail("Aborting: password unchanged.");
      password = *chosen;
    } else {
      password = read_password_from_stdin();
      if (password.empty()) return fail("Blank passwords aren't allowed.");
      const auto problems = password_problems(password, user);
      if (!problems.empty()) return fail("This password is not good enough: " + joined(problems));
    }
    user.set_password(password);
    users.save(user, {.update_fields = {"password"}});
    std::printf("Password changed successfully for user '%s'.\n", user.username.c_str());
    return 0;
  });
}

// ---- check ---------------------------------------------------------------------------

// What `gatehouse check` finds wrong with the database: unreachable, or its
// applied migrations not exactly those `gatehouse migrate` applies.
std::vector<std::string> database_issues(const app::Config& config) {
  std::vector<std::string> issues;
  try {
    db::Database db(config.database_url);
    (void)db.acquire()->execute("SELECT 1");
    const auto applied = db::applied_migrations(db);
    const auto expected = expected_migrations();
    for (const auto& name : expected)
      if (std::find(applied.begin(), applied.end(), name) == applied.end())
        issues.push_back("migration " + name + " is not applied: run `gatehouse migrate`");
    for (const auto& name : applied)
      if (std::find(expected.begin(), expected.end(), name) == expected.end())
        issues.push_back("migration " + name + " is applied but unknown to Gatehouse " + kVersion +
                         " (a newer version migrated this database?)");
  } catch (const db::DatabaseError& e) {
    issues.push_back(std::string("database unavailable: ") + e.what() + " (GATEHOUSE_DATABASE_URL)");
  } catch (const std::exception& e) {
    issues.push_back(std::string("database: ") + e.what());
  }
  return issues;
}

// The configuration exactly as serve loads it (a bad one: one line, exit 2,
// as serve), then the database; exit 1 listing the issues, 0 if none.
int run_check() {
  app::Config config;
  try {
    config = load_config(app::Config::SecretKey::resolve);
  } catch (const app::ConfigError& e) {
    return fail(e.what(), 2);
  }
  const std::vector<std::string> issues = database_issues(config);
  if (issues.empty()) {
    std::printf("System check identified no issues.\n");
    return 0;
  }
  for (const auto& i : issues) std::fprintf(stderr, "gatehouse: check: %s\n", i.c_str());
  std::fprintf(stderr, "System check identified %zu issue(s).\n", issues.size());
  return 1;
}

// ---- serve -------------------------------------------------------------------------

// Room for max_connections clients and the server's own descriptors
// (database, SMTP, logs): the soft limit raised towards the hard one, since a
// shell's and systemd's soft default (1024) is far below the default
// max_connections. A hard limit too low for it is said once, at start.
void raise_descriptor_limit(std::int64_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + 128;
  if (limit.rlim_cur >= wanted) return;
  const rlim_t reachable = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (reachable > limit.rlim_cur) {
    rlimit raised = limit;
    raised.rlim_cur = reachable;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur < wanted)
    std::fprintf(stderr,
                 "gatehouse: serve: the descriptor limit is %llu, under max_connections + 128 (%llu): connections "
                 "past it wait until others close (raise it: ulimit -n, or LimitNOFILE= in a systemd unit)\n",
                 static_cast<unsigned long long>(limit.rlim_cur), static_cast<unsigned long long>(wanted));
}

int run_serve() {
  return guarded([]() -> int {
    const app::Config config = load_config(app::Config::SecretKey::resolve);
    raise_descriptor_limit(config.max_connections);
    app::AccountsServer server(config);  // migrates the database first
    const std::string host = config.bind.substr(0, config.bind.rfind(':'));
    std::printf("Gatehouse %s listening on http://%s:%u/ (database %s)\n", kVersion, host.c_str(),
                static_cast<unsigned>(server.port()), server.database().display_url().c_str());
    std::printf("Stop with Ctrl-C (in-flight requests are finished first).\n");
    std::fflush(stdout);
    server.run_until_signal();
    std::printf("Gatehouse stopped.\n");
    return 0;
  });
}

int run_clearsessions() {
  return guarded([]() -> int {
    auto db = open_database(load_config());
    migrate_all(*db);
    // Removing expired rows reads no session data: no secret key is needed.
    sessions::DatabaseSessionStore store(*db, std::string());
    std::printf("Removed %zu expired session(s).\n", store.clear_expired());
    // Sessions and counters in the database cache expire there; Redis expires its own.
    std::printf("Removed %zu expired cache entries.\n", cache::make_database_cache(*db)->clear_expired());
    return 0;
  });
}

// ---- sendtestemail --------------------------------------------------------------------

int run_sendtestemail(const std::vector<std::string>& addresses) {
  return guarded([&]() -> int {
    const app::Config config = load_config();
    const std::string& url = config.email_url;
    auto backend = mail::backend_from_url(url);
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    const std::time_t now = std::time(nullptr);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
    mail::EmailMessage m;
    m.subject = std::string("Test email from ") + host + " on " + when;
    m.body = "If you're reading this, it was successful.";
    m.from_email = config.default_from_email;
    m.to = addresses;
    backend->send_messages({m});
    std::printf("Sent a test email to %zu address(es) through %s.\n", addresses.size(),
                url.substr(0, url.find(':')).c_str());
    return 0;
  });
}

// ---- worker and tasks ------------------------------------------------------------------

int run_worker() {
  return guarded([]() -> int {
    const app::Config config = load_config(app::Config::SecretKey::resolve);
    db::Database db(config.database_url);
    app::run_worker_until_signal(db, config, [&db] {
      std::printf("Gatehouse %s worker running (database %s); stop with Ctrl-C.\n", kVersion, db.display_url().c_str());
      std::fflush(stdout);
    });
    std::printf("Gatehouse worker stopped.\n");
    return 0;
  });
}

int run_tasks_list(const std::string& state_name) {
  return guarded([&]() -> int {
    tasks::State state = tasks::State::dead;
    if (state_name == "pending") state = tasks::State::pending;
    else if (state_name == "running") state = tasks::State::running;
    else if (state_name == "done") state = tasks::State::done;
    else if (state_name != "dead") return fail("--state is pending, running, done or dead, not '" + state_name + "'", 2);
    auto db = open_database(load_config());
    migrate_all(*db);
    const tasks::Counts n = tasks::counts(*db);
    std::printf("pending %lld, running %lld, done %lld, dead %lld\n", static_cast<long long>(n.pending),
                static_cast<long long>(n.running), static_cast<long long>(n.done), static_cast<long long>(n.dead));
    for (const auto& j : tasks::list(*db, state, 1000))
      std::printf("%lld\t%s\t%s\tattempts %d/%d\t%s\n", static_cast<long long>(j.id), j.name.c_str(),
                  std::string(tasks::to_string(j.state)).c_str(), j.attempts, j.max_attempts, j.last_error.c_str());
    return 0;
  });
}

int run_tasks_retry(long long id) {
  return guarded([&]() -> int {
    auto db = open_database(load_config());
    migrate_all(*db);
    if (!tasks::retry_dead(*db, id)) return fail("no dead job has id " + std::to_string(id));
    std::printf("Job %lld will run again.\n", id);
    return 0;
  });
}

}  // namespace

void add_worker_command(CLI::App& app, int& exit_code) {
  app.add_subcommand("worker", "Run the background jobs (the outbox: emails and other durable work) without serving HTTP")
      ->callback([&exit_code] { exit_code = run_worker(); });
  auto* t = app.add_subcommand("tasks", "Inspect the outbox: counts, jobs by state, and sending dead jobs back");
  t->require_subcommand(1);
  auto state = std::make_shared<std::string>("dead");
  auto* list = t->add_subcommand("list", "Count jobs by state and list those in one state (default: the dead letters)");
  list->add_option("--state", *state, "pending, running, done or dead");
  list->callback([&exit_code, state] { exit_code = run_tasks_list(*state); });
  auto id = std::make_shared<long long>(0);
  auto* retry = t->add_subcommand("retry", "Send a dead job back to the queue");
  retry->add_option("id", *id, "The job's id (from tasks list)")->required();
  retry->callback([&exit_code, id] { exit_code = run_tasks_retry(*id); });
}

void add_sendtestemail_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sendtestemail", "Send a test email through GATEHOUSE_EMAIL_URL and report the result");
  auto addresses = std::make_shared<std::vector<std::string>>();
  cmd->add_option("addresses", *addresses, "Where to send it")->required();
  cmd->callback([&exit_code, addresses] { exit_code = run_sendtestemail(*addresses); });
}

void add_clearsessions_command(CLI::App& app, int& exit_code) {
  app.add_subcommand("clearsessions", "Remove expired sessions from the database")
      ->callback([&exit_code] { exit_code = run_clearsessions(); });
}

void add_serve_command(CLI::App& app, int& exit_code) {
  app.add_subcommand("serve", "Run the accounts server (GATEHOUSE_BIND, default 127.0.0.1:8000), migrating first")
      ->callback([&exit_code] { exit_code = run_serve(); });
}

void add_migrate_command(CLI::App& app, int& exit_code) {
  app.add_subcommand("migrate", "Create or update the database schema (GATEHOUSE_DATABASE_URL)")
      ->callback([&exit_code] { exit_code = run_migrate(); });
}

void add_createsuperuser_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SuperuserOptions>();
  CLI::App* cmd = app.add_subcommand(
      "createsuperuser",
      "Create a superuser; asks for what is missing and the password twice (hidden), or with --noinput "
      "takes the password from GATEHOUSE_SUPERUSER_PASSWORD (unset: an unusable password)");
  cmd->add_option("--username", o->username, "Username");
  cmd->add_option("--email", o->email, "Email address");
  cmd->add_flag("--noinput,--no-input", o->noinput, "Ask nothing");
  cmd->callback([o, &exit_code] { exit_code = run_createsuperuser(*o); });
}

void add_changepassword_command(CLI::App& app, int& exit_code) {
  auto username = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "changepassword", "Change a user's password: asked twice (hidden) at a terminal, else read from standard input");
  cmd->add_option("USER", *username, "Username")->required();
  cmd->callback([username, &exit_code] { exit_code = run_changepassword(*username); });
}

void add_check_command(CLI::App& app, int& exit_code) {
  app.add_subcommand("check", "Check the configuration and the database; exit 1 if anything needs attention")
      ->callback([&exit_code] { exit_code = run_check(); });
}

}  // namespace gatehouse::cli
