#include "promote/n8n_workflow_sql.h"

#include <fmt/format.h>

#include <map>
#include <utility>
#include <vector>

#include "n8n/n8n_ids.h"
#include "n8n/n8n_rows.h"
#include "sql/dialect.h"

namespace flowsync {
namespace {

// Literals of n8n's columns: JSON is json on PostgreSQL and text on SQLite,
// timestamps timestamptz(3) and "YYYY-MM-DD HH:MM:SS.fff" text (UTC).
class N8nSql {
 public:
  explicit N8nSql(SqlDialect dialect) : d_(dialect) {}
  bool pg() const { return d_ == SqlDialect::kPostgres; }
  std::string Text(std::string_view s) const { return SqlStringLiteral(d_, s); }
  std::string Json(std::string_view s) const { return pg() ? Text(s) + "::json" : Text(s); }
  std::string OptJson(const std::optional<std::string>& s) const {
    if (s) return Json(*s);
    return pg() ? "NULL::json" : "NULL";
  }
  // An RFC 3339 UTC time as n8n keeps it.
  std::string Time(std::string_view rfc3339) const {
    std::string t = n8n::N8nTime(rfc3339);
    return pg() ? Text(t + "+00") + "::timestamptz" : Text(t);
  }
  std::string Now() const { return pg() ? "now()" : "strftime('%Y-%m-%d %H:%M:%f', 'now')"; }
  std::string False() const { return pg() ? "false" : "0"; }
  // Text spliced into a JSON column: PostgreSQL's json keeps its text as
  // written, so a replace() on it changes nothing else.
  std::string Replace(std::string_view column, const std::string& from,
                      const std::string& to) const {
    if (pg()) {
      return fmt::format("replace({}::text, {}, {})::json", column, Text(from), to);
    }
    return fmt::format("replace({}, {}, {})", column, Text(from), to);
  }
  // The text at `path` (keys) of migration_metadata.previous_derived (m).
  std::string Meta(std::initializer_list<std::string_view> path) const {
    std::string out;
    if (pg()) {
      out = "m.previous_derived #>> '{";
      bool first = true;
      for (std::string_view k : path) {
        if (!first) out += ",";
        out += k;
        first = false;
      }
      return out + "}'";
    }
    out = "json_extract(m.previous_derived, '$";
    for (std::string_view k : path) {
      out += ".";
      out += k;
    }
    return out + "')";
  }

 private:
  SqlDialect d_;
};

std::string Placeholder(size_t k) { return fmt::format("__flowsync_credential_{}__", k); }

}  // namespace

Result<std::string> N8nWorkflowUpSql(SqlDialect dialect, const WorkflowExport& wf,
                                     const N8nWorkflowSqlOptions& options,
                                     int* credential_references) {
  const ParsedWorkflow& p = wf.workflow;
  auto references = n8n::CredentialReferences(p.content);
  if (!references.ok()) return references.status().WithPrefix(wf.path);
  // Each (type, name) gets a placeholder id, which the SQL replaces.
  std::vector<std::pair<std::pair<std::string, std::string>, std::string>> placeholders;
  n8n::Rebinding rebinding;
  for (auto& key : *references) {
    placeholders.emplace_back(key, Placeholder(placeholders.size() + 1));
    rebinding.credentials[key] = placeholders.back().second;
  }
  rebinding.workflow_ids = options.workflow_ids;
  FS_TRY_ASSIGN(n8n::N8nWorkflow row,
                n8n::WorkflowFromContent(p.content, options.n8n_id, rebinding, nullptr));
  if (credential_references != nullptr) {
    *credential_references = static_cast<int>(placeholders.size());
  }

  const N8nSql q(dialect);
  const std::string file = q.Text(options.migration_file);
  const std::string id = q.Text(options.n8n_id);
  const std::string version = q.Text(options.version_id);
  const std::string now = q.Now();
  const std::string claimed = fmt::format(
      "EXISTS (SELECT 1 FROM migration_metadata m WHERE m.migration_file = {} AND m.action = "
      "'pending')",
      file);
  const std::string ours =
      fmt::format("w.id = {} AND w.\"versionId\" = {} AND {}", id, version, claimed);
  const std::string wrote = fmt::format("EXISTS (SELECT 1 FROM workflow_entity w WHERE {})", ours);

  std::string out;
  if (!q.pg()) out += "SAVEPOINT flowsync_migration;\n\n";

  out += "-- 1. Claim: remember n8n's row as it is now.\n";
  const std::string previous =
      q.pg() ? "jsonb_build_object('versionId', w.\"versionId\", 'name', w.name, 'settings', "
               "w.settings, 'updatedAt', w.\"updatedAt\")"
             : "json_object('versionId', w.\"versionId\", 'name', w.name, 'settings', "
               "json(w.settings), 'updatedAt', w.\"updatedAt\")";
  const std::string derived =
      q.pg() ? fmt::format(
                   "jsonb_build_object('n8n_id', {}::text, 'version_id', {}::text, "
                   "'previous', CASE WHEN w.id IS NOT NULL THEN {} END)",
                   id, version, previous)
             : fmt::format(
                   "json_object('n8n_id', {}, 'version_id', {}, 'previous', json(CASE "
                   "WHEN w.id IS NOT NULL THEN {} END))",
                   id, version, previous);
  const std::string previous_updated =
      q.pg() ? "w.\"updatedAt\"" : "strftime('%Y-%m-%dT%H:%M:%fZ', w.\"updatedAt\")";
  out += fmt::format(
      "INSERT INTO migration_metadata (migration_file, project, source, workflow_id, "
      "content_hash, source_updated_at, action, previous_updated_at, previous_active, "
      "previous_derived, created_at, synced_at, notes)\n"
      "SELECT {}, {}, {}, {}, {}, {}, 'pending', {}, w.active,\n  {},\n  {}, {}, {}\n"
      "FROM (SELECT 1) AS one LEFT JOIN workflow_entity w ON w.id = {}\nWHERE true\n"
      "ON CONFLICT (migration_file) DO NOTHING;\n\n",
      file, q.Text(wf.project), q.Text(options.source),
      q.pg() ? q.Text(wf.id) + "::uuid" : q.Text(wf.id), q.Text(p.content_hash),
      q.pg() ? q.Text(wf.updated_at) + "::timestamptz" : q.Text(wf.updated_at), previous_updated,
      derived, SqlNow(dialect), SqlNow(dialect),
      options.notes.empty() ? std::string("NULL") : q.Text(options.notes), id);

  out += "-- 2. The workflow, by its n8n id, only when n8n's copy is missing or older.\n";
  out += fmt::format(
      "INSERT INTO workflow_entity (id, name, active, nodes, connections, settings, "
      "\"staticData\", \"pinData\", meta, \"versionId\", \"triggerCount\", \"createdAt\", "
      "\"updatedAt\")\n"
      "SELECT {}, {}, {},\n  {},\n  {},\n  {}, {}, {}, {}, {}, 0, {}, {}\nWHERE {}\n"
      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, nodes = excluded.nodes, connections "
      "= excluded.connections, settings = excluded.settings, \"pinData\" = excluded.\"pinData\", "
      "meta = excluded.meta, \"versionId\" = excluded.\"versionId\", \"updatedAt\" = "
      "excluded.\"updatedAt\"\n"
      "WHERE workflow_entity.\"updatedAt\" < excluded.\"updatedAt\";\n\n",
      id, q.Text(row.name), q.False(), q.Json(row.nodes), q.Json(row.connections),
      q.Json(row.settings), q.OptJson(row.static_data), q.OptJson(row.pin_data),
      q.OptJson(row.meta), version, q.Time(wf.created_at), q.Time(wf.updated_at), claimed);

  if (!placeholders.empty()) {
    out +=
        "-- 3. Credentials by type and name: this instance's own, or null when it has none or "
        "several.\n";
    for (const auto& [key, placeholder] : placeholders) {
      const std::string match = fmt::format(
          "COALESCE((SELECT CASE WHEN count(*) = 1 THEN '\"' || max(c.id) || '\"' END FROM "
          "credentials_entity c WHERE c.type = {} AND c.name = {}), 'null')",
          q.Text(key.first), q.Text(key.second));
      out += fmt::format(
          "UPDATE workflow_entity SET nodes = {}\nWHERE id = {} AND \"versionId\" = {} AND {};\n",
          q.Replace("nodes", "\"id\":\"" + placeholder + "\"", "'\"id\":' || " + match), id,
          version, claimed);
    }
    out += "\n";
  }

  out += "-- 4. n8n's history row, the owner and the tags of the new version.\n";
  out += fmt::format(
      "INSERT INTO workflow_history (\"versionId\", \"workflowId\", authors, nodes, connections, "
      "\"createdAt\", \"updatedAt\")\n"
      "SELECT w.\"versionId\", w.id, 'flowsync', w.nodes, w.connections, {0}, {0}\n"
      "FROM workflow_entity w WHERE {1} AND NOT EXISTS (SELECT 1 FROM workflow_history h WHERE "
      "h.\"versionId\" = {2});\n",
      now, ours, version);
  const std::string owner =
      options.project
          ? fmt::format(
                "(SELECT p.id FROM project p WHERE p.name = {0} OR p.id = {0} ORDER BY "
                "p.id LIMIT 1)",
                q.Text(*options.project))
          : std::string(
                "(SELECT p.id FROM project p JOIN project_relation r ON r.\"projectId\" = p.id "
                "JOIN \"user\" u ON u.id = r.\"userId\" WHERE u.\"roleSlug\" = 'global:owner' "
                "AND r.role = 'project:personalOwner' AND p.type = 'personal' ORDER BY p.id "
                "LIMIT 1)");
  out += fmt::format(
      "INSERT INTO shared_workflow (\"workflowId\", \"projectId\", role, \"createdAt\", "
      "\"updatedAt\")\nSELECT {0}, {1}, 'workflow:owner', {2}, {2}\nWHERE {3} AND NOT EXISTS "
      "(SELECT 1 FROM shared_workflow s WHERE s.\"workflowId\" = {0} AND s.role = "
      "'workflow:owner');\n",
      id, owner, now, wrote);
  out += fmt::format("DELETE FROM workflows_tags WHERE \"workflowId\" = {} AND {};\n", id, wrote);
  std::string names;
  for (const std::string& tag : row.tags) {
    out += fmt::format(
        "INSERT INTO tag_entity (id, name, \"createdAt\", \"updatedAt\")\nSELECT {0}, {1}, {2}, "
        "{2} WHERE {3} AND NOT EXISTS (SELECT 1 FROM tag_entity t WHERE t.name = {1});\n",
        q.Text(n8n::N8nTagId(tag)), q.Text(tag), now, wrote);
    names += (names.empty() ? "" : ", ") + q.Text(tag);
  }
  if (!names.empty()) {
    out += fmt::format(
        "INSERT INTO workflows_tags (\"workflowId\", \"tagId\")\nSELECT {}, t.id FROM tag_entity t "
        "WHERE t.name IN ({}) AND {};\n",
        id, names, wrote);
  }

  out += "\n-- 5. Close the claim.\n";
  out += fmt::format(
      "UPDATE migration_metadata SET synced_at = {}, action = CASE\n"
      "  WHEN EXISTS (SELECT 1 FROM workflow_entity w WHERE w.id = {} AND w.\"versionId\" = {}) "
      "THEN CASE WHEN previous_updated_at IS NULL THEN 'created' ELSE 'updated' END\n"
      "  ELSE 'skipped' END\n"
      "WHERE migration_file = {} AND action = 'pending';\n",
      SqlNow(dialect), id, version, file);
  if (!q.pg()) out += "\nRELEASE flowsync_migration;\n";
  return out;
}

std::string N8nWorkflowDownSql(SqlDialect dialect, std::string_view migration_file) {
  const N8nSql q(dialect);
  const std::string file = q.Text(migration_file);
  const std::string meta =
      fmt::format("FROM migration_metadata m WHERE m.migration_file = {}", file);
  // Still as the migration left it: n8n's row holds the migration's
  // versionId (else whatever changed it since wins, as on the way up).
  const std::string live = fmt::format("id = (SELECT {0} {2}) AND \"versionId\" = (SELECT {1} {2})",
                                       q.Meta({"n8n_id"}), q.Meta({"version_id"}), meta);
  const std::string action = fmt::format("(SELECT m.action {})", meta);
  const std::string prev_version =
      fmt::format("(SELECT {} {})", q.Meta({"previous", "versionId"}), meta);
  const std::string history =
      fmt::format("FROM workflow_history h WHERE h.\"versionId\" = {}", prev_version);

  std::string out;
  if (!q.pg()) out += "SAVEPOINT flowsync_migration;\n\n";
  out += "-- Created: archived, as n8n deletes (an active workflow is left alone).\n";
  out += fmt::format(
      "UPDATE workflow_entity SET \"isArchived\" = {}, \"updatedAt\" = {}\nWHERE {} AND {} = "
      "'created' AND NOT active;\n\n",
      q.pg() ? "true" : "1", q.Now(), live, action);
  out += "-- Updated: the version it replaced, from n8n's history and the claim.\n";
  const std::string settings =
      q.pg() ? fmt::format(
                   "(SELECT NULLIF((m.previous_derived #> '{{previous,settings}}')::text, "
                   "'null')::json {})",
                   meta)
             : fmt::format("(SELECT {} {})", q.Meta({"previous", "settings"}), meta);
  const std::string updated =
      q.pg() ? fmt::format("(SELECT ({})::timestamptz {})", q.Meta({"previous", "updatedAt"}), meta)
             : fmt::format("(SELECT {} {})", q.Meta({"previous", "updatedAt"}), meta);
  out += fmt::format(
      "UPDATE workflow_entity SET nodes = (SELECT h.nodes {0}), connections = (SELECT "
      "h.connections {0}),\n  name = (SELECT {1} {2}), settings = {3}, \"versionId\" = {4}, "
      "\"updatedAt\" = {5}\nWHERE {6} AND {7} = 'updated' AND EXISTS (SELECT 1 {0});\n\n",
      history, q.Meta({"previous", "name"}), meta, settings, prev_version, updated, live, action);
  out += fmt::format("DELETE FROM migration_metadata WHERE migration_file = {};\n", file);
  if (!q.pg()) out += "\nRELEASE flowsync_migration;\n";
  return out;
}

}  // namespace flowsync
