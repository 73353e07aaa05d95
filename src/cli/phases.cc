// `flowsync phases ...`: questions about phase workflows, answered by the
// persistent phase cache (include/flowsync/phase_cache.h).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "flowsync/clock.h"
#include "flowsync/phase_cache.h"
#include "phase/file_match.h"
#include "phase/graph.h"
#include "phase/next_fire.h"
#include "phase/validation.h"
#include "util/time_format.h"

namespace flowsync::cli {
namespace {

using PhaseOptions = PhasesCommand;

// An open cache over the context's root, backed by the database.
struct OpenCache {
  config::Context ctx;
  std::unique_ptr<Store> store;
  std::unique_ptr<PhaseCache> cache;
  RefreshReport refresh;
};

Result<OpenCache> Open(const PhaseOptions& o) {
  OpenCache out;
  FS_TRY_ASSIGN(out.ctx, ResolveCommandContext(o.common.flags));
  FS_TRY_ASSIGN(out.store, config::OpenContextStore(out.ctx, config::IfMissing::kCreate));
  PhaseCacheOptions options;
  options.max_file_size = out.ctx.limits.max_file_size;
  options.max_retry = o.max_retry;
  FS_TRY_ASSIGN(out.cache, OpenPhaseCache(out.store.get(), out.ctx.root, options));
  if (!o.no_refresh) {
    FS_TRY_ASSIGN(out.refresh, out.cache->Refresh());
    for (const PhaseFileError& e : out.refresh.errors) {
      // A broken file keeps its last good phases; say so, answer anyway.
      std::fprintf(stderr, "flowsync: warning: %s (its last good phases are used)\n",
                   e.status.message().c_str());
    }
  }
  return out;
}

// The stored file --workflow names (phase/file_match.h): a key, or a file
// name that ends one key; "*" without --workflow.
Result<std::string> WorkflowKey(const OpenCache& c, const PhaseOptions& o) {
  if (!o.workflow) return std::string("*");
  std::vector<std::string> keys;
  for (const StoredPhaseFile& f : c.cache->Files()) keys.push_back(f.key);
  auto key = phase::MatchPhaseFile(*o.workflow, keys);
  if (!key.ok()) return key.status().WithPrefix("--workflow");
  return key;
}

// The task of the command line, in the file `file` ("*": any).
Task ParseTask(const PhaseOptions& o, const std::string& file) {
  Task t = TaskFromName(o.task);
  if (o.job) t.job = *o.job;
  t.meta = "workflow=" + file;
  return t;
}

Json PhaseJson(const std::string& file, const Phase& p) {
  Json j;
  j["file"] = file;
  j["task"] = p.task;
  j["topic"] = p.Topic();
  j["job"] = p.Job();
  j["depends_on"] = p.depends_on;
  j["rule"] = p.rule;
  j["template"] = p.template_text;
  j["retry"] = p.retry;
  j["status"] = p.status;
  return j;
}

void PrintPhase(const std::string& file, const Phase& p) {
  fmt::print("{}  {}{}{}{}\n", file, p.task, p.depends_on.empty() ? "" : "  after " + p.depends_on,
             p.rule.empty() ? "" : "  rule " + p.rule,
             p.status.empty() ? "" : "  [" + p.status + "]");
}

ExitCode PrintFound(const PhaseOptions& o, const std::optional<FoundPhase>& found,
                    const std::string& what) {
  if (!found) {
    if (o.common.json) std::cout << "null" << std::endl;
    return Fail(Status::NotFound("no phase matches " + what));
  }
  if (o.common.json) {
    std::cout << PhaseJson(found->file, found->phase).dump(2) << std::endl;
  } else {
    PrintPhase(found->file, found->phase);
  }
  return ExitCode::kOk;
}

ExitCode RunGet(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  auto file = WorkflowKey(*c, o);
  if (!file.ok()) return Fail(file.status());
  Task t = ParseTask(o, *file);
  return PrintFound(o, c->cache->Get(t),
                    fmt::format("task '{}'{} in {}", t.type, t.job.empty() ? "" : " job " + t.job,
                                *file == "*" ? "any file" : "file " + *file));
}

ExitCode RunSearch(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  Task t = ParseTask(o, "*");
  return PrintFound(o, c->cache->Search(t.type, t.job),
                    fmt::format("topic '{}'{}", t.type, t.job.empty() ? "" : " job " + t.job));
}

ExitCode RunChildren(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  auto key = WorkflowKey(*c, o);
  if (!key.ok()) return Fail(key.status());
  Task t = ParseTask(o, *key);
  std::string file = *key;
  if (file == "*") {
    // Children look only in the parent's file: find it first.
    std::optional<FoundPhase> parent = c->cache->Get(t);
    if (!parent) return Fail(Status::NotFound("no phase matches task '" + o.task + "'"));
    file = parent->file;
  }
  t.meta = "workflow=" + file;
  std::vector<Phase> children = c->cache->Children(t);
  if (o.common.json) {
    Json arr = Json::array();
    for (const Phase& p : children) arr.push_back(PhaseJson(file, p));
    std::cout << arr.dump(2) << std::endl;
  } else {
    for (const Phase& p : children) PrintPhase(file, p);
  }
  return ExitCode::kOk;
}

ExitCode RunValidate(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  bool errors = !c->refresh.errors.empty();
  Json arr = Json::array();
  size_t phases = 0, error_count = 0, warning_count = 0;
  for (const StoredPhaseFile& f : c->cache->Files()) {
    for (const Phase& p : f.phases) {
      ++phases;
      bool error = phase::StatusIsError(p.status);
      errors = errors || error;
      Json j = PhaseJson(f.key, p);
      j["severity"] = p.status.empty() ? "ok" : error ? "error" : "warning";
      arr.push_back(std::move(j));
      if (!p.status.empty()) {
        ++(error ? error_count : warning_count);
        if (!o.common.json) fmt::print("{}: {}: {}\n", f.key, p.task, p.status);
      }
    }
  }
  for (const PhaseFileError& e : c->refresh.errors) {
    Json j;
    j["file"] = e.key;
    j["severity"] = "error";
    j["status"] = e.status.message();
    arr.push_back(std::move(j));
    if (!o.common.json) fmt::print("{}\n", e.status.message());
  }
  if (o.common.json) {
    std::cout << arr.dump(2) << std::endl;
  } else {
    // A phase with a status has an error (exit 1) or a warning.
    fmt::print("{} in {}: {}, {}, {}\n", Plural(phases, "phase"),
               Plural(c->cache->Files().size(), "file"), Plural(error_count, "error"),
               Plural(warning_count, "warning"),
               Plural(c->refresh.errors.size(), "unreadable file"));
  }
  return errors ? ExitCode::kFailed : ExitCode::kOk;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

ExitCode RunGraph(const PhaseOptions& o) {
  // "--format json" is what --json was once spelled; it stays for scripts.
  if (o.format != "dot" && o.format != "mermaid" && o.format != "json") {
    return Fail(Status::InvalidArgument("--format must be dot or mermaid (--json prints JSON)"));
  }
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  std::vector<StoredPhaseFile> files = c->cache->Files();
  std::vector<phase::DependencyEdge> edges = phase::DependencyEdges(files);
  if (o.format == "json" || o.common.json) {
    Json nodes = Json::array(), links = Json::array();
    for (const StoredPhaseFile& f : files) {
      for (const Phase& p : f.phases) nodes.push_back(PhaseJson(f.key, p));
    }
    for (const phase::DependencyEdge& e : edges)
      links.push_back({{"file", e.file}, {"from", e.from}, {"to", e.to}});
    std::cout << Json{{"nodes", nodes}, {"edges", links}}.dump(2) << std::endl;
    return ExitCode::kOk;
  }
  if (o.format == "dot") {
    fmt::print("digraph phases {{\n  rankdir=LR;\n");
    for (const StoredPhaseFile& f : files) {
      fmt::print("  subgraph {} {{\n    label={};\n", Quote("cluster_" + f.key), Quote(f.key));
      for (const Phase& p : f.phases) {
        fmt::print("    {} [label={}];\n", Quote(f.key + ":" + p.task), Quote(p.task));
      }
      fmt::print("  }}\n");
    }
    for (const phase::DependencyEdge& e : edges) {
      fmt::print("  {} -> {};\n", Quote(e.file + ":" + e.from), Quote(e.file + ":" + e.to));
    }
    fmt::print("}}\n");
    return ExitCode::kOk;
  }
  // Mermaid ids must be plain: number the nodes.
  std::map<std::string, std::string> ids;
  fmt::print("flowchart LR\n");
  for (const StoredPhaseFile& f : files) {
    fmt::print("  subgraph {}\n", Quote(f.key));
    for (const Phase& p : f.phases) {
      std::string id = "p" + std::to_string(ids.size());
      ids[f.key + ":" + p.task] = id;
      std::string label = p.task;
      std::replace(label.begin(), label.end(), '"', '\'');
      fmt::print("    {}[\"{}\"]\n", id, label);
    }
    fmt::print("  end\n");
  }
  for (const phase::DependencyEdge& e : edges) {
    fmt::print("  {} --> {}\n", ids[e.file + ":" + e.from], ids[e.file + ":" + e.to]);
  }
  return ExitCode::kOk;
}

std::string Rfc3339(std::chrono::sys_seconds t) {
  std::string s = FormatTimestampMs(t.time_since_epoch().count() * 1000);
  return s.substr(0, 19) + "Z";
}

ExitCode RunNext(const PhaseOptions& o) {
  // --from answers as of that instant: a clock that stands still there.
  ManualClock from_clock;
  const Clock* clock = &SystemClock();
  if (o.from) {
    std::optional<int64_t> parsed = ParseRfc3339Ms(*o.from);
    if (!parsed) {
      return Fail(Status::InvalidArgument("--from '" + *o.from +
                                          "': expected RFC 3339, e.g. 2024-02-27T13:45:00Z"));
    }
    from_clock.Set(*parsed);
    clock = &from_clock;
  }
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  auto file = WorkflowKey(*c, o);
  if (!file.ok()) return Fail(file.status());
  Task t = ParseTask(o, *file);
  std::optional<FoundPhase> found = c->cache->Get(t);
  if (!found) return Fail(Status::NotFound("no phase matches task '" + o.task + "'"));
  phase::NextFireOptions options;
  options.count = o.count;
  auto next = phase::NextFireTimes(*found, *clock, options);
  if (!next.ok()) return Fail(next.status());
  if (o.common.json) {
    Json fires = Json::array();
    for (const phase::Firing& f : next->fires) {
      fires.push_back(
          {{"fire", Rfc3339(f.fire)}, {"task_time", Rfc3339(f.task_time)}, {"info", f.info}});
    }
    std::cout << Json{{"file", found->file},
                      {"task", found->phase.task},
                      {"cron", next->cron},
                      {"time_zone", next->time_zone.empty() ? "local" : next->time_zone},
                      {"fires", fires}}
                     .dump(2)
              << std::endl;
  } else {
    fmt::print("{}  {}  cron {}\n", found->file, found->phase.task, next->cron);
    for (const phase::Firing& f : next->fires) {
      fmt::print("  {}  {}\n", Rfc3339(f.fire), f.info);
    }
  }
  return ExitCode::kOk;
}

// ---- The rows ---------------------------------------------------------------------

void SetupCommon(CLI::App* cmd, PhaseOptions& o) {
  cmd->add_option("--db", o.common.flags.db, "Database URL (as for sync)")->type_name("URL");
  cmd->add_option("--project", o.common.flags.project, "Project to work in");
  cmd->add_option("--root", o.common.flags.root,
                  "Tree of phase files (default: the nearest folder upwards holding .flowsync/ or "
                  "flowsync.toml; a single .toml file also works)")
      ->type_name("PATH");
  cmd->add_option("--lock-timeout", o.common.flags.lock_timeout_s, "Seconds to wait for a writer")
      ->check(LockTimeoutRange());
  cmd->add_flag("--json", o.common.json, "Print JSON");
  cmd->add_flag("--no-refresh", o.no_refresh,
                "Answer from the stored index without reading changed files first");
  cmd->add_option("--max-retry", o.max_retry, "Retries above this get a warning (default 10)");
}

void SetupTask(CLI::App* cmd, PhaseOptions& o, const char* what) {
  SetupCommon(cmd, o);
  cmd->add_option("task", o.task, what)->required();
  cmd->add_option("--job", o.job, "Job (instead of TASK:JOB)");
  cmd->add_option("--workflow", o.workflow,
                  "Only this phase file: its path below the root (group/f3.toml) or a file name "
                  "that ends one path (f3.toml); * means any");
}

}  // namespace

Command PhasesCommandRow() {
  return {
      "phases",
      "Answer dependency questions about phase workflows (flowlord compatible)",
      nullptr,
      nullptr,
      {
          {"get", "The phase of a task (flowlord Get)",
           [](CLI::App* c, CommandOptions& o) { SetupTask(c, o.phases, "TASK[:JOB]"); },
           [](CommandOptions& o) { return RunGet(o.phases); }},
          {"search", "The first phase of a topic, files in path order (Search)",
           [](CLI::App* c, CommandOptions& o) { SetupTask(c, o.phases, "TOPIC[:JOB]"); },
           [](CommandOptions& o) { return RunSearch(o.phases); }},
          {"children", "Phases that run after a task, in its file (Children)",
           [](CLI::App* c, CommandOptions& o) { SetupTask(c, o.phases, "TASK[:JOB]"); },
           [](CommandOptions& o) { return RunChildren(o.phases); }},
          {"next", "Next fire times of a task's cron rule and its rendered template",
           [](CLI::App* c, CommandOptions& o) {
             SetupTask(c, o.phases, "TASK[:JOB]");
             c->add_option("--from", o.phases.from,
                           "Start after this RFC 3339 time (default: now)");
             c->add_option("-n", o.phases.count, "How many fire times (default 5)")
                 ->check(CLI::Range(1, 1000));
           },
           [](CommandOptions& o) { return RunNext(o.phases); }},
          {"validate", "Every phase with a status; exit 1 when any is an error",
           [](CLI::App* c, CommandOptions& o) { SetupCommon(c, o.phases); },
           [](CommandOptions& o) { return RunValidate(o.phases); }},
          {"graph", "The dependency graph",
           [](CLI::App* c, CommandOptions& o) {
             SetupCommon(c, o.phases);
             c->add_option("--format", o.phases.format,
                           "dot (default) or mermaid; --json prints JSON");
           },
           [](CommandOptions& o) { return RunGraph(o.phases); }},
      },
  };
}

}  // namespace flowsync::cli
