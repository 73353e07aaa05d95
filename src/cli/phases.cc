#include "cli/phases.h"

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

#include "cli/cli.h"
#include "cli/context.h"
#include "cli/output.h"
#include "flowsync/cron.h"
#include "flowsync/phase_cache.h"
#include "phase/rule.h"
#include "phase/template.h"
#include "util/time_format.h"

namespace flowsync::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

struct PhaseOptions {
  GlobalFlags flags;
  bool json = false;
  bool no_refresh = false;
  int64_t max_retry = 10;
  std::string task;  // TASK[:JOB] or TOPIC
  std::optional<std::string> job;
  std::optional<std::string> workflow;
  std::string format = "dot";
  std::optional<std::string> from;
  int count = 5;
};

// An open cache over the context's root, backed by the database.
struct OpenCache {
  Context ctx;
  std::unique_ptr<Store> store;
  std::unique_ptr<PhaseStore> phases;
  std::unique_ptr<PhaseCache> cache;
  RefreshReport refresh;
};

Result<OpenCache> Open(const PhaseOptions& o) {
  OpenCache out;
  FS_TRY_ASSIGN(out.ctx, ResolveContext(o.flags));
  FS_TRY_ASSIGN(out.store, OpenContextStore(out.ctx, IfMissing::kCreate));
  FS_TRY_ASSIGN(out.phases, out.store->OpenPhaseStore());
  PhaseCacheOptions options;
  options.max_file_size = out.ctx.limits.max_file_size;
  options.max_retry = o.max_retry;
  FS_TRY_ASSIGN(out.cache, OpenPhaseCache(out.ctx.root, out.phases.get(), options));
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

Task ParseTask(const PhaseOptions& o) {
  Task t;
  size_t colon = o.task.find(':');
  t.type = o.task.substr(0, colon);
  if (colon != std::string::npos) t.job = o.task.substr(colon + 1);
  if (o.job) t.job = *o.job;
  t.meta = "workflow=" + o.workflow.value_or("*");
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

int PrintFound(const PhaseOptions& o, const std::optional<FoundPhase>& found,
               const std::string& what) {
  if (!found) {
    if (o.json) std::cout << "null" << std::endl;
    return Fail(Status::NotFound("no phase matches " + what));
  }
  if (o.json) {
    std::cout << PhaseJson(found->file, found->phase).dump(2) << std::endl;
  } else {
    PrintPhase(found->file, found->phase);
  }
  return kExitOk;
}

int RunGet(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  Task t = ParseTask(o);
  return PrintFound(o, c->cache->Get(t),
                    fmt::format("task '{}'{} in {}", t.type, t.job.empty() ? "" : " job " + t.job,
                                o.workflow ? "file " + *o.workflow : "any file"));
}

int RunSearch(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  Task t = ParseTask(o);
  return PrintFound(o, c->cache->Search(t.type, t.job),
                    fmt::format("topic '{}'{}", t.type, t.job.empty() ? "" : " job " + t.job));
}

int RunChildren(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  Task t = ParseTask(o);
  std::string file = o.workflow.value_or("");
  if (file.empty() || file == "*") {
    // Children look only in the parent's file: find it first.
    std::optional<FoundPhase> parent = c->cache->Get(t);
    if (!parent) return Fail(Status::NotFound("no phase matches task '" + o.task + "'"));
    file = parent->file;
  }
  t.meta = "workflow=" + file;
  std::vector<Phase> children = c->cache->Children(t);
  if (o.json) {
    Json arr = Json::array();
    for (const Phase& p : children) arr.push_back(PhaseJson(file, p));
    std::cout << arr.dump(2) << std::endl;
  } else {
    for (const Phase& p : children) PrintPhase(file, p);
  }
  return kExitOk;
}

// A status is an error when any of its "; "-separated messages is not a
// warning.
bool IsError(const std::string& status) {
  size_t start = 0;
  while (start < status.size()) {
    size_t end = status.find("; ", start);
    std::string part =
        status.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.rfind("warning:", 0) != 0) return true;
    if (end == std::string::npos) break;
    start = end + 2;
  }
  return false;
}

int RunValidate(const PhaseOptions& o) {
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  bool errors = !c->refresh.errors.empty();
  Json arr = Json::array();
  size_t phases = 0, problems = 0;
  for (const StoredPhaseFile& f : c->cache->Files()) {
    for (const Phase& p : f.phases) {
      ++phases;
      bool error = IsError(p.status);
      errors = errors || error;
      Json j = PhaseJson(f.key, p);
      j["severity"] = p.status.empty() ? "ok" : error ? "error" : "warning";
      arr.push_back(std::move(j));
      if (!p.status.empty()) {
        ++problems;
        if (!o.json) fmt::print("{}: {}: {}\n", f.key, p.task, p.status);
      }
    }
  }
  for (const PhaseFileError& e : c->refresh.errors) {
    Json j;
    j["file"] = e.key;
    j["severity"] = "error";
    j["status"] = e.status.message();
    arr.push_back(std::move(j));
    if (!o.json) fmt::print("{}\n", e.status.message());
  }
  if (o.json) {
    std::cout << arr.dump(2) << std::endl;
  } else {
    fmt::print("{} phases in {} files, {} with a status, {} unreadable file{}\n", phases,
               c->cache->Files().size(), problems, c->refresh.errors.size(),
               c->refresh.errors.size() == 1 ? "" : "s");
  }
  return errors ? kExitFailed : kExitOk;
}

// Edges of the dependency graph: parent -> child, within a file (as
// Children looks).
struct Edge {
  std::string file, from, to;
};

std::vector<Edge> Edges(const std::vector<StoredPhaseFile>& files) {
  std::vector<Edge> edges;
  for (const StoredPhaseFile& f : files) {
    for (const Phase& child : f.phases) {
      if (child.depends_on.empty()) continue;
      size_t colon = child.depends_on.find(':');
      std::string topic = child.depends_on.substr(0, colon);
      std::string job = colon == std::string::npos ? "" : child.depends_on.substr(colon + 1);
      for (const Phase& parent : f.phases) {
        if (parent.Topic() == topic && (job.empty() || parent.Job() == job)) {
          edges.push_back({f.key, parent.task, child.task});
        }
      }
    }
  }
  return edges;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

int RunGraph(const PhaseOptions& o) {
  if (o.format != "dot" && o.format != "mermaid" && o.format != "json") {
    return Fail(Status::InvalidArgument("--format must be dot, mermaid or json"));
  }
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  std::vector<StoredPhaseFile> files = c->cache->Files();
  std::vector<Edge> edges = Edges(files);
  if (o.format == "json" || o.json) {
    Json nodes = Json::array(), links = Json::array();
    for (const StoredPhaseFile& f : files) {
      for (const Phase& p : f.phases) nodes.push_back(PhaseJson(f.key, p));
    }
    for (const Edge& e : edges) links.push_back({{"file", e.file}, {"from", e.from}, {"to", e.to}});
    std::cout << Json{{"nodes", nodes}, {"edges", links}}.dump(2) << std::endl;
    return kExitOk;
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
    for (const Edge& e : edges) {
      fmt::print("  {} -> {};\n", Quote(e.file + ":" + e.from), Quote(e.file + ":" + e.to));
    }
    fmt::print("}}\n");
    return kExitOk;
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
  for (const Edge& e : edges) {
    fmt::print("  {} --> {}\n", ids[e.file + ":" + e.from], ids[e.file + ":" + e.to]);
  }
  return kExitOk;
}

// RFC 3339: "2024-02-27T13:45:00Z" or with "+01:00"/"-05:30".
std::optional<std::chrono::sys_seconds> ParseRfc3339(const std::string& text) {
  if (auto ms = ParseTimestampMs(text)) {
    return std::chrono::sys_seconds(std::chrono::seconds(*ms / 1000));
  }
  if (text.size() < 25) return std::nullopt;
  std::string offset = text.substr(text.size() - 6);
  if ((offset[0] != '+' && offset[0] != '-') || offset[3] != ':') return std::nullopt;
  auto base = ParseTimestampMs(text.substr(0, text.size() - 6) + "Z");
  if (!base) return std::nullopt;
  int hours = 0, minutes = 0;
  if (std::sscanf(offset.c_str() + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
  int64_t shift = (hours * 3600 + minutes * 60) * (offset[0] == '+' ? 1 : -1);
  return std::chrono::sys_seconds(std::chrono::seconds(*base / 1000 - shift));
}

std::string Rfc3339(std::chrono::sys_seconds t) {
  std::string s = FormatTimestampMs(t.time_since_epoch().count() * 1000);
  return s.substr(0, 19) + "Z";
}

int RunNext(const PhaseOptions& o) {
  std::chrono::sys_seconds from =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (o.from) {
    auto parsed = ParseRfc3339(*o.from);
    if (!parsed) {
      return Fail(Status::InvalidArgument("--from '" + *o.from +
                                          "': expected RFC 3339, e.g. 2024-02-27T13:45:00Z"));
    }
    from = *parsed;
  }
  auto c = Open(o);
  if (!c.ok()) return Fail(c.status());
  Task t = ParseTask(o);
  std::optional<FoundPhase> found = c->cache->Get(t);
  if (!found) return Fail(Status::NotFound("no phase matches task '" + o.task + "'"));
  auto rule = phase::ParseRule(found->phase.rule);
  if (!rule.ok()) {
    return Fail(Status::InvalidArgument(found->file + ": " + found->phase.task +
                                        ": invalid rule: " + rule.status().message()));
  }
  if (rule->cron.empty()) {
    return Fail(Status::NotFound(
        found->file + ": " + found->phase.task + " has no cron rule (it runs after " +
        (found->phase.depends_on.empty() ? "files" : found->phase.depends_on) + ")"));
  }
  auto schedule = CronSchedule::Parse(rule->cron);
  if (!schedule.ok()) {
    return Fail(
        Status::InvalidArgument("invalid cron: " + rule->cron + " " + schedule.status().message()));
  }
  Json fires = Json::array();
  std::chrono::sys_seconds at = from;
  for (int i = 0; i < o.count; ++i) {
    std::optional<std::chrono::sys_seconds> next = schedule->Next(at);
    if (!next) break;
    at = *next;
    // As flowlord: the task time is the fire time plus the offset, and a
    // cron-fired task renders in the process's local time.
    phase::TemplateOptions options;
    options.offset = rule->offset;
    options.utc_offset = phase::LocalUtcOffset;
    auto task_time = std::chrono::floor<std::chrono::seconds>(*next + rule->offset);
    std::string info =
        phase::RenderTimeTemplate(found->phase.template_text, phase::TemplateClock(*next), options);
    fires.push_back({{"fire", Rfc3339(*next)}, {"task_time", Rfc3339(task_time)}, {"info", info}});
  }
  if (o.json) {
    std::cout << Json{{"file", found->file},
                      {"task", found->phase.task},
                      {"cron", rule->cron},
                      {"time_zone",
                       schedule->time_zone().empty() ? "local" : schedule->time_zone()},
                      {"fires", fires}}
                     .dump(2)
              << std::endl;
  } else {
    fmt::print("{}  {}  cron {}\n", found->file, found->phase.task, rule->cron);
    for (const Json& f : fires) {
      fmt::print("  {}  {}\n", f["fire"].get<std::string>(), f["info"].get<std::string>());
    }
  }
  return kExitOk;
}

}  // namespace

void AddPhasesCommand(CLI::App* app, std::function<int()>* run) {
  static PhaseOptions o;  // lives as long as the parse and the handler
  CLI::App* phases = app->add_subcommand(
      "phases", "Answer dependency questions about phase workflows (flowlord compatible)");
  phases->require_subcommand(1);
  auto common = [](CLI::App* cmd) {
    cmd->add_option("--db", o.flags.db, "Database URL (as for sync)");
    cmd->add_option("--project", o.flags.project, "Project to work in");
    cmd->add_option("--root", o.flags.root,
                    "Tree of phase files (default: as for sync; a single .toml file also works)");
    cmd->add_option("--lock-timeout", o.flags.lock_timeout_s, "Seconds to wait for a writer");
    cmd->add_flag("--json", o.json, "Print JSON");
    cmd->add_flag("--no-refresh", o.no_refresh,
                  "Answer from the stored index without reading changed files first");
    cmd->add_option("--max-retry", o.max_retry, "Retries above this get a warning (default 10)");
  };
  auto task_args = [](CLI::App* cmd, const char* what) {
    cmd->add_option("task", o.task, what)->required();
    cmd->add_option("--job", o.job, "Job (instead of TASK:JOB)");
    cmd->add_option("--workflow", o.workflow,
                    "Only this phase file (its key, e.g. group/f3.toml); * means any");
  };
  struct Sub {
    const char* name;
    const char* help;
    const char* task_help;
    int (*handler)(const PhaseOptions&);
  };
  for (const Sub& s :
       {Sub{"get", "The phase of a task (flowlord Get)", "TASK[:JOB]", &RunGet},
        Sub{"search", "The first phase of a topic, files in path order (Search)", "TOPIC[:JOB]",
            &RunSearch},
        Sub{"children", "Phases that run after a task, in its file (Children)", "TASK[:JOB]",
            &RunChildren},
        Sub{"next", "Next fire times of a task's cron rule and its rendered template", "TASK[:JOB]",
            &RunNext}}) {
    CLI::App* cmd = phases->add_subcommand(s.name, s.help);
    common(cmd);
    task_args(cmd, s.task_help);
    if (s.handler == &RunNext) {
      cmd->add_option("--from", o.from, "Start after this RFC 3339 time (default: now)");
      cmd->add_option("-n", o.count, "How many fire times (default 5)")->check(CLI::Range(1, 1000));
    }
    auto handler = s.handler;
    cmd->callback([run, handler] { *run = [handler] { return handler(o); }; });
  }
  CLI::App* validate =
      phases->add_subcommand("validate", "Every phase with a status; exit 1 when any is an error");
  common(validate);
  validate->callback([run] { *run = [] { return RunValidate(o); }; });
  CLI::App* graph = phases->add_subcommand("graph", "The dependency graph");
  common(graph);
  graph->add_option("--format", o.format, "dot (default), mermaid or json");
  graph->callback([run] { *run = [] { return RunGraph(o); }; });
}

}  // namespace flowsync::cli
