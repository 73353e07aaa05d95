#include "sync/restore.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "source/workflow_path.h"
#include "util/path_text.h"

namespace flowsync {
namespace {

// ".NAME.tmp-PID-N" beside `path`, as every atomic writer of flowsync names
// its temp files (a writer killed halfway leaves them for the next to
// remove).
std::string TempPath(const std::string& path) {
  static std::atomic<int64_t> counter{0};
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return fmt::format("{}.{}.tmp-{}-{}", dir, name, getpid(), counter++);
}

Status WriteAtomically(const FileSystem& fs, const std::string& path, std::string_view bytes) {
  const std::string temp = TempPath(path);
  FS_TRY(fs.WriteNewFile(temp, bytes, /*sync=*/true));
  Status s = fs.Rename(temp, path, FileSystem::RenameMode::kReplace);
  if (!s.ok()) {
    (void)fs.RemoveFile(temp);
    return s;
  }
  return Status::OK();
}

bool Exists(const FileSystem& fs, const std::string& path) { return fs.Lstat(path).ok(); }

// The version's files at `target` (the file, or the bundle's folder).
Status WriteVersion(const FileSystem& fs, const std::string& target, Format format,
                    const WorkflowVersion& v) {
  const size_t slash = target.rfind('/');
  if (format != Format::kBundle) {
    if (slash != std::string::npos) FS_TRY(fs.CreateDirs(target.substr(0, slash)));
    FS_TRY(WriteAtomically(fs, target, v.content));
    return fs.SyncDir(slash == std::string::npos ? "." : target.substr(0, slash));
  }
  FS_TRY(fs.CreateDirs(target));
  FS_TRY(WriteAtomically(fs, JoinPath(target, "workflow.json"), v.content));
  // An absent meta.json reads as {} and an absent README.md as empty, so
  // they are written only when they hold something or exist now.
  const std::string meta = JoinPath(target, "meta.json");
  if (v.metadata_json != "{}" || Exists(fs, meta)) {
    FS_TRY(WriteAtomically(fs, meta, v.metadata_json + "\n"));
  }
  const std::string readme = JoinPath(target, "README.md");
  if (!v.documentation.empty() || Exists(fs, readme)) {
    FS_TRY(WriteAtomically(fs, readme, v.documentation));
  }
  return fs.SyncDir(target);
}

}  // namespace

Result<RestoreReport> RestoreVersion(Store& store, const std::string& workflow_id, int64_t version,
                                     SyncOptions options, bool force) {
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> current, store.catalog().FindWorkflow(workflow_id));
  if (!current) return Status::NotFound("no workflow " + workflow_id);
  const WorkflowSummary& s = current->summary;
  FS_TRY_ASSIGN(std::optional<WorkflowVersion> wanted,
                store.catalog().ReadVersion(workflow_id, version));
  if (!wanted) {
    return Status::NotFound(fmt::format("workflow {} has no version {}: its versions are 1 to {}",
                                        s.path, version, s.version));
  }
  if (ElementFile(s.path)) {
    return Status::InvalidArgument(fmt::format(
        "{} is a workflow of the n8n array export {}, whose file holds others too: restore "
        "writes whole files (print the version with `flowsync show {} --version {} --content` "
        "and put it into the export by hand)",
        s.path, *ElementFile(s.path), s.id, version));
  }
  if (options.root.empty()) {
    return Status::InvalidArgument(
        "restore writes the version's files into the tree: it needs the root (--root)");
  }
  const FileSystem& fs = options.fs != nullptr ? *options.fs : RealFileSystem();

  options.scope = SyncScope{};
  options.scope.path = s.path;
  options.mode = SyncMode::kFull;
  options.dry_run = false;
  if (!force) {
    SyncOptions check = options;
    check.force = true;
    FS_TRY_ASSIGN(SyncPlan plan, PlanSync(store, check));
    for (const SyncAction& a : plan.actions) {
      if (a.kind == ActionKind::kRefresh || a.kind == ActionKind::kMissing) continue;
      return Status::Conflict(fmt::format(
          "{} has changes that are not synced ({}): sync them first, see them with `flowsync "
          "diff {}`, or give --force to overwrite them",
          s.path, ActionKindName(a.kind), s.path));
    }
  }
  FS_TRY(WriteVersion(fs, JoinPath(options.root, TextToPath(s.path)), s.format, *wanted));
  FS_TRY_ASSIGN(SyncReport sync, RunSync(store, options));
  RestoreReport report;
  report.workflow_id = s.id;
  report.path = s.path;
  report.restored_version = version;
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> after, store.catalog().FindWorkflow(workflow_id));
  report.new_version = after ? after->summary.version : s.version;
  report.changed =
      report.new_version != s.version || (s.deleted_at && after && !after->summary.deleted_at);
  report.sync = std::move(sync);
  return report;
}

}  // namespace flowsync
