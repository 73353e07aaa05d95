#include "store/sql_statements.h"

#include <fmt/format.h>

#include "sql/dialect.h"

namespace flowsync {

std::vector<std::string> SourceIdFindingsSql(SqlDialect dialect, std::string_view project) {
  return {
      fmt::format("DELETE FROM workflow_findings WHERE code = 'duplicate-source-id' AND "
                  "workflow_id IN (SELECT id FROM workflows WHERE project = {})",
                  project),
      fmt::format(R"sql(
      INSERT INTO workflow_findings (workflow_id, severity, code, location, message)
      SELECT w.id, 'warning', 'duplicate-source-id', 'id',
             'source id "' || w.source_id || '" is also used by ' || (d.n - 1) ||
             ' other workflow(s), e.g. ' ||
             (SELECT o.path FROM workflows o
               WHERE o.project = w.project AND o.source_id = w.source_id AND o.id <> w.id
                 AND o.deleted_at IS NULL
               ORDER BY o.path{1} LIMIT 1) ||
             '; flowsync ids stay distinct'
        FROM workflows w
        JOIN (SELECT source_id, COUNT(*) AS n FROM workflows
               WHERE project = {0} AND deleted_at IS NULL AND source_id IS NOT NULL
               GROUP BY source_id HAVING COUNT(*) > 1) d ON d.source_id = w.source_id
       WHERE w.project = {0} AND w.deleted_at IS NULL)sql",
                  project, SqlByteOrder(dialect)),
  };
}

}  // namespace flowsync
