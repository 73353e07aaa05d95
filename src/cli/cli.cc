// Main() and the top-level commands that work on a database of workflows
// (sync, status, list, show, log, rate, grant); the table is cli/command.h.
#include "cli/cli.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "flowsync/clock.h"
#include "flowsync/store.h"
#include "flowsync/sync.h"
#include "flowsync/watch.h"
#include "n8n/n8n_store.h"
#include "promote/workflow_selection.h"
#include "source/workflow_path.h"
#include "util/edit_distance.h"
#include "util/time_format.h"

namespace flowsync::cli {
namespace {

void PrintJson(const Json& j) { std::cout << DumpJson(j) << std::endl; }

// The database as users know it, also when a dry run planned against an
// empty in-memory stand-in (config::IfMissing::kEmpty).
std::string DbLabel(const config::Context& ctx, const Store& store) {
  std::string label = store.Describe();
  if (label == "sqlite::memory:" && ctx.db.path != ":memory:") {
    label = "sqlite:" + ctx.db.path + " (not created yet)";
  }
  return label;
}

}  // namespace

void AddRootOption(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--root", o.flags.root,
                  "The flowsync root (default: the nearest folder upwards holding .flowsync/ or "
                  "flowsync.toml)")
      ->type_name("DIR");
}

void AddTreeOptions(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("root", o.flags.root,
                  "Tree of workflow definitions (default: the nearest folder upwards holding "
                  ".flowsync/ or flowsync.toml)")
      ->type_name("DIR");
  AddRootOption(cmd, o);
  AddDbOptions(cmd, o);
}

void AddDbOptions(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--db", o.flags.db,
                  "Database: sqlite:PATH, sqlite:///ABS/PATH or a file path (SQLite); "
                  "postgresql://USER@HOST:PORT/DB?schema=S, 'host=H dbname=D' or "
                  "'service=NAME' (PostgreSQL, as libpq reads them; PG* variables fill in the "
                  "rest). Default: ROOT/.flowsync/flowsync.db; also $DATABASE_URL, flowsync.toml")
      ->type_name("URL");
  cmd->add_option("--lock-timeout", o.flags.lock_timeout_s,
                  "Seconds to wait for another writer before giving up (default 60)")
      ->check(LockTimeoutRange());
  cmd->add_option("--project", o.flags.project,
                  "Project to work in (default: $FLOWSYNC_PROJECT, flowsync.toml, else 'default')");
}

Result<Opened> OpenForCommand(config::Overrides flags, config::IfMissing if_missing) {
  flags.root_rule = config::RootRule::kDatabase;
  FS_TRY_ASSIGN(config::Context ctx, ResolveCommandContext(flags));
  FS_TRY_ASSIGN(std::unique_ptr<Store> store, config::OpenContextStore(ctx, if_missing));
  return Opened{std::move(ctx), std::move(store)};
}

Status ParsePrefer(const std::vector<std::string>& values, Prefer* prefer,
                   std::map<std::string, Prefer>* paths) {
  for (const std::string& v : values) {
    const size_t colon = v.find(':');
    const std::string side = v.substr(0, colon);
    Prefer p = side == "files" ? Prefer::kFiles : side == "db" ? Prefer::kDatabase : Prefer::kNone;
    if (p == Prefer::kNone || (colon != std::string::npos && colon + 1 == v.size())) {
      return Status::InvalidArgument(fmt::format(
          "--prefer '{}': expected files or db, for one workflow files:PATH or db:PATH", v));
    }
    if (colon == std::string::npos) {
      *prefer = p;
    } else {
      (*paths)[v.substr(colon + 1)] = p;
    }
  }
  return Status::OK();
}

namespace {

// ---- Progress bar ------------------------------------------------------------

// ---- sync ----------------------------------------------------------------------

void PrintSyncReport(const SyncReport& r, const config::Context& ctx, const std::string& db,
                     bool verbose) {
  for (const Change& c : r.changes) {
    if (c.kind != ChangeKind::kError) continue;
    // Messages already start with the path when the reader knew it.
    if (c.message.rfind(c.path, 0) == 0) {
      std::fprintf(stderr, "error: %s\n", DisplayText(c.message).c_str());
    } else {
      std::fprintf(stderr, "error: %s: %s\n", DisplayText(c.path).c_str(),
                   DisplayText(c.message).c_str());
    }
  }
  for (const Change& c : r.changes) {
    if (c.kind != ChangeKind::kConflict) continue;
    std::fprintf(stderr, "conflict: %s\n", DisplayText(c.message).c_str());
  }
  size_t missing = 0;
  for (const Change& c : r.changes) {
    if (c.kind == ChangeKind::kMissing) ++missing;
    if (c.kind == ChangeKind::kError || c.kind == ChangeKind::kMissing ||
        c.kind == ChangeKind::kConflict) {
      continue;
    }
    if (!verbose && !r.dry_run) continue;
    std::string verb(ChangeKindName(c.kind));
    if (r.dry_run) verb = "would be " + verb;
    if (c.kind == ChangeKind::kRenamed) {
      fmt::print("{:<20} {} -> {}\n", verb, DisplayText(c.old_path), DisplayText(c.path));
    } else {
      fmt::print("{:<20} {}\n", verb, DisplayText(c.path));
    }
  }
  if (verbose) {
    for (const IgnoredSource& i : r.ignored) {
      fmt::print("{:<20} {}: {}\n", "ignored", DisplayText(i.path), i.reason);
    }
  }
  fmt::print("{}{} sync of {} into {}: {} in {} ms\n", r.dry_run ? "dry run: " : "",
             SyncModeName(r.mode), ctx.root, db, CountsText(r.counts, r.ignored.size()),
             r.duration_ms);
  if (missing > 0) {
    fmt::print("{} stored workflow{} no longer on disk; `flowsync sync --full` deletes {}\n",
               missing, missing == 1 ? " is" : "s are", missing == 1 ? "it" : "them");
  }
  if (r.counts.database_changed > 0) {
    fmt::print(
        "{} workflow{} changed in the database, kept there; `flowsync pull` writes {} "
        "into the files\n",
        r.counts.database_changed, r.counts.database_changed == 1 ? "" : "s",
        r.counts.database_changed == 1 ? "it" : "them");
  }
  if (r.counts.conflicts > 0) {
    fmt::print(
        "{} conflict{} left alone; `flowsync diff` shows {}, `flowsync sync --prefer "
        "files|db` resolves {}\n",
        r.counts.conflicts, r.counts.conflicts == 1 ? "" : "s",
        r.counts.conflicts == 1 ? "it" : "them", r.counts.conflicts == 1 ? "it" : "them");
  }
  std::fflush(stdout);
}

// What a sync into n8n could not do as asked, per workflow, on stderr.
void PrintN8nNotes(const n8n::N8nSyncNotes& notes) {
  for (const n8n::N8nSyncNotes::Workflow& w : notes.workflows) {
    for (const std::string& note : w.notes) {
      std::fprintf(stderr, "n8n: %s (n8n id %s): %s\n", DisplayText(w.path).c_str(),
                   w.n8n_id.c_str(), DisplayText(note).c_str());
    }
  }
}

ExitCode RunSyncCommand(SyncCommand& o) {
  o.common.flags.root_rule = config::RootRule::kCurrentDir;  // sync makes roots
  SyncOptions options;
  if (Status s = ParsePrefer(o.prefer, &options.prefer, &options.prefer_paths); !s.ok()) {
    return Fail(s);
  }
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  SyncMode mode = o.full ? SyncMode::kFull : SyncMode::kIncremental;
  // Before opening: opening may create the database (inside the root, by
  // default), and a refused run writes nothing.
  Status root = CheckSyncRoot(RealFileSystem(), ctx->root, mode, o.force);
  if (!root.ok()) return Fail(root);
  auto store = config::OpenContextStore(
      *ctx, o.dry_run ? config::IfMissing::kEmpty : config::IfMissing::kCreate);
  if (!store.ok()) return Fail(store.status());
  auto* n8n_store = dynamic_cast<n8n::N8nStore*>(store->get());
  if (n8n_store != nullptr) {
    n8n_store->set_sync_options({o.n8n_project, o.strict});
  } else if (o.n8n_project || o.strict) {
    return Fail(Status::InvalidArgument(
        fmt::format("{} needs an n8n database (--db n8n+sqlite:PATH or n8n+postgresql://...)",
                    o.n8n_project ? "--n8n-project" : "--strict")));
  }

  bool tty = ::isatty(STDOUT_FILENO) && ::isatty(STDERR_FILENO);
  ProgressLine bar(tty && !o.common.json && !o.watch);
  options.root = ctx->root;
  options.mode = mode;
  options.dry_run = o.dry_run;
  options.force = o.force;
  options.limits = ctx->limits;
  options.threads = o.threads;
  // A summary prints only errors, conflicts and missing sources: a run that
  // adds a million workflows need not hold a million changes for it.
  options.report_every_change = o.verbose || o.dry_run || o.common.json;
  options.progress = [&bar](SyncStage stage, size_t done, size_t total) {
    switch (stage) {
      case SyncStage::kWalk:
        return bar.Set("walking the tree", 0, 0);
      case SyncStage::kRead:
        return bar.Set("reading", done, total);
      case SyncStage::kCommit:
        return bar.Set("committing", 0, 0);
    }
  };
  std::string db = DbLabel(*ctx, **store);

  auto emit = [&](const SyncReport& r) {
    bar.Clear();
    if (n8n_store != nullptr && !r.dry_run) PrintN8nNotes(n8n_store->notes());
    if (o.common.json) {
      std::cout << DumpJson(SyncReportJson(r), -1) << std::endl;
    } else {
      PrintSyncReport(r, *ctx, db, o.verbose);
    }
  };

  if (o.watch) {
    if (o.dry_run) return Fail(Status::InvalidArgument("--watch and --dry-run do not go together"));
    WatchOptions w;
    w.debounce_ms = o.debounce_ms;
    w.interval_s = o.interval_s;
    WatchCallbacks callbacks;
    callbacks.on_state = [&](const WatchState& state) {
      if (o.common.json) {
        std::cout << DumpJson(WatchStateJson(state), -1) << std::endl;
      } else if (state.problem.empty()) {
        fmt::print(
            "watching {} ({} folders; changes synced within {} ms, full check every {} s); "
            "Ctrl-C stops\n",
            ctx->root, state.folders, w.debounce_ms, w.interval_s);
        std::fflush(stdout);
      }
      if (!state.problem.empty()) {
        std::fprintf(stderr, "flowsync: warning: %s\n", state.problem.c_str());
      }
    };
    std::string last_error;  // said by on_run: a run that stops the watch is said once
    bool overflow_said = false;
    callbacks.on_run = [&](const WatchRun& run, const Result<SyncReport>& r) {
      if (run.trigger == WatchTrigger::kOverflow && !overflow_said) {
        overflow_said = true;
        std::fprintf(stderr, "flowsync: warning: %s\n", WatchOverflowAdvice().c_str());
      }
      if (!r.ok()) {
        last_error = r.status().message();
        std::fprintf(stderr, "flowsync: error: %s\n", last_error.c_str());
      } else if (o.common.json) {
        Json j = SyncReportJson(*r);
        j["watch"] = WatchRunJson(run);
        std::cout << DumpJson(j, -1) << std::endl;
      } else {
        emit(*r);
      }
    };
    Status s = WatchAndSync(**store, options, w, callbacks);
    if (!s.ok() && s.message() == last_error) return ExitCodeFor(s.code());
    if (!s.ok()) return Fail(s);
    return ExitCode::kOk;
  }

  auto report = RunSync(**store, options);
  bar.Clear();
  if (!report.ok()) return Fail(report.status());
  emit(*report);
  if (report->counts.errors > 0) return ExitCode::kFailed;
  return report->counts.conflicts > 0 ? ExitCode::kConflict : ExitCode::kOk;
}

void SetupSync(CLI::App* cmd, SyncCommand& o) {
  cmd->add_option("root", o.common.flags.root,
                  "Tree of workflow definitions, the root (default: the nearest folder upwards "
                  "holding .flowsync/ or flowsync.toml, else the current folder, which becomes "
                  "one)")
      ->type_name("DIR");
  AddDbOptions(cmd, o.common);
  cmd->add_flag("--full", o.full, "Also soft-delete workflows whose source is gone");
  cmd->add_flag("-n,--dry-run", o.dry_run, "Print what would change; write nothing");
  cmd->add_flag("--force", o.force,
                "Sync even when a guard rail refuses (missing root, mass deletion)");
  cmd->add_flag("--json", o.common.json, "Print one JSON object per run");
  cmd->add_flag("-v,--verbose", o.verbose,
                "List every change and every file ignored (with why), not only the summary");
  cmd->add_option("--max-file-size", o.common.flags.max_file_size,
                  "Largest file read, e.g. 64MB (the default), 512KB");
  cmd->add_option("--threads", o.threads, "File readers (default: one per core)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("-w,--watch", o.watch, "Keep syncing on file changes until SIGINT/SIGTERM");
  cmd->add_option("--n8n-project", o.n8n_project,
                  "With --db n8n+...: the n8n project (name or id) that owns new workflows "
                  "(default: the instance owner's personal project)");
  cmd->add_option("--prefer", o.prefer,
                  "Resolve conflicts (a workflow changed in the files and in the database since "
                  "they last agreed): files stores the file's content, db keeps the database's "
                  "(for `flowsync pull`); files:PATH or db:PATH for one workflow. Without it a "
                  "conflict is left alone and the exit status is 6")
      ->type_name("files|db")
      ->take_all();
  cmd->add_flag("--strict", o.strict,
                "With --db n8n+...: refuse the sync when a node's credential has no match "
                "(by type and name) in the target n8n");
  cmd->add_option("--interval", o.interval_s,
                  "With --watch: seconds between safety-net syncs (default 300; 0 = never)")
      ->check(CLI::Range(0, 86400 * 7));
  cmd->add_option("--debounce", o.debounce_ms,
                  "With --watch: longest wait, in milliseconds, while changes keep coming "
                  "(default 300; a lone change is synced at once)")
      ->check(CLI::Range(0, 600000));
  cmd->footer(
      "Workflows: a folder holding workflow.json (a bundle); a *.json n8n export of one "
      "workflow, or an array of them (n8n export:workflow --all), each stored as FILE#ID by "
      "its id; a *.toml file of [[phase]] tables. Other JSON and TOML files are ignored: "
      "counted in the summary, listed with -v.");
}

// ---- status ----------------------------------------------------------------

ExitCode RunStatusCommand(StatusCommand& o) {
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  auto store = config::OpenContextStore(*ctx, config::IfMissing::kEmpty);
  if (!store.ok()) return Fail(store.status());
  SyncOptions options;
  options.root = ctx->root;
  options.mode = SyncMode::kFull;  // show what is gone, as git shows deletions
  options.dry_run = true;
  options.force = true;  // status reports; the guard rails belong to sync
  options.limits = ctx->limits;
  auto report = RunSync(**store, options);
  if (!report.ok()) return Fail(report.status());
  bool clean = report->changes.empty();
  if (o.common.json) {
    PrintJson(StatusJson(*report));
  } else {
    auto last = (*store)->catalog().LastRun();
    fmt::print("database {}\n", DbLabel(*ctx, **store));
    if (last.ok() && last->has_value()) {
      fmt::print("last sync: run {} ({}) at {}\n", (*last)->id, (*last)->mode,
                 (*last)->finished_at);
    } else {
      fmt::print("never synced\n");
    }
    if (clean) {
      fmt::print("nothing to sync: {} workflow{} up to date\n", report->counts.unchanged,
                 report->counts.unchanged == 1 ? "" : "s");
    } else {
      bool header = false;
      for (const Change& c : report->changes) {
        if (c.kind == ChangeKind::kError || c.kind == ChangeKind::kDatabaseChanged ||
            c.kind == ChangeKind::kConflict) {
          continue;
        }
        if (!header) {
          fmt::print("\nchanges a sync would make (`flowsync sync`; deletions need --full):\n");
          header = true;
        }
        std::string kind(c.kind == ChangeKind::kDeleted ? "deleted" : ChangeKindName(c.kind));
        if (c.kind == ChangeKind::kRenamed) {
          fmt::print("  {:<10} {} -> {}\n", kind + ":", DisplayText(c.old_path),
                     DisplayText(c.path));
        } else {
          fmt::print("  {:<10} {}\n", kind + ":", DisplayText(c.path));
        }
      }
      header = false;
      for (const Change& c : report->changes) {
        if (c.kind != ChangeKind::kDatabaseChanged) continue;
        if (!header) {
          fmt::print(
              "\nchanged in the database (`flowsync pull` writes them into the files; a sync "
              "keeps them):\n");
        }
        header = true;
        fmt::print("  {}: {}\n", DisplayText(c.path), DisplayText(c.message));
      }
      header = false;
      for (const Change& c : report->changes) {
        if (c.kind != ChangeKind::kConflict) continue;
        if (!header) {
          fmt::print(
              "\nconflicts, changed on both sides (`flowsync diff` shows them; `flowsync sync "
              "--prefer files|db` resolves them):\n");
        }
        header = true;
        fmt::print("  {}\n", DisplayText(c.message));
      }
      header = false;
      for (const Change& c : report->changes) {
        if (c.kind != ChangeKind::kError) continue;
        if (!header) fmt::print("\nfiles that fail to read:\n");
        header = true;
        fmt::print("  {}\n", c.message.rfind(c.path, 0) == 0
                                 ? DisplayText(c.message)
                                 : DisplayText(c.path) + ": " + DisplayText(c.message));
      }
    }
  }
  return (o.exit_code && !clean) ? ExitCode::kFailed : ExitCode::kOk;
}

void SetupStatus(CLI::App* cmd, StatusCommand& o) {
  AddTreeOptions(cmd, o.common);
  cmd->add_flag("--json", o.common.json, "Print one JSON object");
  cmd->add_flag("--exit-code", o.exit_code, "Exit with status 1 when a sync would change anything");
  cmd->add_option("--max-file-size", o.common.flags.max_file_size, "Largest file read");
}

// ---- list ------------------------------------------------------------------

ExitCode RunListCommand(ListCommand& o) {
  auto opened = OpenForCommand(o.common.flags, config::IfMissing::kFail);
  if (!opened.ok()) return Fail(opened.status());
  Store* store = opened->store.get();
  ListFilter filter;
  filter.deleted = o.all       ? ListFilter::Deleted::kInclude
                   : o.deleted ? ListFilter::Deleted::kOnly
                               : ListFilter::Deleted::kExclude;
  filter.category = o.category;
  auto rows = store->catalog().ListWorkflows(filter);
  if (!rows.ok()) return Fail(rows.status());
  if (o.common.json) {
    Json arr = Json::array();
    for (const WorkflowSummary& s : *rows) arr.push_back(SummaryJson(s));
    PrintJson(arr);
    return ExitCode::kOk;
  }
  // Every column lines up. Only a terminal gets names cut to fit: a pipe
  // gets them whole.
  const bool tty = ::isatty(STDOUT_FILENO);
  constexpr size_t kMaxNameOnTerminal = 40;
  auto shown_name = [](const WorkflowSummary& s) {
    return (s.deleted_at ? "[deleted] " : "") + DisplayText(s.name);
  };
  size_t name_width = 0, path_width = 0;
  for (const WorkflowSummary& s : *rows) {
    size_t width = DisplayColumns(shown_name(s));
    name_width = std::max(name_width, tty ? std::min(width, kMaxNameOnTerminal) : width);
    path_width = std::max(path_width, DisplayColumns(DisplayText(s.path)));
  }
  for (const WorkflowSummary& s : *rows) {
    std::string cats;
    // One line per workflow, whatever the names hold.
    for (const std::string& c : s.categories) cats += (cats.empty() ? "" : ",") + DisplayText(c);
    std::string line =
        fmt::format("{}  {:<6} {}  {}  {}", s.id.substr(0, 8), FormatName(s.format),
                    Fit(shown_name(s), name_width), Fit(DisplayText(s.path), path_width),
                    cats.empty() ? "" : "[" + cats + "]");
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  }
  if (rows->empty() && tty) fmt::print("no workflows\n");
  return ExitCode::kOk;
}

void SetupList(CLI::App* cmd, ListCommand& o) {
  AddRootOption(cmd, o.common);
  AddDbOptions(cmd, o.common);
  cmd->add_flag("--json", o.common.json, "Print a JSON array");
  auto* deleted = cmd->add_flag("--deleted", o.deleted, "Only soft-deleted workflows");
  auto* all = cmd->add_flag("--all", o.all, "Live and soft-deleted workflows");
  deleted->excludes(all);
  cmd->add_option("--category", o.category, "Only workflows in this category");
}

// ---- show ------------------------------------------------------------------

// NotFound naming the stored workflows of the array export at `query`, if
// it is one; OK otherwise.
Status RefuseArrayExport(Store& store, const std::string& query) {
  const std::string file = NormaliseWorkflowQuery(query);
  if (FileFormatForName(file.substr(file.rfind('/') + 1)) != Format::kN8n) return Status::OK();
  FS_TRY_ASSIGN(std::vector<WorkflowSummary> rows, store.catalog().ListWorkflows({}));
  std::vector<std::string> keys;
  for (const WorkflowSummary& s : rows) {
    if (ElementFile(s.path) == std::string_view(file)) keys.push_back(s.path);
  }
  if (keys.empty()) return Status::OK();
  return Status::NotFound(fmt::format(
      "no workflow '{}': it is an n8n array export, whose workflows are stored one by one as {}",
      file, fmt::join(keys, ", ")));
}

}  // namespace

std::string WorkflowQuery(const config::Context& ctx, const std::string& arg) {
  if (ctx.root.empty()) return arg;
  const FileSystem& fs = RealFileSystem();
  Result<FileInfo> info = fs.Stat(arg);
  if (!info.ok()) return arg;
  Result<SourceCandidate> candidate = CandidateForArgument(ctx.root, arg, *info, fs);
  return candidate.ok() ? candidate->key : arg;
}

Result<WorkflowDetail> FindOrFail(Store& store, const config::Context& ctx,
                                  const std::string& arg) {
  const std::string query = WorkflowQuery(ctx, arg);
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> d, store.catalog().FindWorkflow(query));
  if (d) return std::move(*d);
  FS_TRY(RefuseArrayExport(store, query));
  if (!query.empty() && query.size() < kMinIdPrefixLength &&
      query.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos) {
    return Status::InvalidArgument(fmt::format(
        "no workflow '{}': an id prefix needs at least {} characters (see `flowsync list`)", arg,
        kMinIdPrefixLength));
  }
  return Status::NotFound(fmt::format(
      "no workflow '{}' (give an id, a unique id prefix of {} or more characters or a path; see "
      "`flowsync list`)",
      arg, kMinIdPrefixLength));
}

Result<WorkflowDetail> FindSyncedOrFail(Store& store, const config::Context& ctx,
                                        const std::string& arg) {
  Catalog& synced = store.synced_catalog();
  if (&synced == &store.catalog()) return FindOrFail(store, ctx, arg);
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> d, synced.FindWorkflow(WorkflowQuery(ctx, arg)));
  if (d) return std::move(*d);
  FS_TRY_ASSIGN(WorkflowDetail there, FindOrFail(store, ctx, arg));
  FS_TRY_ASSIGN(std::optional<std::string> id, store.catalog().SyncedId(there.summary.id));
  if (id) {
    FS_TRY_ASSIGN(d, synced.FindWorkflow(*id));
  }
  if (d) return std::move(*d);
  return Status::NotFound(fmt::format(
      "{} ({}) is not synced by flowsync yet, so it has no stored versions, log or ratings: a "
      "`flowsync sync` brings in the workflows made in n8n",
      DisplayText(there.summary.name), there.summary.id));
}

namespace {

// `show WORKFLOW --version N`: one stored version, or its content.
ExitCode ShowVersion(Store& store, const WorkflowDetail& d, int64_t version, const ShowCommand& o) {
  auto v = store.synced_catalog().ReadVersion(d.summary.id, version);
  if (!v.ok()) return Fail(v.status());
  if (!v->has_value()) {
    return Fail(Status::NotFound(fmt::format(
        "workflow {} has no version {}: its versions are 1 to {} (see `flowsync show {}`)",
        DisplayText(d.summary.path), version, d.summary.version, d.summary.id)));
  }
  const WorkflowVersion& w = **v;
  if (o.content) {
    std::cout << w.content;
    return ExitCode::kOk;
  }
  if (o.common.json) {
    Json j = VersionJson(w);
    j["id"] = d.summary.id;
    j["content"] = w.content;
    Json metadata = Json::parse(w.metadata_json, nullptr, /*allow_exceptions=*/false);
    j["metadata"] = metadata.is_discarded() ? Json::object() : metadata;
    j["documentation"] = w.documentation;
    PrintJson(j);
    return ExitCode::kOk;
  }
  fmt::print("id:          {}\n", d.summary.id);
  fmt::print("version:     {} of {}{}\n", w.version, d.summary.version,
             w.current ? " (current)" : "");
  fmt::print("name:        {}\n", DisplayText(w.name));
  fmt::print("path:        {}\n", DisplayText(w.path));
  fmt::print("hash:        {}\n", w.content_hash);
  fmt::print("stored:      {}\n", w.valid_from);
  if (w.replaced_at) fmt::print("replaced:    {}\n", *w.replaced_at);
  fmt::print("content:     {} bytes (`--content` prints it)\n", w.content.size());
  return ExitCode::kOk;
}

ExitCode RunShowCommand(ShowCommand& o) {
  o.common.flags.paths = {o.workflow};  // the root is found from it too
  auto opened = OpenForCommand(o.common.flags, config::IfMissing::kFail);
  if (!opened.ok()) return Fail(opened.status());
  Store* store = opened->store.get();
  auto d = o.version ? FindSyncedOrFail(*store, opened->ctx, o.workflow)
                     : FindOrFail(*store, opened->ctx, o.workflow);
  if (!d.ok()) return Fail(d.status());
  if (o.version) return ShowVersion(*store, *d, *o.version, o);
  if (o.content) {
    std::cout << d->content;
    return ExitCode::kOk;
  }
  if (o.common.json) {
    PrintJson(DetailJson(*d));
    return ExitCode::kOk;
  }
  const WorkflowSummary& s = d->summary;
  std::string cats;
  for (const std::string& c : s.categories) cats += (cats.empty() ? "" : ", ") + c;
  fmt::print("id:          {}\n", s.id);
  fmt::print("name:        {}\n", DisplayText(s.name));
  fmt::print("path:        {}\n", DisplayText(s.path));
  fmt::print("format:      {}\n", FormatName(s.format));
  if (s.source_id) fmt::print("source id:   {}\n", *s.source_id);
  fmt::print("active:      {}\n", s.active ? "yes" : "no");
  if (s.deleted_at) fmt::print("deleted at:  {}\n", *s.deleted_at);
  fmt::print("categories:  {}\n", cats.empty() ? "-" : cats);
  fmt::print("hash:        {}\n", s.content_hash);
  fmt::print("version:     {} ({} earlier version{} stored{})\n", s.version, d->stored_versions,
             d->stored_versions == 1 ? "" : "s", d->stored_versions > 0 ? ":" : "");
  if (d->stored_versions > 0) {
    auto versions = store->catalog().ListVersions(s.id);
    if (!versions.ok()) return Fail(versions.status());
    for (auto v = versions->rbegin(); v != versions->rend(); ++v) {
      fmt::print("  {:>4}  {}  {}{}\n", v->version, v->valid_from, DisplayText(v->path),
                 v->path == s.path ? "" : "  (then)");
    }
  }
  fmt::print("created:     {}\n", s.created_at);
  fmt::print("updated:     {}\n", s.updated_at);
  fmt::print("ratings:     {} up, {} down\n", d->thumbs_up, d->thumbs_down);
  if (d->metadata_json != "{}") fmt::print("metadata:    {}\n", d->metadata_json);
  if (!d->documentation.empty()) {
    fmt::print("readme:      {} bytes\n", d->documentation.size());
  }
  if (!d->phases.empty()) {
    fmt::print("phases:\n");
    for (const PhaseEntry& p : d->phases) {
      fmt::print("  line {:<4} task={} depends_on={} rule={} retry={}\n", p.line, p.task,
                 p.depends_on.empty() ? "-" : p.depends_on, p.rule.empty() ? "-" : p.rule, p.retry);
    }
  }
  if (d->findings.empty()) {
    fmt::print("findings:    none\n");
  } else {
    fmt::print("findings:\n");
    for (const Finding& f : d->findings) {
      fmt::print("  {}: {} [{}] {}\n", SeverityName(f.severity), f.location, f.code, f.message);
    }
  }
  return ExitCode::kOk;
}

void SetupShow(CLI::App* cmd, ShowCommand& o) {
  cmd->add_option("workflow", o.workflow, "Id, unique id prefix (4+ characters) or path")
      ->required()
      ->type_name("PATH");
  AddRootOption(cmd, o.common);
  AddDbOptions(cmd, o.common);
  cmd->add_flag("--json", o.common.json, "Print one JSON object");
  cmd->add_flag("--content", o.content, "Print the stored definition itself");
  cmd->add_option("--version", o.version,
                  "A stored version instead of the current one (1 is the first content)")
      ->check(NumberRange(1, INT64_MAX));
}

// ---- log -------------------------------------------------------------------

ExitCode RunLogCommand(LogCommand& o) {
  if (o.workflow) o.common.flags.paths = {*o.workflow};
  auto opened = OpenForCommand(o.common.flags, config::IfMissing::kFail);
  if (!opened.ok()) return Fail(opened.status());
  Store* store = opened->store.get();
  std::optional<std::string> id;
  if (o.workflow) {
    auto d = FindSyncedOrFail(*store, opened->ctx, *o.workflow);
    if (!d.ok()) return Fail(d.status());
    id = d->summary.id;
  }
  auto log = store->catalog().ReadLog(o.limit, id);
  if (!log.ok()) return Fail(log.status());
  if (o.common.json) {
    Json arr = Json::array();
    for (const LogRecord& r : *log) arr.push_back(LogJson(r));
    PrintJson(arr);
    return ExitCode::kOk;
  }
  for (const LogRecord& r : *log) {
    std::string what = r.event == SyncEvent::kRenamed
                           ? DisplayText(r.old_path) + " -> " + DisplayText(r.path)
                           : DisplayText(r.path);
    if (!r.message.empty()) {
      // Error messages usually start with the path already.
      what = r.message.rfind(r.path, 0) == 0 ? DisplayText(r.message)
                                             : what + ": " + DisplayText(r.message);
    }
    fmt::print("{}  run {:<4} {:<8} {}\n", r.time, r.run_id, SyncEventName(r.event), what);
  }
  return ExitCode::kOk;
}

void SetupLog(CLI::App* cmd, LogCommand& o) {
  AddRootOption(cmd, o.common);
  AddDbOptions(cmd, o.common);
  cmd->add_flag("--json", o.common.json, "Print a JSON array");
  cmd->add_option("-n,--limit", o.limit, "Newest N events (default 50; 0 = all)")
      ->check(NumberRange(0, 1'000'000'000));
  cmd->add_option("--workflow", o.workflow, "Only events of this workflow (id, prefix or path)")
      ->type_name("PATH");
}

// ---- rate ------------------------------------------------------------------

ExitCode RunRateCommand(RateCommand& o) {
  o.common.flags.paths = {o.workflow};  // the root is found from it too
  auto opened = OpenForCommand(o.common.flags, config::IfMissing::kFail);
  if (!opened.ok()) return Fail(opened.status());
  Store* store = opened->store.get();
  auto d = FindSyncedOrFail(*store, opened->ctx, o.workflow);
  if (!d.ok()) return Fail(d.status());
  int value = o.value == "up" ? 1 : -1;
  Status s = store->Rate(d->summary.id, o.user, value, FormatTimestampMs(SystemClock().NowMs()));
  if (!s.ok()) return Fail(s);
  if (o.common.json) {
    PrintJson({{"id", d->summary.id}, {"user", o.user}, {"rating", o.value}});
  } else {
    fmt::print("{} rated {} ({}) {}\n", o.user, d->summary.name, d->summary.path, o.value);
  }
  return ExitCode::kOk;
}

void SetupRate(CLI::App* cmd, RateCommand& o) {
  cmd->add_option("workflow", o.workflow, "Id, unique id prefix or path")
      ->required()
      ->type_name("PATH");
  cmd->add_option("rating", o.value, "up or down")
      ->required()
      ->check(CLI::IsMember({"up", "down"}));
  cmd->add_option("-u,--user", o.user, "Who rates")->required()->check([](const std::string& u) {
    return u.empty() ? std::string("the user name must not be empty") : std::string();
  });
  AddRootOption(cmd, o.common);
  AddDbOptions(cmd, o.common);
  cmd->add_flag("--json", o.common.json, "Print one JSON object");
}

// ---- grant -----------------------------------------------------------------

ExitCode RunGrantCommand(GrantCommand& o) {
  o.common.flags.root_rule = config::RootRule::kDatabase;
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  if (ctx->db.kind != DatabaseUrl::Kind::kPostgres) {
    // Refuse before opening: opening would create an SQLite file. A usage
    // error: the command does not apply to this kind of database.
    return Fail(Status::InvalidArgument(
        "projects are granted to database roles, which SQLite does not have; use PostgreSQL"));
  }
  auto store = config::OpenContextStore(*ctx, config::IfMissing::kCreate);
  if (!store.ok()) return Fail(store.status());
  Status s = (*store)->GrantProject(o.project, o.role, o.revoke);
  if (!s.ok()) return Fail(s);
  fmt::print("{} role {} {} project {}\n", o.revoke ? "revoked:" : "granted:", o.role,
             o.revoke ? "may no longer use" : "may now read and write", o.project);
  return ExitCode::kOk;
}

void SetupGrant(CLI::App* cmd, GrantCommand& o) {
  cmd->add_option("project", o.project, "Project name")->required();
  cmd->add_option("role", o.role, "PostgreSQL role (its members inherit the grant)")->required();
  cmd->add_flag("--revoke", o.revoke, "Take the grant back");
  AddRootOption(cmd, o.common);
  AddDbOptions(cmd, o.common);
}

// ---- help --------------------------------------------------------------------

// The words of `args` (the command line without the program name) up to
// the first option, checked against the table as far as they name commands:
// the rows they name, or InvalidArgument for a word that names none, with
// the nearest commands as git suggests them ("unknown command 'synk'; did
// you mean `sync`?"), or, when `to_run`, for a command with sub-commands
// given none. Words after a row without sub-commands are its arguments.
Result<std::vector<const Command*>> CommandsNamed(const std::vector<std::string>& args,
                                                  bool to_run) {
  std::vector<const Command*> chosen;
  const std::vector<Command>* rows = &CommandTable();
  std::string prefix;  // "migrate " below `migrate`
  for (const std::string& word : args) {
    if (word.starts_with("-")) return chosen;  // CLI11 reads options, --help included
    auto row =
        std::find_if(rows->begin(), rows->end(), [&](const Command& r) { return word == r.name; });
    if (row == rows->end()) {
      std::vector<std::string> names;
      for (const Command& r : *rows) names.push_back(r.name);
      std::vector<std::string> near = NearestWords(word, names);
      for (std::string& n : near) n = prefix + n;
      std::string help = "flowsync help " + prefix;
      help.pop_back();
      return Status::InvalidArgument(
          fmt::format("unknown command '{}{}'{} (`{}` lists the commands)", prefix, word,
                      near.empty() ? "" : "; did you mean " + JoinAlternatives(near) + "?", help));
    }
    chosen.push_back(&*row);
    if (row->subcommands.empty()) return chosen;
    rows = &row->subcommands;
    prefix += word + " ";
  }
  if (to_run && rows != &CommandTable()) {
    const std::string group = prefix.substr(0, prefix.size() - 1);  // "phases"
    std::string names;
    for (const Command& r : *rows) names += (names.empty() ? "" : ", ") + std::string(r.name);
    return Status::InvalidArgument(fmt::format(
        "`flowsync {0}` needs a sub-command: {1} (`flowsync help {0}` says more)", group, names));
  }
  return chosen;
}

ExitCode RunHelpCommand(HelpCommand& o, const CLI::App& program) {
  auto named = CommandsNamed(o.topic, /*to_run=*/false);
  if (!named.ok()) return Fail(named.status());
  // As CLI11 prints `flowsync COMMAND --help`, the usage line naming the
  // path; through the formatter, as App::help() would show the help of the
  // command that runs, `help` itself.
  const CLI::App* app = &program;
  std::string path = app->get_name();
  for (const Command* row : *named) {
    app = app->get_subcommand(row->name);
    path += " " + app->get_name();
  }
  std::cout << app->get_formatter()->make_help(app, path, CLI::AppFormatMode::Normal);
  return ExitCode::kOk;
}

void SetupHelp(CLI::App* cmd, HelpCommand& o) {
  cmd->add_option("command", o.topic, "The command, e.g. sync, or migrate up");
}

// ---- The table -------------------------------------------------------------

// Adds `rows` as sub-commands of `parent`, and each row that runs, with its
// CLI11 sub-command, to `runnable`.
void AddCommands(CLI::App* parent, const std::vector<Command>& rows, CommandOptions& options,
                 std::vector<std::pair<CLI::App*, const Command*>>& runnable) {
  for (const Command& row : rows) {
    CLI::App* sub = parent->add_subcommand(row.name, row.help);
    if (row.setup != nullptr) row.setup(sub, options);
    if (!row.subcommands.empty()) {
      sub->require_subcommand(1);
      AddCommands(sub, row.subcommands, options, runnable);
    }
    if (row.run != nullptr) runnable.emplace_back(sub, &row);
  }
}

// "flowsync migrate up": the command a parse error belongs to.
std::string ParsedCommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* cur = &app; !cur->get_subcommands().empty();) {
    cur = cur->get_subcommands().front();
    path += " " + cur->get_name();
  }
  return path;
}

// CLI11's message for a bad option, as flowsync's own errors read: "flowsync:
// error: --limit: expected a number from 0 to 1000000000, got '-3' (see
// `flowsync log --help`)".
ExitCode OptionError(const CLI::App& app, const CLI::ParseError& e) {
  std::string message = e.what();
  if (message.size() > 1 && std::isupper(static_cast<unsigned char>(message[0])) &&
      std::islower(static_cast<unsigned char>(message[1]))) {
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  }
  std::fprintf(stderr, "flowsync: error: %s (see `%s --help`)\n", message.c_str(),
               ParsedCommandPath(app).c_str());
  return ExitCode::kUsage;
}

}  // namespace

Result<config::Context> ResolveCommandContext(const config::Overrides& flags) {
  return config::ResolveContext(flags, config::Environment::Current());
}

CLI::Validator NumberRange(int64_t min, int64_t max) {
  return CLI::Validator(
      [min, max](const std::string& text) {
        char* end = nullptr;
        double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !(value >= static_cast<double>(min)) ||
            !(value <= static_cast<double>(max))) {
          return fmt::format("expected a number from {} to {}, got '{}'", min, max, text);
        }
        return std::string();
      },
      fmt::format("{}..{}", min, max), "number range");
}

const std::vector<Command>& CommandTable() {
  static const std::vector<Command> table = {
      {"sync", "Mirror a tree of workflow definitions into the database",
       [](CLI::App* c, CommandOptions& o) { SetupSync(c, o.sync); },
       [](CommandOptions& o) { return RunSyncCommand(o.sync); }},
      {"status",
       "Show what a sync would change, what changed in the database and what changed on both "
       "sides, like git status",
       [](CLI::App* c, CommandOptions& o) { SetupStatus(c, o.status); },
       [](CommandOptions& o) { return RunStatusCommand(o.status); }},
      {"list", "List stored workflows",
       [](CLI::App* c, CommandOptions& o) { SetupList(c, o.list); },
       [](CommandOptions& o) { return RunListCommand(o.list); }},
      {"show", "Show one workflow: metadata, categories, ratings, versions, findings",
       [](CLI::App* c, CommandOptions& o) { SetupShow(c, o.show); },
       [](CommandOptions& o) { return RunShowCommand(o.show); }},
      DiffCommandRow(),
      PullCommandRow(),
      RestoreCommandRow(),
      {"log", "Show the sync audit log, newest first",
       [](CLI::App* c, CommandOptions& o) { SetupLog(c, o.log); },
       [](CommandOptions& o) { return RunLogCommand(o.log); }},
      {"rate", "Rate a workflow thumbs up or down",
       [](CLI::App* c, CommandOptions& o) { SetupRate(c, o.rate); },
       [](CommandOptions& o) { return RunRateCommand(o.rate); }},
      {"grant", "Let a PostgreSQL role read and write a project (row-level security)",
       [](CLI::App* c, CommandOptions& o) { SetupGrant(c, o.grant); },
       [](CommandOptions& o) { return RunGrantCommand(o.grant); }},
      PhasesCommandRow(),
      MigrationCommandRow(),
      MigrateCommandRow(),
      RunCommandRow(),
      FileCommandRow(),
      WorkerCommandRow(),
      WorkersCommandRow(),
      SchedulerCommandRow(),
      ExecutionsCommandRow(),
      VarCommandRow(),
      ServeCommandRow(),
      TokenCommandRow(),
      WebhookCommandRow(),
      {"help", "Show the help of a command (`flowsync help migrate up`), or this one",
       [](CLI::App* c, CommandOptions& o) { SetupHelp(c, o.help); },
       [](CommandOptions& o) { return RunHelpCommand(o.help, *o.app); }},
      CompletionCommandRow(),
      ManCommandRow(),
  };
  return table;
}

int Main(int argc, char** argv) {
  CLI::App app(
      "flowsync: mirror workflow definitions (n8n exports, bundles, phase files) into "
      "a database",
      "flowsync");
  app.set_version_flag("--version", kVersionText);
  app.require_subcommand(1);
  app.footer(ExitCodeHelp() + "\nRun `flowsync help COMMAND` for a command's options.");
  CommandOptions options;
  options.app = &app;
  std::vector<std::pair<CLI::App*, const Command*>> runnable;
  AddCommands(&app, CommandTable(), options, runnable);
  // Commands are checked against the table first: CLI11 would say only "A
  // subcommand is required" of a misspelt one.
  auto named = CommandsNamed(std::vector<std::string>(argv + std::min(argc, 1), argv + argc),
                             /*to_run=*/true);
  if (!named.ok()) return static_cast<int>(Fail(named.status()));
  if (argc <= 1) {
    return static_cast<int>(
        Fail(Status::InvalidArgument("a command is required (`flowsync help` lists them)")));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app.exit(e);
      return static_cast<int>(ExitCode::kOk);
    }
    return static_cast<int>(OptionError(app, e));
  }
  for (const auto& [sub, row] : runnable) {
    if (!sub->parsed()) continue;
    std::string command = sub->get_name();  // "migrate up"
    for (const CLI::App* p = sub->get_parent(); p != &app; p = p->get_parent()) {
      command = p->get_name() + " " + command;
    }
    // Errors are values; an exception here is a bug, reported as one
    // instead of ending the process with abort().
    try {
      return static_cast<int>(row->run(options));
    } catch (const std::exception& e) {
      return static_cast<int>(Fail(Status::Internal(
          fmt::format("internal error in `{}`: {} (please report this)", command, e.what()))));
    } catch (...) {
      return static_cast<int>(Fail(Status::Internal(
          fmt::format("internal error in `{}`: unknown exception (please report this)", command))));
    }
  }
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace flowsync::cli
