// `flowsync run`, `flowsync worker` and `flowsync executions ...`: running
// phase workflows through the execution queue (src/run/,
// include/flowsync/execution_queue.h).
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "flowsync/execution_queue.h"
#include "flowsync/phase_cache.h"
#include "phase/file_match.h"
#include "run/file_trigger.h"
#include "run/file_watch.h"
#include "run/phase_task.h"
#include "run/presence.h"
#include "run/scheduler.h"
#include "run/variables.h"
#include "run/worker.h"
#include "util/go_duration.h"
#include "util/path_text.h"
#include "util/time_format.h"

namespace flowsync::cli {
namespace {

void PrintJson(const Json& j) { std::cout << DumpJson(j) << std::endl; }

Result<std::unique_ptr<Store>> OpenDatabase(const config::Context& ctx) {
  return config::OpenContextStore(ctx, config::IfMissing::kCreate);
}

Result<config::Context> DatabaseContext(config::Overrides flags) {
  flags.root_rule = config::RootRule::kDatabase;
  return ResolveCommandContext(flags);
}

Json OptionalTime(const std::optional<int64_t>& ms) {
  return ms ? Json(FormatTimestampMs(*ms)) : Json(nullptr);
}

Json ExecutionJson(const Execution& e) {
  Json j;
  j["id"] = e.id;
  j["task"] = e.Task();
  j["topic"] = e.topic;
  j["job"] = e.job;
  j["workflow"] = e.workflow;
  j["task_time"] = OptionalTime(e.task_time_ms);
  j["status"] = std::string(ExecutionStatusName(e.status));
  j["attempts"] = e.attempt;
  j["max_attempts"] = e.max_attempts;
  j["trigger"] = std::string(TriggerName(e.trigger));
  j["run_at"] = FormatTimestampMs(e.run_at_ms);
  j["created_at"] = FormatTimestampMs(e.created_at_ms);
  j["started_at"] = OptionalTime(e.started_at_ms);
  j["finished_at"] = OptionalTime(e.finished_at_ms);
  j["owner"] = e.owner ? Json(*e.owner) : Json(nullptr);
  j["error"] = e.error ? Json(*e.error) : Json(nullptr);
  j["parent"] = e.parent_id ? Json(*e.parent_id) : Json(nullptr);
  j["info"] = e.info;
  j["meta"] = e.meta;
  return j;
}

Json AttemptJson(const AttemptRecord& a) {
  Json j;
  j["attempt"] = a.attempt;
  j["owner"] = a.owner;
  j["outcome"] = a.outcome;
  j["started_at"] = FormatTimestampMs(a.started_at_ms);
  j["heartbeat_at"] = FormatTimestampMs(a.heartbeat_ms);
  j["finished_at"] = OptionalTime(a.finished_at_ms);
  j["exit_status"] = a.exit_status ? Json(*a.exit_status) : Json(nullptr);
  j["error"] = a.error ? Json(*a.error) : Json(nullptr);
  j["stdout_tail"] = a.stdout_tail;
  j["stderr_tail"] = a.stderr_tail;
  return j;
}

bool Finished(ExecutionStatus s) {
  return s != ExecutionStatus::kPending && s != ExecutionStatus::kRunning;
}

// ---- run ------------------------------------------------------------------------

// The database and its phase cache, refreshed from the phase files (a bad
// file is a warning: its last good phases are used).
struct PhasesAt {
  std::unique_ptr<Store> store;
  std::unique_ptr<PhaseCache> cache;
};
Result<PhasesAt> OpenPhases(const config::Context& ctx) {
  PhasesAt out;
  FS_TRY_ASSIGN(out.store, OpenDatabase(ctx));
  PhaseCacheOptions cache_options;
  cache_options.max_file_size = ctx.limits.max_file_size;
  FS_TRY_ASSIGN(out.cache, OpenPhaseCache(out.store.get(), ctx.root, cache_options));
  FS_TRY_ASSIGN(RefreshReport refreshed, out.cache->Refresh());
  for (const PhaseFileError& e : refreshed.errors) {
    std::fprintf(stderr, "flowsync: warning: %s (its last good phases are used)\n",
                 e.status.message().c_str());
  }
  return out;
}

ExitCode RunRun(RunTaskCommand& o) {
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  auto phases = OpenPhases(*ctx);
  if (!phases.ok()) return Fail(phases.status());
  Task task = TaskFromName(o.task);
  std::optional<FoundPhase> found;
  if (o.workflow) {
    std::vector<std::string> keys;
    for (const StoredPhaseFile& f : phases->cache->Files()) keys.push_back(f.key);
    auto key = phase::MatchPhaseFile(*o.workflow, keys);
    if (!key.ok()) return Fail(key.status().WithPrefix("--workflow"));
    task.meta = "workflow=" + *key;
    found = phases->cache->Get(task);
  } else {
    found = phases->cache->Search(task.type, task.job);
  }
  if (!found) {
    return Fail(Status::NotFound("no phase runs task '" + o.task +
                                 "' (`flowsync phases validate` lists the phases)"));
  }
  const int64_t now = SystemClock().NowMs();
  run::PhaseTaskOptions options;
  options.trigger = Trigger::kManual;
  options.run_at_ms = now;
  options.task_time_ms = now;
  if (o.time) {
    auto t = ParseRfc3339Ms(*o.time);
    if (!t) {
      return Fail(
          Status::InvalidArgument("--time: expected an RFC 3339 time such as "
                                  "2026-01-15T10:00:00Z, got '" +
                                  *o.time + "'"));
    }
    options.task_time_ms = *t;
  }
  auto timeout = run::ExecutionTimeoutFromEnv(std::getenv("WORKFLOW_EXECUTION_TIMEOUT"));
  if (!timeout.ok()) return Fail(timeout.status());
  options.default_timeout_ms = *timeout;
  auto execution = run::PhaseExecution(*found, options);
  if (!execution.ok()) return Fail(execution.status());
  auto queue = OpenExecutionQueue(*phases->store);
  if (!queue.ok()) return Fail(queue.status());
  auto id = (*queue)->Enqueue(*execution, now);
  if (!id.ok()) return Fail(id.status());
  if (!o.wait) {
    if (o.common.json) {
      PrintJson({{"id", *id},
                 {"task", execution->topic + (execution->job.empty() ? "" : ":" + execution->job)},
                 {"status", "pending"}});
    } else {
      fmt::print("execution {} of {} ({}) is pending\n", *id, found->phase.task, found->file);
    }
    return ExitCode::kOk;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.wait_timeout_s);
  while (true) {
    auto shown = (*queue)->Show(*id);
    if (!shown.ok()) return Fail(shown.status());
    if (!shown->has_value())
      return Fail(Status::NotFound("execution " + std::to_string(*id) + " is gone"));
    const Execution& e = (*shown)->execution;
    if (Finished(e.status)) {
      if (o.common.json) {
        PrintJson(ExecutionJson(e));
      } else {
        fmt::print("execution {} of {}: {}{}\n", e.id, e.Task(), ExecutionStatusName(e.status),
                   e.error ? " (" + *e.error + ")" : "");
      }
      return e.status == ExecutionStatus::kCompleted ? ExitCode::kOk : ExitCode::kFailed;
    }
    if (o.wait_timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) {
      return Fail(Status::Busy("execution " + std::to_string(*id) + " is still " +
                               std::string(ExecutionStatusName(e.status)) + " after " +
                               std::to_string(o.wait_timeout_s) + " s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// ---- worker ---------------------------------------------------------------------

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

// SIGINT and SIGTERM end the loop after what is running ends.
void StopOnSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

ExitCode RunWorkerCommand(WorkerCommand& o) {
  if (!o.noop && o.command.empty()) {
    return Fail(Status::InvalidArgument(
        "a worker needs a command after -- (flowsync worker --topic T -- COMMAND ARGS...) or "
        "--noop"));
  }
  if (o.noop && !o.command.empty()) {
    return Fail(Status::InvalidArgument("--noop runs no command; drop the command after --"));
  }
  auto ctx = DatabaseContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  run::WorkerOptions options;
  if (!o.noop) {
    auto environment = VariablesEnvironment(o.environment);
    if (!environment.ok()) return Fail(environment.status());
    options.variables_environment = *environment;
    auto key = run::LoadSecretKey(RealFileSystem());
    if (!key.ok()) return Fail(key.status());
    options.secret_key = *key;
  }
  // Fail early on a database that cannot be opened, and on variables the
  // commands could not be given (a secret without its key).
  {
    auto store = OpenDatabase(*ctx);
    if (!store.ok()) return Fail(store.status());
    if (!o.noop) {
      auto queue = OpenExecutionQueue(**store);
      if (!queue.ok()) return Fail(queue.status());
      auto vars = (*queue)->Variables(options.variables_environment);
      if (!vars.ok()) return Fail(vars.status());
      auto resolved = run::ResolveVariables(*vars, options.secret_key);
      if (!resolved.ok()) return Fail(resolved.status());
    }
  }
  StopOnSignals();
  options.topics = o.topics;
  options.concurrency = o.concurrency;
  options.noop = o.noop;
  options.batch = o.batch;
  options.command = o.command;
  options.exit_when_idle = o.exit_when_idle;
  options.lease_ms = static_cast<int64_t>(o.lease_s * 1000);
  options.heartbeat_ms = std::max<int64_t>(50, options.lease_ms / 5);
  options.poll_ms = std::max<int64_t>(1, static_cast<int64_t>(o.poll_s * 1000));
  options.stop = &g_stop;
  const config::Context& c = *ctx;
  auto report = run::RunWorker([&c]() { return OpenDatabase(c); }, options);
  if (!report.ok()) return Fail(report.status());
  if (o.common.json) {
    PrintJson({{"completed", report->completed},
               {"retried", report->retried},
               {"failed", report->failed},
               {"stale", report->stale},
               {"rescued", report->rescued}});
  } else {
    std::fprintf(stderr, "worker: %lld completed, %lld retried, %lld failed, %lld rescued\n",
                 static_cast<long long>(report->completed), static_cast<long long>(report->retried),
                 static_cast<long long>(report->failed), static_cast<long long>(report->rescued));
  }
  return ExitCode::kOk;
}

// ---- file -----------------------------------------------------------------------

// What a file arrival started, for the output.
struct Told {
  std::vector<NewExecution> executions;  // empty: no files= rule matched
  ExecutionQueue::Arrival arrival{true, {}};
};

// Starts the phases `path` starts: one transaction for all of a keyed
// arrival's executions, one each without a key.
Result<Told> TellFile(const std::vector<StoredPhaseFile>& files, ExecutionQueue& queue,
                      const std::string& path, const std::optional<std::string>& key,
                      int64_t timeout_ms) {
  const int64_t now = SystemClock().NowMs();
  run::PhaseTaskOptions options;
  options.run_at_ms = now;
  options.default_timeout_ms = timeout_ms;
  options.template_options.utc_offset = phase::LocalUtcOffset;
  Told told;
  FS_TRY_ASSIGN(told.executions, run::FileExecutions(files, path, options));
  if (told.executions.empty()) return told;
  if (key) {
    FS_TRY_ASSIGN(told.arrival, queue.EnqueueArrival(path, *key, told.executions, now));
  } else {
    for (const NewExecution& e : told.executions) {
      FS_TRY_ASSIGN(int64_t id, queue.Enqueue(e, now));
      told.arrival.ids.push_back(id);
    }
  }
  return told;
}

// The executions a first arrival started, as JSON objects or lines.
void PrintStarted(const Told& told, const std::string& path, bool keyed, bool json, Json& started) {
  for (size_t i = 0; i < told.executions.size() && i < told.arrival.ids.size(); ++i) {
    const NewExecution& e = told.executions[i];
    const int64_t id = told.arrival.ids[i];
    const std::string task = e.topic + (e.job.empty() ? "" : ":" + e.job);
    if (json) {
      Json j = {{"id", id}, {"task", task}, {"workflow", e.workflow}, {"file", path}};
      if (keyed) j["repeated"] = false;
      started.push_back(std::move(j));
    } else {
      fmt::print("execution {} of {} ({}) is pending for {}\n", id, task, e.workflow, path);
    }
  }
}

ExitCode WatchFiles(const FileCommand& o, const config::Context& ctx, PhasesAt& phases,
                    ExecutionQueue& queue, int64_t timeout_ms) {
  const std::string dir = *o.watch;
  auto last_refresh = std::chrono::steady_clock::now();
  auto on_files = [&](const std::vector<run::ArrivedFile>& arrived) -> Status {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refresh >= std::chrono::milliseconds(static_cast<int64_t>(o.refresh_s * 1000))) {
      FS_TRY_ASSIGN(RefreshReport refreshed, phases.cache->Refresh());
      for (const PhaseFileError& e : refreshed.errors) {
        std::fprintf(stderr, "flowsync: warning: %s (its last good phases are used)\n",
                     e.status.message().c_str());
      }
      last_refresh = now;
    }
    const std::vector<StoredPhaseFile> files = phases.cache->Files();
    for (const run::ArrivedFile& f : arrived) {
      const std::string path =
          o.as ? *o.as + (o.as->empty() || o.as->back() == '/' ? "" : "/") + f.rel : f.path;
      FS_TRY_ASSIGN(Told told, TellFile(files, queue, path, f.key, timeout_ms));
      if (told.executions.empty()) {
        if (o.common.json) {
          std::cout << DumpJson({{"file", ValidUtf8(path)}, {"matched", false}}, -1) << std::endl;
        } else {
          std::fprintf(stderr, "flowsync: warning: no files= rule matches \"%s\"\n", path.c_str());
        }
        continue;
      }
      if (!told.arrival.first) continue;  // told before (a restart, a rescan)
      Json started = Json::array();
      PrintStarted(told, path, true, o.common.json, started);
      for (Json& j : started) std::cout << DumpJson(j, -1) << std::endl;
      std::fflush(stdout);
    }
    return Status::OK();
  };
  auto on_state = [&](const WatchState& state) {
    if (o.common.json) {
      std::cout << DumpJson(WatchStateJson(state), -1) << std::endl;
    } else if (state.problem.empty()) {
      fmt::print("watching {} for files ({} folders; phase files in {}); Ctrl-C stops\n", dir,
                 state.folders, ctx.root);
      std::fflush(stdout);
    }
    if (!state.problem.empty()) {
      std::fprintf(stderr, "flowsync: warning: %s\n", state.problem.c_str());
    }
  };
  WatchOptions w;
  w.interval_s = 0;  // a file is told once; a rescan tells nothing new
  Status s = run::WatchArrivals(RealFileSystem(), dir, w, on_files, on_state);
  if (!s.ok()) return Fail(s);
  return ExitCode::kOk;
}

ExitCode RunFile(FileCommand& o) {
  if (o.watch && (o.key || !o.paths.empty())) {
    return Fail(Status::InvalidArgument(
        "--watch DIR tells the files that arrive there, each with its own key: give no PATH and "
        "no --key with it"));
  }
  if (!o.watch && o.paths.empty()) {
    return Fail(Status::InvalidArgument("give the file's PATH, or --watch DIR"));
  }
  if (o.as && !o.watch) return Fail(Status::InvalidArgument("--as goes with --watch DIR"));
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  auto timeout = run::ExecutionTimeoutFromEnv(std::getenv("WORKFLOW_EXECUTION_TIMEOUT"));
  if (!timeout.ok()) return Fail(timeout.status());
  auto phases = OpenPhases(*ctx);
  if (!phases.ok()) return Fail(phases.status());
  auto queue = OpenExecutionQueue(*phases->store);
  if (!queue.ok()) return Fail(queue.status());
  if (o.watch) return WatchFiles(o, *ctx, *phases, **queue, *timeout);
  const std::vector<StoredPhaseFile> files = phases->cache->Files();
  Json started = Json::array();
  std::vector<std::string> unmatched;
  for (const std::string& path : o.paths) {
    auto told = TellFile(files, **queue, path, o.key, *timeout);
    if (!told.ok()) return Fail(told.status());
    if (told->executions.empty()) {
      unmatched.push_back(path);
      continue;
    }
    if (!told->arrival.first) {
      if (!o.common.json) {
        fmt::print("{} arrived with key {} before: {} execution{} started then, nothing now\n",
                   path, *o.key, told->arrival.ids.size(),
                   told->arrival.ids.size() == 1 ? "" : "s");
      }
      for (int64_t id : told->arrival.ids) {
        if (o.common.json) {
          started.push_back({{"id", id}, {"file", path}, {"repeated", true}});
        } else {
          fmt::print("  execution {}\n", id);
        }
      }
      continue;
    }
    PrintStarted(*told, path, o.key.has_value(), o.common.json, started);
  }
  if (o.common.json) PrintJson(started);
  for (const std::string& path : unmatched) {
    std::fprintf(stderr, "flowsync: error: no files= rule matches \"%s\"\n", path.c_str());
  }
  return unmatched.empty() ? ExitCode::kOk : ExitCode::kFailed;
}

// ---- scheduler ------------------------------------------------------------------

// How long finished executions are kept: `flag` (a duration; 0 keeps them
// for ever), else the database's execution_retention_days. Nullopt: for
// ever.
Result<std::optional<int64_t>> RetentionMs(const std::optional<std::string>& flag,
                                           const char* option, ExecutionQueue& queue) {
  int64_t ms = 0;
  if (flag) {
    auto d = ParseGoDuration(*flag);
    if (!d.ok() || d->count() < 0) {
      return Status::InvalidArgument(std::string(option) +
                                     ": expected a duration such as 720h or 0 (for ever), got '" +
                                     *flag + "'");
    }
    ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
  } else {
    FS_TRY_ASSIGN(int64_t days, queue.RetentionDays());
    ms = days * 86'400'000;
  }
  if (ms <= 0) return std::optional<int64_t>();
  return std::optional<int64_t>(ms);
}

ExitCode RunSchedulerCommand(SchedulerCommand& o) {
  auto catch_up = ParseGoDuration(o.catch_up);
  if (!catch_up.ok() || catch_up->count() < 0) {
    return Fail(Status::InvalidArgument("--catch-up: expected a duration such as 6h or 30m, got '" +
                                        o.catch_up + "'"));
  }
  auto timeout = run::ExecutionTimeoutFromEnv(std::getenv("WORKFLOW_EXECUTION_TIMEOUT"));
  if (!timeout.ok()) return Fail(timeout.status());
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  StopOnSignals();
  run::SchedulerOptions options;
  options.catch_up_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*catch_up).count();
  options.default_timeout_ms = *timeout;
  options.failed_topic = o.failed_topic;
  options.utc_offset = phase::LocalUtcOffset;
  options.fs = &RealFileSystem();
  options.root = ctx->root;
  options.id = run::ProcessId();
  run::Presence presence(options.id, "scheduler", "", 2000, SystemClock());
  run::SchedulePassReport total;
  int failures = 0;
  auto last_refresh = std::chrono::steady_clock::time_point();
  std::unique_ptr<Store> store;
  std::unique_ptr<PhaseCache> cache;
  std::unique_ptr<ExecutionQueue> queue;
  std::optional<int64_t> retention_ms;
  std::optional<std::chrono::steady_clock::time_point> last_prune;
  while (true) {
    Status s = [&]() -> Status {
      if (!store) {
        FS_TRY_ASSIGN(store, OpenDatabase(*ctx));
        PhaseCacheOptions cache_options;
        cache_options.max_file_size = ctx->limits.max_file_size;
        FS_TRY_ASSIGN(cache, OpenPhaseCache(store.get(), ctx->root, cache_options));
        FS_TRY_ASSIGN(queue, OpenExecutionQueue(*store));
        FS_TRY_ASSIGN(retention_ms, RetentionMs(o.retention, "--retention", *queue));
        last_refresh = {};
        presence.Reset();
      }
      const auto now = std::chrono::steady_clock::now();
      // Old executions go once an hour (and on the first pass).
      options.prune_older_than_ms.reset();
      if (retention_ms && (!last_prune || now - *last_prune >= std::chrono::hours(1))) {
        options.prune_older_than_ms = retention_ms;
        last_prune = now;
      }
      if (now - last_refresh >=
          std::chrono::milliseconds(static_cast<int64_t>(o.refresh_s * 1000))) {
        FS_TRY_ASSIGN(RefreshReport refreshed, cache->Refresh());
        for (const PhaseFileError& e : refreshed.errors) {
          std::fprintf(stderr, "flowsync: warning: %s (its last good phases are used)\n",
                       e.status.message().c_str());
        }
        last_refresh = now;
      }
      FS_TRY_ASSIGN(run::SchedulePassReport pass, run::RunSchedulePass(*cache, *queue, options));
      for (const std::string& e : pass.errors)
        std::fprintf(stderr, "flowsync: error: %s\n", e.c_str());
      total.fires += pass.fires;
      total.executions += pass.executions;
      total.missed_skipped += pass.missed_skipped;
      total.follow_ups += pass.follow_ups;
      total.children += pass.children;
      total.rescued += pass.rescued;
      total.pruned += pass.pruned;
      return presence.Beat(*queue);
    }();
    if (!s.ok()) {
      // The database went away: start again with a new session; nothing
      // half done was committed.
      if (o.once || ++failures > 60) return Fail(s);
      std::fprintf(stderr, "flowsync: warning: %s (trying again)\n", s.message().c_str());
      queue.reset();
      cache.reset();
      store.reset();
    } else {
      failures = 0;
    }
    if (o.once || g_stop.load()) break;
    for (int64_t slept = 0; slept < static_cast<int64_t>(o.interval_s * 1000) && !g_stop.load();
         slept += 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (g_stop.load()) break;
  }
  if (queue) (void)presence.Stop(*queue);
  if (o.common.json) {
    PrintJson({{"fires", total.fires},
               {"executions", total.executions},
               {"missed_skipped", total.missed_skipped},
               {"follow_ups", total.follow_ups},
               {"children", total.children},
               {"rescued", total.rescued},
               {"pruned", total.pruned}});
  } else if (o.once) {
    fmt::print(
        "{} fires ({} executions), {} missed fires skipped, {} follow-ups ({} executions), "
        "{} rescued, {} old executions pruned\n",
        total.fires, total.executions, total.missed_skipped, total.follow_ups, total.children,
        total.rescued, total.pruned);
  }
  return ExitCode::kOk;
}

// ---- executions -----------------------------------------------------------------

Result<std::unique_ptr<ExecutionQueue>> OpenQueue(ExecutionsCommand& o,
                                                  std::unique_ptr<Store>& store) {
  FS_TRY_ASSIGN(config::Context ctx, DatabaseContext(o.common.flags));
  FS_TRY_ASSIGN(store, config::OpenContextStore(ctx, config::IfMissing::kFail));
  return OpenExecutionQueue(*store);
}

ExitCode RunList(ExecutionsCommand& o) {
  ExecutionFilter filter;
  filter.limit = o.limit;
  filter.topic = o.topic;
  if (o.status) {
    filter.status = ParseExecutionStatus(*o.status);
    if (!filter.status) {
      return Fail(Status::InvalidArgument(
          "--status: expected pending, running, completed, failed, cancelled or timeout, got '" +
          *o.status + "'"));
    }
  }
  std::unique_ptr<Store> store;
  auto queue = OpenQueue(o, store);
  if (!queue.ok()) return Fail(queue.status());
  auto list = (*queue)->List(filter);
  if (!list.ok()) return Fail(list.status());
  if (o.common.json) {
    Json arr = Json::array();
    for (const Execution& e : *list) arr.push_back(ExecutionJson(e));
    PrintJson(arr);
    return ExitCode::kOk;
  }
  if (list->empty()) {
    fmt::print("no executions\n");
    return ExitCode::kOk;
  }
  fmt::print("{:>8}  {:<9}  {:>8}  {:<9}  {:<24}  {}\n", "ID", "STATUS", "ATTEMPTS", "TRIGGER",
             "TASK TIME", "TASK");
  for (const Execution& e : *list) {
    fmt::print("{:>8}  {:<9}  {:>8}  {:<9}  {:<24}  {}\n", e.id, ExecutionStatusName(e.status),
               fmt::format("{}/{}", e.attempt, e.max_attempts), TriggerName(e.trigger),
               e.task_time_ms ? FormatTimestampMs(*e.task_time_ms) : "-", DisplayText(e.Task()));
  }
  return ExitCode::kOk;
}

ExitCode RunShow(ExecutionsCommand& o) {
  std::unique_ptr<Store> store;
  auto queue = OpenQueue(o, store);
  if (!queue.ok()) return Fail(queue.status());
  auto shown = (*queue)->Show(o.id);
  if (!shown.ok()) return Fail(shown.status());
  if (!shown->has_value()) {
    return Fail(Status::NotFound("no execution " + std::to_string(o.id)));
  }
  const ExecutionDetail& d = **shown;
  if (o.common.json) {
    Json j = ExecutionJson(d.execution);
    Json attempts = Json::array();
    for (const AttemptRecord& a : d.attempts) attempts.push_back(AttemptJson(a));
    j["history"] = attempts;
    PrintJson(j);
    return ExitCode::kOk;
  }
  const Execution& e = d.execution;
  fmt::print("execution {}: {} ({})\n", e.id, DisplayText(e.Task()), e.workflow);
  fmt::print("status:    {} after {} of {} attempts\n", ExecutionStatusName(e.status), e.attempt,
             e.max_attempts);
  fmt::print("trigger:   {}\n", TriggerName(e.trigger));
  fmt::print("task time: {}\n", e.task_time_ms ? FormatTimestampMs(*e.task_time_ms) : "-");
  fmt::print("info:      {}\n", DisplayText(e.info));
  fmt::print("meta:      {}\n", DisplayText(e.meta));
  if (e.error) fmt::print("error:     {}\n", DisplayText(*e.error));
  for (const AttemptRecord& a : d.attempts) {
    fmt::print("attempt {}: {} by {} at {}{}\n", a.attempt, a.outcome, a.owner,
               FormatTimestampMs(a.started_at_ms), a.error ? " (" + *a.error + ")" : "");
  }
  return ExitCode::kOk;
}

ExitCode RunChange(ExecutionsCommand& o, bool cancel) {
  std::unique_ptr<Store> store;
  auto queue = OpenQueue(o, store);
  if (!queue.ok()) return Fail(queue.status());
  const int64_t now = SystemClock().NowMs();
  auto changed = cancel ? (*queue)->Cancel(o.id, now) : (*queue)->Retry(o.id, now);
  if (!changed.ok()) return Fail(changed.status());
  if (!*changed) {
    return Fail(Status::Conflict(
        "execution " + std::to_string(o.id) +
        (cancel ? " has already ended" : " has not failed, timed out or been cancelled")));
  }
  if (o.common.json) {
    PrintJson({{"id", o.id}, {"status", cancel ? "cancelled" : "pending"}});
  } else {
    fmt::print("execution {} {}\n", o.id, cancel ? "cancelled" : "is pending again");
  }
  return ExitCode::kOk;
}

ExitCode RunPrune(ExecutionsCommand& o) {
  std::unique_ptr<Store> store;
  auto queue = OpenQueue(o, store);
  if (!queue.ok()) return Fail(queue.status());
  auto retention = RetentionMs(o.older_than, "--older-than", **queue);
  if (!retention.ok()) return Fail(retention.status());
  int64_t pruned = 0;
  if (*retention) {
    auto deleted = (*queue)->PruneFinished(SystemClock().NowMs() - **retention);
    if (!deleted.ok()) return Fail(deleted.status());
    pruned = *deleted;
  }
  if (o.common.json) {
    PrintJson({{"pruned", pruned}});
  } else {
    fmt::print("{} executions pruned\n", pruned);
  }
  return ExitCode::kOk;
}

// ---- workers --------------------------------------------------------------------

ExitCode RunWorkers(ExecutionsCommand& o) {
  std::unique_ptr<Store> store;
  auto queue = OpenQueue(o, store);
  if (!queue.ok()) return Fail(queue.status());
  auto workers = (*queue)->ListWorkers();
  if (!workers.ok()) return Fail(workers.status());
  const int64_t now = SystemClock().NowMs();
  // Alive while its heartbeat is recent: a worker renews it every 2 s by
  // default, a scheduler every 2 s; after 30 s without one it is gone.
  auto state = [&](const WorkerRecord& w) -> std::string {
    if (w.stopped_ms) return "stopped";
    return now - w.heartbeat_ms <= 30'000 ? "alive" : "gone";
  };
  if (o.common.json) {
    Json out = Json::array();
    for (const WorkerRecord& w : *workers) {
      out.push_back({{"id", w.id},
                     {"kind", w.kind},
                     {"topics", w.topics},
                     {"state", state(w)},
                     {"started_at", FormatTimestampMs(w.started_ms)},
                     {"heartbeat_at", FormatTimestampMs(w.heartbeat_ms)},
                     {"stopped_at", OptionalTime(w.stopped_ms)}});
    }
    PrintJson(out);
    return ExitCode::kOk;
  }
  for (const WorkerRecord& w : *workers) {
    fmt::print("{:<9} {:<7} {}  {}  last seen {}\n", w.kind, state(w), w.id,
               w.topics.empty() ? "-" : w.topics, FormatTimestampMs(w.heartbeat_ms));
  }
  return ExitCode::kOk;
}

void SetupExecutionId(CLI::App* c, ExecutionsCommand& o) {
  AddDbOptions(c, o.common);
  c->add_flag("--json", o.common.json, "Print JSON");
  c->add_option("id", o.id, "Execution id")->required();
}

}  // namespace

Command RunCommandRow() {
  return {"run", "Start an execution of a phase's task now (a worker runs it)",
          [](CLI::App* c, CommandOptions& o) {
            AddDbOptions(c, o.run.common);
            c->add_option("--root", o.run.common.flags.root, "Tree of phase files");
            c->add_option("task", o.run.task, "TOPIC[:JOB] of a phase")->required();
            c->add_option("--workflow", o.run.workflow,
                          "The phase file (its path below the root, or a file name ending one)");
            c->add_option("--time", o.run.time,
                          "The task time (RFC 3339) its template renders; default now");
            c->add_flag("--wait", o.run.wait,
                        "Wait until it ends; exit 0 when it completed, 1 otherwise");
            c->add_option("--wait-timeout", o.run.wait_timeout_s,
                          "With --wait: give up after this many seconds (exit 4)")
                ->check(NumberRange(0, 366 * 86400));
            c->add_flag("--json", o.run.common.json, "Print JSON");
          },
          [](CommandOptions& o) { return RunRun(o.run); }};
}

Command WorkersCommandRow() {
  return {"workers",
          "The workers and schedulers on this database: alive, stopped, or gone (killed: no "
          "heartbeat for 30 s)",
          [](CLI::App* c, CommandOptions& o) {
            AddDbOptions(c, o.executions.common);
            c->add_flag("--json", o.executions.common.json, "Print JSON");
          },
          [](CommandOptions& o) { return RunWorkers(o.executions); }};
}

Command FileCommandRow() {
  return {"file",
          "A file arrived: start the phases whose files= rule matches its path (flowlord's file "
          "triggers)",
          [](CLI::App* c, CommandOptions& o) {
            AddDbOptions(c, o.file.common);
            c->add_option("--root", o.file.common.flags.root, "Tree of phase files");
            c->add_option("path", o.file.paths,
                          "The file's path or URL as the rules name it (s3://bucket/...); "
                          "several may be given");
            c->add_option("--watch", o.file.watch,
                          "Watch this folder and tell each file that arrives in it (written and "
                          "closed, or moved in; names starting with '.' are left out), with a "
                          "key of its size, time and inode: each starts its phases once, also "
                          "across restarts, which tell the files already there")
                ->type_name("DIR");
            c->add_option("--as", o.file.as,
                          "With --watch: name the files PREFIX/REL instead of DIR/REL (the "
                          "rules' s3://bucket for a folder that mirrors it)")
                ->type_name("PREFIX");
            c->add_option("--refresh", o.file.refresh_s,
                          "With --watch: read changed phase files at most every SECONDS "
                          "(default 10)")
                ->type_name("SECONDS")
                ->check(CLI::NonNegativeNumber);
            c->add_option("--key", o.file.key,
                          "The arrival's key (an event id, an ETag): a path that arrived with "
                          "this key before starts nothing again, and its executions are printed")
                ->type_name("KEY")
                ->check([](const std::string& k) {
                  return k.empty() ? std::string("the key must not be empty") : std::string();
                });
            c->add_flag("--json", o.file.common.json, "Print the executions started as JSON");
          },
          [](CommandOptions& o) { return RunFile(o.file); }};
}

Command WorkerCommandRow() {
  return {"worker", "Run ready executions of topics: flowsync worker --topic T -- COMMAND ARGS...",
          [](CLI::App* c, CommandOptions& o) {
            AddDbOptions(c, o.worker.common);
            c->add_option("--topic", o.worker.topics, "A topic to run (repeat for more)")
                ->required()
                ->allow_extra_args(false);
            c->add_option("--concurrency", o.worker.concurrency,
                          "Executions run at once (default 1)")
                ->check(NumberRange(1, 256));
            c->add_flag("--exit-when-idle", o.worker.exit_when_idle,
                        "Stop when no execution of the topics is pending or running");
            c->add_flag("--noop", o.worker.noop,
                        "Run no command: complete each execution at once (benchmarks)");
            c->add_option("--batch", o.worker.batch, "With --noop: executions per claim")
                ->check(NumberRange(1, 10000));
            c->add_option("--lease", o.worker.lease_s,
                          "Seconds an execution stays claimed without a heartbeat (default 10); "
                          "a dead worker's executions run again after it")
                ->check(NumberRange(1, 86400));
            c->add_option("--poll", o.worker.poll_s, "Seconds between polls when idle (0.2)")
                ->check(NumberRange(0, 60));
            c->add_option("--env", o.worker.environment,
                          "Whose variables (flowsync var) the command receives (default "
                          "$FLOWSYNC_ENV, else \"default\")");
            c->add_flag("--json", o.worker.common.json, "Print the counts as JSON at the end");
            c->add_option("command", o.worker.command,
                          "The command (after --): the task JSON on its stdin, FLOWSYNC_* "
                          "variables; exit 0 is success");
          },
          [](CommandOptions& o) { return RunWorkerCommand(o.worker); }};
}

Command SchedulerCommandRow() {
  return {"scheduler",
          "Fire cron phases, enqueue children of completed tasks; any number may run at once",
          [](CLI::App* c, CommandOptions& o) {
            AddDbOptions(c, o.scheduler.common);
            c->add_option("--root", o.scheduler.common.flags.root, "Tree of phase files");
            c->add_flag("--once", o.scheduler.once, "One pass, then exit");
            c->add_option("--interval", o.scheduler.interval_s, "Seconds between passes (1)")
                ->check(NumberRange(0, 3600));
            c->add_option("--refresh", o.scheduler.refresh_s,
                          "Seconds between reads of the phase files (60)")
                ->check(NumberRange(0, 86400));
            c->add_option("--catch-up", o.scheduler.catch_up,
                          "Missed fires within this long of now run after downtime; older ones "
                          "are skipped (default 6h)");
            c->add_option("--failed-topic", o.scheduler.failed_topic,
                          "Where a task goes after its last attempt failed (default retry-failed; "
                          "- for nowhere)");
            c->add_option("--retention", o.scheduler.retention,
                          "Delete executions finished longer ago than this, once an hour "
                          "(default: the database's execution_retention_days, 30; 0 keeps all)");
            c->add_flag("--json", o.scheduler.common.json, "Print the counts as JSON at the end");
          },
          [](CommandOptions& o) { return RunSchedulerCommand(o.scheduler); }};
}

Command ExecutionsCommandRow() {
  return {
      "executions",
      "List, show, cancel, retry and prune executions of phase tasks",
      nullptr,
      nullptr,
      {
          {"list", "Executions, newest first",
           [](CLI::App* c, CommandOptions& o) {
             AddDbOptions(c, o.executions.common);
             c->add_flag("--json", o.executions.common.json, "Print JSON");
             c->add_option("--status", o.executions.status,
                           "Only this status: pending, running, completed, failed, cancelled, "
                           "timeout");
             c->add_option("--topic", o.executions.topic, "Only this topic");
             c->add_option("--limit", o.executions.limit, "At most this many (default 50)")
                 ->check(NumberRange(1, 1'000'000));
           },
           [](CommandOptions& o) { return RunList(o.executions); }},
          {"show", "One execution and its attempts",
           [](CLI::App* c, CommandOptions& o) { SetupExecutionId(c, o.executions); },
           [](CommandOptions& o) { return RunShow(o.executions); }},
          {"cancel", "Cancel a pending or running execution",
           [](CLI::App* c, CommandOptions& o) { SetupExecutionId(c, o.executions); },
           [](CommandOptions& o) { return RunChange(o.executions, true); }},
          {"retry", "Run a failed, timed-out or cancelled execution again",
           [](CLI::App* c, CommandOptions& o) { SetupExecutionId(c, o.executions); },
           [](CommandOptions& o) { return RunChange(o.executions, false); }},
          {"prune", "Delete executions that finished long ago (and their attempts)",
           [](CLI::App* c, CommandOptions& o) {
             AddDbOptions(c, o.executions.common);
             c->add_option("--older-than", o.executions.older_than,
                           "Finished more than this long ago, such as 720h (default: the "
                           "database's execution_retention_days, 30; 0 keeps all)");
             c->add_flag("--json", o.executions.common.json, "Print JSON");
           },
           [](CommandOptions& o) { return RunPrune(o.executions); }},
      },
  };
}

}  // namespace flowsync::cli
