#include "store/schema.h"

#include <span>
#include <stdexcept>

namespace flowsync {
namespace {

// The differences between the dialects that recur, by name ({{name}}).
struct NamedSql {
  std::string_view name;
  std::string_view sqlite;
  std::string_view postgres;
};
constexpr NamedSql kNamedSql[] = {
    {"uuid", "TEXT", "uuid"},
    // SQLite keeps RFC 3339 UTC text with milliseconds (sql/dialect.h).
    {"timestamp", "TEXT", "timestamptz"},
    {"json", "TEXT", "jsonb"},
    {"bool", "INTEGER", "boolean"},
    {"bigint", "INTEGER", "bigint"},
    {"serial_key", "INTEGER PRIMARY KEY AUTOINCREMENT", "bigserial PRIMARY KEY"},
    // On PostgreSQL the project of a session is the setting flowsync.project;
    // project columns default to it, so every row a session writes lands in
    // its project. SQLite statements bind it (:project).
    {"project_default", "", "DEFAULT current_setting('flowsync.project')"},
    {"without_rowid", "WITHOUT ROWID", ""},
};

// Which backends a part of a step is for.
enum class On { kBoth, kSqliteOnly, kPostgresOnly };

struct StepPart {
  On on;
  std::string_view sql;  // rendered with RenderSchemaSql
};

// ---- Version 1 --------------------------------------------------------------

// PostgreSQL only: enum types. SQLite checks the same values on each column
// ({{... CHECK ... | type}} below).
constexpr std::string_view kVersion1Types = R"sql(
CREATE TYPE workflow_format AS ENUM ('bundle', 'n8n', 'phase');
CREATE TYPE sync_mode AS ENUM ('incremental', 'full');
CREATE TYPE sync_event AS ENUM ('added', 'updated', 'renamed', 'deleted', 'restored', 'error');
CREATE TYPE finding_severity AS ENUM ('error', 'warning', 'info');
CREATE TYPE workflow_status AS ENUM ('active', 'inactive', 'deleted');
)sql";

constexpr std::string_view kVersion1Tables = R"sql(
CREATE TABLE flowsync_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) {{without_rowid}};

CREATE TABLE sync_runs (
  id          {{serial_key}},
  project     TEXT NOT NULL {{project_default}},
  mode        {{TEXT NOT NULL CHECK (mode IN ('incremental', 'full')) | sync_mode NOT NULL}},
  root        TEXT NOT NULL,
  started_at  {{timestamp}} NOT NULL,
  finished_at {{timestamp}},
  added       INTEGER NOT NULL DEFAULT 0,
  updated     INTEGER NOT NULL DEFAULT 0,
  renamed     INTEGER NOT NULL DEFAULT 0,
  deleted     INTEGER NOT NULL DEFAULT 0,
  restored    INTEGER NOT NULL DEFAULT 0,
  unchanged   INTEGER NOT NULL DEFAULT 0,
  errors      INTEGER NOT NULL DEFAULT 0
);

-- content is the file's exact text. On PostgreSQL definition is the same
-- document as jsonb for queries (NULL for phase files and for JSON that
-- jsonb cannot hold, such as \u0000 in strings). The large columns come
-- last: SQLite reads a row's columns in order, so the index a sync loads
-- (id .. deleted_at) never touches overflow pages.
CREATE TABLE workflows (
  id            {{uuid}} PRIMARY KEY,
  project       TEXT NOT NULL {{project_default}},
  path          TEXT NOT NULL,
  format        {{TEXT NOT NULL CHECK (format IN ('bundle', 'n8n', 'phase'))
                | workflow_format NOT NULL}},
  content_hash  TEXT NOT NULL,
  source_sig    TEXT NOT NULL DEFAULT '',
  deleted_at    {{timestamp}},
  name          TEXT NOT NULL,
  source_id     TEXT,
  active        {{INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
                | boolean NOT NULL DEFAULT false}},
  version       INTEGER NOT NULL DEFAULT 1,
  created_at    {{timestamp}} NOT NULL,
  updated_at    {{timestamp}} NOT NULL,
  metadata      {{json}} NOT NULL DEFAULT '{}',
  documentation TEXT NOT NULL DEFAULT '',
  content       TEXT NOT NULL,
  {{ | definition    jsonb,}}
  -- Derived, for queries and reports: never written directly. Stored on
  -- PostgreSQL, where it is indexed.
  status        {{TEXT GENERATED ALWAYS AS (
                    CASE WHEN deleted_at IS NOT NULL THEN 'deleted'
                         WHEN active THEN 'active' ELSE 'inactive' END) VIRTUAL
                | workflow_status GENERATED ALWAYS AS (
                    CASE WHEN deleted_at IS NOT NULL THEN 'deleted'::workflow_status
                         WHEN active THEN 'active'::workflow_status
                         ELSE 'inactive'::workflow_status END) STORED}},
  UNIQUE (project, path)
);
{{ | CREATE INDEX workflows_status ON workflows (project, status);}}
CREATE INDEX workflows_source_id ON workflows (source_id) WHERE source_id IS NOT NULL;
CREATE INDEX workflows_content_hash ON workflows (content_hash);

CREATE TABLE workflow_categories (
  workflow_id {{uuid}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  category    TEXT NOT NULL,
  PRIMARY KEY (workflow_id, category)
) {{without_rowid}};
CREATE INDEX workflow_categories_category ON workflow_categories (category);

CREATE TABLE workflow_ratings (
  workflow_id {{uuid}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  user_name   TEXT NOT NULL,
  value       {{INTEGER | smallint}} NOT NULL CHECK (value IN (-1, 1)),
  rated_at    {{timestamp}} NOT NULL,
  PRIMARY KEY (workflow_id, user_name)
) {{without_rowid}};

CREATE TABLE workflow_versions (
  id            {{serial_key}},
  workflow_id   {{uuid}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  project       TEXT NOT NULL {{project_default}},
  version       INTEGER NOT NULL,
  path          TEXT NOT NULL,
  name          TEXT NOT NULL,
  content       TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  metadata      {{json}} NOT NULL,
  documentation TEXT NOT NULL,
  valid_from    {{timestamp}} NOT NULL,
  replaced_at   {{timestamp}} NOT NULL,
  run_id        {{bigint}} REFERENCES sync_runs (id),
  UNIQUE (workflow_id, version)
);

CREATE TABLE workflow_findings (
  workflow_id {{uuid}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  severity    {{TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info'))
              | finding_severity NOT NULL}},
  code        TEXT NOT NULL,
  location    TEXT NOT NULL,
  message     TEXT NOT NULL
);
CREATE INDEX workflow_findings_workflow ON workflow_findings (workflow_id);
CREATE INDEX workflow_findings_code ON workflow_findings (code);

CREATE TABLE phase_entries (
  workflow_id {{uuid}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  task        TEXT NOT NULL,
  depends_on  TEXT NOT NULL,
  rule        TEXT NOT NULL,
  template    TEXT NOT NULL,
  retry       {{bigint}} NOT NULL,
  line        INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, position)
) {{without_rowid}};

CREATE TABLE workflow_sync_log (
  id          {{serial_key}},
  project     TEXT NOT NULL {{project_default}},
  run_id      {{bigint}} NOT NULL REFERENCES sync_runs (id),
  event       {{TEXT NOT NULL CHECK (event IN ('added', 'updated', 'renamed', 'deleted',
                                               'restored', 'error'))
              | sync_event NOT NULL}},
  workflow_id {{uuid}},
  path        TEXT NOT NULL,
  old_path    TEXT,
  old_hash    TEXT,
  new_hash    TEXT,
  message     TEXT,
  created_at  {{timestamp}} NOT NULL
);
CREATE INDEX workflow_sync_log_workflow ON workflow_sync_log (workflow_id);
CREATE INDEX workflow_sync_log_project ON workflow_sync_log (project, id);
CREATE INDEX workflow_sync_log_run ON workflow_sync_log (run_id);

-- The phase cache (include/flowsync/phase_cache.h): one row per phase file
-- and one per phase, in file order (position).
CREATE TABLE workflow_files (
  project       TEXT NOT NULL {{project_default}},
  file_path     TEXT NOT NULL,
  file_hash     TEXT NOT NULL,
  loaded_at     {{timestamp}} NOT NULL,
  last_modified {{timestamp}} NOT NULL,
  PRIMARY KEY (project, file_path)
) {{without_rowid}};

CREATE TABLE workflow_phases (
  project    TEXT NOT NULL {{project_default}},
  file_path  TEXT NOT NULL,
  task       TEXT NOT NULL,
  position   INTEGER NOT NULL,
  depends_on TEXT NOT NULL,
  rule       TEXT NOT NULL,
  template   TEXT NOT NULL,
  retry      {{bigint}} NOT NULL,
  status     TEXT NOT NULL,
  PRIMARY KEY (project, file_path, task),
  FOREIGN KEY (project, file_path) REFERENCES workflow_files (project, file_path)
    ON DELETE CASCADE
) {{without_rowid}};
CREATE INDEX workflow_phases_task ON workflow_phases (project, task);
CREATE INDEX workflow_phases_depends_on ON workflow_phases (project, depends_on);
CREATE INDEX workflow_phases_status ON workflow_phases (project, status);
)sql";

// PostgreSQL only: row-level security and compression.
constexpr std::string_view kVersion1Postgres = R"sql(
-- Row-level security. The tables' owner (the role flowsync migrates with)
-- sees everything; any other role sees and changes only the rows of the
-- projects granted to it or to a role it is a member of.
CREATE TABLE project_grants (
  project   text NOT NULL,
  role_name text NOT NULL,
  PRIMARY KEY (project, role_name)
);

CREATE FUNCTION flowsync_project_allowed(p text) RETURNS boolean
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  SELECT EXISTS (
    SELECT 1 FROM project_grants g JOIN pg_roles r ON r.rolname = g.role_name
     WHERE g.project = p AND pg_has_role(r.oid, 'MEMBER'))
$$;

ALTER TABLE workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_sync_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_findings ENABLE ROW LEVEL SECURITY;
ALTER TABLE phase_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_phases ENABLE ROW LEVEL SECURITY;

CREATE POLICY by_project ON workflows
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON sync_runs
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON workflow_versions
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON workflow_sync_log
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON workflow_files
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON workflow_phases
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
-- Rows that hang off a workflow follow it: the subquery sees only the
-- workflows the role may see.
CREATE POLICY by_workflow ON workflow_categories
  USING (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id))
  WITH CHECK (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id));
CREATE POLICY by_workflow ON workflow_ratings
  USING (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id))
  WITH CHECK (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id));
CREATE POLICY by_workflow ON workflow_findings
  USING (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id))
  WITH CHECK (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id));
CREATE POLICY by_workflow ON phase_entries
  USING (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id))
  WITH CHECK (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id));

-- lz4 compresses the large columns several times faster than the default
-- pglz; servers built without lz4 keep pglz.
DO $$
BEGIN
  ALTER TABLE workflows ALTER COLUMN content SET COMPRESSION lz4,
                        ALTER COLUMN definition SET COMPRESSION lz4,
                        ALTER COLUMN metadata SET COMPRESSION lz4,
                        ALTER COLUMN documentation SET COMPRESSION lz4;
  ALTER TABLE workflow_versions ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  NULL;
END $$;
)sql";

constexpr std::string_view kVersion1Meta = R"sql(
INSERT INTO flowsync_meta (key, value) VALUES ('schema_version', '1');
)sql";

constexpr StepPart kVersion1[] = {
    {On::kPostgresOnly, kVersion1Types},
    {On::kBoth, kVersion1Tables},
    {On::kPostgresOnly, kVersion1Postgres},
    {On::kBoth, kVersion1Meta},
};

// ---- Version 2: `flowsync migration create` and `flowsync migrate` ----------

// SQLite only: sync_runs is rebuilt, since SQLite cannot alter a CHECK, so
// that a migration can record its run as mode 'migration' (with foreign keys
// off, checked before the commit, as SQLite prescribes for a rebuild).
constexpr std::string_view kVersion2SqliteRuns = R"sql(
CREATE TABLE sync_runs_v2 (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project     TEXT NOT NULL,
  mode        TEXT NOT NULL CHECK (mode IN ('incremental', 'full', 'migration')),
  root        TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  added       INTEGER NOT NULL DEFAULT 0,
  updated     INTEGER NOT NULL DEFAULT 0,
  renamed     INTEGER NOT NULL DEFAULT 0,
  deleted     INTEGER NOT NULL DEFAULT 0,
  restored    INTEGER NOT NULL DEFAULT 0,
  unchanged   INTEGER NOT NULL DEFAULT 0,
  errors      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sync_runs_v2 SELECT * FROM sync_runs;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_v2 RENAME TO sync_runs;
)sql";

// PostgreSQL only: the same for the enum.
constexpr std::string_view kVersion2PostgresRuns = R"sql(
ALTER TYPE sync_mode ADD VALUE IF NOT EXISTS 'migration';
)sql";

constexpr std::string_view kVersion2Tables = R"sql(
-- PostgreSQL cannot use an enum value in the transaction that adds it, so
-- its index is not partial.
CREATE INDEX sync_runs_migration ON sync_runs (root) {{WHERE mode = 'migration' |}};

-- One row per generated workflow migration applied here (see
-- src/promote/workflow_sql.h): what it found, so that down can undo it.
CREATE TABLE migration_metadata (
  migration_file      TEXT PRIMARY KEY,
  project             TEXT NOT NULL {{project_default}},
  source              TEXT NOT NULL CHECK (source IN ('dev', 'prod', 'staging')),
  workflow_id         {{uuid}} NOT NULL,
  content_hash        TEXT NOT NULL,
  source_updated_at   {{timestamp}} NOT NULL,
  action              TEXT NOT NULL CHECK (action IN ('pending', 'created', 'updated',
                                                      'skipped')),
  previous_version    INTEGER,
  previous_updated_at {{timestamp}},
  previous_active     {{bool}},
  previous_deleted_at {{timestamp}},
  -- JSON: the categories, findings and phase entries the row had.
  previous_derived    {{json}},
  created_at          {{timestamp}} NOT NULL {{ | DEFAULT now()}},
  synced_at           {{timestamp}} NOT NULL {{ | DEFAULT now()}},
  notes               TEXT
) {{without_rowid}};
CREATE INDEX migration_metadata_source ON migration_metadata (source);
CREATE INDEX migration_metadata_workflow ON migration_metadata (workflow_id);
CREATE INDEX migration_metadata_synced ON migration_metadata (synced_at);

-- The migration runner's history: one row per applied migration, and an
-- append-only log of everything it did. Per database, not per project.
CREATE TABLE flowsync_migrations (
  version        TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  checksum       TEXT NOT NULL,
  applied_at     {{timestamp}} NOT NULL,
  applied_by     TEXT NOT NULL,
  execution_ms   {{bigint}} NOT NULL,
  installed_rank INTEGER NOT NULL UNIQUE,
  status         TEXT NOT NULL CHECK (status IN ('applied', 'baseline'))
) {{without_rowid}};

CREATE TABLE flowsync_migration_events (
  id           {{serial_key}},
  version      TEXT NOT NULL,
  name         TEXT NOT NULL,
  event        TEXT NOT NULL CHECK (event IN ('applied', 'failed', 'reverted', 'repaired',
                                              'baseline')),
  at           {{timestamp}} NOT NULL,
  by           TEXT NOT NULL,
  checksum     TEXT,
  execution_ms {{bigint}},
  detail       TEXT
);
CREATE INDEX flowsync_migration_events_version ON flowsync_migration_events (version, id);
)sql";

// PostgreSQL only: migration_metadata rows belong to projects.
constexpr std::string_view kVersion2Postgres = R"sql(
ALTER TABLE migration_metadata ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_project ON migration_metadata
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
)sql";

constexpr StepPart kVersion2[] = {
    {On::kSqliteOnly, kVersion2SqliteRuns},
    {On::kPostgresOnly, kVersion2PostgresRuns},
    {On::kBoth, kVersion2Tables},
    {On::kPostgresOnly, kVersion2Postgres},
};

// -----------------------------------------------------------------------------
// Version 3: phases are stored once. The phase cache is an index over the
// phase workflows and their phase_entries (src/sync/phase_cache.cc), so its
// own tables go; what they held is derived from the files again by the next
// refresh. The cache reads the live phase workflows of a project in path
// order, which a partial index serves without touching other formats.

constexpr std::string_view kVersion3Tables = R"sql(
DROP TABLE workflow_phases;
DROP TABLE workflow_files;
CREATE INDEX workflows_phase_path ON workflows (project, path) WHERE format = 'phase';
)sql";

constexpr StepPart kVersion3[] = {
    {On::kBoth, kVersion3Tables},
};

// -----------------------------------------------------------------------------
// Version 4: running phase workflows (src/run/, include/flowsync/
// execution_queue.h). The queue's times are milliseconds since the Unix
// epoch from the caller's Clock (every "now" of the library is a Clock's),
// compared as integers on both backends; the view below shows them as
// timestamps.

constexpr std::string_view kVersion4Tables = R"sql(
-- One row per triggered run of a task. status is the execution's, attempt
-- the number of attempts started; owner and lease_until_ms belong to the
-- running attempt (a lease that runs out is rescued by anyone). meta is
-- flowlord's query-string meta (workflow=...&cron=...).
CREATE TABLE executions (
  id             {{serial_key}},
  project        TEXT NOT NULL {{project_default}},
  workflow       TEXT NOT NULL,
  task           TEXT NOT NULL,
  topic          TEXT NOT NULL,
  job            TEXT NOT NULL,
  task_time_ms   {{bigint}},
  trigger_type   TEXT NOT NULL CHECK (trigger_type IN ('schedule', 'manual', 'webhook',
                                                        'workflow', 'files')),
  status         TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed',
                                                  'cancelled', 'timeout')),
  attempt        INTEGER NOT NULL DEFAULT 0,
  -- attempts whose worker died (their leases ran out): they do not count
  -- against max_attempts, up to a limit (src/store/sql_execution_queue.cc).
  lost_attempts  INTEGER NOT NULL DEFAULT 0,
  max_attempts   INTEGER NOT NULL CHECK (max_attempts >= 1),
  retry_delay_ms {{bigint}} NOT NULL,
  timeout_ms     {{bigint}} NOT NULL,
  run_at_ms      {{bigint}} NOT NULL,
  created_at_ms  {{bigint}} NOT NULL,
  started_at_ms  {{bigint}},
  finished_at_ms {{bigint}},
  owner          TEXT,
  lease_until_ms {{bigint}},
  error          TEXT,
  parent_id      {{bigint}} REFERENCES executions (id) ON DELETE SET NULL,
  info           TEXT NOT NULL,
  meta           TEXT NOT NULL,
  -- 1 once what follows a finished execution (its children, or the failed
  -- topic's task) was enqueued, in the same transaction: exactly once.
  followed_up    INTEGER NOT NULL DEFAULT 0
);
-- What a claim reads: the ready executions of a topic, oldest first.
CREATE INDEX executions_ready ON executions (project, topic, run_at_ms, id)
  WHERE status = 'pending';
-- What a rescue reads: the running ones whose lease ran out.
CREATE INDEX executions_lease ON executions (lease_until_ms) WHERE status = 'running';
CREATE INDEX executions_parent ON executions (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX executions_finished ON executions (project, finished_at_ms);
CREATE INDEX executions_follow_up ON executions (project, id)
  WHERE followed_up = 0 AND status IN ('completed', 'failed', 'timeout');

-- One row per attempt: who ran it, its lease, how it ended, the tails of
-- its output (capped by the worker).
CREATE TABLE execution_attempts (
  execution_id   {{bigint}} NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  attempt        INTEGER NOT NULL,
  owner          TEXT NOT NULL,
  started_at_ms  {{bigint}} NOT NULL,
  heartbeat_ms   {{bigint}} NOT NULL,
  finished_at_ms {{bigint}},
  outcome        TEXT NOT NULL CHECK (outcome IN ('running', 'completed', 'failed', 'timeout',
                                                  'lost', 'cancelled')),
  exit_status    INTEGER,
  error          TEXT,
  stdout_tail    TEXT NOT NULL DEFAULT '',
  stderr_tail    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (execution_id, attempt)
);

-- Cron and batch phases (scheduled_jobs: one row per schedule, fires due
-- after since_ms, its last and next fire) and their fires: the primary key
-- of scheduled_fires is the schedule and the fire time, so of any number of
-- schedulers exactly one inserts each fire, and only that one enqueues its
-- executions.
CREATE TABLE scheduled_jobs (
  project      TEXT NOT NULL {{project_default}},
  schedule     TEXT NOT NULL,
  cron         TEXT NOT NULL,
  since_ms     {{bigint}} NOT NULL,
  last_fire_ms {{bigint}},
  next_fire_ms {{bigint}},
  PRIMARY KEY (project, schedule)
) {{without_rowid}};

CREATE TABLE scheduled_fires (
  project   TEXT NOT NULL {{project_default}},
  schedule  TEXT NOT NULL,
  fire_ms   {{bigint}} NOT NULL,
  fired_by  TEXT NOT NULL,
  fired_at_ms {{bigint}} NOT NULL,
  PRIMARY KEY (project, schedule, fire_ms)
) {{without_rowid}};

-- Workers and schedulers that are or were alive, by heartbeat.
CREATE TABLE workers (
  id           TEXT PRIMARY KEY,
  project      TEXT NOT NULL {{project_default}},
  kind         TEXT NOT NULL CHECK (kind IN ('worker', 'scheduler')),
  topics       TEXT NOT NULL,
  started_ms   {{bigint}} NOT NULL,
  heartbeat_ms {{bigint}} NOT NULL,
  stopped_ms   {{bigint}}
) {{without_rowid}};

-- Values a task's command receives. A secret's value is sealed
-- (run/variables.h: libsodium's XChaCha20-Poly1305); the key is never here.
CREATE TABLE workflow_variables (
  project     TEXT NOT NULL {{project_default}},
  environment TEXT NOT NULL,
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  secret      {{bool}} NOT NULL,
  updated_ms  {{bigint}} NOT NULL,
  PRIMARY KEY (project, environment, name)
) {{without_rowid}};

-- The execution status words of a workflow engine's executions table
-- (NEW, WAITING, RUNNING, SUCCESS, ERROR, CANCELED, TIMEOUT) and times as
-- timestamps, for reports and ad-hoc queries.
CREATE VIEW workflow_executions AS
SELECT id, project, workflow, task, trigger_type, attempt, max_attempts, error, parent_id,
       CASE status WHEN 'pending' THEN CASE WHEN attempt = 0 THEN 'NEW' ELSE 'WAITING' END
                   WHEN 'running' THEN 'RUNNING'
                   WHEN 'completed' THEN 'SUCCESS'
                   WHEN 'failed' THEN 'ERROR'
                   WHEN 'cancelled' THEN 'CANCELED'
                   ELSE 'TIMEOUT' END AS status,
       {{strftime('%Y-%m-%dT%H:%M:%fZ', task_time_ms / 1000.0, 'unixepoch')
         | to_timestamp(task_time_ms / 1000.0)}} AS task_time,
       {{strftime('%Y-%m-%dT%H:%M:%fZ', created_at_ms / 1000.0, 'unixepoch')
         | to_timestamp(created_at_ms / 1000.0)}} AS created_at,
       {{strftime('%Y-%m-%dT%H:%M:%fZ', started_at_ms / 1000.0, 'unixepoch')
         | to_timestamp(started_at_ms / 1000.0)}} AS start_time,
       {{strftime('%Y-%m-%dT%H:%M:%fZ', finished_at_ms / 1000.0, 'unixepoch')
         | to_timestamp(finished_at_ms / 1000.0)}} AS end_time
  FROM executions;

-- How long finished executions are kept (days; 0 keeps them forever).
INSERT INTO flowsync_meta (key, value) VALUES ('execution_retention_days', '30');
)sql";

// PostgreSQL only: the new rows belong to projects.
constexpr std::string_view kVersion4Postgres = R"sql(
ALTER TABLE executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE execution_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE scheduled_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE scheduled_fires ENABLE ROW LEVEL SECURITY;
ALTER TABLE workers ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_variables ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_project ON executions
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_execution ON execution_attempts
  USING (EXISTS (SELECT 1 FROM executions e WHERE e.id = execution_id))
  WITH CHECK (EXISTS (SELECT 1 FROM executions e WHERE e.id = execution_id));
CREATE POLICY by_project ON scheduled_jobs
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON scheduled_fires
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON workers
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_project ON workflow_variables
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
)sql";

constexpr StepPart kVersion4[] = {
    {On::kBoth, kVersion4Tables},
    {On::kPostgresOnly, kVersion4Postgres},
};

// -----------------------------------------------------------------------------
// Version 5: `flowsync serve` (src/serve/, include/flowsync/serve_registry.h):
// API tokens, webhook registrations and their deliveries. Secrets are never
// stored: a token by its SHA-256 only, a webhook's secret by reference (the
// name of an environment variable or a file the server reads).

constexpr std::string_view kVersion5Tables = R"sql(
-- API tokens: the SHA-256 (hex) of the token, which is shown once when made.
-- Not scoped by row-level security: the server reads a token before it knows
-- the project, which is what the token says.
CREATE TABLE api_tokens (
  token_sha256 TEXT PRIMARY KEY,
  project      TEXT NOT NULL,
  can_write    INTEGER NOT NULL CHECK (can_write IN (0, 1)),
  created_ms   {{bigint}} NOT NULL,
  last_used_ms {{bigint}}
) {{without_rowid}};

-- Webhook endpoints: POST /hooks/PATH starts an execution of `task`
-- (TOPIC[:JOB] of a phase; `workflow` the phase file's key, or '' for the
-- first phase of the task in key order). The secret that signs deliveries is
-- read from the environment variable secret_env or the file secret_file.
CREATE TABLE webhook_registrations (
  id          {{serial_key}},
  project     TEXT NOT NULL {{project_default}},
  path        TEXT NOT NULL,
  method      TEXT NOT NULL,
  task        TEXT NOT NULL,
  workflow    TEXT NOT NULL,
  secret_env  TEXT,
  secret_file TEXT,
  created_ms  {{bigint}} NOT NULL,
  CHECK ((secret_env IS NULL) <> (secret_file IS NULL)),
  UNIQUE (project, path, method)
);

-- One row per delivery that started an execution, by its idempotency key
-- (the Idempotency-Key header, else a key of its own): the same key on the
-- same registration starts one execution. payload is the request body.
CREATE TABLE webhook_deliveries (
  registration_id {{bigint}} NOT NULL REFERENCES webhook_registrations (id) ON DELETE CASCADE,
  idempotency_key TEXT NOT NULL,
  execution_id    {{bigint}} REFERENCES executions (id) ON DELETE SET NULL,
  received_ms     {{bigint}} NOT NULL,
  payload         TEXT NOT NULL,
  PRIMARY KEY (registration_id, idempotency_key)
);
CREATE INDEX webhook_deliveries_execution ON webhook_deliveries (execution_id);
)sql";

// PostgreSQL only: registrations and deliveries belong to projects.
constexpr std::string_view kVersion5Postgres = R"sql(
ALTER TABLE webhook_registrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_project ON webhook_registrations
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
CREATE POLICY by_registration ON webhook_deliveries
  USING (EXISTS (SELECT 1 FROM webhook_registrations r WHERE r.id = registration_id))
  WITH CHECK (EXISTS (SELECT 1 FROM webhook_registrations r WHERE r.id = registration_id));
)sql";

constexpr StepPart kVersion5[] = {
    {On::kBoth, kVersion5Tables},
    {On::kPostgresOnly, kVersion5Postgres},
};

// -----------------------------------------------------------------------------
// Version 6: both ways. Each workflow keeps the base of a three-way sync: the
// content hash and path that the files and the database last agreed on
// (written by every sync that stores a file's content, cleared when a sync
// deletes a workflow because its file is gone). A row whose content or path
// differs from its base was changed in the database; a file whose hash
// differs from it was changed in the files. Rows a migration inserts have no
// base (''): they were added in the database.

constexpr std::string_view kVersion6Base = R"sql(
ALTER TABLE workflows ADD COLUMN base_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE workflows ADD COLUMN base_path TEXT NOT NULL DEFAULT '';
UPDATE workflows SET base_hash = content_hash, base_path = path WHERE deleted_at IS NULL;
)sql";

constexpr StepPart kVersion6[] = {
    {On::kBoth, kVersion6Base},
};

// -----------------------------------------------------------------------------
// Version 7: the workflows renamed in the database since the base, by their
// base path: a sync scoped to part of the tree (watch mode) finds the row
// whose file is in the scope although its path is not. Partial: only such
// rows, few at any time. And the files that arrived with a key (`flowsync
// file PATH --key KEY`): the primary key makes each arrival start its
// phases once, however often it is told; `executions` lists the ids it
// started (comma-separated).

constexpr std::string_view kVersion7Tables = R"sql(
CREATE INDEX workflows_renamed_in_database ON workflows (project, base_path) WHERE base_path <> path;

CREATE TABLE file_arrivals (
  project     TEXT NOT NULL {{project_default}},
  path        TEXT NOT NULL,
  arrival_key TEXT NOT NULL,
  received_ms {{bigint}} NOT NULL,
  executions  TEXT NOT NULL,
  PRIMARY KEY (project, path, arrival_key)
) {{without_rowid}};
)sql";

constexpr std::string_view kVersion7Postgres = R"sql(
ALTER TABLE file_arrivals ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_project ON file_arrivals
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));
)sql";

constexpr StepPart kVersion7[] = {
    {On::kBoth, kVersion7Tables},
    {On::kPostgresOnly, kVersion7Postgres},
};

// -----------------------------------------------------------------------------
// Version 8: a webhook's signing secret may be kept in the database, sealed
// with the variables' key (secret_sealed, "sealed:v1:..."), instead of being
// named by an environment variable or a file. Exactly one of the three is
// set. SQLite cannot alter a CHECK: it rebuilds the table (ids and the
// AUTOINCREMENT high-water mark kept; the deliveries' foreign key names the
// table, not its storage).

constexpr std::string_view kVersion8Sqlite = R"sql(
CREATE TABLE webhook_registrations_v8 (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project     TEXT NOT NULL,
  path        TEXT NOT NULL,
  method      TEXT NOT NULL,
  task        TEXT NOT NULL,
  workflow    TEXT NOT NULL,
  secret_env  TEXT,
  secret_file TEXT,
  created_ms  INTEGER NOT NULL,
  secret_sealed TEXT,
  CHECK ((secret_env IS NOT NULL) + (secret_file IS NOT NULL) + (secret_sealed IS NOT NULL) = 1),
  UNIQUE (project, path, method)
);
INSERT INTO webhook_registrations_v8 (id, project, path, method, task, workflow, secret_env,
                                      secret_file, created_ms)
  SELECT id, project, path, method, task, workflow, secret_env, secret_file, created_ms
  FROM webhook_registrations;
DELETE FROM sqlite_sequence WHERE name = 'webhook_registrations_v8';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'webhook_registrations_v8', seq FROM sqlite_sequence WHERE name = 'webhook_registrations';
DROP TABLE webhook_registrations;
ALTER TABLE webhook_registrations_v8 RENAME TO webhook_registrations;
)sql";

constexpr std::string_view kVersion8Postgres = R"sql(
ALTER TABLE webhook_registrations ADD COLUMN secret_sealed TEXT;
ALTER TABLE webhook_registrations DROP CONSTRAINT webhook_registrations_check;
ALTER TABLE webhook_registrations ADD CONSTRAINT webhook_registrations_check
  CHECK (num_nonnulls(secret_env, secret_file, secret_sealed) = 1);
)sql";

constexpr StepPart kVersion8[] = {
    {On::kSqliteOnly, kVersion8Sqlite},
    {On::kPostgresOnly, kVersion8Postgres},
};

// -----------------------------------------------------------------------------

std::string Render(SqlDialect dialect, std::span<const StepPart> parts) {
  std::string out;
  for (const StepPart& part : parts) {
    if (part.on == On::kSqliteOnly && dialect != SqlDialect::kSqlite) continue;
    if (part.on == On::kPostgresOnly && dialect != SqlDialect::kPostgres) continue;
    out += RenderSchemaSql(dialect, part.sql);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kBlanks = " \t\n";
  size_t first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlanks) - first + 1);
}

std::string_view Difference(SqlDialect dialect, std::string_view inside) {
  if (size_t bar = inside.find('|'); bar != std::string_view::npos) {
    return Trim(dialect == SqlDialect::kSqlite ? inside.substr(0, bar) : inside.substr(bar + 1));
  }
  std::string_view name = Trim(inside);
  for (const NamedSql& named : kNamedSql) {
    if (named.name == name) return dialect == SqlDialect::kSqlite ? named.sqlite : named.postgres;
  }
  throw std::logic_error("schema SQL: unknown {{" + std::string(name) + "}}");
}

}  // namespace

std::string RenderSchemaSql(SqlDialect dialect, std::string_view sql) {
  std::string out;
  size_t at = 0;
  while (true) {
    size_t open = sql.find("{{", at);
    out += sql.substr(at, open - at);
    if (open == std::string_view::npos) return out;
    size_t close = sql.find("}}", open + 2);
    if (close == std::string_view::npos) {
      throw std::logic_error("schema SQL: '{{' without '}}' at offset " + std::to_string(open));
    }
    std::string_view text = Difference(dialect, sql.substr(open + 2, close - open - 2));
    at = close + 2;
    if (!text.empty()) {
      out += text;
      continue;
    }
    // Nothing: drop the blanks before it, and its line if that is all.
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    if ((out.empty() || out.back() == '\n') && at < sql.size() && sql[at] == '\n') ++at;
  }
}

std::string SchemaStep(SqlDialect dialect, int from) {
  switch (from) {
    case 0:
      return Render(dialect, kVersion1);
    case 1:
      return Render(dialect, kVersion2);
    case 2:
      return Render(dialect, kVersion3);
    case 3:
      return Render(dialect, kVersion4);
    case 4:
      return Render(dialect, kVersion5);
    case 5:
      return Render(dialect, kVersion6);
    case 6:
      return Render(dialect, kVersion7);
    case 7:
      return Render(dialect, kVersion8);
    default:
      return {};
  }
}

}  // namespace flowsync
