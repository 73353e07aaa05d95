#include "store/sql_statements.h"

#include <fmt/format.h>

#include "sql/dialect.h"

namespace flowsync {

namespace {

// The INSERT of the warnings of the live workflows that `holders` (SQL
// conditions) selects, `project_term` naming the project.
std::string InsertFindingsSql(SqlDialect dialect, std::string_view project_term,
                              std::string_view holders) {
  // One pass over the project's live workflows that have a source id: a
  // window per source id gives each its count and the first two paths, so
  // "e.g." names the first other holder in path order. (A subquery per
  // workflow walked the whole project's path index once for every holder:
  // 80 % of an initial sync of the real corpus.)
  return fmt::format(R"sql(
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
               WHERE {0} AND deleted_at IS NULL AND source_id IS NOT NULL{2}
              WINDOW by_path AS (PARTITION BY source_id ORDER BY path{1}
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) d
       WHERE d.n > 1)sql",
                     project_term, SqlByteOrder(dialect), holders);
}

}  // namespace

std::vector<std::string> SourceIdFindingsSql(SqlDialect dialect, std::string_view project) {
  const std::string project_term = fmt::format("project = {}", project);
  return {
      fmt::format("DELETE FROM workflow_findings WHERE code = 'duplicate-source-id' AND "
                  "workflow_id IN (SELECT id FROM workflows WHERE {})",
                  project_term),
      InsertFindingsSql(dialect, project_term, ""),
  };
}

std::vector<std::string> SourceIdFindingsSqlFor(SqlDialect dialect, std::string_view project,
                                                std::string_view sources, std::string_view ids) {
  // By the source id index, never by the project's part of the path index,
  // which would read every row: SQLite picks that one unless told (a unary
  // + keeps a column from using an index).
  const std::string project_term =
      fmt::format("{} = {}", dialect == SqlDialect::kSqlite ? "+project" : "project", project);
  return {
      fmt::format(
          "DELETE FROM workflow_findings WHERE code = 'duplicate-source-id' AND workflow_id IN "
          "(SELECT id FROM workflows WHERE source_id IN {0} AND source_id IS NOT NULL AND {1} "
          "UNION SELECT * FROM {2} AS touched)",
          sources, project_term, ids),
      InsertFindingsSql(dialect, project_term, fmt::format(" AND source_id IN {}", sources)),
  };
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
