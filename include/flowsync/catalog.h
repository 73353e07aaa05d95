// Catalog: what a store holds, read-only — workflows, their history, the
// audit log, the runs — and a change cursor over it.
//
// Every reader of stored workflows (the CLI's list/show/log, `migration
// create` exporting from a database, and later the server and two-way sync)
// goes through this interface; nothing here writes. A Catalog belongs to the
// Store that opened it (Store::catalog()) and shares its connection.
//
// Consistency: each call reads one snapshot (a read transaction of its own,
// which never waits for a writer).
// Thread-safety: as its Store (one thread at a time).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"
#include "flowsync/workflow.h"

namespace flowsync {

enum class SyncEvent { kAdded, kUpdated, kRenamed, kDeleted, kRestored, kError };
std::string_view SyncEventName(SyncEvent event);
std::optional<SyncEvent> ParseSyncEvent(std::string_view name);

// One row of the audit log (workflow_sync_log).
struct LogRecord {
  int64_t id = 0;  // assigned by the store; increases with every row
  int64_t run_id = 0;
  SyncEvent event = SyncEvent::kAdded;
  std::string workflow_id;  // empty for an error on a path never stored
  std::string path;
  std::string old_path;  // renames
  std::string old_hash;
  std::string new_hash;
  std::string message;
  std::string time;  // RFC 3339 UTC, assigned by the caller
};

struct RunCounts {
  int64_t added = 0, updated = 0, renamed = 0, deleted = 0, restored = 0, unchanged = 0, errors = 0;
  // Three-way, reported but not stored with a run: workflows changed in the
  // database only, and changed on both sides.
  int64_t database_changed = 0, conflicts = 0;
};

struct RunRecord {
  int64_t id = 0;
  std::string mode;  // "incremental", "full" or "migration"
  std::string root;
  std::string started_at;
  std::string finished_at;
  RunCounts counts;
};

struct WorkflowSummary {
  std::string id;
  std::string name;
  std::string path;
  Format format = Format::kN8n;
  std::string content_hash;
  std::optional<std::string> source_id;
  bool active = false;
  std::optional<std::string> deleted_at;
  std::vector<std::string> categories;
  std::string created_at;
  std::string updated_at;
  int64_t version = 1;  // 1 for the first content, +1 per content change
};

struct WorkflowDetail {
  WorkflowSummary summary;
  std::string metadata_json;
  std::string documentation;
  std::string content;
  int64_t thumbs_up = 0;
  int64_t thumbs_down = 0;
  int64_t stored_versions = 0;  // rows in workflow_versions
  std::vector<Finding> findings;
  std::vector<PhaseEntry> phases;
};

struct ListFilter {
  enum class Deleted { kExclude, kOnly, kInclude };
  Deleted deleted = Deleted::kExclude;
  std::optional<std::string> category;
  // Only workflows with exactly this name.
  std::optional<std::string> name;
  // Only workflows whose updated_at is at or after this RFC 3339 UTC time
  // (as FormatTimestampMs writes it).
  std::optional<std::string> updated_since;
};

// A stored phase file: a live workflow of format phase, with its phases as
// written (the phase cache normalizes and validates them when it loads).
struct StoredPhaseSource {
  std::string path;
  std::string content_hash;
  std::string updated_at;           // RFC 3339 UTC: when this content was stored
  std::string source_sig;           // "size:mtime_ns:inode" as of the last sync, or ""
  std::vector<PhaseEntry> entries;  // in file order
};

// The changes of a store after a cursor, oldest first. A cursor is the id
// of an audit-log row: every change to a stored workflow (a sync's added,
// updated, renamed, deleted and restored events, and those a generated
// migration writes) appends one, so "what changed since N" is "the events
// after N". 0 is before everything.
struct ChangeBatch {
  std::vector<LogRecord> changes;  // never error events
  // The cursor to ask with next time: the last change's id, or the cursor
  // asked with when nothing changed.
  int64_t cursor = 0;
  bool more = false;  // the limit cut the batch short
};

// One version of a stored workflow: a row of its history, or its current
// content (the newest version).
struct WorkflowVersion {
  int64_t version = 0;  // 1 for the first content
  std::string path;     // where the workflow was then
  std::string name;
  std::string content_hash;
  // RFC 3339 UTC: when this content was stored, and when a newer one
  // replaced it (nullopt for the current version).
  std::string valid_from;
  std::optional<std::string> replaced_at;
  bool current = false;
  // The definition, meta.json and README.md as stored; filled by
  // ReadVersion only.
  std::string content;
  std::string metadata_json;
  std::string documentation;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // Ordered by path (byte order).
  virtual Result<std::vector<WorkflowSummary>> ListWorkflows(const ListFilter& filter) = 0;
  // By id, unique id prefix (4+ characters) or path. nullopt when nothing
  // matches; InvalidArgument when a prefix is ambiguous.
  virtual Result<std::optional<WorkflowDetail>> FindWorkflow(std::string_view query) = 0;
  // Newest first; limit <= 0 means all.
  virtual Result<std::vector<LogRecord>> ReadLog(int64_t limit,
                                                 std::optional<std::string> workflow_id) = 0;
  virtual Result<std::optional<RunRecord>> LastRun() = 0;
  // At most `limit` runs (sync runs, migrations, phase refreshes), newest
  // first; only those with ids below `before_id` when it is set (the next
  // page: the last id of this one).
  virtual Result<std::vector<RunRecord>> ListRuns(int64_t limit,
                                                  std::optional<int64_t> before_id) = 0;
  // Every live phase workflow with its entries, ordered by path (byte
  // order). One snapshot, streamed: no row is held twice.
  virtual Result<std::vector<StoredPhaseSource>> ListPhaseSources() = 0;

  // The cursor that names "now": the newest audit-log row's id (0 when
  // there is none).
  virtual Result<int64_t> ChangeCursor() = 0;
  // At most `limit` changes (limit <= 0: all) with ids above `cursor`.
  //
  // On PostgreSQL, ids come from a sequence: a transaction that took an id
  // and commits after a later one could be missed by a reader that already
  // moved past it. flowsync's own writers (sync, migrate) hold the writer
  // lock from before their first log row until commit, so among them ids
  // become visible in order; SQL applied outside flowsync (psql, dbmate)
  // does not take that lock.
  virtual Result<ChangeBatch> ChangesSince(int64_t cursor, int64_t limit) = 0;

  // Every version of the workflow with id `id`, oldest first and the current
  // one last, without their content; empty when no workflow has that id.
  // A store that keeps no history answers Unsupported.
  virtual Result<std::vector<WorkflowVersion>> ListVersions(const std::string& id);
  // Version `version` of the workflow with id `id`, content included;
  // nullopt when there is no such version.
  virtual Result<std::optional<WorkflowVersion>> ReadVersion(const std::string& id,
                                                             int64_t version);
  // The current version of each workflow of `ids` (deleted ones too), with
  // content and path, by id; ids of no workflow are left out. One read for
  // many workflows (what `pull` writes). The default asks FindWorkflow and
  // ReadVersion per id.
  virtual Result<std::map<std::string, WorkflowVersion>> ReadCurrent(
      const std::vector<std::string>& ids);
  // The id the store's synced catalog (Store::synced_catalog) knows the
  // workflow `id` of this catalog by: its versions, log and ratings are
  // kept under it. The same id for a catalog that is its own synced one;
  // for n8n's workflows, flowsync's id of the workflow, or nullopt when no
  // sync wrote or brought it in yet.
  virtual Result<std::optional<std::string>> SyncedId(const std::string& id) {
    return std::optional<std::string>(id);
  }
};

}  // namespace flowsync
