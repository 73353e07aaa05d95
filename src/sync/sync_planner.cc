#include "sync/sync_planner.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>

#include "source/workflow_path.h"
#include "sync/identity.h"
#include "util/path_text.h"

namespace flowsync {
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

SyncAction MakeAction(ActionKind kind, const std::string& path, const IndexRow* row) {
  SyncAction a;
  a.kind = kind;
  a.path = path;
  if (row != nullptr) {
    a.workflow_id = row->id;
    a.format = row->format;
    a.old_hash = row->content_hash;
  }
  return a;
}

// Whether the database side of a live row changed since the base: edited,
// renamed, or added there (no base).
bool ChangedInDatabase(const IndexRow& row) {
  return row.content_hash != row.base_hash || row.path != row.base_path;
}

// What the database did to `row` since the base, in words.
std::string DatabaseChange(const IndexRow& row) {
  if (row.deleted) return "deleted in the database";
  if (row.base_hash.empty()) return "added in the database";
  if (row.path != row.base_path) {
    return fmt::format("renamed in the database from {}{}", row.base_path,
                       row.content_hash != row.base_hash ? " and edited" : "");
  }
  return "edited in the database";
}

}  // namespace

Result<WalkComparison> CompareWalk(const WalkDigest& walk, SyncTransaction& txn) {
  std::set<std::string_view> broken;
  for (const ScanProblem& p : walk.broken) broken.insert(p.path);
  // Per source: its live stored workflows, whether the check fails, and
  // whether its decision may involve another key (planned with the rest).
  struct Seen {
    uint32_t live = 0;
    bool differs = false;
    bool entangled = false;
  };
  std::vector<Seen> seen(walk.size());
  constexpr size_t npos = WalkDigest::npos;
  WalkComparison out;
  FS_TRY(txn.ForEachIndexRow([&](const IndexRow& row) -> Status {
    ++out.rows;
    out.id_hashes.push_back(XXH3_64bits(row.id.data(), row.id.size()));
    if (!row.deleted) ++out.live;
    if (!row.deleted && !row.base_path.empty() && row.base_path != row.path) {
      // Renamed in the database: whether a file is at its base path, and
      // which, decides it (DecideMissing, RenamedAwayFrom).
      size_t base = walk.Find(row.base_path);
      if (base == npos && row.format == Format::kN8n) {
        // An element of an array export: decided with the export.
        if (std::optional<std::string_view> file = ElementFile(row.base_path)) {
          base = walk.Find(*file);
        }
      }
      if (base != npos) {
        seen[base].differs = true;
        seen[base].entangled = true;
      } else {
        out.keys.insert(row.base_path);
      }
    }
    // The source the row belongs to, as TakeScan assigns rows: its path,
    // else, for an n8n workflow, the array export it is an element of.
    size_t source = walk.Find(row.path);
    bool of_broken = source == npos && broken.count(row.path) > 0;
    bool element = false;
    if (source == npos && !of_broken && row.format == Format::kN8n) {
      if (std::optional<std::string_view> file = ElementFile(row.path)) {
        source = walk.Find(*file);
        of_broken = source == npos && broken.count(*file) > 0;
        element = true;
      }
    }
    if (source != npos) {
      Seen& s = seen[source];
      if (element) s.entangled = true;
      if (row.deleted) {
        // A stored row to restore, or deleted in the database (a base):
        // decided with its source.
        s.entangled = true;
        if (!row.base_hash.empty()) s.differs = true;
        return Status::OK();
      }
      ++s.live;
      if (ChangedInDatabase(row)) {
        s.differs = true;
        s.entangled = true;
      } else if (!WalkDigest::SameSig(walk[source], row.source_sig) ||
                 row.format != walk[source].format) {
        s.differs = true;
      }
      return Status::OK();
    }
    if (row.deleted || of_broken) return Status::OK();
    const bool unknowable =
        std::any_of(walk.unreadable_dirs.begin(), walk.unreadable_dirs.end(),
                    [&](const ScanProblem& d) { return IsUnder(row.path, d.path); });
    if (!unknowable) {
      out.keys.insert(row.path);  // gone: renamed, deleted, missing
      out.gone_hashes.insert(row.content_hash);
    }
    return Status::OK();
  }));
  std::sort(out.id_hashes.begin(), out.id_hashes.end());
  for (size_t i = 0; i < walk.size(); ++i) {
    // A file named like an element of an array export ("a.json#b") is
    // decided with that export (a workflow of it may name the same key).
    std::optional<std::string_view> file = ElementFile(walk.Key(i));
    if (size_t f = file ? walk.Find(*file) : npos; f != npos) {
      seen[i] = {seen[i].live, true, true};
      seen[f] = {seen[f].live, true, true};
    }
  }
  for (size_t i = 0; i < walk.size(); ++i) {
    if (seen[i].live > 1) seen[i].entangled = true;  // an array export
    if (seen[i].live == 0 || seen[i].differs) {
      if (seen[i].entangled) {
        out.keys.insert(std::string(walk.Key(i)));
      } else {
        out.plain.push_back(static_cast<uint32_t>(i));
      }
    } else {
      ++out.settled_sources;
      out.settled_workflows += seen[i].live;
    }
  }
  for (const ScanProblem& p : walk.broken) out.keys.insert(p.path);
  for (const ScanProblem& d : walk.unreadable_dirs) out.keys.insert(d.path);
  return out;
}

bool WalkComparison::IdMayBeStored(const std::string& id) const {
  return std::binary_search(id_hashes.begin(), id_hashes.end(), XXH3_64bits(id.data(), id.size()));
}

bool NeedsContent(ActionKind kind) {
  switch (kind) {
    case ActionKind::kAdd:
    case ActionKind::kUpdate:
    case ActionKind::kRefresh:
    case ActionKind::kRename:
    case ActionKind::kRestore:
      return true;
    case ActionKind::kDelete:
    case ActionKind::kError:
    case ActionKind::kMissing:
    case ActionKind::kKeep:
    case ActionKind::kConflict:
      return false;
  }
  return false;
}

SyncPlanner::SyncPlanner(const SyncOptions& options, std::string project, int64_t now_ms,
                         std::vector<IndexRow> index, IndexLookup* lookup)
    : options_(options),
      project_(std::move(project)),
      racy_after_ns_(now_ms * 1'000'000 - kRacyMarginNs),
      index_(std::move(index)),
      lookup_(lookup) {
  for (size_t i = 0; i < index_.size(); ++i) {
    by_path_.emplace(index_[i].path, i);
    const IndexRow& row = index_[i];
    if (!row.deleted && !row.base_path.empty() && row.base_path != row.path) {
      renamed_from_.emplace(row.base_path, i);
    }
    ids_.insert(index_[i].id);
    if (!index_[i].deleted && InScope(index_[i])) ++live_before_;
  }
}

bool SyncPlanner::InScope(const IndexRow& row) const {
  return options_.scope.Contains(row.format, row.path);
}

bool SyncPlanner::InScope(const std::string& path) const {
  const SyncScope& scope = options_.scope;
  if (!scope.path.empty() && path != scope.path) return false;
  if (!scope.format) return true;
  const size_t slash = path.rfind('/');
  std::optional<Format> f =
      FileFormatForName(slash == std::string::npos ? path : path.substr(slash + 1));
  // What the walk could not examine was named like a workflow: its
  // extension says the format.
  return f.has_value() && *f == *scope.format;
}

std::vector<const ScannedSource*> SyncPlanner::TakeScan(const ScanResult& scan,
                                                        std::vector<SyncAction>* decided) {
  // Sources present on disk, for the missing set.
  for (const ScannedSource& s : scan.sources) present_.insert(s.candidate.key);
  for (const ScanProblem& p : scan.broken) present_.insert(p.path);

  // Rows of the workflows of array exports: "<file>#<id>" paths where no
  // source is, below an n8n file that is there (or could not be examined).
  std::vector<bool> of_a_file(index_.size(), false);
  for (size_t i = 0; i < index_.size(); ++i) {
    const IndexRow& row = index_[i];
    if (row.format != Format::kN8n || present_.count(row.path)) continue;
    std::optional<std::string_view> file = ElementFile(row.path);
    if (!file || !present_.count(std::string(*file))) continue;
    elements_of_[std::string(*file)].push_back(i);
    of_a_file[i] = true;
  }

  // Cheap check first: unchanged signatures need no read at all.
  std::vector<const ScannedSource*> to_read;
  for (const ScannedSource& s : scan.sources) {
    if (!options_.scope.Contains(s.candidate.format, s.candidate.key)) continue;
    ++scanned_;
    int64_t live = 0;
    bool same = true;
    for (const IndexRow* row : StoredRows(s.candidate.key)) {
      // Deleted rows stay deleted while the file is unchanged (a file with
      // none live is read: it may restore one).
      if (row->deleted) continue;
      ++live;
      same = same && !row->source_sig.empty() && row->source_sig == s.sig &&
             row->format == s.candidate.format;
    }
    if (live > 0 && same) {
      for (const IndexRow* row : StoredRows(s.candidate.key)) {
        if (row->deleted) {
          // An array export's workflow deleted in the database (a sync's
          // deletion clears the base); the file is as the sync left it.
          if (!row->base_hash.empty()) decided->push_back(Keep(*row));
          continue;
        }
        if (ChangedInDatabase(*row)) {
          decided->push_back(Keep(*row));
        } else {
          ++counts_.unchanged;
        }
      }
      continue;
    }
    to_read.push_back(&s);
  }

  // Live rows whose source is gone: rename sources, or deletions. Those of
  // an array export that is read are decided with it.
  for (size_t i = 0; i < index_.size(); ++i) {
    const IndexRow& row = index_[i];
    if (row.deleted || !InScope(row) || present_.count(row.path) || of_a_file[i]) continue;
    bool unknowable = std::any_of(scan.unreadable_dirs.begin(), scan.unreadable_dirs.end(),
                                  [&](const ScanProblem& d) { return IsUnder(row.path, d.path); });
    if (unknowable) continue;
    AddMissing(&row);
  }

  for (const ScanProblem& p : scan.broken) {
    if (InScope(p.path)) decided->push_back(Error(p.path, p.status.code(), p.message, nullptr));
  }
  for (const ScanProblem& d : scan.unreadable_dirs) {
    decided->push_back(Error(d.path, d.status.code(), d.message, nullptr));
  }
  return to_read;
}

std::string SyncPlanner::TrustedSig(const ScannedSource& s) const {
  return s.newest_mtime_ns >= racy_after_ns_ ? std::string() : s.sig;
}

const IndexRow* SyncPlanner::RowAt(const std::string& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &index_[it->second];
}

std::vector<const IndexRow*> SyncPlanner::StoredRows(const std::string& key) const {
  std::vector<const IndexRow*> rows;
  if (const IndexRow* row = RowAt(key)) rows.push_back(row);
  if (auto it = elements_of_.find(key); it != elements_of_.end()) {
    for (size_t i : it->second) rows.push_back(&index_[i]);
  }
  return rows;
}

SyncAction SyncPlanner::Error(const std::string& path, StatusCode code, const std::string& message,
                              const IndexRow* row) {
  if (row == nullptr) row = RowAt(path);
  ++counts_.errors;
  SyncAction a = MakeAction(ActionKind::kError, path, row);
  // Stored in the log and printed as JSON: an operating system's message
  // may quote a path that is not UTF-8.
  a.message = ValidUtf8(message);
  a.code = code;
  return a;
}

Result<std::vector<SyncPlanner::Decision>> SyncPlanner::Decide(const ScannedSource& s,
                                                               const ReadOutcome& outcome) {
  const std::string& key = s.candidate.key;
  std::vector<Decision> out;
  if (!outcome.ok()) {
    out.push_back({Error(key, outcome.status().code(), outcome.status().message(), nullptr)});
    return out;
  }
  const std::vector<const IndexRow*> stored = StoredRows(key);
  const SourceWorkflows& read = *outcome;
  if (read.workflows.empty()) {
    // Stored workflows are never deleted because their file became
    // something else: that is more often a mistake than a deletion.
    for (const IndexRow* row : stored) {
      if (row->deleted) continue;
      const std::string message =
          row->path == key ? fmt::format(
                                 "{}: no longer holds a {} workflow; the stored version is kept "
                                 "(delete the file to delete the workflow)",
                                 key, FormatName(row->format))
                           : fmt::format(
                                 "{}: {} no longer holds n8n workflows; the stored version is kept "
                                 "(delete the file to delete its workflows)",
                                 row->path, key);
      out.push_back({Error(row->path, StatusCode::kInvalidArgument, message, row)});
    }
    if (out.empty()) ignored_.push_back({key, read.ignored});
    return out;
  }

  // Stored workflows of this source that it no longer holds: rename
  // sources for what follows, else deletions.
  std::set<std::string_view> keys;
  bool refused = false;
  for (const SourceWorkflow& w : read.workflows) {
    keys.insert(w.key);
    refused = refused || !w.workflow.ok();
  }
  for (const IndexRow* row : stored) {
    if (!row->deleted && InScope(*row) && !keys.count(row->path)) AddMissing(row);
  }
  // Without a signature the file is read again next time, and a refused
  // workflow of it reported again.
  const std::string sig = refused ? std::string() : TrustedSig(s);
  for (const SourceWorkflow& w : read.workflows) {
    if (!w.workflow.ok()) {
      out.push_back(
          {Error(w.key, w.workflow.status().code(), w.workflow.status().message(), nullptr)});
    } else if (w.key != key && present_.count(w.key)) {
      out.push_back({Error(w.key, StatusCode::kInvalidArgument,
                           fmt::format("{}: names both a workflow of {} and a source on disk; "
                                       "rename one of them",
                                       w.key, key),
                           nullptr)});
    } else {
      FS_TRY_ASSIGN(SyncAction a, DecideWorkflow(w.key, *w.workflow, sig, s.candidate));
      out.push_back({std::move(a), &*w.workflow});
    }
  }
  return out;
}

Result<SyncAction> SyncPlanner::DecideWorkflow(const std::string& path, const ParsedWorkflow& wf,
                                               std::string sig, const SourceCandidate& source) {
  const IndexRow* row = RowAt(path);
  const IndexRow* from = nullptr;
  // A conflict over `r` met at the file `path`: the file is where a diff
  // reads it.
  auto conflict = [&](const IndexRow& r, std::string message) {
    SyncAction c = Conflict(r, path, std::move(message));
    c.new_hash = wf.content_hash;
    c.source = source;
    return c;
  };
  if (row == nullptr) {
    // The file at a path the database renamed a workflow away from.
    if (const IndexRow* moved = RenamedAwayFrom(path); moved != nullptr) {
      const bool file_changed = wf.content_hash != moved->base_hash;
      if (!file_changed || options_.PreferFor(moved->path) == Prefer::kDatabase ||
          options_.PreferFor(path) == Prefer::kDatabase) {
        return Keep(*moved);
      }
      // Renamed there, edited here: even --prefer files does not guess
      // which path wins.
      return conflict(
          *moved,
          fmt::format("{}: edited in the files and renamed in the database "
                      "to {}{}",
                      path, moved->path,
                      moved->content_hash != moved->base_hash ? " (and edited there)" : ""));
    }
    FS_TRY_ASSIGN(from, TakeRenameSource(path, wf));
  }
  SyncAction a;
  const bool same =
      row != nullptr && row->content_hash == wf.content_hash && row->format == wf.format;
  if (row != nullptr && !row->deleted) {
    if (same) {
      // Same content (perhaps reformatted, perhaps the same edit on both
      // sides): refresh the text and signature, and the base.
      ++counts_.unchanged;
      a = MakeAction(ActionKind::kRefresh, path, row);
      a.base_hash = row->base_hash;
      a.base_path = row->base_path;
    } else if (ChangedInDatabase(*row)) {
      if (wf.content_hash == row->base_hash && row->path == row->base_path) {
        // The file holds the base: its signature says so from now on.
        SyncAction k = Keep(*row);
        k.sig = std::move(sig);
        return k;
      }
      switch (options_.PreferFor(path)) {
        case Prefer::kDatabase:
          return Keep(*row);
        case Prefer::kNone:
          return conflict(
              *row, fmt::format("{}: edited in the files and {}", path, DatabaseChange(*row)));
        case Prefer::kFiles:
          break;
      }
      ++counts_.updated;
      a = MakeAction(ActionKind::kUpdate, path, row);
    } else {
      ++counts_.updated;
      a = MakeAction(ActionKind::kUpdate, path, row);
    }
  } else if (row != nullptr && !row->base_hash.empty()) {
    // Deleted in the database (a sync's deletion clears the base).
    const bool file_changed = wf.content_hash != row->base_hash;
    const Prefer prefer = options_.PreferFor(path);
    if (!file_changed || prefer == Prefer::kDatabase) return Keep(*row);
    if (prefer == Prefer::kNone) {
      return conflict(*row,
                      fmt::format("{}: edited in the files and deleted in the database", path));
    }
    ++counts_.restored;
    a = MakeAction(ActionKind::kRestore, path, row);
    a.content_changed = !same;
  } else if (row != nullptr) {  // soft-deleted by a sync, and its source is back
    ++counts_.restored;
    a = MakeAction(ActionKind::kRestore, path, row);
    a.content_changed = !same;
  } else if (from != nullptr) {
    ++counts_.renamed;
    a = MakeAction(ActionKind::kRename, path, from);
    a.old_path = from->path;
  } else {
    ++counts_.added;
    a = MakeAction(ActionKind::kAdd, path, nullptr);
    FS_TRY_ASSIGN(a.workflow_id, NewId(path));
    ids_.insert(a.workflow_id);
  }
  a.format = wf.format;
  a.new_hash = wf.content_hash;
  a.sig = std::move(sig);
  a.source = source;
  return a;
}

Result<std::string> SyncPlanner::NewId(const std::string& path) {
  while (true) {
    std::string id = NewWorkflowId(project_, path, ids_);
    if (lookup_ == nullptr) return id;
    FS_TRY_ASSIGN(bool taken, lookup_->IdTaken(id));
    if (!taken) return id;
    ids_.insert(std::move(id));
  }
}

Status SyncPlanner::AddOutsideRenameSources(const std::string& hash) {
  if (lookup_ == nullptr || !hashes_looked_up_.insert(hash).second) return Status::OK();
  FS_TRY_ASSIGN(std::vector<IndexRow> rows, lookup_->RowsWithHash(hash));
  for (IndexRow& row : rows) {
    if (row.deleted || by_path_.count(row.path) || InScope(row) || ChangedInDatabase(row) ||
        !lookup_->SourceGone(row)) {
      continue;
    }
    outside_.push_back(std::move(row));
    outside_rows_.insert(&outside_.back());
    missing_by_hash_[hash].push_back(&outside_.back());
  }
  return Status::OK();
}

// A live workflow whose source vanished and whose content equals `wf`:
// prefer one with the same file name, then the first path.
Result<const IndexRow*> SyncPlanner::TakeRenameSource(const std::string& path,
                                                      const ParsedWorkflow& wf) {
  FS_TRY(AddOutsideRenameSources(wf.content_hash));
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

Result<std::vector<SyncAction>> SyncPlanner::DecideMissing() {
  std::vector<const IndexRow*> gone;
  for (auto& [hash, rows] : missing_by_hash_) {
    for (const IndexRow* r : rows) {
      if (!outside_rows_.count(r)) gone.push_back(r);
    }
  }
  std::vector<SyncAction> out;
  // Changed in the database and without a file: added or renamed there (a
  // file at the old path was decided with it), or deleted in the files and
  // edited in the database.
  std::sort(changed_gone_.begin(), changed_gone_.end(),
            [](const IndexRow* a, const IndexRow* b) { return a->path < b->path; });
  for (const IndexRow* r : changed_gone_) {
    if (decided_.count(r->id)) continue;
    if (r->base_hash.empty()) {
      out.push_back(Keep(*r));
      continue;
    }
    const bool base_file_gone = r->path == r->base_path || !present_.count(r->base_path);
    // Decided with the file at its base path; or that path is outside the
    // scope, which cannot say whether the file is there.
    if (!base_file_gone || !options_.scope.Contains(r->format, r->base_path)) continue;
    switch (options_.PreferFor(r->path)) {
      case Prefer::kDatabase:
        out.push_back(Keep(*r));
        continue;
      case Prefer::kFiles:
        gone.push_back(r);
        continue;
      case Prefer::kNone:
        out.push_back(Conflict(
            *r, r->path,
            fmt::format("{}: deleted in the files and {}", r->base_path, DatabaseChange(*r))));
        continue;
    }
  }
  std::sort(gone.begin(), gone.end(),
            [](const IndexRow* a, const IndexRow* b) { return a->path < b->path; });
  if (options_.mode != SyncMode::kFull) {
    for (const IndexRow* r : gone) out.push_back(MakeAction(ActionKind::kMissing, r->path, r));
    return out;
  }
  int64_t n = static_cast<int64_t>(gone.size());
  if (!options_.force && n > 10 && lookup_ != nullptr) {
    FS_TRY_ASSIGN(live_before_, lookup_->CountLive());  // every workflow, not the scope's
  }
  if (!options_.force && n > 10 && n * 2 > live_before_) {
    return Status::Conflict(fmt::format(
        "this full sync would delete {} of {} workflows (more than half); refusing without "
        "--force (is {} the right root?)",
        n, live_before_, options_.root));
  }
  for (const IndexRow* r : gone) {
    ++counts_.deleted;
    out.push_back(MakeAction(ActionKind::kDelete, r->path, r));
  }
  return out;
}

void SyncPlanner::AddMissing(const IndexRow* row) {
  if (ChangedInDatabase(*row)) {
    changed_gone_.push_back(row);
  } else {
    missing_by_hash_[row->content_hash].push_back(row);
  }
}

const IndexRow* SyncPlanner::RenamedAwayFrom(const std::string& path) const {
  auto [first, last] = renamed_from_.equal_range(path);
  for (auto it = first; it != last; ++it) {
    const IndexRow& row = index_[it->second];
    // Where the database moved it, no file is: else that file decides it.
    if (!present_.count(row.path) && !decided_.count(row.id)) return &row;
  }
  return nullptr;
}

SyncAction SyncPlanner::Keep(const IndexRow& row) {
  ++counts_.database_changed;
  decided_.insert(row.id);
  SyncAction a = MakeAction(ActionKind::kKeep, row.path, &row);
  a.message = DatabaseChange(row);
  a.base_hash = row.base_hash;
  a.base_path = row.base_path;
  a.deleted = row.deleted;
  return a;
}

SyncAction SyncPlanner::Conflict(const IndexRow& row, const std::string& path,
                                 std::string message) {
  ++counts_.conflicts;
  decided_.insert(row.id);
  SyncAction a = MakeAction(ActionKind::kConflict, path, &row);
  a.message = ValidUtf8(message);
  a.code = StatusCode::kConflict;
  a.base_hash = row.base_hash;
  a.base_path = row.base_path;
  a.deleted = row.deleted;
  return a;
}

Status PlanWriter::Write(const SyncAction& a, const ParsedWorkflow* wf) {
  switch (a.kind) {
    case ActionKind::kAdd:
      FS_TRY(txn_.AddWorkflow(a.workflow_id, a.path, *wf, a.sig, now_));
      return Log(SyncEvent::kAdded, a, "", a.new_hash);
    case ActionKind::kUpdate:
      FS_TRY(txn_.UpdateWorkflow(a.workflow_id, *wf, a.sig, true, run_id_, now_));
      return Log(SyncEvent::kUpdated, a, "", a.new_hash);
    case ActionKind::kRefresh:
      return txn_.UpdateWorkflow(a.workflow_id, *wf, a.sig, false, run_id_, now_);
    case ActionKind::kRestore:
      FS_TRY(txn_.Restore(a.workflow_id, now_));
      FS_TRY(txn_.UpdateWorkflow(a.workflow_id, *wf, a.sig, a.content_changed, run_id_, now_));
      return Log(SyncEvent::kRestored, a, "", a.new_hash);
    case ActionKind::kRename:
      FS_TRY(txn_.MoveWorkflow(a.workflow_id, a.path, a.sig, now_));
      // The text may differ by formatting; the canonical content does not.
      FS_TRY(txn_.UpdateWorkflow(a.workflow_id, *wf, a.sig, false, run_id_, now_));
      return Log(SyncEvent::kRenamed, a, a.old_path, a.new_hash);
    case ActionKind::kDelete:
      FS_TRY(txn_.MarkDeleted(a.workflow_id, now_));
      return Log(SyncEvent::kDeleted, a, "", "");
    case ActionKind::kError:
      return Log(SyncEvent::kError, a, "", "");
    case ActionKind::kKeep:
      // Only a file that holds the base has a signature here.
      return a.sig.empty() ? Status::OK() : txn_.RecordSourceSig(a.workflow_id, a.sig);
    case ActionKind::kMissing:
    case ActionKind::kConflict:
      return Status::OK();
  }
  return Status::Internal("unknown sync action");
}

Status PlanWriter::Log(SyncEvent event, const SyncAction& a, const std::string& old_path,
                       const std::string& new_hash) {
  LogRecord r;
  r.run_id = run_id_;
  r.event = event;
  r.workflow_id = a.workflow_id;
  r.path = a.path;
  r.old_path = old_path;
  r.old_hash = a.old_hash;
  r.new_hash = new_hash;
  r.message = a.message;
  r.time = now_;
  return txn_.AppendLog(r);
}

}  // namespace flowsync
