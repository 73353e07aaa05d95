// Sync: mirror a tree of workflow definitions into a Store.
//
// A sync is a plan and its application. The plan is a value (SyncPlan): for
// every source that differs from the store, what would happen to it (added,
// updated, renamed, restored, deleted, an error), decided against the
// stored index. Applying it writes exactly that in one store transaction: a
// run killed at any instant leaves the database as it was before the run or
// as it is after it. Per-file failures do not abort the run: they become
// error events, the file's last good version stays stored, and the report
// lists them.
//
// Three entry points:
//   RunSync       plans and applies in one pass under the writer lock, so
//                 nothing can change in between, with each file read once
//                 and memory bounded (what `flowsync sync` runs);
//   PlanSync      plans against a read snapshot, takes no lock, writes
//                 nothing (dry runs, `status`, previews);
//   ApplySyncPlan applies a plan made earlier, after checking under the
//                 writer lock that neither the store nor the files changed
//                 since (else Conflict, and nothing is written).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
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

enum class ChangeKind {
  kAdded,
  kUpdated,
  kRenamed,
  kDeleted,
  kRestored,
  kError,
  kMissing,
  kDatabaseChanged,  // changed in the database only: left there, for `pull`
  kConflict,         // changed on both sides: neither side touched
};
std::string_view ChangeKindName(ChangeKind kind);

struct Change {
  ChangeKind kind = ChangeKind::kAdded;
  std::string path;      // new path for renames
  std::string old_path;  // renames only
  std::string workflow_id;
  std::string message;                // errors, and what changed for the two kinds above
  StatusCode code = StatusCode::kOk;  // errors only: what kind of failure
};

// One decision of a plan. Every write of a sync is one of these.
enum class ActionKind {
  kAdd,      // a new workflow
  kUpdate,   // new content: the old one becomes a version
  kRefresh,  // same content in other text (a reformat), or a new signature
  kRename,   // a vanished workflow's content appeared at a new path
  kRestore,  // a soft-deleted workflow's source is back
  kDelete,   // the source is gone (full mode)
  kError,    // the source could not be read; the stored version stays
  kMissing,  // the source is gone (incremental mode): reported only
  // Three-way (against the row's base): written as nothing.
  kKeep,      // changed in the database only (edited, renamed, added,
              // deleted there): the database keeps it, `pull` brings it
  kConflict,  // changed on both sides since the base: neither is touched
};
std::string_view ActionKindName(ActionKind kind);

struct SyncAction {
  ActionKind kind = ActionKind::kAdd;
  std::string path;      // the source's key (the new path of a rename)
  std::string old_path;  // renames: the stored path
  std::string workflow_id;
  Format format = Format::kN8n;
  // The stored content hash the decision was made against ("" for adds and
  // errors about paths never stored) and the source's ("" for deletions and
  // errors).
  std::string old_hash;
  std::string new_hash;
  std::string sig;  // the source signature to store
  // kKeep, kConflict and kRefresh: the row's base (what `pull` checks a
  // file against, or records when files and row agree without it).
  std::string base_hash;
  std::string base_path;
  bool deleted = false;               // kKeep and kConflict: the row is deleted
  bool content_changed = false;       // restores: whether the content differs
  std::string message;                // errors
  StatusCode code = StatusCode::kOk;  // errors: what kind of failure
  SourceCandidate source;             // where to read the content again
};

// A file the walk offered that holds no workflow (package.json, a .toml
// without [[phase]] tables), and why.
struct IgnoredSource {
  std::string path;
  std::string reason;  // not an n8n workflow (no top-level "nodes" or "connections")
  bool operator==(const IgnoredSource&) const = default;
};

struct SyncPlan {
  SyncMode mode = SyncMode::kIncremental;
  std::string root;
  int64_t scanned = 0;  // workflow candidates found on disk
  RunCounts counts;
  // In the order they were decided: errors found by the walk, then the
  // sources in path order (the workflows of an array export in file
  // order), then the missing ones.
  std::vector<SyncAction> actions;
  // Files read that hold no workflow, in path order. Not stored: they are
  // no workflows, and each run reads them again.
  std::vector<IgnoredSource> ignored;
  // Whether the plan writes anything (refreshes and errors count; missing
  // sources do not).
  bool HasWrites() const;
};

// Where a run is, for progress displays.
enum class SyncStage { kWalk, kRead, kCommit };

// Which part of the tree a run mirrors. Sources and stored workflows
// outside it are left as they are: never read, missing or deleted (the
// phase cache syncs only phase files this way). The default is everything.
struct SyncScope {
  std::optional<Format> format;  // only workflows of this format
  // Only this one source (a key relative to the root, such as "etl.toml",
  // as path text: util/path_text.h), with the workflows of its elements if
  // it is an n8n array export: the tree is not walked.
  std::string path;
  // Only these parts of the tree (keys relative to the root, as path text,
  // such as "flows/etl" or "flows/etl/a.json"): each the source at that key,
  // or the folder there with everything below it. Only they are walked and
  // only the stored workflows at or below them are loaded, so the cost
  // follows the change, not the tree (what watch mode syncs). A key inside a
  // bundle, or naming a bundle member, stands for the bundle. Every rule of
  // a full sync holds: a workflow that appears in the scope with the content
  // of a stored one whose source is gone anywhere in the tree is a rename,
  // and the mass-deletion guard rail counts every stored workflow. Empty:
  // no such limit.
  std::set<std::string> subtrees;
  // Whether the workflow or source at `key` is in the scope.
  bool Contains(Format f, std::string_view key) const;
};

// Which side a conflict resolves to.
enum class Prefer { kNone, kFiles, kDatabase };

struct SyncOptions {
  std::string root;  // the tree to mirror
  SyncMode mode = SyncMode::kIncremental;
  SyncScope scope;
  bool dry_run = false;  // RunSync only plans (PlanSync), writes nothing
  bool force = false;    // override the guard rails
  // Conflicts (a workflow changed in the files and in the database since
  // they last agreed) are left alone and reported, unless resolved: to the
  // files (the file's content is stored, as without a base) or to the
  // database (kept there, as a change made only there). `prefer_paths`
  // names workflows by key and wins over `prefer`.
  Prefer prefer = Prefer::kNone;
  std::map<std::string, Prefer> prefer_paths;
  Prefer PreferFor(const std::string& key) const;
  SourceLimits limits;
  int threads = 0;                 // file readers; 0 = one per core
  const FileSystem* fs = nullptr;  // nullptr = RealFileSystem()
  const Clock* clock = nullptr;    // the run's "now"; nullptr = SystemClock()
  // Called from the calling thread as a run moves on: kWalk (0, 0) when the
  // walk starts, kRead (done, total) as each source that needed reading is
  // decided (from (0, total) on), kCommit (0, 0) before the commit.
  std::function<void(SyncStage stage, size_t done, size_t total)> progress;
  // A run over the whole tree first compares the walk with the stored
  // index streamed row by row and plans only what that leaves (memory that
  // follows the change, not the tree). True plans against the whole index
  // loaded, as before: the same decisions (tested), for comparisons.
  bool whole_index = false;
  // When that comparison leaves more keys than this (an initial sync), a
  // run plans them in parts of this many sources, so that its memory does
  // not grow with the tree; up to this many, as one scope.
  size_t plan_chunk = 5000;
  // False: a run's report keeps only errors, conflicts and missing sources
  // (what a summary prints), however many workflows it adds or updates.
  bool report_every_change = true;
};

struct SyncReport {
  int64_t run_id = 0;  // 0 for a dry run
  SyncMode mode = SyncMode::kIncremental;
  bool dry_run = false;
  RunCounts counts;
  // Every change, in path order; kMissing lists sources that are gone but
  // were not deleted (incremental mode). Only errors, conflicts and missing
  // sources when SyncOptions::report_every_change is false.
  std::vector<Change> changes;
  int64_t duration_ms = 0;
  int64_t scanned = 0;                 // workflow candidates found on disk
  std::vector<IgnoredSource> ignored;  // as SyncPlan::ignored
};

// The first guard rail on its own: Conflict when `root` is missing, not a
// folder or unreadable (and force is false). RunSync checks it too; callers
// check it first when they would otherwise create something for the run.
Status CheckSyncRoot(const FileSystem& fs, const std::string& root, SyncMode mode, bool force);

// Plans a sync against a read snapshot of the store; takes no lock and
// writes nothing. options.dry_run is ignored. Errors as RunSync's.
Result<SyncPlan> PlanSync(Store& store, const SyncOptions& options);
// The same inside a transaction of `store` the caller holds (a pull holds
// the writer lock from its plan until it records its bases): reads through
// it and leaves it open. REQUIRES: txn outlives the plan's use of it.
Result<SyncPlan> PlanSyncIn(Store& store, SyncTransaction& txn, const SyncOptions& options);

// The cheap half of a plan: whether the tree differs from the store by the
// walk and the signature check alone (a source to read, a stored workflow
// whose source is gone, something the walk could not examine), without
// reading any file or taking the lock. False means RunSync would change
// nothing; true that it may (a source touched but not changed is read).
Result<bool> SourcesChanged(Store& store, const SyncOptions& options);

// Applies `plan` under the writer lock, in one transaction. First every
// stored row the plan depends on must be as planned; then each source is
// read again and must have its planned content. The first difference stops
// it with Conflict naming it ("plan again") before the commit, so nothing is
// written. Root and mode come from the plan (its guard rails were checked
// when planning); from `options` it takes fs, limits, threads and clock. The
// report covers the plan's actions.
Result<SyncReport> ApplySyncPlan(Store& store, const SyncPlan& plan, const SyncOptions& options);

// The report a plan would give if applied (run_id 0, dry_run true).
SyncReport ReportOfPlan(const SyncPlan& plan);

// Plans and applies one sync (or, with options.dry_run, only plans).
// Errors:
// - Conflict: a guard rail refused the run (root missing or unreadable;
//   a full run deleting more than half of the workflows and more than 10)
//   and options.force was not set. Nothing is written.
// - Busy: another writer held the lock past the store's timeout.
// - Any store failure; the run's transaction is rolled back.
Result<SyncReport> RunSync(Store& store, const SyncOptions& options);

}  // namespace flowsync
