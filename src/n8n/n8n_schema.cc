#include "n8n/n8n_schema.h"

#include <fmt/format.h>

namespace flowsync::n8n {

const std::vector<N8nSchema>& KnownN8nSchemas() {
  // The newest migration of each release is the same on SQLite and
  // PostgreSQL (some migrations exist for one dialect only, never the last).
  static const std::vector<N8nSchema> kSchemas = {
      {"1.123.0", "CreateWorkflowPublishHistoryTable1764167920585", 1},
      {"2.39.0", "CreateAgentWorkflowDependencyTable1788522448804", 2},
  };
  return kSchemas;
}

std::string KnownN8nVersions() {
  std::string out;
  for (const N8nSchema& s : KnownN8nSchemas()) {
    out += (out.empty() ? "" : ", ") + s.n8n_version;
  }
  return out;
}

Result<N8nSchema> DetectN8nSchema(SqlConnection& conn, std::string_view label) {
  const char* exists = conn.dialect() == SqlDialect::kSqlite
                           ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                             "'migrations'"
                           : "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = "
                             "'migrations' AND schemaname = current_schema()";
  FS_TRY_ASSIGN(std::vector<SqlRow> found, conn.Query(exists, {}, "looking for n8n's migrations"));
  if (found.empty() || SqlInt(found[0][0]) == 0) {
    return Status::Unsupported(fmt::format(
        "{} is no n8n database: it has no n8n migrations table (n8n creates its tables when it "
        "first runs, e.g. `n8n list:workflow`)",
        label));
  }
  FS_TRY_ASSIGN(std::vector<SqlRow> newest,
                conn.Query("SELECT name FROM migrations ORDER BY timestamp DESC, id DESC LIMIT 1",
                           {}, "reading n8n's migrations"));
  if (newest.empty()) {
    return Status::Unsupported(
        fmt::format("{}: n8n's migrations table is empty (n8n has not finished creating its "
                    "tables; start n8n once)",
                    label));
  }
  std::string name = SqlText(newest[0][0]);
  for (const N8nSchema& s : KnownN8nSchemas()) {
    if (s.newest_migration == name) return s;
  }
  return Status::Unsupported(
      fmt::format("{}: unknown n8n schema (newest migration {}); flowsync knows the schemas of "
                  "n8n {}",
                  label, name, KnownN8nVersions()));
}

}  // namespace flowsync::n8n
