// Sync: mirror a tree of workflow definitions into a Store.
//
// One run is one store transaction: a run killed at any instant leaves the
// database as it was before the run or as it is after it. Per-file failures
// do not abort the run: they become error events, the file's last good
// version stays stored, and the report lists them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/file_system.h"
#include "flowsync/source.h"
#include "flowsync/status.h"
#include "flowsync/store.h"

namespace flowsync {

enum class SyncMode {
  kIncremental,  // add, update, rename, restore
  kFull,         // ... and soft-delete workflows whose source is gone
};
std::string_view SyncModeName(SyncMode mode);  // "incremental" / "full"

enum class ChangeKind { kAdded, kUpdated, kRenamed, kDeleted, kRestored, kError, kMissing };
std::string_view ChangeKindName(ChangeKind kind);

struct Change {
  ChangeKind kind = ChangeKind::kAdded;
  std::string path;      // new path for renames
  std::string old_path;  // renames only
  std::string workflow_id;
  std::string message;  // errors only
};

struct SyncOptions {
  std::string root;  // the tree to mirror
  SyncMode mode = SyncMode::kIncremental;
  bool dry_run = false;  // plan only, write nothing, take no writer lock
  bool force = false;    // override the guard rails
  SourceLimits limits;
  int threads = 0;                 // file readers; 0 = one per core
  const FileSystem* fs = nullptr;  // nullptr = RealFileSystem()
  const Clock* clock = nullptr;    // the run's "now"; nullptr = SystemClock()
  // Called from the calling thread as files are processed.
  std::function<void(size_t done, size_t total)> progress;
};

struct SyncReport {
  int64_t run_id = 0;  // 0 for a dry run
  SyncMode mode = SyncMode::kIncremental;
  bool dry_run = false;
  RunCounts counts;
  // Every change, in path order; kMissing lists sources that are gone but
  // were not deleted (incremental mode).
  std::vector<Change> changes;
  int64_t duration_ms = 0;
  int64_t scanned = 0;  // workflow candidates found on disk
};

// The first guard rail on its own: Conflict when `root` is missing, not a
// folder or unreadable (and force is false). RunSync checks it too; callers
// check it first when they would otherwise create something for the run.
Status CheckSyncRoot(const FileSystem& fs, const std::string& root, SyncMode mode, bool force);

// Runs one sync. Errors:
// - Conflict: a guard rail refused the run (root missing or unreadable;
//   a full run deleting more than half of the workflows and more than 10)
//   and options.force was not set. Nothing is written.
// - Busy: another writer held the lock past the store's timeout.
// - Any store failure; the run's transaction is rolled back.
Result<SyncReport> RunSync(Store& store, const SyncOptions& options);

}  // namespace flowsync
