// flowsync's database schema, written once for SQLite and PostgreSQL, and
// its version history. The stores render a step for their dialect and apply
// it (sqlite_store.cc, pg_store.cc); schema.cc holds the DDL.
//
// Versions (flowsync_meta.schema_version):
//   1  workflows, categories, ratings, versions, findings, phase entries,
//      sync log, sync runs, the phase cache (workflow_files,
//      workflow_phases); workflows, versions, log rows, runs and the phase
//      cache carry their project. PostgreSQL also: uuid ids, jsonb metadata
//      and definition, timestamptz, enum types for formats, run modes, log
//      events and severities; project columns default to the session's
//      flowsync.project; project_grants and row-level security policies.
//   2  migrations: sync_runs mode 'migration', migration_metadata (what a
//      generated workflow migration changed; with row-level security on
//      PostgreSQL), flowsync_migrations and flowsync_migration_events (the
//      runner's history, per database).
//   3  phases stored once: the phase cache's tables (workflow_files,
//      workflow_phases) are dropped, the cache reads phase workflows and
//      phase_entries; a partial index on the phase workflows' paths.
//   4  running phase workflows: executions, execution_attempts,
//      scheduled_jobs, scheduled_fires (one row per schedule and fire time),
//      workers, workflow_variables; the view workflow_executions (seed
//      status words); flowsync_meta execution_retention_days.
//   5  flowsync serve: api_tokens (SHA-256 of each token, its project and
//      write flag), webhook_registrations (path, method, task, a reference
//      to the secret), webhook_deliveries (idempotency key -> execution).
//   6  both ways: workflows.base_hash and base_path, the content and path
//      the files and the database last agreed on (three-way sync, pull).
//   7  an index of the workflows renamed in the database, by base path
//      (a sync scoped to part of the tree finds them); file_arrivals (a
//      file that arrived with a key starts its phases once).
//   8  webhook_registrations.secret_sealed: a webhook's signing secret
//      sealed with the variables' key, as the third way to give it.
// Policy: an older database is upgraded in one transaction when a store
// opens it (PostgreSQL: under the writer lock); a newer one is refused
// (Unsupported) and left untouched.
//
// Adding version N:
//   1. In schema.cc, write kVersionN: the statements taking N-1 to N, once,
//      with {{...}} where the dialects differ, and parts marked SQLite only
//      or PostgreSQL only where the backends truly differ (SQLite cannot
//      alter a CHECK or a constraint: it rebuilds the table, as version 2
//      rebuilds sync_runs; PostgreSQL's policies and grants). Never edit an
//      earlier version: databases are at it.
//   2. Add it to SchemaStep, raise kSchemaVersion, add a line to the history
//      above, and update docs/formats.md.
//   3. Write its goldens on both backends (testdata/schema_<dialect>_vN.golden):
//        FLOWSYNC_UPDATE_GOLDEN=1 FLOWSYNC_PG_DIR=... flowsync_tests --gtest_filter='*SchemaTest*'
//      then run again without FLOWSYNC_UPDATE_GOLDEN and review the new
//      golden against vN-1's; the earlier goldens must not change.
//   4. schema_test.cc upgrades every older version to the newest by itself;
//      when the step moves or rewrites rows, add rows written at N-1 and
//      check them after the upgrade, as Version1KeepsItsRowsWhenUpgraded does.
//
// Everything here is pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "flowsync/sql_dialect.h"

namespace flowsync {

inline constexpr int kSchemaVersion = 8;

// The statements that take a database at version `from` to `from + 1` in
// `dialect` (from = 0: an empty database). They do not record the new
// version: the store does, in the same transaction. SQLite runs them with
// foreign keys off and checks the keys before it commits (a rebuilt table
// is dropped and renamed); PostgreSQL with search_path set to the store's
// schema. REQUIRES: 0 <= from < kSchemaVersion.
std::string SchemaStep(SqlDialect dialect, int from);

// Renders the schema's SQL for `dialect`: each {{...}} becomes
//   {{name}}                 a named difference (schema.cc lists them:
//                            {{timestamp}} is TEXT or timestamptz, ...);
//   {{sqlite | postgresql}}  the text left of the first '|' on SQLite, the
//                            text right of it on PostgreSQL (either may be
//                            empty; blanks around each are dropped).
// Where a {{...}} renders as nothing, the blanks before it go too, and so
// does its line if nothing else is on it. Everything else is kept as
// written. Throws std::logic_error for an unknown name or an unclosed {{
// (a mistake in schema.cc, which the tests render).
std::string RenderSchemaSql(SqlDialect dialect, std::string_view sql);

}  // namespace flowsync
