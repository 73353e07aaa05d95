// MigrationHistory: the migration runner's (`flowsync migrate`) access to a
// database — its transactions, the SQL of migration files, and the typed
// history of what ran (flowsync_migrations and the append-only
// flowsync_migration_events). There is no general query method: the runner
// reads and writes its history only through the operations below.
//
// Opened by Store::OpenMigrationHistory, which takes the database's
// migration lock and holds it until the object is destroyed, so one runner
// at a time works on a database: on PostgreSQL the advisory lock syncs take
// (a try-lock loop on a dedicated connection), on SQLite an flock(2) on
// "<database>-migrate.lock" (released by the kernel if the process dies).
// Each Begin() .. Commit() is one database transaction. The history sees
// every project: migrations are per database.
//
// Thread-safety: as its Store (one thread at a time).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/sql_dialect.h"
#include "flowsync/status.h"

namespace flowsync {

// A row of flowsync_migrations: a migration applied (or baselined) here.
struct MigrationHistoryRow {
  std::string version, name, checksum;
  std::string applied_at;  // RFC 3339 UTC with milliseconds
  std::string applied_by;
  std::string status;  // "applied" or "baseline"
  int64_t execution_ms = 0;
  int64_t installed_rank = 0;  // assigned by the store: 1 + the highest so far
};

// A row of flowsync_migration_events.
struct MigrationEvent {
  std::string version, name;
  std::string event;  // applied, failed, reverted, repaired, baseline
  std::string by;
  std::optional<std::string> checksum;
  std::optional<int64_t> execution_ms;
  std::optional<std::string> detail;
  std::string at;  // when read back: RFC 3339 UTC; written as the database's now
};

class MigrationHistory {
 public:
  virtual ~MigrationHistory() = default;
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

  // The history, by installed_rank.
  virtual Result<std::vector<MigrationHistoryRow>> ReadApplied() = 0;
  // The newest event of every version that has one.
  virtual Result<std::map<std::string, MigrationEvent>> ReadLastEvents() = 0;
  // Records `row` as applied now (applied_at and installed_rank are
  // assigned here).
  virtual Status InsertApplied(const MigrationHistoryRow& row) = 0;
  virtual Status RemoveApplied(const std::string& version) = 0;
  virtual Status UpdateChecksum(const std::string& version, const std::string& checksum) = 0;
  // Appends `event` with the database's current time.
  virtual Status AppendEvent(const MigrationEvent& event) = 0;
  // Whether migration_metadata holds the claim of generated migration
  // `migration_file` (its name as generated).
  virtual Result<bool> HasWorkflowClaim(const std::string& migration_file) = 0;
};

}  // namespace flowsync
