// The sync engine: plan against the stored index, read what changed, write
// the outcome in one transaction. See ARCHITECTURE.md, "Data flow of a sync".
#include "flowsync/sync.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "sync/identity.h"
#include "sync/parallel_reader.h"
#include "sync/scan.h"
#include "util/time_format.h"

namespace flowsync {

std::string_view SyncModeName(SyncMode mode) {
  return mode == SyncMode::kFull ? "full" : "incremental";
}

std::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kUpdated:
      return "updated";
    case ChangeKind::kRenamed:
      return "renamed";
    case ChangeKind::kDeleted:
      return "deleted";
    case ChangeKind::kRestored:
      return "restored";
    case ChangeKind::kError:
      return "error";
    case ChangeKind::kMissing:
      return "missing";
  }
  return "unknown";
}

Status CheckSyncRoot(const FileSystem& fs, const std::string& root, SyncMode mode, bool force) {
  if (force) return Status::OK();
  // A missing or unreadable root looks exactly like "every workflow was
  // deleted".
  auto info = fs.Stat(root);
  Status problem;
  if (!info.ok()) {
    problem = info.status();
  } else if (info->type != FileType::kDirectory) {
    problem = Status::InvalidArgument("not a folder");
  } else if (auto listing = fs.ListDir(root); !listing.ok()) {
    problem = listing.status();
  }
  if (problem.ok()) return Status::OK();
  return Status::Conflict(fmt::format(
      "sync root {} is missing or unreadable ({}); refusing to sync (use --force to sync it "
      "anyway{})",
      root, problem.message(),
      mode == SyncMode::kFull ? ", which deletes every stored workflow" : ""));
}

namespace {

// A file whose mtime is this close to the start of the run (or later) may
// still be changing within the file system's timestamp granularity: its
// signature is not trusted, so the next run hashes it again ("racy git").
constexpr int64_t kRacyMarginNs = 100'000'000;

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == ".") return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

class SyncRun {
 public:
  SyncRun(Store& store, const SyncOptions& options)
      : store_(store), options_(options), fs_(options.fs ? *options.fs : RealFileSystem()) {}

  Result<SyncReport> Run() {
    auto started = std::chrono::steady_clock::now();
    const int64_t now_ms = (options_.clock != nullptr ? *options_.clock : SystemClock()).NowMs();
    now_ = FormatTimestampMs(now_ms);
    racy_after_ns_ = now_ms * 1'000'000 - kRacyMarginNs;
    report_.mode = options_.mode;
    report_.dry_run = options_.dry_run;

    Status root_status = CheckSyncRoot(fs_, options_.root, options_.mode, /*force=*/false);
    bool root_ok = root_status.ok();
    if (!root_ok && !options_.force) return root_status;

    FS_TRY_ASSIGN(txn_, store_.BeginSync(options_.dry_run));
    FS_TRY_ASSIGN(std::vector<IndexRow> index, txn_->LoadIndex());
    for (size_t i = 0; i < index.size(); ++i) {
      by_path_.emplace(index[i].path, i);
      ids_.insert(index[i].id);
      if (!index[i].deleted) ++live_before_;
    }
    index_ = std::move(index);

    ScanResult scan = root_ok ? ScanTree(fs_, options_.root, Threads()) : ScanResult{};
    report_.scanned = static_cast<int64_t>(scan.sources.size());
    if (!options_.dry_run) {
      FS_TRY_ASSIGN(run_id_, txn_->BeginRun(SyncModeName(options_.mode), options_.root, now_));
    }
    report_.run_id = run_id_;

    // Sources present on disk, for the missing set.
    std::set<std::string> present;
    for (const ScannedSource& s : scan.sources) present.insert(s.candidate.key);
    for (const ScanProblem& p : scan.broken) present.insert(p.path);

    // Cheap check first: unchanged signatures need no read at all.
    std::vector<const ScannedSource*> to_read;
    for (const ScannedSource& s : scan.sources) {
      auto it = by_path_.find(s.candidate.key);
      if (it != by_path_.end()) {
        const IndexRow& row = index_[it->second];
        if (!row.deleted && !row.source_sig.empty() && row.source_sig == s.sig &&
            row.format == s.candidate.format) {
          ++report_.counts.unchanged;
          continue;
        }
      }
      to_read.push_back(&s);
    }

    // Live rows whose source is gone: rename sources, or deletions.
    for (const IndexRow& row : index_) {
      if (row.deleted || present.count(row.path)) continue;
      bool unknowable =
          std::any_of(scan.unreadable_dirs.begin(), scan.unreadable_dirs.end(),
                      [&](const ScanProblem& d) { return IsUnder(row.path, d.path); });
      if (unknowable) continue;
      missing_by_hash_[row.content_hash].push_back(&row);
    }

    for (const ScanProblem& p : scan.broken) FS_TRY(RecordError(p.path, p.message));
    for (const ScanProblem& d : scan.unreadable_dirs) FS_TRY(RecordError(d.path, d.message));

    FS_TRY(ReadAndApply(to_read));
    FS_TRY(HandleMissing());

    bool changed = report_.counts.added + report_.counts.updated + report_.counts.renamed +
                       report_.counts.deleted + report_.counts.restored >
                   0;
    if (!options_.dry_run) {
      if (changed) FS_TRY(txn_->RefreshSourceIdFindings());
      FS_TRY(txn_->FinishRun(run_id_, report_.counts, now_));
    }
    FS_TRY(txn_->Commit());

    std::stable_sort(report_.changes.begin(), report_.changes.end(),
                     [](const Change& a, const Change& b) { return a.path < b.path; });
    report_.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
    return std::move(report_);
  }

 private:
  int Threads() const {
    return options_.threads > 0
               ? options_.threads
               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }

  std::string TrustedSig(const ScannedSource& s) const {
    return s.newest_mtime_ns >= racy_after_ns_ ? std::string() : s.sig;
  }

  Status ReadAndApply(const std::vector<const ScannedSource*>& to_read) {
    std::vector<const SourceCandidate*> candidates;
    candidates.reserve(to_read.size());
    for (const ScannedSource* s : to_read) candidates.push_back(&s->candidate);
    ParallelReader reader(fs_, candidates, options_.limits, Threads());
    for (size_t i = 0; i < to_read.size(); ++i) {
      ReadOutcome outcome = reader.Take(i);
      FS_TRY(Apply(*to_read[i], std::move(outcome)));
      if (options_.progress) options_.progress(i + 1, to_read.size());
    }
    return Status::OK();
  }

  Status Apply(const ScannedSource& s, ReadOutcome outcome) {
    const std::string& path = s.candidate.key;
    auto it = by_path_.find(path);
    const IndexRow* row = it == by_path_.end() ? nullptr : &index_[it->second];

    if (!outcome.ok()) return RecordError(path, outcome.status().message(), row);
    if (!outcome->has_value()) {
      if (row == nullptr || row->deleted) return Status::OK();  // not a workflow: ignored
      return RecordError(path,
                         fmt::format("{}: no longer holds a {} workflow; the stored version is "
                                     "kept (delete the file to delete the workflow)",
                                     path, FormatName(row->format)),
                         row);
    }
    ParsedWorkflow& wf = **outcome;
    std::string sig = TrustedSig(s);

    if (row != nullptr && !row->deleted) {
      if (row->content_hash == wf.content_hash && row->format == wf.format) {
        ++report_.counts.unchanged;
        // Same content (perhaps reformatted): refresh the text and signature.
        if (!options_.dry_run) {
          return txn_->UpdateWorkflow(row->id, wf, sig, false, run_id_, now_);
        }
        return Status::OK();
      }
      ++report_.counts.updated;
      report_.changes.push_back({ChangeKind::kUpdated, path, "", row->id, ""});
      if (options_.dry_run) return Status::OK();
      FS_TRY(txn_->UpdateWorkflow(row->id, wf, sig, true, run_id_, now_));
      return Log(SyncEvent::kUpdated, row->id, path, "", row->content_hash, wf.content_hash);
    }

    if (row != nullptr) {  // soft-deleted, and its source is back
      ++report_.counts.restored;
      report_.changes.push_back({ChangeKind::kRestored, path, "", row->id, ""});
      if (options_.dry_run) return Status::OK();
      bool changed = row->content_hash != wf.content_hash || row->format != wf.format;
      FS_TRY(txn_->Restore(row->id, now_));
      FS_TRY(txn_->UpdateWorkflow(row->id, wf, sig, changed, run_id_, now_));
      return Log(SyncEvent::kRestored, row->id, path, "", row->content_hash, wf.content_hash);
    }

    if (const IndexRow* from = TakeRenameSource(path, wf)) {
      ++report_.counts.renamed;
      report_.changes.push_back({ChangeKind::kRenamed, path, from->path, from->id, ""});
      if (options_.dry_run) return Status::OK();
      FS_TRY(txn_->MoveWorkflow(from->id, path, sig, now_));
      // The text may differ by formatting; the canonical content does not.
      FS_TRY(txn_->UpdateWorkflow(from->id, wf, sig, false, run_id_, now_));
      return Log(SyncEvent::kRenamed, from->id, path, from->path, from->content_hash,
                 wf.content_hash);
    }

    std::string id = NewWorkflowId(store_.project(), path, ids_);
    ids_.insert(id);
    ++report_.counts.added;
    report_.changes.push_back({ChangeKind::kAdded, path, "", id, ""});
    if (options_.dry_run) return Status::OK();
    FS_TRY(txn_->AddWorkflow(id, path, wf, sig, now_));
    return Log(SyncEvent::kAdded, id, path, "", "", wf.content_hash);
  }

  // A live workflow whose source vanished and whose content equals `wf`:
  // prefer one with the same file name, then the first path.
  const IndexRow* TakeRenameSource(const std::string& path, const ParsedWorkflow& wf) {
    auto it = missing_by_hash_.find(wf.content_hash);
    if (it == missing_by_hash_.end()) return nullptr;
    std::vector<const IndexRow*>& rows = it->second;
    const IndexRow* best = nullptr;
    size_t best_i = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const IndexRow* r = rows[i];
      if (r->format != wf.format) continue;
      bool same_name = BaseName(r->path) == BaseName(path);
      bool best_same = best != nullptr && BaseName(best->path) == BaseName(path);
      if (best == nullptr || (same_name && !best_same) ||
          (same_name == best_same && r->path < best->path)) {
        best = r;
        best_i = i;
      }
    }
    if (best != nullptr) rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(best_i));
    return best;
  }

  Status HandleMissing() {
    std::vector<const IndexRow*> gone;
    for (auto& [hash, rows] : missing_by_hash_) gone.insert(gone.end(), rows.begin(), rows.end());
    std::sort(gone.begin(), gone.end(),
              [](const IndexRow* a, const IndexRow* b) { return a->path < b->path; });
    if (options_.mode != SyncMode::kFull) {
      for (const IndexRow* r : gone) {
        report_.changes.push_back({ChangeKind::kMissing, r->path, "", r->id, ""});
      }
      return Status::OK();
    }
    int64_t n = static_cast<int64_t>(gone.size());
    if (!options_.force && n > 10 && n * 2 > live_before_) {
      return Status::Conflict(fmt::format(
          "this full sync would delete {} of {} workflows (more than half); refusing without "
          "--force (is {} the right root?)",
          n, live_before_, options_.root));
    }
    for (const IndexRow* r : gone) {
      ++report_.counts.deleted;
      report_.changes.push_back({ChangeKind::kDeleted, r->path, "", r->id, ""});
      if (options_.dry_run) continue;
      FS_TRY(txn_->MarkDeleted(r->id, now_));
      FS_TRY(Log(SyncEvent::kDeleted, r->id, r->path, "", r->content_hash, ""));
    }
    return Status::OK();
  }

  Status RecordError(const std::string& path, const std::string& message,
                     const IndexRow* row = nullptr) {
    if (row == nullptr) {
      auto it = by_path_.find(path);
      if (it != by_path_.end()) row = &index_[it->second];
    }
    ++report_.counts.errors;
    std::string id = row ? row->id : "";
    report_.changes.push_back({ChangeKind::kError, path, "", id, message});
    if (options_.dry_run) return Status::OK();
    return Log(SyncEvent::kError, id, path, "", row ? row->content_hash : "", "", message);
  }

  Status Log(SyncEvent event, const std::string& id, const std::string& path,
             const std::string& old_path, const std::string& old_hash, const std::string& new_hash,
             const std::string& message = "") {
    LogRecord r;
    r.run_id = run_id_;
    r.event = event;
    r.workflow_id = id;
    r.path = path;
    r.old_path = old_path;
    r.old_hash = old_hash;
    r.new_hash = new_hash;
    r.message = message;
    r.time = now_;
    return txn_->AppendLog(r);
  }

  Store& store_;
  const SyncOptions& options_;
  const FileSystem& fs_;
  std::unique_ptr<SyncTransaction> txn_;
  std::string now_;
  int64_t racy_after_ns_ = 0;
  int64_t run_id_ = 0;
  int64_t live_before_ = 0;
  std::vector<IndexRow> index_;
  std::unordered_map<std::string, size_t> by_path_;
  std::set<std::string> ids_;
  std::map<std::string, std::vector<const IndexRow*>> missing_by_hash_;
  SyncReport report_;
};

}  // namespace

Result<SyncReport> RunSync(Store& store, const SyncOptions& options) {
  return SyncRun(store, options).Run();
}

}  // namespace flowsync
