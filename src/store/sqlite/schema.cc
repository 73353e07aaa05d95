#include "store/sqlite/schema.h"

namespace flowsync::sqlite {
namespace {

constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE flowsync_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sync_runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project     TEXT NOT NULL,
  mode        TEXT NOT NULL CHECK (mode IN ('incremental', 'full')),
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

-- The large columns come last: SQLite reads a row's columns in order, so
-- the index a sync loads (id .. deleted_at) never touches overflow pages.
CREATE TABLE workflows (
  id            TEXT PRIMARY KEY,
  project       TEXT NOT NULL,
  path          TEXT NOT NULL,
  format        TEXT NOT NULL CHECK (format IN ('bundle', 'n8n', 'phase')),
  content_hash  TEXT NOT NULL,
  source_sig    TEXT NOT NULL DEFAULT '',
  deleted_at    TEXT,
  name          TEXT NOT NULL,
  source_id     TEXT,
  active        INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  version       INTEGER NOT NULL DEFAULT 1,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  metadata      TEXT NOT NULL DEFAULT '{}',
  documentation TEXT NOT NULL DEFAULT '',
  content       TEXT NOT NULL,
  -- Derived, for queries and reports: never written directly.
  status        TEXT GENERATED ALWAYS AS (
                  CASE WHEN deleted_at IS NOT NULL THEN 'deleted'
                       WHEN active THEN 'active' ELSE 'inactive' END) VIRTUAL,
  UNIQUE (project, path)
);
CREATE INDEX workflows_source_id ON workflows (source_id) WHERE source_id IS NOT NULL;
CREATE INDEX workflows_content_hash ON workflows (content_hash);

CREATE TABLE workflow_categories (
  workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  category    TEXT NOT NULL,
  PRIMARY KEY (workflow_id, category)
) WITHOUT ROWID;
CREATE INDEX workflow_categories_category ON workflow_categories (category);

CREATE TABLE workflow_ratings (
  workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  user_name   TEXT NOT NULL,
  value       INTEGER NOT NULL CHECK (value IN (-1, 1)),
  rated_at    TEXT NOT NULL,
  PRIMARY KEY (workflow_id, user_name)
) WITHOUT ROWID;

CREATE TABLE workflow_versions (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow_id   TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  project       TEXT NOT NULL,
  version       INTEGER NOT NULL,
  path          TEXT NOT NULL,
  name          TEXT NOT NULL,
  content       TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  metadata      TEXT NOT NULL,
  documentation TEXT NOT NULL,
  valid_from    TEXT NOT NULL,
  replaced_at   TEXT NOT NULL,
  run_id        INTEGER REFERENCES sync_runs (id),
  UNIQUE (workflow_id, version)
);

CREATE TABLE workflow_findings (
  workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  severity    TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
  code        TEXT NOT NULL,
  location    TEXT NOT NULL,
  message     TEXT NOT NULL
);
CREATE INDEX workflow_findings_workflow ON workflow_findings (workflow_id);
CREATE INDEX workflow_findings_code ON workflow_findings (code);

CREATE TABLE phase_entries (
  workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  task        TEXT NOT NULL,
  depends_on  TEXT NOT NULL,
  rule        TEXT NOT NULL,
  template    TEXT NOT NULL,
  retry       INTEGER NOT NULL,
  line        INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, position)
) WITHOUT ROWID;

CREATE TABLE workflow_sync_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project     TEXT NOT NULL,
  run_id      INTEGER NOT NULL REFERENCES sync_runs (id),
  event       TEXT NOT NULL CHECK (event IN ('added', 'updated', 'renamed', 'deleted',
                                             'restored', 'error')),
  workflow_id TEXT,
  path        TEXT NOT NULL,
  old_path    TEXT,
  old_hash    TEXT,
  new_hash    TEXT,
  message     TEXT,
  created_at  TEXT NOT NULL
);
CREATE INDEX workflow_sync_log_workflow ON workflow_sync_log (workflow_id);
CREATE INDEX workflow_sync_log_project ON workflow_sync_log (project, id);
CREATE INDEX workflow_sync_log_run ON workflow_sync_log (run_id);

-- The phase cache (include/flowsync/phase_cache.h): one row per phase file
-- and one per phase, in file order (position).
CREATE TABLE workflow_files (
  project       TEXT NOT NULL,
  file_path     TEXT NOT NULL,
  file_hash     TEXT NOT NULL,
  loaded_at     TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (project, file_path)
) WITHOUT ROWID;

CREATE TABLE workflow_phases (
  project    TEXT NOT NULL,
  file_path  TEXT NOT NULL,
  task       TEXT NOT NULL,
  position   INTEGER NOT NULL,
  depends_on TEXT NOT NULL,
  rule       TEXT NOT NULL,
  template   TEXT NOT NULL,
  retry      INTEGER NOT NULL,
  status     TEXT NOT NULL,
  PRIMARY KEY (project, file_path, task),
  FOREIGN KEY (project, file_path) REFERENCES workflow_files (project, file_path)
    ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX workflow_phases_task ON workflow_phases (project, task);
CREATE INDEX workflow_phases_depends_on ON workflow_phases (project, depends_on);
CREATE INDEX workflow_phases_status ON workflow_phases (project, status);

INSERT INTO flowsync_meta (key, value) VALUES ('schema_version', '1');
)sql";

// Version 2: `flowsync migration create` and `flowsync migrate`.
// sync_runs is rebuilt (SQLite cannot alter a CHECK) so that a migration can
// record its run as mode 'migration'; the caller runs this step with foreign
// keys off and checks them before committing, as SQLite's documentation
// prescribes for rebuilding a table.
constexpr std::string_view kVersion2 = R"sql(
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
CREATE INDEX sync_runs_migration ON sync_runs (root) WHERE mode = 'migration';

-- One row per generated workflow migration applied here (see
-- src/promote/workflow_sql.h): what it found, so that down can undo it.
CREATE TABLE migration_metadata (
  migration_file      TEXT PRIMARY KEY,
  project             TEXT NOT NULL,
  source              TEXT NOT NULL CHECK (source IN ('dev', 'prod', 'staging')),
  workflow_id         TEXT NOT NULL,
  content_hash        TEXT NOT NULL,
  source_updated_at   TEXT NOT NULL,
  action              TEXT NOT NULL CHECK (action IN ('pending', 'created', 'updated',
                                                      'skipped')),
  previous_version    INTEGER,
  previous_updated_at TEXT,
  previous_active     INTEGER,
  previous_deleted_at TEXT,
  -- JSON: the categories, findings and phase entries the row had.
  previous_derived    TEXT,
  created_at          TEXT NOT NULL,
  synced_at           TEXT NOT NULL,
  notes               TEXT
) WITHOUT ROWID;
CREATE INDEX migration_metadata_source ON migration_metadata (source);
CREATE INDEX migration_metadata_workflow ON migration_metadata (workflow_id);
CREATE INDEX migration_metadata_synced ON migration_metadata (synced_at);

-- The migration runner's history: one row per applied migration, and an
-- append-only log of everything it did.
CREATE TABLE flowsync_migrations (
  version        TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  checksum       TEXT NOT NULL,
  applied_at     TEXT NOT NULL,
  applied_by     TEXT NOT NULL,
  execution_ms   INTEGER NOT NULL,
  installed_rank INTEGER NOT NULL UNIQUE,
  status         TEXT NOT NULL CHECK (status IN ('applied', 'baseline'))
) WITHOUT ROWID;

CREATE TABLE flowsync_migration_events (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  version      TEXT NOT NULL,
  name         TEXT NOT NULL,
  event        TEXT NOT NULL CHECK (event IN ('applied', 'failed', 'reverted', 'repaired',
                                              'baseline')),
  at           TEXT NOT NULL,
  by           TEXT NOT NULL,
  checksum     TEXT,
  execution_ms INTEGER,
  detail       TEXT
);
CREATE INDEX flowsync_migration_events_version ON flowsync_migration_events (version, id);
)sql";

}  // namespace

std::string_view SchemaStep(int from) {
  switch (from) {
    case 0:
      return kVersion1;
    case 1:
      return kVersion2;
    default:
      return {};
  }
}

}  // namespace flowsync::sqlite
