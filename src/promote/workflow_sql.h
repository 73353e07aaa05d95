// The SQL of a generated workflow migration: plain statements that take a
// flowsync database (schema 2 or later) from "without this migration" to
// "with it", and back, whichever tool runs them (flowsync migrate, psql,
// sqlite3, dbmate, the Supabase CLI).
//
// Up, in order (each statement is guarded, so running the file twice has
// the effect of running it once; run it in one transaction, as every
// migration tool does and `psql --single-transaction` does, so that a
// failure part-way leaves nothing):
//   1. claim: a migration_metadata row (action 'pending') recording the
//      target row as it was (version, updated_at, active, deleted_at, and
//      its categories, findings and phase entries as JSON);
//      nothing happens if the row exists already (the file was applied);
//   2. when the target row is missing or its updated_at is older than the
//      source's ("update if newer, preserve if local is newer"): a
//      sync_runs row (mode 'migration', root = the file name), the replaced
//      content into workflow_versions, a workflow_sync_log event, the upsert
//      by stable id, and the workflow's categories, findings and phase
//      entries;
//   3. the run is finished and the claim becomes 'created', 'updated' or
//      'skipped'.
// Down: a workflow the migration created is removed with its rows; one it
// updated gets the replaced content (and derived rows) back as a new
// version, with its old updated_at (so applying the migration again updates it again), unless it
// changed after the migration, in which case it is left alone; either way
// the migration_metadata row goes, and the log records what happened.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flowsync/store.h"
#include "flowsync/workflow.h"

namespace flowsync {

struct WorkflowExport {
  std::string id;  // the stable id (uuid)
  std::string project;
  std::string path;
  // What the target stores: content already reduced (credentials) and
  // redacted, content_hash computed over that content, categories,
  // findings and phases derived from it.
  ParsedWorkflow workflow;
  std::string created_at;  // RFC 3339 UTC with milliseconds
  std::string updated_at;  // the source's last update: decides who wins
  // Its id in n8n, when it was read from an n8n database: the id it keeps
  // in every n8n environment (promote/n8n_workflow_sql.h).
  std::optional<std::string> n8n_id;
};

struct WorkflowSqlOptions {
  std::string migration_file;  // "20261122101500_name.sql"
  std::string source;          // "dev", "prod" or "staging"
  std::string notes;           // free text stored in migration_metadata
  // When true the content is written as kSidecarToken instead of a literal.
  bool content_in_sidecar = false;
};

// The up statements (no header, no markers), ending in a newline.
std::string WorkflowUpSql(SqlDialect dialect, const WorkflowExport& wf,
                          const WorkflowSqlOptions& options);

// The down statements for the generated migration `migration_file`; they
// need nothing but the database (migration_metadata and the versions).
std::string WorkflowDownSql(SqlDialect dialect, std::string_view migration_file);

}  // namespace flowsync
