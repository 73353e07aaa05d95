#include "store/sql_migration_history.h"

#include "sql/dialect.h"

namespace flowsync {
namespace {

SqlValue OptionalInt(const std::optional<int64_t>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

}  // namespace

Result<std::vector<MigrationHistoryRow>> SqlMigrationHistory::ReadApplied() {
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query("SELECT version, name, checksum, " + SqlTimestampText(dialect(), "applied_at") +
                      ", applied_by, execution_ms, installed_rank, status "
                      "FROM flowsync_migrations ORDER BY installed_rank",
                  {}, "reading the migration history"));
  std::vector<MigrationHistoryRow> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    if (r.size() != 8) return Status::Internal("flowsync_migrations: unexpected result shape");
    MigrationHistoryRow h;
    h.version = SqlText(r[0]);
    h.name = SqlText(r[1]);
    h.checksum = SqlText(r[2]);
    h.applied_at = SqlText(r[3]);
    h.applied_by = SqlText(r[4]);
    h.execution_ms = SqlInt(r[5]);
    h.installed_rank = SqlInt(r[6]);
    h.status = SqlText(r[7]);
    out.push_back(std::move(h));
  }
  return out;
}

Result<std::map<std::string, MigrationEvent>> SqlMigrationHistory::ReadLastEvents() {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_.Query("SELECT e.version, e.name, e.event, e.\"by\", e.checksum, "
                            "e.execution_ms, e.detail, " +
                                SqlTimestampText(dialect(), "e.at") +
                                " FROM flowsync_migration_events e JOIN (SELECT MAX(id) AS id "
                                "FROM flowsync_migration_events GROUP BY version) last ON "
                                "last.id = e.id",
                            {}, "reading the migration events"));
  std::map<std::string, MigrationEvent> out;
  for (const SqlRow& r : rows) {
    if (r.size() != 8) {
      return Status::Internal("flowsync_migration_events: unexpected result shape");
    }
    MigrationEvent e;
    e.version = SqlText(r[0]);
    e.name = SqlText(r[1]);
    e.event = SqlText(r[2]);
    e.by = SqlText(r[3]);
    e.checksum = r[4];
    if (r[5]) e.execution_ms = SqlInt(r[5]);
    e.detail = r[6];
    e.at = SqlText(r[7]);
    out[e.version] = std::move(e);
  }
  return out;
}

Status SqlMigrationHistory::InsertApplied(const MigrationHistoryRow& row) {
  return conn_
      .Query(
          "INSERT INTO flowsync_migrations (version, name, checksum, applied_at, applied_by, "
          "execution_ms, installed_rank, status) VALUES ($1, $2, $3, " +
              std::string(SqlNow(dialect())) +
              ", $4, CAST($5 AS INTEGER), (SELECT COALESCE(MAX(installed_rank), 0) + 1 "
              "FROM flowsync_migrations), $6)",
          {row.version, row.name, row.checksum, row.applied_by, std::to_string(row.execution_ms),
           row.status},
          "recording a migration")
      .status();
}

Status SqlMigrationHistory::RemoveApplied(const std::string& version) {
  return conn_
      .Query("DELETE FROM flowsync_migrations WHERE version = $1", {version},
             "removing a migration from the history")
      .status();
}

Status SqlMigrationHistory::UpdateChecksum(const std::string& version,
                                           const std::string& checksum) {
  return conn_
      .Query("UPDATE flowsync_migrations SET checksum = $2 WHERE version = $1", {version, checksum},
             "repairing a checksum")
      .status();
}

Status SqlMigrationHistory::AppendEvent(const MigrationEvent& e) {
  return conn_
      .Query(
          "INSERT INTO flowsync_migration_events "
          "(version, name, event, at, \"by\", checksum, execution_ms, detail) VALUES "
          "($1, $2, $3, " +
              std::string(SqlNow(dialect())) + ", $4, $5, CAST($6 AS INTEGER), $7)",
          {e.version, e.name, e.event, e.by, e.checksum, OptionalInt(e.execution_ms), e.detail},
          "recording a migration event")
      .status();
}

Result<bool> SqlMigrationHistory::HasWorkflowClaim(const std::string& migration_file) {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_.Query("SELECT 1 FROM migration_metadata WHERE migration_file = $1",
                            {migration_file}, "reading migration_metadata"));
  return !rows.empty();
}

}  // namespace flowsync
