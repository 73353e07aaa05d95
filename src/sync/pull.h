// Pull: the changes made in the database come into the files.
//
// A pull holds the writer lock (a write transaction, BeginSync) from before
// its plan until it has recorded its bases, as a sync does: another pull or
// a sync waits for it (the lock timeout), then finds files and database
// agreeing; none sees its files half written. A dry run takes no lock.
//
// It plans a full sync (PlanSyncIn) to learn, per workflow, which side
// changed since the base both last agreed on, then writes into the tree
// what changed only in the database (SyncAction kKeep):
//   edited    its files at its path, in its own format (workflow_files.h);
//   renamed   its files at the new path, those at the old path removed;
//   added     its files at its path;
//   deleted   its files removed (kept with `keep_deleted`).
// Before it replaces or removes a file, the file must still hold the base
// (else someone edited it since the plan: refused, nothing written for that
// workflow); a new path must be free and a name a sync would read back
// (workflow_files.h: WorkflowKeyProblem). Conflicts (changed on both sides)
// are left alone unless `prefer` says the database wins (then its files
// replace the edited ones). Changes made only in the files are the next
// sync's: a pull never touches the database's content.
//
// Files are written in two steps for all workflows at once (workflow_files.h:
// staged as temp files, one syncfs, then each renamed into place once its
// file still holds the base, one more syncfs). Then the same transaction
// records the new agreement (SyncTransaction::RecordBase): the base becomes the
// content, so a pull followed by a sync, or by another pull, changes
// nothing. A pull killed halfway leaves each file old or new, never torn;
// the next sync sees the new files as agreeing with the database.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "flowsync/store.h"
#include "flowsync/sync.h"

namespace flowsync {

struct PullOptions {
  std::string root;
  bool dry_run = false;       // plan and report; write nothing
  bool keep_deleted = false;  // leave the files of workflows deleted in the database
  // Conflicts: kDatabase writes the database's side over the files; kNone
  // and kFiles leave them (a sync with --prefer files stores the files').
  Prefer prefer = Prefer::kNone;
  std::map<std::string, Prefer> prefer_paths;
  SourceLimits limits;
  int threads = 0;
  const FileSystem* fs = nullptr;  // nullptr = RealFileSystem()
  const Clock* clock = nullptr;    // nullptr = SystemClock()
};

enum class PullChangeKind {
  kWritten,   // files written at `path` (edited or added in the database)
  kMoved,     // written at `path`, removed at `old_path`
  kRemoved,   // removed at `path` (deleted in the database)
  kConflict,  // changed on both sides: left alone
  kRefused,   // not written: `message` says why
};
std::string_view PullChangeKindName(PullChangeKind kind);

struct PullChange {
  PullChangeKind kind = PullChangeKind::kWritten;
  std::string path;
  std::string old_path;
  std::string workflow_id;
  std::string message;  // conflicts and refusals; what the database did otherwise
};

struct PullReport {
  bool dry_run = false;
  std::vector<PullChange> changes;  // in path order
  int64_t written = 0, moved = 0, removed = 0, conflicts = 0, refused = 0;
  // Changes in the files that the next sync stores (a pull leaves them).
  int64_t left_for_sync = 0;
  int64_t duration_ms = 0;
};

// Errors: those of PlanSync and of the final sync; a file that cannot be
// written is a refusal of its workflow, not an error of the run.
Result<PullReport> RunPull(Store& store, const PullOptions& options);

}  // namespace flowsync
