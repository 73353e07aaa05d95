// The typed migration history of both backends: the same SQL over a
// SqlConnection. Backends derive from it and add what differs: their
// transactions, how a migration file's script runs, and the lock.
#pragma once

#include "flowsync/migration_history.h"
#include "store/sql_connection.h"

namespace flowsync {

class SqlMigrationHistory : public MigrationHistory {
 public:
  // REQUIRES: `conn` outlives this object.
  explicit SqlMigrationHistory(SqlConnection& conn) : conn_(conn) {}

  SqlDialect dialect() const override { return conn_.dialect(); }
  Result<std::vector<MigrationHistoryRow>> ReadApplied() override;
  Result<std::map<std::string, MigrationEvent>> ReadLastEvents() override;
  Status InsertApplied(const MigrationHistoryRow& row) override;
  Status RemoveApplied(const std::string& version) override;
  Status UpdateChecksum(const std::string& version, const std::string& checksum) override;
  Status AppendEvent(const MigrationEvent& event) override;
  Result<bool> HasWorkflowClaim(const std::string& migration_file) override;

 protected:
  SqlConnection& connection() { return conn_; }

 private:
  SqlConnection& conn_;
};

}  // namespace flowsync
