// The sync engine: plan against the stored index, read what changed, write
// the outcome in one transaction. ARCHITECTURE.md, "Data flow of a sync",
// gives the picture; sync/sync_planner.h the rules.
#include "flowsync/sync.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "flowsync/clock.h"
#include "source/scan.h"
#include "source/workflow_path.h"
#include "sync/parallel_reader.h"
#include "sync/sync_planner.h"
#include "util/path_text.h"
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
    case ChangeKind::kDatabaseChanged:
      return "changed-in-database";
    case ChangeKind::kConflict:
      return "conflict";
  }
  return "unknown";
}

namespace {

// Whether `key` is one of `keys` or below one of them (a folder).
bool AtOrBelow(const std::set<std::string>& keys, std::string_view key) {
  while (true) {
    if (keys.count(std::string(key))) return true;
    const size_t slash = key.rfind('/');
    if (slash == std::string_view::npos) return false;
    key = key.substr(0, slash);
  }
}

}  // namespace

bool SyncScope::Contains(Format f, std::string_view key) const {
  if (format && *format != f) return false;
  if (!subtrees.empty()) {
    std::optional<std::string_view> file = ElementFile(key);
    if (!AtOrBelow(subtrees, key) && !(file && AtOrBelow(subtrees, *file))) return false;
  }
  return path.empty() || key == path || ElementFile(key) == std::string_view(path);
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

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kAdd:
      return "add";
    case ActionKind::kUpdate:
      return "update";
    case ActionKind::kRefresh:
      return "refresh";
    case ActionKind::kRename:
      return "rename";
    case ActionKind::kRestore:
      return "restore";
    case ActionKind::kDelete:
      return "delete";
    case ActionKind::kError:
      return "error";
    case ActionKind::kMissing:
      return "missing";
    case ActionKind::kKeep:
      return "keep";
    case ActionKind::kConflict:
      return "conflict";
  }
  return "unknown";
}

bool SyncPlan::HasWrites() const {
  return std::any_of(actions.begin(), actions.end(), [](const SyncAction& a) {
    if (a.kind == ActionKind::kKeep) return !a.sig.empty();  // the file's signature
    return a.kind != ActionKind::kMissing && a.kind != ActionKind::kConflict;
  });
}

Prefer SyncOptions::PreferFor(const std::string& key) const {
  auto it = prefer_paths.find(key);
  return it != prefer_paths.end() ? it->second : prefer;
}

namespace {

int Threads(const SyncOptions& options) {
  return options.threads > 0 ? options.threads
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int64_t NowMs(const SyncOptions& options) {
  return (options.clock != nullptr ? *options.clock : SystemClock()).NowMs();
}

// The change a report lists for an action; nullopt for a refresh.
std::optional<Change> ChangeOf(const SyncAction& a) {
  ChangeKind kind;
  switch (a.kind) {
    case ActionKind::kAdd:
      kind = ChangeKind::kAdded;
      break;
    case ActionKind::kUpdate:
      kind = ChangeKind::kUpdated;
      break;
    case ActionKind::kRename:
      kind = ChangeKind::kRenamed;
      break;
    case ActionKind::kRestore:
      kind = ChangeKind::kRestored;
      break;
    case ActionKind::kDelete:
      kind = ChangeKind::kDeleted;
      break;
    case ActionKind::kError:
      kind = ChangeKind::kError;
      break;
    case ActionKind::kMissing:
      kind = ChangeKind::kMissing;
      break;
    case ActionKind::kKeep:
      kind = ChangeKind::kDatabaseChanged;
      break;
    case ActionKind::kConflict:
      kind = ChangeKind::kConflict;
      break;
    case ActionKind::kRefresh:
    default:
      return std::nullopt;
  }
  return Change{kind, a.path, a.old_path, a.workflow_id, a.message, a.code};
}

bool ChangesStored(const RunCounts& c) {
  return c.added + c.updated + c.renamed + c.deleted + c.restored > 0;
}

void SortChanges(SyncReport& report) {
  std::stable_sort(report.changes.begin(), report.changes.end(),
                   [](const Change& a, const Change& b) { return a.path < b.path; });
}

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// The walk of a run: the tree, the subtrees of a scope, or its one source.
ScanResult Scan(const FileSystem& fs, const SyncOptions& options) {
  if (!options.scope.path.empty()) return ScanOne(fs, options.root, options.scope.path);
  if (!options.scope.subtrees.empty()) {
    return ScanSubtrees(fs, options.root, options.scope.subtrees, Threads(options));
  }
  return ScanTree(fs, options.root, Threads(options));
}

bool IsBundle(const FileSystem& fs, const std::string& root, const std::string& key) {
  Result<FileInfo> main =
      fs.Lstat(JoinPath(JoinPath(root, TextToPath(key)), std::string(kBundleMainFile)));
  return main.ok() && main->type != FileType::kDirectory;
}

// `options` with the scope's subtrees as the walk sees them: a key inside a
// bundle, or naming a bundle member, becomes the bundle (the walk does not
// enter bundles); a key below another one goes; "." (the root) makes it the
// whole tree.
SyncOptions ResolveScope(const FileSystem& fs, const SyncOptions& options) {
  SyncOptions out = options;
  if (options.scope.subtrees.empty()) return out;
  std::set<std::string> keys;
  for (std::string key : options.scope.subtrees) {
    if (key.empty() || key == ".") {
      out.scope.subtrees.clear();
      return out;
    }
    const size_t last = key.rfind('/');
    if (last != std::string::npos &&
        std::find(kBundleMembers.begin(), kBundleMembers.end(),
                  std::string_view(key).substr(last + 1)) != kBundleMembers.end()) {
      key.resize(last);
    }
    // The outermost bundle above the key: the walk stops at the first.
    for (size_t slash = key.find('/'); slash != std::string::npos;
         slash = key.find('/', slash + 1)) {
      if (IsBundle(fs, options.root, key.substr(0, slash))) {
        key.resize(slash);
        break;
      }
    }
    keys.insert(std::move(key));
  }
  out.scope.subtrees.clear();
  for (const std::string& key : keys) {
    if (!AtOrBelow(out.scope.subtrees, key)) out.scope.subtrees.insert(key);
  }
  return out;
}

// What a scoped planner asks of the store (through the run's transaction)
// and of the tree.
class StoreLookup final : public IndexLookup {
 public:
  StoreLookup(SyncTransaction& txn, const FileSystem& fs, const std::string& root)
      : txn_(txn), fs_(fs), root_(root) {}
  Result<std::vector<IndexRow>> RowsWithHash(const std::string& hash) override {
    // Only a stored workflow whose source is gone can be renamed.
    if (stored_ && !stored_->gone_hashes.count(hash)) return std::vector<IndexRow>();
    return txn_.LoadIndexWithHash(hash);
  }
  Result<bool> IdTaken(const std::string& id) override {
    if (stored_) {
      const uint64_t h = XXH3_64bits(id.data(), id.size());
      if (!stored_->IdMayBeStored(id) && !added_now_.count(h) &&
          !std::binary_search(added_.begin(), added_.end(), h)) {
        return false;
      }
    }
    return txn_.IdTaken(id);
  }
  // What a walk comparison knew of the stored rows, which then answers for
  // the store where it can (a run in parts asks for every new source).
  // REQUIRES: `stored` outlives the lookup; NoteAdded is told every id the
  // run adds.
  void KnowStored(const WalkComparison* stored) { stored_ = stored; }
  void NoteAdded(const std::string& id) { added_now_.insert(XXH3_64bits(id.data(), id.size())); }
  // Between parts: what was added joins the sorted list (8 bytes an id).
  void EndPart() {
    const size_t before = added_.size();
    added_.insert(added_.end(), added_now_.begin(), added_now_.end());
    added_now_.clear();
    std::sort(added_.begin() + static_cast<std::ptrdiff_t>(before), added_.end());
    std::inplace_merge(added_.begin(), added_.begin() + static_cast<std::ptrdiff_t>(before),
                       added_.end());
  }
  Result<int64_t> CountLive() override {
    if (live_) return *live_;
    return txn_.CountLive();
  }
  // The live count before the run, when it is known (a walk comparison
  // counted it): the guard rail then ignores what the run added.
  void KnowLive(int64_t live) { live_ = live; }
  bool SourceGone(const IndexRow& row) override {
    std::optional<std::string_view> file = ElementFile(row.path);
    const ScanResult found = ScanOne(fs_, root_, file ? std::string(*file) : row.path);
    return found.sources.empty() && found.broken.empty() && found.unreadable_dirs.empty();
  }

 private:
  SyncTransaction& txn_;
  const FileSystem& fs_;
  std::string root_;
  std::optional<int64_t> live_;
  const WalkComparison* stored_ = nullptr;
  // XXH3-64 of the ids the run added: sorted, and of the current part.
  std::vector<uint64_t> added_;
  std::unordered_set<uint64_t> added_now_;
};

// The stored rows at and below `keys`, each once.
Result<std::vector<IndexRow>> LoadRowsUnder(SyncTransaction& txn,
                                            const std::set<std::string>& keys) {
  FS_TRY_ASSIGN(std::vector<IndexRow> rows, txn.LoadIndexUnder(keys));
  // "x" and "x#y.json" may both load "x#y.json".
  std::sort(rows.begin(), rows.end(),
            [](const IndexRow& a, const IndexRow& b) { return a.path < b.path; });
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const IndexRow& a, const IndexRow& b) { return a.path == b.path; }),
             rows.end());
  return rows;
}

// The stored rows a run plans against: all of them, or those of the
// scope's subtrees (each once), with `lookup` for the rest.
struct PlannerIndex {
  std::vector<IndexRow> rows;
  std::unique_ptr<StoreLookup> lookup;  // null for a whole tree
};

Result<PlannerIndex> LoadPlannerIndex(SyncTransaction& txn, const FileSystem& fs,
                                      const SyncOptions& options) {
  PlannerIndex out;
  if (options.scope.subtrees.empty()) {
    FS_TRY_ASSIGN(out.rows, txn.LoadIndex());
    return out;
  }
  FS_TRY_ASSIGN(out.rows, LoadRowsUnder(txn, options.scope.subtrees));
  out.lookup = std::make_unique<StoreLookup>(txn, fs, options.root);
  return out;
}

// What a run plans with: its walk, the stored rows it needs, and what a
// comparison of the whole walk with the index settled before.
struct RunInput {
  SyncOptions options;  // as given, or scoped to the keys a comparison left
  ScanResult scan;
  PlannerIndex index;
  int64_t settled_sources = 0;
  int64_t settled_workflows = 0;
  // Set when a comparison left many keys and the caller plans in parts
  // (RunInParts): then `scan` and `index` are empty.
  std::unique_ptr<WalkComparison> compared;
  WalkDigest walk;  // of `compared`
};

// Whether the keys a comparison left are few enough for one scoped
// planner: at most one part's worth, and cheaper to look up key by key than
// the whole index (an initial sync, say, leaves every key).
bool FewKeys(const WalkComparison& c, const WalkDigest& walk, const SyncOptions& options) {
  return c.Leftover() <= std::min(std::max<size_t>(1, options.plan_chunk),
                                  1000 + (walk.size() + static_cast<size_t>(c.rows)) / 16);
}

// Walks (the whole tree, or the scope's parts) and loads what the planner
// needs. A sync of the whole tree first compares its walk, digested, with
// the index streamed row by row (CompareWalk) and, when that leaves few
// keys, plans only them as a scope: its memory then follows the change,
// not the tree. When it leaves many, a caller that can plans in parts
// (`parts`); any other plans against the whole index.
Result<RunInput> PrepareRun(SyncTransaction& txn, const FileSystem& fs, const SyncOptions& options,
                            bool root_ok, bool parts) {
  RunInput in;
  in.options = options;
  if (options.progress) options.progress(SyncStage::kWalk, 0, 0);
  if (!root_ok) {
    FS_TRY_ASSIGN(in.index, LoadPlannerIndex(txn, fs, options));
    return in;
  }
  const SyncScope& scope = options.scope;
  if (options.whole_index || !scope.subtrees.empty() || !scope.path.empty() || scope.format) {
    in.scan = Scan(fs, options);
    FS_TRY_ASSIGN(in.index, LoadPlannerIndex(txn, fs, options));
    return in;
  }
  WalkDigest walk = DigestTree(fs, options.root, Threads(options));
  Result<WalkComparison> compared = CompareWalk(walk, txn);
  if (!compared.ok() && compared.status().code() != StatusCode::kUnsupported) {
    return compared.status();
  }
  if (!compared.ok() || (!parts && !FewKeys(*compared, walk, options))) {
    walk = WalkDigest{};
    in.scan = Scan(fs, options);
    FS_TRY_ASSIGN(in.index, LoadPlannerIndex(txn, fs, options));
    return in;
  }
  in.settled_sources = compared->settled_sources;
  in.settled_workflows = compared->settled_workflows;
  if (!FewKeys(*compared, walk, options)) {
    in.compared = std::make_unique<WalkComparison>(std::move(*compared));
    in.walk = std::move(walk);
    return in;
  }
  for (uint32_t i : compared->plain) compared->keys.emplace(walk.Key(i));
  walk = WalkDigest{};
  if (compared->keys.empty()) return in;  // nothing to plan
  in.options.scope.subtrees = std::move(compared->keys);
  in.options = ResolveScope(fs, in.options);
  FS_TRY_ASSIGN(in.index, LoadPlannerIndex(txn, fs, in.options));
  if (in.index.lookup) in.index.lookup->KnowLive(compared->live);
  in.scan = Scan(fs, in.options);
  return in;
}

// Adds what a comparison settled to a planner's counts.
RunCounts CountsOf(const RunInput& in, const SyncPlanner& planner) {
  RunCounts counts = planner.counts();
  counts.unchanged += in.settled_workflows;
  return counts;
}

// Walks the tree, reads what changed and decides, handing every action (and
// the content it needs) to `sink` in order. Used by a plan (which keeps the
// actions) and a run (which writes them at once).
using ActionSink = std::function<Status(const SyncAction&, const ParsedWorkflow*)>;

// With `missing_left`, what DecideMissing would decide is not: that is
// said instead (a part of a run in parts needs the whole index then).
Status Decide(const FileSystem& fs, const SyncOptions& options, const ScanResult& scan,
              SyncPlanner& planner, const ActionSink& sink, bool* missing_left = nullptr) {
  std::vector<SyncAction> decided;
  std::vector<const ScannedSource*> to_read = planner.TakeScan(scan, &decided);
  for (const SyncAction& a : decided) FS_TRY(sink(a, nullptr));

  std::vector<const SourceCandidate*> candidates;
  candidates.reserve(to_read.size());
  for (const ScannedSource* s : to_read) candidates.push_back(&s->candidate);
  if (options.progress) options.progress(SyncStage::kRead, 0, to_read.size());
  {
    ParallelReader reader(fs, candidates, options.limits, Threads(options));
    for (size_t i = 0; i < to_read.size(); ++i) {
      ReadOutcome outcome = reader.Take(i);
      FS_TRY_ASSIGN(std::vector<SyncPlanner::Decision> decisions,
                    planner.Decide(*to_read[i], outcome));
      for (const SyncPlanner::Decision& d : decisions) {
        FS_TRY(sink(d.action, d.workflow));
      }
      if (options.progress) options.progress(SyncStage::kRead, i + 1, to_read.size());
    }
  }
  FS_TRY_ASSIGN(std::vector<SyncAction> missing, planner.DecideMissing());
  if (missing_left != nullptr) {
    *missing_left = !missing.empty();
    return Status::OK();
  }
  for (const SyncAction& m : missing) FS_TRY(sink(m, nullptr));
  return Status::OK();
}

void AddCounts(RunCounts& to, const RunCounts& c) {
  to.added += c.added;
  to.updated += c.updated;
  to.renamed += c.renamed;
  to.deleted += c.deleted;
  to.restored += c.restored;
  to.unchanged += c.unchanged;
  to.errors += c.errors;
  to.database_changed += c.database_changed;
  to.conflicts += c.conflicts;
}

// What a run in parts decided, beside its actions.
struct PartsOutcome {
  RunCounts counts;
  int64_t scanned = 0;
  std::vector<IgnoredSource> ignored;
  // A part needs the whole index: a source planned on its own lost a
  // stored workflow (it stopped being one, or became an array export,
  // whose workflow may be renamed anywhere). Nothing of the run counts.
  bool whole = false;
};

// Plans a run whose comparison left many keys in parts, handing every
// action to `sink`: the plain sources in chunks of options.plan_chunk, in
// key order (a rename from a gone path is found through the store), then
// the other keys together, as one scope; so that no part holds the tree.
Result<PartsOutcome> RunInParts(SyncTransaction& txn, const FileSystem& fs, const RunInput& in,
                                const std::string& project, int64_t now_ms,
                                const ActionSink& sink) {
  const WalkComparison& c = *in.compared;
  StoreLookup lookup(txn, fs, in.options.root);
  lookup.KnowLive(c.live);
  lookup.KnowStored(&c);
  PartsOutcome out;
  const size_t total = c.Leftover();
  size_t done = 0;  // sources read in earlier parts
  auto plan_part = [&](SyncOptions o, bool last) -> Status {
    if (o.scope.subtrees.empty()) return Status::OK();
    // Deletions are decided in the last part only, by its guard rail.
    if (!last) o.force = true;
    if (in.options.progress) {
      o.progress = [&](SyncStage stage, size_t n, size_t) {
        in.options.progress(stage, done + n, total);
      };
    }
    FS_TRY_ASSIGN(std::vector<IndexRow> rows, LoadRowsUnder(txn, o.scope.subtrees));
    const ScanResult scan = Scan(fs, o);
    SyncPlanner planner(o, project, now_ms, std::move(rows), &lookup);
    bool missing_left = false;
    FS_TRY(Decide(
        fs, o, scan, planner,
        [&](const SyncAction& a, const ParsedWorkflow* wf) -> Status {
          if (a.kind == ActionKind::kAdd) lookup.NoteAdded(a.workflow_id);
          return sink(a, wf);
        },
        last ? nullptr : &missing_left));
    if (missing_left) {
      out.whole = true;
      return Status::OK();
    }
    lookup.EndPart();
    done += static_cast<size_t>(planner.scanned());
    AddCounts(out.counts, planner.counts());
    out.scanned += planner.scanned();
    for (const IgnoredSource& i : planner.ignored()) out.ignored.push_back(i);
    return Status::OK();
  };
  const size_t chunk = std::max<size_t>(1, in.options.plan_chunk);
  for (size_t at = 0; at < c.plain.size() && !out.whole; at += chunk) {
    // The walk's own keys: already as a scope resolves them.
    SyncOptions o = in.options;
    for (size_t i = at; i < std::min(c.plain.size(), at + chunk); ++i) {
      o.scope.subtrees.emplace(in.walk.Key(c.plain[i]));
    }
    FS_TRY(plan_part(std::move(o), false));
  }
  if (out.whole) return out;
  SyncOptions o = in.options;
  o.scope.subtrees = c.keys;
  FS_TRY(plan_part(ResolveScope(fs, o), true));
  out.counts.unchanged += in.settled_workflows;
  out.scanned += in.settled_sources;
  std::stable_sort(out.ignored.begin(), out.ignored.end(),
                   [](const IgnoredSource& a, const IgnoredSource& b) { return a.path < b.path; });
  return out;
}

// The root's guard rail, as RunSync and PlanSync apply it: returns whether
// the root can be walked; an error when it cannot and force is off.
Result<bool> CheckRoot(const FileSystem& fs, const SyncOptions& options) {
  Status root_status = CheckSyncRoot(fs, options.root, options.mode, /*force=*/false);
  if (!root_status.ok() && !options.force) return root_status;
  return root_status.ok();
}

// Checks, under the writer lock, that the store is still as `plan` saw it.
Status CheckPlanStillHolds(const SyncPlan& plan, const std::vector<IndexRow>& index) {
  std::unordered_map<std::string, const IndexRow*> by_path;
  std::set<std::string> ids;
  for (const IndexRow& r : index) {
    by_path.emplace(r.path, &r);
    ids.insert(r.id);
  }
  auto stale = [](const SyncAction& a, std::string_view why) {
    return Status::Conflict(
        fmt::format("the database changed since the sync was planned ({} {}: {}); plan again",
                    ActionKindName(a.kind), a.path, why));
  };
  for (const SyncAction& a : plan.actions) {
    const std::string& stored_path = a.kind == ActionKind::kRename ? a.old_path : a.path;
    auto it = by_path.find(stored_path);
    const IndexRow* row = it == by_path.end() ? nullptr : it->second;
    switch (a.kind) {
      case ActionKind::kAdd:
        if (row != nullptr) return stale(a, "a workflow is stored there now");
        if (ids.count(a.workflow_id)) return stale(a, "its new id is taken now");
        break;
      case ActionKind::kUpdate:
      case ActionKind::kRefresh:
      case ActionKind::kDelete:
      case ActionKind::kRename:
        if (row == nullptr || row->deleted || row->id != a.workflow_id ||
            row->content_hash != a.old_hash) {
          return stale(a, "the stored workflow is not the one planned against");
        }
        if (a.kind == ActionKind::kRename && by_path.count(a.path)) {
          return stale(a, "a workflow is stored at the new path now");
        }
        break;
      case ActionKind::kRestore:
        if (row == nullptr || !row->deleted || row->id != a.workflow_id ||
            row->content_hash != a.old_hash) {
          return stale(a, "the stored workflow is not the one planned against");
        }
        break;
      case ActionKind::kError:
      case ActionKind::kMissing:
      case ActionKind::kKeep:  // write nothing
      case ActionKind::kConflict:
        break;
    }
  }
  return Status::OK();
}

}  // namespace

SyncReport ReportOfPlan(const SyncPlan& plan) {
  SyncReport report;
  report.mode = plan.mode;
  report.dry_run = true;
  report.counts = plan.counts;
  report.scanned = plan.scanned;
  report.ignored = plan.ignored;
  for (const SyncAction& a : plan.actions) {
    if (std::optional<Change> c = ChangeOf(a)) report.changes.push_back(std::move(*c));
  }
  SortChanges(report);
  return report;
}

namespace {

// A plan read through `txn`, or, when it is null, through a read snapshot
// of its own, committed as soon as the plan needs it no more.
Result<SyncPlan> PlanThrough(Store& store, SyncTransaction* txn, const SyncOptions& given) {
  const FileSystem& fs = given.fs ? *given.fs : RealFileSystem();
  const SyncOptions options = ResolveScope(fs, given);
  const int64_t now_ms = NowMs(options);
  FS_TRY_ASSIGN(bool root_ok, CheckRoot(fs, options));
  std::unique_ptr<SyncTransaction> own;
  if (txn == nullptr) {
    FS_TRY_ASSIGN(own, store.BeginSync(/*read_only=*/true));
    txn = own.get();
  }
  FS_TRY_ASSIGN(RunInput in, PrepareRun(*txn, fs, options, root_ok, /*parts=*/false));
  // The snapshot is in `in.index`; release it, unless the lookup reads on.
  if (own && !in.index.lookup) FS_TRY(own->Commit());
  SyncPlanner planner(in.options, store.project(), now_ms, std::move(in.index.rows),
                      in.index.lookup.get());
  SyncPlan plan;
  plan.mode = options.mode;
  plan.root = options.root;
  FS_TRY(Decide(fs, in.options, in.scan, planner,
                [&](const SyncAction& a, const ParsedWorkflow*) -> Status {
                  plan.actions.push_back(a);
                  return Status::OK();
                }));
  plan.counts = CountsOf(in, planner);
  plan.scanned = planner.scanned() + in.settled_sources;
  plan.ignored = planner.ignored();
  return plan;
}

}  // namespace

Result<SyncPlan> PlanSync(Store& store, const SyncOptions& options) {
  return PlanThrough(store, nullptr, options);
}

Result<SyncPlan> PlanSyncIn(Store& store, SyncTransaction& txn, const SyncOptions& options) {
  return PlanThrough(store, &txn, options);
}

Result<bool> SourcesChanged(Store& store, const SyncOptions& given) {
  const FileSystem& fs = given.fs ? *given.fs : RealFileSystem();
  const SyncOptions options = ResolveScope(fs, given);
  FS_TRY_ASSIGN(bool root_ok, CheckRoot(fs, options));
  if (!root_ok) return true;
  FS_TRY_ASSIGN(std::unique_ptr<SyncTransaction> txn, store.BeginSync(/*read_only=*/true));
  FS_TRY_ASSIGN(PlannerIndex index, LoadPlannerIndex(*txn, fs, options));
  if (!index.lookup) FS_TRY(txn->Commit());
  SyncPlanner planner(options, store.project(), NowMs(options), std::move(index.rows),
                      index.lookup.get());
  const ScanResult scan = Scan(fs, options);
  // Workflows changed only in the database are no change a sync makes.
  auto writes = [](const std::vector<SyncAction>& actions) {
    return std::any_of(actions.begin(), actions.end(),
                       [](const SyncAction& a) { return a.kind != ActionKind::kKeep; });
  };
  std::vector<SyncAction> decided;
  if (!planner.TakeScan(scan, &decided).empty() || writes(decided)) return true;
  Result<std::vector<SyncAction>> missing = planner.DecideMissing();
  return !missing.ok() || writes(*missing);
}

Result<SyncReport> ApplySyncPlan(Store& store, const SyncPlan& plan, const SyncOptions& options) {
  auto started = std::chrono::steady_clock::now();
  const FileSystem& fs = options.fs ? *options.fs : RealFileSystem();
  const std::string now = FormatTimestampMs(NowMs(options));
  FS_TRY_ASSIGN(std::unique_ptr<SyncTransaction> txn, store.BeginSync(/*read_only=*/false));
  FS_TRY_ASSIGN(std::vector<IndexRow> index, txn->LoadIndex());
  FS_TRY(CheckPlanStillHolds(plan, index));

  // The sources to read again: one per run of actions on the same source
  // (the workflows of an array export are decided together).
  std::vector<const SourceCandidate*> candidates;
  for (const SyncAction& a : plan.actions) {
    if (!NeedsContent(a.kind)) continue;
    if (candidates.empty() || candidates.back()->key != a.source.key) {
      candidates.push_back(&a.source);
    }
  }
  FS_TRY_ASSIGN(int64_t run_id, txn->BeginRun(SyncModeName(plan.mode), PathToText(plan.root), now));
  PlanWriter writer(*txn, run_id, now);
  {
    // Content first, in plan order; anything that changed since the plan
    // stops the run before its commit.
    ParallelReader reader(fs, candidates, options.limits, Threads(options));
    size_t next = 0;
    std::optional<ReadOutcome> outcome;
    std::unordered_map<std::string_view, const ParsedWorkflow*> by_key;  // of `outcome`
    for (const SyncAction& a : plan.actions) {
      if (!NeedsContent(a.kind)) {
        FS_TRY(writer.Write(a, nullptr));
        continue;
      }
      if (next == 0 || candidates[next - 1]->key != a.source.key) {
        outcome = reader.Take(next++);
        by_key.clear();
        if (outcome->ok()) {
          for (const SourceWorkflow& w : (*outcome)->workflows) {
            if (w.workflow.ok()) by_key.emplace(w.key, &*w.workflow);
          }
        }
      }
      auto found = by_key.find(a.path);
      const ParsedWorkflow* wf = found == by_key.end() ? nullptr : found->second;
      if (wf == nullptr || wf->content_hash != a.new_hash || wf->format != a.format) {
        return Status::Conflict(fmt::format(
            "{} changed since the sync was planned; plan again (nothing was written)", a.path));
      }
      FS_TRY(writer.Write(a, wf));
    }
  }
  SyncReport report = ReportOfPlan(plan);
  report.dry_run = false;
  report.run_id = run_id;
  if (ChangesStored(plan.counts)) FS_TRY(txn->RefreshSourceIdFindings());
  FS_TRY(txn->FinishRun(run_id, plan.counts, now));
  FS_TRY(txn->Commit());
  report.duration_ms = MillisSince(started);
  return report;
}

Result<SyncReport> RunSync(Store& store, const SyncOptions& given) {
  auto started = std::chrono::steady_clock::now();
  if (given.dry_run) {
    FS_TRY_ASSIGN(SyncPlan plan, PlanSync(store, given));
    SyncReport report = ReportOfPlan(plan);
    report.duration_ms = MillisSince(started);
    return report;
  }
  const FileSystem& fs = given.fs ? *given.fs : RealFileSystem();
  const SyncOptions options = ResolveScope(fs, given);
  const int64_t now_ms = NowMs(options);
  const std::string now = FormatTimestampMs(now_ms);
  FS_TRY_ASSIGN(bool root_ok, CheckRoot(fs, options));
  // The writer lock is held from before the index is read until the commit:
  // two syncs can never plan against the same state.
  FS_TRY_ASSIGN(std::unique_ptr<SyncTransaction> txn, store.BeginSync(/*read_only=*/false));
  FS_TRY_ASSIGN(RunInput in, PrepareRun(*txn, fs, options, root_ok, /*parts=*/true));
  FS_TRY_ASSIGN(int64_t run_id,
                txn->BeginRun(SyncModeName(options.mode), PathToText(options.root), now));
  PlanWriter writer(*txn, run_id, now);
  SyncReport report;
  report.mode = options.mode;
  report.run_id = run_id;
  const ActionSink sink = [&](const SyncAction& a, const ParsedWorkflow* wf) -> Status {
    std::optional<Change> c = ChangeOf(a);
    if (c && (options.report_every_change || c->kind == ChangeKind::kError ||
              c->kind == ChangeKind::kConflict || c->kind == ChangeKind::kMissing)) {
      report.changes.push_back(std::move(*c));
    }
    return writer.Write(a, wf);
  };
  if (in.compared) {
    FS_TRY_ASSIGN(PartsOutcome parts, RunInParts(*txn, fs, in, store.project(), now_ms, sink));
    if (parts.whole) {
      // Nothing of this attempt is committed: plan it again, whole.
      txn.reset();
      SyncOptions whole = given;
      whole.whole_index = true;
      return RunSync(store, whole);
    }
    report.counts = parts.counts;
    report.scanned = parts.scanned;
    report.ignored = std::move(parts.ignored);
  } else {
    SyncPlanner planner(in.options, store.project(), now_ms, std::move(in.index.rows),
                        in.index.lookup.get());
    FS_TRY(Decide(fs, in.options, in.scan, planner, sink));
    report.counts = CountsOf(in, planner);
    report.scanned = planner.scanned() + in.settled_sources;
    report.ignored = planner.ignored();
  }
  if (options.progress) options.progress(SyncStage::kCommit, 0, 0);
  if (ChangesStored(report.counts)) FS_TRY(txn->RefreshSourceIdFindings());
  FS_TRY(txn->FinishRun(run_id, report.counts, now));
  FS_TRY(txn->Commit());
  SortChanges(report);
  report.duration_ms = MillisSince(started);
  return report;
}

}  // namespace flowsync
