// The phase cache: flowlord's workflow dependency cache, persistent and
// deterministic.
//
// A phase file (*.toml, [[phase]] tables, see docs/formats.md "Source files")
// says which task runs on which rule and which task runs after which. The
// cache answers flowlord's questions about them: which phase a task belongs
// to (Get, Search) and which phases run after it (Children).
//
// Phases are stored once: a phase file is a workflow like any other (its
// versions, audit log and phase entries are those a sync writes), and the
// cache is an in-memory index over the phase workflows of a Store, so a
// restart costs one read of them, not a re-parse of every file. Refresh()
// is a sync of the phase files alone (full mode: a file that is gone is
// deleted), then reloads the index when the store changed (by this sync or
// by any other writer: the store's change cursor says so).
//
// Semantics are flowlord's (its in-memory cache), made deterministic: files
// in key order (byte order of the '/'-separated path relative to the root),
// phases in file order. Where flowlord's two implementations disagree:
// - Get honours the task's `workflow=` meta (`*`: any file, first in key
//   order); the SQLite one ignores it (a flowlord bug: wrong retries).
// - An empty job matches the first phase of that topic whatever its job;
//   the SQLite one only matches a phase without a job.
// - Get without `workflow=` finds nothing (the SQLite one searches every
//   file, which is what Search does here).
// - Children are in file order, not ordered by task name.
// - Phase::task is the normalized name `topic[:job]` (as flowlord's SQLite
//   stores it), so "t2" with rule "job=j1" reads back as "t2:j1".
// flowlord bugs fixed: a broken file no longer makes the other files'
// updates vanish (RefreshReport); files other than *.toml are not parsed;
// in single-file mode no other key is answered; Close() twice is fine;
// lookups never depend on map order. A *.toml file without [[phase]] tables
// is not a phase file (flowlord lists it with no phases).
//
// Thread-safety: a PhaseCache is safe for concurrent use; Get, Search and
// Children run in parallel with each other and with most of a Refresh (which
// reads files without blocking readers and swaps the index at the end).
// Refresh calls are serialized.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/file_system.h"
#include "flowsync/status.h"
#include "flowsync/store.h"
#include "flowsync/workflow.h"

namespace flowsync {

// A flowlord task, as far as the cache needs it.
struct Task {
  std::string type;  // the topic; a type holding ':' matches nothing
  std::string job;   // empty: the meta `job` value is used instead
  // URL query string, e.g. "workflow=f1.toml&job=j1&cron=2024-01-15T00".
  std::string meta;
};

// One phase of a phase file.
struct Phase {
  // "topic" or "topic:job", normalized on load to topic:job (job = Job())
  // when there is a job, so "t2" with rule "job=j1" becomes "t2:j1" and
  // "a:b:c" becomes "a:b"; kept as written where that would change Topic()
  // or Job() ("a:" with rule job=x, a rule job holding ':').
  std::string task;
  std::string depends_on;  // "topic" (any job) or "topic:job"
  std::string rule;        // URL query string: cron=...&offset=...&job=...
  std::string template_text;
  int64_t retry = 0;
  // Validation messages joined by "; ", empty when all is well (see
  // src/phase/validation.h). Computed when the file is loaded, stored, and
  // never blocks a load.
  std::string status;

  // flowlord's Phase.Topic(): `task` before its first ':'.
  std::string Topic() const;
  // flowlord's Phase.Job(): the second ':'-part of `task` when it has one
  // (so "a:b:c" gives "b"), else the rule's first non-empty job= value
  // (pairs that parse are used even when others do not), else "".
  std::string Job() const;
  // task, rule, depends_on and template_text all empty (retry ignored).
  bool Empty() const;
  bool operator==(const Phase&) const = default;
};

// "topic" or "topic:job" (the job is everything after the first ':') as a
// Task with no meta.
Task TaskFromName(std::string_view name);

// A phase and the key of the file holding it.
struct FoundPhase {
  std::string file;
  Phase phase;
  bool operator==(const FoundPhase&) const = default;
};

// One phase file as the cache holds it.
struct StoredPhaseFile {
  std::string key;               // the workflow's path: relative to the root, '/'-separated
  std::string hash;              // the content hash: HashHex of the raw bytes
  int64_t loaded_at_ms = 0;      // Unix ms when this content was stored
  int64_t last_modified_ms = 0;  // the file's mtime (Unix ms) at that sync; 0 if unknown
  // In file order. Normalized task names are unique within a file: of a
  // repeated one only the first phase is kept, and its status names the
  // lines of the others.
  std::vector<Phase> phases;
  bool operator==(const StoredPhaseFile&) const = default;
};

// A file the last Refresh could not load. It keeps its last good phases.
struct PhaseFileError {
  std::string key;
  Status status;  // message starts with the key, e.g. "a.toml:3:9: ..."
};

struct RefreshReport {
  // Keys (re)loaded, in key order, then "-<key>" for each removed file, in
  // key order. Non-empty means the schedule must be rebuilt.
  std::vector<std::string> changed;
  // Files that failed to load (unreadable, invalid TOML, a wrong type, a
  // folder that cannot be listed), in key order. They never stop the
  // others: the good files are loaded and stored, and `changed` lists them,
  // so no update is lost (flowlord loses them here). Findings (unknown
  // keys) are stored with each workflow (`flowsync show`).
  std::vector<PhaseFileError> errors;
};

struct PhaseCacheOptions {
  const FileSystem* fs = nullptr;  // nullptr: RealFileSystem(); the files' file system
  uint64_t max_file_size = 64ull << 20;
  // A retry above this gets a warning status. Statuses are computed when a
  // file is loaded and stored with it: a new limit applies to files loaded
  // after the change.
  int64_t max_retry = 10;
  const Clock* clock = nullptr;  // nullptr: SystemClock()
};

class PhaseCache {
 public:
  virtual ~PhaseCache() = default;

  // flowlord's Search (Get with `workflow=*`): the first phase, files in key
  // order, whose topic is `topic` and, when `job` is non-empty, whose job is
  // `job`. An empty topic finds nothing.
  virtual std::optional<FoundPhase> Search(std::string_view topic, std::string_view job) const = 0;

  // flowlord's Get: the job is task.job, else the meta `job` value; the
  // file is the meta `workflow` value (`*`: every file, in key order; empty
  // or unknown: none). Returns the first phase of that file, in file order,
  // whose topic is task.type and, when the job is non-empty, whose job is
  // that job. An empty type finds nothing. Meta parse errors are ignored
  // (pairs that parse are used).
  virtual std::optional<FoundPhase> Get(const Task& task) const = 0;

  // flowlord's Children: the phases of the task's file (meta `workflow`; no
  // `*`) whose dependsOn names the task: its topic equals task.type and its
  // job part is empty (any job) or equals the task's job (task.job, else
  // meta job). In file order; empty when the type or workflow is empty.
  virtual std::vector<Phase> Children(const Task& task) const = 0;

  // Brings store and index up to date with the files under the root. An
  // error Status only when nothing could be done: the root is missing or
  // unreadable, the store failed (then store and index are unchanged), the
  // sync's guard rail refused (more than half of more than 10 phase files
  // gone: run `flowsync sync --full --force`), or the cache is closed.
  // Problems with single files are in the report.
  virtual Result<RefreshReport> Refresh() = 0;

  // Whether the root is a folder (else a single phase file).
  virtual bool IsDir() const = 0;

  // Every file of the index, sorted by key.
  virtual std::vector<StoredPhaseFile> Files() const = 0;

  // Later Refresh calls fail and lookups find nothing; the store stays
  // open (it is the caller's). Idempotent.
  virtual Status Close() = 0;
};

// Opens a cache over `root`, a folder of phase files (the tree a sync of
// `store` mirrors: keys are workflow paths) or a single phase file (its key
// is its base name). Loads the index from `store` and reads no phase file:
// call Refresh. Errors: the root missing or unreadable (the FileSystem's
// Status), a store error. REQUIRES: store outlives the cache; the cache
// uses it only inside OpenPhaseCache, Refresh and Close (serialized), so
// lookups never wait for the database.
Result<std::unique_ptr<PhaseCache>> OpenPhaseCache(Store* store, const std::string& root,
                                                   PhaseCacheOptions options = {});

}  // namespace flowsync
