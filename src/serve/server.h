// The application of `flowsync serve`: every route (the JSON API under
// /api/v1, webhooks under /hooks/, /healthz, /metrics, the page and
// /login), access by API token, errors as JSON with stable codes, metrics.
// docs/api.md is the reference of the routes; the CLI's `serve` command
// puts an HttpServer (serve/http_server.h) in front of Server::Handle.
//
// Stores: a Store is one database session used by one thread at a time
// (flowsync/store.h), so the server keeps a pool of sessions per project and
// lends one to each request. A session whose database went away (IOError,
// Busy) is dropped, and the request answers 503; the next request opens a
// new one, so the server recovers when the database does.
//
// Access: an API token (Authorization: Bearer TOKEN, or the session cookie
// /login sets) scopes a request to the token's project, read or write. Only
// /healthz, /metrics, /hooks/ and the login page answer without one.
//
// Thread-safety: Handle may be called from many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/execution_queue.h"
#include "flowsync/file_system.h"
#include "flowsync/phase_cache.h"
#include "flowsync/serve_registry.h"
#include "flowsync/store.h"
#include "phase/query.h"
#include "run/scheduler.h"
#include "run/variables.h"
#include "serve/http_server.h"
#include "serve/metrics.h"

namespace flowsync::serve {

struct ServerOptions {
  // Opens a new session of the database for `project`.
  std::function<Result<std::unique_ptr<Store>>(const std::string& project)> open_store;
  // The server's project: its webhooks, and the project of its phase files.
  std::string project = kDefaultProject;
  // The tree of phase files webhooks and manual starts find tasks in; ""
  // when there is none (then they answer 503 no_phase_files).
  std::string root;
  uint64_t max_file_size = 64ull << 20;
  // Time between refreshes of the phase files (RefreshPhases: a sync of
  // them, recorded as a sync run, as `flowsync scheduler --refresh` does).
  int64_t phase_refresh_ms = 60'000;
  int64_t default_timeout_ms = kDefaultExecutionTimeoutMs;
  const Clock* clock = nullptr;    // nullptr: SystemClock()
  const FileSystem* fs = nullptr;  // nullptr: RealFileSystem(); secret files
  // Reads an environment variable (webhook secrets); nullptr: getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // Opens the webhook secrets kept sealed (run::LoadSecretKey); without it
  // a delivery to such a webhook answers 503 secret_unavailable.
  std::optional<run::SecretKey> secret_key;
};

// A webhook secret kept in the database, sealed with the variables' key and
// bound to the webhook (project, method and path): a sealed value copied to
// another webhook does not open.
std::string SealWebhookSecret(const run::SecretKey& key, const std::string& project,
                              const WebhookRegistration& hook, const std::string& secret);
// InvalidArgument when it was sealed with another key or for another webhook.
Result<std::string> OpenWebhookSecret(const run::SecretKey& key, const std::string& project,
                                      const WebhookRegistration& hook);

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  HttpResponse Handle(const HttpRequest& request);

  // The store session of the phase cache, opened and refreshed once: what
  // `serve` checks before it listens. Errors as the store's.
  Status Prepare();

  // Brings the phase files up to date (a sync of them; PhaseCache::Refresh).
  // Not on the path of any request: `serve` calls it every
  // phase_refresh_ms from its main thread, so a slow walk of a large tree
  // never holds a webhook.
  Status RefreshPhases();

  Metrics& metrics() { return metrics_; }

  // One scheduler pass (run/scheduler.h) over the server's phase files and
  // its project's queue: what `serve --scheduler` runs every second, as
  // `flowsync scheduler` would. A database that went away is an error of
  // this pass; the next pass opens a new session.
  Result<run::SchedulePassReport> RunSchedulerPass(const run::SchedulerOptions& options);

  // One session of the pool: a store and what it opened.
  struct Session {
    std::unique_ptr<Store> store;
    std::unique_ptr<ServeRegistry> registry;
    std::unique_ptr<ExecutionQueue> queue;
  };
  struct Request;  // what a route handler gets (server.cc)

 private:
  class Lease;
  Result<std::unique_ptr<Session>> Borrow(const std::string& project);
  void Return(const std::string& project, std::unique_ptr<Session> session);
  // The phase cache (loaded and refreshed once when first asked for).
  Result<PhaseCache*> Phases();

  HttpResponse Route(const HttpRequest& http, std::string& route_label);
  void AddRoutes();
  void AddExecutionRoutes();
  void AddWebhookRoutes();
  void AddPageRoutes();
  // 403 when the request's token is of another project than the server's
  // (whose phases it runs).
  std::optional<HttpResponse> OtherProject(const Request& q) const;
  // Execution `id` as the answer with `status`.
  static Result<HttpResponse> ExecutionResponse(Session& s, int64_t id, int status);
  // The execution of phase task `task` (TOPIC[:JOB]) in phase file
  // `workflow` ("" for the first in key order), as `flowsync run` makes it.
  // `template_meta` is what the template's {meta:NAME} reads.
  Result<NewExecution> PhaseTaskExecution(const std::string& task, const std::string& workflow,
                                          Trigger trigger, int64_t task_time_ms,
                                          const phase::QueryValues& template_meta = {});

  // SQLite has one writer: the server's own writes queue here instead of in
  // SQLite's busy handler, whose sleeps (up to 100 ms each) would be the
  // tail latency of webhooks under load. Unowned on PostgreSQL.
  std::unique_lock<std::mutex> SerializeWrites(const Session& session);

  ServerOptions options_;
  Metrics metrics_;
  std::mutex sqlite_write_mu_;
  std::mutex pool_mu_;
  std::map<std::string, std::vector<std::unique_ptr<Session>>> pool_;
  // The phase cache: lookups are lock-free (PhaseCache is thread-safe);
  // creation and refreshes are serialized by phases_mu_. A cache whose
  // database went away is replaced by a new generation, and the old one is
  // kept, since request threads may still hold it.
  struct PhaseGeneration {
    std::unique_ptr<Store> store;
    std::unique_ptr<PhaseCache> cache;
  };
  Status NewPhaseGeneration();  // REQUIRES: phases_mu_ held
  std::mutex phases_mu_;
  std::atomic<PhaseCache*> phases_{nullptr};
  std::vector<PhaseGeneration> phase_generations_;
  struct Routes;
  std::unique_ptr<Routes> routes_;
};

// The body of an error answer: {"error": {"code": CODE, "message": TEXT}}.
HttpResponse ErrorResponse(int status, const std::string& code, const std::string& message);

}  // namespace flowsync::serve
