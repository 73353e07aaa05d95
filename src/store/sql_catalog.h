// The Catalog of both backends: the same SQL, with the few dialect
// differences (casts, collation, timestamp text) from sql/dialect.h.
#pragma once

#include "flowsync/catalog.h"
#include "store/sql_connection.h"

namespace flowsync {

class SqlCatalog final : public Catalog {
 public:
  // REQUIRES: `conn` outlives the catalog.
  explicit SqlCatalog(SqlConnection& conn) : conn_(conn) {}

  Result<std::vector<WorkflowSummary>> ListWorkflows(const ListFilter& filter) override;
  Result<std::optional<WorkflowDetail>> FindWorkflow(std::string_view query) override;
  Result<std::vector<LogRecord>> ReadLog(int64_t limit,
                                         std::optional<std::string> workflow_id) override;
  Result<std::optional<RunRecord>> LastRun() override;
  Result<std::vector<RunRecord>> ListRuns(int64_t limit, std::optional<int64_t> before_id) override;
  Result<std::vector<StoredPhaseSource>> ListPhaseSources() override;
  Result<int64_t> ChangeCursor() override;
  Result<ChangeBatch> ChangesSince(int64_t cursor, int64_t limit) override;
  Result<std::vector<WorkflowVersion>> ListVersions(const std::string& id) override;
  Result<std::optional<WorkflowVersion>> ReadVersion(const std::string& id,
                                                     int64_t version) override;
  Result<std::map<std::string, WorkflowVersion>> ReadCurrent(
      const std::vector<std::string>& ids) override;

 private:
  Result<std::vector<WorkflowSummary>> ListInSnapshot(const ListFilter& filter);
  Result<std::optional<std::string>> ResolveId(const std::string& query);
  Result<std::optional<WorkflowDetail>> FindInSnapshot(const std::string& query);
  Result<std::vector<LogRecord>> ReadLogRows(const std::string& where,
                                             const std::vector<SqlValue>& params,
                                             std::string_view order, int64_t limit);
  Result<std::vector<WorkflowVersion>> ReadVersions(const std::string& id,
                                                    std::optional<int64_t> version);
  std::string Ts(std::string_view column) const;
  std::string AsText(std::string_view expr) const;

  SqlConnection& conn_;
};

}  // namespace flowsync
