#include "store/sql_statements.h"

#include <fmt/format.h>

#include "sql/dialect.h"

namespace flowsync {

std::vector<std::string> SourceIdFindingsSql(SqlDialect dialect, std::string_view project) {
  return {
      fmt::format("DELETE FROM workflow_findings WHERE code = 'duplicate-source-id' AND "
                  "workflow_id IN (SELECT id FROM workflows WHERE project = {})",
                  project),
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
               WHERE project = {0} AND deleted_at IS NULL AND source_id IS NOT NULL
              WINDOW by_path AS (PARTITION BY source_id ORDER BY path{1}
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) d
       WHERE d.n > 1)sql",
                  project, SqlByteOrder(dialect)),
  };
}

}  // namespace flowsync
