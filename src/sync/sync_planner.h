// The decisions of a sync (internal): given the stored index and the walk,
// what happens to each source. Pure: it never touches the store, so a plan
// and a run decide with the same code. The rules:
//
// - Cheap check first: a source whose signature (size:mtime_ns:inode of the
//   file, or of each bundle member, "-" for an absent one) equals the stored
//   one, for a live row of the same format, is unchanged and never read. A
//   signature taken less than 100 ms before the run started is stored empty,
//   so a file changed within the file system's timestamp granularity is
//   hashed again next time (git's "racily clean" rule).
// - What is read is decided by path:
//     live row, same content hash    -> refresh (text and signature; no
//                                       version, no log event)
//     live row, other hash           -> update (the old content becomes a
//                                       version)
//     soft-deleted row               -> restore (and update if it differs)
//     no row, and a live row whose source vanished has the same hash and
//     format                         -> rename (id and history carry over;
//                                       ties prefer the same file name, then
//                                       the first path)
//     otherwise                      -> add, with a new id (identity.h)
//   A file that fails to read is an error: the stored version stays. A
//   stored workflow whose file stops being one (a .json without `nodes`) is
//   an error too, never a deletion. A file that holds no workflow, and no
//   stored one, is ignored, and listed with the reason.
// - An n8n array export holds many workflows, keyed "<file>#<id>" (rows at
//   such paths belong to the file while no source has their own path). The
//   file's signature is theirs: when it equals the one stored with every
//   live workflow of the file, none is read; otherwise the file is read once
//   and each of its workflows decided as above, in file order. Stored
//   workflows of the file that it no longer holds (an element removed, or
//   its id changed) are vanished sources: rename sources for what follows,
//   else deleted or missing. A workflow the file holds but that is refused
//   (no `nodes`, no usable id, an id used twice) is an error, and then the
//   file's other workflows are stored without a signature, so that the next
//   run reads the file again and reports the error again.
// - Live rows whose source is gone (and not below a folder that could not be
//   listed) are deleted in full mode, unless more than half of them and
//   more than 10 would go (Conflict, without force); in incremental mode
//   they are reported as missing.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "flowsync/sync.h"
#include "source/scan.h"
#include "sync/parallel_reader.h"

namespace flowsync {

// What a scoped planner (SyncScope::subtrees), whose index holds only the
// rows of its scope, asks about the rest of the store and tree.
class IndexLookup {
 public:
  virtual ~IndexLookup() = default;
  // Every stored row holding content `hash`, deleted ones too.
  virtual Result<std::vector<IndexRow>> RowsWithHash(const std::string& hash) = 0;
  virtual Result<bool> IdTaken(const std::string& id) = 0;
  // How many stored workflows are live.
  virtual Result<int64_t> CountLive() = 0;
  // Whether the source of stored workflow `row` is gone from the tree (a
  // workflow of an array export: the file is gone).
  virtual bool SourceGone(const IndexRow& row) = 0;
};

class SyncPlanner {
 public:
  // `now_ms` is the run's start: signatures taken within the racy margin
  // before it are not trusted. `index` is every stored row, or with
  // `lookup` (REQUIRES: it outlives the planner) those of a scope of
  // subtrees, with `lookup` answering for the rest: rename sources outside
  // the scope whose source is gone, ids taken, the live count.
  SyncPlanner(const SyncOptions& options, std::string project, int64_t now_ms,
              std::vector<IndexRow> index, IndexLookup* lookup = nullptr);

  // Takes the walk: returns the sources that must be read (their cheap
  // signature differs from the stored one), in walk order, and the actions
  // decided without a read: errors of what the walk could not examine, and
  // kKeep for the workflows of unchanged sources that the database changed.
  // REQUIRES: `scan` outlives the planner.
  std::vector<const ScannedSource*> TakeScan(const ScanResult& scan,
                                             std::vector<SyncAction>* decided);

  // One decision and the content it needs (null for errors).
  struct Decision {
    SyncAction action;
    const ParsedWorkflow* workflow = nullptr;  // points into the outcome
  };

  // The decisions for source `s`, read as `outcome`, in order: one per
  // workflow it holds, and one per stored workflow of it that fails; none
  // for an ignored file.
  // Fails only when `lookup` does.
  Result<std::vector<Decision>> Decide(const ScannedSource& s, const ReadOutcome& outcome);

  // The stored workflows whose source is gone: deletions in full mode (after
  // the mass-deletion guard rail: Conflict), missing otherwise. Call once,
  // after every Decide().
  Result<std::vector<SyncAction>> DecideMissing();

  const RunCounts& counts() const { return counts_; }
  int64_t scanned() const { return scanned_; }
  // The sources decided so far that hold no workflow, in walk order.
  const std::vector<IgnoredSource>& ignored() const { return ignored_; }

 private:
  // Whether a stored row, or a path the walk could not examine, is in
  // options.scope.
  bool InScope(const IndexRow& row) const;
  bool InScope(const std::string& path) const;
  std::string TrustedSig(const ScannedSource& s) const;
  const IndexRow* RowAt(const std::string& path) const;
  // The stored workflows of source `key`: the row at its key, then those of
  // its elements.
  std::vector<const IndexRow*> StoredRows(const std::string& key) const;
  Result<SyncAction> DecideWorkflow(const std::string& path, const ParsedWorkflow& wf,
                                    std::string sig, const SourceCandidate& source);
  Result<const IndexRow*> TakeRenameSource(const std::string& path, const ParsedWorkflow& wf);
  // With a lookup: adds the stored workflows outside the scope holding
  // `hash` whose source is gone to the rename sources (once per hash).
  Status AddOutsideRenameSources(const std::string& hash);
  Result<std::string> NewId(const std::string& path);
  SyncAction Error(const std::string& path, StatusCode code, const std::string& message,
                   const IndexRow* row);
  // A live row whose source is gone: a rename source or a deletion, or,
  // changed in the database, decided by DecideMissing on its own.
  void AddMissing(const IndexRow* row);
  // The live row the database renamed away from `path`, whose new path
  // holds no source, not decided yet; or null.
  const IndexRow* RenamedAwayFrom(const std::string& path) const;
  // Three-way outcomes for `row` (both decide it: it is never missing).
  SyncAction Keep(const IndexRow& row);
  SyncAction Conflict(const IndexRow& row, const std::string& path, std::string message);

  const SyncOptions& options_;
  std::string project_;
  int64_t racy_after_ns_;
  std::vector<IndexRow> index_;
  IndexLookup* lookup_;
  // Rows the lookup found outside the scope (rename sources only: never
  // missing nor deleted by this run), and the hashes asked for.
  std::deque<IndexRow> outside_;
  std::set<const IndexRow*> outside_rows_;
  std::set<std::string> hashes_looked_up_;
  std::unordered_map<std::string, size_t> by_path_;
  // base_path -> index_ position of live rows the database renamed.
  std::unordered_multimap<std::string, size_t> renamed_from_;
  // Ids of rows decided as kept or in conflict.
  std::set<std::string> decided_;
  // Live rows changed in the database whose source is gone.
  std::vector<const IndexRow*> changed_gone_;
  // Keys of what the walk found (sources and broken entries).
  std::set<std::string> present_;
  // Array export key -> index_ positions of the rows of its elements.
  std::unordered_map<std::string, std::vector<size_t>> elements_of_;
  std::set<std::string> ids_;
  int64_t live_before_ = 0;
  std::map<std::string, std::vector<const IndexRow*>> missing_by_hash_;
  RunCounts counts_;
  int64_t scanned_ = 0;
  std::vector<IgnoredSource> ignored_;
};

// The first step of a sync of the whole tree: the walk compared with the
// stored index, streamed row by row (SyncTransaction::ForEachIndexRow), by
// the planner's cheap check. What it settles (a source whose live stored
// workflows all carry its signature, none changed in the database) needs
// nothing more; the rest is planned as scopes (SyncScope::subtrees) with
// the same rules, so that neither the stored rows nor the decisions are
// held for the whole tree.
struct WalkComparison {
  // What a planner must decide beside the plain sources below: stored
  // paths whose source is gone, what the walk could not examine, and
  // sources whose decision may involve another key (renamed or edited in
  // the database, array exports, soft-deleted rows, a file named like an
  // element of an export).
  std::set<std::string> keys;
  // Sources to read that hold no stored workflow, or one at their own key
  // whose signature differs: each is decided on its own (a rename from a
  // gone path is found through the store), so they may be planned in
  // chunks before `keys`. Positions in the walk's sources.
  std::vector<uint32_t> plain;
  int64_t settled_sources = 0;    // sources settled (of counts' scanned)
  int64_t settled_workflows = 0;  // their workflows (of counts' unchanged)
  int64_t live = 0;               // live stored workflows, for the guard rail
  int64_t rows = 0;               // stored rows, deleted ones too
  // Content hashes of the live stored workflows whose source is gone: the
  // only ones a rename can come from.
  std::unordered_set<std::string> gone_hashes;
  // XXH3-64 of every stored id, sorted.
  std::vector<uint64_t> id_hashes;

  size_t Leftover() const { return keys.size() + plain.size(); }
  // False when no stored workflow has `id` (true: it may have).
  bool IdMayBeStored(const std::string& id) const;
};

// REQUIRES: `walk` is of the whole tree.
Result<WalkComparison> CompareWalk(const WalkDigest& walk, SyncTransaction& txn);

// Writes decisions through a sync transaction, with their audit-log events.
class PlanWriter {
 public:
  // REQUIRES: `txn` outlives the writer; run_id is its run.
  PlanWriter(SyncTransaction& txn, int64_t run_id, std::string now)
      : txn_(txn), run_id_(run_id), now_(std::move(now)) {}

  // REQUIRES: `wf` is the source's content for every action but kDelete,
  // kError and kMissing (for which it may be null).
  Status Write(const SyncAction& action, const ParsedWorkflow* wf);

 private:
  Status Log(SyncEvent event, const SyncAction& action, const std::string& old_path,
             const std::string& new_hash);

  SyncTransaction& txn_;
  int64_t run_id_;
  std::string now_;
};

// Whether applying `action` needs the source's content.
bool NeedsContent(ActionKind kind);

}  // namespace flowsync
