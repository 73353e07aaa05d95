// The migration runner behind `flowsync migrate`: applies a folder of SQL
// migration files (promote/migration_format.h) to a flowsync database and
// keeps their history there.
//
// History (schema 2, both backends):
//   flowsync_migrations        one row per applied (or baselined) file:
//                              version, name, checksum, applied_at,
//                              applied_by, execution_ms, installed_rank
//                              (apply order), status 'applied'|'baseline';
//   flowsync_migration_events  append-only: applied, failed, reverted,
//                              repaired, baseline, with who, when, the
//                              checksum and a detail (the error of a failure).
// Identity is the version alone, so renaming a file is not a change.
//
// Rules (and the mistakes of other runners they avoid, see
// shared/reference/migrations.md):
//   - Each file runs in its own transaction together with its history row
//     and 'applied' event: a failure leaves nothing half-applied and nothing
//     to repair by hand; the failure is an event, and `up` retries the file.
//     A section marked transaction:false runs outside a transaction (for
//     CREATE INDEX CONCURRENTLY and the like); its history row is written
//     after it succeeded, and a failure says how many of its statements had
//     run.
//   - An applied file whose checksum changed stops `up` (naming the file,
//     both checksums and the way out: `repair`); a pending file older than
//     the newest applied one (merged from a branch) stops it too, unless
//     allowed. Nothing is skipped silently.
//   - `down` reverts in reverse apply order (installed_rank), not version
//     order.
//   - One runner at a time: every operation works through a
//     MigrationHistory, which holds the database's migration lock, and reads
//     the history only once it holds it.
//
// Thread-safety: none; one session per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/status.h"
#include "flowsync/store.h"
#include "promote/migration_format.h"  // CompareMigrationVersions

namespace flowsync {

// ---- Files ------------------------------------------------------------------

// One migration file, parsed.
struct MigrationFile {
  std::string file;      // "20261122101500_add_users.sql"
  std::string version;   // "20261122101500": the leading digits, as written
  std::string name;      // "add_users"
  std::string checksum;  // MigrationChecksum of the file's bytes
  // The SQL `up` runs: for a plain file the whole file, for a dbmate-style
  // one everything before the down marker (the header and the up marker are
  // comments). Lines are numbered as in the file, so the statement line an
  // error names is the file's line (after a sidecar's literal, which spans
  // lines of its own, they are not). A leading BOM is removed; the sidecar
  // token is not yet substituted (UpSql does that).
  std::string up_sql;
  bool up_transaction = true;
  // The down section, if the file has one, preceded by empty lines so that
  // its line numbers, too, are the file's.
  std::optional<std::string> down_sql;
  bool down_transaction = true;
  bool workflow_migration = false;  // IsWorkflowMigration
  bool n8n_target = false;          // IsN8nWorkflowMigration
  // The dialect a generated file was written for (its "-- Dialect:" line).
  std::optional<SqlDialect> written_for;
  // The name a generated file was created with ("-- Migration:"), its key
  // in migration_metadata.
  std::optional<std::string> generated_as;
  // The verified content of the sidecar the header names, if any.
  std::optional<std::string> sidecar_file;
  std::optional<std::string> sidecar_content;

  // up_sql / down_sql with the sidecar's literal in place of its token.
  std::string UpSql(SqlDialect dialect) const;
  std::optional<std::string> DownSql(SqlDialect dialect) const;
};

// Parses the text of migration `file` (its sections and markers; sidecars
// are LoadMigrations' job). InvalidArgument "FILE:LINE: ..." for a marker
// out of place (down before up, a repeated marker), an unknown marker or
// option, or SQL before the up marker of a dbmate-style file.
Result<MigrationFile> ParseMigrationFile(std::string_view file, std::string_view text);

// A migrations folder: its files in version order, and the problems of the
// files that could not be used. Files are VERSION_NAME.sql; dot-names,
// folders, `.json` sidecars and other non-.sql files are ignored.
struct MigrationFolder {
  std::string dir;
  std::vector<MigrationFile> files;
  // Each names its file: a .sql name that is not VERSION_NAME.sql, a
  // version used twice (naming both files), a parse error, a sidecar that
  // is missing or does not match the checksum in the header, an unreadable
  // file.
  std::vector<Status> problems;

  // OK, or InvalidArgument listing every problem, one per line.
  Status ProblemsStatus() const;
  // The file of `version` (as written), or nullptr.
  const MigrationFile* Find(std::string_view version) const;
};

// NotFound "no migrations folder DIR" when `dir` does not exist; IOError
// when it cannot be listed. Problems of single files are collected, not
// returned.
Result<MigrationFolder> LoadMigrations(const FileSystem& fs, const std::string& dir);

// ---- State ------------------------------------------------------------------

enum class MigrationState {
  kApplied,   // in the history, checksum as stored
  kBaseline,  // marked applied by `baseline`, never run; checksum as stored
  kPending,   // a file not in the history
  kFailed,    // pending, and its last run failed (error says why)
  kChanged,   // applied or baseline, but the file's checksum differs
  kMissing,   // applied or baseline, but the file is gone
};
std::string_view MigrationStateName(MigrationState state);

struct MigrationStatusRow {
  std::string version;
  std::string name;
  std::string file;  // the file's name; for a missing one, VERSION_NAME.sql
  MigrationState state = MigrationState::kPending;
  std::string checksum;         // the file's; the stored one when missing
  std::string stored_checksum;  // the history's; empty when not applied
  // From the history row (applied, baseline, changed, missing), or of the
  // last failure (failed); empty / nullopt otherwise.
  std::string applied_at;
  std::string applied_by;
  std::optional<int64_t> execution_ms;
  std::optional<int64_t> installed_rank;
  std::string error;  // failed: the detail of the last 'failed' event
  // Pending or failed, and older than the newest version in the history.
  bool out_of_order = false;
};

struct MigrationCounts {
  int64_t applied = 0, baseline = 0, pending = 0, failed = 0, changed = 0, missing = 0;
};

struct MigrationStatus {
  std::vector<MigrationStatusRow> migrations;  // in version order
  MigrationCounts counts;
  std::string newest_applied;  // the largest version in the history, or ""
};

// Reads the history (and the last event of every version) and merges it
// with the folder. Writes nothing.
Result<MigrationStatus> ReadMigrationStatus(MigrationHistory& session,
                                            const MigrationFolder& folder);

// The status of `folder` against a database with no history at all: one
// that does not exist yet or holds no flowsync data (an empty SQLite file, a
// PostgreSQL database or schema nothing was synced or migrated to; opening
// it without creating it is NotFound). Every file is pending, as dbmate and
// Flyway show a fresh database, and nothing had to be created to say so.
MigrationStatus FreshMigrationStatus(const MigrationFolder& folder);

// ---- Operations -------------------------------------------------------------
//
// Each works through `session` (which holds the migration lock) and refuses
// a folder with problems (InvalidArgument listing them) before touching the
// database.

// "user@host" for applied_by: the effective user's password entry, the host
// name.
std::string DefaultMigrationUser();

// A migration as the reports of the operations name it.
struct MigrationRef {
  std::string version;
  std::string name;
  std::string file;  // for one no longer in the folder, VERSION_NAME.sql
};

struct AppliedMigration {
  std::string file;
  std::string version;
  std::string name;
  std::string checksum;
  bool transaction = true;
  int64_t execution_ms = 0;
  std::string sql;  // dry run: the SQL that would run (sidecar substituted)
};

struct UpOptions {
  bool allow_out_of_order = false;
  // Plan only: the report lists the files with the SQL they would run;
  // nothing is written.
  bool dry_run = false;
  // Apply only files up to this version (inclusive).
  std::optional<std::string> target;
  std::string applied_by;  // empty: DefaultMigrationUser()
  // Called after each file is applied (not in a dry run).
  std::function<void(const AppliedMigration&)> on_applied;
};

struct UpReport {
  bool dry_run = false;
  // Applied in this run, in order (dry run: would be applied).
  std::vector<AppliedMigration> applied;
  // The pending files left after the run (dry run: after it, had it run),
  // in version order: those after the target, and after a failure those
  // after the failed one.
  std::vector<MigrationRef> pending;
  // Applied files no longer in the folder (a warning; validate fails).
  std::vector<MigrationRef> missing;
  // OK, or the failure that stopped the run: "migration FILE failed:
  // <statement and database error>". Files before it stay applied; the
  // failed one (`failed`) left nothing but its 'failed' event.
  Status failure;
  std::optional<MigrationRef> failed;
};

// Applies pending files in version order. Refuses (Conflict, nothing
// written) when an applied file changed, or, unless allow_out_of_order,
// when a file to apply is older than the newest applied version; both
// messages list the files.
Result<UpReport> MigrateUp(MigrationHistory& session, const MigrationFolder& folder,
                           const UpOptions& options);

struct RevertedMigration {
  std::string file;
  std::string version;
  std::string name;
  bool builtin = false;  // the built-in workflow down (WorkflowDownSql) ran
  int64_t execution_ms = 0;
};

struct DownOptions {
  int count = 1;           // how many of the last applied to revert
  std::string applied_by;  // empty: DefaultMigrationUser()
  std::function<void(const RevertedMigration&)> on_reverted;
};

struct DownReport {
  std::vector<RevertedMigration> reverted;  // in the order they were reverted
  Status failure;  // as UpReport::failure ("down of migration FILE failed: ...")
  std::optional<MigrationRef> failed;  // the migration whose down failed
};

// Reverts the last `count` applied migrations in reverse installed_rank
// order, each in one transaction with the removal of its history row and a
// 'reverted' event. Every target is checked before anything runs:
// InvalidArgument when count < 1 or a file has no down section (and is no
// workflow migration); Conflict when fewer are applied, for a baseline row
// or a file that changed since it was applied. Nothing applied: an empty
// report.
Result<DownReport> MigrateDown(MigrationHistory& session, const MigrationFolder& folder,
                               const DownOptions& options);

struct ValidateOptions {
  bool allow_out_of_order = false;
};

struct MigrationValidation {
  // One line per problem, each naming its file, in version order after the
  // folder's own problems.
  std::vector<std::string> problems;
  // kOk; kInvalidArgument when a file is broken; kConflict when the folder
  // and the history disagree.
  StatusCode code = StatusCode::kOk;

  // OK, the one problem, or "N problems:" and one per line.
  Status ToStatus() const;
};

// Checks `status` (of `folder`) without writing: every file parses and its
// sidecar verifies, every applied file is there with its checksum, no
// pending file is older than the newest applied one (unless allowed).
MigrationValidation ValidateMigrationStatus(const MigrationFolder& folder,
                                            const MigrationStatus& status,
                                            const ValidateOptions& options);

// ValidateMigrationStatus of the history read through `session`, as a
// Status.
Status ValidateMigrations(MigrationHistory& session, const MigrationFolder& folder,
                          const ValidateOptions& options);

struct RepairedMigration {
  std::string file;
  std::string version;
  std::string name;
  std::string old_checksum;
  std::string new_checksum;
};

// Accepts changed files as they are now: stores their current checksum and
// records a 'repaired' event ("old -> new"), in one transaction. With
// `versions`, only those, and each must be a changed migration (NotFound
// for a version no file or history row has, InvalidArgument naming one that
// did not change); without, every changed one.
Result<std::vector<RepairedMigration>> RepairMigrations(MigrationHistory& session,
                                                        const MigrationFolder& folder,
                                                        const std::vector<std::string>& versions,
                                                        const std::string& applied_by = "");

// Marks every file not yet applied with a version <= `version` as applied
// with status 'baseline', without running it ('baseline' events), in one
// transaction: for a database that already holds what those files do.
// Returns the migrations marked, in version order (empty: nothing to do).
// InvalidArgument when `version` is not all digits.
Result<std::vector<MigrationRef>> BaselineMigrations(MigrationHistory& session,
                                                     const MigrationFolder& folder,
                                                     const std::string& version,
                                                     const std::string& applied_by = "");

}  // namespace flowsync
