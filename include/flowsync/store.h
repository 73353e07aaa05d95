// Store: where flowsync keeps workflows, their history and the audit log.
//
// The interface is the contract every backend fulfils (SQLite now,
// PostgreSQL next); one conformance suite runs against each. Backends are
// chosen by URL (ParseDatabaseUrl + OpenStore), as ccache picks storage.
//
// Concurrency model: many readers, one writer. A SyncTransaction opened for
// writing holds the database's writer lock from BeginSync until Commit or
// destruction, so the state a sync plans against cannot change under it.
// Read-only transactions never wait for the writer.
//
// Thread-safety: a Store and its transactions are used from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"
#include "flowsync/workflow.h"

namespace flowsync {

class PhaseStore;  // flowsync/phase_cache.h

// ---- Locating a database ------------------------------------------------

struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string path;  // SQLite: file path as given (may be relative)
  std::string url;   // the text it was parsed from
};

// Accepts `sqlite:PATH` (as dbmate writes it), `sqlite://PATH`,
// `sqlite:///ABS/PATH`, a bare file path, and `postgres://` /
// `postgresql://` URLs. InvalidArgument naming the URL otherwise.
Result<DatabaseUrl> ParseDatabaseUrl(std::string_view text);

// ---- Rows -------------------------------------------------------------------

// What a sync needs to know about each stored workflow, deleted ones too.
struct IndexRow {
  std::string id;
  std::string path;
  Format format = Format::kN8n;
  std::string content_hash;
  // Cheap change check: size, mtime and inode of the source file(s) as of
  // the last run; empty when the next run must hash the source again.
  std::string source_sig;
  bool deleted = false;
};

enum class SyncEvent { kAdded, kUpdated, kRenamed, kDeleted, kRestored, kError };
std::string_view SyncEventName(SyncEvent event);
std::optional<SyncEvent> ParseSyncEvent(std::string_view name);

struct LogRecord {
  int64_t id = 0;  // assigned by the store
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
};

struct RunRecord {
  int64_t id = 0;
  std::string mode;  // "incremental" or "full"
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
};

// ---- Transactions -------------------------------------------------------------

// One sync run's view of the database. Destroying it without Commit() rolls
// everything back. Write methods fail with Internal on a read-only one.
class SyncTransaction {
 public:
  virtual ~SyncTransaction() = default;

  virtual Result<std::vector<IndexRow>> LoadIndex() = 0;
  virtual Result<int64_t> BeginRun(std::string_view mode, std::string_view root,
                                   std::string_view now) = 0;
  virtual Status AddWorkflow(const std::string& id, const std::string& path,
                             const ParsedWorkflow& wf, const std::string& sig,
                             std::string_view now) = 0;
  // Replaces the stored definition of `id` with `wf` (path unchanged). When
  // `content_changed`, the previous content first goes to workflow_versions
  // (tagged with run_id) and the version number goes up; otherwise only the
  // stored text and derived data are refreshed (a formatting-only change).
  virtual Status UpdateWorkflow(const std::string& id, const ParsedWorkflow& wf,
                                const std::string& sig, bool content_changed, int64_t run_id,
                                std::string_view now) = 0;
  virtual Status MoveWorkflow(const std::string& id, const std::string& new_path,
                              const std::string& sig, std::string_view now) = 0;
  virtual Status MarkDeleted(const std::string& id, std::string_view now) = 0;
  virtual Status Restore(const std::string& id, std::string_view now) = 0;
  virtual Status AppendLog(const LogRecord& record) = 0;
  // Recomputes the "duplicate-source-id" warning of every live workflow.
  virtual Status RefreshSourceIdFindings() = 0;
  virtual Status FinishRun(int64_t run_id, const RunCounts& counts, std::string_view now) = 0;
  virtual Status Commit() = 0;
};

// ---- Migrations -----------------------------------------------------------

enum class SqlDialect { kSqlite, kPostgres };
std::string_view SqlDialectName(SqlDialect dialect);  // "sqlite", "postgres"
// SQL for the current time, in the form the dialect's timestamps are kept.
std::string_view SqlNow(SqlDialect dialect);

// One value of a result row or a statement parameter: text, or SQL NULL.
using SqlValue = std::optional<std::string>;
using SqlRow = std::vector<SqlValue>;

// What the migration runner (`flowsync migrate`) runs SQL through. It holds
// the database's migration lock from OpenMigrationSession until it is
// destroyed, so one runner at a time works on a database: on PostgreSQL the
// advisory lock syncs take (a try-lock loop on a dedicated connection), on
// SQLite an flock(2) on "<database>-migrate.lock" (released by the kernel if
// the process dies). Each Begin() .. Commit() is one database transaction.
// The session sees every project: migrations are per database.
class MigrationSession {
 public:
  virtual ~MigrationSession() = default;
  virtual SqlDialect dialect() const = 0;
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;  // a no-op outside a transaction
  // Runs the statements of `sql` in order (a migration file's text). On
  // failure the Status says which statement failed (its number, the line it
  // starts on within `sql`, and its first line of text) and the database's
  // message; statements before it have run (roll back to undo them).
  // `statements_run`, when given, receives how many statements succeeded.
  virtual Status ExecScript(std::string_view sql, int* statements_run = nullptr) = 0;
  // One statement with parameters $1..$n (each may appear more than once;
  // nullopt is NULL). Every result column comes back as text.
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql,
                                            const std::vector<SqlValue>& params = {}) = 0;
  // SQL for the current time, and an expression rendering a timestamp
  // column as RFC 3339 UTC with milliseconds (as FormatTimestampMs does).
  virtual std::string NowSql() const = 0;
  virtual std::string TimestampText(std::string_view column) const = 0;
};

inline constexpr char kDefaultProject[] = "default";

// Project names: 1-63 characters of [a-z0-9_-], starting with a letter or
// digit.
bool IsValidProjectName(std::string_view name);

struct StoreOptions {
  // How long a writer waits for another writer before failing with Busy.
  int lock_timeout_ms = 60'000;
  // When false, opening a database that does not exist is NotFound.
  bool create_if_missing = true;
  // The project this store reads and writes. Every workflow, version, log
  // row and sync run belongs to one; projects share nothing but the
  // database (on PostgreSQL, row-level security enforces it for roles that
  // do not own the tables: see GrantProject).
  std::string project = kDefaultProject;
};

class Store {
 public:
  virtual ~Store() = default;

  // Schema version this database holds (after any upgrade done at open).
  virtual int SchemaVersion() const = 0;
  // A description for messages: "sqlite:.flowsync/flowsync.db".
  virtual std::string Describe() const = 0;
  // The project this store was opened for.
  virtual const std::string& project() const = 0;

  // Starts a sync transaction. For writing (read_only == false) it first
  // takes the writer lock, waiting up to lock_timeout_ms, else Busy.
  virtual Result<std::unique_ptr<SyncTransaction>> BeginSync(bool read_only) = 0;

  virtual Result<std::vector<WorkflowSummary>> ListWorkflows(const ListFilter& filter) = 0;
  // By id, unique id prefix (4+ characters) or path. nullopt when nothing
  // matches; InvalidArgument when a prefix is ambiguous.
  virtual Result<std::optional<WorkflowDetail>> FindWorkflow(std::string_view query) = 0;
  // Newest first; limit <= 0 means all.
  virtual Result<std::vector<LogRecord>> ReadLog(int64_t limit,
                                                 std::optional<std::string> workflow_id) = 0;
  virtual Result<std::optional<RunRecord>> LastRun() = 0;
  // Thumbs up (+1) or down (-1) by `user`; a second vote replaces the first.
  virtual Status Rate(const std::string& workflow_id, const std::string& user, int value,
                      std::string_view now) = 0;

  // Lets database role `role` (and its members) read and write `project`,
  // or stops it (revoke). PostgreSQL only: the tables' owner grants, and
  // row-level security keeps every other role inside its projects.
  // Unsupported on SQLite, which has no roles.
  virtual Status GrantProject(const std::string& project, const std::string& role, bool revoke) = 0;

  // The phase cache's persistence in this database and project (tables
  // workflow_files and workflow_phases). REQUIRES: the Store outlives it.
  virtual Result<std::unique_ptr<PhaseStore>> OpenPhaseStore() = 0;

  // A session for the migration runner; waits up to lock_timeout_ms for the
  // migration lock, else Busy naming the holder.
  virtual Result<std::unique_ptr<MigrationSession>> OpenMigrationSession() = 0;
};

// A WORKFLOW argument as users type it ("./flows/a.json", "bundles/b/"), in
// the form paths are stored: no leading "./", no trailing '/'.
std::string NormaliseWorkflowQuery(std::string_view query);

// Opens (creating and upgrading the schema as needed) the database at `url`.
// Unsupported when the database was written by a newer flowsync.
Result<std::unique_ptr<Store>> OpenStore(const DatabaseUrl& url, const StoreOptions& options);

}  // namespace flowsync
