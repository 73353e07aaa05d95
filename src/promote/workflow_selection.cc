#include "promote/workflow_selection.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>

#include "promote/migration_writer.h"
#include "source/workflow_path.h"
#include "sync/identity.h"
#include "util/path_text.h"
#include "util/time_format.h"
#include "util/uuid.h"

namespace flowsync {
namespace {

// Lexical path operations only; the file system is reached through FileSystem.
namespace fs = std::filesystem;

WorkflowExport ExportFromDetail(const std::string& project, WorkflowDetail d) {
  WorkflowExport wf;
  wf.id = d.summary.id;
  wf.project = project;
  // A path an older flowsync stored as raw bytes (SQLite) travels as the
  // path text the next sync gives it.
  wf.path = ValidUtf8(d.summary.path);
  wf.created_at = d.summary.created_at;
  wf.updated_at = d.summary.updated_at;
  ParsedWorkflow& p = wf.workflow;
  p.format = d.summary.format;
  p.name = d.summary.name;
  p.source_id = d.summary.source_id;
  p.content = std::move(d.content);
  p.content_hash = d.summary.content_hash;
  p.metadata_json = std::move(d.metadata_json);
  p.documentation = std::move(d.documentation);
  p.active = d.summary.active;
  p.categories = d.summary.categories;
  p.findings = std::move(d.findings);
  p.phases = std::move(d.phases);
  return wf;
}

Status RefuseDeleted(const WorkflowSummary& s) {
  return Status::Conflict(
      fmt::format("workflow '{}' ({}) was deleted at {}: only live workflows can be promoted",
                  EscapeHeaderText(s.name), EscapeHeaderText(s.path), s.deleted_at.value_or("?")));
}

// The one live workflow named `name` exactly (names are not unique).
Result<std::optional<WorkflowDetail>> FindByName(Store& store, const std::string& name) {
  ListFilter named;
  named.deleted = ListFilter::Deleted::kInclude;
  named.name = name;
  FS_TRY_ASSIGN(std::vector<WorkflowSummary> rows, store.catalog().ListWorkflows(named));
  std::vector<const WorkflowSummary*> live, deleted;
  for (const WorkflowSummary& s : rows) (s.deleted_at ? deleted : live).push_back(&s);
  if (live.size() > 1) {
    std::string candidates;
    for (const WorkflowSummary* s : live) {
      candidates += "\n  " + s->id + "  " + EscapeHeaderText(s->path);
    }
    return Status::InvalidArgument(
        fmt::format("name '{}' is ambiguous: {} workflows have it; give an id or a path:{}",
                    EscapeHeaderText(name), live.size(), candidates));
  }
  if (live.empty() && !deleted.empty()) return RefuseDeleted(*deleted.front());
  if (live.empty()) return std::optional<WorkflowDetail>();
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> found,
                store.catalog().FindWorkflow(live.front()->id));
  if (!found) return Status::NotFound("workflow " + live.front()->id + " vanished");
  return found;
}

// The workflow of a source that `element` names: the one of a single
// workflow source (element empty), or the element of an array export.
Result<SourceWorkflow> PickWorkflow(SourceWorkflows read, const std::string& key,
                                    std::string_view element) {
  if (!read.array_export) {
    if (element.empty()) return std::move(read.workflows.front());
    return Status::InvalidArgument(fmt::format(
        "{}: {} is no n8n array export; name the file itself", ElementKey(key, element), key));
  }
  std::vector<std::string> keys;
  for (SourceWorkflow& w : read.workflows) {
    if (!element.empty() && w.key == ElementKey(key, element)) return std::move(w);
    if (w.workflow.ok()) keys.push_back(w.key);
  }
  constexpr size_t kListed = 10;
  const std::string listed = fmt::format(
      "{}{}", fmt::join(keys.begin(), keys.begin() + std::min(keys.size(), kListed), ", "),
      keys.size() > kListed ? ", ..." : "");
  if (element.empty()) {
    return Status::InvalidArgument(
        fmt::format("{}: holds {} n8n workflows (an array export); name one as {}#ID: {}", key,
                    read.workflows.size(), key, listed));
  }
  return Status::NotFound(fmt::format("{}: {} holds no workflow with id {} (it holds {})",
                                      ElementKey(key, element), key, element, listed));
}

}  // namespace

Result<Store*> LazyStore::Get() {
  if (!store_ && status_.ok()) {
    auto opened = open_();
    if (opened.ok()) {
      store_ = std::move(opened).value();
    } else {
      status_ = opened.status();
    }
  }
  if (!status_.ok()) return status_;
  return store_.get();
}

Result<SourceCandidate> CandidateForArgument(const std::string& root, const std::string& arg,
                                             const FileInfo& info, const FileSystem& file_system) {
  fs::path abs(arg);
  if (abs.is_relative()) {
    FS_TRY_ASSIGN(std::string cwd, file_system.CurrentDir());
    abs = fs::path(cwd) / abs;
  }
  abs = abs.lexically_normal();
  if (!abs.has_filename()) abs = abs.parent_path();  // "bundle/" -> "bundle"
  SourceCandidate candidate;
  const std::string name = abs.filename().string();
  if (info.type == FileType::kDirectory) {
    if (!file_system.Stat(JoinPath(abs.string(), std::string(kBundleMainFile))).ok()) {
      return Status::InvalidArgument(
          arg + ": a folder without workflow.json (name a workflow file or a bundle folder)");
    }
    candidate.format = Format::kBundle;
  } else if (name == kBundleMainFile) {
    abs = abs.parent_path();  // a bundle's main file names the bundle
    candidate.format = Format::kBundle;
  } else if (std::optional<Format> format = FileFormatForName(name)) {
    candidate.format = *format;
  } else {
    return Status::InvalidArgument(
        arg + ": not a workflow file (an n8n .json export, a phase .toml file or a bundle folder)");
  }
  fs::path rel = abs.lexically_relative(fs::path(root));
  if (rel.empty() || rel.generic_string().starts_with("..")) {
    // The same place reached through a symbolic link.
    Result<std::string> real = file_system.RealPath(abs.string());
    Result<std::string> real_root = file_system.RealPath(root);
    if (real.ok() && real_root.ok()) rel = fs::path(*real).lexically_relative(*real_root);
  }
  candidate.key = PathToText(rel.generic_string());
  if (rel.empty() || candidate.key == "." || candidate.key == ".." ||
      candidate.key.starts_with("../")) {
    return Status::InvalidArgument(arg + ": outside the sync root " + root +
                                   " (ids are derived from paths relative to it; see --root)");
  }
  candidate.path = abs.string();
  return candidate;
}

Result<WorkflowExport> ExportWorkflowFile(const FileSystem& fs, const SelectionScope& scope,
                                          LazyStore& store, const std::string& arg,
                                          const FileInfo& info, std::string_view element) {
  FS_TRY_ASSIGN(SourceCandidate candidate, CandidateForArgument(scope.root, arg, info, fs));
  FS_TRY_ASSIGN(SourceWorkflows read, ReadSourceWorkflows(fs, candidate, scope.limits));
  if (read.workflows.empty()) {
    return Status::InvalidArgument(
        candidate.key +
        ": not a workflow (an n8n export needs 'nodes' and 'connections', a phase file "
        "[[phase]] tables)");
  }
  FS_TRY_ASSIGN(SourceWorkflow picked, PickWorkflow(std::move(read), candidate.key, element));
  FS_TRY_ASSIGN(ParsedWorkflow workflow, std::move(picked.workflow));
  candidate.key = std::move(picked.key);
  int64_t mtime_ns = 0;
  std::vector<std::string> members = {candidate.path};
  if (candidate.format == Format::kBundle) {
    members.clear();
    for (std::string_view member : kBundleMembers) {
      members.push_back(JoinPath(candidate.path, std::string(member)));
    }
  }
  for (const std::string& member : members) {
    auto st = fs.Stat(member);
    if (st.ok()) mtime_ns = std::max(mtime_ns, st->mtime_ns);
  }
  auto opened = store.Get();
  if (!opened.ok() && opened.status().code() != StatusCode::kNotFound) return opened.status();
  WorkflowExport wf;
  FS_TRY_ASSIGN(wf.id, IdForPath(opened.ok() ? *opened : nullptr, scope.project, candidate.key));
  wf.project = scope.project;
  wf.path = candidate.key;
  wf.workflow = std::move(workflow);
  wf.created_at = wf.updated_at = FormatTimestampMs(mtime_ns / 1'000'000);
  return wf;
}

Result<WorkflowExport> ExportStoredWorkflow(LazyStore& lazy, const std::string& arg) {
  auto store_or = lazy.Get();
  if (!store_or.ok()) {
    if (store_or.status().code() != StatusCode::kNotFound) return store_or.status();
    return Status::NotFound("'" + arg +
                            "' is no file, and there is no database to look it up in (" +
                            store_or.status().message() + ")");
  }
  Store& store = **store_or;
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> found,
                store.catalog().FindWorkflow(NormaliseWorkflowQuery(arg)));
  if (!found) {
    FS_TRY_ASSIGN(found, FindByName(store, arg));
    if (!found) {
      return Status::NotFound("no workflow '" + EscapeHeaderText(arg) +
                              "': not a file, and no id, unique id prefix, path or name in " +
                              store.Describe() + " (see `flowsync list`)");
    }
  }
  if (found->summary.deleted_at) return RefuseDeleted(found->summary);
  return ExportFromDetail(store.project(), std::move(*found));
}

Result<std::vector<WorkflowExport>> SelectWorkflows(const FileSystem& fs,
                                                    const SelectionScope& scope, LazyStore& store,
                                                    const std::vector<std::string>& args) {
  std::vector<WorkflowExport> selected;
  std::set<std::string> ids;
  for (const std::string& arg : args) {
    auto info = fs.Stat(arg);
    std::string file = arg;
    std::string_view element;
    if (std::optional<std::string_view> of = ElementFile(arg); !info.ok() && of) {
      // FILE#ID: a workflow of an array export on disk.
      if (auto file_info = fs.Stat(std::string(*of)); file_info.ok()) {
        file = std::string(*of);
        element = std::string_view(arg).substr(of->size() + 1);
        info = std::move(file_info);
      }
    }
    FS_TRY_ASSIGN(WorkflowExport wf,
                  info.ok() ? ExportWorkflowFile(fs, scope, store, file, *info, element)
                            : ExportStoredWorkflow(store, arg));
    if (ids.insert(wf.id).second) selected.push_back(std::move(wf));
  }
  return selected;
}

Result<std::vector<WorkflowExport>> ExportChangedSince(Store& store, int64_t since_ms) {
  ListFilter recent;
  recent.updated_since = FormatTimestampMs(since_ms);
  FS_TRY_ASSIGN(std::vector<WorkflowSummary> rows, store.catalog().ListWorkflows(recent));
  std::vector<WorkflowExport> selected;
  for (const WorkflowSummary& s : rows) {
    FS_TRY_ASSIGN(std::optional<WorkflowDetail> d, store.catalog().FindWorkflow(s.id));
    if (!d) continue;  // vanished since the listing
    selected.push_back(ExportFromDetail(store.project(), std::move(*d)));
  }
  return selected;
}

Status AdoptN8nIds(Store& store, std::vector<WorkflowExport>* selected) {
  for (WorkflowExport& wf : *selected) {
    if (IsUuid(wf.id)) continue;  // a file's
    FS_TRY_ASSIGN(std::optional<std::string> synced, store.catalog().SyncedId(wf.id));
    wf.n8n_id = wf.id;
    wf.id = synced ? *synced : UuidV5(kWorkflowIdNamespace, "n8n-workflow\n" + wf.id);
  }
  return Status::OK();
}

Result<int64_t> ParseWindowMs(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "': expected a whole number and a unit s, m, h, d or w "
                                   "(e.g. 7d, 12h)");
  };
  if (text.size() < 2 || text.size() > 12) return bad();
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return bad();
    n = n * 10 + (text[i] - '0');
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1'000;
      break;
    case 'm':
      unit = 60'000;
      break;
    case 'h':
      unit = 3'600'000;
      break;
    case 'd':
      unit = 86'400'000;
      break;
    case 'w':
      unit = 7 * 86'400'000LL;
      break;
    default:
      return bad();
  }
  if (n > INT64_MAX / unit) return bad();
  return n * unit;
}

}  // namespace flowsync
