// The PostgreSQL schema of flowsync and its version history.
//
// Versions (flowsync_meta.schema_version), kept in step with the SQLite
// schema (src/store/sqlite/schema.h):
//   1  workflows (uuid ids, jsonb metadata and definition, timestamptz),
//      categories, ratings, versions, findings, phase entries, sync log and
//      runs; enum types for formats, run modes, log events and severities;
//      projects (a column defaulting to the session's flowsync.project),
//      project_grants and row-level security policies.
//   2  migrations: sync_mode 'migration', migration_metadata (with
//      row-level security), flowsync_migrations and
//      flowsync_migration_events (the runner's history, per database).
// Policy: an older schema is upgraded in one transaction under the writer
// lock when a store opens; a newer one is refused and left untouched.
#pragma once

#include <string_view>

#include "flowsync/workflow.h"

namespace flowsync::postgres {

inline constexpr int kSchemaVersion = 2;

// Statements taking the schema from version `from` to `from + 1`; they run
// with search_path set to the target schema.
std::string_view SchemaStep(int from);

}  // namespace flowsync::postgres
