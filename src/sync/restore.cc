#include "sync/restore.h"

#include <fmt/format.h>

#include <vector>

#include "source/workflow_path.h"
#include "sync/workflow_files.h"
#include "util/path_text.h"

namespace flowsync {

Result<RestoreReport> RestoreVersion(Store& store, const std::string& workflow_id, int64_t version,
                                     SyncOptions options, bool force) {
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> current,
                store.synced_catalog().FindWorkflow(workflow_id));
  if (!current) return Status::NotFound("no workflow " + workflow_id);
  const WorkflowSummary& s = current->summary;
  FS_TRY_ASSIGN(std::optional<WorkflowVersion> wanted,
                store.synced_catalog().ReadVersion(workflow_id, version));
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
  FS_TRY(WriteWorkflowFiles(fs, JoinPath(options.root, TextToPath(s.path)), s.format, *wanted));
  FS_TRY_ASSIGN(SyncReport sync, RunSync(store, options));
  RestoreReport report;
  report.workflow_id = s.id;
  report.path = s.path;
  report.restored_version = version;
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> after,
                store.synced_catalog().FindWorkflow(workflow_id));
  report.new_version = after ? after->summary.version : s.version;
  report.changed =
      report.new_version != s.version || (s.deleted_at && after && !after->summary.deleted_at);
  report.sync = std::move(sync);
  return report;
}

}  // namespace flowsync
