#include "store/sql_statements.h"

#include <fmt/format.h>

#include "sql/dialect.h"

namespace flowsync {

namespace {

// `where` narrows the workflows whose findings go (" AND ..." or ""), and
// `holders` those whose findings are made.
std::vector<std::string> FindingsSql(SqlDialect dialect, std::string_view project,
                                     std::string_view where, std::string_view holders) {
  return {
      fmt::format("DELETE FROM workflow_findings WHERE code = 'duplicate-source-id' AND "
                  "workflow_id IN (SELECT id FROM workflows WHERE project = {}{})",
                  project, where),
      // One pass over the project's live workflows that have a source id:
      // a window per source id gives each its count and the first two
      // paths, so "e.g." names the first other holder in path order. (A
      // subquery per workflow walked the whole project's path index once
      // for every holder: 80 % of an initial sync of the real corpus.)
      fmt::format(R"sql(
      INSERT INTO workflow_findings (workflow_id, severity, code, location, message)
      SELECT d.id, 'warning', 'duplicate-source-id', 'id',
             'source id "' || d.source_id || '" is also used by ' || (d.n - 1) ||
             ' other workflow(s), e.g. ' ||
             CASE WHEN d.path = d.first_path THEN d.second_path ELSE d.first_path END ||
             '; flowsync ids stay distinct'
        FROM (SELECT id, source_id, path,
                     COUNT(*) OVER (PARTITION BY source_id) AS n,
                     FIRST_VALUE(path) OVER by_path AS first_path,
                     NTH_VALUE(path, 2) OVER by_path AS second_path
                FROM workflows
               WHERE project = {0} AND deleted_at IS NULL AND source_id IS NOT NULL{2}
              WINDOW by_path AS (PARTITION BY source_id ORDER BY path{1}
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) d
       WHERE d.n > 1)sql",
                  project, SqlByteOrder(dialect), holders),
  };
}

}  // namespace

std::vector<std::string> SourceIdFindingsSql(SqlDialect dialect, std::string_view project) {
  return FindingsSql(dialect, project, "", "");
}

std::vector<std::string> SourceIdFindingsSqlFor(SqlDialect dialect, std::string_view project,
                                                std::string_view sources, std::string_view ids) {
  return FindingsSql(dialect, project,
                     fmt::format(" AND (id IN {} OR source_id IN {})", ids, sources),
                     fmt::format(" AND source_id IN {}", sources));
}

void TouchedSourceIds::Touch(const std::string& id, const std::optional<std::string>& source_id) {
  if (everything_) return;
  ids_.insert(id);
  if (source_id) sources_.insert(*source_id);
  if (ids_.size() > kMaxWorkflows) {
    everything_ = true;
    ids_.clear();
    sources_.clear();
  }
}

void TouchedSourceIds::Clear() {
  everything_ = false;
  ids_.clear();
  sources_.clear();
}

}  // namespace flowsync
