#include "sync/pull.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "source/json_document.h"
#include "source/scan.h"
#include "source/workflow_path.h"
#include "sync/workflow_files.h"
#include "util/path_text.h"
#include "util/temp_files.h"

namespace flowsync {

std::string_view PullChangeKindName(PullChangeKind kind) {
  switch (kind) {
    case PullChangeKind::kWritten:
      return "written";
    case PullChangeKind::kMoved:
      return "moved";
    case PullChangeKind::kRemoved:
      return "removed";
    case PullChangeKind::kConflict:
      return "conflict";
    case PullChangeKind::kRefused:
      return "refused";
  }
  return "unknown";
}

namespace {

Prefer PreferFor(const PullOptions& o, const std::string& key) {
  auto it = o.prefer_paths.find(key);
  return it != o.prefer_paths.end() ? it->second : o.prefer;
}

class Puller {
 public:
  Puller(Store& store, const PullOptions& options)
      : store_(store),
        options_(options),
        fs_(options.fs != nullptr ? *options.fs : RealFileSystem()) {}

  Result<PullReport> Run() {
    const auto started = std::chrono::steady_clock::now();
    SyncOptions plan_options = SyncOptionsFor();
    plan_options.mode = SyncMode::kFull;
    plan_options.force = true;  // a pull deletes nothing in the database
    // The writer lock is held from before the plan until the bases are
    // recorded: a second pull, or a sync, waits for it and then finds the
    // files and the database agreeing, instead of planning against the same
    // state and meeting this pull's files half written. A dry run reads a
    // snapshot and takes no lock.
    FS_TRY_ASSIGN(std::unique_ptr<SyncTransaction> txn,
                  store_.BeginSync(/*read_only=*/options_.dry_run));
    FS_TRY_ASSIGN(SyncPlan plan, PlanSyncIn(store_, *txn, plan_options));
    report_.dry_run = options_.dry_run;
    // On an error, no temp file stays behind.
    auto fail = [&](Status s) {
      for (const Staged& job : staged_) DiscardStagedFiles(fs_, job.files);
      for (const auto& [file, array] : arrays_) DiscardStagedFiles(fs_, array.files);
      return s;
    };
    // What to pull, and the database's side of each, read at once.
    std::vector<std::pair<const SyncAction*, bool>> wanted;  // with overwrite
    std::vector<std::string> ids;
    for (const SyncAction& a : plan.actions) {
      switch (a.kind) {
        case ActionKind::kKeep:
          wanted.emplace_back(&a, false);
          ids.push_back(a.workflow_id);
          break;
        case ActionKind::kConflict:
          if (PreferFor(options_, a.path) == Prefer::kDatabase ||
              PreferFor(options_, a.base_path) == Prefer::kDatabase) {
            wanted.emplace_back(&a, true);
            ids.push_back(a.workflow_id);
          } else {
            Add(PullChangeKind::kConflict, a, a.path, "", a.message);
          }
          break;
        case ActionKind::kRefresh:
          // The files and the row agree, but not as their base says (a
          // pull killed between its renames and recording the bases; the
          // same edit on both sides): the agreement is recorded.
          if (a.base_hash != a.old_hash || a.base_path != a.path) agreed_refresh_.push_back(&a);
          break;
        case ActionKind::kError:
        case ActionKind::kMissing:
          break;
        default:
          ++report_.left_for_sync;
      }
    }
    FS_TRY_ASSIGN(current_, store_.synced_catalog().ReadCurrent(ids));
    for (const auto& [a, overwrite] : wanted) {
      if (Status s = Pull(*a, overwrite); !s.ok()) return fail(s);
    }
    if (Status s = StageArrays(); !s.ok()) return fail(s);
    if (Status s = CommitStaged(); !s.ok()) return fail(s);
    if (!options_.dry_run && (!agreed_.empty() || !agreed_refresh_.empty())) {
      // The new agreement: the files now hold what the database does.
      std::vector<SyncTransaction::BaseRecord> bases;
      for (const SyncAction* a : agreed_refresh_) {
        bases.push_back(SyncTransaction::BaseRecord{a->workflow_id, a->old_hash, a->path});
      }
      for (const Staged* job : agreed_) {
        const SyncAction& a = job->action;
        bases.push_back(job->remove
                            ? SyncTransaction::BaseRecord{a.workflow_id, "", ""}
                            : SyncTransaction::BaseRecord{a.workflow_id, a.old_hash, job->path});
      }
      FS_TRY(txn->RecordBases(bases));
    }
    FS_TRY(txn->Commit());
    std::stable_sort(report_.changes.begin(), report_.changes.end(),
                     [](const PullChange& x, const PullChange& y) { return x.path < y.path; });
    report_.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
    return std::move(report_);
  }

 private:
  // A workflow whose files are staged (or, `remove`, to be removed).
  struct Staged {
    SyncAction action;
    std::string path;  // where the database has it
    std::string from;  // where its files are now
    bool remove = false;
    bool moved = false;
    bool overwrite = false;  // a conflict resolved for the database
    StagedFiles files;
    std::string array_file;  // a workflow of this n8n array export
    bool refused = false;    // an array export's workflow, refused when staged
  };

  // An n8n array export with workflows to pull.
  struct ArrayFile {
    std::string original;  // what was read when staging
    StagedFiles files;
    bool committed = false;
    std::string failure;  // why it was not written
  };

  SyncOptions SyncOptionsFor() const {
    SyncOptions o;
    o.root = options_.root;
    o.limits = options_.limits;
    o.threads = options_.threads;
    o.fs = options_.fs;
    o.clock = options_.clock;
    return o;
  }

  std::string FsPath(const std::string& key) const {
    return JoinPath(options_.root, TextToPath(key));
  }

  void Add(PullChangeKind kind, const SyncAction& a, const std::string& path,
           const std::string& old_path, const std::string& message) {
    switch (kind) {
      case PullChangeKind::kWritten:
        ++report_.written;
        break;
      case PullChangeKind::kMoved:
        ++report_.moved;
        break;
      case PullChangeKind::kRemoved:
        ++report_.removed;
        break;
      case PullChangeKind::kConflict:
        ++report_.conflicts;
        break;
      case PullChangeKind::kRefused:
        ++report_.refused;
        break;
    }
    report_.changes.push_back({kind, path, old_path, a.workflow_id, message});
  }

  // The content hash of the workflow at `key` now, "" when no workflow is
  // there; an error when it cannot be read.
  Result<std::string> HashAt(const std::string& key) {
    ScanResult scan = ScanOne(fs_, options_.root, key);
    for (const ScannedSource& s : scan.sources) {
      if (s.candidate.key != key) continue;
      FS_TRY_ASSIGN(SourceWorkflows read, ReadSourceWorkflows(fs_, s.candidate, options_.limits));
      for (SourceWorkflow& w : read.workflows) {
        if (w.key == key && w.workflow.ok()) return w.workflow->content_hash;
      }
    }
    return std::string();
  }

  // Whether the files at `key` still hold the base (or nothing, when
  // `may_be_gone`): what the plan saw.
  Result<bool> StillHoldsBase(const std::string& key, const std::string& base, bool may_be_gone) {
    FS_TRY_ASSIGN(std::string hash, HashAt(key));
    return hash == base || (hash.empty() && may_be_gone && !fs_.Lstat(FsPath(key)).ok());
  }

  Status Pull(const SyncAction& a, bool overwrite) {
    const Format format = a.format;
    auto found = current_.find(a.workflow_id);
    if (found == current_.end()) {
      return Refuse(a, a.path, "gone from the database while pulling; run it again");
    }
    const WorkflowVersion& v = found->second;
    // Where the database has it (a conflict is named by the file's path).
    const std::string path = v.path;
    // Where the files are now: at the base path (renames, deletions), else
    // at the path.
    const std::string from = a.base_path.empty() ? path : a.base_path;
    if (ElementFile(from) || ElementFile(path)) return PullElement(a, overwrite, path, from);
    if (a.deleted) {
      if (options_.keep_deleted) return Status::OK();
      staged_.push_back({a, from, from, /*remove=*/true, false, overwrite, {}, "", false});
      return Status::OK();
    }
    if (std::string problem = WorkflowKeyProblem(path, format); !problem.empty()) {
      return Refuse(a, path,
                    fmt::format("{}: cannot be written into the files: {}", path, problem));
    }
    const bool moved = !a.base_path.empty() && a.base_path != path;
    if (moved || a.base_hash.empty()) {
      // A new path must be free (a conflict had a file there: overwritten
      // only when the database is preferred).
      if (fs_.Lstat(FsPath(path)).ok() && !(overwrite && a.base_hash.empty())) {
        return Refuse(a, path,
                      fmt::format("{}: something else is there already; move it away, or "
                                  "rename the workflow in the database",
                                  path));
      }
    }
    Staged job{a, path, from, /*remove=*/false, moved, overwrite, {}, "", false};
    if (!options_.dry_run) {
      if (v.content_hash != a.old_hash) {
        return Refuse(a, path, "changed in the database while pulling; run it again");
      }
      // Temp files a killed pull left in the folder go first, once per
      // folder (best effort).
      const std::string folder = StagingFolder(FsPath(path), format);
      if (cleaned_.insert(folder).second) (void)RemoveStaleTempFiles(fs_, folder);
      Result<StagedFiles> files = StageWorkflowFiles(fs_, FsPath(path), format, v);
      if (!files.ok()) return Refuse(a, path, files.status().message());
      job.files = std::move(*files);
    }
    staged_.push_back(std::move(job));
    return Status::OK();
  }

  // A workflow of an n8n array export ("FILE#ID"), edited or deleted in
  // the database: staged with the other workflows of its file
  // (StageArrays).
  Status PullElement(const SyncAction& a, bool overwrite, const std::string& path,
                     const std::string& from) {
    if (from != path || a.base_hash.empty()) {
      return Refuse(a, path,
                    fmt::format("{}: a workflow of an n8n array export is pulled when it is "
                                "edited or deleted in the database, not when it is added, or "
                                "moved into or out of the export ({}); write it by hand "
                                "(`flowsync show {} --content`)",
                                path, from, a.workflow_id));
    }
    if (a.deleted && options_.keep_deleted) return Status::OK();
    if (!a.deleted && !options_.dry_run && current_.at(a.workflow_id).content_hash != a.old_hash) {
      return Refuse(a, path, "changed in the database while pulling; run it again");
    }
    Staged job{a, path, from, /*remove=*/a.deleted, false, overwrite, {}, "", false};
    job.array_file = std::string(*ElementFile(path));
    staged_.push_back(std::move(job));
    return Status::OK();
  }

  // Each array export with workflows to pull is written once, as a temp
  // file: its other workflows byte for byte, each pulled one replaced by
  // the database's text (or left out, with its separator, when deleted
  // there). A workflow whose text in the file is no longer its base is
  // refused; so is the whole file when the result would not read back as
  // the database has it.
  Status StageArrays() {
    if (options_.dry_run) return Status::OK();
    std::map<std::string, std::vector<Staged*>> by_file;
    for (Staged& job : staged_) {
      if (!job.array_file.empty()) by_file[job.array_file].push_back(&job);
    }
    for (auto& [file, jobs] : by_file) {
      std::string refusal = StageArray(file, jobs);
      if (refusal.empty()) continue;
      for (Staged* job : jobs) {
        if (job->refused) continue;
        job->refused = true;
        FS_TRY(Refuse(job->action, job->path, refusal));
      }
    }
    return Status::OK();
  }

  // Stages one array export; "" or why none of `jobs` can be pulled.
  std::string StageArray(const std::string& file, const std::vector<Staged*>& jobs) {
    Result<std::string> read = fs_.ReadFile(FsPath(file), options_.limits.max_file_size);
    if (!read.ok()) return read.status().message();
    const std::string& original = *read;
    // The workflows in the file now, by key.
    auto hashes = [&](const std::string& text) -> Result<std::map<std::string, std::string>> {
      SourceContent content;
      content.key = file;
      content.format = Format::kN8n;
      content.text = text;
      FS_TRY_ASSIGN(SourceWorkflows parsed,
                    ParseSourceWorkflows(std::move(content), options_.limits));
      std::map<std::string, std::string> out;
      for (const SourceWorkflow& w : parsed.workflows) {
        if (w.workflow.ok()) out[w.key] = w.workflow->content_hash;
      }
      return out;
    };
    Result<std::map<std::string, std::string>> before = hashes(original);
    if (!before.ok()) return before.status().message();
    Result<std::unique_ptr<JsonDocument>> doc =
        JsonDocument::Parse(original, options_.limits.max_json_depth);
    if (!doc.ok()) return doc.status().message();
    const std::span<const JsonValue> elements = (*doc)->Members((*doc)->root());
    // Each element's place in the file, and what goes there.
    struct Slot {
      size_t begin = 0;
      size_t end = 0;
      std::optional<std::string> text;  // nullopt: left out
    };
    std::vector<Slot> slots(elements.size());
    std::map<std::string, size_t> index;  // by key
    for (size_t i = 0; i < elements.size(); ++i) {
      const std::string_view text = (*doc)->RootElementText(i);
      slots[i].begin = elements[i].offset;
      slots[i].end = slots[i].begin + text.size();
      if (original.compare(slots[i].begin, text.size(), text) != 0) {
        return fmt::format("{}: cannot find the place of its workflows in the file", file);
      }
      slots[i].text = std::string(text);
      const JsonValue* id = (*doc)->Find(elements[i], "id");
      if (id != nullptr && IsElementId(id->text)) index[ElementKey(file, id->text)] = i;
    }
    bool any = false;
    for (Staged* job : jobs) {
      const SyncAction& a = job->action;
      auto at = index.find(job->path);
      auto hash = before->find(job->path);
      const bool holds_base = hash != before->end() && hash->second == a.base_hash;
      if (at == index.end() || (!job->overwrite && !holds_base)) {
        job->refused = true;
        (void)Refuse(a, job->path, "changed in the files while pulling; run it again");
        continue;
      }
      slots[at->second].text = job->remove
                                   ? std::nullopt
                                   : std::optional<std::string>(current_.at(a.workflow_id).content);
      any = true;
    }
    if (!any) return "";
    // The text before the first element and after the last stays; each
    // kept element is followed by the separator that followed it.
    std::string text;
    text.reserve(original.size());
    const size_t head = slots.empty() ? original.size() : slots.front().begin;
    text.append(original, 0, head);
    std::optional<size_t> previous;
    for (size_t i = 0; i < slots.size(); ++i) {
      if (!slots[i].text) continue;
      if (previous) {
        text.append(original, slots[*previous].end,
                    slots[*previous + 1].begin - slots[*previous].end);
      }
      text += *slots[i].text;
      previous = i;
    }
    if (!slots.empty()) text.append(original, slots.back().end, std::string::npos);
    // It must read back as the database has it.
    Result<std::map<std::string, std::string>> after = hashes(text);
    if (!after.ok()) {
      return fmt::format("{}: the workflows pulled into it would not read back ({})", file,
                         after.status().message());
    }
    for (Staged* job : jobs) {
      if (job->refused) continue;
      auto hash = after->find(job->path);
      const bool reads_back = job->remove
                                  ? hash == after->end()
                                  : hash != after->end() && hash->second == job->action.old_hash;
      if (!reads_back) {
        return fmt::format("{}: would not read back as the database has it", job->path);
      }
    }
    ArrayFile& array = arrays_[file];
    array.original = original;
    const std::string target = FsPath(file);
    const std::string temp = TempPathFor(target);
    if (Status s = fs_.WriteNewFile(temp, text, /*sync=*/false); !s.ok()) return s.message();
    array.files.renames.emplace_back(temp, target);
    return "";
  }

  // An array export's staged file goes into place once, if the file still
  // holds what StageArray read; "" or why not.
  std::string CommitArray(const std::string& file) {
    ArrayFile& array = arrays_[file];
    if (array.committed) return array.failure;
    array.committed = true;
    Result<std::string> now = fs_.ReadFile(FsPath(file), options_.limits.max_file_size);
    if (!now.ok() || *now != array.original) {
      DiscardStagedFiles(fs_, array.files);
      array.failure = "changed in the files while pulling; run it again";
    } else if (Status s = CommitStagedFiles(fs_, array.files); !s.ok()) {
      array.failure = s.message();
    }
    return array.failure;
  }

  // The second step: each staged workflow's files go into place once its
  // files still hold the base (else someone saved them since the plan).
  Status CommitStaged() {
    if (!options_.dry_run && (!staged_.empty() || !arrays_.empty())) {
      FS_TRY(fs_.SyncFileSystem(options_.root));
    }
    for (Staged& job : staged_) {
      const SyncAction& a = job.action;
      if (!job.array_file.empty()) {
        if (job.refused) continue;  // said when staged
        if (!options_.dry_run) {
          if (std::string failure = CommitArray(job.array_file); !failure.empty()) {
            FS_TRY(Refuse(a, job.path, failure));
            continue;
          }
          touched_.insert(job.array_file);
          agreed_.push_back(&job);
        }
        Add(job.remove ? PullChangeKind::kRemoved : PullChangeKind::kWritten, a, job.path, "",
            a.message);
        continue;
      }
      if (!options_.dry_run) {
        if (!job.overwrite && !a.base_hash.empty()) {
          FS_TRY_ASSIGN(bool same, StillHoldsBase(job.from, a.base_hash, job.remove || job.moved));
          if (!same) {
            DiscardStagedFiles(fs_, job.files);
            FS_TRY(Refuse(a, job.from, "changed in the files while pulling; run it again"));
            continue;
          }
        }
        if (job.remove) {
          FS_TRY(RemoveWorkflowFiles(fs_, FsPath(job.from), a.format));
        } else {
          if (Status s = CommitStagedFiles(fs_, job.files); !s.ok()) {
            FS_TRY(Refuse(a, job.path, s.message()));
            continue;
          }
          if (job.moved) FS_TRY(RemoveWorkflowFiles(fs_, FsPath(a.base_path), a.format));
        }
        touched_.insert(job.path);
        touched_.insert(job.from);
        agreed_.push_back(&job);
      }
      if (job.remove) {
        Add(PullChangeKind::kRemoved, a, job.from, "", a.message);
      } else if (job.moved) {
        Add(PullChangeKind::kMoved, a, job.path, a.base_path, a.message);
      } else {
        Add(PullChangeKind::kWritten, a, job.path, "", a.message);
      }
    }
    if (!options_.dry_run && !touched_.empty()) FS_TRY(fs_.SyncFileSystem(options_.root));
    return Status::OK();
  }

  Status Refuse(const SyncAction& a, const std::string& path, std::string message) {
    if (message.rfind(path, 0) != 0) message = path + ": " + message;
    Add(PullChangeKind::kRefused, a, path, "", message);
    return Status::OK();
  }

  Store& store_;
  const PullOptions& options_;
  const FileSystem& fs_;
  PullReport report_;
  std::vector<Staged> staged_;
  std::map<std::string, WorkflowVersion> current_;  // the database's side, by id
  std::set<std::string> touched_;
  std::vector<const Staged*> agreed_;              // written or removed: their base is recorded
  std::vector<const SyncAction*> agreed_refresh_;  // the same on both sides: likewise
  std::set<std::string> cleaned_;                  // folders whose stale temp files are gone
  std::map<std::string, ArrayFile> arrays_;        // by file
};

}  // namespace

Result<PullReport> RunPull(Store& store, const PullOptions& options) {
  return Puller(store, options).Run();
}

}  // namespace flowsync
