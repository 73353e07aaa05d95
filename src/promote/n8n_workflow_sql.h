// The SQL of a workflow migration for an n8n database (`migration create
// --target n8n`): plain statements that write one workflow into n8n's own
// tables as n8n itself would (n8n/n8n_rows.h says which rows), whichever
// tool runs them (flowsync migrate up --db n8n+..., psql, sqlite3, dbmate).
//
// The target is an n8n database (1.123 or 2.39, SQLite or PostgreSQL) with
// flowsync's bookkeeping beside it, for the seed's migration_metadata row:
// the first flowsync command that writes with --db n8n+... creates it
// (`flowsync migrate up --db n8n+...` does, before it applies anything;
// commands that only read leave the database alone).
//
// Up, in order (each statement is guarded, so running the file twice has
// the effect of running it once; run it in one transaction):
//   1. claim: a migration_metadata row (action 'pending') recording n8n's
//      row as it was (updatedAt, active; versionId, name and settings in
//      previous_derived); nothing happens if the row exists already;
//   2. the upsert of workflow_entity by n8n id, only when the row is missing
//      or its updatedAt is older than the source's ("update only if newer",
//      the seed's rule): a new versionId (fixed in the file), the source's
//      updatedAt; a new row is inactive, an existing one keeps `active`,
//      `activeVersionId`, `staticData`, `isArchived` and its folder;
//   3. credentials re-bound by type and name to this instance's own
//      credentials_entity rows: the file holds a placeholder id per
//      reference, replaced by the id of the one credential with that type
//      and name, or null when there is none or several (as n8n's own
//      import leaves an unknown one). Only id, name and type are read;
//   4. the workflow_history row of the new versionId (authors 'flowsync'),
//      the owner row (shared_workflow, 'workflow:owner') when the workflow
//      has none: the instance owner's personal project or the project
//      named (none: the statement fails, nothing is left), and the tags
//      (tag_entity by name, created with a derived id when missing;
//      workflows_tags replaced);
//   5. the claim becomes 'created', 'updated' or 'skipped'.
// Execute Workflow references were mapped to n8n ids when the file was
// made. Executions, statistics, webhooks and activation are never touched.
//
// Down (dbmate's down section, or `flowsync migrate down`): a workflow the
// migration created is archived (as n8n deletes); one it updated gets its
// previous nodes and connections back from n8n's history, its previous
// name, settings and versionId from the claim, with its old updatedAt (so
// applying again updates it again). Either only while it is still as the
// migration left it (its versionId); the migration_metadata row goes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flowsync/sql_dialect.h"
#include "flowsync/status.h"
#include "promote/workflow_sql.h"

namespace flowsync {

struct N8nWorkflowSqlOptions {
  std::string migration_file;  // "20261122101500_name.sql"
  std::string source;          // "dev", "prod" or "staging"
  std::string notes;           // free text stored in migration_metadata
  std::string n8n_id;          // the workflow's id in every n8n environment
  std::string version_id;      // the versionId this migration writes (a UUID)
  // The project owning a workflow the migration creates (name or id); the
  // instance owner's personal project when unset.
  std::optional<std::string> project;
  // Workflow ids as the content names them (Execute Workflow nodes) -> n8n
  // ids, for the other workflows of the batch.
  std::map<std::string, std::string, std::less<>> workflow_ids;
};

// The up statements (no header, no markers), ending in a newline; the
// number of credential references re-bound in SQL in *credential_references.
// InvalidArgument when the content is no n8n workflow object (a phase file).
Result<std::string> N8nWorkflowUpSql(SqlDialect dialect, const WorkflowExport& wf,
                                     const N8nWorkflowSqlOptions& options,
                                     int* credential_references = nullptr);

// The down statements of the n8n migration `migration_file`.
std::string N8nWorkflowDownSql(SqlDialect dialect, std::string_view migration_file);

}  // namespace flowsync
