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
//   an error too, never a deletion.
// - Live rows whose source is gone (and not below a folder that could not be
//   listed) are deleted in full mode, unless more than half of them and
//   more than 10 would go (Conflict, without force); in incremental mode
//   they are reported as missing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "flowsync/sync.h"
#include "source/scan.h"
#include "sync/parallel_reader.h"

namespace flowsync {

class SyncPlanner {
 public:
  // `now_ms` is the run's start: signatures taken within the racy margin
  // before it are not trusted.
  SyncPlanner(const SyncOptions& options, std::string project, int64_t now_ms,
              std::vector<IndexRow> index);

  // Takes the walk: returns the sources that must be read (their cheap
  // signature differs from the stored one), in walk order, and the error
  // actions of what the walk could not examine. REQUIRES: `scan` outlives
  // the planner.
  std::vector<const ScannedSource*> TakeScan(const ScanResult& scan,
                                             std::vector<SyncAction>* errors);

  // The decision for source `s`, read as `outcome`; nullopt when there is
  // nothing to do (an ignored file, content and signature the same).
  std::optional<SyncAction> Decide(const ScannedSource& s, const ReadOutcome& outcome);

  // The stored workflows whose source is gone: deletions in full mode (after
  // the mass-deletion guard rail: Conflict), missing otherwise. Call once,
  // after every Decide().
  Result<std::vector<SyncAction>> DecideMissing();

  const RunCounts& counts() const { return counts_; }
  int64_t scanned() const { return scanned_; }

 private:
  // Whether a stored row, or a path the walk could not examine, is in
  // options.scope.
  bool InScope(const IndexRow& row) const;
  bool InScope(const std::string& path) const;
  std::string TrustedSig(const ScannedSource& s) const;
  const IndexRow* TakeRenameSource(const std::string& path, const ParsedWorkflow& wf);
  SyncAction Error(const std::string& path, StatusCode code, const std::string& message,
                   const IndexRow* row);

  const SyncOptions& options_;
  std::string project_;
  int64_t racy_after_ns_;
  std::vector<IndexRow> index_;
  std::unordered_map<std::string, size_t> by_path_;
  std::set<std::string> ids_;
  int64_t live_before_ = 0;
  std::map<std::string, std::vector<const IndexRow*>> missing_by_hash_;
  RunCounts counts_;
  int64_t scanned_ = 0;
};

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
