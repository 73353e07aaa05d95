// `flowsync diff`: what differs between the files and the database (what a
// sync would write), or between two stored versions of a workflow, as a
// per-node summary and a unified diff with secrets masked
// (diff/workflow_diff.h).
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "diff/workflow_diff.h"
#include "flowsync/source.h"
#include "flowsync/sync.h"
#include "source/scan.h"
#include "source/workflow_path.h"
#include "sync/restore.h"

namespace flowsync::cli {
namespace {

// One workflow's difference, ready to print.
struct Entry {
  std::string workflow_id;
  std::string change;  // added, updated, renamed, restored, deleted, version
  std::string path, old_path;
  Format format = Format::kN8n;
  std::optional<int64_t> from_version, to_version;
  WorkflowDiff diff;
};

// A stored version or a file's workflow as a side of a diff.
template <typename T>
DiffSide SideOf(const std::string& label, const T& v) {
  return DiffSide{label, v.content, v.metadata_json, v.documentation};
}

DiffSide EmptySide() {
  DiffSide s;
  s.label = "/dev/null";
  s.metadata_json = "";
  return s;
}

Result<WorkflowVersion> ReadStored(Store& store, const std::string& id, int64_t version) {
  FS_TRY_ASSIGN(std::optional<WorkflowVersion> v, store.synced_catalog().ReadVersion(id, version));
  if (!v) return Status::NotFound(fmt::format("workflow {} has no version {}", id, version));
  return std::move(*v);
}

// The source workflow an action planned from, read again.
Result<ParsedWorkflow> ReadPlanned(const SyncAction& a, const SourceLimits& limits) {
  FS_TRY_ASSIGN(SourceWorkflows read, ReadSourceWorkflows(RealFileSystem(), a.source, limits));
  for (SourceWorkflow& w : read.workflows) {
    if (w.key != a.path) continue;
    if (!w.workflow.ok()) return w.workflow.status();
    return std::move(*w.workflow);
  }
  return Status::Conflict(DisplayText(a.path) + ": changed while being compared; run again");
}

// The workflow at `key` in the tree now; nullopt when none is there.
Result<std::optional<ParsedWorkflow>> ReadAt(const std::string& root, const std::string& key,
                                             const SourceLimits& limits) {
  for (const ScannedSource& s : ScanOne(RealFileSystem(), root, key).sources) {
    FS_TRY_ASSIGN(SourceWorkflows read, ReadSourceWorkflows(RealFileSystem(), s.candidate, limits));
    for (SourceWorkflow& w : read.workflows) {
      if (w.key != key) continue;
      if (!w.workflow.ok()) return w.workflow.status();
      return std::optional<ParsedWorkflow>(std::move(*w.workflow));
    }
  }
  return std::optional<ParsedWorkflow>();
}

// Files against the database: the changes a sync would make, each read
// again for its content, and those made in the database alone (what a pull
// would write, from the files to the database).
Result<std::vector<Entry>> FilesAgainstDatabase(Store& store, const config::Context& ctx,
                                                const std::optional<std::string>& scope_key) {
  SyncOptions options;
  options.root = ctx.root;
  options.mode = SyncMode::kFull;
  options.force = true;
  options.limits = ctx.limits;
  if (scope_key) options.scope.path = *scope_key;
  FS_TRY_ASSIGN(SyncPlan plan, PlanSync(store, options));
  std::vector<Entry> out;
  for (const SyncAction& a : plan.actions) {
    Entry e;
    e.workflow_id = a.workflow_id;
    e.path = a.path;
    e.old_path = a.old_path;
    e.format = a.format;
    const std::string stored_path = a.old_path.empty() ? a.path : a.old_path;
    switch (a.kind) {
      case ActionKind::kAdd: {
        FS_TRY_ASSIGN(ParsedWorkflow wf, ReadPlanned(a, ctx.limits));
        e.change = "added";
        e.diff = DiffWorkflows(a.format, EmptySide(), SideOf("b/" + a.path, wf));
        break;
      }
      case ActionKind::kConflict:
        if (a.source.key.empty()) continue;  // no file: `status` says what happened
        [[fallthrough]];
      case ActionKind::kUpdate:
      case ActionKind::kRename:
      case ActionKind::kRestore: {
        FS_TRY_ASSIGN(std::optional<WorkflowDetail> d,
                      store.synced_catalog().FindWorkflow(a.workflow_id));
        if (!d) continue;
        FS_TRY_ASSIGN(WorkflowVersion stored, ReadStored(store, a.workflow_id, d->summary.version));
        FS_TRY_ASSIGN(ParsedWorkflow wf, ReadPlanned(a, ctx.limits));
        e.change = a.kind == ActionKind::kUpdate     ? "updated"
                   : a.kind == ActionKind::kRename   ? "renamed"
                   : a.kind == ActionKind::kConflict ? "conflict"
                                                     : "restored";
        e.from_version = stored.version;
        e.diff =
            DiffWorkflows(a.format, SideOf("a/" + stored_path, stored), SideOf("b/" + a.path, wf));
        if (e.diff.equal && a.kind == ActionKind::kUpdate) continue;
        break;
      }
      case ActionKind::kDelete: {
        FS_TRY_ASSIGN(std::optional<WorkflowDetail> d,
                      store.synced_catalog().FindWorkflow(a.workflow_id));
        if (!d) continue;
        FS_TRY_ASSIGN(WorkflowVersion stored, ReadStored(store, a.workflow_id, d->summary.version));
        e.change = "deleted";
        e.from_version = stored.version;
        e.diff = DiffWorkflows(a.format, SideOf("a/" + stored_path, stored), EmptySide());
        break;
      }
      case ActionKind::kKeep: {
        const std::string from = a.base_path.empty() ? a.path : a.base_path;
        FS_TRY_ASSIGN(std::optional<ParsedWorkflow> file, ReadAt(ctx.root, from, ctx.limits));
        DiffSide files = file ? SideOf("a/" + from, *file) : EmptySide();
        FS_TRY_ASSIGN(std::optional<WorkflowDetail> d,
                      store.synced_catalog().FindWorkflow(a.workflow_id));
        if (!d) continue;
        DiffSide database = EmptySide();
        if (!a.deleted) {
          FS_TRY_ASSIGN(WorkflowVersion stored,
                        ReadStored(store, a.workflow_id, d->summary.version));
          database = SideOf("b/" + a.path, stored);
          e.to_version = stored.version;
        }
        e.change = "changed-in-database";
        e.old_path = from != a.path ? from : "";
        e.diff = DiffWorkflows(a.format, files, database);
        break;
      }
      case ActionKind::kRefresh:  // the same content in other text
      case ActionKind::kError:    // reported by `status` and `sync`
      case ActionKind::kMissing:  // not in full mode
        continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Json EntryJson(const Entry& e) {
  Json nodes = Json::array();
  for (const NodeDiff& n : e.diff.nodes) {
    Json j = {{"name", n.name},
              {"type", n.type},
              {"state", NodeStateName(n.state)},
              {"moved", n.moved},
              {"changed_paths", n.changed_paths}};
    j["old_name"] = n.old_name.empty() ? Json(nullptr) : Json(n.old_name);
    nodes.push_back(std::move(j));
  }
  auto opt = [](const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); };
  return {{"workflow_id", e.workflow_id.empty() ? Json(nullptr) : Json(e.workflow_id)},
          {"change", e.change},
          {"path", e.path},
          {"old_path", e.old_path.empty() ? Json(nullptr) : Json(e.old_path)},
          {"format", FormatName(e.format)},
          {"from_version", opt(e.from_version)},
          {"to_version", opt(e.to_version)},
          {"nodes", std::move(nodes)},
          {"edges_added", e.diff.edges_added},
          {"edges_removed", e.diff.edges_removed},
          {"changed_paths", e.diff.changed_paths},
          {"unified", e.diff.unified}};
}

void PrintEntry(const Entry& e, bool stat) {
  std::string title = e.change + ": " + DisplayText(e.path);
  if (!e.old_path.empty())
    title = e.change + ": " + DisplayText(e.old_path) + " -> " + DisplayText(e.path);
  if (e.change == "version") {
    title =
        fmt::format("{}: version {} -> {}", DisplayText(e.path), *e.from_version, *e.to_version);
  }
  fmt::print("{}\n", title);
  for (const NodeDiff& n : e.diff.nodes) {
    std::string line = fmt::format("  node {} {}", NodeStateName(n.state), DisplayText(n.name));
    if (!n.type.empty()) line += " (" + DisplayText(n.type) + ")";
    if (!n.old_name.empty()) line += ", renamed from " + DisplayText(n.old_name);
    if (n.moved) line += ", moved";
    if (!n.changed_paths.empty()) {
      std::string paths;
      for (const std::string& p : n.changed_paths) paths += (paths.empty() ? "" : ", ") + p;
      line += ": " + DisplayText(paths);
    }
    fmt::print("{}\n", line);
  }
  for (const std::string& edge : e.diff.edges_added)
    fmt::print("  edge added {}\n", DisplayText(edge));
  for (const std::string& edge : e.diff.edges_removed) {
    fmt::print("  edge removed {}\n", DisplayText(edge));
  }
  for (const std::string& p : e.diff.changed_paths) fmt::print("  changed {}\n", DisplayText(p));
  if (!stat && !e.diff.unified.empty()) fmt::print("\n{}\n", e.diff.unified);
}

ExitCode RunDiffCommand(DiffCommand& o) {
  if (o.to && !o.from) {
    return Fail(
        Status::InvalidArgument("--to needs --from: `flowsync diff WORKFLOW --from N --to M`"));
  }
  if (o.from && !o.workflow) {
    return Fail(Status::InvalidArgument(
        "--from compares two stored versions of one workflow: name it (`flowsync diff WORKFLOW "
        "--from N`)"));
  }
  if (o.workflow) o.common.flags.paths = {*o.workflow};
  std::vector<Entry> entries;
  if (o.from) {
    auto opened = OpenForCommand(o.common.flags, config::IfMissing::kFail);
    if (!opened.ok()) return Fail(opened.status());
    Store& store = *opened->store;
    auto d = FindSyncedOrFail(store, opened->ctx, *o.workflow);
    if (!d.ok()) return Fail(d.status());
    const int64_t to = o.to.value_or(d->summary.version);
    Entry e;
    e.workflow_id = d->summary.id;
    e.change = "version";
    e.path = d->summary.path;
    e.format = d->summary.format;
    e.from_version = *o.from;
    e.to_version = to;
    WorkflowVersion sides[2];
    for (int i = 0; i < 2; ++i) {
      const int64_t n = i == 0 ? *o.from : to;
      auto v = store.synced_catalog().ReadVersion(d->summary.id, n);
      if (!v.ok()) return Fail(v.status());
      if (!v->has_value()) {
        return Fail(
            Status::NotFound(fmt::format("workflow {} has no version {}: its versions are 1 to {}",
                                         DisplayText(d->summary.path), n, d->summary.version)));
      }
      sides[i] = std::move(**v);
    }
    e.diff = DiffWorkflows(e.format, SideOf(fmt::format("version {}", *o.from), sides[0]),
                           SideOf(fmt::format("version {}", to), sides[1]));
    if (!e.diff.equal) entries.push_back(std::move(e));
  } else {
    auto ctx = ResolveCommandContext(o.common.flags);
    if (!ctx.ok()) return Fail(ctx.status());
    auto store = config::OpenContextStore(*ctx, config::IfMissing::kEmpty);
    if (!store.ok()) return Fail(store.status());
    std::optional<std::string> scope;
    if (o.workflow) {
      // A stored workflow's source, or a file not stored yet.
      auto d = FindSyncedOrFail(**store, *ctx, *o.workflow);
      if (d.ok()) {
        scope = std::string(ElementFile(d->summary.path).value_or(d->summary.path));
      } else if (d.status().code() == StatusCode::kNotFound &&
                 WorkflowQuery(*ctx, *o.workflow) != *o.workflow) {
        scope = WorkflowQuery(*ctx, *o.workflow);
      } else {
        return Fail(d.status());
      }
    }
    auto found = FilesAgainstDatabase(**store, *ctx, scope);
    if (!found.ok()) return Fail(found.status());
    entries = std::move(*found);
  }
  if (o.common.json) {
    Json all = Json::array();
    for (const Entry& e : entries) all.push_back(EntryJson(e));
    std::cout << DumpJson(all) << std::endl;
  } else {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) fmt::print("\n");
      PrintEntry(entries[i], o.stat);
    }
  }
  return o.exit_code && !entries.empty() ? ExitCode::kFailed : ExitCode::kOk;
}

void SetupDiff(CLI::App* cmd, DiffCommand& o) {
  cmd->add_option("workflow", o.workflow,
                  "Only this workflow: id, unique id prefix (4+ characters) or path")
      ->type_name("PATH");
  cmd->add_option("--from", o.from, "Compare stored versions: from this one ...")
      ->check(NumberRange(1, INT64_MAX));
  cmd->add_option("--to", o.to, "... to this one (default: the current version)")
      ->check(NumberRange(1, INT64_MAX));
  cmd->add_flag("--stat", o.stat, "Only the summary per workflow, no unified diff");
  cmd->add_flag("--exit-code", o.exit_code, "Exit with status 1 when anything differs");
  cmd->add_flag("--json", o.common.json,
                "Print a JSON array: one object per workflow that differs");
  AddRootOption(cmd, o.common);
  AddDbOptions(cmd, o.common);
}

ExitCode RunRestoreCommand(RestoreCommand& o) {
  o.common.flags.paths = {o.workflow};
  auto ctx = ResolveCommandContext(o.common.flags);
  if (!ctx.ok()) return Fail(ctx.status());
  auto store = config::OpenContextStore(*ctx, config::IfMissing::kFail);
  if (!store.ok()) return Fail(store.status());
  auto d = FindSyncedOrFail(**store, *ctx, o.workflow);
  if (!d.ok()) return Fail(d.status());
  SyncOptions options;
  options.root = ctx->root;
  options.limits = ctx->limits;
  auto report = RestoreVersion(**store, d->summary.id, o.version, options, o.force);
  if (!report.ok()) return Fail(report.status());
  const bool failed = report->sync.counts.errors > 0;
  if (o.common.json) {
    Json j = {{"workflow_id", report->workflow_id},
              {"path", report->path},
              {"restored_version", report->restored_version},
              {"version", report->new_version},
              {"changed", report->changed},
              {"run_id", report->sync.run_id}};
    std::cout << DumpJson(j) << std::endl;
  } else if (!report->changed) {
    fmt::print("{}: version {} is the current content; nothing to restore\n",
               DisplayText(report->path), report->restored_version);
  } else {
    fmt::print("{}: restored the content of version {} as version {}\n", DisplayText(report->path),
               report->restored_version, report->new_version);
  }
  for (const Change& c : report->sync.changes) {
    if (c.kind == ChangeKind::kError) {
      std::fprintf(stderr, "error: %s\n", DisplayText(c.message).c_str());
    }
  }
  return failed ? ExitCode::kFailed : ExitCode::kOk;
}

void SetupRestore(CLI::App* cmd, RestoreCommand& o) {
  cmd->add_option("workflow", o.workflow, "Id, unique id prefix (4+ characters) or path")
      ->required()
      ->type_name("PATH");
  cmd->add_option("--version", o.version, "The stored version to make current again")
      ->required()
      ->check(NumberRange(1, INT64_MAX));
  cmd->add_flag("--force", o.force, "Overwrite changes to its files that are not synced yet");
  cmd->add_flag("--json", o.common.json, "Print one JSON object");
  AddRootOption(cmd, o.common);
  AddDbOptions(cmd, o.common);
}

}  // namespace

Command RestoreCommandRow() {
  return {"restore",
          "Make a stored version of a workflow current again: its files are written back and "
          "synced (a new version)",
          [](CLI::App* c, CommandOptions& o) { SetupRestore(c, o.restore); },
          [](CommandOptions& o) { return RunRestoreCommand(o.restore); }};
}

Command DiffCommandRow() {
  return {"diff",
          "Show what differs between the files and the database, or between two stored "
          "versions (--from N --to M)",
          [](CLI::App* c, CommandOptions& o) { SetupDiff(c, o.diff); },
          [](CommandOptions& o) { return RunDiffCommand(o.diff); }};
}

}  // namespace flowsync::cli
