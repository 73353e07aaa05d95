#include "store/postgres/pg_schema.h"

namespace flowsync::postgres {
namespace {

constexpr std::string_view kVersion1 = R"sql(
CREATE TYPE workflow_format AS ENUM ('bundle', 'n8n', 'phase');
CREATE TYPE sync_mode AS ENUM ('incremental', 'full');
CREATE TYPE sync_event AS ENUM ('added', 'updated', 'renamed', 'deleted', 'restored', 'error');
CREATE TYPE finding_severity AS ENUM ('error', 'warning', 'info');
CREATE TYPE workflow_status AS ENUM ('active', 'inactive', 'deleted');

CREATE TABLE flowsync_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- The project of a session is the setting flowsync.project; columns default
-- to it, so every row a session writes lands in its project.
CREATE TABLE sync_runs (
  id          bigserial PRIMARY KEY,
  project     text NOT NULL DEFAULT current_setting('flowsync.project'),
  mode        sync_mode NOT NULL,
  root        text NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz,
  added       integer NOT NULL DEFAULT 0,
  updated     integer NOT NULL DEFAULT 0,
  renamed     integer NOT NULL DEFAULT 0,
  deleted     integer NOT NULL DEFAULT 0,
  restored    integer NOT NULL DEFAULT 0,
  unchanged   integer NOT NULL DEFAULT 0,
  errors      integer NOT NULL DEFAULT 0
);

-- content is the file's exact text; definition the same document as jsonb
-- for queries (NULL for phase files and for JSON that jsonb cannot hold,
-- such as \u0000 in strings).
CREATE TABLE workflows (
  id            uuid PRIMARY KEY,
  project       text NOT NULL DEFAULT current_setting('flowsync.project'),
  path          text NOT NULL,
  format        workflow_format NOT NULL,
  content_hash  text NOT NULL,
  source_sig    text NOT NULL DEFAULT '',
  deleted_at    timestamptz,
  name          text NOT NULL,
  source_id     text,
  active        boolean NOT NULL DEFAULT false,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  metadata      jsonb NOT NULL DEFAULT '{}',
  documentation text NOT NULL DEFAULT '',
  content       text NOT NULL,
  definition    jsonb,
  -- Derived, for queries and reports: never written directly.
  status        workflow_status GENERATED ALWAYS AS (
                  CASE WHEN deleted_at IS NOT NULL THEN 'deleted'::workflow_status
                       WHEN active THEN 'active'::workflow_status
                       ELSE 'inactive'::workflow_status END) STORED,
  UNIQUE (project, path)
);
CREATE INDEX workflows_status ON workflows (project, status);
CREATE INDEX workflows_source_id ON workflows (source_id) WHERE source_id IS NOT NULL;
CREATE INDEX workflows_content_hash ON workflows (content_hash);

CREATE TABLE workflow_categories (
  workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  category    text NOT NULL,
  PRIMARY KEY (workflow_id, category)
);
CREATE INDEX workflow_categories_category ON workflow_categories (category);

CREATE TABLE workflow_ratings (
  workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  user_name   text NOT NULL,
  value       smallint NOT NULL CHECK (value IN (-1, 1)),
  rated_at    timestamptz NOT NULL,
  PRIMARY KEY (workflow_id, user_name)
);

CREATE TABLE workflow_versions (
  id            bigserial PRIMARY KEY,
  workflow_id   uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  project       text NOT NULL DEFAULT current_setting('flowsync.project'),
  version       integer NOT NULL,
  path          text NOT NULL,
  name          text NOT NULL,
  content       text NOT NULL,
  content_hash  text NOT NULL,
  metadata      jsonb NOT NULL,
  documentation text NOT NULL,
  valid_from    timestamptz NOT NULL,
  replaced_at   timestamptz NOT NULL,
  run_id        bigint REFERENCES sync_runs (id),
  UNIQUE (workflow_id, version)
);

CREATE TABLE workflow_findings (
  workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  severity    finding_severity NOT NULL,
  code        text NOT NULL,
  location    text NOT NULL,
  message     text NOT NULL
);
CREATE INDEX workflow_findings_workflow ON workflow_findings (workflow_id);
CREATE INDEX workflow_findings_code ON workflow_findings (code);

CREATE TABLE phase_entries (
  workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  position    integer NOT NULL,
  task        text NOT NULL,
  depends_on  text NOT NULL,
  rule        text NOT NULL,
  template    text NOT NULL,
  retry       bigint NOT NULL,
  line        integer NOT NULL,
  PRIMARY KEY (workflow_id, position)
);

CREATE TABLE workflow_sync_log (
  id          bigserial PRIMARY KEY,
  project     text NOT NULL DEFAULT current_setting('flowsync.project'),
  run_id      bigint NOT NULL REFERENCES sync_runs (id),
  event       sync_event NOT NULL,
  workflow_id uuid,
  path        text NOT NULL,
  old_path    text,
  old_hash    text,
  new_hash    text,
  message     text,
  created_at  timestamptz NOT NULL
);
CREATE INDEX workflow_sync_log_workflow ON workflow_sync_log (workflow_id);
CREATE INDEX workflow_sync_log_run ON workflow_sync_log (run_id);
CREATE INDEX workflow_sync_log_project ON workflow_sync_log (project, id);

-- The phase cache (include/flowsync/phase_cache.h): one row per phase file
-- and one per phase, in file order (position).
CREATE TABLE workflow_files (
  project       text NOT NULL DEFAULT current_setting('flowsync.project'),
  file_path     text NOT NULL,
  file_hash     text NOT NULL,
  loaded_at     timestamptz NOT NULL,
  last_modified timestamptz NOT NULL,
  PRIMARY KEY (project, file_path)
);

CREATE TABLE workflow_phases (
  project    text NOT NULL DEFAULT current_setting('flowsync.project'),
  file_path  text NOT NULL,
  task       text NOT NULL,
  position   integer NOT NULL,
  depends_on text NOT NULL,
  rule       text NOT NULL,
  template   text NOT NULL,
  retry      bigint NOT NULL,
  status     text NOT NULL,
  PRIMARY KEY (project, file_path, task),
  FOREIGN KEY (project, file_path) REFERENCES workflow_files (project, file_path)
    ON DELETE CASCADE
);
CREATE INDEX workflow_phases_task ON workflow_phases (project, task);
CREATE INDEX workflow_phases_depends_on ON workflow_phases (project, depends_on);
CREATE INDEX workflow_phases_status ON workflow_phases (project, status);

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

INSERT INTO flowsync_meta (key, value) VALUES ('schema_version', '1');
)sql";

// Version 2: `flowsync migration create` and `flowsync migrate`.
constexpr std::string_view kVersion2 = R"sql(
ALTER TYPE sync_mode ADD VALUE IF NOT EXISTS 'migration';
CREATE INDEX sync_runs_migration ON sync_runs (root);

-- One row per generated workflow migration applied here (see
-- src/promote/workflow_sql.h): what it found, so that down can undo it.
CREATE TABLE migration_metadata (
  migration_file      text PRIMARY KEY,
  project             text NOT NULL DEFAULT current_setting('flowsync.project'),
  source              text NOT NULL CHECK (source IN ('dev', 'prod', 'staging')),
  workflow_id         uuid NOT NULL,
  content_hash        text NOT NULL,
  source_updated_at   timestamptz NOT NULL,
  action              text NOT NULL CHECK (action IN ('pending', 'created', 'updated', 'skipped')),
  previous_version    integer,
  previous_updated_at timestamptz,
  previous_active     boolean,
  previous_deleted_at timestamptz,
  -- The categories, findings and phase entries the row had.
  previous_derived    jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  synced_at           timestamptz NOT NULL DEFAULT now(),
  notes               text
);
CREATE INDEX migration_metadata_source ON migration_metadata (source);
CREATE INDEX migration_metadata_workflow ON migration_metadata (workflow_id);
CREATE INDEX migration_metadata_synced ON migration_metadata (synced_at);
ALTER TABLE migration_metadata ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_project ON migration_metadata
  USING (flowsync_project_allowed(project)) WITH CHECK (flowsync_project_allowed(project));

-- The migration runner's history: one row per applied migration, and an
-- append-only log of everything it did. Per database, not per project.
CREATE TABLE flowsync_migrations (
  version        text PRIMARY KEY,
  name           text NOT NULL,
  checksum       text NOT NULL,
  applied_at     timestamptz NOT NULL,
  applied_by     text NOT NULL,
  execution_ms   bigint NOT NULL,
  installed_rank integer NOT NULL UNIQUE,
  status         text NOT NULL CHECK (status IN ('applied', 'baseline'))
);

CREATE TABLE flowsync_migration_events (
  id           bigserial PRIMARY KEY,
  version      text NOT NULL,
  name         text NOT NULL,
  event        text NOT NULL CHECK (event IN ('applied', 'failed', 'reverted', 'repaired',
                                              'baseline')),
  at           timestamptz NOT NULL,
  by           text NOT NULL,
  checksum     text,
  execution_ms bigint,
  detail       text
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

}  // namespace flowsync::postgres
