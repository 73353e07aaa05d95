#include "promote/workflow_sql.h"

#include <fmt/format.h>

#include "promote/migration_format.h"
#include "sql/dialect.h"

namespace flowsync {
namespace {

// Literals and fragments that differ between the dialects. Everything is
// written with explicit types on PostgreSQL: INSERT ... SELECT does not
// coerce untyped literals into enums, uuids or timestamps.
class Sql {
 public:
  explicit Sql(SqlDialect dialect) : d_(dialect) {}

  bool pg() const { return d_ == SqlDialect::kPostgres; }
  std::string Text(std::string_view s) const { return SqlStringLiteral(d_, s); }
  std::string OptText(const std::optional<std::string>& s) const {
    return s ? Text(*s) : std::string(pg() ? "NULL::text" : "NULL");
  }
  std::string Typed(std::string_view s, std::string_view pg_type) const {
    return pg() ? Text(s) + "::" + std::string(pg_type) : Text(s);
  }
  std::string Uuid(std::string_view s) const { return Typed(s, "uuid"); }
  std::string Time(std::string_view s) const { return Typed(s, "timestamptz"); }
  std::string Json(std::string_view s) const { return Typed(s, "jsonb"); }
  std::string Bool(bool b) const {
    if (pg()) return b ? "true" : "false";
    return b ? "1" : "0";
  }
  std::string Int(int64_t v) const { return std::to_string(v); }
  std::string Now() const { return std::string(SqlNow(d_)); }
  std::string NullTime() const { return pg() ? "NULL::timestamptz" : "NULL"; }
  // A CASE yielding one of the sync log's events.
  std::string Event(std::string_view case_expr) const {
    return pg() ? "(" + std::string(case_expr) + ")::sync_event" : std::string(case_expr);
  }
  std::string Mode() const { return pg() ? "'migration'::sync_mode" : "'migration'"; }

 private:
  SqlDialect d_;
};

// The sync_runs row of migration `file` that is still open.
std::string OpenRun(const Sql& q, const std::string& file) {
  return fmt::format("r.mode = {} AND r.root = {} AND r.finished_at IS NULL", q.Mode(), file);
}

std::string RunId(const Sql& q, const std::string& file) {
  return fmt::format("(SELECT max(r.id) FROM sync_runs r WHERE {})", OpenRun(q, file));
}

// Statements that replace a workflow's derived rows (categories, findings,
// phase entries) when `guard` holds.
void DerivedRows(const Sql& q, const WorkflowExport& wf, const std::string& id,
                 const std::string& guard, std::string& out) {
  const ParsedWorkflow& p = wf.workflow;
  for (const char* table : {"workflow_categories", "workflow_findings", "phase_entries"}) {
    out += fmt::format("DELETE FROM {} WHERE workflow_id = {} AND {};\n", table, id, guard);
  }
  auto values = [&](const std::vector<std::string>& rows) {
    std::string v;
    for (size_t i = 0; i < rows.size(); ++i) {
      v += i == 0 ? "\n  (" : ",\n  (";
      v += rows[i];
      v += ")";
    }
    return v;
  };
  if (!p.categories.empty()) {
    std::vector<std::string> rows;
    for (const std::string& c : p.categories) rows.push_back(q.Text(c));
    out += fmt::format(
        "INSERT INTO workflow_categories (workflow_id, category)\nSELECT {}, v.column1 FROM "
        "(VALUES{}) "
        "AS v\nWHERE {};\n",
        id, values(rows), guard);
  }
  if (!p.findings.empty()) {
    std::vector<std::string> rows;
    for (const Finding& f : p.findings) {
      rows.push_back(fmt::format("{}, {}, {}, {}", q.Text(SeverityName(f.severity)), q.Text(f.code),
                                 q.Text(f.location), q.Text(f.message)));
    }
    out += fmt::format(
        "INSERT INTO workflow_findings (workflow_id, severity, code, location, message)\nSELECT "
        "{}, "
        "v.column1{}, v.column2, v.column3, v.column4 FROM (VALUES{}) AS v\nWHERE {};\n",
        id, q.pg() ? "::finding_severity" : "", values(rows), guard);
  }
  if (!p.phases.empty()) {
    std::vector<std::string> rows;
    int position = 0;
    for (const PhaseEntry& e : p.phases) {
      rows.push_back(fmt::format("{}, {}, {}, {}, {}, {}, {}", position++, q.Text(e.task),
                                 q.Text(e.depends_on), q.Text(e.rule), q.Text(e.template_text),
                                 e.retry, e.line));
    }
    out += fmt::format(
        "INSERT INTO phase_entries (workflow_id, position, task, depends_on, rule, template, "
        "retry, "
        "line)\nSELECT {}, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, "
        "v.column7 FROM (VALUES{}) AS v\nWHERE {};\n",
        id, values(rows), guard);
  }
}

// A JSON document of the derived rows workflow `id` has now, kept in the
// claim so that down can put them back.
std::string DerivedSnapshot(const Sql& q, const std::string& id) {
  if (q.pg()) {
    return fmt::format(
        "jsonb_build_object("
        "'categories', COALESCE((SELECT jsonb_agg(c.category ORDER BY c.category) FROM "
        "workflow_categories c WHERE c.workflow_id = {0}), '[]'::jsonb), "
        "'findings', COALESCE((SELECT jsonb_agg(jsonb_build_object('severity', f.severity, 'code', "
        "f.code, 'location', f.location, 'message', f.message)) FROM workflow_findings f WHERE "
        "f.workflow_id = {0}), '[]'::jsonb), "
        "'phases', COALESCE((SELECT jsonb_agg(jsonb_build_object('position', e.position, 'task', "
        "e.task, 'depends_on', e.depends_on, 'rule', e.rule, 'template', e.template, 'retry', "
        "e.retry, 'line', e.line) ORDER BY e.position) FROM phase_entries e WHERE e.workflow_id = "
        "{0}), '[]'::jsonb))",
        id);
  }
  return fmt::format(
      "json_object("
      "'categories', json((SELECT json_group_array(c.category) FROM (SELECT category FROM "
      "workflow_categories WHERE workflow_id = {0} ORDER BY category) AS c)), "
      "'findings', json((SELECT json_group_array(json_object('severity', f.severity, 'code', "
      "f.code, 'location', f.location, 'message', f.message)) FROM workflow_findings f WHERE "
      "f.workflow_id = {0})), "
      "'phases', json((SELECT json_group_array(json_object('position', e.position, 'task', "
      "e.task, 'depends_on', e.depends_on, 'rule', e.rule, 'template', e.template, 'retry', "
      "e.retry, 'line', e.line)) FROM (SELECT * FROM phase_entries WHERE workflow_id = {0} "
      "ORDER BY position) AS e)))",
      id);
}

// Statements putting back the derived rows of the claim's snapshot, for the
// claims (m) that `where` selects.
std::string RestoreDerived(const Sql& q, const std::string& where) {
  auto from_where = [&](std::string_view elements) {
    return "FROM migration_metadata m, " + std::string(elements) + "\n" + where + ";";
  };
  if (q.pg()) {
    return fmt::format(
        "INSERT INTO workflow_categories (workflow_id, category)\n"
        "SELECT m.workflow_id, c.value {0}\n"
        "INSERT INTO workflow_findings (workflow_id, severity, code, location, message)\n"
        "SELECT m.workflow_id, (f.value->>'severity')::finding_severity, f.value->>'code', "
        "f.value->>'location', f.value->>'message' {1}\n"
        "INSERT INTO phase_entries (workflow_id, position, task, depends_on, rule, template, "
        "retry, "
        "line)\nSELECT m.workflow_id, (e.value->>'position')::integer, e.value->>'task', "
        "e.value->>'depends_on', e.value->>'rule', e.value->>'template', "
        "(e.value->>'retry')::bigint, (e.value->>'line')::integer {2}\n",
        from_where("jsonb_array_elements_text(m.previous_derived->'categories') AS c(value)"),
        from_where("jsonb_array_elements(m.previous_derived->'findings') AS f(value)"),
        from_where("jsonb_array_elements(m.previous_derived->'phases') AS e(value)"));
  }
  return fmt::format(
      "INSERT INTO workflow_categories (workflow_id, category)\n"
      "SELECT m.workflow_id, c.value {0}\n"
      "INSERT INTO workflow_findings (workflow_id, severity, code, location, message)\n"
      "SELECT m.workflow_id, json_extract(f.value, '$.severity'), json_extract(f.value, '$.code'), "
      "json_extract(f.value, '$.location'), json_extract(f.value, '$.message') {1}\n"
      "INSERT INTO phase_entries (workflow_id, position, task, depends_on, rule, template, retry, "
      "line)\nSELECT m.workflow_id, json_extract(e.value, '$.position'), json_extract(e.value, "
      "'$.task'), json_extract(e.value, '$.depends_on'), json_extract(e.value, '$.rule'), "
      "json_extract(e.value, '$.template'), json_extract(e.value, '$.retry'), "
      "json_extract(e.value, '$.line') {2}\n",
      from_where("json_each(m.previous_derived, '$.categories') AS c"),
      from_where("json_each(m.previous_derived, '$.findings') AS f"),
      from_where("json_each(m.previous_derived, '$.phases') AS e"));
}

}  // namespace

std::string WorkflowUpSql(SqlDialect dialect, const WorkflowExport& wf,
                          const WorkflowSqlOptions& options) {
  const Sql q(dialect);
  const ParsedWorkflow& p = wf.workflow;
  const std::string file = q.Text(options.migration_file);
  const std::string id = q.Uuid(wf.id);
  const std::string project = q.Text(wf.project);
  const std::string path = q.Text(wf.path);
  const std::string hash = q.Text(p.content_hash);
  const std::string updated = q.Time(wf.updated_at);
  const std::string now = q.Now();
  const std::string content =
      options.content_in_sidecar ? std::string(kSidecarToken) : q.Text(p.content);
  // The migration claimed the workflow and the target's copy is missing or
  // older than the source's: the condition of every change below.
  const std::string changed = fmt::format(
      "EXISTS (SELECT 1 FROM migration_metadata m WHERE m.migration_file = {} AND m.action = "
      "'pending' AND (m.previous_updated_at IS NULL OR m.previous_updated_at < {}))",
      file, updated);
  const std::string run = RunId(q, file);

  std::string out;
  // SQLite: outside a transaction a savepoint starts one, so `sqlite3 -bail`
  // (which stops at the first error) leaves nothing behind; inside the
  // runner's transaction it nests.
  if (!q.pg()) out += "SAVEPOINT flowsync_migration;\n\n";

  out += "-- 1. Claim: remember the target's row as it is now.\n";
  out += fmt::format(
      "INSERT INTO migration_metadata (migration_file, project, source, workflow_id, "
      "content_hash, source_updated_at, action, previous_version, previous_updated_at, "
      "previous_active, previous_deleted_at, previous_derived, created_at, synced_at, notes)\n"
      "SELECT {}, {}, {}, {}, {}, {}, 'pending', w.version, w.updated_at, w.active, w.deleted_at,\n"
      "  CASE WHEN w.id IS NOT NULL THEN {} END,\n  {}, {}, {}\n"
      "FROM (SELECT 1) AS one LEFT JOIN workflows w ON w.id = {}\nWHERE true\n"
      "ON CONFLICT (migration_file) DO NOTHING;\n\n",
      file, project, q.Text(options.source), id, hash, updated, DerivedSnapshot(q, id), now, now,
      options.notes.empty() ? std::string("NULL") : q.Text(options.notes), id);

  out += "-- 2. Only when the target's copy is missing or older than the source's.\n";
  out += fmt::format(
      "INSERT INTO sync_runs (project, mode, root, started_at)\nSELECT {}, {}, {}, {}\nWHERE {} "
      "AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE {});\n\n",
      project, q.Mode(), file, now, changed, OpenRun(q, file));
  out += fmt::format(
      "INSERT INTO workflow_versions (workflow_id, project, version, path, name, content, "
      "content_hash, metadata, documentation, valid_from, replaced_at, run_id)\n"
      "SELECT w.id, w.project, w.version, w.path, w.name, w.content, w.content_hash, w.metadata, "
      "w.documentation, w.updated_at, {}, {}\nFROM workflows w\nWHERE w.id = {} AND "
      "w.content_hash <> {} AND {}\nON CONFLICT (workflow_id, version) DO NOTHING;\n\n",
      now, run, id, hash, changed);
  out += fmt::format(
      "INSERT INTO workflow_sync_log (project, run_id, event, workflow_id, path, old_path, "
      "old_hash, new_hash, message, created_at)\n"
      "SELECT {}, {}, {}, {}, {}, CASE WHEN w.path <> {} THEN w.path END, w.content_hash, {}, "
      "{}, {}\nFROM (SELECT 1) AS one LEFT JOIN workflows w ON w.id = {}\nWHERE {};\n\n",
      project, run,
      q.Event("CASE WHEN w.id IS NULL THEN 'added' WHEN w.deleted_at IS NOT NULL THEN "
              "'restored' ELSE 'updated' END"),
      id, path, path, hash,
      q.Text("migration " + options.migration_file + " from " + options.source), now, id, changed);

  out += "-- 3. The workflow, by its stable id.\n";
  out += fmt::format(
      "INSERT INTO workflows (id, project, path, format, content_hash, source_sig, deleted_at, "
      "name, source_id, active, version, created_at, updated_at, metadata, documentation, "
      "content)\n"
      "SELECT {}, {}, {}, {}, {}, '', {}, {}, {}, {}, 1, {}, {}, {}, {},\n{}\nWHERE {}\n"
      "ON CONFLICT (id) DO UPDATE SET path = excluded.path, format = excluded.format, "
      "content_hash = excluded.content_hash, source_sig = '', deleted_at = NULL, name = "
      "excluded.name, source_id = excluded.source_id, active = excluded.active, version = "
      "workflows.version + CASE WHEN workflows.content_hash <> excluded.content_hash THEN 1 ELSE "
      "0 END, updated_at = excluded.updated_at, metadata = excluded.metadata, documentation = "
      "excluded.documentation, content = excluded.content\n"
      "WHERE workflows.updated_at < excluded.updated_at;\n\n",
      id, project, path, q.Typed(FormatName(p.format), "workflow_format"), hash, q.NullTime(),
      q.Text(p.name), q.OptText(p.source_id), q.Bool(p.active), q.Time(wf.created_at), updated,
      q.Json(p.metadata_json), q.Text(p.documentation), content, changed);
  if (q.pg()) {
    out += fmt::format("UPDATE workflows SET definition = {} WHERE id = {} AND {};\n\n",
                       HasJsonbDefinition(p) ? "content::jsonb" : "NULL", id, changed);
  }
  DerivedRows(q, wf, id, changed, out);

  out += "\n-- 4. Close the run and the claim.\n";
  out += fmt::format(
      "UPDATE sync_runs SET finished_at = {0},\n"
      "  added = (SELECT CASE WHEN m.previous_version IS NULL THEN 1 ELSE 0 END FROM "
      "migration_metadata m WHERE m.migration_file = {1}),\n"
      "  restored = (SELECT CASE WHEN m.previous_deleted_at IS NOT NULL THEN 1 ELSE 0 END FROM "
      "migration_metadata m WHERE m.migration_file = {1}),\n"
      "  updated = (SELECT CASE WHEN m.previous_version IS NOT NULL AND m.previous_deleted_at IS "
      "NULL THEN 1 ELSE 0 END FROM migration_metadata m WHERE m.migration_file = {1})\n"
      "WHERE mode = {2} AND root = {1} AND finished_at IS NULL AND {3};\n",
      now, file, q.Mode(), changed);
  out += fmt::format(
      "UPDATE migration_metadata SET synced_at = {0}, action = CASE\n"
      "  WHEN previous_updated_at IS NOT NULL AND previous_updated_at >= {1} THEN 'skipped'\n"
      "  WHEN NOT EXISTS (SELECT 1 FROM workflows w WHERE w.id = {3} AND w.content_hash = {4} AND "
      "w.updated_at = {1}) THEN 'pending'\n"
      "  WHEN previous_version IS NULL THEN 'created' ELSE 'updated' END\n"
      "WHERE migration_file = {2} AND action = 'pending';\n",
      now, updated, file, id, hash);
  if (!q.pg()) out += "\nRELEASE flowsync_migration;\n";
  return out;
}

std::string WorkflowDownSql(SqlDialect dialect, std::string_view migration_file) {
  const Sql q(dialect);
  const std::string file = q.Text(migration_file);
  const std::string now = q.Now();
  // The workflow is still as the migration left it (else it is left alone:
  // whatever changed it since wins, as on the way up).
  const std::string live_from = fmt::format(
      "FROM migration_metadata m JOIN workflows w ON w.id = m.workflow_id\n"
      "WHERE m.migration_file = {} AND m.action IN ('created', 'updated') AND w.content_hash = "
      "m.content_hash AND w.updated_at = m.source_updated_at",
      file);
  const std::string live = "EXISTS (SELECT 1 " + live_from + ")";
  const std::string previous = fmt::format(
      "FROM workflow_versions v JOIN migration_metadata m ON v.workflow_id = m.workflow_id AND "
      "v.version = m.previous_version WHERE m.migration_file = {}",
      file);
  const std::string meta =
      fmt::format("FROM migration_metadata m WHERE m.migration_file = {}", file);
  const std::string run = RunId(q, file);

  std::string out;
  if (!q.pg()) out += "SAVEPOINT flowsync_migration;\n\n";
  out += fmt::format(
      "INSERT INTO sync_runs (project, mode, root, started_at)\nSELECT m.project, {}, {}, {}\n{}"
      "\nAND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE {});\n\n",
      q.Mode(), file, now, live_from, OpenRun(q, file));
  out += fmt::format(
      "INSERT INTO workflow_sync_log (project, run_id, event, workflow_id, path, old_hash, "
      "new_hash, message, created_at)\n"
      "SELECT m.project, {}, {}, m.workflow_id, w.path, w.content_hash, (SELECT v.content_hash "
      "{}), {}, {}\n{};\n\n",
      run, q.Event("CASE WHEN m.action = 'created' THEN 'deleted' ELSE 'updated' END"), previous,
      q.Text("reverted migration " + std::string(migration_file)), now, live_from);
  // Updated: the migrated content becomes a version, the one it replaced
  // comes back as the next.
  out += fmt::format(
      "INSERT INTO workflow_versions (workflow_id, project, version, path, name, content, "
      "content_hash, metadata, documentation, valid_from, replaced_at, run_id)\n"
      "SELECT w.id, w.project, w.version, w.path, w.name, w.content, w.content_hash, w.metadata, "
      "w.documentation, w.updated_at, {}, {}\n{}\nAND m.action = 'updated' AND EXISTS (SELECT 1 "
      "{})\nON CONFLICT (workflow_id, version) DO NOTHING;\n\n",
      now, run, live_from, previous);
  // Derived rows described the migrated content: a restored workflow gets
  // back the ones it had, from the claim's snapshot.
  const std::string target = fmt::format("(SELECT m.workflow_id {})", meta);
  for (const char* table : {"workflow_categories", "workflow_findings", "phase_entries"}) {
    out += fmt::format("DELETE FROM {} WHERE workflow_id = {} AND {};\n", table, target, live);
  }
  out += RestoreDerived(q, fmt::format("WHERE m.migration_file = {} AND m.action = 'updated' AND "
                                       "m.previous_derived IS NOT NULL AND {}",
                                       file, live));
  for (const char* table : {"workflow_ratings", "workflow_versions"}) {
    out += fmt::format(
        "DELETE FROM {} WHERE workflow_id = {} AND {} AND (SELECT m.action {}) = 'created';\n",
        table, target, live, meta);
  }
  auto from_previous = [&](std::string_view column) {
    return fmt::format("CASE WHEN EXISTS (SELECT 1 {0}) THEN (SELECT v.{1} {0}) ELSE {1} END",
                       previous, column);
  };
  std::string definition;
  if (q.pg()) {
    definition = fmt::format(
        ",\n  definition = CASE WHEN format = 'phase' THEN NULL WHEN EXISTS (SELECT 1 {0}) THEN "
        "(SELECT CASE WHEN strpos(v.content, E'\\\\u0000') > 0 THEN NULL ELSE v.content::jsonb "
        "END {0}) ELSE definition END",
        previous);
  }
  out += fmt::format(
      "\nUPDATE workflows SET path = {}, name = {}, content = {}, content_hash = {}, metadata = "
      "{}, "
      "documentation = {},\n  version = version + CASE WHEN EXISTS (SELECT 1 {}) THEN 1 ELSE 0 "
      "END,\n  updated_at = (SELECT m.previous_updated_at {}), active = (SELECT "
      "m.previous_active {}),\n  deleted_at = (SELECT m.previous_deleted_at {}), source_sig = "
      "''{}\nWHERE id = {} AND {} AND (SELECT m.action {}) = 'updated';\n",
      from_previous("path"), from_previous("name"), from_previous("content"),
      from_previous("content_hash"), from_previous("metadata"), from_previous("documentation"),
      previous, meta, meta, meta, definition, target, live, meta);
  out += fmt::format(
      "DELETE FROM workflows WHERE id = {} AND {} AND (SELECT m.action {}) = 'created';\n\n",
      target, live, meta);
  out += fmt::format(
      "UPDATE sync_runs SET finished_at = {0},\n"
      "  deleted = (SELECT CASE WHEN m.action = 'created' THEN 1 ELSE 0 END {1}),\n"
      "  updated = (SELECT CASE WHEN m.action = 'updated' THEN 1 ELSE 0 END {1})\n"
      "WHERE mode = {2} AND root = {3} AND finished_at IS NULL;\n",
      now, meta, q.Mode(), file);
  out += fmt::format("DELETE FROM migration_metadata WHERE migration_file = {};\n", file);
  if (!q.pg()) out += "\nRELEASE flowsync_migration;\n";
  return out;
}

}  // namespace flowsync
